package s3api

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestScopeService(t *testing.T) {
	for _, tc := range []struct{ auth, query, want string }{
		{"AWS4-HMAC-SHA256 Credential=AKIA/20250101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=ab", "", "iam"},
		{"AWS4-HMAC-SHA256 Credential=AKIA/20250101/eu-west-1/sts/aws4_request,SignedHeaders=host,Signature=ab", "", "sts"},
		{"AWS4-HMAC-SHA256 Credential=AKIA/20250101/us-east-1/s3express/aws4_request, SignedHeaders=host, Signature=ab", "", "s3express"},
		{"AWS4-HMAC-SHA256 SignedHeaders=host", "", ""},
		{"", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20250101%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=x", "sts"},
		{"", "prefix=X-Amz-Credential=AKIA%2F20250101%2Fus-east-1%2Fiam%2Faws4_request", ""},
		{"", "list-type=2", ""},
	} {
		r := httptest.NewRequest("GET", "http://h/?"+tc.query, nil)
		if tc.auth != "" {
			r.Header.Set("Authorization", tc.auth)
		}
		if got := ServiceOf(r); got != tc.want {
			t.Errorf("ServiceOf(%q, %q) = %q, want %q", tc.auth, tc.query, got, tc.want)
		}
	}
}

// TestHostBucket pins the virtual-hosted rule the admin split shares with
// routing: the first label, port aside, ending in --x-s3 (or --xa-s3, an
// access point's).
func TestHostBucket(t *testing.T) {
	for host, want := range map[string]string{
		"b--use1-az4--x-s3.localhost:9000": "b--use1-az4--x-s3",
		"b--use1-az4--x-s3.s3.localhost":   "b--use1-az4--x-s3",
		"b--use1-az4--x-s3.:9000":          "b--use1-az4--x-s3",
		"b--use1-az4--x-s3:9000":           "",
		"b--use1-az4--x-s3":                "",
		"localhost:9000":                   "",
		"127.0.0.1:9000":                   "",
		"[::1]:9000":                       "",
		"s3.b--use1-az4--x-s3.localhost":   "",
		"ap1--use1-az4--xa-s3.localhost":   "ap1--use1-az4--xa-s3",
	} {
		got, ok := HostBucket(host)
		if got != want || ok != (want != "") {
			t.Errorf("HostBucket(%q) = %q, %v; want %q", host, got, ok, want)
		}
	}
}

// TestClassifyOnce: the Request a handler reads is the one in the context,
// and the SigV4 claims are parsed once however often they are asked for.
func TestClassifyOnce(t *testing.T) {
	r := httptest.NewRequest("PUT", "/b--use1-az4--x-s3/k?partNumber=1&uploadId=u", strings.NewReader("x"))
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIA/20250101/us-east-1/s3express/aws4_request, SignedHeaders=host;x-amz-date, Signature=ab")
	r.Header.Set("X-Amz-Date", "20250101T000000Z")
	r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	q := &Request{}
	Classify(q, r)
	r = r.WithContext(WithRequest(r.Context(), q))
	if c := Classified(r); c != q || c.Op != OpUploadPart || c.Bucket != "b--use1-az4--x-s3" || c.Key != "k" ||
		c.Service != "s3express" || c.Query.Get("uploadId") != "u" {
		t.Fatalf("classified %+v", c)
	}
	a1, err1 := SigV4Of(r)
	a2, err2 := SigV4Of(r)
	if err1 != nil || err2 != nil || a1 == nil || a1 != a2 {
		t.Fatalf("claims %p %v, %p %v: want one parse", a1, err1, a2, err2)
	}
	if InfoFrom(r.Context()) != &q.Info {
		t.Fatal("Info does not travel in the Request")
	}
}
