// Package diskfault checks what zonal does when the disk fails under it:
// a full disk (ENOSPC) or an I/O error (EIO) on a blob write, a blob
// sync, the blob folder's sync, or the catalog's write-ahead log.
//
// Every failed write must reach the client as an S3 error (zonal answers
// 500 InternalError: AWS has no code for a full disk, and SDKs retry 500s),
// leave no partial object (the previous version stays readable, no new
// record, no blob file left behind), and the server must work again once
// the fault is gone.
//
// inject_test.go runs the store in-process over fault-injecting
// filesystems (blob/fs's FS interface and Pebble's errorfs); loopfs_test.go
// runs the real binary on a small loop-mounted ext4 image that really fills
// up (root only; skipped elsewhere).
package diskfault

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"

	blobfs "github.com/zonal-dev/zonal/internal/blob/fs"
	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/catalog/pebble"
	"github.com/zonal-dev/zonal/internal/store"
)

// faults are the errors the filesystems return while set (nil: none).
type faults struct {
	blobWrite, blobSync, blobSyncDir error
	walWrite, walSync                error
}

type injector struct{ cur atomic.Pointer[faults] }

func (in *injector) get() faults {
	if f := in.cur.Load(); f != nil {
		return *f
	}
	return faults{}
}

func (in *injector) set(f faults) { in.cur.Store(&f) }

// blobFS is the blob store's filesystem with injected faults.
type blobFS struct {
	blobfs.FS
	in *injector
}

func (f blobFS) Create(name string) (blobfs.File, error) {
	file, err := f.FS.Create(name)
	if err != nil {
		return nil, err
	}
	return blobFile{File: file, in: f.in}, nil
}

func (f blobFS) SyncDir(name string) error {
	if err := f.in.get().blobSyncDir; err != nil {
		return err
	}
	return f.FS.SyncDir(name)
}

type blobFile struct {
	blobfs.File
	in *injector
}

func (f blobFile) Write(p []byte) (int, error) {
	if err := f.in.get().blobWrite; err != nil {
		return 0, err
	}
	return f.File.Write(p)
}

func (f blobFile) Sync() error {
	if err := f.in.get().blobSync; err != nil {
		return err
	}
	return f.File.Sync()
}

// walFaults injects the catalog's faults into Pebble's WAL files.
func walFaults(in *injector) errorfs.Injector {
	return errorfs.InjectorFunc(func(op errorfs.Op) error {
		if !strings.HasSuffix(op.Path, ".log") {
			return nil
		}
		f := in.get()
		switch op.Kind {
		case errorfs.OpFileWrite, errorfs.OpFileWriteAt, errorfs.OpFilePreallocate:
			return f.walWrite
		case errorfs.OpFileSync, errorfs.OpFileSyncData, errorfs.OpFileSyncTo, errorfs.OpFileFlush:
			return f.walSync
		}
		return nil
	})
}

// fatalLogger stands in for the server's Pebble logger, whose Fatalf ends
// the process: it reports the call on fatal and blocks the calling
// goroutine forever, so that, as with os.Exit, no deferred cleanup runs.
type fatalLogger struct{ fatal chan string }

func (fatalLogger) Infof(string, ...any)  {}
func (fatalLogger) Errorf(string, ...any) {}
func (l fatalLogger) Fatalf(format string, args ...any) {
	select {
	case l.fatal <- fmt.Sprintf(format, args...):
	default:
	}
	select {} // the process is gone
}

// rig is a store over faulty filesystems.
type rig struct {
	dir   string
	in    *injector
	cat   *pebble.Catalog
	store *store.Store
	fatal chan string
}

const bucket = "faults--use1-az4--x-s3"

