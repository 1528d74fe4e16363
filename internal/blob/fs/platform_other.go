//go:build !linux

package fs

import (
	"errors"
	"os"
)

// datasync falls back to File.Sync (F_FULLFSYNC on macOS, which a plain
// fsync there does not give).
func datasync(f *os.File) error { return f.Sync() }

// setDirect: direct I/O is only used on Linux.
func setDirect(f *os.File, on bool) error { return errors.ErrUnsupported }

// spreadSubdirs is an ext4 allocation hint; nothing to do elsewhere.
func spreadSubdirs(string) {}
