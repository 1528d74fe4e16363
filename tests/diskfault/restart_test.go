package diskfault

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/tests/internal/zonalproc"
)

// TestRestartOnFullDisk restarts the server on a disk that filled up
// while it was stopped. A writable catalog open must first write out the
// log of the last run, which fails on a full disk; Pebble retried that for
// ever, so the server never served, never exited, and logged about 1,800
// errors a second. Now it starts read-only: reads work, writes get 503,
// /_zonal/ready says why, the log stays quiet, and once space is freed a
// restart brings back writes with every object intact.
func TestRestartOnFullDisk(t *testing.T) {
	mnt := smallDisk(t, 128<<20)
	data := filepath.Join(mnt, "data")
	args := []string{"--access-log=false", "--min-free-disk", "8MiB"}
	const bkt = "restart--use1-az4--x-s3"
	hc := &http.Client{Timeout: 30 * time.Second}
	sg := signer()
	do := func(srv *zonalproc.Server, method, key string, body []byte) (int, string, []byte) {
		t.Helper()
		resp, err := hc.Do(zonalproc.NewRequest(context.Background(), sg, method, srv.Endpoint+"/"+bkt+"/"+key, body))
		if err != nil {
			t.Fatalf("%s %s: %v\nserver log:\n%s", method, key, err, srv.LogTail(20))
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, zonalproc.ErrorCode(b), b
	}
	ready := func(srv *zonalproc.Server) (int, string) {
		t.Helper()
		resp, err := hc.Get(srv.Endpoint + "/_zonal/ready")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(b)
	}
	big := bytes.Repeat([]byte("big."), (1<<20)/4)
	small := bytes.Repeat([]byte("s"), 1000)

	srv := startServer(t, data, args...)
	srv.CreateBucket(t, bkt)
	for k, v := range map[string][]byte{"big": big, "small": small} {
		if st, code, _ := do(srv, "PUT", k, v); st != 200 {
			t.Fatalf("PUT %s: %d %s", k, st, code)
		}
	}
	srv.Stop()
	filler := filepath.Join(mnt, "filler")
	if err := fill(filler); err != nil {
		t.Fatal("filling the disk:", err)
	}

	// Full: the server starts (zonalproc.Start fails the test if it does
	// not serve within 20 s) and serves reads.
	srv = startServer(t, data, args...)
	for k, v := range map[string][]byte{"big": big, "small": small} {
		if st, _, b := do(srv, "GET", k, nil); st != 200 || !bytes.Equal(b, v) {
			t.Errorf("GET %s on the full disk: %d, %d bytes; want the stored object", k, st, len(b))
		}
	}
	if st, body := ready(srv); st != 503 || !strings.Contains(body, "read-only") || !strings.Contains(body, "full") {
		t.Errorf("/_zonal/ready on the full disk: %d %q, want 503 saying it is read-only because the disk is full", st, body)
	}
	for _, w := range []struct{ method, key string }{{"PUT", "small"}, {"PUT", "new"}, {"DELETE", "big"}} {
		var body []byte
		if w.method == "PUT" {
			body = small
		}
		if st, code, _ := do(srv, w.method, w.key, body); st != 503 || code != "ServiceUnavailable" {
			t.Errorf("%s %s on the read-only server: %d %s, want 503 ServiceUnavailable", w.method, w.key, st, code)
		}
	}
	time.Sleep(2 * time.Second)
	if n := strings.Count(srv.Log(), "\n"); n > 20 {
		t.Errorf("%d log lines in the first seconds on a full disk, want a handful:\n%s", n, srv.LogTail(10))
	}
	if !srv.Alive() {
		t.Fatalf("the server died:\n%s", srv.LogTail(20))
	}
	srv.Stop()

	// Space freed: a restart brings back writes, nothing was lost.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	srv = startServer(t, data, args...)
	if st, body := ready(srv); st != 200 {
		t.Errorf("/_zonal/ready after space returned: %d %q", st, body)
	}
	if st, code, _ := do(srv, "PUT", "new", small); st != 200 {
		t.Errorf("PUT after space returned: %d %s", st, code)
	}
	for k, v := range map[string][]byte{"big": big, "small": small, "new": small} {
		if st, _, b := do(srv, "GET", k, nil); st != 200 || !bytes.Equal(b, v) {
			t.Errorf("GET %s after the restart: %d, %d bytes", k, st, len(b))
		}
	}
}
