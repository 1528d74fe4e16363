// Package s3test runs a throwaway SeaweedFS for tests: an S3-compatible
// endpoint for internal/blob/s3 and, later, for suites of other packages,
// usually from TestMain.
//
// The server is `weed server` with its filer and S3 gateway, listening
// only on 127.0.0.1 on free ports, with its data in a temporary folder and
// one identity whose keys sign every request (SigV4). SeaweedFS is not
// go-installable; tests/tools/seaweedfs.sh builds the pinned version once
// and prints the binary's path.
//
// Only internal/config, cmd/zonal and tests/ read the environment
// (internal/guardrails), so test files pass the variables in, in TestMain:
//
//	srv, err := s3test.Start(s3test.Options{
//		Bin:      os.Getenv("ZONAL_WEED_BIN"),                // default: weed on PATH
//		Required: os.Getenv("ZONAL_REQUIRE_SEAWEEDFS") == "1", // CI: fail, never skip
//	})
//	code := m.Run()
//	if srv != nil {
//		srv.Close()
//	}
//
// and in each test s3test.Need(t, err), which skips when the binary is
// missing and fails on any other start error.
package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	smithy "github.com/aws/smithy-go"
)

// ErrNotInstalled is returned (wrapped) by Start when there is no weed
// binary; its message says how to get one.
var ErrNotInstalled = errors.New("SeaweedFS is not installed: run `bash tests/tools/seaweedfs.sh` and set ZONAL_WEED_BIN to the path it prints to run these tests")

// ReadyTimeout bounds how long Start waits for the server to take its
// first write: about 10 s on a new folder (electing the master, growing
// the first volumes), about 15 s on a restart.
const ReadyTimeout = 90 * time.Second

// readyBucket is the bucket Start writes to, to know the server is up.
const readyBucket = "s3test-ready"

// Options configure Start; the zero value is the usual server.
type Options struct {
	// Bin is the weed binary (default: "weed" looked up on PATH).
	Bin string
	// Required makes a missing binary an ordinary error, which Need fails
	// on instead of skipping: CI sets ZONAL_REQUIRE_SEAWEEDFS=1, since a
	// skipped suite there would pass without testing anything.
	Required bool
}

// Server is a running (or stopped) SeaweedFS.
type Server struct {
	bin    string
	dir    string // temp folder: data/, s3.json, weed.log
	ports  [8]int // master, volume, filer, s3; then their gRPC ports
	access string
	secret string
	client *s3.Client

	mu     sync.Mutex
	cmd    *exec.Cmd     // nil while stopped
	exited chan struct{} // closed when cmd has been waited for
	logf   *os.File
}

// Need skips tb when err says SeaweedFS is not installed and fails it on
// any other error from Start (Options.Required included); it does nothing
// when err is nil.
func Need(tb testing.TB, err error) {
	tb.Helper()
	if errors.Is(err, ErrNotInstalled) {
		tb.Skip(err)
	}
	if err != nil {
		tb.Fatalf("no test SeaweedFS: %v", err)
	}
}

// Start starts SeaweedFS in a new temporary folder and returns once it has
// stored an object. Close stops it and removes the folder.
func Start(opts Options) (*Server, error) {
	bin := opts.Bin
	if bin == "" {
		bin = "weed"
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		if opts.Required {
			return nil, fmt.Errorf("SeaweedFS is required (ZONAL_REQUIRE_SEAWEEDFS=1) but there is no %s: run `bash tests/tools/seaweedfs.sh` and set ZONAL_WEED_BIN", bin)
		}
		return nil, fmt.Errorf("no %s: %w", bin, ErrNotInstalled)
	}
	dir, err := os.MkdirTemp("", "zonal-weed-")
	if err != nil {
		return nil, err
	}
	s := &Server{bin: path, dir: dir, access: "zonal" + randomHex(8), secret: randomHex(20)}
	if err := s.writeConfig(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		if err = s.pickPorts(); err != nil {
			break
		}
		s.client = s3.New(s3.Options{
			Region:       "us-east-1",
			BaseEndpoint: aws.String(s.Endpoint()),
			UsePathStyle: true,
			Credentials:  credentials.NewStaticCredentialsProvider(s.access, s.secret, ""),
			// Start polls by itself: one attempt per call.
			RetryMaxAttempts: 1,
		})
		err = s.Start()
		if err == nil {
			return s, nil
		}
		// Another process may have taken a free port before weed bound
		// it; try others.
		if attempt >= 2 || !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	os.RemoveAll(dir)
	return nil, err
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// writeConfig writes the S3 gateway's identities: one, allowed everything,
// so requests must be signed with its keys.
func (s *Server) writeConfig() error {
	conf := map[string]any{"identities": []any{map[string]any{
		"name":        "zonal",
		"credentials": []any{map[string]string{"accessKey": s.access, "secretKey": s.secret}},
		"actions":     []string{"Admin", "Read", "List", "Tagging", "Write"},
	}}}
	b, err := json.Marshal(conf)
	if err != nil {
		return err
	}
	if err := os.Mkdir(filepath.Join(s.dir, "data"), 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(s.dir, "s3.json"), b, 0o600)
}

// pickPorts takes eight free ports of 127.0.0.1, holding each until all
// are chosen so none is picked twice.
func (s *Server) pickPorts() error {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for i := range s.ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		ls = append(ls, l)
		s.ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return nil
}

// Start starts the server again after Stop, on the same folder and ports
// (Start of a running server is a no-op). It returns once an object PUT
// succeeds, or after ReadyTimeout with the server's log in the error.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return nil
	}
	logName := filepath.Join(s.dir, "weed.log")
	logf, err := os.OpenFile(logName, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	logStart, _ := logf.Seek(0, 2)
	p := func(i int) string { return strconv.Itoa(s.ports[i]) }
	cmd := exec.Command(s.bin, "server",
		"-ip=127.0.0.1", "-ip.bind=127.0.0.1",
		"-dir="+filepath.Join(s.dir, "data"),
		"-master.port="+p(0), "-master.port.grpc="+p(4),
		"-master.volumeSizeLimitMB=64", "-master.telemetry=false",
		// A master restarted on its raft state waits out one election
		// timeout (10 s by default) before it leads again.
		"-master.electionTimeout=1s",
		"-volume.port="+p(1), "-volume.port.grpc="+p(5),
		"-volume.max=0", "-volume.preStopSeconds=0",
		"-filer", "-filer.port="+p(2), "-filer.port.grpc="+p(6),
		"-filer.localSocket="+filepath.Join(s.dir, "filer.sock"),
		"-s3", "-s3.port="+p(3), "-s3.port.grpc="+p(7),
		"-s3.port.iceberg=0", "-s3.port.lance=0",
		"-s3.localSocket="+filepath.Join(s.dir, "s3.sock"),
		"-s3.config="+filepath.Join(s.dir, "s3.json"),
	)
	cmd.Dir = s.dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + s.dir}
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group, so nothing it forks outlives Stop.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	s.cmd, s.exited, s.logf = cmd, exited, logf
	if err := s.waitReady(exited); err != nil {
		s.stopLocked(syscall.SIGKILL)
		log, _ := os.ReadFile(logName)
		if int(logStart) <= len(log) {
			log = log[logStart:]
		}
		if len(log) > 8<<10 {
			log = log[len(log)-8<<10:]
		}
		return fmt.Errorf("SeaweedFS did not start (%v); the end of its log:\n%s", err, log)
	}
	return nil
}

