package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/sigv4"
)

// limitsBucket is the bucket the limit tests write to.
const limitsBucket = "limits--use1-az4--x-s3"

// rawClient sends hand-signed requests, over net/http or as raw bytes on
// a TCP connection (for clients that stall or trickle on purpose).
type rawClient struct {
	t      *testing.T
	base   string // http(s)://127.0.0.1:port
	addr   string // 127.0.0.1:port
	signer *sigv4.Signer
	hc     *http.Client
}

func newRawClient(t *testing.T, endpoint string) *rawClient {
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	return &rawClient{t: t, base: endpoint, addr: u.Host,
		signer: &sigv4.Signer{AccessKeyID: testAKID, SecretAccessKey: testSecret, Region: "us-east-1", Service: "s3express"},
		hc:     &http.Client{Timeout: 30 * time.Second}}
}

// request builds a signed request; path is sent as given (escaped form).
func (c *rawClient) request(method, path string, body []byte, h http.Header) *http.Request {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	hash := sigv4.HashPayload(body)
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
		hash = ""
	}
	c.signer.Sign(req, hash, time.Now())
	return req
}

func (c *rawClient) do(method, path string, body []byte, h http.Header) (*http.Response, []byte) {
	c.t.Helper()
	resp, err := c.hc.Do(c.request(method, path, body, h))
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// rawHeader is the HTTP/1.1 header block of a signed request declaring a
// body of length bytes (-1: chunked) with an unsigned payload.
func (c *rawClient) rawHeader(method, path string, length int64, h http.Header) []byte {
	c.t.Helper()
	req, err := http.NewRequest(method, "http://"+c.addr+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if length >= 0 {
		req.Header.Set("Content-Length", strconv.FormatInt(length, 10))
	}
	c.signer.Sign(req, sigv4.UnsignedPayload, time.Now())
	if length < 0 {
		req.Header.Set("Transfer-Encoding", "chunked")
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, req.URL.RequestURI(), c.addr)
	req.Header.Write(&b)
	b.WriteString("\r\n")
	return b.Bytes()
}

func (c *rawClient) dial() net.Conn {
	c.t.Helper()
	conn, err := net.Dial("tcp", c.addr)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { conn.Close() })
	return conn
}

// errorCode extracts <Code> from an S3 XML error body.
func errorCode(body []byte) string {
	var e struct {
		Code string `xml:"Code"`
	}
	_ = xml.Unmarshal(body, &e)
	return e.Code
}

// startLimited serves a server with the given limits and a bucket.
func startLimited(t *testing.T, lim Limits) (*Server, *rawClient) {
	t.Helper()
	endpoint, srv := startCfg(t, Config{Limits: lim})
	c := newRawClient(t, endpoint)
	if err := createBucket(context.Background(), s3Client(t, endpoint, testAKID, testSecret, nil), limitsBucket); err != nil {
		t.Fatal(err)
	}
	return srv, c
}

// readResponse reads one response from conn within d.
func readResponse(t *testing.T, conn net.Conn, d time.Duration) (*http.Response, []byte) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(d))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, b
}

// waitClosed waits until the server closes conn (EOF or reset) within d.
func waitClosed(t *testing.T, conn net.Conn, d time.Duration) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server kept the connection open for %v", d)
	}
}

