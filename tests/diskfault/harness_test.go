// The zonal child process harness (as in tests/overload).

package diskfault

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
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/sigv4"
)

const (
	accessKey = "AKIADISKFAULTTEST001"
	secretKey = "diskfaultTestSecretKey000000000000000001"
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
		binDir, buildErr = os.MkdirTemp("", "zonal-diskfault-")
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

// startServer runs `zonal server` on the data folder with extra flags
// and waits for it to serve; it is stopped when the test ends.
func startServer(t *testing.T, data string, args ...string) *server {
	t.Helper()
	s := &server{t: t, data: data, done: make(chan struct{}), log: &lockedBuffer{}}
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
func createBucket(t *testing.T, s *server, bucket string) {
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
