package s3api

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/blob"
	blobmem "github.com/zonal-dev/zonal/internal/blob/mem"
	"github.com/zonal-dev/zonal/internal/sigv4"
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
	blobs := &cancelingBlobs{Store: blobmem.New()}
	s, target, _ := serverWithBlob(t, blobs)
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