// TestBodyIdleTimeout: a body that stops sending fails with 400
// RequestTimeout after --body-idle-timeout and the connection is closed,
// while a slow body that keeps sending within the timeout is stored.
func TestBodyIdleTimeout(t *testing.T) {
	lim := DefaultLimits()
	lim.BodyIdleTimeout = 400 * time.Millisecond
	lim.BodyMinRate = 0
	srv, c := startLimited(t, lim)

	conn := c.dial()
	conn.Write(c.rawHeader("PUT", "/"+limitsBucket+"/stalled", 1000, nil))
	conn.Write(bytes.Repeat([]byte("x"), 100))
	t0 := time.Now()
	resp, body := readResponse(t, conn, 5*time.Second)
	if resp.StatusCode != 400 || errorCode(body) != "RequestTimeout" || resp.Header.Get("X-Amz-Request-Id") == "" {
		t.Fatalf("stalled body: %d %s", resp.StatusCode, body)
	}
	if el := time.Since(t0); el < 300*time.Millisecond || el > 3*time.Second {
		t.Fatalf("RequestTimeout after %v, want about 400ms", el)
	}
	waitClosed(t, conn, 3*time.Second)
	if resp, _ := c.do("HEAD", "/"+limitsBucket+"/stalled", nil, nil); resp.StatusCode != 404 {
		t.Fatalf("the stalled object exists: HEAD %d", resp.StatusCode)
	}

	// 10 chunks 150ms apart: 1.5 s in all, never 400ms without a byte.
	conn = c.dial()
	conn.Write(c.rawHeader("PUT", "/"+limitsBucket+"/slow-but-alive", 1000, nil))
	for range 10 {
		time.Sleep(150 * time.Millisecond)
		if _, err := conn.Write(bytes.Repeat([]byte("y"), 100)); err != nil {
			t.Fatal(err)
		}
	}
	if resp, body := readResponse(t, conn, 5*time.Second); resp.StatusCode != 200 {
		t.Fatalf("slow but steady body: %d %s", resp.StatusCode, body)
	}
	// The connection is reusable, with no stale deadline: wait past the
	// write idle timeout (none here, so the body timeout) and PUT again
	// with Expect: 100-continue.
	time.Sleep(500 * time.Millisecond)
	conn.Write(c.rawHeader("PUT", "/"+limitsBucket+"/second", 5, http.Header{"Expect": {"100-continue"}}))
	br := bufio.NewReader(conn)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if line, err := br.ReadString('\n'); err != nil || !strings.Contains(line, "100 Continue") {
		t.Fatalf("100-continue: %q %v", line, err)
	}
	br.ReadString('\n')
	conn.Write([]byte("hello"))
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("second PUT on the connection: %v %v", resp, err)
	}
	if n := srv.admission.inflight.Load(); n != 0 {
		t.Fatalf("%d requests still in flight", n)
	}
}

// TestBodyMinRate: a body trickling below --body-min-rate fails with
// RequestTimeout although it never stalls for the idle timeout.
func TestBodyMinRate(t *testing.T) {
	lim := DefaultLimits()
	lim.BodyIdleTimeout = 300 * time.Millisecond
	lim.BodyMinRate = 10000
	_, c := startLimited(t, lim)
	conn := c.dial()
	conn.Write(c.rawHeader("PUT", "/"+limitsBucket+"/trickle", 100000, nil))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 100 {
			time.Sleep(50 * time.Millisecond) // 20 B/s
			if _, err := conn.Write([]byte("z")); err != nil {
				return
			}
		}
	}()
	t0 := time.Now()
	resp, body := readResponse(t, conn, 5*time.Second)
	if resp.StatusCode != 400 || errorCode(body) != "RequestTimeout" {
		t.Fatalf("trickling body: %d %s", resp.StatusCode, body)
	}
	if el := time.Since(t0); el > 1500*time.Millisecond {
		t.Fatalf("RequestTimeout after %v, want about 300ms", el)
	}
	conn.Close()
	<-done
}

