package fs

import (
	"bytes"
	"errors"
	"fmt"
	iofs "io/fs"
	"math/rand/v2"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// vfsFS adapts Pebble's vfs (whose crashable memory filesystem drops what
// was not synced) to FS, so tests can crash the blob store.
type vfsFS struct{ fs vfs.FS }

func (v vfsFS) Create(name string) (File, error) {
	if _, err := v.fs.Stat(name); err == nil {
		return nil, &iofs.PathError{Op: "create", Path: name, Err: iofs.ErrExist}
	}
	f, err := v.fs.Create(name, vfs.WriteCategoryUnspecified)
	if err != nil {
		return nil, err
	}
	return vfsFile{f}, nil
}

func (v vfsFS) Open(name string) (File, error) {
	f, err := v.fs.Open(name)
	if err != nil {
		return nil, err
	}
	return vfsFile{f}, nil
}

func (v vfsFS) Remove(name string) error   { return v.fs.Remove(name) }
func (v vfsFS) MkdirAll(name string) error { return v.fs.MkdirAll(name, 0o700) }

func (v vfsFS) ReadDir(name string) ([]iofs.DirEntry, error) {
	names, err := v.fs.List(name)
	if err != nil {
		return nil, err
	}
	var out []iofs.DirEntry
	for _, n := range names {
		info, err := v.fs.Stat(v.fs.PathJoin(name, n))
		if err != nil {
			return nil, err
		}
		out = append(out, iofs.FileInfoToDirEntry(info))
	}
	return out, nil
}

func (v vfsFS) SyncDir(name string) error {
	d, err := v.fs.OpenDir(name)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

type vfsFile struct{ vfs.File }

func (f vfsFile) Stat() (iofs.FileInfo, error) { return f.File.Stat() }
func (f vfsFile) SetDirect(bool) error         { return errors.ErrUnsupported }
func (f vfsFile) Write(p []byte) (int, error) {
	// vfs.File.Write may modify p; never let it touch the caller's bytes.
	return f.File.Write(bytes.Clone(p))
}

// TestCrashKeepsCommittedBlobs commits blobs, leaves others open, crashes
// the filesystem (only synced data and entries survive, plus a random
// share of the rest) and checks every committed blob reads back whole.
func TestCrashKeepsCommittedBlobs(t *testing.T) {
	for _, unsynced := range []int{0, 50} {
		t.Run(fmt.Sprintf("unsynced%d", unsynced), func(t *testing.T) {
			mem := vfs.NewCrashableMem()
			s, err := Open("/blobs", WithFS(vfsFS{mem}))
			if err != nil {
				t.Fatal(err)
			}
			committed := map[string][]byte{}
			for i := range 50 {
				data := bytes.Repeat([]byte{byte(i)}, 1000+i*5000)
				w, err := s.Create(ctx)
				if err != nil {
					t.Fatal(err)
				}
				w.Write(data)
				id, err := w.Commit()
				if err != nil {
					t.Fatal(err)
				}
				committed[id] = data
				// An unfinished blob in flight at the crash.
				w, _ = s.Create(ctx)
				w.Write(data)
				defer w.Abort()
			}
			crashed := mem.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: unsynced, RNG: rand.New(rand.NewPCG(1, 1))})
			r, err := Open("/blobs", WithFS(vfsFS{crashed}))
			if err != nil {
				t.Fatal(err)
			}
			for id, data := range committed {
				rd, err := r.Open(ctx, id)
				if err != nil {
					t.Fatalf("committed blob %s lost: %v", id, err)
				}
				got := make([]byte, rd.Size())
				rd.ReadAt(got, 0)
				rd.Close()
				if !bytes.Equal(got, data) {
					t.Fatalf("committed blob %s has %d bytes after crash, want %d", id, len(got), len(data))
				}
			}
		})
	}
}
