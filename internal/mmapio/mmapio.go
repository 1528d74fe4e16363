// Package mmapio writes ranges of files from read-only memory maps.
//
// zonal sends large object ranges this way rather than with sendfile(2):
// on loopback here a 4 MiB or larger GET goes about a fifth faster when the
// bytes are written from a map with write(2) (one copy, into socket
// buffers of few large fragments) than when they are spliced from the page
// cache (no copy, but a fragment and a pipe buffer per 4 KiB page, which
// the sender and the receiving socket then pay for). Below about 2 MiB
// sendfile is as fast or faster: mapping costs a fixed 20-30 µs.
// bench/README.md has the figures.
//
// A map of a file that shrinks under it faults on access. zonal's blobs
// are immutable, so that needs someone editing the data folder by hand;
// the writes here still turn such a fault into an error rather than a
// crash.
package mmapio

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
)

// ErrUnsupported is returned by Map where the platform or the file cannot
// be mapped; callers then send the range another way.
var ErrUnsupported = errors.New("mmapio: memory maps not supported here")

// A Map is a read-only, populated map of part of a file.
type Map struct {
	whole []byte // what was mapped, from a page boundary
	bytes []byte // the range asked for
}

// Bytes returns the mapped range. It is valid until Close.
func (m *Map) Bytes() []byte { return m.bytes }

// Write writes p, which lies in a Map's range, to w. A fault while w's
// user-space code reads the map (the file was truncated under it) becomes
// an error instead of a crash. (A fault inside write(2) already is one:
// the kernel answers EFAULT.)
func Write(w io.Writer, p []byte) (n int, err error) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			re, ok := r.(interface{ Addr() uintptr })
			if !ok {
				panic(r)
			}
			err = fmt.Errorf("mmapio: fault reading a mapped file at %#x (was it truncated?)", re.Addr())
		}
	}()
	return w.Write(p)
}

// Close unmaps the range.
func (m *Map) Close() error {
	if m.whole == nil {
		return nil
	}
	err := unmap(m.whole)
	m.whole, m.bytes = nil, nil
	return err
}

// Open maps n bytes of f starting at off, read-only, with the pages
// present in the page cache already entered in the page table (so writing
// the range takes no page faults). n must be positive and the range must
// lie within the file.
func Open(f *os.File, off int64, n int) (*Map, error) {
	if n <= 0 || off < 0 {
		return nil, fmt.Errorf("mmapio: bad range %d+%d", off, n)
	}
	start := off &^ int64(os.Getpagesize()-1)
	whole, err := mapFile(f, start, int(off-start)+n)
	if err != nil {
		return nil, err
	}
	return &Map{whole: whole, bytes: whole[off-start:][:n]}, nil
}
