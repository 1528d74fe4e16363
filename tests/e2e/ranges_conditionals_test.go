package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestRanges: GetObject with Range headers.
func TestRanges(t *testing.T) {
	t.Parallel()
	var needles []string
	srv := sharedServer(t, &needles)
	c, _ := newClient(t, srv)
	ctx := ctxT(t, 60*time.Second)
	bucket := mustCreateBucket(t, c, "ranges")
	needles = append(needles, bucket)

	alpha := []byte("abcdefghijklmnopqrstuvwxyz") // 26 bytes
	mustPut(t, c, bucket, "alpha.txt", alpha)
	mustPut(t, c, bucket, "ten.txt", []byte("0123456789"))

	cases := []struct {
		rng, want, contentRange string
	}{
		{"bytes=0-9", "abcdefghij", "bytes 0-9/26"},
		{"bytes=10-", "klmnopqrstuvwxyz", "bytes 10-25/26"},
		{"bytes=-5", "vwxyz", "bytes 21-25/26"},
		{"bytes=20-100", "uvwxyz", "bytes 20-25/26"}, // past the end: clipped
		{"bytes=25-25", "z", "bytes 25-25/26"},
		{"bytes=0-", string(alpha), "bytes 0-25/26"},
	}
	for _, tc := range cases {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("alpha.txt"), Range: aws.String(tc.rng)})
		if err != nil {
			t.Errorf("GetObject Range %s: %s", tc.rng, describeErr(err))
			continue
		}
		b, err := io.ReadAll(out.Body)
		out.Body.Close()
		if err != nil {
			t.Errorf("Range %s: reading body: %v", tc.rng, err)
			continue
		}
		if string(b) != tc.want {
			t.Errorf("Range %s: want body %q, got %q", tc.rng, tc.want, b)
		}
		if got := aws.ToString(out.ContentRange); got != tc.contentRange {
			t.Errorf("Range %s: want Content-Range %q, got %q", tc.rng, tc.contentRange, got)
		}
		if got := aws.ToInt64(out.ContentLength); got != int64(len(tc.want)) {
			t.Errorf("Range %s: want Content-Length %d, got %d", tc.rng, len(tc.want), got)
		}
		if got := aws.ToString(out.AcceptRanges); got != "" && got != "bytes" {
			t.Errorf("Range %s: Accept-Ranges %q", tc.rng, got)
		}
	}

	// Status 206 on the wire (raw request).
	cr := createSession(t, c, bucket, "")
	r := doRaw(t, srv, rawReq{Method: http.MethodGet, Path: objectPath(bucket, "alpha.txt"), Header: http.Header{"Range": {"bytes=0-9"}}}, sessionSigning(cr))
	wantRaw(t, "raw ranged GET", r, http.StatusPartialContent)
	if r.Header.Get("Content-Range") != "bytes 0-9/26" || string(r.Body) != "abcdefghij" {
		t.Errorf("raw ranged GET: Content-Range %q body %q", r.Header.Get("Content-Range"), r.Body)
	}

	// Unsatisfiable.
	_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("ten.txt"), Range: aws.String("bytes=1000-")})
	wantErr(t, "GetObject Range bytes=1000- on a 10-byte object", err, 416, "InvalidRange")
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("ten.txt"), Range: aws.String("bytes=10-")})
	wantErr(t, "GetObject Range bytes=10- on a 10-byte object", err, 416, "InvalidRange")
}

