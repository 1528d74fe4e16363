// Package crash holds zonal's crash-consistency test: the built binary under
// a mixed concurrent load, killed with SIGKILL at random moments and
// restarted on the same data folder, checked against a model of every
// acknowledged operation. See TestCrashConsistency.
package crash

import (
	"bufio"
	"context"
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
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
)

const (
	rootAccessKey = "AKIAZONALCRASH000001"
	rootSecretKey = "zonalCrashSecretKey000000000000000000001" // 40 chars
	testRegion    = "us-east-1"
	testAZ        = "use1-az4"
)

// buildZonal builds ./cmd/zonal into dir and returns the binary's path.
// It also stats every non-test Go file of cmd/ and internal/: go test
// records the files a test looks at in its cache key, so a cached PASS is
// not reused after the server's sources change (the child `go build` is
// invisible to the test cache otherwise).
func buildZonal(t testing.TB, dir string) string {
	t.Helper()
	for _, top := range []string{"../../cmd", "../../internal"} {
		_ = filepath.WalkDir(top, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
				_, _ = os.Stat(p)
			}
			return nil
		})
	}
	bin := filepath.Join(dir, "zonal")
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	cmd := exec.Command(goBin, "build", "-o", bin, "github.com/zonal-dev/zonal/cmd/zonal")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/zonal: %v\n%s", err, out)
	}
	return bin
}

// childEnv is the environment of the server process: ours without AWS_*
// and ZONAL_* settings (which would change how it starts), plus the root
// keys.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "ZONAL_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "ZONAL_ROOT_ACCESS_KEY="+rootAccessKey, "ZONAL_ROOT_SECRET_KEY="+rootSecretKey)
}

// server is one zonal child process and its restarts on one data folder
// and one address.
type server struct {
	bin      string
	Addr     string
	Endpoint string
	DataDir  string
	LogPath  string

	mu     sync.Mutex
	cmd    *exec.Cmd
	done   chan struct{}
	starts int
	log    *os.File
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startServer starts zonal on a free loopback port with a data folder
// under dir; it is stopped when the test ends and its log tail printed if
// the test failed.
func startServer(t *testing.T, bin, dir string) *server {
	t.Helper()
	s := &server{bin: bin, DataDir: filepath.Join(dir, "data"), LogPath: filepath.Join(dir, "zonal.log")}
	if err := os.MkdirAll(s.DataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	var err error
	if s.log, err = os.OpenFile(s.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stopping zonal: %v", err)
		}
		if t.Failed() {
			t.Logf("---- zonal log (tail) ----\n%s", s.LogTail(60))
		}
		s.log.Close()
	})
	for attempt := 0; ; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		s.Addr = fmt.Sprintf("127.0.0.1:%d", port)
		s.Endpoint = "http://" + s.Addr
		err = s.start()
		if err == nil {
			return s
		}
		if attempt == 2 || !strings.Contains(s.LogTail(20), "address already in use") {
			t.Fatalf("start zonal: %v", err)
		}
	}
}

func (s *server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.starts++
	fmt.Fprintf(s.log, "\n===== crash: start #%d on %s at %s =====\n", s.starts, s.Addr, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(s.bin, "server", "--addr", s.Addr, "--data", s.DataDir, "--region", testRegion,
		"--log-level", "warn", "--log-format", "text")
	cmd.Env = childEnv()
	cmd.Stdout, cmd.Stderr = s.log, s.log
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() {
		err := cmd.Wait()
		fmt.Fprintf(s.log, "===== crash: process %d exited: %v =====\n", cmd.Process.Pid, err)
		close(done)
	}()
	s.cmd, s.done = cmd, done
	hc := &http.Client{Timeout: time.Second, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case <-done:
			s.cmd = nil
			return fmt.Errorf("zonal exited during start-up; log tail:\n%s", s.logTailLocked(30))
		default:
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
			return fmt.Errorf("zonal did not answer /_zonal/health within 20s; log tail:\n%s", s.logTailLocked(30))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Kill sends SIGKILL and waits until the process is gone.
func (s *server) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.killLocked()
}

func (s *server) killLocked() {
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

// Stop sends SIGTERM and waits up to 30 s (the server drains), then kills.
func (s *server) Stop() error {
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
	case <-time.After(30 * time.Second):
		s.killLocked()
		return errors.New("zonal did not exit within 30s of SIGTERM; killed")
	}
}

// Restart starts the server again on the same address and data folder.
func (s *server) Restart() error {
	var err error
	for i := 0; i < 5; i++ {
		if err = s.start(); err == nil {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return err
}

// LogTail returns the last n lines of the server's output.
func (s *server) LogTail(n int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logTailLocked(n)
}

func (s *server) logTailLocked(n int) string {
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
func (s *server) LogGrep(max int, needles ...string) []string {
	data, err := os.ReadFile(s.LogPath)
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		for _, n := range needles {
			if strings.Contains(line, n) {
				out = append(out, line)
				break
			}
		}
		if len(out) >= max {
			break
		}
	}
	return out
}

// newClient is a stock S3 client for the server that never retries, so an
// error is the server's own answer (or the lack of one). It is built from
// s3.Options directly so no AWS_* variable or config file plays a part,
// with the checksum behaviour config.LoadDefaultConfig gives (CRC32 on
// every upload, validation of responses): the zero values would send none.
func newClient(s *server) *s3.Client {
	tr := &http.Transport{Proxy: nil, MaxIdleConns: 64, MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}
	return s3.New(s3.Options{
		Region:       testRegion,
		Credentials:  credentials.NewStaticCredentialsProvider(rootAccessKey, rootSecretKey, ""),
		BaseEndpoint: aws.String(s.Endpoint),
		HTTPClient:   &http.Client{Transport: tr},
		Retryer:      aws.NopRetryer{},
		Logger:       logging.Nop{},

		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	})
}

func createBucket(ctx context.Context, c *s3.Client, name string) error {
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{
		Bucket: aws.String(name),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{
			Location: &types.LocationInfo{Type: types.LocationTypeAvailabilityZone, Name: aws.String(testAZ)},
			Bucket:   &types.BucketInfo{DataRedundancy: types.DataRedundancySingleAvailabilityZone, Type: types.BucketTypeDirectory},
		},
	})
	return err
}

// errInfo is what an SDK error says about the server's answer. Status is
// 0 when no HTTP response arrived (connection refused or reset, timeout).
type errInfo struct {
	Status        int
	Code, Message string
}

func inspect(err error) errInfo {
	var ei errInfo
	var ae smithy.APIError
	if errors.As(err, &ae) {
		ei.Code, ei.Message = ae.ErrorCode(), ae.ErrorMessage()
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		ei.Status = re.HTTPStatusCode()
	}
	return ei
}

func describe(err error) string {
	if err == nil {
		return "<nil>"
	}
	ei := inspect(err)
	if ei.Status == 0 {
		return fmt.Sprintf("no response (%v)", err)
	}
	return fmt.Sprintf("HTTP %d %s %q", ei.Status, ei.Code, ei.Message)
}
