package server

// Each request wrapper of middleware.go, alone around a stub handler. The
// whole chain is tested through real servers in limits_test.go,
// observe_test.go and diskguard_test.go.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/s3api"
)

// bareServer opens a server (storage, metrics, S3 API) that serves
// nothing, for wrappers to be called on directly; logs go to the returned
// buffer.
func bareServer(t *testing.T, lim Limits) (*Server, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	srv, err := Open(Config{Data: t.TempDir(), RootAccessKey: testAKID, RootSecretKey: testSecret, Limits: lim,
		Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	return srv, logs
}

// stub answers with its name and counts its calls.
type stub struct {
	name  string
	mu    sync.Mutex
	calls int
}

func (h *stub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.calls++
	h.mu.Unlock()
	io.WriteString(w, h.name)
}

func serve(h http.Handler, method, host, target string, body io.Reader) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, body)
	if host != "" {
		r.Host = host
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestAdminSplitWrapper(t *testing.T) {
	admin, api := &stub{name: "admin"}, &stub{name: "api"}
	h := adminSplit(admin)(api)
	for _, tc := range []struct{ host, path, want string }{
		{"127.0.0.1:9000", "/_zonal/health", "admin"},
		{"s3.localhost", "/_zonal/anything", "admin"},
		{"127.0.0.1:9000", "/_zonal", "api"},
		{"127.0.0.1:9000", "/bucket--use1-az4--x-s3/_zonal/k", "api"},
		// Virtual-hosted: /_zonal/... is a key of the bucket.
		{"b--use1-az4--x-s3.s3.localhost", "/_zonal/health", "api"},
	} {
		if got := serve(h, "GET", tc.host, tc.path, nil).Body.String(); got != tc.want {
			t.Errorf("%s%s went to %s, want %s", tc.host, tc.path, got, tc.want)
		}
	}
}

func TestAdmitDiskWrapper(t *testing.T) {
	srv, _ := bareServer(t, Limits{MinFreeDisk: 1 << 20})
	var pending int64
	h := srv.admitDisk(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pending = srv.disk.pending.Load()
		io.WriteString(w, "api")
	}))
	put := func() *httptest.ResponseRecorder {
		return serve(h, "PUT", "", "/bucket--use1-az4--x-s3/k", strings.NewReader("12345"))
	}
	// Room: the upload runs with its declared size reserved, released after.
	if w := put(); w.Code != 200 || pending != 5 || srv.disk.pending.Load() != 0 {
		t.Fatalf("PUT with room: %d %q, pending %d during, %d after", w.Code, w.Body, pending, srv.disk.pending.Load())
	}
	// Under the reserve: uploads are refused before the handler, reads pass.
	srv.disk.min.Store(srv.disk.free.Load() + 1)
	pending = -1
	if w := put(); w.Code != 503 || !strings.Contains(w.Body.String(), "<Code>ServiceUnavailable</Code>") || pending != -1 {
		t.Fatalf("PUT under the reserve: %d %s", w.Code, w.Body)
	}
	if w := serve(h, "GET", "", "/bucket--use1-az4--x-s3/k", nil); w.Code != 200 {
		t.Fatalf("GET under the reserve: %d", w.Code)
	}
}

func TestCapInflightWrapper(t *testing.T) {
	srv, _ := bareServer(t, Limits{MaxInflight: 1})
	entered, release := make(chan struct{}), make(chan struct{})
	h := srv.capInflight(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "PUT" {
			close(entered)
			<-release
		}
		io.WriteString(w, "api")
	}))
	done := make(chan int)
	go func() { done <- serve(h, "PUT", "", "/bucket--use1-az4--x-s3/slow", strings.NewReader("x")).Code }()
	<-entered
	w := serve(h, "GET", "", "/bucket--use1-az4--x-s3/k", nil)
	if w.Code != 503 || !strings.Contains(w.Body.String(), "<Code>SlowDown</Code>") {
		t.Fatalf("second request over a cap of 1: %d %s", w.Code, w.Body)
	}
	close(release)
	if code := <-done; code != 200 {
		t.Fatalf("first request: %d", code)
	}
	if n := srv.admission.inflight.Load(); n != 0 {
		t.Fatalf("in flight after both: %d", n)
	}
	if w := serve(h, "GET", "", "/bucket--use1-az4--x-s3/k", nil); w.Code != 200 {
		t.Fatalf("request after the slot freed: %d", w.Code)
	}
}

