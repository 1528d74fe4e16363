// Package e2e holds the end-to-end test suite of zonal: it builds the real
// binary, starts it as a child process on a loopback port and drives it with
// the stock aws-sdk-go-v2 S3 client (plus hand-signed raw requests where the
// SDK would not send the thing under test).
//
// Run with plain `go test ./tests/...`. With ZONAL_E2E_TLS=1 every server
// runs with --tls-self-signed and the clients reach it over HTTPS (HTTP/2),
// trusting the certificate through SSL_CERT_FILE as a user would trust a
// CA: the Go SDK then sends PutObject/UploadPart as aws-chunked with trailers.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

const (
	rootAccessKey = "AKIAZONALTEST000001"
	rootSecretKey = "zonalTestSecretKey0000000000000000000001" // 40 chars
	testRegion    = "us-east-1"
	testAccountID = "000000000000"
	testAZ        = "use1-az4"
)

var (
	// zonalBin is the server binary built once per test process.
	zonalBin string
	// shared is the server that ordinary tests share (each test uses its own buckets).
	shared *zonalServer
	// workDir is the temporary directory of this test process.
	workDir string
	// tlsMode (ZONAL_E2E_TLS=1) runs every server over HTTPS with one
	// self-signed certificate, which caFile holds and SSL_CERT_FILE names.
	tlsMode bool
	caFile  string
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	var err error
	workDir, err = os.MkdirTemp("", "zonal-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: temp dir:", err)
		return 1
	}
	defer os.RemoveAll(workDir)

	tlsMode = os.Getenv("ZONAL_E2E_TLS") == "1"
	if err := sanitizeEnv(workDir); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: env:", err)
		return 1
	}
	if tlsMode {
		// Go reads SSL_CERT_FILE when it first verifies a certificate with
		// the system roots, which happens after the shared server has
		// generated the certificate copied here.
		caFile = filepath.Join(workDir, "ca.pem")
		os.Setenv("SSL_CERT_FILE", caFile)
		os.Setenv("SSL_CERT_DIR", filepath.Join(workDir, "no-certs"))
	}

	zonalBin = filepath.Join(workDir, "zonal")
	if out, err := buildZonal(zonalBin); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: FAIL: cannot build ./cmd/zonal: %v\n%s\n", err, out)
		return 1
	}

	shared, err = launchServer(serverOpts{Name: "shared"})
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: FAIL: cannot start the shared zonal server: %v\n", err)
		return 1
	}
	if tlsMode {
		if err := copyFile(filepath.Join(shared.DataDir, "tls", "cert.pem"), caFile, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: FAIL: self-signed certificate:", err)
			return 1
		}
		fmt.Fprintln(os.Stderr, "e2e: TLS mode: servers use --tls-self-signed; clients trust", caFile)
	}
	code := m.Run()
	if err := shared.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: stopping shared server:", err)
	}
	if code != 0 {
		fmt.Fprintf(os.Stderr, "---- shared server log (tail) ----\n%s\n", shared.LogTail(80))
	}
	return code
}

// sanitizeEnv removes AWS and zonal settings from the environment that would
// change how the SDK loads its configuration or how the server starts.
func sanitizeEnv(dir string) error {
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "AWS_"), strings.HasPrefix(k, "ZONAL_"):
			os.Unsetenv(k)
		}
	}
	empty := filepath.Join(dir, "empty-aws-config")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		return err
	}
	os.Setenv("AWS_CONFIG_FILE", empty)
	os.Setenv("AWS_SHARED_CREDENTIALS_FILE", empty)
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return nil
}

func buildZonal(out string) ([]byte, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	cmd := exec.Command(goBin, "build", "-o", out, "github.com/zonal-dev/zonal/cmd/zonal")
	return cmd.CombinedOutput()
}

// serverOpts are the knobs a test may set on its own server.
type serverOpts struct {
	Name       string   // used in the data dir name and log markers
	SessionTTL string   // --session-ttl, e.g. "2s"; empty = server default
	ExtraArgs  []string // more flags
}

// zonalServer is one zonal child process (and its restarts on the same data dir).
type zonalServer struct {
	Opts      serverOpts
	Addr      string // 127.0.0.1:port
	Endpoint  string // http://127.0.0.1:port
	DataDir   string
	AccessKey string
	SecretKey string
	LogPath   string

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{} // closed when cmd has exited
	starts  int
	logFile *os.File
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randHex(n int) string {
	b := make([]byte, (n+1)/2)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)[:n]
}

