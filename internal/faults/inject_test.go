package faults

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// serve starts a server whose handler applies rule's fault and answers
// with size bytes (reading the request body first); h2 serves HTTP/2 over
// TLS.
func serve(t *testing.T, rule Rule, size int, h2 bool) *httptest.Server {
	t.Helper()
	if err := rule.Validate(); err != nil {
		t.Fatal(err)
	}
	if rule.Name == "" {
		rule.Name = "r"
	}
	f := &Fault{Rule: rule.Name, r: &rule}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w, r = f.Wrap(w, r)
		if err := f.Wait(r.Context()); err != nil {
			return
		}
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(size))
		_, _ = io.Copy(w, bytes.NewReader(bytes.Repeat([]byte("x"), size)))
	})
	srv := httptest.NewUnstartedServer(h)
	if h2 {
		srv.EnableHTTP2 = true
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, srv *httptest.Server) (*http.Response, []byte, error) {
	t.Helper()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

func TestResetAfterResponseBytes(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		srv := serve(t, Rule{Name: "cut", Reset: &Reset{AfterResponseBytes: 100 << 10}}, 1<<20, h2)
		resp, body, err := get(t, srv)
		if err == nil {
			t.Fatalf("h2=%v: whole body read (%d bytes)", h2, len(body))
		}
		if resp.Header.Get(Header) != "cut" {
			t.Errorf("h2=%v: %s = %q", h2, Header, resp.Header.Get(Header))
		}
		if len(body) > 100<<10 {
			t.Errorf("h2=%v: %d bytes before the reset, more than 100 KiB", h2, len(body))
		}
		if !h2 && !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("HTTP/1.1: %v, want a connection reset", err)
		}
		if !h2 && len(body) != 100<<10 {
			t.Errorf("HTTP/1.1: %d bytes before the reset, want exactly 100 KiB", len(body))
		}
	}
}

func TestResetAfterRequestBytes(t *testing.T) {
	srv := serve(t, Rule{Reset: &Reset{AfterRequestBytes: 1000}}, 10, false)
	resp, err := srv.Client().Post(srv.URL, "application/octet-stream", strings.NewReader(strings.Repeat("y", 4<<20)))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("upload answered %s", resp.Status)
	}
}

func TestTruncate(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		srv := serve(t, Rule{Truncate: &Truncate{AfterBytes: 5000}}, 20000, h2)
		_, body, err := get(t, srv)
		if !errors.Is(err, io.ErrUnexpectedEOF) && (err == nil || !h2) {
			t.Errorf("h2=%v: %v, want an unexpected EOF", h2, err)
		}
		if len(body) != 5000 {
			t.Errorf("h2=%v: %d bytes, want 5000", h2, len(body))
		}
	}
}

func TestThrottleAndLatency(t *testing.T) {
	srv := serve(t, Rule{Throttle: &Throttle{BytesPerSecond: 100 << 10}}, 30<<10, false)
	start := time.Now()
	if _, body, err := get(t, srv); err != nil || len(body) != 30<<10 {
		t.Fatalf("throttled: %d bytes, %v", len(body), err)
	}
	if d := time.Since(start); d < 250*time.Millisecond || d > 3*time.Second {
		t.Errorf("30 KiB at 100 KiB/s took %v", d)
	}
	srv = serve(t, Rule{Latency: &Latency{First: Duration(200 * time.Millisecond), Body: Duration(200 * time.Millisecond)}}, 1000, false)
	start = time.Now()
	resp, body, err := get(t, srv)
	if err != nil || len(body) != 1000 || resp.Header.Get(Header) != "r" {
		t.Fatalf("latency: %d bytes, %v", len(body), err)
	}
	if d := time.Since(start); d < 400*time.Millisecond {
		t.Errorf("200ms + 200ms of latency took %v", d)
	}
}
