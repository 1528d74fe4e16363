package fs

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func topdirSet(t *testing.T, dir string) bool {
	t.Helper()
	d, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	flags, err := unix.IoctlGetUint32(int(d.Fd()), unix.FS_IOC_GETFLAGS)
	if err != nil {
		t.Skipf("no inode flags here: %v", err)
	}
	return flags&0x00020000 != 0
}

// TestOpenSpreadsShards: the store marks its folder for ext4's Orlov
// allocator before creating the shard folders (see spreadSubdirs).
func TestOpenSpreadsShards(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "blobs")
	if _, err := Open(dir); err != nil {
		t.Fatal(err)
	}
	if topdirSet(t, dir) {
		return
	}
	probe := t.TempDir()
	spreadSubdirs(probe)
	if topdirSet(t, probe) {
		t.Fatal("the filesystem takes the top-directory flag, but Open did not set it")
	}
	t.Skip("the filesystem does not keep the top-directory flag")
}
