package s3api

import (
	"net/http/httptest"
	"testing"
)

func TestRoute(t *testing.T) {
	cases := []struct {
		method, url, host string
		bucket, key       string
		op                Op
	}{
		{"GET", "/?x-id=ListDirectoryBuckets", "127.0.0.1:9000", "", "", OpListDirectoryBuckets},
		{"GET", "/b--use1-az4--x-s3?session=", "127.0.0.1:9000", "b--use1-az4--x-s3", "", OpCreateSession},
		{"GET", "/b--use1-az4--x-s3//?session=", "127.0.0.1:9000", "b--use1-az4--x-s3", "", OpCreateSession},
		{"PUT", "/b--use1-az4--x-s3//", "127.0.0.1:9000", "b--use1-az4--x-s3", "", OpCreateBucket},
		{"PUT", "/b--use1-az4--x-s3", "127.0.0.1:9000", "b--use1-az4--x-s3", "", OpCreateBucket},
		{"PUT", "/b--use1-az4--x-s3/a/b.txt?x-id=PutObject", "127.0.0.1:9000", "b--use1-az4--x-s3", "a/b.txt", OpPutObject},
		{"PUT", "/b--use1-az4--x-s3//a.txt?x-id=PutObject", "127.0.0.1:9000", "b--use1-az4--x-s3", "a.txt", OpPutObject},
		{"GET", "/b--use1-az4--x-s3/sp%20ace%2Bplus", "[::1]:9000", "b--use1-az4--x-s3", "sp ace+plus", OpGetObject},
		{"HEAD", "/b--use1-az4--x-s3", "127.0.0.1", "b--use1-az4--x-s3", "", OpHeadBucket},
		{"GET", "/b--use1-az4--x-s3?list-type=2&prefix=", "127.0.0.1", "b--use1-az4--x-s3", "", OpListObjectsV2},
		{"GET", "/b--use1-az4--x-s3?delimiter=%2F", "127.0.0.1", "b--use1-az4--x-s3", "", OpListObjects},
		{"DELETE", "/b--use1-az4--x-s3/k", "127.0.0.1", "b--use1-az4--x-s3", "k", OpDeleteObject},
		{"DELETE", "/b--use1-az4--x-s3", "127.0.0.1", "b--use1-az4--x-s3", "", OpDeleteBucket},
		// Virtual-hosted: hostname endpoints and AWS's own zonal hosts.
		{"GET", "/?session=", "b--use1-az4--x-s3.localhost:9000", "b--use1-az4--x-s3", "", OpCreateSession},
		{"GET", "/dir/k", "b--use1-az4--x-s3.s3express-use1-az4.us-east-1.amazonaws.com", "b--use1-az4--x-s3", "dir/k", OpGetObject},
		{"GET", "/?x-id=ListDirectoryBuckets", "localhost:9000", "", "", OpListDirectoryBuckets},
		// Control-plane host: path style.
		{"PUT", "/b--use1-az4--x-s3", "s3express-control.us-east-1.amazonaws.com", "b--use1-az4--x-s3", "", OpCreateBucket},
		{"GET", "/b--use1-az4--x-s3/k?acl", "127.0.0.1", "b--use1-az4--x-s3", "k", OpNotImplemented},
		{"GET", "/b--use1-az4--x-s3?versioning", "127.0.0.1", "b--use1-az4--x-s3", "", OpNotImplemented},
		{"POST", "/b--use1-az4--x-s3/k", "127.0.0.1", "b--use1-az4--x-s3", "k", OpUnknown},
		// Access points: by name, and by ARN as one %2F-encoded segment.
		{"GET", "/ap1--use1-az4--xa-s3?session=", "127.0.0.1", "ap1--use1-az4--xa-s3", "", OpCreateSession},
		{"PUT", "/ap1--use1-az4--xa-s3/allowed/k?x-id=PutObject", "127.0.0.1", "ap1--use1-az4--xa-s3", "allowed/k", OpPutObject},
		{"GET", "/arn%3Aaws%3As3express%3Aus-east-1%3A000000000000%3Aaccesspoint%2Fap1--use1-az4--xa-s3?session=", "127.0.0.1",
			"arn:aws:s3express:us-east-1:000000000000:accesspoint/ap1--use1-az4--xa-s3", "", OpCreateSession},
		{"PUT", "/arn%3Aaws%3As3express%3Aus-east-1%3A000000000000%3Aaccesspoint%2Fap1--use1-az4--xa-s3/allowed/k?x-id=PutObject", "127.0.0.1",
			"arn:aws:s3express:us-east-1:000000000000:accesspoint/ap1--use1-az4--xa-s3", "allowed/k", OpPutObject},
		{"GET", "/arn%3Aaws%3As3express%3Aus-east-1%3A000000000000%3Aaccesspoint%2Fap1--use1-az4--xa-s3?list-type=2&prefix=allowed%2F", "127.0.0.1",
			"arn:aws:s3express:us-east-1:000000000000:accesspoint/ap1--use1-az4--xa-s3", "", OpListObjectsV2},
		{"GET", "/k?x-id=GetObject", "ap1--use1-az4--xa-s3.localhost:9000", "ap1--use1-az4--xa-s3", "k", OpGetObject},
	}
	for _, c := range cases {
		r := httptest.NewRequest(c.method, c.url, nil)
		r.Host = c.host
		got := route(r, r.URL.Query())
		if got.Bucket != c.bucket || got.Key != c.key || got.Op != c.op {
			t.Errorf("%s %s (host %s): got bucket=%q key=%q op=%s, want %q %q %s",
				c.method, c.url, c.host, got.Bucket, got.Key, got.Op, c.bucket, c.key, c.op)
		}
	}
}

