package fsutil

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

// recordSyncs makes syncDir note the folders it syncs (no t.Parallel:
// it swaps a package variable).
func recordSyncs(t *testing.T) *[]string {
	var mu sync.Mutex
	var dirs []string
	syncDir = func(dir string) error {
		mu.Lock()
		dirs = append(dirs, dir)
		mu.Unlock()
		return SyncDir(dir)
	}
	t.Cleanup(func() { syncDir = SyncDir })
	return &dirs
}

func TestWriteFileAtomicIsDurable(t *testing.T) {
	synced := recordSyncs(t)
	root := t.TempDir()
	path := filepath.Join(root, "a", "b", "f")
	if err := WriteFileAtomic(path, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Each new folder is synced into its parent, and the file into its folder.
	want := []string{root, filepath.Join(root, "a"), filepath.Join(root, "a", "b")}
	if !slices.Equal(*synced, want) {
		t.Fatalf("synced folders %q, want %q", *synced, want)
	}
	for _, d := range want[1:] {
		if fi, _ := os.Stat(d); fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: mode %v, want 0700", d, fi.Mode().Perm())
		}
	}
	*synced = nil
	if err := WriteFileAtomic(path, []byte("two"), 0o640); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(*synced, want[2:]) {
		t.Fatalf("replacing synced %q, want %q", *synced, want[2:])
	}
	b, _ := os.ReadFile(path)
	fi, _ := os.Stat(path)
	if string(b) != "two" || fi.Mode().Perm() != 0o640 {
		t.Fatalf("content %q mode %v", b, fi.Mode().Perm())
	}
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Fatalf("temporary files left: %v", ents)
	}
}

func TestWriteFileExclusiveNeverReplaces(t *testing.T) {
	synced := recordSyncs(t)
	dir := filepath.Join(t.TempDir(), "keys")
	path := filepath.Join(dir, "k")
	if err := WriteFileExclusive(path, []byte("first"), 0o600); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(*synced, dir) {
		t.Fatalf("the key's folder was not synced (synced: %q)", *synced)
	}
	if err := WriteFileExclusive(path, []byte("second"), 0o600); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second create: %v, want ErrExist", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "first" {
		t.Fatalf("content %q, want the first", b)
	}

	// Racing creators: exactly one wins, nobody sees a partial file.
	race := filepath.Join(dir, "race")
	var wg sync.WaitGroup
	wins := make(chan string, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			data := bytes.Repeat([]byte(fmt.Sprint(i)), 4096)
			err := WriteFileExclusive(race, data, 0o600)
			switch {
			case err == nil:
				wins <- string(data)
			case !errors.Is(err, fs.ErrExist):
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	close(wins)
	var won []string
	for w := range wins {
		won = append(won, w)
	}
	if b, _ := os.ReadFile(race); len(won) != 1 || string(b) != won[0] {
		t.Fatalf("%d winners; file holds %d bytes", len(won), len(b))
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Fatalf("temporary files left: %v", ents)
	}
}
