// Package zonalproc runs the built zonal binary as a child process for the
// suites under tests/ that need a real server process (e2e, crash,
// overload, diskfault): it builds ./cmd/zonal once per test binary, starts
// servers on free loopback ports (over HTTP or, with --tls-self-signed,
// HTTPS), waits for /_zonal/health, keeps each server's output in a log
// file with a marker at every start and exit, and stops, kills and
// restarts servers on the same address and data folder.
//
// The child gets the test's environment without ZONAL_* and AWS_*
// variables (a developer's settings must not change the suites), plus the
// root keys.
package zonalproc

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/sigv4"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	binDir    string
)

// Cleanup removes the built binary; call it from TestMain after m.Run.
func Cleanup() {
	if binDir != "" {
		os.RemoveAll(binDir)
	}
}

// Build builds ./cmd/zonal once per test process and returns its path.
//
// It first stats every non-test Go file of the module's cmd/ and
// internal/: go test records the files a test looks at in its cache key,
// so a cached PASS is not reused after the server's sources change (the
// child `go build` is invisible to the test cache otherwise).
func Build() (string, error) {
	buildOnce.Do(func() {
		if root, err := moduleRoot(); err == nil {
			for _, top := range []string{"cmd", "internal"} {
				_ = filepath.WalkDir(filepath.Join(root, top), func(p string, d os.DirEntry, err error) error {
					if err == nil && !d.IsDir() && strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
						_, _ = os.Stat(p)
					}
					return nil
				})
			}
		}
		binDir, buildErr = os.MkdirTemp("", "zonal-test-bin-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "zonal")
		goBin, err := exec.LookPath("go")
		if err != nil {
			goBin = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
		}
		out, err := exec.Command(goBin, "build", "-o", binPath, "github.com/zonal-dev/zonal/cmd/zonal").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./cmd/zonal: %v\n%s", err, out)
		}
	})
	return binPath, buildErr
}

