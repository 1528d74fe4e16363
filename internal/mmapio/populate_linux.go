package mmapio

import "golang.org/x/sys/unix"

// populate makes mmap enter the cached pages in the page table at once:
// one call instead of a fault per 64 KiB as the range is read.
const populate = unix.MAP_POPULATE