// TestConditionalsAndOverrides: If-Match / If-None-Match / If-Modified-Since /
// If-Unmodified-Since on GET and HEAD, and response-* overrides.
func TestConditionalsAndOverrides(t *testing.T) {
	t.Parallel()
	var needles []string
	srv := sharedServer(t, &needles)
	c, _ := newClient(t, srv)
	ctx := ctxT(t, 60*time.Second)
	bucket := mustCreateBucket(t, c, "cond")
	needles = append(needles, bucket)
	key := "cond/obj.txt"
	body := []byte("conditional body")
	put := mustPut(t, c, bucket, key, body)
	etag := aws.ToString(put.ETag)
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	noErr(t, "HeadObject", err)
	lm := aws.ToTime(head.LastModified)
	if lm.IsZero() {
		t.Fatalf("HeadObject: no Last-Modified")
	}
	before, after := lm.Add(-time.Hour), lm.Add(time.Hour)
	other := `"0123456789abcdef0123456789abcdef"`

	type cond struct {
		name         string
		ifMatch      string
		ifNoneMatch  string
		ifModSince   time.Time
		ifUnmodSince time.Time
		status       int // 200, 304, 412
		getCode      string
	}
	cases := []cond{
		{name: "If-Match match", ifMatch: etag, status: 200},
		{name: "If-Match *", ifMatch: "*", status: 200},
		{name: "If-Match mismatch", ifMatch: other, status: 412, getCode: "PreconditionFailed"},
		{name: "If-None-Match match", ifNoneMatch: etag, status: 304, getCode: "NotModified"},
		{name: "If-None-Match *", ifNoneMatch: "*", status: 304, getCode: "NotModified"},
		{name: "If-None-Match mismatch", ifNoneMatch: other, status: 200},
		{name: "If-Modified-Since before", ifModSince: before, status: 200},
		{name: "If-Modified-Since = Last-Modified", ifModSince: lm, status: 304, getCode: "NotModified"},
		{name: "If-Modified-Since after", ifModSince: after, status: 304, getCode: "NotModified"},
		{name: "If-Unmodified-Since after", ifUnmodSince: after, status: 200},
		{name: "If-Unmodified-Since = Last-Modified", ifUnmodSince: lm, status: 200},
		{name: "If-Unmodified-Since before", ifUnmodSince: before, status: 412, getCode: "PreconditionFailed"},
		// RFC 7232 / S3 precedence: If-Match true wins over If-Unmodified-Since false,
		// If-None-Match false (i.e. matches) wins over If-Modified-Since true.
		{name: "If-Match true + If-Unmodified-Since false", ifMatch: etag, ifUnmodSince: before, status: 200},
		{name: "If-None-Match matches + If-Modified-Since true", ifNoneMatch: etag, ifModSince: before, status: 304, getCode: "NotModified"},
	}
	tp := func(tm time.Time) *time.Time {
		if tm.IsZero() {
			return nil
		}
		return aws.Time(tm)
	}
	sp := func(s string) *string {
		if s == "" {
			return nil
		}
		return aws.String(s)
	}
	for _, tc := range cases {
		gout, err := c.GetObject(ctx, &s3.GetObjectInput{
			Bucket: aws.String(bucket), Key: aws.String(key),
			IfMatch: sp(tc.ifMatch), IfNoneMatch: sp(tc.ifNoneMatch),
			IfModifiedSince: tp(tc.ifModSince), IfUnmodifiedSince: tp(tc.ifUnmodSince),
		})
		if tc.status == 200 {
			if err != nil {
				t.Errorf("GET %s: want 200, got %s", tc.name, describeErr(err))
			} else {
				b, _ := io.ReadAll(gout.Body)
				gout.Body.Close()
				if string(b) != string(body) {
					t.Errorf("GET %s: body %q", tc.name, b)
				}
			}
		} else {
			wantErr(t, "GET "+tc.name, err, tc.status, tc.getCode)
		}
		_, err = c.HeadObject(ctx, &s3.HeadObjectInput{
			Bucket: aws.String(bucket), Key: aws.String(key),
			IfMatch: sp(tc.ifMatch), IfNoneMatch: sp(tc.ifNoneMatch),
			IfModifiedSince: tp(tc.ifModSince), IfUnmodifiedSince: tp(tc.ifUnmodSince),
		})
		if tc.status == 200 {
			if err != nil {
				t.Errorf("HEAD %s: want 200, got %s", tc.name, describeErr(err))
			}
		} else {
			wantErr(t, "HEAD "+tc.name, err, tc.status)
		}
	}

	// 304 carries the ETag; 412 body is an S3 error naming the condition.
	cr := createSession(t, c, bucket, "")
	r := doRaw(t, srv, rawReq{Method: http.MethodGet, Path: objectPath(bucket, key), Header: http.Header{"If-None-Match": {etag}}}, sessionSigning(cr))
	wantRaw(t, "raw GET If-None-Match", r, 304)
	if r.Header.Get("ETag") != etag {
		t.Errorf("304 response ETag: want %s, got %q", etag, r.Header.Get("ETag"))
	}
	if len(r.Body) != 0 {
		t.Errorf("304 response has a body: %q", r.Body)
	}
	r = doRaw(t, srv, rawReq{Method: http.MethodGet, Path: objectPath(bucket, key), Header: http.Header{"If-Match": {other}}}, sessionSigning(cr))
	wantRaw(t, "raw GET If-Match mismatch", r, 412, "PreconditionFailed")
	if r.Err != nil && r.Err.Condition != "If-Match" {
		t.Errorf("412 error body: want <Condition>If-Match</Condition> (reference §6.5), got %q", r.Err.Condition)
	}

	// Response header overrides.
	exp := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	out, err := c.GetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key),
		ResponseContentType:        aws.String("application/x-zonal-test"),
		ResponseCacheControl:       aws.String("no-store"),
		ResponseContentDisposition: aws.String(`inline; filename="x.bin"`),
		ResponseContentEncoding:    aws.String("identity"),
		ResponseContentLanguage:    aws.String("fr-CA"),
		ResponseExpires:            aws.Time(exp),
	})
	noErr(t, "GetObject with response-* overrides", err)
	b, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(b) != string(body) {
		t.Errorf("override GET body: %q", b)
	}
	for _, f := range []struct{ name, want, got string }{
		{"Content-Type", "application/x-zonal-test", aws.ToString(out.ContentType)},
		{"Cache-Control", "no-store", aws.ToString(out.CacheControl)},
		{"Content-Disposition", `inline; filename="x.bin"`, aws.ToString(out.ContentDisposition)},
		{"Content-Encoding", "identity", aws.ToString(out.ContentEncoding)},
		{"Content-Language", "fr-CA", aws.ToString(out.ContentLanguage)},
	} {
		if f.want != f.got {
			t.Errorf("response override %s: want %q, got %q", f.name, f.want, f.got)
		}
	}
	if e, err := http.ParseTime(aws.ToString(out.ExpiresString)); err != nil || !e.Equal(exp) {
		t.Errorf("response-expires override: want %s, got %q", exp.Format(http.TimeFormat), aws.ToString(out.ExpiresString))
	}
	// HeadObject honours them too.
	hout, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ResponseContentType: aws.String("application/x-head-override")})
	noErr(t, "HeadObject with response-content-type", err)
	if aws.ToString(hout.ContentType) != "application/x-head-override" {
		t.Errorf("HeadObject response-content-type override: got %q", aws.ToString(hout.ContentType))
	}
}