// waitReady polls until the ready bucket exists and an object PUT into it
// succeeds, or the server exits, or ReadyTimeout passes.
func (s *Server) waitReady(exited <-chan struct{}) error {
	deadline := time.Now().Add(ReadyTimeout)
	for {
		err := s.tryWrite()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return errors.New("weed exited")
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no write succeeded in %v: %w", ReadyTimeout, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (s *Server) tryWrite() error {
	// The first PUT waits a few seconds while the master grows the first
	// volumes; a shorter timeout would cancel it and start over.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.CreateBucket(ctx, readyBucket); err != nil {
		return err
	}
	_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(readyBucket), Key: aws.String("ready"), Body: strings.NewReader("ready"),
	})
	return err
}

// CreateBucket creates a bucket; one that exists already is not an error.
func (s *Server) CreateBucket(ctx context.Context, name string) error {
	_, err := s.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
	var ae smithy.APIError
	if errors.As(err, &ae) && (ae.ErrorCode() == "BucketAlreadyOwnedByYou" || ae.ErrorCode() == "BucketAlreadyExists") {
		return nil
	}
	return err
}

// Stop shuts the server down gracefully (SIGTERM; weed takes about 15 s)
// and waits for it to exit, killing its process group after 30 s. Its
// data stays for Start.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked(syscall.SIGTERM)
	return nil
}

// Kill ends the server at once with SIGKILL, as a crash would (what it
// wrote is in the page cache and survives); Start brings it back on the
// same data.
func (s *Server) Kill() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked(syscall.SIGKILL)
	return nil
}

// Pause freezes the server with SIGSTOP: it still accepts connections (the
// kernel does) but answers nothing, as a hung backend would. Resume ends
// the pause.
func (s *Server) Pause() error { return s.signal(syscall.SIGSTOP) }

// Resume lets a paused server go on (SIGCONT).
func (s *Server) Resume() error { return s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig syscall.Signal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return errors.New("s3test: the server is not running")
	}
	return syscall.Kill(-s.cmd.Process.Pid, sig)
}

func (s *Server) stopLocked(sig syscall.Signal) {
	if s.cmd == nil {
		return
	}
	pid := s.cmd.Process.Pid
	syscall.Kill(-pid, syscall.SIGCONT) // a paused server would not act on SIGTERM
	if sig == syscall.SIGKILL {
		syscall.Kill(-pid, sig)
	} else {
		syscall.Kill(pid, sig)
	}
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		syscall.Kill(-pid, syscall.SIGKILL)
		<-s.exited
	}
	// weed serves gRPC on unix sockets at fixed paths too, which a
	// killed server leaves behind.
	for i, name := range []string{"master", "volume", "filer", "s3"} {
		os.Remove(fmt.Sprintf("/tmp/seaweedfs-%s-grpc-%d.sock", name, s.ports[4+i]))
	}
	s.logf.Close()
	s.cmd, s.exited, s.logf = nil, nil, nil
}

// Close kills the server (nothing of it is kept, so there is no use in
// the graceful stop's 15 s) and removes its folder. The Server is unusable
// afterwards.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked(syscall.SIGKILL)
	return os.RemoveAll(s.dir)
}

// Endpoint is the S3 gateway's URL, http://127.0.0.1:<port>.
func (s *Server) Endpoint() string { return "http://127.0.0.1:" + strconv.Itoa(s.ports[3]) }

// AccessKey is the access key id of the server's one identity.
func (s *Server) AccessKey() string { return s.access }

// SecretKey is that identity's secret key.
func (s *Server) SecretKey() string { return s.secret }

// Client is an S3 client of the server signed with its keys, making one
// attempt per call: for tests to look behind a store's back.
func (s *Server) Client() *s3.Client { return s.client }

// Dir is the server's temporary folder; weed.log there is its log.
func (s *Server) Dir() string { return s.dir }