func openRig(t *testing.T, dir string, in *injector) *rig {
	t.Helper()
	fatal := make(chan string, 1)
	cat, err := pebble.Open(filepath.Join(dir, "meta"), pebble.WithFS(errorfs.Wrap(vfs.Default, walFaults(in))),
		pebble.WithCacheSize(8<<20), pebble.WithLogger(fatalLogger{fatal}))
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := blobfs.Open(filepath.Join(dir, "blobs"), blobfs.WithFS(blobFS{FS: blobfs.OS, in: in}))
	if err != nil {
		t.Fatal(err)
	}
	return &rig{dir: dir, in: in, cat: cat, store: store.New(cat, blobs, store.Options{InlineMax: 4 << 10}), fatal: fatal}
}

// errFatal reports that Pebble called Fatalf: in the server, the process
// exits there (a failed write-ahead log write leaves Pebble's commit
// pipeline unusable, so it refuses to go on).
var errFatal = errors.New("pebble fatal error: the process would exit")

func (r *rig) put(key string, data []byte) (*catalog.Object, error) {
	type result struct {
		obj *catalog.Object
		err error
	}
	done := make(chan result, 1)
	go func() {
		obj, err := r.store.Put(context.Background(), &store.PutInput{Bucket: bucket, Key: key, Body: bytes.NewReader(data), Size: int64(len(data))})
		done <- result{obj, err}
	}()
	select {
	case res := <-done:
		return res.obj, res.err
	case msg := <-r.fatal:
		return nil, fmt.Errorf("%w: %s", errFatal, msg)
	}
}

