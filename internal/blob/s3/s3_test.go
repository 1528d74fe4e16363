package s3_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/zonal-dev/zonal/internal/blob"
	"github.com/zonal-dev/zonal/internal/blob/blobtest"
	"github.com/zonal-dev/zonal/internal/blob/s3"
	"github.com/zonal-dev/zonal/internal/blob/s3/s3test"
)

// One SeaweedFS for the package; each test has its own prefix in one
// bucket.
var (
	srv    *s3test.Server
	srvErr error
)

const bucket = "zonal-blobs"

func TestMain(m *testing.M) {
	srv, srvErr = s3test.Start(s3test.Options{
		Bin:      os.Getenv("ZONAL_WEED_BIN"),
		Required: os.Getenv("ZONAL_REQUIRE_SEAWEEDFS") == "1",
	})
	if srvErr == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		srvErr = srv.CreateBucket(ctx, bucket)
		cancel()
	}
	code := m.Run()
	if srv != nil {
		srv.Close()
	}
	os.Exit(code)
}

var ctx = context.Background()

// counter is an http.RoundTripper that counts requests by kind.
type counter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counter) RoundTrip(req *http.Request) (*http.Response, error) {
	kind := req.Method
	q := req.URL.Query()
	switch {
	case q.Has("uploadId") && req.Method == http.MethodPut:
		kind = "UploadPart"
	case q.Has("uploads"):
		kind = "CreateMultipartUpload"
	case q.Has("uploadId") && req.Method == http.MethodPost:
		kind = "CompleteMultipartUpload"
	case q.Has("uploadId") && req.Method == http.MethodDelete:
		kind = "AbortMultipartUpload"
	}
	c.mu.Lock()
	c.n[kind]++
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

func (c *counter) get(kind string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[kind]
}

func (c *counter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n = map[string]int{}
}

var prefixes sync.Map

// openStore opens a store under a prefix of its own, with opts over the
// server's endpoint and keys; its requests go through the returned
// counter, unless opts has an HTTPClient or sets ReadTimeout, which only
// the SDK's own HTTP client honours.
func openStore(t *testing.T, opts s3.Options) (*s3.Store, *counter, s3.Options) {
	t.Helper()
	s3test.Need(t, srvErr)
	c := &counter{n: map[string]int{}}
	opts.Endpoint, opts.Bucket = srv.Endpoint(), bucket
	opts.AccessKeyID, opts.SecretAccessKey = srv.AccessKey(), srv.SecretKey()
	opts.Prefix = fmt.Sprintf("t/%s-%d", strings.ReplaceAll(t.Name(), "/", "."), rand.Uint32())
	if _, dup := prefixes.LoadOrStore(opts.Prefix, true); dup {
		t.Fatalf("prefix %s used twice", opts.Prefix)
	}
	if opts.ReadTimeout == 0 && opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Transport: c}
	}
	s, err := s3.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s, c, opts
}

func TestConformance(t *testing.T) {
	// The smallest parts put blobtest's 8 MiB blob on the multipart path;
	// its small ones stay single PUTs.
	blobtest.Run(t, func(t *testing.T) blob.Store {
		s, _, _ := openStore(t, s3.Options{PartSize: s3.MinPartSize})
		return s
	})
}

