package s3api

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/blob"
	blobmem "github.com/zonal-dev/zonal/internal/blob/mem"
	catmem "github.com/zonal-dev/zonal/internal/catalog/mem"
	"github.com/zonal-dev/zonal/internal/sigv4"
	"github.com/zonal-dev/zonal/internal/store"
)

// downBlobs is an in-memory blob store whose reads fail as an unreachable
// remote store's do while down is set.
type downBlobs struct {
	*blobmem.Store
	down atomic.Bool
}

func (d *downBlobs) Open(ctx context.Context, id string) (blob.Reader, error) {
	if d.down.Load() {
		return nil, fmt.Errorf("open %s: %w", id, blob.ErrUnavailable)
	}
	return d.Store.Open(ctx, id)
}

// serverWithBlob is a handler on blobs with a bucket holding one object
// large enough to be a blob (not inline); it returns the object's path
// and body.
func serverWithBlob(t *testing.T, blobs blob.Store) (s *fuzzServer, target string, body []byte) {
	t.Helper()
	s = newTestServer(store.New(catmem.New(), blobs, store.Options{}))
	if code, resp := s.do(http.MethodPut, "/"+fuzzBucket, nil, []byte(fuzzBucketConfig)); code != 200 {
		t.Fatalf("CreateBucket: %d %s", code, resp)
	}
	target = "/" + fuzzBucket + "/big"
	body = bytes.Repeat([]byte("0123456789abcdef"), 8<<10) // 128 KiB: a blob, not inline
	if code, resp := s.do(http.MethodPut, target, crc32Header(body), body); code != 200 {
		t.Fatalf("PUT: %d %s", code, resp)
	}
	return s, target, body
}

// TestGetWithBlobStoreDownIsAPlainError: a GetObject whose blob cannot be
// read is 503 ServiceUnavailable without the object's headers. The SDKs
// check an x-amz-checksum-* header against whatever body comes with it, so
// the object's checksum on the error body turned the 503 into a checksum
// failure; an ETag or Content-Encoding there misleads clients too.
func TestGetWithBlobStoreDownIsAPlainError(t *testing.T) {
	blobs := &downBlobs{Store: blobmem.New()}
	s, target, body := serverWithBlob(t, blobs)
	blobs.down.Store(true)
	for _, q := range []string{"", "?partNumber=1", "?response-content-encoding=gzip"} {
		r := httptest.NewRequest(http.MethodGet, target+q, nil)
		r.Host = "127.0.0.1:9000"
		r.Header.Set("X-Amz-Checksum-Mode", "ENABLED")
		s.signer.Sign(r, sigv4.HashPayload(nil), time.Now())
		w := httptest.NewRecorder()
		s.h.ServeHTTP(w, r)
		if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "<Code>ServiceUnavailable</Code>") {
			t.Errorf("GET%s with the blob store down: %d %s, want 503 ServiceUnavailable", q, w.Code, w.Body)
		}
		for name := range w.Header() {
			switch n := strings.ToLower(name); {
			case strings.HasPrefix(n, "x-amz-checksum"), n == "etag", n == "content-encoding", n == "last-modified",
				n == "x-amz-mp-parts-count", n == "content-range":
				t.Errorf("GET%s error response carries the object's %s: %q", q, name, w.Header().Get(name))
			}
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/xml" {
			t.Errorf("GET%s error response Content-Type %q", q, ct)
		}
	}
	blobs.down.Store(false)
	if code, resp := s.do(http.MethodGet, target, nil, nil); code != 200 || resp != string(body) {
		t.Fatalf("GET once the blob store is back: %d, %d bytes", code, len(resp))
	}
}
