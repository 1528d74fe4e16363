// Package overload drives the built zonal binary well past its capacity on
// loopback and checks that it sheds load with 503 SlowDown instead of
// falling over: no crash, no 5xx but 503, bounded memory, every admitted
// write readable afterwards. A second test attacks it with slowloris
// connections (slow headers, stalled and trickling bodies) while a normal
// client keeps working.
//
// Both run in `go test ./...` (about 30 s together on two cores);
// ZONAL_OVERLOAD_SECONDS lengthens the load phase.
package overload

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
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

const (
	accessKey = "AKIAOVERLOADTEST0001"
	secretKey = "overloadTestSecretKey0000000000000000001"
	bucket    = "load--use1-az4--x-s3"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	binDir    string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// zonalBinary builds ./cmd/zonal once per test process.
func zonalBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "zonal-overload-")
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

// server is one zonal child process.
type server struct {
	t        *testing.T
	cmd      *exec.Cmd
	endpoint string // http://127.0.0.1:port
	addr     string
	data     string
	done     chan struct{}
	log      *lockedBuffer
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
func (l *lockedBuffer) tail(n int) string {
	lines := strings.Split(strings.TrimRight(l.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// startServer runs `zonal server` on a fresh data folder with extra flags
// and waits for it to serve; it is stopped when the test ends.
func startServer(t *testing.T, args ...string) *server {
	t.Helper()
	s := &server{t: t, data: filepath.Join(t.TempDir(), "data"), done: make(chan struct{}), log: &lockedBuffer{}}
	all := append([]string{"server", "--addr", "127.0.0.1:0", "--data", s.data, "--log-format", "json",
		"--root-access-key", accessKey, "--root-secret-key", secretKey}, args...)
	s.cmd = exec.Command(zonalBinary(t), all...)
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
	t.Cleanup(s.stop)
	select {
	case s.endpoint = <-ready:
	case <-s.done:
		t.Fatalf("zonal exited at start:\n%s", s.log.tail(30))
	case <-time.After(20 * time.Second):
		t.Fatalf("zonal did not start in 20 s:\n%s", s.log.tail(30))
	}
	s.addr = strings.TrimPrefix(s.endpoint, "http://")
	return s
}

// stop ends the server with SIGTERM (SIGKILL after 10 s).
func (s *server) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.t.Logf("zonal did not stop in 10 s after SIGTERM; killing it:\n%s", s.log.tail(10))
		s.cmd.Process.Kill()
		<-s.done
	}
}

// alive reports whether the process is still running.
func (s *server) alive() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// procStatus reads a "kB" field of /proc/<pid>/status, in bytes.
func (s *server) procStatus(field string) int64 {
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

// cpuSeconds is the server's user+system CPU time so far.
func (s *server) cpuSeconds() float64 {
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

// metric returns one sample of the server's /_zonal/metrics.
func (s *server) metric(series string) float64 {
	resp, err := http.Get(s.endpoint + "/_zonal/metrics")
	if err != nil {
		s.t.Errorf("metrics: %v", err)
		return -1
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return -1
}

// signer signs requests with the root key (SigV4, service s3express).
func signer() *sigv4.Signer {
	return &sigv4.Signer{AccessKeyID: accessKey, SecretAccessKey: secretKey, Region: "us-east-1", Service: "s3express"}
}

// newRequest is a signed request with an unsigned payload.
func newRequest(ctx context.Context, sg *sigv4.Signer, method, url string, body []byte) *http.Request {
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

// createBucket makes the test bucket.
func createBucket(t *testing.T, s *server) {
	t.Helper()
	body := []byte(`<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
		`<Location><Name>use1-az4</Name><Type>AvailabilityZone</Type></Location>` +
		`<Bucket><DataRedundancy>SingleAvailabilityZone</DataRedundancy><Type>Directory</Type></Bucket>` +
		`</CreateBucketConfiguration>`)
	resp, err := http.DefaultClient.Do(newRequest(context.Background(), signer(), "PUT", s.endpoint+"/"+bucket, body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("CreateBucket: %d %s", resp.StatusCode, b)
	}
}

// errorCode extracts <Code> from an S3 XML error body.
func errorCode(b []byte) string {
	_, rest, ok := bytes.Cut(b, []byte("<Code>"))
	if !ok {
		return ""
	}
	code, _, _ := bytes.Cut(rest, []byte("</Code>"))
	return string(code)
}
