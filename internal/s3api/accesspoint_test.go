package s3api

import (
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// TestCheckScope: which operations and keys a scope lets through.
func TestCheckScope(t *testing.T) {
	rw := &catalog.Scope{Permissions: []string{"GetObject", "PutObject", "ListBucket"}, Prefixes: []string{"a/", "logs*"}}
	moves := &catalog.Scope{Permissions: []string{"PutObject", "DeleteObject"}, Prefixes: []string{"a/"}}
	cases := []struct {
		name   string
		scope  *catalog.Scope
		op     Op
		key    string
		query  string
		rename string
		ok     bool
	}{
		{"no scope", nil, OpDeleteObject, "x", "", "", true},
		{"get inside", rw, OpGetObject, "a/k", "", "", true},
		{"head needs GetObject", rw, OpHeadObject, "a/k", "", "", true},
		{"get outside", rw, OpGetObject, "b/k", "", "", false},
		{"trailing star", rw, OpPutObject, "logs/2026", "", "", true},
		{"multipart write", rw, OpUploadPart, "a/k", "", "", true},
		{"delete not permitted", rw, OpDeleteObject, "a/k", "", "", false},
		{"attributes not permitted", rw, OpGetObjectAttributes, "a/k", "", "", false},
		{"list inside", rw, OpListObjectsV2, "", "prefix=a/", "", true},
		{"list the bucket", rw, OpListObjectsV2, "", "", "", false},
		{"list uploads not permitted", rw, OpListMultipartUploads, "", "prefix=a/", "", false},
		{"session", rw, OpCreateSession, "", "", "", true},
		{"head bucket", rw, OpHeadBucket, "", "", "", true},
		{"rename without DeleteObject", rw, OpRenameObject, "a/n", "", "a/o", false},
		{"rename inside", moves, OpRenameObject, "a/n", "", "a/o", true},
		{"rename from outside", moves, OpRenameObject, "a/n", "", "/b/o", false},
		{"permissions only", &catalog.Scope{Permissions: []string{"DeleteObject"}}, OpDeleteObject, "any", "", "", true},
		{"prefixes only", &catalog.Scope{Prefixes: []string{"a/"}}, OpAbortMultipartUpload, "a/k", "", "", true},
	}
	for _, tc := range cases {
		q, _ := url.ParseQuery(tc.query)
		r := httptest.NewRequest("PUT", "/b--use1-az4--x-s3/"+tc.key, nil)
		if tc.rename != "" {
			r.Header.Set("X-Amz-Rename-Source", tc.rename)
		}
		err := checkScope(tc.scope, target{Bucket: "b--use1-az4--x-s3", Key: tc.key, Op: tc.op, Query: q}, r)
		if (err == nil) != tc.ok {
			t.Errorf("%s: checkScope = %v, want allowed %v", tc.name, err, tc.ok)
		}
	}
}