func readBlob(t *testing.T, s blob.Store, id string) []byte {
	t.Helper()
	r, err := s.Open(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(io.NewSectionReader(r, 0, r.Size()))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestMultipart writes a blob of several parts and checks it went up as a
// multipart upload of the expected parts and reads back whole.
func TestMultipart(t *testing.T) {
	const part = s3.MinPartSize
	s, c, _ := openStore(t, s3.Options{PartSize: part, Concurrency: 2})
	data := blobtest.RandomBytes(3*part+7, 1)
	id := blobtest.Write(t, s, data, 100007)
	if got := c.get("UploadPart"); got != 4 {
		t.Errorf("UploadPart requests = %d, want 4", got)
	}
	if c.get("CreateMultipartUpload") != 1 || c.get("CompleteMultipartUpload") != 1 || c.get("PUT") != 0 {
		t.Errorf("requests %v: want one multipart upload and no PutObject", c.n)
	}
	if !bytes.Equal(readBlob(t, s, id), data) {
		t.Fatal("multipart blob reads back different")
	}
	// Exactly one part's worth is a single PutObject.
	c.reset()
	id = blobtest.Write(t, s, data[:part], part)
	if c.get("PUT") != 1 || c.get("CreateMultipartUpload") != 0 {
		t.Errorf("requests %v for a blob of PartSize: want one PutObject", c.n)
	}
	if !bytes.Equal(readBlob(t, s, id), data[:part]) {
		t.Fatal("one-part blob reads back different")
	}
}

// pending lists the unfinished multipart uploads under the store's prefix.
func pending(t *testing.T, opts s3.Options) int {
	t.Helper()
	out, err := srv.Client().ListMultipartUploads(ctx, &awss3.ListMultipartUploadsInput{Bucket: aws.String(bucket), Prefix: aws.String(opts.Prefix + "/")})
	if err != nil {
		t.Fatal(err)
	}
	return len(out.Uploads)
}

func objects(t *testing.T, opts s3.Options) int {
	t.Helper()
	out, err := srv.Client().ListObjectsV2(ctx, &awss3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(opts.Prefix + "/")})
	if err != nil {
		t.Fatal(err)
	}
	return len(out.Contents)
}

// TestAbortMultipart aborts a writer that has parts uploaded, and fails a
// Commit by ending its context: neither leaves an object or an upload.
func TestAbortMultipart(t *testing.T) {
	const part = s3.MinPartSize
	s, c, opts := openStore(t, s3.Options{PartSize: part, Concurrency: 2})
	w, err := s.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(blobtest.RandomBytes(3*part, 2)); err != nil {
		t.Fatal(err)
	}
	if n := pending(t, opts); n != 1 {
		t.Fatalf("%d multipart uploads while writing, want 1 (the test would prove nothing)", n)
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if c.get("AbortMultipartUpload") != 1 {
		t.Errorf("requests %v: want one AbortMultipartUpload", c.n)
	}
	if n, m := objects(t, opts), pending(t, opts); n != 0 || m != 0 {
		t.Fatalf("after Abort: %d objects and %d uploads, want none", n, m)
	}

	cctx, cancel := context.WithCancel(ctx)
	w, err = s.Create(cctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(blobtest.RandomBytes(2*part, 3)); err != nil {
		t.Fatal(err)
	}
	cancel()
	if id, err := w.Commit(); err == nil {
		t.Fatalf("Commit under an ended context returned %s", id)
	}
	if n, m := objects(t, opts), pending(t, opts); n != 0 || m != 0 {
		t.Fatalf("after a failed Commit: %d objects and %d uploads, want none", n, m)
	}
}

// TestReadAhead streams a blob in io.Copy's 32 KiB reads and checks the
// reader asked for ReadAhead-sized windows, not one GET per read; random
// reads stay correct and fetch only what they ask for.
func TestReadAhead(t *testing.T) {
	const ahead = 1 << 20
	s, c, _ := openStore(t, s3.Options{ReadAhead: ahead})
	data := blobtest.RandomBytes(4*ahead+100, 4)
	id := blobtest.Write(t, s, data, len(data))
	c.reset()
	r, err := s.Open(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var got bytes.Buffer
	// Plain Reader and Writer, so the copy goes in 32 KiB reads
	// (bytes.Buffer's ReadFrom would read in growing sizes).
	src := struct{ io.Reader }{io.NewSectionReader(r, 0, r.Size())}
	if _, err := io.CopyBuffer(struct{ io.Writer }{&got}, src, make([]byte, 32<<10)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), data) {
		t.Fatal("sequential read differs")
	}
	// 4 MiB + 100 bytes in 1 MiB windows: 5 GETs (the first one Open's),
	// against 129 without, and no HeadObject.
	if n, h := c.get("GET"), c.get("HEAD"); n != 5 || h != 0 {
		t.Errorf("opening and streaming %d bytes took %d GETs and %d HEADs, want 5 and 0", len(data), n, h)
	}

	c.reset()
	rng := rand.New(rand.NewPCG(5, 5))
	const reads = 40
	for range reads {
		off := rng.IntN(len(data))
		buf := make([]byte, min(rng.IntN(100<<10)+1, len(data)-off))
		if n, err := r.ReadAt(buf, int64(off)); n != len(buf) || (err != nil && err != io.EOF) || !bytes.Equal(buf, data[off:off+n]) {
			t.Fatalf("ReadAt(off %d, len %d) = %d, %v or wrong bytes", off, len(buf), n, err)
		}
	}
	if n := c.get("GET"); n > reads {
		t.Errorf("%d random reads took %d GETs", reads, n)
	}
}

// TestOpenOneRequest: opening and reading a whole blob of up to ReadAhead
// bytes costs one GET, and an empty blob opens too (its ranged GET is a
// 416, then a HeadObject).
func TestOpenOneRequest(t *testing.T) {
	const ahead = 64 << 10
	s, c, _ := openStore(t, s3.Options{ReadAhead: ahead})
	for _, n := range []int{0, 1, ahead - 1, ahead, ahead + 1} {
		data := blobtest.RandomBytes(n, uint64(n)+7)
		id := blobtest.Write(t, s, data, max(n, 1))
		c.reset()
		r, err := s.Open(ctx, id)
		if err != nil {
			t.Fatalf("open %d bytes: %v", n, err)
		}
		if r.Size() != int64(n) {
			t.Errorf("size %d, want %d", r.Size(), n)
		}
		got, err := io.ReadAll(io.NewSectionReader(r, 0, r.Size()))
		r.Close()
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%d bytes read back as %d, %v", n, len(got), err)
		}
		want := 1
		if n == 0 || n > ahead {
			want = 2 // the 416 and HEAD of an empty blob; a second window
		}
		if got := c.get("GET") + c.get("HEAD"); got != want {
			t.Errorf("%d bytes: %v requests, want %d", n, c.n, want)
		}
	}
	if _, err := s.Open(ctx, blob.NewID()); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("open of a missing blob: %v, want ErrNotFound", err)
	}
}

// TestWindowReuse reads blobs from many readers at once, each closed as
// soon as it is read: read-ahead windows go back to a pool at Close and
// on every refill, and no reader may see another's bytes.
func TestWindowReuse(t *testing.T) {
	const ahead = 64 << 10
	s, _, _ := openStore(t, s3.Options{ReadAhead: ahead})
	var blobs [][]byte
	var ids []string
	for i := range 3 {
		data := blobtest.RandomBytes(5*ahead/2+i, uint64(100+i))
		blobs, ids = append(blobs, data), append(ids, blobtest.Write(t, s, data, len(data)))
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				k := (g + i) % len(ids)
				r, err := s.Open(ctx, ids[k])
				if err != nil {
					t.Error(err)
					return
				}
				got, err := io.ReadAll(io.NewSectionReader(r, 0, r.Size()))
				r.Close()
				if err != nil || !bytes.Equal(got, blobs[k]) {
					t.Errorf("blob %d read back wrong (%d bytes, %v)", k, len(got), err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestBackendDown kills SeaweedFS under a store: every call fails within
// a bounded time with blob.ErrUnavailable, a failed Commit leaves
// nothing, and once the server is back the same Store works again and
// the blobs committed before are intact.
func TestBackendDown(t *testing.T) {
	s, _, opts := openStore(t, s3.Options{PartSize: s3.MinPartSize, MaxAttempts: 3, MaxBackoff: 100 * time.Millisecond})
	small, large := blobtest.RandomBytes(1000, 6), blobtest.RandomBytes(s3.MinPartSize+300<<10, 7)
	smallID, largeID := blobtest.Write(t, s, small, 100), blobtest.Write(t, s, large, 65536)
	r, err := s.Open(ctx, largeID)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	// Kill rather than Stop: as good a test and 15 s faster.
	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	restarted := false
	defer func() {
		if !restarted {
			srv.Start() // leave the server up for the other tests
		}
	}()

	const bound = 10 * time.Second
	check := func(what string, err error, start time.Time) {
		t.Helper()
		if !errors.Is(err, blob.ErrUnavailable) {
			t.Errorf("%s with the backend down: %v, want ErrUnavailable", what, err)
		}
		if d := time.Since(start); d > bound {
			t.Errorf("%s took %v to fail, want under %v", what, d, bound)
		} else {
			t.Logf("%s failed in %v: %v", what, d.Round(time.Millisecond), err)
		}
	}
	for _, size := range []int{10, s3.MinPartSize + 10} { // single PUT, multipart
		start := time.Now()
		w, err := s.Create(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_, err = w.Write(blobtest.RandomBytes(size, 8))
		if err == nil {
			_, err = w.Commit()
		} else {
			w.Abort()
		}
		check(fmt.Sprintf("writing %d bytes", size), err, start)
	}
	start := time.Now()
	_, err = s.Open(ctx, smallID)
	check("Open", err, start)
	start = time.Now()
	// Past the first window, which Open fetched while the server was up.
	_, err = r.ReadAt(make([]byte, 10), int64(len(large)-10))
	check("ReadAt", err, start)
	start = time.Now()
	check("Delete", s.Delete(ctx, smallID), start)
	start = time.Now()
	check("Walk", s.Walk(ctx, func(string, time.Time) error { return nil }), start)

	t0 := time.Now()
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	restarted = true
	t.Logf("SeaweedFS restarted in %v", time.Since(t0))
	if !bytes.Equal(readBlob(t, s, smallID), small) || !bytes.Equal(readBlob(t, s, largeID), large) {
		t.Fatal("blobs committed before the outage read back different")
	}
	buf := make([]byte, 1000)
	if n, err := r.ReadAt(buf, 5000); n != len(buf) || err != nil || !bytes.Equal(buf, large[5000:6000]) {
		t.Fatalf("Reader opened before the outage: ReadAt = %d, %v or wrong bytes", n, err)
	}
	id := blobtest.Write(t, s, small, len(small))
	if !bytes.Equal(readBlob(t, s, id), small) {
		t.Fatal("blob written after the outage reads back different")
	}
	var ids []string
	if err := s.Walk(ctx, func(id string, _ time.Time) error { ids = append(ids, id); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 3 {
		t.Errorf("Walk lists %d blobs after the outage, want the 3 committed: failed writes left some", len(ids))
	}
	if n := pending(t, opts); n != 0 {
		t.Errorf("%d multipart uploads left after the outage", n)
	}
}

// TestBackendHung freezes SeaweedFS: requests then connect but get no
// answer, and must fail after ReadTimeout and the retries with
// blob.ErrUnavailable rather than hang; once it thaws the store works.
func TestBackendHung(t *testing.T) {
	s, _, _ := openStore(t, s3.Options{MaxAttempts: 2, MaxBackoff: 100 * time.Millisecond, ReadTimeout: 500 * time.Millisecond})
	id := blobtest.Write(t, s, []byte("before"), 6)
	if err := srv.Pause(); err != nil {
		t.Fatal(err)
	}
	resumed := false
	defer func() {
		if !resumed {
			srv.Resume()
		}
	}()
	start := time.Now()
	_, err := s.Open(ctx, id)
	d := time.Since(start)
	if !errors.Is(err, blob.ErrUnavailable) {
		t.Errorf("Open of a hung backend: %v, want ErrUnavailable", err)
	}
	// Two attempts of 0.5 s and a short backoff.
	if d > 5*time.Second {
		t.Errorf("Open of a hung backend took %v", d)
	}
	t.Logf("Open of a hung backend failed in %v", d.Round(time.Millisecond))
	if err := srv.Resume(); err != nil {
		t.Fatal(err)
	}
	resumed = true
	if got := readBlob(t, s, id); string(got) != "before" {
		t.Fatalf("after the backend thawed the blob reads %q", got)
	}
}

// flaky answers the next fail requests with 503 SlowDown itself, then
// passes requests on.
type flaky struct {
	mu   sync.Mutex
	fail int
	seen int
}

func (f *flaky) RoundTrip(req *http.Request) (*http.Response, error) {
	f.mu.Lock()
	f.seen++
	fail := f.fail > 0
	if fail {
		f.fail--
	}
	f.mu.Unlock()
	if !fail {
		return http.DefaultTransport.RoundTrip(req)
	}
	if req.Body != nil {
		io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	body := "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
	return &http.Response{
		StatusCode: http.StatusServiceUnavailable, Status: "503 Service Unavailable",
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/xml"}},
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)), Request: req,
	}, nil
}

// TestSlowDown checks that 503 SlowDown answers are retried within
// MaxAttempts, and wrap blob.ErrUnavailable once the attempts run out.
func TestSlowDown(t *testing.T) {
	s3test.Need(t, srvErr)
	f := &flaky{}
	s, _, _ := openStore(t, s3.Options{MaxAttempts: 3, MaxBackoff: 50 * time.Millisecond, HTTPClient: &http.Client{Transport: f}})
	f.mu.Lock()
	f.fail, f.seen = 2, 0
	f.mu.Unlock()
	id := blobtest.Write(t, s, []byte("slow"), 4)
	f.mu.Lock()
	if f.seen != 3 {
		t.Errorf("a PUT answered 503 twice took %d requests, want 3", f.seen)
	}
	f.fail = 3
	f.mu.Unlock()
	if _, err := s.Open(ctx, id); !errors.Is(err, blob.ErrUnavailable) {
		t.Fatalf("Open answered 503 on every attempt: %v, want ErrUnavailable", err)
	}
	if got := readBlob(t, s, id); string(got) != "slow" {
		t.Fatalf("blob reads %q", got)
	}
}

// cutter passes requests on, and cuts the body of the next cuts GET
// answers off after keep bytes, as a reset connection would.
type cutter struct {
	mu   sync.Mutex
	cuts int
	keep int
	gets int
}

func (c *cutter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil || req.Method != http.MethodGet {
		return resp, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gets++
	if c.cuts > 0 && resp.StatusCode == http.StatusPartialContent {
		c.cuts--
		resp.Body = &cutBody{ReadCloser: resp.Body, left: c.keep}
	}
	return resp, nil
}

type cutBody struct {
	io.ReadCloser
	left int
}

func (b *cutBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, io.ErrUnexpectedEOF
	}
	if len(p) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= n
	return n, err
}

// TestBodyCutOffIsResumed: a GET whose body breaks off after its answer
// (which the SDK does not retry) is resumed from the first missing byte,
// in Open's first window and in later reads; a body that keeps breaking
// off is ErrUnavailable after bodyAttempts.
func TestBodyCutOffIsResumed(t *testing.T) {
	s3test.Need(t, srvErr)
	c := &cutter{}
	s, _, _ := openStore(t, s3.Options{ReadAhead: 1 << 20, HTTPClient: &http.Client{Transport: c}})
	data := blobtest.RandomBytes(3<<20+12345, 7)
	id := blobtest.Write(t, s, data, 1<<20)
	c.mu.Lock()
	c.cuts, c.keep, c.gets = 2, 100_000, 0 // Open's window, then the second window
	c.mu.Unlock()
	if got := readBlob(t, s, id); !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes, want the %d written", len(got), len(data))
	}
	c.mu.Lock()
	gets, left := c.gets, c.cuts
	c.cuts = 1 << 30 // every answer from now on
	c.mu.Unlock()
	if left != 0 || gets < 6 {
		t.Fatalf("%d GETs with %d cuts left: the cut bodies were not read", gets, left)
	}
	r, err := s.Open(ctx, id)
	if err == nil {
		r.Close()
		t.Fatal("Open succeeded though every body broke off")
	}
	if !errors.Is(err, blob.ErrUnavailable) {
		t.Fatalf("Open with every body broken off: %v, want ErrUnavailable", err)
	}
}
