package fs

import (
	"context"
	"errors"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/blob"
	"github.com/zonal-dev/zonal/internal/blob/blobtest"
)

var ctx = context.Background()

func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store {
		s, err := Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestLayout(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 256 {
		t.Fatalf("%d shard folders, %v; want 256", len(entries), err)
	}
	w, err := s.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "data")
	id, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, id[:2], id))
	if err != nil {
		t.Fatalf("blob not at <dir>/xx/<id>: %v", err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("blob mode %v, want 0600", info.Mode().Perm())
	}
	// Strays (not a blob name, or in the wrong shard) are not blobs.
	os.WriteFile(filepath.Join(dir, id[:2], "notes.txt"), nil, 0o600)
	wrong := "00" + id[2:]
	if id[:2] == "00" {
		wrong = "01" + id[2:]
	}
	os.WriteFile(filepath.Join(dir, id[:2], wrong), nil, 0o600)
	var seen []string
	s.Walk(ctx, func(id string, _ time.Time) error { seen = append(seen, id); return nil })
	if len(seen) != 1 || seen[0] != id {
		t.Fatalf("Walk = %q, want [%s]", seen, id)
	}
	// Reopening an existing store works.
	if _, err := Open(dir); err != nil {
		t.Fatalf("reopen: %v", err)
	}
}

// faultFS injects errors into the OS filesystem.
type faultFS struct {
	FS
	mu     sync.Mutex
	faults faults
}

// faults are the errors to return; nil passes the call through.
type faults struct{ write, sync, syncDir error }

func (f *faultFS) set(v faults) {
	f.mu.Lock()
	f.faults = v
	f.mu.Unlock()
}

func (f *faultFS) get() faults {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.faults
}

func (f *faultFS) Create(name string) (File, error) {
	file, err := f.FS.Create(name)
	if err != nil {
		return nil, err
	}
	return faultFile{File: file, fs: f}, nil
}

func (f *faultFS) SyncDir(name string) error {
	if err := f.get().syncDir; err != nil {
		return err
	}
	return f.FS.SyncDir(name)
}

type faultFile struct {
	File
	fs *faultFS
}

func (f faultFile) Write(p []byte) (int, error) {
	if err := f.fs.get().write; err != nil {
		return 0, err
	}
	return f.File.Write(p)
}

func (f faultFile) Sync() error {
	if err := f.fs.get().sync; err != nil {
		return err
	}
	return f.File.Sync()
}

// TestCommitFaults checks a failing write or sync makes Commit fail and
// leaves no file behind, and that the store keeps working afterwards.
func TestCommitFaults(t *testing.T) {
	eio := &os.PathError{Op: "fdatasync", Path: "x", Err: syscall.EIO}
	enospc := &os.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}
	for _, tc := range []struct {
		name   string
		faults faults
		size   int
		want   error
	}{
		{"SyncEIO", faults{sync: eio}, 100, syscall.EIO},
		{"SyncDirEIO", faults{syncDir: eio}, 100, syscall.EIO},
		{"WriteENOSPCAtFlush", faults{write: enospc}, 100, syscall.ENOSPC},
		{"WriteENOSPCLarge", faults{write: enospc}, 1 << 20, syscall.ENOSPC},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			ffs := &faultFS{FS: OS}
			s, err := Open(dir, WithFS(ffs))
			if err != nil {
				t.Fatal(err)
			}
			w, err := s.Create(ctx)
			if err != nil {
				t.Fatal(err)
			}
			ffs.set(tc.faults)
			_, werr := w.Write(make([]byte, tc.size))
			id, err := w.Commit()
			if err == nil {
				t.Fatalf("Commit succeeded with id %s despite the fault", id)
			}
			if !errors.Is(err, tc.want) && !errors.Is(werr, tc.want) {
				t.Fatalf("Commit error %v (write error %v), want %v", err, werr, tc.want)
			}
			if err := w.Abort(); err != nil {
				t.Fatalf("Abort after failed Commit: %v", err)
			}
			checkNoFiles(t, dir)
			// Faults cleared, the store works.
			ffs.set(faults{})
			w, err = s.Create(ctx)
			if err != nil {
				t.Fatal(err)
			}
			w.Write([]byte("ok"))
			if _, err := w.Commit(); err != nil {
				t.Fatalf("Commit after the fault cleared: %v", err)
			}
		})
	}
}

// TestAbortAfterWriteError: a caller that sees a Write error and aborts
// leaves nothing behind.
func TestAbortAfterWriteError(t *testing.T) {
	dir := t.TempDir()
	ffs := &faultFS{FS: OS}
	s, err := Open(dir, WithFS(ffs))
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ffs.set(faults{write: syscall.ENOSPC})
	if _, err := w.Write(make([]byte, 1<<20)); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Write = %v, want ENOSPC", err)
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	checkNoFiles(t, dir)
}

func checkNoFiles(t *testing.T, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d iofs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			t.Errorf("left behind: %s", path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