// launchServer creates a data dir and starts a server on a free port.
func launchServer(opts serverOpts) (*zonalServer, error) {
	if opts.Name == "" {
		opts.Name = "srv"
	}
	base, err := os.MkdirTemp(workDir, "srv-"+sanitizeName(opts.Name)+"-")
	if err != nil {
		return nil, err
	}
	s := &zonalServer{
		Opts:      opts,
		DataDir:   filepath.Join(base, "data"),
		AccessKey: rootAccessKey,
		SecretKey: rootSecretKey,
		LogPath:   filepath.Join(base, "zonal.log"),
	}
	if err := os.MkdirAll(s.DataDir, 0o755); err != nil {
		return nil, err
	}
	if tlsMode && shared != nil {
		// Every server reuses the shared server's certificate (zonal keeps
		// one it finds in <data>/tls/), so one trusted file covers them all.
		for _, f := range []string{"cert.pem", "key.pem"} {
			if err := copyFile(filepath.Join(shared.DataDir, "tls", f), filepath.Join(s.DataDir, "tls", f), 0o600); err != nil {
				return nil, err
			}
		}
	}
	s.logFile, err = os.OpenFile(s.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s.Addr = fmt.Sprintf("127.0.0.1:%d", port)
		s.Endpoint = "http://" + s.Addr
		if tlsMode {
			s.Endpoint = "https://" + s.Addr
		}
		if lastErr = s.start(); lastErr == nil {
			return s, nil
		}
		if !strings.Contains(s.LogTail(20), "address already in use") {
			break
		}
	}
	return nil, lastErr
}

func (s *zonalServer) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.starts++
	fmt.Fprintf(s.logFile, "\n===== e2e: start #%d of %q on %s at %s =====\n", s.starts, s.Opts.Name, s.Addr, time.Now().Format(time.RFC3339Nano))
	args := []string{"server", "--addr", s.Addr, "--data", s.DataDir, "--region", testRegion}
	if s.Opts.SessionTTL != "" {
		args = append(args, "--session-ttl", s.Opts.SessionTTL)
	}
	if tlsMode {
		args = append(args, "--tls-self-signed")
	}
	args = append(args, s.Opts.ExtraArgs...)
	cmd := exec.Command(zonalBin, args...)
	cmd.Env = append(os.Environ(),
		"ZONAL_ROOT_ACCESS_KEY="+s.AccessKey,
		"ZONAL_ROOT_SECRET_KEY="+s.SecretKey,
	)
	cmd.Stdout = s.logFile
	cmd.Stderr = s.logFile
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", zonalBin, err)
	}
	done := make(chan struct{})
	go func() {
		err := cmd.Wait()
		fmt.Fprintf(s.logFile, "===== e2e: process %d exited: %v =====\n", cmd.Process.Pid, err)
		close(done)
	}()
	s.cmd, s.done = cmd, done

	// Wait for /_zonal/health.
	hc := &http.Client{Timeout: time.Second, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-done:
			return fmt.Errorf("zonal exited during startup; log tail:\n%s", s.logTailLocked(40))
		default:
		}
		if tlsMode {
			hc = s.healthClient()
		}
		resp, err := hc.Get(s.Endpoint + "/_zonal/health")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			s.killLocked()
			return fmt.Errorf("zonal did not answer 200 on /_zonal/health within 10s (last: %v); log tail:\n%s", errOrStatus(resp, err), s.logTailLocked(40))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// healthClient trusts the server's own certificate file (TLS mode), read
// anew each time: the server writes it during start-up.
func (s *zonalServer) healthClient() *http.Client {
	cfg := &tls.Config{}
	if pem, err := os.ReadFile(filepath.Join(s.DataDir, "tls", "cert.pem")); err == nil {
		cfg.RootCAs = x509.NewCertPool()
		cfg.RootCAs.AppendCertsFromPEM(pem)
	} else {
		cfg.RootCAs = x509.NewCertPool() // not written yet: fail this attempt
	}
	return &http.Client{Timeout: time.Second, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true, TLSClientConfig: cfg}}
}

func copyFile(from, to string, perm os.FileMode) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
		return err
	}
	return os.WriteFile(to, data, perm)
}

// TestTLSTransport (TLS mode only) checks what the TLS run is for: the
// stock clients reach zonal over HTTP/2 and the Go SDK uploads with
// aws-chunked and a trailing checksum.
func TestTLSTransport(t *testing.T) {
	if !tlsMode {
		t.Skip("ZONAL_E2E_TLS is not 1")
	}
	var needles []string
	srv := sharedServer(t, &needles)
	resp, err := rawHTTP.Get(srv.Endpoint + "/_zonal/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ProtoMajor != 2 || resp.TLS == nil {
		t.Errorf("health over %s (TLS %v), want HTTP/2 over TLS", resp.Proto, resp.TLS != nil)
	}
	c, w := newClient(t, srv)
	bucket := mustCreateBucket(t, c, "tls-transport")
	needles = append(needles, bucket)
	body := bytes.Repeat([]byte("tls "), 50_000)
	put0 := mustPut(t, c, bucket, "chunked", body)
	// The checksum travelled in the trailer; the response echoes it.
	if got := aws.ToString(put0.ChecksumCRC32); got != crc32B64(body) {
		t.Errorf("PutObject response x-amz-checksum-crc32 %q, want %q", got, crc32B64(body))
	}
	if got, _ := mustGetBytes(t, c, bucket, "chunked"); !bytes.Equal(got, body) {
		t.Fatalf("read back %d bytes, want %d", len(got), len(body))
	}
	var put *wireEntry
	for _, e := range w.Entries() {
		if e.Method == http.MethodPut && strings.HasSuffix(e.Path, "/chunked") {
			put = &e
		}
	}
	if put == nil {
		t.Fatalf("no PutObject on the wire:\n%s", w.Dump())
	}
	if h := put.ReqHeader.Get("X-Amz-Content-Sha256"); h != "STREAMING-UNSIGNED-PAYLOAD-TRAILER" ||
		!strings.Contains(put.ReqHeader.Get("Content-Encoding"), "aws-chunked") || put.ReqHeader.Get("X-Amz-Trailer") == "" {
		t.Errorf("PutObject over TLS: x-amz-content-sha256 %q, content-encoding %q, x-amz-trailer %q; want aws-chunked with a trailer",
			h, put.ReqHeader.Get("Content-Encoding"), put.ReqHeader.Get("X-Amz-Trailer"))
	}
}

