package s3api

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/blob"
	blobmem "github.com/zonal-dev/zonal/internal/blob/mem"
	catmem "github.com/zonal-dev/zonal/internal/catalog/mem"
	"github.com/zonal-dev/zonal/internal/iam"
	"github.com/zonal-dev/zonal/internal/session"
	"github.com/zonal-dev/zonal/internal/sigv4"
	"github.com/zonal-dev/zonal/internal/store"
)

// cancelingBlobs fails every Open with context.Canceled, first calling
// leave (the client hanging up) when it is set.
type cancelingBlobs struct {
	*blobmem.Store
	fail  bool
	leave func()
}

func (c *cancelingBlobs) Open(ctx context.Context, id string) (blob.Reader, error) {
	if !c.fail {
		return c.Store.Open(ctx, id)
	}
	if c.leave != nil {
		c.leave()
	}
	return nil, fmt.Errorf("open %s: %w", id, context.Canceled)
}

// TestClientThatLeftIsNot500: a call that fails because the client hung up
// (its request context canceled) is logged and counted as 499
// ClientClosedRequest, not as a 500 that says the server failed; the same
// error while the client is still there stays a 500.
func TestClientThatLeftIsNot500(t *testing.T) {
	ids := iam.NewStatic()
	ids.AddRoot(fuzzAccount, fuzzAK, fuzzSK)
	blobs := &cancelingBlobs{Store: blobmem.New()}
	s := &fuzzServer{
		h: New(Config{Region: "us-east-1", Store: store.New(catmem.New(), blobs, store.Options{}), Identities: ids,
			Sessions: session.NewMemRing(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}),
		signer: &sigv4.Signer{AccessKeyID: fuzzAK, SecretAccessKey: fuzzSK, Region: "us-east-1", Service: "s3express"},
	}
	if code, body := s.do(http.MethodPut, "/"+fuzzBucket, nil, []byte(fuzzBucketConfig)); code != 200 {
		t.Fatalf("CreateBucket: %d %s", code, body)
	}
	target := "/" + fuzzBucket + "/big"
	body := bytes.Repeat([]byte("x"), 128<<10) // a blob, not inline
	if code, resp := s.do(http.MethodPut, target, crc32Header(body), body); code != 200 {
		t.Fatalf("PUT: %d %s", code, resp)
	}
	blobs.fail = true
	get := func(ctx context.Context) int {
		r := httptest.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		r.Host = "127.0.0.1:9000"
		s.signer.Sign(r, sigv4.HashPayload(nil), time.Now())
		w := httptest.NewRecorder()
		s.h.ServeHTTP(w, r)
		return w.Code
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	blobs.leave = cancel
	if code := get(ctx); code != 499 {
		t.Errorf("GET whose client left: %d, want 499", code)
	}
	blobs.leave = nil
	if code := get(context.Background()); code != http.StatusInternalServerError {
		t.Errorf("GET failing with a canceled context of its own while the client waits: %d, want 500", code)
	}
}
