package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestErrorShape: unsupported operations answer 501 NotImplemented with a
// complete S3 XML error, and every response (success or error) carries
// x-amz-request-id and x-amz-id-2.
func TestErrorShape(t *testing.T) {
	t.Parallel()
	var needles []string
	srv := sharedServer(t, &needles)
	c, w := newClient(t, srv)
	ctx := ctxT(t, 60*time.Second)
	bucket := mustCreateBucket(t, c, "errshape")
	needles = append(needles, bucket)
	mustPut(t, c, bucket, "k.txt", []byte("k"))
	cr := createSession(t, c, bucket, "")

	t.Run("UnsupportedOperations", func(t *testing.T) {
		cases := []struct {
			name string
			req  rawReq
			sg   *signing
		}{
			{"GetBucketAcl (root key)", rawReq{Method: http.MethodGet, Path: "/" + bucket, Query: "acl"}, rootSigning(srv)},
			{"GetBucketAcl (session)", rawReq{Method: http.MethodGet, Path: "/" + bucket, Query: "acl"}, sessionSigning(cr)},
			{"GetObjectTagging", rawReq{Method: http.MethodGet, Path: objectPath(bucket, "k.txt"), Query: "tagging"}, sessionSigning(cr)},
			{"GetObjectAcl", rawReq{Method: http.MethodGet, Path: objectPath(bucket, "k.txt"), Query: "acl"}, sessionSigning(cr)},
			{"GetBucketVersioning", rawReq{Method: http.MethodGet, Path: "/" + bucket, Query: "versioning"}, rootSigning(srv)},
			{"GetBucketCors", rawReq{Method: http.MethodGet, Path: "/" + bucket, Query: "cors"}, rootSigning(srv)},
		}
		for _, tc := range cases {
			r := doRaw(t, srv, tc.req, tc.sg)
			wantRaw(t, tc.name, r, 501, "NotImplemented")
			checkErrorDoc(t, tc.name, r)
		}
		// Through the SDK too.
		_, err := c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String(bucket)})
		wantErr(t, "SDK GetBucketAcl", err, 501, "NotImplemented")
		_, err = c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("k.txt")})
		wantErr(t, "SDK GetObjectTagging", err, 501, "NotImplemented")
	})

	t.Run("ErrorDocuments", func(t *testing.T) {
		r := doRaw(t, srv, rawReq{Method: http.MethodGet, Path: objectPath(bucket, "missing.txt")}, sessionSigning(cr))
		wantRaw(t, "GET missing key", r, 404, "NoSuchKey")
		checkErrorDoc(t, "NoSuchKey", r)
		r = doRaw(t, srv, rawReq{Method: http.MethodGet, Path: "/" + bucket, Query: "list-type=2&prefix=nodelim"}, sessionSigning(cr))
		wantRaw(t, "list with bad prefix", r, 400, "InvalidRequest")
		checkErrorDoc(t, "InvalidRequest", r)
		r = doRaw(t, srv, rawReq{Method: http.MethodGet, Path: objectPath(bucket, "k.txt")}, &signing{AccessKey: "AKIAZONALNOSUCHKEY01", SecretKey: "x"})
		wantRaw(t, "unknown key", r, 403, "InvalidAccessKeyId")
		checkErrorDoc(t, "InvalidAccessKeyId", r)
		// HEAD errors: no body, but the id headers.
		r = doRaw(t, srv, rawReq{Method: http.MethodHead, Path: objectPath(bucket, "missing.txt")}, sessionSigning(cr))
		wantRaw(t, "HEAD missing key", r, 404)
		if len(r.Body) != 0 {
			t.Errorf("HEAD 404 has a body: %q", r.Body)
		}
		checkIDHeaders(t, "HEAD 404", r.Header)
	})

	t.Run("IDHeadersOnEveryResponse", func(t *testing.T) {
		c2, w2 := newClient(t, srv)
		mustPut(t, c2, bucket, "ids/a", []byte("a"))
		mustGetBytes(t, c2, bucket, "ids/a")
		_, _ = c2.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("ids/a")})
		_, _ = c2.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("ids/missing")})
		_, _ = c2.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("ids/missing")})
		_, _ = c2.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
		_, _ = c2.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("bad")})
		_, _ = c2.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("ids/a")})
		_, _ = c2.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
		_, _ = c2.ListDirectoryBuckets(ctx, &s3.ListDirectoryBucketsInput{}, noSessionAuth)
		_, _ = c2.CreateBucket(ctx, createBucketInput(bucket, testAZ)) // 409
		es := w2.Entries()
		if len(es) < 11 {
			t.Fatalf("expected at least 11 exchanges:\n%s", w2.Dump())
		}
		ids := map[string]bool{}
		for _, e := range es {
			if e.Err != nil {
				t.Errorf("transport error: %s", e)
				continue
			}
			checkIDHeaders(t, e.String(), e.RespHeader)
			id := e.RespHeader.Get("x-amz-request-id")
			if ids[id] && id != "" {
				t.Errorf("request id %q reused", id)
			}
			ids[id] = true
		}
	})
	_ = w
}

func checkIDHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	if h.Get("x-amz-request-id") == "" || h.Get("x-amz-id-2") == "" {
		t.Errorf("%s: response lacks x-amz-request-id (%q) or x-amz-id-2 (%q)", what, h.Get("x-amz-request-id"), h.Get("x-amz-id-2"))
	}
}

func checkErrorDoc(t *testing.T, what string, r rawResp) {
	t.Helper()
	checkIDHeaders(t, what, r.Header)
	if r.Err == nil {
		t.Errorf("%s: body is not an S3 <Error> document: %s", what, r)
		return
	}
	if r.Err.Code == "" || r.Err.Message == "" || r.Err.RequestID == "" || r.Err.HostID == "" {
		t.Errorf("%s: <Error> lacks Code/Message/RequestId/HostId: %+v", what, *r.Err)
	}
	if r.Err.RequestID != r.Header.Get("x-amz-request-id") {
		t.Errorf("%s: RequestId %q differs from x-amz-request-id %q", what, r.Err.RequestID, r.Header.Get("x-amz-request-id"))
	}
	if r.Err.HostID != r.Header.Get("x-amz-id-2") {
		t.Errorf("%s: HostId %q differs from x-amz-id-2 %q", what, r.Err.HostID, r.Header.Get("x-amz-id-2"))
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/xml") {
		t.Errorf("%s: Content-Type %q, want application/xml", what, ct)
	}
}
