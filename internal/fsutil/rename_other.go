//go:build !linux

package fsutil

import "errors"

// renameNoReplace: only Linux has an atomic rename that refuses to replace.
func renameNoReplace(oldpath, newpath string) error { return errors.ErrUnsupported }
