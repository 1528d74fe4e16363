package e2e

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func fetchURL(t *testing.T, method, u string, hdr http.Header) rawResp {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatalf("new request %s: %v", u, err)
	}
	for k, vs := range hdr {
		if strings.EqualFold(k, "host") {
			continue
		}
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := rawHTTP.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	r := rawResp{Status: resp.StatusCode, Header: resp.Header, Body: body}
	var e s3ErrorXML
	if len(body) > 0 && xml.Unmarshal(body, &e) == nil {
		r.Err = &e
	}
	return r
}

// TestPresignedGet: a presigned GetObject URL works with plain net/http, and
// any change to it is refused.
func TestPresignedGet(t *testing.T) {
	t.Parallel()
	var needles []string
	srv := sharedServer(t, &needles)
	c, _ := newClient(t, srv)
	ctx := ctxT(t, 60*time.Second)
	bucket := mustCreateBucket(t, c, "presign")
	needles = append(needles, bucket)
	body := []byte("presigned content \x00\x01\x02")
	mustPut(t, c, bucket, "pre/file one.txt", body)
	mustPut(t, c, bucket, "pre/other.txt", []byte("other"))

	pc := s3.NewPresignClient(c)
	pr, err := pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("pre/file one.txt")}, s3.WithPresignExpires(5*time.Minute))
	noErr(t, "PresignGetObject", err)
	t.Logf("presigned URL: %s", pr.URL)
	u, err := url.Parse(pr.URL)
	if err != nil {
		t.Fatalf("parse presigned URL: %v", err)
	}
	q := u.Query()
	if q.Get("X-Amz-S3session-Token") == "" {
		t.Logf("note: presigned URL carries no X-Amz-S3session-Token (signed with %s)", q.Get("X-Amz-Credential"))
	}

	r := fetchURL(t, pr.Method, pr.URL, pr.SignedHeader)
	wantRaw(t, "GET presigned URL", r, 200)
	if r.Status == 200 && !bytes.Equal(r.Body, body) {
		t.Errorf("presigned GET body: want %q, got %q", body, r.Body)
	}
	if r.Header.Get("x-amz-request-id") == "" {
		t.Errorf("presigned GET response has no x-amz-request-id")
	}

	tamper := func(name string, mutate func(u *url.URL)) {
		t.Helper()
		u2, _ := url.Parse(pr.URL)
		mutate(u2)
		r := fetchURL(t, pr.Method, u2.String(), pr.SignedHeader)
		wantRaw(t, "tampered presigned URL ("+name+")", r, 403, "SignatureDoesNotMatch", "AccessDenied")
		if r.Status == 200 {
			t.Errorf("tampered presigned URL (%s) served %q", name, r.Body)
		}
	}
	setQ := func(k, v string) func(u *url.URL) {
		return func(u *url.URL) {
			q := u.Query()
			q.Set(k, v)
			u.RawQuery = q.Encode()
		}
	}
	tamper("X-Amz-Expires", setQ("X-Amz-Expires", "3000"))
	tamper("X-Amz-Date", setQ("X-Amz-Date", time.Now().UTC().Add(-time.Minute).Format("20060102T150405Z")))
	tamper("extra response-content-type", setQ("response-content-type", "text/evil"))
	tamper("path to another key", func(u *url.URL) {
		u.Path = "/" + bucket + "/pre/other.txt"
		u.RawPath = ""
	})
	if q.Get("X-Amz-S3session-Token") != "" {
		u3, _ := url.Parse(pr.URL)
		q3 := u3.Query()
		q3.Set("X-Amz-S3session-Token", flipMiddleChar(q3.Get("X-Amz-S3session-Token")))
		u3.RawQuery = q3.Encode()
		r := fetchURL(t, pr.Method, u3.String(), pr.SignedHeader)
		if r.Status != 400 && r.Status != 403 {
			t.Errorf("presigned URL with a tampered session token: want 400/403, got %s", r)
		}
	}
	tamper("signature", func(u *url.URL) {
		q := u.Query()
		sig := q.Get("X-Amz-Signature")
		q.Set("X-Amz-Signature", flipMiddleChar(sig))
		u.RawQuery = q.Encode()
	})

	// Expired presigned URL.
	pr2, err := pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("pre/other.txt")}, s3.WithPresignExpires(1*time.Second))
	noErr(t, "PresignGetObject 1s", err)
	wantRaw(t, "fresh 1s presigned URL", fetchURL(t, pr2.Method, pr2.URL, pr2.SignedHeader), 200)
	time.Sleep(2500 * time.Millisecond)
	wantRaw(t, "expired presigned URL", fetchURL(t, pr2.Method, pr2.URL, pr2.SignedHeader), 403, "AccessDenied")
}

// TestLongTermKeySigning: with DisableS3ExpressSessionAuth the client signs
// every request with the root key (scope s3express) and never calls CreateSession.
func TestLongTermKeySigning(t *testing.T) {
	t.Parallel()
	var needles []string
	srv := sharedServer(t, &needles)
	c, w := newClient(t, srv, noSessionAuth)
	ctx := ctxT(t, 60*time.Second)
	bucket := mustCreateBucket(t, c, "longterm")
	needles = append(needles, bucket)

	body := []byte("signed with the long-term key")
	mustPut(t, c, bucket, "lt/a.txt", body)
	got, _ := mustGetBytes(t, c, bucket, "lt/a.txt")
	if !bytes.Equal(got, body) {
		t.Errorf("GetObject: %q", got)
	}
	_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("lt/a.txt")})
	noErr(t, "HeadObject", err)
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Delimiter: aws.String("/"), Prefix: aws.String("lt/")})
	noErr(t, "ListObjectsV2", err)
	if len(out.Contents) != 1 || aws.ToString(out.Contents[0].Key) != "lt/a.txt" {
		t.Errorf("ListObjectsV2: %+v", out.Contents)
	}
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("lt/a.txt")})
	noErr(t, "DeleteObject", err)
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("lt/a.txt")})
	wantErr(t, "GetObject after delete", err, 404, "NoSuchKey")
	_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	noErr(t, "HeadBucket", err)
	_, err = c.ListDirectoryBuckets(ctx, &s3.ListDirectoryBucketsInput{})
	noErr(t, "ListDirectoryBuckets", err)
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
	noErr(t, "DeleteBucket", err)

	es := w.Entries()
	if len(es) < 9 {
		t.Errorf("expected at least 9 requests on the wire, saw:\n%s", w.Dump())
	}
	for _, e := range es {
		if e.IsCreateSession() {
			t.Errorf("CreateSession on the wire with session auth disabled: %s", e)
		}
		if e.AccessKey() != srv.AccessKey || e.Service() != "s3express" || e.SessionToken != "" {
			t.Errorf("request not signed with the long-term key / s3express scope / no token: %s", e)
		}
	}
}
