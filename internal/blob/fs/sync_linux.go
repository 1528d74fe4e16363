package fs

import (
	"os"

	"golang.org/x/sys/unix"
)

// datasync is fdatasync: it skips the inode timestamps a full fsync would
// also write, which nothing here needs.
func datasync(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		for {
			if serr = unix.Fdatasync(int(fd)); serr != unix.EINTR {
				return
			}
		}
	})
	if err != nil {
		return err
	}
	if serr != nil {
		return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: serr}
	}
	return nil
}

// setDirect sets or clears O_DIRECT on f's descriptor. Filesystems without
// direct I/O (tmpfs) refuse it with EINVAL, which the caller treats as
// "write through the cache".
func setDirect(f *os.File, on bool) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		var flags int
		if flags, serr = unix.FcntlInt(fd, unix.F_GETFL, 0); serr != nil {
			return
		}
		if on {
			flags |= unix.O_DIRECT
		} else {
			flags &^= unix.O_DIRECT
		}
		_, serr = unix.FcntlInt(fd, unix.F_SETFL, flags)
	})
	if err != nil {
		return err
	}
	if serr != nil {
		return &os.PathError{Op: "fcntl O_DIRECT", Path: f.Name(), Err: serr}
	}
	return nil
}