// TestWriteIdleTimeout: a client that never reads a large response holds
// its request for about --write-idle-timeout (four times that for a
// sendfile piece), then the server gives up; a client that reads slowly
// but steadily gets the whole object. Both with data encrypted at rest
// (responses written through Write) and stored plain (sendfile).
func TestWriteIdleTimeout(t *testing.T) {
	for _, plain := range []bool{false, true} {
		t.Run(fmt.Sprintf("plaintext=%v", plain), func(t *testing.T) {
			lim := DefaultLimits()
			lim.WriteIdleTimeout = 500 * time.Millisecond
			endpoint, srv := startCfg(t, Config{Limits: lim, PlaintextAtRest: plain})
			c := newRawClient(t, endpoint)
			if err := createBucket(context.Background(), s3Client(t, endpoint, testAKID, testSecret, nil), limitsBucket); err != nil {
				t.Fatal(err)
			}
			// 32 MiB: more than the kernel buffers on both sides of a
			// loopback connection hold, so the server's writes block.
			big := bytes.Repeat([]byte("0123456789abcdef"), 2<<20)
			if resp, body := c.do("PUT", "/"+limitsBucket+"/big", big, nil); resp.StatusCode != 200 {
				t.Fatalf("PUT: %d %s", resp.StatusCode, body)
			}
			conn := c.dial()
			conn.Write(c.rawHeader("GET", "/"+limitsBucket+"/big", 0, nil))
			t0 := time.Now()
			waitFor(t, func() bool { return srv.admission.inflight.Load() == 1 })
			waitFor(t, func() bool { return srv.admission.inflight.Load() == 0 })
			if el := time.Since(t0); el > 4*time.Second {
				t.Fatalf("the stalled GET held its slot for %v", el)
			}
			// The server cut the response: the client gets less than the object.
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			n, err := io.Copy(io.Discard, conn)
			if err != nil || n >= int64(len(big)) {
				t.Fatalf("read %d bytes (%v): the response was not cut", n, err)
			}

			// A steady reader at 8 MiB/s gets 16 MiB whole. (Slower ones
			// risk the cut: a writer blocked on a full socket is woken
			// only once a good part of the send buffer, megabytes on
			// loopback, is free again, and the deadline cannot see the
			// progress in between.)
			const want = 16 << 20
			rng := "bytes=0-" + strconv.Itoa(want-1)
			conn = c.dial()
			conn.Write(c.rawHeader("GET", "/"+limitsBucket+"/big", 0, http.Header{"Range": {rng}}))
			conn.SetReadDeadline(time.Now().Add(20 * time.Second))
			var got int64
			buf := make([]byte, 64<<10)
			start := time.Now()
			for got < want {
				m, err := conn.Read(buf)
				got += int64(m)
				if err != nil {
					break
				}
				// Pace to 8 MiB/s on average, whatever the read sizes.
				time.Sleep(time.Until(start.Add(time.Duration(got) * time.Second / (8 << 20))))
			}
			if got < want {
				t.Fatalf("a steady reader got %d bytes of %d", got, want)
			}
		})
	}
}

