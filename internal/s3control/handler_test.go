package s3control

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/auth"
	blobmem "github.com/zonal-dev/zonal/internal/blob/mem"
	"github.com/zonal-dev/zonal/internal/catalog"
	catmem "github.com/zonal-dev/zonal/internal/catalog/mem"
	"github.com/zonal-dev/zonal/internal/iam"
	"github.com/zonal-dev/zonal/internal/sigv4"
	"github.com/zonal-dev/zonal/internal/store"
)

const (
	acct   = "000000000000"
	other  = "111111111111"
	bucket = "bkt--use1-az4--x-s3"
)

var now = time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)

type fixture struct {
	h     *Handler
	store *store.Store
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ids := iam.NewStatic()
	ids.AddRoot(acct, "AKROOT", "rootsecret")
	ids.AddRoot(other, "AKOTHER", "othersecret")
	st := store.New(catmem.New(), blobmem.New(), store.Options{})
	for name, owner := range map[string]string{bucket: acct, "theirs--use1-az4--x-s3": other} {
		if err := st.CreateBucket(context.Background(), catalog.Bucket{Name: name, Owner: owner, Region: "us-east-1", Zone: "use1-az4"}); err != nil {
			t.Fatal(err)
		}
	}
	a := auth.New(auth.Config{Region: "us-east-1", Identities: ids, Buckets: st.Catalog(), Now: func() time.Time { return now }})
	n := 0
	h := New(Config{Region: "us-east-1", Store: st, Auth: a, RequestID: func() (string, string) { n++; return fmt.Sprint("REQ", n), "HOST" },
		Now: func() time.Time { return now }})
	return &fixture{h: h, store: st}
}

func arnPath(account, resource string) string {
	return "/v20180820/tags/arn%3Aaws%3As3express%3Aus-east-1%3A" + account + "%3A" + resource
}

// do sends a request signed as the SDK signs it (s3express, the body's
// hash) and returns the response.
func (f *fixture) do(t *testing.T, method, path, account, body string, key ...string) *http.Response {
	t.Helper()
	r := httptest.NewRequest(method, "http://127.0.0.1:9000"+path, strings.NewReader(body))
	r.Host = "127.0.0.1:9000"
	if account != "" {
		r.Header.Set("X-Amz-Account-Id", account)
	}
	ak, sk := "AKROOT", "rootsecret"
	if len(key) == 2 {
		ak, sk = key[0], key[1]
	}
	sum := sha256.Sum256([]byte(body))
	s := &sigv4.Signer{AccessKeyID: ak, SecretAccessKey: sk, Region: "us-east-1", Service: "s3express"}
	s.Sign(r, hex.EncodeToString(sum[:]), now)
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w.Result()
}

// wantError checks a wrapped S3 Control error.
func wantError(t *testing.T, res *http.Response, status int, code string) {
	t.Helper()
	body, _ := io.ReadAll(res.Body)
	var e errorResponse
	if err := xml.Unmarshal(body, &e); err != nil || res.StatusCode != status || e.Code != code || e.RequestID == "" || e.HostID == "" {
		t.Fatalf("got %d %s, want %d %s", res.StatusCode, body, status, code)
	}
}