// Binary is Build for a test: it fails t when the build fails.
func Binary(t testing.TB) string {
	t.Helper()
	bin, err := Build()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// moduleRoot is the folder of go.mod at or above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Options describe a server.
type Options struct {
	// Name labels the server in its log markers and messages.
	Name string
	// Data is the data folder (created when missing).
	Data string
	// LogPath is the file the server's output is appended to.
	LogPath string
	// AccessKey and SecretKey are the default account's root keys.
	AccessKey, SecretKey string
	// Args are more flags of `zonal server`. They are read at every
	// start, so a test may change them before Restart.
	Args []string
	// TLS serves HTTPS with --tls-self-signed; the health check trusts
	// the certificate the server keeps in <data>/tls/.
	TLS bool
	// StartTimeout bounds the wait for /_zonal/health (default 20 s);
	// StopTimeout the wait after SIGTERM before SIGKILL (default 10 s).
	StartTimeout, StopTimeout time.Duration
}

// Server is one zonal child process, and its restarts on the same address
// and data folder.
type Server struct {
	Opts     Options
	Addr     string // 127.0.0.1:port
	Endpoint string // http(s)://127.0.0.1:port
	Data     string
	LogPath  string

	mu     sync.Mutex
	cmd    *exec.Cmd     // nil when stopped
	done   chan struct{} // closed when the last process started has exited
	starts int
	log    *os.File
}

// Launch starts a server on a free loopback port and waits until it
// answers /_zonal/health. The caller stops it (Stop or Kill) and then
// calls Close. It needs no *testing.T, so TestMain can start a server
// that all tests share.
func Launch(opts Options) (*Server, error) {
	if opts.Data == "" || opts.LogPath == "" {
		return nil, errors.New("zonalproc: Options.Data and Options.LogPath are required")
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 20 * time.Second
	}
	if opts.StopTimeout <= 0 {
		opts.StopTimeout = 10 * time.Second
	}
	if _, err := Build(); err != nil {
		return nil, err
	}
	s := &Server{Opts: opts, Data: opts.Data, LogPath: opts.LogPath}
	if err := os.MkdirAll(s.Data, 0o755); err != nil {
		return nil, err
	}
	var err error
	if s.log, err = os.OpenFile(s.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		port, err := freePort()
		if err != nil {
			s.Close()
			return nil, err
		}
		s.Addr = fmt.Sprintf("127.0.0.1:%d", port)
		s.Endpoint = "http://" + s.Addr
		if opts.TLS {
			s.Endpoint = "https://" + s.Addr
		}
		err = s.start()
		if err == nil {
			return s, nil
		}
		// Another process may take the port between freePort and the
		// server's listen: try another.
		if attempt == 2 || !strings.Contains(s.LogTail(20), "address already in use") {
			s.Close()
			return nil, err
		}
	}
}

// Start runs a server for the duration of t on the data folder, with the
// given root keys and extra flags, logging JSON to a file in t's temporary
// folder.
func Start(t *testing.T, data, accessKey, secretKey string, args ...string) *Server {
	t.Helper()
	s, err := Launch(Options{Name: t.Name(), Data: data, LogPath: filepath.Join(t.TempDir(), "zonal.log"),
		AccessKey: accessKey, SecretKey: secretKey, Args: append([]string{"--log-format", "json"}, args...)})
	if err != nil {
		t.Fatalf("start zonal: %v", err)
	}
	s.StopAtEnd(t)
	return s
}

// StopAtEnd stops the server when t ends (an error if it had to be
// killed) and prints its log's tail when t failed.
func (s *Server) StopAtEnd(t testing.TB) {
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stopping zonal %q: %v", s.Opts.Name, err)
		}
		if t.Failed() {
			t.Logf("---- zonal %q log (tail) ----\n%s", s.Opts.Name, s.LogTail(60))
		}
		s.Close()
	})
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// childEnv is the test's environment without AWS_* and ZONAL_* settings,
// plus the root keys (as variables: flags show in ps).
func (s *Server) childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ZONAL_") && !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	return append(env, "ZONAL_ROOT_ACCESS_KEY="+s.Opts.AccessKey, "ZONAL_ROOT_SECRET_KEY="+s.Opts.SecretKey)
}

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.log == nil {
		return errors.New("zonalproc: server closed")
	}
	s.starts++
	fmt.Fprintf(s.log, "\n===== zonalproc: start #%d of %q on %s at %s =====\n", s.starts, s.Opts.Name, s.Addr, time.Now().Format(time.RFC3339Nano))
	args := []string{"server", "--addr", s.Addr, "--data", s.Data}
	if s.Opts.TLS {
		args = append(args, "--tls-self-signed")
	}
	args = append(args, s.Opts.Args...)
	cmd := exec.Command(binPath, args...)
	cmd.Env = s.childEnv()
	cmd.Stdout, cmd.Stderr = s.log, s.log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", binPath, err)
	}
	done, log := make(chan struct{}), s.log
	go func() {
		err := cmd.Wait()
		fmt.Fprintf(log, "===== zonalproc: process %d exited: %v =====\n", cmd.Process.Pid, err)
		close(done)
	}()
	s.cmd, s.done = cmd, done

	deadline := time.Now().Add(s.Opts.StartTimeout)
	for {
		select {
		case <-done:
			s.cmd = nil
			return fmt.Errorf("zonal exited during start-up; log tail:\n%s", s.logTailLocked(40))
		default:
		}
		resp, err := s.healthClient().Get(s.Endpoint + "/_zonal/health")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			s.killLocked()
			return fmt.Errorf("zonal did not answer 200 on /_zonal/health within %v (last: %v); log tail:\n%s",
				s.Opts.StartTimeout, errOrStatus(resp, err), s.logTailLocked(40))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// healthClient polls without keep-alives; over TLS it trusts the server's
// own certificate, read anew each time: the server writes it while it
// starts.
func (s *Server) healthClient() *http.Client {
	tr := &http.Transport{Proxy: nil, DisableKeepAlives: true}
	if s.Opts.TLS {
		pool := x509.NewCertPool() // empty until written: the attempt fails
		if pem, err := os.ReadFile(filepath.Join(s.Data, "tls", "cert.pem")); err == nil {
			pool.AppendCertsFromPEM(pem)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	return &http.Client{Timeout: time.Second, Transport: tr}
}

func errOrStatus(resp *http.Response, err error) string {
	if err != nil {
		return err.Error()
	}
	return resp.Status
}

// Stop ends the server with SIGTERM (it drains in-flight requests) and
// waits; after StopTimeout it kills it and says so.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return nil
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
		s.cmd = nil
		return nil
	case <-time.After(s.Opts.StopTimeout):
		s.killLocked()
		return fmt.Errorf("zonal did not exit within %v of SIGTERM; killed", s.Opts.StopTimeout)
	}
}

// Kill sends SIGKILL (kill -9) and waits until the process is gone.
func (s *Server) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.killLocked()
}

