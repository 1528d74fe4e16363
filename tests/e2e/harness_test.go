// Package e2e holds the end-to-end test suite of zonal: it builds the real
// binary, starts it as a child process on a loopback port and drives it with
// the stock aws-sdk-go-v2 S3 client (plus hand-signed raw requests where the
// SDK would not send the thing under test).
//
// Run with plain `go test ./tests/...`. With ZONAL_E2E_TLS=1 every server
// runs with --tls-self-signed and the clients reach it over HTTPS (HTTP/2),
// trusting the certificate through SSL_CERT_FILE as a user would trust a
// CA: the Go SDK then sends PutObject/UploadPart as aws-chunked with trailers.
// The servers are child processes run by tests/internal/zonalproc.
//
// With ZONAL_E2E_BLOB=s3 every server keeps its blobs in a throwaway
// SeaweedFS (--blob s3://..., a bucket each, behind a 32 MiB node-local
// cache; ZONAL_WEED_BIN names the weed binary tests/tools/seaweedfs.sh
// builds); tests that read blob files on the server's disk skip then.
//
// With ZONAL_E2E_CATALOG=postgres every server keeps its catalog in
// PostgreSQL (--catalog): the suite starts a throwaway PostgreSQL 15 (see
// internal/catalog/postgres/pgtest) and gives each server a database of
// its own. Without the binaries that mode fails rather than skips: it was
// asked for.
//
// With ZONAL_E2E_NODES=N (N >= 2) every server the suite starts is N zonal
// processes on one PostgreSQL database and one SeaweedFS bucket (the mode
// turns on both of the modes above), sharing key files, each with a data
// and cache folder of its own, behind an in-process round-robin reverse
// proxy that sends each request to the next node (see nodes_test.go). A
// test's endpoint is the proxy; Stop, Kill and Restart act on every node;
// the logs are all nodes' logs; DataDir is node 0's. Tests whose subject
// the proxy changes skip (proxiedSkips). With ZONAL_E2E_TLS=1 the proxy
// serves HTTPS with the nodes' certificate.
//
// With ZONAL_E2E_ENDPOINT (plus ZONAL_E2E_ACCESS_KEY and
// ZONAL_E2E_SECRET_KEY, the root keys of account 000000000000) the suite
// runs against that already running server instead of starting one: the
// tests that need a server of their own (special flags, restarts, kills,
// a second account) or its log or data folder skip, saying so. For an
// https:// endpoint, SSL_CERT_FILE names the CA to trust, and the suite
// runs in TLS mode. See externalEndpoint.
package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/zonal-dev/zonal/internal/blob/s3/s3test"
	"github.com/zonal-dev/zonal/internal/catalog/postgres/pgtest"
	"github.com/zonal-dev/zonal/tests/internal/zonalproc"
)

const (
	rootAccessKey = "AKIAZONALTEST000001"
	rootSecretKey = "zonalTestSecretKey0000000000000000000001" // 40 chars
	testRegion    = "us-east-1"
	testAccountID = "000000000000"
	testAZ        = "use1-az4"
)