func tagBody(pairs ...string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><TagResourceRequest xmlns="` + Namespace + `"><Tags>`)
	for i := 0; i+1 < len(pairs); i += 2 {
		fmt.Fprintf(&b, "<Tag><Key>%s</Key><Value>%s</Value></Tag>", pairs[i], pairs[i+1])
	}
	b.WriteString("</Tags></TagResourceRequest>")
	return b.String()
}

func (f *fixture) tags(t *testing.T) map[string]string {
	t.Helper()
	b, err := f.store.Bucket(context.Background(), bucket)
	if err != nil {
		t.Fatal(err)
	}
	return b.Tags
}

func TestTagUntagList(t *testing.T) {
	f := newFixture(t)
	path := arnPath(acct, "bucket/"+bucket)
	if res := f.do(t, "POST", path, acct, tagBody("team", "data", "cost center", "")); res.StatusCode != http.StatusNoContent {
		t.Fatalf("TagResource: %d", res.StatusCode)
	}
	res := f.do(t, "GET", path, acct, "")
	body, _ := io.ReadAll(res.Body)
	want := `<ListTagsForResourceResult xmlns="` + Namespace + `"><Tags><Tag><Key>cost center</Key><Value></Value></Tag><Tag><Key>team</Key><Value>data</Value></Tag></Tags></ListTagsForResourceResult>`
	if res.StatusCode != 200 || !strings.HasSuffix(string(body), want) {
		t.Fatalf("ListTagsForResource: %d %s", res.StatusCode, body)
	}
	if res := f.do(t, "DELETE", path+"?tagKeys=cost%20center&tagKeys=absent", acct, ""); res.StatusCode != http.StatusNoContent {
		t.Fatalf("UntagResource: %d", res.StatusCode)
	}
	if got := f.tags(t); !maps.Equal(got, map[string]string{"team": "data"}) {
		t.Fatalf("tags = %v", got)
	}
}

// TestRefusals: each bad request answers its code and changes nothing.
func TestRefusals(t *testing.T) {
	f := newFixture(t)
	path := arnPath(acct, "bucket/"+bucket)
	if res := f.do(t, "POST", path, acct, tagBody("keep", "me")); res.StatusCode != http.StatusNoContent {
		t.Fatalf("TagResource: %d", res.StatusCode)
	}
	many := make([]string, 0, 102)
	for i := range 51 {
		many = append(many, fmt.Sprint("k", i), "v")
	}
	fifty := make([]string, 0, 100)
	for i := range 50 {
		fifty = append(fifty, fmt.Sprint("n", i), "v")
	}
	cases := []struct {
		name, method, path, account, body string
		status                            int
		code                              string
	}{
		{"aws: prefix", "POST", path, acct, tagBody("aws:x", "v"), 400, "InvalidTag"},
		{"long key", "POST", path, acct, tagBody(strings.Repeat("k", 129), "v"), 400, "InvalidTag"},
		{"long value", "POST", path, acct, tagBody("k", strings.Repeat("v", 257)), 400, "InvalidTag"},
		{"bad character", "POST", path, acct, tagBody("a*b", "v"), 400, "InvalidTag"},
		{"duplicate", "POST", path, acct, tagBody("k", "1", "k", "2"), 400, "InvalidTag"},
		{"51 in one request", "POST", path, acct, tagBody(many...), 400, "TooManyTagsException"},
		{"51 with the existing one", "POST", path, acct, tagBody(fifty...), 400, "TooManyTagsException"},
		{"no tags", "POST", path, acct, tagBody(), 400, "InvalidRequest"},
		{"not XML", "POST", path, acct, "<TagResourceRequest><Tags>", 400, "MalformedXML"},
		{"trailing junk", "POST", path, acct, tagBody("a", "b") + "<x/>", 400, "MalformedXML"},
		{"no account header", "POST", path, "", tagBody("a", "b"), 400, "InvalidRequest"},
		{"another account's header", "POST", arnPath(other, "bucket/"+bucket), other, tagBody("a", "b"), 403, "AccessDenied"},
		{"ARN of another account", "POST", arnPath(other, "bucket/"+bucket), acct, tagBody("a", "b"), 400, "InvalidRequest"},
		{"malformed ARN", "POST", "/v20180820/tags/arn%3Aaws%3As3%3A%3A%3Abucket", acct, tagBody("a", "b"), 400, "InvalidRequest"},
		{"missing bucket", "POST", arnPath(acct, "bucket/none--use1-az4--x-s3"), acct, tagBody("a", "b"), 404, "NoSuchBucket"},
		{"other region", "POST", strings.Replace(arnPath(acct, "bucket/"+bucket), "us-east-1", "us-west-2", 1), acct, tagBody("a", "b"), 404, "NoSuchBucket"},
		{"access point", "POST", arnPath(acct, "accesspoint/ap1--use1-az4--xa-s3"), acct, tagBody("a", "b"), 404, "NoSuchAccessPoint"},
		{"untag without keys", "DELETE", path, acct, "", 400, "InvalidRequest"},
		{"PUT on tags", "PUT", path, acct, "", 405, "MethodNotAllowed"},
		{"not served yet", "GET", "/v20180820/jobs", acct, "", 501, "NotImplemented"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, f.do(t, tc.method, tc.path, tc.account, tc.body), tc.status, tc.code)
			if got := f.tags(t); !maps.Equal(got, map[string]string{"keep": "me"}) {
				t.Fatalf("tags changed to %v", got)
			}
		})
	}
	// Another account's bucket is not found through its own ARN by us,
	// and its owner cannot reach ours.
	wantError(t, f.do(t, "GET", arnPath(acct, "bucket/theirs--use1-az4--x-s3"), acct, ""), 404, "NoSuchBucket")
	wantError(t, f.do(t, "GET", path, other, "", "AKOTHER", "othersecret"), 400, "InvalidRequest")
	// An unsigned or badly signed request learns nothing.
	r := httptest.NewRequest("GET", "http://127.0.0.1:9000/v20180820/accesspoint/x", nil)
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	wantError(t, w.Result(), 403, "AccessDenied")
	wantError(t, f.do(t, "GET", path, acct, "", "AKROOT", "wrong"), 403, "SignatureDoesNotMatch")
}

// TestSessionTokenRefused: S3 Control takes long-term keys only.
func TestSessionTokenRefused(t *testing.T) {
	f := newFixture(t)
	r := httptest.NewRequest("GET", "http://127.0.0.1:9000"+arnPath(acct, "bucket/"+bucket), nil)
	r.Header.Set("X-Amz-Account-Id", acct)
	s := &sigv4.Signer{AccessKeyID: "AKROOT", SecretAccessKey: "rootsecret", Region: "us-east-1", Service: "s3express", SessionToken: "tok"}
	s.Sign(r, sigv4.UnsignedPayload, now)
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	wantError(t, w.Result(), 400, "InvalidRequest")
}
