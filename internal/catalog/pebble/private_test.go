package pebble

import (
	"context"
	"errors"
	iofs "io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// TestPrivateFiles: an existing folder with mode 0755 and the default
// umask (which gives Pebble's own files 0644) still end up 0700/0600.
func TestPrivateFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "meta")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	ctx := context.Background()
	for range 2 { // the second open replays the log into new files
		c := openTestDir(t, dir, WithPrivateFiles())
		if err := c.PutConfig(ctx, "k", make([]byte, 4<<10)); err != nil {
			t.Fatal(err)
		}
		if err := c.db.Flush(); err != nil {
			t.Fatal(err)
		}
		c.Close()
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
	if n < 5 {
		t.Fatalf("only %d entries", n)
	}
}

// TestOpenReadOnly: a read-only open sees what is still only in the
// write-ahead log, writes nothing, and refuses mutations.
func TestOpenReadOnly(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	c := openTestDir(t, dir)
	if err := c.CreateBucket(ctx, catalog.Bucket{Name: "b", Owner: "000000000000", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := c.PutConfig(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	c.Close()
	before := listDir(t, dir)

	ro, err := OpenReadOnly(dir, WithLogger(quietLogger{}))
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if v, err := ro.GetConfig(ctx, "k"); err != nil || string(v) != "v" {
		t.Fatalf("GetConfig: %q %v", v, err)
	}
	if _, err := ro.GetBucket(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if err := ro.PutConfig(ctx, "k", []byte("w")); err == nil {
		t.Fatal("a read-only catalog took a write")
	}
	if err := ro.DeleteBucket(ctx, "b"); err == nil || errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("DeleteBucket on a read-only catalog: %v", err)
	}
	if after := listDir(t, dir); len(after) != len(before) {
		t.Fatalf("files changed: %v -> %v", before, after)
	}
}

func listDir(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]int64{}
	for _, e := range ents {
		fi, _ := e.Info()
		m[e.Name()] = fi.Size()
	}
	return m
}