var (
	// shared is the server that ordinary tests share (each test uses its own buckets).
	shared *zonalServer
	// workDir is the temporary directory of this test process.
	workDir string
	// tlsMode (ZONAL_E2E_TLS=1) runs every server over HTTPS with one
	// self-signed certificate, which caFile holds and SSL_CERT_FILE names.
	tlsMode bool
	caFile  string
	// pgServer, in ZONAL_E2E_CATALOG=postgres mode, holds every server's
	// catalog (a database each, numbered by pgDatabases).
	pgServer    *pgtest.Server
	pgDatabases atomic.Int64
	// weedServer, in ZONAL_E2E_BLOB=s3 mode, holds every server's blobs
	// (a bucket each, numbered by weedBuckets).
	weedServer  *s3test.Server
	weedBuckets atomic.Int64
	// nodeCount (ZONAL_E2E_NODES) is how many zonal processes make one
	// server; 0 is the ordinary single process without a proxy.
	nodeCount int
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	defer zonalproc.Cleanup()
	var err error
	workDir, err = os.MkdirTemp("", "zonal-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: temp dir:", err)
		return 1
	}
	defer os.RemoveAll(workDir)

	ext, err := externalEndpoint()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: FAIL:", err)
		return 1
	}
	tlsMode = os.Getenv("ZONAL_E2E_TLS") == "1"
	if ext != nil {
		tlsMode = strings.HasPrefix(ext.Endpoint, "https://")
	}
	catalogMode, blobMode := os.Getenv("ZONAL_E2E_CATALOG"), os.Getenv("ZONAL_E2E_BLOB")
	if v := os.Getenv("ZONAL_E2E_NODES"); v != "" {
		switch n, err := strconv.Atoi(v); {
		case err != nil || n < 2:
			fmt.Fprintf(os.Stderr, "e2e: FAIL: ZONAL_E2E_NODES=%q: want a number of nodes, at least 2\n", v)
			return 1
		case ext != nil:
			fmt.Fprintln(os.Stderr, "e2e: FAIL: ZONAL_E2E_NODES starts servers: it does not combine with ZONAL_E2E_ENDPOINT")
			return 1
		case (catalogMode != "" && catalogMode != "postgres") || (blobMode != "" && blobMode != "s3"):
			fmt.Fprintln(os.Stderr, "e2e: FAIL: ZONAL_E2E_NODES needs the nodes to share a catalog and blobs: ZONAL_E2E_CATALOG=postgres, ZONAL_E2E_BLOB=s3 (the default in that mode)")
			return 1
		default:
			nodeCount, catalogMode, blobMode = n, "postgres", "s3"
		}
	}
	switch mode := catalogMode; mode {
	case "", "pebble":
	case "postgres":
		// Started before sanitizeEnv, which drops ZONAL_PG_BIN.
		if pgServer, err = pgtest.Start(pgtest.Options{Settings: []string{"max_connections=500"},
			Bin: os.Getenv("ZONAL_PG_BIN"), Existing: os.Getenv("ZONAL_TEST_POSTGRES"), Required: true}); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: FAIL: ZONAL_E2E_CATALOG=postgres:", err)
			return 1
		}
		defer pgServer.Close()
		fmt.Fprintln(os.Stderr, "e2e: every server keeps its catalog in PostgreSQL (a database each)")
	default:
		fmt.Fprintf(os.Stderr, "e2e: FAIL: ZONAL_E2E_CATALOG=%q: want postgres or pebble\n", mode)
		return 1
	}
	switch mode := blobMode; mode {
	case "", "fs":
	case "s3":
		if weedServer, err = s3test.Start(s3test.Options{Bin: os.Getenv("ZONAL_WEED_BIN"), Required: true}); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: FAIL: ZONAL_E2E_BLOB=s3:", err)
			return 1
		}
		defer weedServer.Close()
		fmt.Fprintln(os.Stderr, "e2e: every server keeps its blobs in SeaweedFS (a bucket each)")
	default:
		fmt.Fprintf(os.Stderr, "e2e: FAIL: ZONAL_E2E_BLOB=%q: want s3 or fs\n", mode)
		return 1
	}
	if err := sanitizeEnv(workDir); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: env:", err)
		return 1
	}
	if ext != nil {
		shared = ext
		fmt.Fprintf(os.Stderr, "e2e: external endpoint %s: tests that need a server of their own skip\n", ext.Endpoint)
		return m.Run()
	}
	if tlsMode {
		// Go reads SSL_CERT_FILE when it first verifies a certificate with
		// the system roots, which happens after the shared server has
		// generated the certificate copied here.
		caFile = filepath.Join(workDir, "ca.pem")
		os.Setenv("SSL_CERT_FILE", caFile)
		os.Setenv("SSL_CERT_DIR", filepath.Join(workDir, "no-certs"))
	}

	if _, err := zonalproc.Build(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: FAIL: cannot build ./cmd/zonal: %v\n", err)
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
	if nodeCount > 0 {
		fmt.Fprintf(os.Stderr, "e2e: every server is %d nodes behind a round-robin proxy\n", nodeCount)
	}
	code := m.Run()
	if err := shared.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: stopping shared server:", err)
	}
	if code != 0 {
		fmt.Fprintf(os.Stderr, "---- shared server log (tail) ----\n%s\n", shared.LogTail(80))
	}
	if err := shared.roundRobinErr(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: FAIL: shared server:", err)
		code = 1
	} else if shared.lb != nil {
		fmt.Fprintf(os.Stderr, "e2e: shared server: requests served per node %v, 5xx answers (but 501) %v\n", shared.lb.Served(), shared.lb.Failed())
	}
	shared.Close()
	return code
}

