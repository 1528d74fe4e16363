//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package mmapio

import "os"

func mapFile(*os.File, int64, int) ([]byte, error) { return nil, ErrUnsupported }

func unmap([]byte) error { return nil }
