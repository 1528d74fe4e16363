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
	}
	for _, c := range cases {
		r := httptest.NewRequest(c.method, c.url, nil)
		r.Host = c.host
		got := route(r)
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