// externalEndpoint reads ZONAL_E2E_ENDPOINT, ZONAL_E2E_ACCESS_KEY and
// ZONAL_E2E_SECRET_KEY: the server to test instead of starting one (nil
// when the endpoint is unset). The keys must be the root keys of account
// 000000000000 (tests check principal ARNs); the server must accept
// use1-az4 as a zone and answer for region us-east-1, as zonal does by
// default.
func externalEndpoint() (*zonalServer, error) {
	ep := os.Getenv("ZONAL_E2E_ENDPOINT")
	if ep == "" {
		return nil, nil
	}
	ak, sk := os.Getenv("ZONAL_E2E_ACCESS_KEY"), os.Getenv("ZONAL_E2E_SECRET_KEY")
	if ak == "" || sk == "" {
		return nil, errors.New("ZONAL_E2E_ENDPOINT needs ZONAL_E2E_ACCESS_KEY and ZONAL_E2E_SECRET_KEY")
	}
	u, err := url.Parse(ep)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return nil, fmt.Errorf("ZONAL_E2E_ENDPOINT=%q: want http(s)://host:port", ep)
	}
	return &zonalServer{Opts: serverOpts{Name: "external"}, Addr: u.Host, Endpoint: u.Scheme + "://" + u.Host,
		AccessKey: ak, SecretKey: sk}, nil
}

// external reports whether the suite runs against ZONAL_E2E_ENDPOINT.
func external() bool { return shared != nil && len(shared.nodes) == 0 }

// needsOwnProcess lists the tests that use the shared server but read its
// log or data folder, which an external endpoint does not offer; they skip
// in that mode (tests with servers of their own skip in startServer).
var needsOwnProcess = map[string]string{
	"TestUnknownSubResourcesChangeNothing": "reads the server's access log",
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

// serverOpts are the knobs a test may set on its own server.
type serverOpts struct {
	Name       string   // used in the data dir name and log markers
	SessionTTL string   // --session-ttl, e.g. "2s"; empty = server default
	ExtraArgs  []string // more flags (a test may change them before Restart)
}

// zonalServer is one zonal child process (and its restarts on the same
// data dir and address), or in ZONAL_E2E_NODES mode several behind a
// round-robin proxy, or the external endpoint (no nodes).
type zonalServer struct {
	Opts      serverOpts
	Addr      string // 127.0.0.1:port (the proxy's in nodes mode)
	Endpoint  string // http(s)://127.0.0.1:port
	DataDir   string // node 0's
	AccessKey string
	SecretKey string

	nodes    []*zonalproc.Server
	nodeArgs [][]string  // flags of one node only (its cache folder), after Opts.args()
	lb       *roundRobin // nodes mode: the proxy at Addr
}

func randHex(n int) string {
	b := make([]byte, (n+1)/2)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)[:n]
}

// args are the server flags opts ask for.
func (o serverOpts) args() []string {
	args := []string{"--region", testRegion}
	if o.SessionTTL != "" {
		args = append(args, "--session-ttl", o.SessionTTL)
	}
	return append(args, o.ExtraArgs...)
}