func TestObserveWrapper(t *testing.T) {
	srv, logs := bareServer(t, DefaultLimits())
	h := srv.observe(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := s3api.InfoFrom(r.Context())
		if info == nil {
			t.Error("no Info in the handler's context")
			return
		}
		info.Op, info.RequestID, info.Bucket, info.Key = "PutObject", "req-1", "b--use1-az4--x-s3", "k"
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(201)
		io.WriteString(w, "done")
	}))
	serve(h, "PUT", "", "/b--use1-az4--x-s3/k?x-id=PutObject", strings.NewReader("1234567"))
	line := logs.String()
	for _, want := range []string{`"msg":"request"`, `"request_id":"req-1"`, `"op":"PutObject"`, `"bucket":"b--use1-az4--x-s3"`,
		`"key":"k"`, `"status":201`, `"bytes_in":7`, `"bytes_out":4`} {
		if !strings.Contains(line, want) {
			t.Errorf("access log lacks %s: %s", want, line)
		}
	}
	_, text := scrapeHandler(t, srv)
	if v, _ := metricValue(text, `zonal_requests_in_flight`); v != "0" {
		t.Errorf("in-flight gauge after the request: %q", v)
	}
	if v, _ := metricValue(text, `zonal_requests_total{op="PutObject",status="201"}`); v != "1" {
		t.Errorf("requests counted: %q", v)
	}

	// A response cut with http.ErrAbortHandler is still counted and logged,
	// and the panic goes on to net/http.
	abort := srv.observe(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s3api.InfoFrom(r.Context()).RequestID = "req-abort"
		panic(http.ErrAbortHandler)
	}))
	func() {
		defer func() {
			if p := recover(); p != http.ErrAbortHandler {
				t.Errorf("panic %v, want http.ErrAbortHandler", p)
			}
		}()
		serve(abort, "GET", "", "/b--use1-az4--x-s3/k", nil)
	}()
	if !strings.Contains(logs.String(), `"request_id":"req-abort"`) {
		t.Errorf("no access-log line for the aborted request: %s", logs.String())
	}
}

// scrapeHandler reads the server's metrics text.
func scrapeHandler(t *testing.T, srv *Server) (int, string) {
	w := serve(srv.metrics.Handler(), "GET", "", MetricsPath, nil)
	return w.Code, w.Body.String()
}

func TestRecoverPanicWrapper(t *testing.T) {
	srv, logs := bareServer(t, DefaultLimits())
	h := srv.recoverPanic(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/late" {
			w.WriteHeader(200)
			io.WriteString(w, "partial")
		}
		panic("boom")
	}))
	w := serve(h, "GET", "", "/b--use1-az4--x-s3/k", nil)
	if w.Code != 500 || !strings.Contains(w.Body.String(), "<Code>InternalError</Code>") {
		t.Fatalf("panic before any response: %d %s", w.Code, w.Body)
	}
	if !strings.Contains(logs.String(), `"msg":"panic serving request","panic":"boom"`) {
		t.Fatalf("panic not logged: %s", logs.String())
	}
	// A response already started is left as it is (net/http ends it).
	if w := serve(h, "GET", "", "/late", nil); w.Code != 200 || w.Body.String() != "partial" {
		t.Fatalf("panic after the response started: %d %q", w.Code, w.Body)
	}
	abort := srv.recoverPanic(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }))
	defer func() {
		if p := recover(); p != http.ErrAbortHandler {
			t.Errorf("http.ErrAbortHandler not passed on: %v", p)
		}
	}()
	serve(abort, "GET", "", "/b--use1-az4--x-s3/k", nil)
}

func TestWithDeadlinesWrapper(t *testing.T) {
	// All limits off: nothing to wrap.
	off, _ := bareServer(t, Limits{MaxInflight: 1})
	next := &stub{name: "api"}
	if h := off.withDeadlines(next); h != http.Handler(next) {
		t.Fatalf("withDeadlines with no deadline wrapped the handler: %T", h)
	}

	srv, _ := bareServer(t, Limits{BodyIdleTimeout: 300 * time.Millisecond, WriteIdleTimeout: time.Second})
	got := make(chan error, 1)
	ts := httptest.NewServer(srv.withDeadlines(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		got <- err
		if err != nil {
			w.WriteHeader(400)
			return
		}
		w.Write(bytes.Repeat([]byte("x"), int(n)))
	})))
	defer ts.Close()

	// An honest body passes and is echoed.
	resp, err := http.Post(ts.URL+"/k", "", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err := <-got; err != nil || string(b) != "xxxxx" {
		t.Fatalf("honest body: %v %q", err, b)
	}

	// A body that stalls fails with RequestTimeout after about the idle time.
	pr, pw := io.Pipe()
	defer pw.Close()
	go pw.Write([]byte("first bytes"))
	req, _ := http.NewRequest("PUT", ts.URL+"/k", pr)
	req.ContentLength = 1000
	t0 := time.Now()
	go func() {
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	select {
	case err := <-got:
		if err == nil || !strings.Contains(err.Error(), "RequestTimeout") && !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("stalled body read: %v", err)
		}
		if el := time.Since(t0); el > 3*time.Second {
			t.Fatalf("stalled body failed after %v", el)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a stalled body was not cut")
	}
}
