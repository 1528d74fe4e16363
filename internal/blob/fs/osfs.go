package fs

import (
	"io"
	iofs "io/fs"
	"os"
)

// FS is the filesystem the store works through. The default is the OS;
// tests wrap it to inject faults (ENOSPC, EIO on write or sync).
type FS interface {
	// Create creates name for writing, mode 0600, failing if it exists.
	Create(name string) (File, error)
	// Open opens name for reading.
	Open(name string) (File, error)
	Remove(name string) error
	ReadDir(name string) ([]iofs.DirEntry, error)
	MkdirAll(name string) error
	// SyncDir makes the entries of directory name durable.
	SyncDir(name string) error
}

// File is an open blob file.
type File interface {
	io.Writer
	io.ReaderAt
	io.Closer
	// Sync makes the file's data (and the size needed to read it back)
	// durable: fdatasync where the platform has it.
	Sync() error
	Stat() (iofs.FileInfo, error)
	// SetDirect turns direct I/O (O_DIRECT: no page cache) on or off for
	// later writes. Files that cannot do it return an error and are
	// written through the cache.
	SetDirect(on bool) error
}

// OS is the operating system's filesystem.
var OS FS = osFS{}

type osFS struct{}

func (osFS) Create(name string) (File, error) {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

func (osFS) Open(name string) (File, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

func (osFS) Remove(name string) error                     { return os.Remove(name) }
func (osFS) ReadDir(name string) ([]iofs.DirEntry, error) { return os.ReadDir(name) }
func (osFS) MkdirAll(name string) error                   { return os.MkdirAll(name, 0o700) }

func (osFS) SyncDir(name string) error {
	d, err := os.Open(name)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

type osFile struct{ *os.File }

func (f osFile) Sync() error             { return datasync(f.File) }
func (f osFile) SetDirect(on bool) error { return setDirect(f.File, on) }