func errOrStatus(resp *http.Response, err error) string {
	if err != nil {
		return err.Error()
	}
	return resp.Status
}

// Pid returns the process id of the running server (0 if none).
func (s *zonalServer) Pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Stop sends SIGTERM and waits up to 10 s, then SIGKILL.
func (s *zonalServer) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return nil
	}
	select {
	case <-s.done:
		s.cmd = nil
		return nil
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.killLocked()
		s.cmd = nil
		return errors.New("zonal did not exit within 10s of SIGTERM; killed")
	}
	s.cmd = nil
	return nil
}

// Kill sends SIGKILL (kill -9) and waits for the process to be gone.
func (s *zonalServer) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.killLocked()
}

func (s *zonalServer) killLocked() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
	}
	s.cmd = nil
}

// Restart starts the server again on the same address and data dir. The
// previous process must have been stopped or killed.
func (s *zonalServer) Restart() error {
	s.mu.Lock()
	running := s.cmd != nil
	s.mu.Unlock()
	if running {
		if err := s.Stop(); err != nil {
			return err
		}
	}
	var err error
	// The port was ours a moment ago; retry a little in case the kernel has not released it.
	for i := 0; i < 3; i++ {
		if err = s.start(); err == nil {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return err
}

// LogTail returns the last n lines of the server's combined stdout/stderr.
func (s *zonalServer) LogTail(n int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logTailLocked(n)
}

func (s *zonalServer) logTailLocked(n int) string {
	f, err := os.Open(s.LogPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > 4*n {
			lines = append([]string(nil), lines[len(lines)-n:]...)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// LogGrep returns the log lines containing any of the needles (at most max).
func (s *zonalServer) LogGrep(max int, needles ...string) string {
	data, err := os.ReadFile(s.LogPath)
	if err != nil {
		return ""
	}
	var out []string
	for _, line := range bytes.Split(data, []byte("\n")) {
		for _, n := range needles {
			if n != "" && bytes.Contains(line, []byte(n)) {
				out = append(out, string(line))
				break
			}
		}
		if len(out) >= max {
			break
		}
	}
	return strings.Join(out, "\n")
}

// startServer starts a dedicated server for one test; it is stopped when the
// test ends, and its log is printed if the test failed.
func startServer(t *testing.T, opts serverOpts) *zonalServer {
	t.Helper()
	if opts.Name == "" {
		opts.Name = t.Name()
	}
	s, err := launchServer(opts)
	if err != nil {
		t.Fatalf("start zonal server: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stop server: %v", err)
		}
		if t.Failed() {
			t.Logf("---- zonal server %q log (tail) ----\n%s", opts.Name, s.LogTail(60))
		}
	})
	return s
}

// sharedServer returns the shared server and arranges for the part of its
// log mentioning this test's buckets (or, failing that, its tail) to be
// printed when the test fails.
func sharedServer(t *testing.T, needles ...*[]string) *zonalServer {
	t.Helper()
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		var ns []string
		for _, n := range needles {
			ns = append(ns, *n...)
		}
		if g := shared.LogGrep(60, ns...); g != "" {
			t.Logf("---- shared server log lines for this test ----\n%s", g)
		} else {
			t.Logf("---- shared server log (tail) ----\n%s", shared.LogTail(30))
		}
	})
	return shared
}

func sanitizeName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	return strings.Trim(b.String(), "-")
}

// bucketName returns a fresh valid directory bucket name derived from base.
func bucketName(base string) string {
	base = sanitizeName(base)
	if len(base) > 24 {
		base = strings.Trim(base[:24], "-")
	}
	if base == "" {
		base = "b"
	}
	return base + "-" + randHex(6) + "--" + testAZ + "--x-s3"
}

// ctxT returns a context bounded by d and cancelled when the test ends.
func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
