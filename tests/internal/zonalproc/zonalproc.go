// Package zonalproc runs the built zonal binary as a child process for the
// suites under tests/ that need a real server process: it builds
// ./cmd/zonal once per test binary, starts servers on free loopback ports,
// keeps their logs, and stops them by process id.
package zonalproc

import (
	"context"
	"io"
	"net/http"

	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/zonal-dev/zonal/internal/sigv4"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
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

// Binary builds ./cmd/zonal once per test process and returns its path.
func Binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "zonal-test-bin-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "zonal")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/zonal-dev/zonal/cmd/zonal").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// Server is one zonal child process.
type Server struct {
	t                    *testing.T
	cmd                  *exec.Cmd
	Endpoint             string // http://127.0.0.1:port
	accessKey, secretKey string
	Addr                 string
	Data                 string
	done                 chan struct{}
	log                  *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// tail is the end of the server's log.
func (l *lockedBuffer) Tail(n int) string {
	lines := strings.Split(strings.TrimRight(l.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Start runs `zonal server` on the data folder (created when missing) with
// the given root keys and extra flags, and waits until it serves. It is
// stopped when the test ends. ZONAL_* and AWS_* variables of the test's
// environment are not passed on.
func Start(t *testing.T, data, accessKey, secretKey string, args ...string) *Server {
	t.Helper()
	s := &Server{t: t, Data: data, accessKey: accessKey, secretKey: secretKey, done: make(chan struct{}), log: &lockedBuffer{}}
	all := append([]string{"server", "--addr", "127.0.0.1:0", "--data", s.Data, "--log-format", "json",
		"--root-access-key", accessKey, "--root-secret-key", secretKey}, args...)
	s.cmd = exec.Command(Binary(t), all...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ZONAL_") && !strings.HasPrefix(kv, "AWS_") {
			s.cmd.Env = append(s.cmd.Env, kv)
		}
	}
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	s.cmd.Stdout = s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			s.log.Write(append(line, '\n'))
			var m struct{ Msg, Endpoint string }
			if json.Unmarshal(line, &m) == nil && m.Msg == "zonal serving" {
				select {
				case ready <- m.Endpoint:
				default:
				}
			}
		}
	}()
	go func() {
		s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(s.Stop)
	select {
	case s.Endpoint = <-ready:
	case <-s.done:
		t.Fatalf("zonal exited at start:\n%s", s.log.Tail(30))
	case <-time.After(20 * time.Second):
		t.Fatalf("zonal did not start in 20 s:\n%s", s.log.Tail(30))
	}
	s.Addr = strings.TrimPrefix(s.Endpoint, "http://")
	return s
}

// Stop ends the server with SIGTERM (SIGKILL after 10 s).
func (s *Server) Stop() {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.t.Logf("zonal did not stop in 10 s after SIGTERM; killing it:\n%s", s.log.Tail(10))
		s.cmd.Process.Kill()
		<-s.done
	}
}

// alive reports whether the process is still running.
func (s *Server) alive() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// ProcStatus reads a "kB" field of /proc/<pid>/status, in bytes.
func (s *Server) ProcStatus(field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
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
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
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

// Log returns everything the server wrote so far.
func (s *Server) Log() string { return s.log.String() }

// LogTail returns the last n lines of the server's log.
func (s *Server) LogTail(n int) string { return s.log.Tail(n) }

// PID is the server's process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Done is closed when the process has exited.
func (s *Server) Done() <-chan struct{} { return s.done }

// Alive reports whether the process is still running.
func (s *Server) Alive() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
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
	sg := NewSigner(s.accessKey, s.secretKey)
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
