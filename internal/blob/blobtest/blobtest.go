// Package blobtest is the conformance suite every blob.Store passes: each
// store's tests call Run with a constructor.
package blobtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/blob"
)

// Run runs the suite. open returns a fresh, empty store for one subtest.
func Run(t *testing.T, open func(t *testing.T) blob.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s blob.Store)
	}{
		{"WriteRead", testWriteRead},
		{"ReadAtEdges", testReadAtEdges},
		{"Empty", testEmpty},
		{"Large", testLarge},
		{"Abort", testAbort},
		{"WriterFinished", testWriterFinished},
		{"Delete", testDelete},
		{"NotFound", testNotFound},
		{"UniqueIDs", testUniqueIDs},
		{"Walk", testWalk},
		{"Usage", testUsage},
		{"ConcurrentWriters", testConcurrentWriters},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

var ctx = context.Background()

// Write stores data as a new blob, in writes of chunk bytes (all at once
// when chunk is 0), and returns its id. Engine tests beyond the suite use
// it too.
func Write(t testing.TB, s blob.Store, data []byte, chunk int) string {
	t.Helper()
	id, err := tryWrite(s, data, chunk)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// tryWrite is Write for goroutines, which must not call t.Fatal.
func tryWrite(s blob.Store, data []byte, chunk int) (string, error) {
	w, err := s.Create(ctx)
	if err != nil {
		return "", err
	}
	if chunk <= 0 {
		chunk = max(len(data), 1)
	}
	for p := data; len(p) > 0; {
		n := min(chunk, len(p))
		if m, err := w.Write(p[:n]); err != nil || m != n {
			w.Abort()
			return "", fmt.Errorf("writing the blob: wrote %d, %v; want %d", m, err, n)
		}
		p = p[n:]
	}
	id, err := w.Commit()
	if err != nil {
		return "", fmt.Errorf("committing the blob: %w", err)
	}
	if id == "" {
		return "", errors.New("committing the blob returned an empty id")
	}
	return id, nil
}

func open(t testing.TB, s blob.Store, id string) blob.Reader {
	t.Helper()
	r, err := s.Open(ctx, id)
	if err != nil {
		t.Fatalf("Open(%s): %v", id, err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// readAll reads the whole blob through ReadAt.
func readAll(t testing.TB, r blob.Reader) []byte {
	t.Helper()
	buf := make([]byte, r.Size())
	n, err := r.ReadAt(buf, 0)
	if n != len(buf) || (err != nil && err != io.EOF) {
		t.Fatalf("ReadAt whole blob = %d, %v; want %d", n, err, len(buf))
	}
	return buf
}

// RandomBytes returns n bytes drawn from a generator seeded with seed: the
// same bytes for the same seed.
func RandomBytes(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func testWriteRead(t *testing.T, s blob.Store) {
	data := []byte("hello, zonal blob store")
	id := Write(t, s, data, 5)
	r := open(t, s, id)
	if r.Size() != int64(len(data)) {
		t.Fatalf("Size = %d, want %d", r.Size(), len(data))
	}
	if got := readAll(t, r); !bytes.Equal(got, data) {
		t.Fatalf("read %q, want %q", got, data)
	}
	// Ranges inside the blob read fully with no error.
	for _, rg := range [][2]int{{0, 5}, {7, 5}, {len(data) - 4, 3}, {3, 0}} {
		buf := make([]byte, rg[1])
		n, err := r.ReadAt(buf, int64(rg[0]))
		if n != rg[1] || err != nil || !bytes.Equal(buf, data[rg[0]:rg[0]+rg[1]]) {
			t.Fatalf("ReadAt(off %d, len %d) = %d %q, %v", rg[0], rg[1], n, buf[:n], err)
		}
	}
}

// testReadAtEdges checks the io.ReaderAt contract at the end of a blob.
func testReadAtEdges(t *testing.T, s blob.Store) {
	data := []byte("0123456789")
	r := open(t, s, Write(t, s, data, 0))
	// Exactly to the end: all bytes, nil or io.EOF.
	buf := make([]byte, 4)
	if n, err := r.ReadAt(buf, 6); n != 4 || (err != nil && err != io.EOF) || string(buf) != "6789" {
		t.Fatalf("ReadAt to the end = %d %q, %v", n, buf[:n], err)
	}
	// Across the end: the bytes there are, and io.EOF.
	buf = make([]byte, 8)
	if n, err := r.ReadAt(buf, 6); n != 4 || err != io.EOF || string(buf[:n]) != "6789" {
		t.Fatalf("ReadAt across the end = %d %q, %v; want 4 \"6789\" EOF", n, buf[:n], err)
	}
	// At and past the end: nothing, io.EOF.
	for _, off := range []int64{10, 11, 1 << 40} {
		if n, err := r.ReadAt(buf, off); n != 0 || err != io.EOF {
			t.Fatalf("ReadAt(off %d) = %d, %v; want 0, EOF", off, n, err)
		}
	}
	if _, err := r.ReadAt(buf, -1); err == nil {
		t.Fatal("ReadAt at a negative offset succeeded")
	}
	// A section reader (how range GETs read) sees exactly the range.
	got, err := io.ReadAll(io.NewSectionReader(r, 2, 5))
	if err != nil || string(got) != "23456" {
		t.Fatalf("section read = %q, %v", got, err)
	}
}

func testEmpty(t *testing.T, s blob.Store) {
	r := open(t, s, Write(t, s, nil, 0))
	if r.Size() != 0 {
		t.Fatalf("Size = %d, want 0", r.Size())
	}
	if n, err := r.ReadAt(make([]byte, 1), 0); n != 0 || err != io.EOF {
		t.Fatalf("ReadAt of an empty blob = %d, %v; want 0, EOF", n, err)
	}
}

// testLarge streams 8 MiB in odd-sized writes and checks it all, then reads
// random ranges.
func testLarge(t *testing.T, s blob.Store) {
	data := RandomBytes(8<<20+13, 1)
	id := Write(t, s, data, 7919)
	r := open(t, s, id)
	if r.Size() != int64(len(data)) {
		t.Fatalf("Size = %d, want %d", r.Size(), len(data))
	}
	if got := readAll(t, r); !bytes.Equal(got, data) {
		t.Fatal("8 MiB blob reads back different")
	}
	rng := rand.New(rand.NewPCG(2, 2))
	for range 50 {
		off := rng.IntN(len(data))
		n := min(rng.IntN(300<<10)+1, len(data)-off)
		buf := make([]byte, n)
		if m, err := r.ReadAt(buf, int64(off)); m != n || (err != nil && err != io.EOF) || !bytes.Equal(buf, data[off:off+n]) {
			t.Fatalf("ReadAt(off %d, len %d) = %d, %v or wrong bytes", off, n, m, err)
		}
	}
}

// ids lists every blob Walk reports.
func ids(t testing.TB, s blob.Store) map[string]time.Time {
	t.Helper()
	out := map[string]time.Time{}
	err := s.Walk(ctx, func(id string, mod time.Time) error {
		if _, dup := out[id]; dup {
			t.Errorf("Walk reported %s twice", id)
		}
		out[id] = mod
		return nil
	})
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
	return out
}

func testAbort(t *testing.T, s blob.Store) {
	keep := Write(t, s, []byte("keep"), 0)
	for _, size := range []int{0, 10, 1 << 20} {
		w, err := s.Create(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(RandomBytes(size, 3)); err != nil {
			t.Fatal(err)
		}
		if err := w.Abort(); err != nil {
			t.Fatalf("Abort: %v", err)
		}
	}
	if got := ids(t, s); len(got) != 1 {
		t.Fatalf("after aborts Walk lists %d blobs, want only the committed one", len(got))
	} else if _, ok := got[keep]; !ok {
		t.Fatal("Walk lost the committed blob")
	}
	if _, n, err := s.Usage(ctx); err != nil || n != 1 {
		t.Fatalf("Usage count = %d, %v; want 1", n, err)
	}
}

func testWriterFinished(t *testing.T, s blob.Store) {
	w, err := s.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("y")); err == nil {
		t.Fatal("Write after Commit succeeded")
	}
	if _, err := w.Commit(); err == nil {
		t.Fatal("second Commit succeeded")
	}
}

func testDelete(t *testing.T, s blob.Store) {
	id := Write(t, s, []byte("doomed"), 0)
	other := Write(t, s, []byte("stays"), 0)
	if err := s.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(ctx, id); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Open after Delete: %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, id); err != nil {
		t.Fatalf("second Delete: %v, want nil", err)
	}
	if got := ids(t, s); len(got) != 1 {
		t.Fatalf("Walk lists %d blobs after delete, want 1", len(got))
	}
	if got := readAll(t, open(t, s, other)); string(got) != "stays" {
		t.Fatalf("other blob reads %q", got)
	}
}

func testNotFound(t *testing.T, s blob.Store) {
	id := Write(t, s, []byte("x"), 0)
	bogus := []string{"", "0", "00000000000000000000000000000000", "../../etc/passwd", id + "0", id[:len(id)-1]}
	for _, b := range bogus {
		if b == id {
			continue
		}
		if r, err := s.Open(ctx, b); !errors.Is(err, blob.ErrNotFound) {
			if err == nil {
				r.Close()
			}
			t.Fatalf("Open(%q): %v, want ErrNotFound", b, err)
		}
		if err := s.Delete(ctx, b); err != nil {
			t.Fatalf("Delete(%q): %v, want nil", b, err)
		}
	}
}

func testUniqueIDs(t *testing.T, s blob.Store) {
	seen := map[string]bool{}
	for i := range 500 {
		id := Write(t, s, []byte{byte(i)}, 0)
		if seen[id] {
			t.Fatalf("id %s returned twice", id)
		}
		seen[id] = true
	}
}

func testWalk(t *testing.T, s blob.Store) {
	start := time.Now().Add(-time.Minute)
	want := map[string]bool{}
	for i := range 40 {
		want[Write(t, s, []byte(fmt.Sprint(i)), 0)] = true
	}
	got := ids(t, s)
	if len(got) != len(want) {
		t.Fatalf("Walk lists %d blobs, want %d", len(got), len(want))
	}
	for id, mod := range got {
		if !want[id] {
			t.Fatalf("Walk lists unknown blob %s", id)
		}
		if mod.Before(start) || mod.After(time.Now().Add(time.Minute)) {
			t.Fatalf("blob %s modTime %v is not about now", id, mod)
		}
	}
	// Walk stops at fn's first error and returns it.
	stop := errors.New("stop")
	calls := 0
	err := s.Walk(ctx, func(string, time.Time) error { calls++; return stop })
	if err != stop || calls != 1 {
		t.Fatalf("Walk = %v after %d calls; want stop after 1", err, calls)
	}
}

func testUsage(t *testing.T, s blob.Store) {
	if b, n, err := s.Usage(ctx); err != nil || b != 0 || n != 0 {
		t.Fatalf("empty store Usage = %d, %d, %v", b, n, err)
	}
	Write(t, s, make([]byte, 1000), 0)
	Write(t, s, make([]byte, 24), 0)
	if b, n, err := s.Usage(ctx); err != nil || b != 1024 || n != 2 {
		t.Fatalf("Usage = %d bytes, %d blobs, %v; want 1024, 2", b, n, err)
	}
}

func testConcurrentWriters(t *testing.T, s blob.Store) {
	const writers, each = 16, 8
	var (
		mu  sync.Mutex
		all = map[string][]byte{}
		wg  sync.WaitGroup
	)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				data := RandomBytes(1000+w*977+i*31, uint64(w*each+i))
				id, err := tryWrite(s, data, 333+w)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if _, dup := all[id]; dup {
					t.Errorf("id %s returned twice", id)
				}
				all[id] = data
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for id, data := range all {
		if got := readAll(t, open(t, s, id)); !bytes.Equal(got, data) {
			t.Fatalf("blob %s reads back different", id)
		}
	}
	if got := ids(t, s); len(got) != writers*each {
		t.Fatalf("Walk lists %d blobs, want %d", len(got), writers*each)
	}
}