// launchServer creates a data dir and starts a server on a free port (in
// nodes mode: nodeCount processes and the proxy in front of them).
func launchServer(opts serverOpts) (*zonalServer, error) {
	if opts.Name == "" {
		opts.Name = "srv"
	}
	base, err := os.MkdirTemp(workDir, "srv-"+sanitizeName(opts.Name)+"-")
	if err != nil {
		return nil, err
	}
	n := max(nodeCount, 1)
	nodeDir := func(i int) string {
		if nodeCount == 0 {
			return base
		}
		return filepath.Join(base, fmt.Sprintf("node%d", i))
	}
	if tlsMode && shared != nil {
		// Every server reuses the shared server's certificate (zonal keeps
		// one it finds in <data>/tls/), so one trusted file covers them all.
		for _, f := range []string{"cert.pem", "key.pem"} {
			if err := copyFile(filepath.Join(shared.DataDir, "tls", f), filepath.Join(nodeDir(0), "data", "tls", f), 0o600); err != nil {
				return nil, err
			}
		}
	}
	if pgServer != nil {
		// A database of the server's own, kept across its restarts.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		dsn, err := pgServer.CreateDatabase(ctx, fmt.Sprintf("e2e%d", pgDatabases.Add(1)))
		cancel()
		if err != nil {
			return nil, err
		}
		opts.ExtraArgs = append([]string{"--catalog", dsn}, opts.ExtraArgs...)
	}
	if nodeCount > 0 {
		// Node 0 creates the key files; the others start after it.
		keys := filepath.Join(base, "keys")
		opts.ExtraArgs = append([]string{"--master-key-file", filepath.Join(keys, "master.key"),
			"--sse-key-file", filepath.Join(keys, "sse.key")}, opts.ExtraArgs...)
	}
	nodeArgs := make([][]string, n)
	if weedServer != nil {
		bucket := fmt.Sprintf("e2e%d", weedBuckets.Add(1))
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := weedServer.CreateBucket(ctx, bucket)
		cancel()
		if err != nil {
			return nil, err
		}
		// With a small node-local cache: written through on PUT, filled
		// on GET, evicted under load, emptied at each restart (so reads
		// after a restart come from SeaweedFS).
		opts.ExtraArgs = append([]string{"--blob", "s3://" + bucket + "/blobs", "--blob-endpoint", weedServer.Endpoint(),
			"--blob-access-key-id", weedServer.AccessKey(), "--blob-secret-access-key", weedServer.SecretKey(),
			"--cache-size", "32MiB"}, opts.ExtraArgs...)
		for i := range nodeArgs {
			nodeArgs[i] = []string{"--cache-dir", filepath.Join(nodeDir(i), "cache")}
		}
	}
	s := &zonalServer{Opts: opts, AccessKey: rootAccessKey, SecretKey: rootSecretKey, nodeArgs: nodeArgs}
	launch := func(i int) (*zonalproc.Server, error) {
		name := opts.Name
		if nodeCount > 0 {
			name = fmt.Sprintf("%s/node%d", opts.Name, i)
		}
		return zonalproc.Launch(zonalproc.Options{
			Name: name, Data: filepath.Join(nodeDir(i), "data"), LogPath: filepath.Join(nodeDir(i), "zonal.log"),
			AccessKey: rootAccessKey, SecretKey: rootSecretKey, Args: append(opts.args(), nodeArgs[i]...), TLS: tlsMode,
		})
	}
	p, err := launch(0)
	if err != nil {
		return nil, err
	}
	tlsDir := ""
	if tlsMode && nodeCount > 0 {
		// One certificate for every node and the proxy: node 0's.
		tlsDir = filepath.Join(p.Data, "tls")
		for i := 1; i < n; i++ {
			for _, f := range []string{"cert.pem", "key.pem"} {
				if err := copyFile(filepath.Join(tlsDir, f), filepath.Join(nodeDir(i), "data", "tls", f), 0o600); err != nil {
					p.Kill()
					p.Close()
					return nil, err
				}
			}
		}
	}
	s.nodes = make([]*zonalproc.Server, n)
	s.nodes[0] = p
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 1; i < n; i++ {
		wg.Go(func() { s.nodes[i], errs[i] = launch(i) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, p := range s.nodes {
			if p != nil {
				p.Kill()
				p.Close()
			}
		}
		return nil, err
	}
	s.Addr, s.Endpoint, s.DataDir = p.Addr, p.Endpoint, p.Data
	if nodeCount > 0 {
		backends := make([]string, n)
		for i, p := range s.nodes {
			backends[i] = p.Addr
		}
		if s.lb, err = startRoundRobin(backends, tlsDir); err != nil {
			s.Kill()
			s.Close()
			return nil, err
		}
		s.Addr, s.Endpoint = s.lb.Addr, s.lb.scheme+"://"+s.lb.Addr
	}
	return s, nil
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

// Pid returns the process id of the running server (node 0's; 0 if none).
func (s *zonalServer) Pid() int { return s.nodes[0].PID() }

// eachNode runs f on every node at once and joins the errors. The proxy
// then forgets its connections to the nodes, now gone or new.
func (s *zonalServer) eachNode(f func(*zonalproc.Server) error) error {
	if s.lb != nil {
		defer s.lb.dropIdle()
	}
	errs := make([]error, len(s.nodes))
	var wg sync.WaitGroup
	for i, p := range s.nodes {
		wg.Go(func() {
			if err := f(p); err != nil {
				errs[i] = fmt.Errorf("%s: %w", p.Opts.Name, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Stop sends SIGTERM and waits up to 10 s, then SIGKILL.
func (s *zonalServer) Stop() error { return s.eachNode((*zonalproc.Server).Stop) }

// Kill sends SIGKILL (kill -9) and waits for the process to be gone.
func (s *zonalServer) Kill() {
	_ = s.eachNode(func(p *zonalproc.Server) error { p.Kill(); return nil })
}

// Restart starts the server again on the same address and data dir, with
// the flags of s.Opts as they are now. The key files exist by now, so the
// nodes restart together.
func (s *zonalServer) Restart() error {
	for i, p := range s.nodes {
		p.Opts.Args = append(s.Opts.args(), s.nodeArgs[i]...)
	}
	return s.eachNode((*zonalproc.Server).Restart)
}

// Close closes the logs and the proxy; call it once the server is stopped.
func (s *zonalServer) Close() {
	for _, p := range s.nodes {
		p.Close()
	}
	if s.lb != nil {
		s.lb.Close()
	}
}

// roundRobinErr is not nil when the proxy of a server that served enough
// requests to tell left a node without any: the mode would then test less
// than it claims.
func (s *zonalServer) roundRobinErr() error {
	if s.lb == nil {
		return nil
	}
	served, total := s.lb.Served(), int64(0)
	for _, n := range served {
		total += n
	}
	if total < int64(len(served))*10 {
		return nil
	}
	for i, n := range served {
		if n == 0 {
			return fmt.Errorf("node %d served none of the %d requests (per node: %v)", i, total, served)
		}
	}
	return nil
}

// nodeLabel prefixes a node's log lines when there are several.
func (s *zonalServer) nodeLabel(i int) string {
	if len(s.nodes) < 2 {
		return ""
	}
	return fmt.Sprintf("[node%d] ", i)
}

// Log returns everything the server (every node, one after another) wrote.
func (s *zonalServer) Log() string {
	var b strings.Builder
	for _, p := range s.nodes {
		b.WriteString(p.Log())
	}
	return b.String()
}

// LogTail returns the last n lines of the server's combined stdout/stderr
// (of each node).
func (s *zonalServer) LogTail(n int) string {
	if len(s.nodes) == 0 {
		return "(external endpoint: no log)"
	}
	if len(s.nodes) == 1 {
		return s.nodes[0].LogTail(n)
	}
	var parts []string
	for i, p := range s.nodes {
		parts = append(parts, fmt.Sprintf("---- node%d ----\n%s", i, p.LogTail(n)))
	}
	return strings.Join(parts, "\n")
}

// LogGrep returns the log lines containing any of the needles (at most max).
func (s *zonalServer) LogGrep(max int, needles ...string) string {
	var out []string
	for i, p := range s.nodes {
		for _, line := range p.LogGrep(max-len(out), needles...) {
			out = append(out, s.nodeLabel(i)+line)
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
	if external() {
		t.Skip("needs a zonal server of its own (flags, restarts, kills or a second account): skipped against ZONAL_E2E_ENDPOINT")
	}
	skipIfProxied(t, t.Name())
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
		if err := s.roundRobinErr(); err != nil {
			t.Errorf("ZONAL_E2E_NODES: %v", err)
		} else if s.lb != nil {
			t.Logf("requests served per node %v, 5xx answers (but 501) %v", s.lb.Served(), s.lb.Failed())
		}
		if t.Failed() {
			t.Logf("---- zonal server %q log (tail) ----\n%s", opts.Name, s.LogTail(60))
		}
		s.Close()
	})
	return s
}

// sharedServer returns the shared server and arranges for the part of its
// log mentioning this test's buckets (or, failing that, its tail) to be
// printed when the test fails.
func sharedServer(t *testing.T, needles ...*[]string) *zonalServer {
	t.Helper()
	if why := needsOwnProcess[t.Name()]; why != "" && external() {
		t.Skip(why + ": skipped against ZONAL_E2E_ENDPOINT")
	}
	skipIfProxied(t, t.Name())
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
