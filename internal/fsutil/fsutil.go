// Package fsutil writes small files durably: keys, credentials, the
// session key ring, certificates. After a call returns, the file survives
// a power failure with either its old content or all of its new content,
// never a mix and never a missing directory entry.
//
// Durability needs more than fsyncing the file: the directory entry that
// names it lives in the parent folder, which must be fsynced too (else a
// crash can lose the entry and with it the file), and the same holds for
// every folder created on the way.
package fsutil

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// DirPerm is the mode of the folders this package creates.
const DirPerm = 0o700

// WriteFileAtomic replaces path with data: a temporary file in the same
// folder is written, fsynced and renamed over path, then the folder is
// fsynced. Missing folders are created (mode 0700, each one fsynced into
// its parent). The file gets exactly perm, whatever the umask.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := writeTemp(dir, filepath.Base(path), data, perm)
	if err != nil {
		return err
	}
	defer os.Remove(tmp) // a no-op once renamed
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(dir)
}

// WriteFileExclusive creates path with data unless it exists, for files
// that must never be replaced (a master key: replacing it loses every
// secret it sealed). The content is written and fsynced under a temporary
// name first, then linked into place, which fails when path exists, so
// path is never seen half-written. When path exists (another process won
// the race) it returns an error matching fs.ErrExist and the caller reads
// the file that is there.
func WriteFileExclusive(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := writeTemp(dir, filepath.Base(path), data, perm)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return err
		}
		// Some filesystems have no hard links; renaming without replacing
		// is as good where the kernel offers it.
		if rerr := renameNoReplace(tmp, path); rerr != nil {
			if errors.Is(rerr, fs.ErrExist) {
				return rerr
			}
			return fmt.Errorf("%w (rename without replace: %v)", err, rerr)
		}
	}
	return syncDir(dir)
}

// writeTemp writes data to a new fsynced file in dir and returns its name.
func writeTemp(dir, base string, data []byte, perm os.FileMode) (string, error) {
	if err := MkdirAll(dir); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return "", err
	}
	err = f.Chmod(perm) // CreateTemp gives 0600 minus the umask
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// MkdirAll creates dir and any missing parents with mode 0700 (whatever
// the umask), fsyncing each new folder's parent so the new entries last.
// Folders that exist are left as they are.
func MkdirAll(dir string) error {
	dir = filepath.Clean(dir)
	fi, err := os.Stat(dir)
	if err == nil {
		if !fi.IsDir() {
			return &fs.PathError{Op: "mkdir", Path: dir, Err: errors.New("not a directory")}
		}
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	parent := filepath.Dir(dir)
	if parent != dir {
		if err := MkdirAll(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, DirPerm); err != nil {
		if errors.Is(err, fs.ErrExist) { // created meanwhile by someone else
			return nil
		}
		return err
	}
	if err := os.Chmod(dir, DirPerm); err != nil {
		return err
	}
	return syncDir(parent)
}

// syncDir is SyncDir; tests replace it to see which folders get synced.
var syncDir = SyncDir

// SyncDir fsyncs a folder, making the entries created, renamed or removed
// in it durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