// TestConditionalWrites: PutObject If-None-Match/If-Match and DeleteObject
// preconditions (reference §2.1, §6.5).
func TestConditionalWrites(t *testing.T) {
	t.Parallel()
	var needles []string
	srv := sharedServer(t, &needles)
	c, _ := newClient(t, srv)
	ctx := ctxT(t, 60*time.Second)
	bucket := mustCreateBucket(t, c, "condwrite")
	needles = append(needles, bucket)
	put := func(key, body string, ifMatch, ifNoneMatch *string) (*s3.PutObjectOutput, error) {
		return c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body), IfMatch: ifMatch, IfNoneMatch: ifNoneMatch})
	}
	other := aws.String(`"0123456789abcdef0123456789abcdef"`)

	t.Run("PutIfNoneMatchStar", func(t *testing.T) {
		_, err := put("inm.txt", "first", nil, aws.String("*"))
		noErr(t, "PutObject If-None-Match: * on a new key", err)
		_, err = put("inm.txt", "second", nil, aws.String("*"))
		wantErr(t, "PutObject If-None-Match: * on an existing key", err, 412, "PreconditionFailed")
		got, _ := mustGetBytes(t, c, bucket, "inm.txt")
		if string(got) != "first" {
			t.Errorf("refused conditional PUT changed the object: %q", got)
		}
	})

	t.Run("PutIfMatch", func(t *testing.T) {
		p1, err := put("im.txt", "v1", nil, nil)
		noErr(t, "PutObject", err)
		_, err = put("im.txt", "v2-wrong", other, nil)
		wantErr(t, "PutObject If-Match mismatch", err, 412, "PreconditionFailed")
		p2, err := put("im.txt", "v2", p1.ETag, nil)
		noErr(t, "PutObject If-Match current ETag", err)
		_, err = put("im.txt", "v3", p1.ETag, nil)
		wantErr(t, "PutObject If-Match stale ETag", err, 412, "PreconditionFailed")
		got, _ := mustGetBytes(t, c, bucket, "im.txt")
		if string(got) != "v2" {
			t.Errorf("after conditional PUTs: %q, want v2", got)
		}
		_ = p2
		_, err = put("im-missing.txt", "x", p1.ETag, nil)
		wantErr(t, "PutObject If-Match on a missing key", err, 404, "NoSuchKey")
	})

	t.Run("DeleteIfMatch", func(t *testing.T) {
		p, err := put("del.txt", "12345", nil, nil)
		noErr(t, "PutObject", err)
		_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("del.txt"), IfMatch: other})
		wantErr(t, "DeleteObject If-Match mismatch", err, 412, "PreconditionFailed")
		_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("del.txt")})
		noErr(t, "object still there after a refused If-Match delete", err)
		_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("del.txt"), IfMatch: p.ETag, IfMatchSize: aws.Int64(5)})
		noErr(t, "DeleteObject If-Match + x-amz-if-match-size matching", err)
		_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("del.txt")})
		wantErr(t, "HeadObject after conditional delete", err, 404)
		// x-amz-if-match-size (directory buckets only, reference §2.1).
		_, err = put("delsize.txt", "12345", nil, nil)
		noErr(t, "PutObject", err)
		_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("delsize.txt"), IfMatchSize: aws.Int64(4)})
		wantErr(t, "DeleteObject x-amz-if-match-size: 4 on a 5-byte object", err, 412, "PreconditionFailed")
		_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("delsize.txt")})
		if err != nil {
			t.Errorf("object deleted although x-amz-if-match-size did not match: HeadObject %s", describeErr(err))
		}
		// Absent object with x-amz-if-match-size: 204 (reference §2.1).
		_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("del.txt"), IfMatchSize: aws.Int64(5)})
		noErr(t, "DeleteObject x-amz-if-match-size on an absent object", err)
	})
}