// restart "restarts" after a fatal error: the process is gone, so its
// files are copied as they are on disk (the dead Pebble instance still
// holds the lock on the originals) and opened anew.
func restart(t *testing.T, r *rig) *rig {
	t.Helper()
	dir := t.TempDir()
	err := filepath.WalkDir(r.dir, func(p string, d iofs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(r.dir, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dir, rel), 0o700)
		}
		if d.Name() == "LOCK" {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	return openRig(t, dir, &injector{})
}

// read returns an object's ETag and bytes.
func (r *rig) read(t *testing.T, key string) (string, []byte) {
	t.Helper()
	ctx := context.Background()
	obj, err := r.store.Head(ctx, bucket, key)
	if err != nil {
		t.Fatalf("HEAD %s: %v", key, err)
	}
	rc, err := r.store.Open(ctx, obj, 0, obj.Size)
	if err != nil {
		t.Fatalf("open %s: %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return obj.ETag, b
}

// blobFiles lists the blob files on disk.
func (r *rig) blobFiles(t *testing.T) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(filepath.Join(r.dir, "blobs"), func(p string, d iofs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func content(tag string, n int) []byte {
	return bytes.Repeat([]byte(tag), n/len(tag)+1)[:n]
}

// TestInjectedFaults fails one write path at a time, on a small (inline)
// and a large (blob) object, and checks the outcome of the failed PUT, the
// state it leaves, and recovery once the fault is cleared.
//
// Blob faults give the client 500 InternalError and the server goes on.
// A failed write to the catalog's write-ahead log is fatal to Pebble (its
// commit pipeline cannot continue): the server process exits, the client's
// connection drops without an answer, nothing unacknowledged is visible
// after the restart, and the restarted server works. (zonal refuses writes
// before the disk is full, --min-free-disk, so that a full disk does not
// reach the log.)
func TestInjectedFaults(t *testing.T) {
	eio := func(op string) error { return &os.PathError{Op: op, Path: "injected", Err: syscall.EIO} }
	enospc := func(op string) error { return &os.PathError{Op: op, Path: "injected", Err: syscall.ENOSPC} }
	for _, tc := range []struct {
		name   string
		faults faults
		size   int
		want   syscall.Errno
		fatal  bool // Pebble stops the process
	}{
		{"blob write ENOSPC", faults{blobWrite: enospc("write")}, 1 << 20, syscall.ENOSPC, false},
		{"blob write EIO", faults{blobWrite: eio("write")}, 1 << 20, syscall.EIO, false},
		{"blob fdatasync EIO", faults{blobSync: eio("fdatasync")}, 1 << 20, syscall.EIO, false},
		{"blob folder fsync EIO", faults{blobSyncDir: eio("fsync")}, 1 << 20, syscall.EIO, false},
		{"catalog WAL write ENOSPC, blob object", faults{walWrite: enospc("write")}, 1 << 20, syscall.ENOSPC, true},
		{"catalog WAL write ENOSPC, inline object", faults{walWrite: enospc("write")}, 1 << 10, syscall.ENOSPC, true},
		{"catalog WAL sync EIO, blob object", faults{walSync: eio("fsync")}, 1 << 20, syscall.EIO, true},
		{"catalog WAL sync EIO, inline object", faults{walSync: eio("fsync")}, 1 << 10, syscall.EIO, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			in := &injector{}
			r := openRig(t, dir, in)
			ctx := context.Background()
			if err := r.store.CreateBucket(ctx, catalog.Bucket{Name: bucket, Owner: "000000000000", Zone: "use1-az4", CreatedAt: time.Now()}); err != nil {
				t.Fatal(err)
			}
			v1 := content("v1-", tc.size)
			obj1, err := r.put("k", v1)
			if err != nil {
				t.Fatal(err)
			}
			filesBefore := r.blobFiles(t)

			in.set(tc.faults)
			_, err = r.put("k", content("v2-", tc.size))
			if tc.fatal {
				in.set(faults{})
				if !errors.Is(err, errFatal) || !strings.Contains(err.Error(), tc.want.Error()) {
					t.Fatalf("PUT with a failing catalog log: %v, want Pebble's fatal error naming %v", err, tc.want)
				}
				r = restart(t, r) // the process died; the old instance is abandoned
				defer r.cat.Close()
			} else {
				_, newErr := r.put("new", content("n-", tc.size))
				in.set(faults{})
				defer r.cat.Close()
				for what, err := range map[string]error{"replacing PUT": err, "new-key PUT": newErr} {
					// An Internal store error is what s3api answers 500 InternalError.
					if !store.IsKind(err, store.Internal) {
						t.Fatalf("%s under the fault: %v, want an internal error (a 500 InternalError)", what, err)
					}
					if !errors.Is(err, tc.want) {
						t.Errorf("%s: the cause %v is not kept for the log (want %v)", what, err, tc.want)
					}
				}
				if files := r.blobFiles(t); strings.Join(files, ",") != strings.Join(filesBefore, ",") {
					t.Fatalf("blob files changed:\nbefore %v\nafter  %v", filesBefore, files)
				}
			}
			// Nothing partial: the old version, no new key. When the log
			// write went through and only its sync failed, the commit may
			// survive the restart: the client had no answer, so either
			// outcome is allowed, but whole.
			etag, b := r.read(t, "k")
			switch {
			case etag == obj1.ETag && bytes.Equal(b, v1):
			case tc.fatal && tc.faults.walSync != nil && etag != obj1.ETag && bytes.Equal(b, content("v2-", tc.size)):
				t.Logf("the unacknowledged PUT survived the restart whole (its log write was on disk)")
			default:
				t.Fatalf("after the failed PUT, k has ETag %s and %d bytes; want the previous version", etag, len(b))
			}
			if _, err := r.store.Head(ctx, bucket, "new"); !store.IsKind(err, store.NoSuchKey) {
				t.Fatalf("the failed new key exists: %v", err)
			}
			if tc.fatal && tc.size > 4<<10 && etag == obj1.ETag {
				// The failed PUT's blob was synced before the commit died: it
				// is an unreferenced file, the orphan sweeper's job.
				if n := len(r.blobFiles(t)); n != len(filesBefore)+1 {
					t.Errorf("%d blob files after the restart, want %d (one orphan)", n, len(filesBefore)+1)
				}
			}

			// Recovery: with the fault gone, the store works.
			v3 := content("v3-", tc.size)
			obj3, err := r.put("k", v3)
			if err != nil {
				t.Fatalf("PUT once the fault cleared: %v", err)
			}
			if etag, b := r.read(t, "k"); etag != obj3.ETag || !bytes.Equal(b, v3) {
				t.Fatalf("after recovery, k has ETag %s and %d bytes; want the new version", etag, len(b))
			}
		})
	}
}
