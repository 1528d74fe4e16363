package pebble

import (
	"io"
	"os"

	"github.com/cockroachdb/pebble/v2/vfs"
	"golang.org/x/sys/unix"
)

// WithPrivateFiles makes Pebble keep its files on the OS filesystem with
// mode 0600 and its folder with mode 0700, whatever the umask and whatever
// mode an existing folder had. vfs.Default creates files 0666 and folders
// 0755 minus the umask, which under umask 000 is world-writable. Changing
// the umask instead would be process-wide and race with everything else
// creating files. It replaces WithFS.
func WithPrivateFiles() Option { return func(o *options) { o.fs = privateFS{vfs.Default} } }

// privateFS narrows the mode of every file and folder Pebble creates. A
// file exists with the wider mode only between its creation and the
// fchmod that follows, inside a folder only its owner can enter.
type privateFS struct{ vfs.FS }

func (fs privateFS) Create(name string, category vfs.DiskWriteCategory) (vfs.File, error) {
	return private(name)(fs.FS.Create(name, category))
}

func (fs privateFS) OpenReadWrite(name string, category vfs.DiskWriteCategory, opts ...vfs.OpenOption) (vfs.File, error) {
	return private(name)(fs.FS.OpenReadWrite(name, category, opts...))
}

func (fs privateFS) ReuseForWrite(oldname, newname string, category vfs.DiskWriteCategory) (vfs.File, error) {
	return private(newname)(fs.FS.ReuseForWrite(oldname, newname, category))
}

func (fs privateFS) Lock(name string) (io.Closer, error) {
	c, err := fs.FS.Lock(name)
	if err == nil {
		if err = os.Chmod(name, 0o600); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, err
}

// MkdirAll makes dir 0700 even when it exists: Pebble's folder may come
// from a data folder made under a looser umask.
func (fs privateFS) MkdirAll(dir string, _ os.FileMode) error {
	if err := fs.FS.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.Chmod(dir, 0o700)
}

func (fs privateFS) Unwrap() vfs.FS { return fs.FS }

// private returns a function that fchmods a just-opened file to 0600.
func private(name string) func(vfs.File, error) (vfs.File, error) {
	return func(f vfs.File, err error) (vfs.File, error) {
		if err != nil {
			return f, err
		}
		if err := unix.Fchmod(int(f.Fd()), 0o600); err != nil {
			f.Close()
			return nil, &os.PathError{Op: "fchmod", Path: name, Err: err}
		}
		return f, nil
	}
}
