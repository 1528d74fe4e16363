package server

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
)

// TestSendMapped: unencrypted ranges of mapFrom bytes or more go out from
// memory maps, in mapWindow windows, byte for byte; smaller ranges, and all
// of them with Config.Sendfile, go by sendfile. Ranges start and end off
// page boundaries.
func TestSendMapped(t *testing.T) {
	var mapped atomic.Int64
	testHookMapped = func(n int64) { mapped.Add(n) }
	t.Cleanup(func() { testHookMapped = nil })

	const size = mapWindow + mapFrom + 12345
	obj := make([]byte, size)
	for i := range obj {
		obj[i] = byte(i*131 + i>>12)
	}
	for _, sendfile := range []bool{false, true} {
		t.Run(fmt.Sprintf("sendfile=%v", sendfile), func(t *testing.T) {
			endpoint, _ := startCfg(t, Config{PlaintextAtRest: true, Sendfile: sendfile})
			if err := createBucket(context.Background(), s3Client(t, endpoint, testAKID, testSecret, nil), limitsBucket); err != nil {
				t.Fatal(err)
			}
			c := newRawClient(t, endpoint)
			if resp, body := c.do("PUT", "/"+limitsBucket+"/obj", obj, nil); resp.StatusCode != 200 {
				t.Fatalf("PUT: %d %s", resp.StatusCode, body)
			}
			for _, r := range []struct {
				from, to int64 // inclusive; from < 0: no Range header
				mapped   bool
			}{
				{-1, size - 1, true},
				{4097, 4097 + mapFrom, true},         // mapFrom+1 bytes, off page boundaries
				{1, mapFrom - 2, false},              // below mapFrom
				{size - mapFrom - 3, size - 1, true}, // the tail, one window
			} {
				mapped.Store(0)
				h := http.Header{}
				want, status := obj, 200
				if r.from >= 0 {
					h.Set("Range", fmt.Sprintf("bytes=%d-%d", r.from, r.to))
					want, status = obj[r.from:r.to+1], 206
				}
				resp, body := c.do("GET", "/"+limitsBucket+"/obj", nil, h)
				if resp.StatusCode != status || !bytes.Equal(body, want) {
					t.Fatalf("GET %d-%d: %d, %d bytes, equal %v", r.from, r.to, resp.StatusCode, len(body), bytes.Equal(body, want))
				}
				wantMapped := int64(0)
				if r.mapped && !sendfile {
					wantMapped = int64(len(want))
				}
				if got := mapped.Load(); got != wantMapped {
					t.Errorf("GET %d-%d: %d bytes mapped, want %d", r.from, r.to, got, wantMapped)
				}
			}
		})
	}
}