func TestValidBucketName(t *testing.T) {
	good := map[string]string{
		"b1--use1-az4--x-s3":        "use1-az4",
		"my-bucket--usw2-az1--x-s3": "usw2-az1",
		"logs--usw2-lax1-az1--x-s3": "usw2-lax1-az1",
		"a--apne1-az4--x-s3":        "apne1-az4",
	}
	for name, zone := range good {
		z, why := validBucketName(name)
		if why != "" || z != zone {
			t.Errorf("%s: zone %q, problem %q", name, z, why)
		}
	}
	for _, name := range []string{
		"plainbucket", "Upper--use1-az4--x-s3", "under_score--use1-az4--x-s3", "dot.ted--use1-az4--x-s3",
		"-lead--use1-az4--x-s3", "--use1-az4--x-s3", "b--usaz1--x-s3", "xn--b--use1-az4--x-s3",
		"b--use1-az4--x-s3-", "b--use1-az4--xa-s3",
		"waytoolongwaytoolongwaytoolongwaytoolongwaytoolong--use1-az4--x-s3",
	} {
		if _, why := validBucketName(name); why == "" {
			t.Errorf("%s accepted", name)
		}
	}
}

func TestParseRange(t *testing.T) {
	cases := []struct {
		h             string
		size, off, n  int64
		partial, fail bool
	}{
		{"", 10, 0, 10, false, false},
		{"bytes=0-9", 10, 0, 10, true, false},
		{"bytes=0-0", 10, 0, 1, true, false},
		{"bytes=2-5", 10, 2, 4, true, false},
		{"bytes=5-", 10, 5, 5, true, false},
		{"bytes=-3", 10, 7, 3, true, false},
		{"bytes=-30", 10, 0, 10, true, false},
		{"bytes=3-100", 10, 3, 7, true, false},
		{"bytes=10-", 10, 0, 0, false, true},
		{"bytes=1000-2000", 10, 0, 0, false, true},
		{"bytes=-0", 10, 0, 0, false, true},
		{"bytes=0-", 0, 0, 0, false, true},
		{"bytes=5-2", 10, 0, 10, false, false},     // malformed: ignored
		{"bytes=0-1,3-4", 10, 0, 10, false, false}, // multiple ranges: ignored
		{"items=0-1", 10, 0, 10, false, false},
		{"bytes=x-1", 10, 0, 10, false, false},
	}
	for _, c := range cases {
		off, n, partial, err := parseRange(c.h, c.size)
		if (err != nil) != c.fail || (!c.fail && (off != c.off || n != c.n || partial != c.partial)) {
			t.Errorf("%q size %d: off=%d n=%d partial=%v err=%v", c.h, c.size, off, n, partial, err)
		}
	}
}

