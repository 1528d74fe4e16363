//go:build !linux

package fs

import "os"

// datasync falls back to File.Sync (F_FULLFSYNC on macOS, which a plain
// fsync there does not give).
func datasync(f *os.File) error { return f.Sync() }