// TestShedding: over --max-inflight, requests get 503 SlowDown at once,
// with request ids and without their body being read; the /_zonal/
// endpoints still answer; the shed count is in the metrics.
func TestShedding(t *testing.T) {
	lim := DefaultLimits()
	lim.MaxInflight = 2
	lim.BodyIdleTimeout = 10 * time.Second
	srv, c := startLimited(t, lim)
	// Two requests hold the slots: their bodies are never sent.
	var held []net.Conn
	for i := range 2 {
		conn := c.dial()
		conn.Write(c.rawHeader("PUT", fmt.Sprintf("/%s/held-%d", limitsBucket, i), 100, nil))
		held = append(held, conn)
	}
	waitFor(t, func() bool { return srv.admission.inflight.Load() == 2 })

	t0 := time.Now()
	resp, body := c.do("GET", "/"+limitsBucket+"/anything", nil, nil)
	if resp.StatusCode != 503 || errorCode(body) != "SlowDown" || resp.Header.Get("X-Amz-Request-Id") == "" ||
		resp.Header.Get("X-Amz-Id-2") == "" || !strings.Contains(string(body), "<RequestId>") {
		t.Fatalf("over the cap: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	if el := time.Since(t0); el > time.Second {
		t.Fatalf("shedding took %v", el)
	}
	// A large body is not read, and the connection is closed.
	conn := c.dial()
	conn.Write(c.rawHeader("PUT", "/"+limitsBucket+"/large", 1<<30, nil))
	resp, body = readResponse(t, conn, 5*time.Second)
	if resp.StatusCode != 503 || errorCode(body) != "SlowDown" || !resp.Close {
		t.Fatalf("large shed PUT: %d close=%v %s", resp.StatusCode, resp.Close, body)
	}
	waitClosed(t, conn, 3*time.Second)

	for _, p := range []string{HealthPath, MetricsPath} {
		r, err := http.Get("http://" + c.addr + p)
		if err != nil || r.StatusCode != 200 {
			t.Fatalf("%s while shedding: %v %v", p, r, err)
		}
		if p == MetricsPath {
			b, _ := io.ReadAll(r.Body)
			if v, _ := metricValue(string(b), "zonal_requests_shed_total"); v != "2" {
				t.Errorf("zonal_requests_shed_total = %q, want 2", v)
			}
			if v, _ := metricValue(string(b), "zonal_requests_inflight_limit"); v != "2" {
				t.Errorf("zonal_requests_inflight_limit = %q, want 2", v)
			}
			if v, _ := metricValue(string(b), `zonal_requests_total{op="GetObject",status="503"}`); v != "1" {
				t.Errorf("shed GetObject in zonal_requests_total = %q, want 1", v)
			}
		}
		r.Body.Close()
	}
	for _, conn := range held {
		conn.Close()
	}
	waitFor(t, func() bool { return srv.admission.inflight.Load() == 0 })
	if resp, body := c.do("PUT", "/"+limitsBucket+"/after", []byte("ok"), nil); resp.StatusCode != 200 {
		t.Fatalf("after the load went: %d %s", resp.StatusCode, body)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not reached in 10 s")
}

// TestHeaderAndMetadataLimits: AWS's errors for oversized headers, user
// metadata and keys.
func TestHeaderAndMetadataLimits(t *testing.T) {
	_, c := startLimited(t, Limits{})
	put := func(key string, h http.Header) (int, string) {
		resp, body := c.do("PUT", "/"+limitsBucket+"/"+key, []byte("v"), h)
		return resp.StatusCode, errorCode(body)
	}
	// 2 KiB of metadata (names without x-amz-meta-, plus values) is the limit.
	if st, code := put("meta-ok", http.Header{"X-Amz-Meta-K": {strings.Repeat("v", 2047)}}); st != 200 {
		t.Fatalf("2048 bytes of metadata: %d %s", st, code)
	}
	if st, code := put("meta-big", http.Header{"X-Amz-Meta-K": {strings.Repeat("v", 2048)}}); st != 400 || code != "MetadataTooLarge" {
		t.Fatalf("2049 bytes of metadata: %d %s", st, code)
	}
	// 8 KiB of headers in all.
	h := http.Header{}
	for i := range 10 {
		h.Set(fmt.Sprintf("X-Filler-%d", i), strings.Repeat("f", 1000))
	}
	if st, code := put("headers-big", h); st != 400 || code != "RequestHeaderSectionTooLarge" {
		t.Fatalf("10 KB of headers: %d %s", st, code)
	}
	// Far beyond: net/http's hard cap answers before any handler.
	h.Set("X-Huge", strings.Repeat("h", 80<<10))
	if st, _ := put("headers-huge", h); st != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("80 KB of headers: %d", st)
	}
	if st, code := put(strings.Repeat("k", 1025), nil); st != 400 || code != "KeyTooLongError" {
		t.Fatalf("1025-byte key: %d %s", st, code)
	}
	if st, code := put(strings.Repeat("k", 1024), nil); st != 200 {
		t.Fatalf("1024-byte key: %d %s", st, code)
	}
	if st, code := put("bad-%FF-utf8", nil); st != 400 || code != "InvalidArgument" {
		t.Fatalf("invalid UTF-8 key: %d %s", st, code)
	}
}

// TestHostileKeysStayKeys: keys that look like paths are stored and read
// back as keys, and nothing is created outside the data folder: blob files
// are named by random ids, never by keys.
func TestHostileKeysStayKeys(t *testing.T) {
	root := t.TempDir()
	data := filepath.Join(root, "data")
	endpoint, _ := startCfg(t, Config{Data: data, InlineMax: 1}) // every object in a blob file
	c := newRawClient(t, endpoint)
	if err := createBucket(context.Background(), s3Client(t, endpoint, testAKID, testSecret, nil), limitsBucket); err != nil {
		t.Fatal(err)
	}
	outside := func() []string {
		var out []string
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if p == data {
				return filepath.SkipDir
			}
			out = append(out, p)
			return nil
		})
		sort.Strings(out)
		return out
	}
	before := outside()
	keys := map[string]string{ // key -> path as sent
		"../../etc/passwd":             "../../etc/passwd",
		"../../../../../../tmp/escape": "../../../../../../tmp/escape",
		"a//b":                         "a//b",
		"./x":                          "./x",
		"../x":                         "%2e%2e/x",
		"..":                           "..",
		"blobs/00/../../LOCK":          "blobs/00/../../LOCK",
		"nul\x00byte":                  "nul%00byte",
		"ctl\x01\x1f\x7f":              "ctl%01%1F%7F",
		"new\nline\r":                  "new%0Aline%0D",
		"back\\slash\\..\\..":          "back%5Cslash%5C..%5C..",
	}
	for key, path := range keys {
		body := []byte("value of " + key)
		if resp, b := c.do("PUT", "/"+limitsBucket+"/"+path, body, nil); resp.StatusCode != 200 {
			t.Fatalf("PUT %q: %d %s", key, resp.StatusCode, b)
		}
		resp, b := c.do("GET", "/"+limitsBucket+"/"+path, nil, nil)
		if resp.StatusCode != 200 || !bytes.Equal(b, body) {
			t.Fatalf("GET %q: %d %q", key, resp.StatusCode, b)
		}
	}
	resp, b := c.do("GET", "/"+limitsBucket+"/?list-type=2&encoding-type=url", nil, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("list: %d %s", resp.StatusCode, b)
	}
	var list struct {
		Contents []struct{ Key string }
	}
	if err := xml.Unmarshal(b, &list); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, o := range list.Contents {
		k, err := url.QueryUnescape(o.Key)
		if err != nil {
			t.Fatalf("listed key %q: %v", o.Key, err)
		}
		got[k] = true
	}
	for key := range keys {
		if !got[key] {
			t.Errorf("key %q not listed (listed: %v)", key, got)
		}
	}
	if after := outside(); strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Fatalf("files appeared outside the data folder:\nbefore %q\nafter  %q", before, after)
	}
	for _, p := range []string{"/tmp/escape", filepath.Join(root, "etc")} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s exists", p)
		}
	}
	// Every blob file is <data>/blobs/xx/<32 hex> (xx its first two).
	blobs := 0
	filepath.WalkDir(filepath.Join(data, "blobs"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(filepath.Join(data, "blobs"), p)
		dir, name := filepath.Split(rel)
		if len(name) != 32 || strings.Trim(name, "0123456789abcdef") != "" || dir != name[:2]+"/" {
			t.Errorf("unexpected file in the blob store: %s", rel)
		}
		blobs++
		return nil
	})
	if blobs < len(keys) {
		t.Errorf("%d blob files for %d objects", blobs, len(keys))
	}
}