func (s *Server) killLocked() {
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

// Restart stops the server if it runs, then starts it again on the same
// address and data folder with the current Opts.Args.
func (s *Server) Restart() error {
	if err := s.Stop(); err != nil {
		return err
	}
	var err error
	// The port was ours a moment ago; retry a little in case the kernel
	// has not released it yet.
	for range 5 {
		if err = s.start(); err == nil {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return err
}

// Close closes the log file; call it once the server is stopped.
func (s *Server) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.log != nil {
		s.log.Close()
		s.log = nil
	}
}

// Log returns everything the server wrote so far.
func (s *Server) Log() string {
	data, _ := os.ReadFile(s.LogPath)
	return string(data)
}

// LogTail returns the last n lines of the server's output.
func (s *Server) LogTail(n int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logTailLocked(n)
}

func (s *Server) logTailLocked(n int) string {
	f, err := os.Open(s.LogPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
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

// LogGrep returns up to max log lines containing any of the needles.
func (s *Server) LogGrep(max int, needles ...string) []string {
	data, err := os.ReadFile(s.LogPath)
	if err != nil {
		return nil
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
	return out
}

// PID is the running process's id (0 when stopped).
func (s *Server) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Done is closed when the last process started has exited.
func (s *Server) Done() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.done
}

// Alive reports whether the last process started still runs.
func (s *Server) Alive() bool {
	select {
	case <-s.Done():
		return false
	default:
		return true
	}
}

// ProcStatus reads a "kB" field of /proc/<pid>/status, in bytes.
func (s *Server) ProcStatus(field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.PID()))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n << 10
		}
	}
	return -1
}

// CPUSeconds is the server's user+system CPU time so far.
func (s *Server) CPUSeconds() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.PID()))
	if err != nil {
		return -1
	}
	_, rest, _ := strings.Cut(string(b), ") ") // after "pid (comm) "
	f := strings.Fields(rest)
	if len(f) < 13 {
		return -1
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100 // USER_HZ is 100 on Linux
}

// Main runs the package's tests and removes the built binary; call it
// from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	Cleanup()
	os.Exit(code)
}

// NewSigner signs requests with the given keys (SigV4, service s3express).
func NewSigner(accessKey, secretKey string) *sigv4.Signer {
	return &sigv4.Signer{AccessKeyID: accessKey, SecretAccessKey: secretKey, Region: "us-east-1", Service: "s3express"}
}

// NewRequest is a request signed by sg with an unsigned payload.
func NewRequest(ctx context.Context, sg *sigv4.Signer, method, url string, body []byte) *http.Request {
	var rd io.Reader = http.NoBody
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		panic(err)
	}
	sg.Sign(req, sigv4.UnsignedPayload, time.Now())
	return req
}

// CreateBucket creates a directory bucket with the server's root keys.
func (s *Server) CreateBucket(t *testing.T, bucket string) {
	t.Helper()
	body := []byte(`<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
		`<Location><Name>use1-az4</Name><Type>AvailabilityZone</Type></Location>` +
		`<Bucket><DataRedundancy>SingleAvailabilityZone</DataRedundancy><Type>Directory</Type></Bucket>` +
		`</CreateBucketConfiguration>`)
	sg := NewSigner(s.Opts.AccessKey, s.Opts.SecretKey)
	resp, err := http.DefaultClient.Do(NewRequest(context.Background(), sg, "PUT", s.Endpoint+"/"+bucket, body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("CreateBucket: %d %s", resp.StatusCode, b)
	}
}

// ErrorCode extracts <Code> from an S3 XML error body.
func ErrorCode(b []byte) string {
	_, rest, ok := bytes.Cut(b, []byte("<Code>"))
	if !ok {
		return ""
	}
	code, _, _ := bytes.Cut(rest, []byte("</Code>"))
	return string(code)
}