func TestContinuationToken(t *testing.T) {
	for _, s := range []string{"", "a", "dir/sub/", "ключ ✓"} {
		got, ok := decodeToken(encodeToken(s))
		if !ok || got != s {
			t.Errorf("round trip %q: %q %v", s, got, ok)
		}
	}
	for _, bad := range []string{"!!", "YWJj", encodeToken("x") + "A"} {
		if _, ok := decodeToken(bad); ok {
			t.Errorf("made-up token %q accepted", bad)
		}
	}
}

// TestRouteSubResources sends every sub-resource name of the S3 model with
// every method, at the bucket and the object level, and checks that only
// the ones zonal serves reach an operation; the rest answer 501 before any
// handler runs (no write, no delete).
func TestRouteSubResources(t *testing.T) {
	const b = "b--use1-az4--x-s3"
	methods := []string{"GET", "HEAD", "PUT", "POST", "DELETE"}
	servedOps := map[string]Op{
		"bucket PUT policy": OpPutBucketPolicy, "bucket GET policy": OpGetBucketPolicy, "bucket DELETE policy": OpDeleteBucketPolicy,
		"bucket PUT encryption": OpPutBucketEncryption, "bucket GET encryption": OpGetBucketEncryption, "bucket DELETE encryption": OpDeleteBucketEncryption,
		"bucket PUT lifecycle": OpPutBucketLifecycle, "bucket GET lifecycle": OpGetBucketLifecycle, "bucket DELETE lifecycle": OpDeleteBucketLifecycle,
		"bucket GET uploads": OpListMultipartUploads, "bucket GET session": OpCreateSession, "bucket POST delete": OpDeleteObjects,
		"object POST uploads": OpCreateMultipartUpload, "object PUT uploadId": OpUploadPart, "object GET uploadId": OpListParts,
		"object DELETE uploadId": OpAbortMultipartUpload, "object POST uploadId": OpCompleteMultipartUpload,
		"object PUT partNumber": OpUploadPart, "object GET partNumber": OpGetObject, "object HEAD partNumber": OpHeadObject,
		"object PUT renameObject": OpRenameObject, "object GET attributes": OpGetObjectAttributes,
		// Without an id, GET lists (the Get operations carry ?id=).
		"bucket PUT metrics": OpPutBucketMetrics, "bucket GET metrics": OpListBucketMetrics, "bucket DELETE metrics": OpDeleteBucketMetrics,
		"bucket PUT inventory": OpPutBucketInventory, "bucket GET inventory": OpListBucketInventory, "bucket DELETE inventory": OpDeleteBucketInventory,
	}
	seen := 0
	for name := range s3SubResources {
		for _, level := range []string{"bucket", "object"} {
			for _, m := range methods {
				path := "/" + b
				if level == "object" {
					path += "/k"
				}
				r := httptest.NewRequest(m, path+"?"+name+"=&x-id=Whatever", nil)
				r.Host = "127.0.0.1:9000"
				got := route(r, r.URL.Query())
				want, ok := servedOps[level+" "+m+" "+name]
				if ok {
					seen++
					if got.Op != want {
						t.Errorf("%s %s?%s: op %s, want %s", m, path, name, got.Op, want)
					}
					continue
				}
				if got.Op != OpNotImplemented || got.Sub != name {
					t.Errorf("%s %s?%s: op %s (sub %q), want NotImplemented", m, path, name, got.Op, got.Sub)
				}
			}
		}
	}
	if seen != len(servedOps) {
		t.Errorf("%d served combinations checked, want %d", seen, len(servedOps))
	}

	cases := []struct {
		method, url string
		op          Op
	}{
		// Value-less names S3 does not define: refused on writes and
		// deletes, ignored on reads.
		{"PUT", "/" + b + "/k?madeup", OpBadQuery},
		{"DELETE", "/" + b + "?madeup", OpBadQuery},
		{"DELETE", "/" + b + "/k?madeup=", OpBadQuery},
		{"POST", "/" + b + "/k?uploads&madeup", OpBadQuery},
		{"GET", "/" + b + "/k?madeup", OpGetObject},
		// Ordinary parameters keep working.
		{"PUT", "/" + b + "/k?x-id=PutObject", OpPutObject},
		{"PUT", "/" + b + "/k?madeup=value", OpPutObject},
		{"GET", "/" + b + "/k?response-content-type=text%2Fplain&response-expires=x&versionId=null", OpGetObject},
		{"GET", "/" + b + "/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a&X-Amz-Date=d&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=s&X-Amz-S3session-Token=t", OpGetObject},
		{"PUT", "/" + b + "/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&x-amz-checksum-crc32=", OpPutObject},
		{"GET", "/" + b + "?list-type=2&prefix=&delimiter=%2F&encoding-type=url&max-keys=5&continuation-token=&fetch-owner=true", OpListObjectsV2},
		{"GET", "/" + b + "?uploads&key-marker=&upload-id-marker=&max-uploads=3&prefix=", OpListMultipartUploads},
		{"GET", "/" + b + "/k?uploadId=u&max-parts=2&part-number-marker=1", OpListParts},
		{"DELETE", "/" + b + "/k?x-id=DeleteObject", OpDeleteObject},
		// Listing buckets: general-purpose ListBuckets never shows
		// directory buckets; ListDirectoryBuckets does.
		{"GET", "/", OpListBuckets},
		{"GET", "/?max-buckets=10&bucket-region=us-east-1", OpListBuckets},
		{"GET", "/?x-id=ListDirectoryBuckets&max-directory-buckets=5", OpListDirectoryBuckets},
		{"GET", "/?max-directory-buckets=5", OpListDirectoryBuckets},
		{"GET", "/?X-Amz-Credential=AKIAX%2F20261206%2Fus-east-1%2Fs3express%2Faws4_request&X-Amz-Signature=x", OpListDirectoryBuckets},
		{"GET", "/?X-Amz-Credential=AKIAX%2F20261206%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=x", OpListBuckets},
		// S3 Control paths are not a bucket named v20180820.
		{"PUT", "/v20180820/accesspoint/ap--use1-az4--xa-s3", OpS3Control},
		{"POST", "/v20180820/tags/arn%3Aaws%3As3express%3Aus-east-1%3A000000000000%3Abucket%2Fb--use1-az4--x-s3", OpS3Control},
		{"GET", "/v20180820/accesspointfordirectory", OpS3Control},
		{"DELETE", "/v20180820", OpS3Control},
	}
	for _, c := range cases {
		r := httptest.NewRequest(c.method, c.url, nil)
		r.Host = "127.0.0.1:9000"
		if got := route(r, r.URL.Query()); got.Op != c.op {
			t.Errorf("%s %s: op %s (sub %q), want %s", c.method, c.url, got.Op, got.Sub, c.op)
		}
	}
	// The AWS CLI sends ListDirectoryBuckets as a bare GET / signed for
	// s3express, and ListBuckets as GET / signed for s3.
	for service, want := range map[string]Op{"s3express": OpListDirectoryBuckets, "s3": OpListBuckets} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Host = "127.0.0.1:9000"
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAX/20261206/us-east-1/"+service+
			"/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=00")
		if got := route(r, r.URL.Query()); got.Op != want {
			t.Errorf("GET / signed for %s: op %s, want %s", service, got.Op, want)
		}
	}
}
