package cache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/blob"
	"github.com/zonal-dev/zonal/internal/blob/blobtest"
	"github.com/zonal-dev/zonal/internal/blob/fs"
	"github.com/zonal-dev/zonal/internal/blob/mem"
)

var ctx = context.Background()

func TestConformanceMem(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store { return newCache(t, mem.New(), 64<<20) })
}

// TestConformanceTinyCache runs the suite with room for a few small blobs,
// so most reads evict, or are too large and go to the backend.
func TestConformanceTinyCache(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store { return newCache(t, mem.New(), 4*block) })
}

func TestConformanceFS(t *testing.T) {
	if testing.Short() {
		t.Skip("blob/fs syncs 256 folders per store")
	}
	blobtest.Run(t, func(t *testing.T) blob.Store {
		backend, err := fs.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return newCache(t, backend, 64<<20)
	})
}

func newCache(t testing.TB, backend blob.Store, maxBytes int64, opts ...Option) *Cache {
	t.Helper()
	c, err := New(backend, t.TempDir(), maxBytes, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var errBroken = errors.New("backend broken")

// counting wraps a backend, counting Opens and optionally failing reads,
// failing commits or holding Opens at a gate.
type counting struct {
	blob.Store
	opens      atomic.Int64
	failReads  atomic.Int32 // 0: read well, failBroken or failShort
	failCommit bool
	gate       chan struct{} // Open waits here, after opening, if non-nil
	opened     chan struct{} // Open signals here before waiting at gate
}

func (s *counting) Open(ctx context.Context, id string) (blob.Reader, error) {
	s.opens.Add(1)
	r, err := s.Store.Open(ctx, id)
	if s.gate != nil {
		s.opened <- struct{}{}
		<-s.gate
		if err == nil {
			err = ctx.Err() // as a remote backend's request would fail
		}
	}
	if err != nil {
		return nil, err
	}
	return &countingReader{Reader: r, s: s}, nil
}

type countingReader struct {
	blob.Reader
	s *counting
}

const (
	failBroken = 1 + iota // ReadAt returns half the bytes and errBroken
	failShort             // ReadAt returns half the bytes and io.EOF: the blob is shorter than its Size
)

func (r *countingReader) ReadAt(p []byte, off int64) (int, error) {
	switch r.s.failReads.Load() {
	case failBroken:
		n, _ := r.Reader.ReadAt(p[:len(p)/2], off)
		return n, errBroken
	case failShort:
		n, _ := r.Reader.ReadAt(p[:len(p)/2], off)
		return n, io.EOF
	}
	return r.Reader.ReadAt(p, off)
}

func (s *counting) Create(ctx context.Context) (blob.Writer, error) {
	w, err := s.Store.Create(ctx)
	if err != nil || !s.failCommit {
		return w, err
	}
	return failingWriter{w}, nil
}

type failingWriter struct{ blob.Writer }

func (w failingWriter) Commit() (string, error) {
	w.Writer.Abort()
	return "", errBroken
}

func put(t testing.TB, s blob.Store, data []byte) string {
	t.Helper()
	w, err := s.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	id, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// get opens id and reads it all, returning the open Reader too.
func get(t testing.TB, s blob.Store, id string) ([]byte, blob.Reader) {
	t.Helper()
	r, err := s.Open(ctx, id)
	if err != nil {
		t.Fatalf("Open(%s): %v", id, err)
	}
	t.Cleanup(func() { r.Close() })
	buf := make([]byte, r.Size())
	if n, err := r.ReadAt(buf, 0); n != len(buf) || (err != nil && err != io.EOF) {
		t.Fatalf("ReadAt = %d, %v; want %d bytes", n, err, len(buf))
	}
	return buf, r
}

func files(t testing.TB, c *Cache) []string {
	t.Helper()
	des, err := os.ReadDir(c.dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

func TestMissFillsThenHitSkipsBackend(t *testing.T) {
	backend := &counting{Store: mem.New()}
	c := newCache(t, backend, 1<<20)
	data := bytes.Repeat([]byte("abc"), 1000)
	id := put(t, backend, data) // behind the cache's back: not cached

	if got, _ := get(t, c, id); !bytes.Equal(got, data) {
		t.Fatal("miss read wrong bytes")
	}
	if n := backend.opens.Load(); n != 1 {
		t.Fatalf("miss opened the backend %d times, want 1", n)
	}
	for range 3 {
		got, r := get(t, c, id)
		if !bytes.Equal(got, data) {
			t.Fatal("hit read wrong bytes")
		}
		if _, ok := r.(blob.FileSectioner); !ok {
			t.Fatal("a cached Reader is not a FileSectioner")
		}
	}
	if n := backend.opens.Load(); n != 1 {
		t.Fatalf("hits opened the backend: %d opens, want 1", n)
	}
	want := Stats{Hits: 3, Misses: 1, Bytes: cost(int64(len(data))), Blobs: 1}
	if s := c.Stats(); s != want {
		t.Fatalf("Stats = %+v, want %+v", s, want)
	}
}

func TestWriteThroughFirstReadHits(t *testing.T) {
	backend := &counting{Store: mem.New()}
	c := newCache(t, backend, 1<<20)
	data := []byte("written through")
	id := put(t, c, data)
	if got, _ := get(t, backend, id); !bytes.Equal(got, data) {
		t.Fatal("backend holds wrong bytes")
	}
	backend.opens.Store(0)
	if got, _ := get(t, c, id); !bytes.Equal(got, data) {
		t.Fatal("cache read wrong bytes")
	}
	if n := backend.opens.Load(); n != 0 {
		t.Fatalf("first read after write opened the backend %d times", n)
	}
	if s := c.Stats(); s.Hits != 1 || s.Misses != 0 || s.Blobs != 1 {
		t.Fatalf("Stats = %+v, want 1 hit, 0 misses, 1 blob", s)
	}
}

func TestFailedCommitCachesNothing(t *testing.T) {
	backend := &counting{Store: mem.New(), failCommit: true}
	c := newCache(t, backend, 1<<20)
	w, err := c.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("never stored"))
	if id, err := w.Commit(); err != errBroken || id != "" {
		t.Fatalf("Commit = %q, %v; want the backend's error unchanged", id, err)
	}
	if f := files(t, c); len(f) != 0 {
		t.Fatalf("cache folder holds %v after a failed commit", f)
	}
	if s := c.Stats(); s.Blobs != 0 {
		t.Fatalf("Stats = %+v after a failed commit", s)
	}
}

// TestEmptyBlobsAreCharged: empty copies count against the budget, so
// they cannot pile up without bound.
func TestEmptyBlobsAreCharged(t *testing.T) {
	c := newCache(t, mem.New(), 2*block)
	for range 5 {
		put(t, c, nil)
	}
	if s := c.Stats(); s.Blobs != 2 || s.Evictions != 3 || s.Bytes != 2*block {
		t.Fatalf("Stats = %+v, want 2 empty copies charged a block each", s)
	}
	if f := files(t, c); len(f) != 2 {
		t.Fatalf("cache folder holds %d files, want 2", len(f))
	}
}

func TestAbortLeavesNoFile(t *testing.T) {
	c := newCache(t, mem.New(), 1<<20)
	w, err := c.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("aborted"))
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if f := files(t, c); len(f) != 0 {
		t.Fatalf("cache folder holds %v after Abort", f)
	}
}

func TestEvictsLeastRecentlyUsed(t *testing.T) {
	backend := &counting{Store: mem.New()}
	c := newCache(t, backend, 3*block)
	blk := func(b byte) []byte { return bytes.Repeat([]byte{b}, block) }
	a, b, cc := put(t, c, blk('a')), put(t, c, blk('b')), put(t, c, blk('c'))
	get(t, c, a) // a is now more recent than b
	d := put(t, c, blk('d'))
	s := c.Stats()
	if s.Bytes != 3*block || s.Blobs != 3 || s.Evictions != 1 {
		t.Fatalf("Stats = %+v; want 3 blobs of one block, 1 eviction", s)
	}
	if f := files(t, c); len(f) != 3 {
		t.Fatalf("cache folder holds %d files, want 3", len(f))
	}
	for _, id := range []string{a, cc, d} {
		get(t, c, id)
	}
	if n := backend.opens.Load(); n != 0 {
		t.Fatalf("a recently used blob was evicted: %d backend opens", n)
	}
	if got, _ := get(t, c, b); !bytes.Equal(got, blk('b')) {
		t.Fatal("evicted blob reads wrong bytes from the backend")
	}
	if n := backend.opens.Load(); n != 1 {
		t.Fatalf("the least recently used blob was not the one evicted: %d backend opens", n)
	}
	if s := c.Stats(); s.Bytes > 3*block {
		t.Fatalf("refilling went over budget: %+v", s)
	}
}

func TestEvictedBlobStaysReadableWhileOpen(t *testing.T) {
	c := newCache(t, mem.New(), block)
	data := bytes.Repeat([]byte("x"), 100)
	id := put(t, c, data)
	r, err := c.Open(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	put(t, c, bytes.Repeat([]byte("y"), 100)) // evicts id
	if s := c.Stats(); s.Evictions != 1 || s.Blobs != 1 {
		t.Fatalf("Stats = %+v, want the first blob evicted", s)
	}
	buf := make([]byte, 100)
	if n, err := r.ReadAt(buf, 0); n != 100 || (err != nil && err != io.EOF) || !bytes.Equal(buf, data) {
		t.Fatalf("ReadAt of an evicted blob = %d, %v", n, err)
	}
	sec, ok := r.(blob.FileSectioner).FileSection(10, 50)
	if !ok {
		t.Fatal("no FileSection")
	}
	if got, err := io.ReadAll(sec); err != nil || !bytes.Equal(got, data[10:60]) {
		t.Fatalf("FileSection of an evicted blob = %q, %v", got, err)
	}
}

func TestConcurrentMissesShareOneRead(t *testing.T) {
	backend := &counting{Store: mem.New()}
	data := bytes.Repeat([]byte("shared"), 1000)
	id := put(t, backend, data)
	backend.gate, backend.opened = make(chan struct{}), make(chan struct{}, 1)
	c := newCache(t, backend, 1<<20)
	const n = 8
	var joined sync.WaitGroup
	joined.Add(n - 1)
	c.onJoin = joined.Done

	results := make(chan error, n)
	for range n {
		go func() {
			r, err := c.Open(ctx, id)
			if err == nil {
				buf := make([]byte, r.Size())
				if _, err = r.ReadAt(buf, 0); err == nil && !bytes.Equal(buf, data) {
					err = errors.New("wrong bytes")
				}
				r.Close()
			}
			results <- err
		}()
	}
	<-backend.opened // the first miss is filling...
	allJoined := make(chan struct{})
	go func() { joined.Wait(); close(allJoined) }()
	select { // ...and the others wait for it
	case <-allJoined:
	case <-time.After(5 * time.Second):
		t.Fatal("the other misses did not wait for the first one's fill")
	}
	close(backend.gate)
	for range n {
		if err := <-results; err != nil {
			t.Fatal(err)
		}
	}
	if got := backend.opens.Load(); got != 1 {
		t.Fatalf("%d concurrent misses opened the backend %d times, want 1", n, got)
	}
	if s := c.Stats(); s.Misses != n || s.Blobs != 1 {
		t.Fatalf("Stats = %+v, want %d misses and 1 blob", s, n)
	}
}

// TestCancelledFillRetries: when the miss doing a shared fill is cancelled,
// the misses waiting for it are not: they fill again.
func TestCancelledFillRetries(t *testing.T) {
	backend := &counting{Store: mem.New()}
	data := []byte("wanted by two")
	id := put(t, backend, data)
	backend.gate, backend.opened = make(chan struct{}), make(chan struct{}, 1)
	c := newCache(t, backend, 1<<20)
	joined := make(chan struct{})
	c.onJoin = func() { close(joined) }

	cctx, cancel := context.WithCancel(ctx)
	first := make(chan error)
	go func() {
		_, err := c.Open(cctx, id)
		first <- err
	}()
	<-backend.opened
	second := make(chan error, 1)
	go func() {
		r, err := c.Open(ctx, id)
		if err == nil {
			buf := make([]byte, len(data)+1)
			if n, _ := r.ReadAt(buf, 0); !bytes.Equal(buf[:n], data) {
				err = fmt.Errorf("read %q, want %q", buf[:n], data)
			}
			r.Close()
		}
		second <- err
	}()
	<-joined
	cancel()
	backend.gate <- struct{}{} // the first miss's backend Open fails
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Open = %v, want context.Canceled", err)
	}
	select {
	case <-backend.opened: // the second miss fills again
	case err := <-second:
		t.Fatalf("the waiting Open did not fill again: %v", err)
	}
	close(backend.gate)
	if err := <-second; err != nil {
		t.Fatalf("waiting Open: %v", err)
	}
}

func TestFailedFillCachesNothing(t *testing.T) {
	t.Run("error", func(t *testing.T) { testFailedFill(t, failBroken, errBroken) })
	t.Run("short", func(t *testing.T) { testFailedFill(t, failShort, io.ErrUnexpectedEOF) })
}

func testFailedFill(t *testing.T, mode int32, want error) {
	backend := &counting{Store: mem.New()}
	data := bytes.Repeat([]byte("z"), 5000)
	id := put(t, backend, data)
	c := newCache(t, backend, 1<<20)
	backend.failReads.Store(mode)
	if r, err := c.Open(ctx, id); !errors.Is(err, want) {
		if err == nil {
			r.Close()
		}
		t.Fatalf("Open during a failing backend = %v, want %v", err, want)
	}
	if f := files(t, c); len(f) != 0 {
		t.Fatalf("a failed fill left %v", f)
	}
	if s := c.Stats(); s.Blobs != 0 || s.Bytes != 0 {
		t.Fatalf("Stats = %+v after a failed fill", s)
	}
	backend.failReads.Store(0)
	if got, _ := get(t, c, id); !bytes.Equal(got, data) {
		t.Fatal("read after the backend recovered returned wrong bytes")
	}
	if s := c.Stats(); s.Blobs != 1 {
		t.Fatalf("Stats = %+v, want the blob cached once the backend works", s)
	}
}

func TestDeleteDropsCopy(t *testing.T) {
	c := newCache(t, mem.New(), 1<<20)
	id := put(t, c, []byte("doomed"))
	if err := c.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Open(ctx, id); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Open after Delete = %v, want ErrNotFound", err)
	}
	if f := files(t, c); len(f) != 0 {
		t.Fatalf("cache folder holds %v after Delete", f)
	}
}

// TestDeleteDuringFill: a miss that opened the blob before Delete must not
// cache it after.
func TestDeleteDuringFill(t *testing.T) {
	backend := &counting{Store: mem.New()}
	id := put(t, backend, []byte("racing"))
	backend.gate, backend.opened = make(chan struct{}), make(chan struct{}, 1)
	c := newCache(t, backend, 1<<20)
	done := make(chan error)
	go func() {
		r, err := c.Open(ctx, id)
		if err == nil {
			r.Close()
		}
		done <- err
	}()
	<-backend.opened
	if err := c.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	close(backend.gate)
	if err := <-done; err != nil {
		t.Fatalf("Open that began before Delete: %v", err)
	}
	if s := c.Stats(); s.Blobs != 0 {
		t.Fatalf("a deleted blob was cached: %+v", s)
	}
	if f := files(t, c); len(f) != 0 {
		t.Fatalf("cache folder holds %v", f)
	}
	backend.gate = nil
	if _, err := c.Open(ctx, id); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Open after Delete = %v, want ErrNotFound", err)
	}
}

func TestLargeBlobsBypassCache(t *testing.T) {
	backend := &counting{Store: mem.New()}
	c := newCache(t, backend, 1<<20, WithMaxBlob(100))
	data := bytes.Repeat([]byte("L"), 101)
	id := put(t, c, data)
	for range 2 {
		if got, _ := get(t, c, id); !bytes.Equal(got, data) {
			t.Fatal("wrong bytes")
		}
	}
	if n := backend.opens.Load(); n != 2 {
		t.Fatalf("backend opened %d times, want every read of a large blob", n)
	}
	if f := files(t, c); len(f) != 0 {
		t.Fatalf("a blob over the limit was cached: %v", f)
	}
	small := put(t, c, data[:100])
	get(t, c, small)
	if s := c.Stats(); s.Blobs != 1 || s.Hits != 1 {
		t.Fatalf("a blob at the limit was not cached: %+v", s)
	}
}

func TestRestartKeepsNothingStale(t *testing.T) {
	backend := mem.New()
	dir := t.TempDir()
	c, err := New(backend, dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("survives in the backend")
	id := put(t, c, data)
	// A fill killed half way and a copy cut short by a machine crash.
	os.WriteFile(dir+"/"+tmpPrefix+"123", []byte("half"), 0o600)
	for _, f := range files(t, c) {
		os.Truncate(dir+"/"+f, 3)
	}
	c2, err := New(backend, dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if f := files(t, c2); len(f) != 0 {
		t.Fatalf("New left %v in the folder", f)
	}
	if got, _ := get(t, c2, id); !bytes.Equal(got, data) {
		t.Fatalf("after restart read %q, want %q", got, data)
	}
	if s := c2.Stats(); s.Misses != 1 || s.Blobs != 1 {
		t.Fatalf("Stats after restart = %+v, want one miss that filled", s)
	}
}

// TestFileSectionOverTCP sends a section of a cached copy over a loopback
// connection as zonal's GET does (io.Copy to a *net.TCPConn: sendfile).
func TestFileSectionOverTCP(t *testing.T) {
	c := newCache(t, mem.New(), 4<<20)
	data := make([]byte, 1<<20)
	for i := range data {
		data[i] = byte(i * 31 / 7)
	}
	id := put(t, c, data)
	_, r := get(t, c, id)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan []byte, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		b, _ := io.ReadAll(conn)
		conn.Close()
		got <- b
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	const off, n = 12345, 700000
	sec, ok := r.(blob.FileSectioner).FileSection(off, n)
	if !ok {
		t.Fatal("a cached copy gave no FileSection")
	}
	if m, err := io.Copy(conn, sec); m != n || err != nil {
		t.Fatalf("io.Copy = %d, %v", m, err)
	}
	conn.Close()
	if b := <-got; !bytes.Equal(b, data[off:off+n]) {
		t.Fatalf("received %d bytes, not the section", len(b))
	}
}

// BenchmarkHotRead opens and reads a 1 MiB blob that is already cached,
// against the same from blob/mem.
func BenchmarkHotRead(b *testing.B) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
	backend := mem.New()
	c := newCache(b, backend, 64<<20)
	for _, s := range []struct {
		name  string
		store blob.Store
	}{{"cache", c}, {"mem", backend}} {
		b.Run(s.name, func(b *testing.B) {
			id := put(b, s.store, data)
			buf := make([]byte, len(data))
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				r, err := s.store.Open(ctx, id)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := r.ReadAt(buf, 0); err != nil && err != io.EOF {
					b.Fatal(err)
				}
				r.Close()
			}
		})
	}
}

// TestConcurrentReadsUnderEviction reads blobs from several goroutines
// through a cache with room for a quarter of them, so hits, fills, shared
// fills and evictions interleave; every read must return the blob's bytes.
func TestConcurrentReadsUnderEviction(t *testing.T) {
	backend := mem.New()
	c := newCache(t, backend, 5*block)
	var ids []string
	var want [][]byte
	for i := range 20 {
		data := bytes.Repeat([]byte{byte(i)}, 1000+i*100)
		ids = append(ids, put(t, backend, data))
		want = append(want, data)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				k := (i*7 + g*3) % len(ids)
				if i%3 == 0 {
					k %= 4 // a hot few, so hits happen too
				}
				r, err := c.Open(ctx, ids[k])
				if err != nil {
					t.Error(err)
					return
				}
				buf := make([]byte, r.Size())
				_, err = r.ReadAt(buf, 0)
				r.Close()
				if (err != nil && err != io.EOF) || !bytes.Equal(buf, want[k]) {
					t.Errorf("blob %d read %v or wrong bytes", k, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	s := c.Stats()
	if s.Bytes > 5*block || s.Hits == 0 || s.Evictions == 0 {
		t.Fatalf("Stats = %+v; want hits, evictions and at most 5 blocks", s)
	}
	if f := files(t, c); int64(len(f)) != s.Blobs {
		t.Fatalf("cache folder holds %d files for %d copies", len(f), s.Blobs)
	}
}
