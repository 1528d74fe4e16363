package server

import (
	"bytes"
	"context"
	"io"
	iofs "io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/store"
)

func openData(t *testing.T, dir string) (*Server, error) {
	t.Helper()
	return Open(Config{Data: dir, AccountID: "000000000000",
		RootAccessKey: "AKIASERVERTEST000001", RootSecretKey: "serversecretserversecretserversecret0000",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

// putObjects stores a small (inline) and a large (blob) encrypted object.
func putObjects(t *testing.T, srv *Server) {
	t.Helper()
	ctx := context.Background()
	st := srv.Store()
	if err := st.CreateBucket(ctx, catalog.Bucket{Name: "keys--use1-az4--x-s3", Owner: "000000000000", Zone: "use1-az4", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	for key, n := range map[string]int{"small": 100, "large": 1 << 20} {
		body := bytes.Repeat([]byte("x"), n)
		if _, err := st.Put(ctx, &store.PutInput{Bucket: "keys--use1-az4--x-s3", Key: key, Body: bytes.NewReader(body), Size: int64(n)}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSSEKeyLossRefusesStart: with encrypted objects stored, a missing
// SSE key file stops the start with a clear message instead of a new key
// being generated (which made every object unreadable), and so does
// another key.
func TestSSEKeyLossRefusesStart(t *testing.T) {
	dir := t.TempDir()
	srv, err := openData(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	putObjects(t, srv)
	stop(srv)
	keyFile := filepath.Join(dir, "keys", "sse.key")
	orig, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}

	os.Remove(keyFile)
	if srv, err := openData(t, dir); err == nil {
		stop(srv)
		t.Fatal("started without its SSE key, with encrypted objects stored")
	} else if !strings.Contains(err.Error(), "missing") || !strings.Contains(err.Error(), keyFile) {
		t.Fatalf("error %q does not say the key file is missing", err)
	}
	if _, err := os.Stat(keyFile); !os.IsNotExist(err) {
		t.Fatalf("a new key file was generated: %v", err)
	}

	if err := os.WriteFile(keyFile, bytes.Repeat([]byte{7}, 32), 0o600); err != nil {
		t.Fatal(err)
	}
	if srv, err := openData(t, dir); err == nil {
		stop(srv)
		t.Fatal("started with another SSE key")
	} else if !strings.Contains(err.Error(), "not the key") {
		t.Fatalf("error %q does not say the key is the wrong one", err)
	}

	if err := os.WriteFile(keyFile, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	srv, err = openData(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer stop(srv)
	ctx := context.Background()
	obj, err := srv.Store().Head(ctx, "keys--use1-az4--x-s3", "large")
	if err != nil {
		t.Fatal(err)
	}
	rc, err := srv.Store().Open(ctx, obj, 0, obj.Size)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(b, bytes.Repeat([]byte("x"), 1<<20)) {
		t.Fatalf("reading back with the restored key: %v", err)
	}
}

// TestSSEKeyGeneratedOnlyForNewFolders: the check value recorded with
// the first key, not the presence of buckets, is what forbids a new key
// (an emptied folder may still be restored from a backup of the catalog).
func TestSSEKeyGeneratedOnlyForNewFolders(t *testing.T) {
	dir := t.TempDir()
	srv, err := openData(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	stop(srv)
	if err := os.Remove(filepath.Join(dir, "keys", "sse.key")); err != nil {
		t.Fatal(err)
	}
	if srv, err := openData(t, dir); err == nil {
		stop(srv)
		t.Fatal("generated a second SSE key for a data folder that recorded one")
	}
}

// TestDataFolderPrivate: an existing data folder with mode 0755 (and a
// 0644 file in it), under umask 000, ends up with folders 0700 and files
// 0600 throughout. Not parallel: the umask is process-wide.
func TestDataFolderPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(filepath.Join(dir, "meta"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "meta", "leftover"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	old := syscall.Umask(0)
	srv, err := openData(t, dir)
	if err == nil {
		putObjects(t, srv)
		err = srv.Store().Catalog().PutConfig(context.Background(), "x", make([]byte, 100))
		stop(srv)
	}
	syscall.Umask(old)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	filepath.WalkDir(dir, func(p string, d iofs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := d.Info()
		want := os.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode().Perm(), want)
		}
		n++
		return nil
	})
	if n < 270 {
		t.Fatalf("only %d entries in the data folder", n)
	}
}
