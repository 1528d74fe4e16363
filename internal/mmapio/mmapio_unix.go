//go:build linux || darwin || freebsd || netbsd || openbsd

package mmapio

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

func mapFile(f *os.File, off int64, n int) ([]byte, error) {
	b, err := unix.Mmap(int(f.Fd()), off, n, unix.PROT_READ, unix.MAP_SHARED|populate)
	if errors.Is(err, unix.ENODEV) || errors.Is(err, unix.EACCES) {
		return nil, ErrUnsupported
	}
	if err != nil {
		return nil, fmt.Errorf("mmapio: mmap %s: %w", f.Name(), err)
	}
	return b, nil
}

func unmap(b []byte) error { return unix.Munmap(b) }