// stallingBody sends its first part, then blocks until closed (as the
// HTTP client does once it has the response).
type stallingBody struct {
	first   []byte
	release chan struct{}
	once    sync.Once
}

func (b *stallingBody) Read(p []byte) (int, error) {
	if len(b.first) > 0 {
		n := copy(p, b.first)
		b.first = b.first[n:]
		return n, nil
	}
	<-b.release
	return 0, io.ErrUnexpectedEOF
}

func (b *stallingBody) Close() error {
	b.once.Do(func() { close(b.release) })
	return nil
}

// TestDeadlinesOverHTTP2: the body idle timeout and the write deadline
// work on HTTP/2 streams too (through http.ResponseController), and a
// stream whose body has ended is not cut by a deadline while the server
// is still working on it.
func TestDeadlinesOverHTTP2(t *testing.T) {
	lim := DefaultLimits()
	// One second, not less: under -race on a loaded 2-core machine a
	// client can pause for several hundred milliseconds between reads of
	// a 32 MiB response, and the test is about deadlines moving as bytes
	// flow, not about how short they can be.
	lim.BodyIdleTimeout = time.Second
	lim.WriteIdleTimeout = time.Second
	lim.BodyMinRate = 0
	dir := t.TempDir()
	endpoint, srv := startCfg(t, Config{Data: dir, TLSSelfSigned: true, Limits: lim})
	hc := trustClient(t, srv.SelfSignedCert())
	hc.Timeout = 10 * time.Second
	if err := createBucket(context.Background(), s3Client(t, endpoint, testAKID, testSecret, hc), limitsBucket); err != nil {
		t.Fatal(err)
	}
	c := newRawClient(t, endpoint)
	c.hc = hc

	// A stalled body: 400 RequestTimeout.
	body := &stallingBody{first: bytes.Repeat([]byte("s"), 100), release: make(chan struct{})}
	defer body.Close()
	req, _ := http.NewRequest("PUT", endpoint+"/"+limitsBucket+"/stalled-h2", body)
	req.ContentLength = 1000
	c.signer.Sign(req, sigv4.UnsignedPayload, time.Now())
	t0 := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.ProtoMajor != 2 || resp.StatusCode != 400 || errorCode(b) != "RequestTimeout" {
		t.Fatalf("stalled h2 body: %s %d %s", resp.Proto, resp.StatusCode, b)
	}
	if el := time.Since(t0); el > 3*time.Second {
		t.Fatalf("RequestTimeout after %v", el)
	}

	// Bodies larger than the inline limit, PUT then read back, each taking
	// longer than the deadlines in all (a 32 MiB object is synced to disk
	// after its body ended): nothing is cut.
	big := bytes.Repeat([]byte("0123456789abcdef"), 2<<20)
	for i := range 3 {
		key := fmt.Sprintf("/%s/big-%d", limitsBucket, i)
		if resp, b := c.do("PUT", key, big, nil); resp.StatusCode != 200 {
			t.Fatalf("PUT %s: %d %s", key, resp.StatusCode, b)
		}
		resp, b := c.do("GET", key, nil, nil)
		if resp.StatusCode != 200 || !bytes.Equal(b, big) {
			t.Fatalf("GET %s: %d, %d bytes", key, resp.StatusCode, len(b))
		}
	}
	waitFor(t, func() bool { return srv.admission.inflight.Load() == 0 })
}

