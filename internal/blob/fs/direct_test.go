package fs

import (
	"bytes"
	"math/rand/v2"
	"os"
	"sync"
	"syscall"
	"testing"

	"github.com/zonal-dev/zonal/internal/blob"
)

// directFS records every write a blob file receives and whether the file
// was in direct-I/O mode at the time.
type directFS struct {
	FS
	mu     sync.Mutex
	writes []directWrite
}

type directWrite struct {
	n      int
	direct bool
}

func (d *directFS) Create(name string) (File, error) {
	f, err := d.FS.Create(name)
	if err != nil {
		return nil, err
	}
	return &directFile{File: f, fs: d}, nil
}

type directFile struct {
	File
	fs     *directFS
	direct bool
}

func (f *directFile) SetDirect(on bool) error {
	if err := f.File.SetDirect(on); err != nil {
		return err
	}
	f.direct = on
	return nil
}

func (f *directFile) Write(p []byte) (int, error) {
	f.fs.mu.Lock()
	f.fs.writes = append(f.fs.writes, directWrite{len(p), f.direct})
	f.fs.mu.Unlock()
	return f.File.Write(p)
}

// TestDirectWrites writes blobs of sizes around the block and buffer
// boundaries, in aligned chunks (as the store sends them) and in odd ones,
// and checks the bytes read back, that direct writes only ever carry whole
// blocks, and that aligned chunks do go out directly where the filesystem
// allows it.
func TestDirectWrites(t *testing.T) {
	dir := t.TempDir()
	probe, err := os.CreateTemp(dir, "probe")
	if err != nil {
		t.Fatal(err)
	}
	canDirect := setDirect(probe, true) == nil
	probe.Close()

	rec := &directFS{FS: OS}
	s, err := Open(dir, WithFS(rec))
	if err != nil {
		t.Fatal(err)
	}
	chunk := alignedBuf(bufSize)
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := []int{0, 1, align - 1, align, align + 1, bufSize - 1, bufSize, bufSize + 1, 1<<20 + 12345, 3 << 20}
	for _, aligned := range []bool{true, false} {
		for _, size := range sizes {
			data := make([]byte, size)
			for i := range data {
				data[i] = byte(rng.Uint32())
			}
			rec.mu.Lock()
			rec.writes = nil
			rec.mu.Unlock()
			w, err := s.Create(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for rest := data; len(rest) > 0; {
				n := len(rest)
				if aligned {
					n = min(n, bufSize)
					copy(*chunk, rest[:n])
					_, err = w.Write((*chunk)[:n])
				} else {
					n = min(n, 1+rng.IntN(100_000))
					_, err = w.Write(rest[:n])
				}
				if err != nil {
					t.Fatal(err)
				}
				rest = rest[n:]
			}
			if got := commitAndRead(t, s, w); !bytes.Equal(got, data) {
				t.Fatalf("size %d aligned=%v: read back %d bytes that differ", size, aligned, len(got))
			}
			direct := 0
			for _, wr := range rec.writes {
				if wr.direct {
					direct += wr.n
					if wr.n%align != 0 {
						t.Fatalf("size %d aligned=%v: a direct write of %d bytes", size, aligned, wr.n)
					}
				}
			}
			if want := size &^ (align - 1); canDirect && direct != want {
				t.Errorf("size %d aligned=%v: %d bytes written directly, want %d", size, aligned, direct, want)
			}
		}
	}
	if !canDirect {
		t.Log("the test folder's filesystem refuses O_DIRECT: only the cached path ran")
	}
}

// refusingFS takes O_DIRECT but fails every direct write with EINVAL, as
// some filesystems do.
type refusingFS struct{ FS }

func (r refusingFS) Create(name string) (File, error) {
	f, err := r.FS.Create(name)
	if err != nil {
		return nil, err
	}
	return &refusingFile{File: f}, nil
}

type refusingFile struct {
	File
	direct bool
}

func (f *refusingFile) SetDirect(on bool) error { f.direct = on; return nil }

func (f *refusingFile) Write(p []byte) (int, error) {
	if f.direct {
		return 0, &os.PathError{Op: "write", Path: "blob", Err: syscall.EINVAL}
	}
	return f.File.Write(p)
}

// TestDirectRefusedFallsBack: when direct writes fail with EINVAL, the
// blob is written through the cache instead, whole.
func TestDirectRefusedFallsBack(t *testing.T) {
	s, err := Open(t.TempDir(), WithFS(refusingFS{OS}))
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 3*bufSize+123)
	for i := range data {
		data[i] = byte(i * 13)
	}
	chunk := alignedBuf(bufSize)
	w, err := s.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for rest := data; len(rest) > 0; {
		n := min(len(rest), bufSize)
		copy(*chunk, rest[:n])
		if _, err := w.Write((*chunk)[:n]); err != nil {
			t.Fatal(err)
		}
		rest = rest[n:]
	}
	if got := commitAndRead(t, s, w); !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes that differ", len(got))
	}
}

// commitAndRead commits w and returns the blob's bytes as read back.
func commitAndRead(t *testing.T, s *Store, w blob.Writer) []byte {
	t.Helper()
	id, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Open(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := make([]byte, r.Size())
	if _, err := r.ReadAt(got, 0); err != nil && len(got) > 0 {
		t.Fatal(err)
	}
	return got
}