// TestDiskReserve: below --min-free-disk, uploads get 503
// ServiceUnavailable (body unread), while reads and deletes still work.
func TestDiskReserve(t *testing.T) {
	lim := DefaultLimits()
	srv, c := startLimited(t, lim)
	if resp, b := c.do("PUT", "/"+limitsBucket+"/before", []byte("kept"), nil); resp.StatusCode != 200 {
		t.Fatalf("PUT: %d %s", resp.StatusCode, b)
	}
	srv.disk.min.Store(1 << 60) // more than any disk: always below the reserve
	for _, tc := range []struct{ method, path string }{
		{"PUT", "/" + limitsBucket + "/new"},
		{"PUT", "/" + limitsBucket + "/before"},
		{"POST", "/" + limitsBucket + "/mpu?uploads"},
	} {
		resp, b := c.do(tc.method, tc.path, []byte("data"), nil)
		if resp.StatusCode != 503 || errorCode(b) != "ServiceUnavailable" || !strings.Contains(string(b), "disk is nearly full") ||
			resp.Header.Get("X-Amz-Request-Id") == "" {
			t.Errorf("%s %s below the reserve: %d %s", tc.method, tc.path, resp.StatusCode, b)
		}
	}
	if resp, b := c.do("GET", "/"+limitsBucket+"/before", nil, nil); resp.StatusCode != 200 || string(b) != "kept" {
		t.Errorf("GET below the reserve: %d %s", resp.StatusCode, b)
	}
	if resp, b := c.do("DELETE", "/"+limitsBucket+"/before", nil, nil); resp.StatusCode != 204 {
		t.Errorf("DELETE below the reserve: %d %s", resp.StatusCode, b)
	}
	// Uploads in progress count against the space: with 10 MiB above the
	// reserve, a declared 8 MiB upload holds 8 of them and a second is
	// refused.
	srv.disk.min.Store(0)
	srv.disk.measure()
	srv.disk.min.Store(srv.disk.free.Load() - 10<<20)
	conn := c.dial()
	conn.Write(c.rawHeader("PUT", "/"+limitsBucket+"/first", 8<<20, nil))
	waitFor(t, func() bool { return srv.disk.pending.Load() == 8<<20 })
	if resp, b := c.do("PUT", "/"+limitsBucket+"/second", make([]byte, 4<<20), nil); resp.StatusCode != 503 {
		t.Errorf("second upload: %d %s", resp.StatusCode, errorCode(b))
	}
	conn.Close()
	waitFor(t, func() bool { return srv.disk.pending.Load() == 0 })
	srv.disk.min.Store(0)
	if resp, b := c.do("PUT", "/"+limitsBucket+"/after", []byte("ok"), nil); resp.StatusCode != 200 {
		t.Errorf("PUT with the reserve off: %d %s", resp.StatusCode, b)
	}
}
