// Package blob defines zonal's byte store: immutable blobs named by random
// ids. A blob is written once, made durable by Commit, read by range any
// number of times, and deleted when the catalog no longer references it.
//
// The store only needs "write a new name", "read a range" and "delete", so it
// maps onto a local filesystem (fs/, the default), memory (mem/, tests) or any
// S3-compatible cluster.
package blob

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"time"
)

// ErrNotFound is returned for a blob id the store does not hold.
var ErrNotFound = errors.New("blob: not found")

// ErrUnavailable is wrapped by the errors of a store whose backend cannot
// be reached for now (a remote store down, overloaded or timing out after
// its own retries). Nothing a caller can see changed: a Commit failing with
// it returned no id (at most an unreferenced leftover for the orphan
// sweeper), and the same call may succeed later, so the API can answer 503
// rather than 500.
var ErrUnavailable = errors.New("blob: backend unavailable")

// IDLen is the length of the ids NewID makes: 32 hex characters, 128
// random bits, so two blobs never share one.
const IDLen = 32

// NewID returns a fresh random blob id of IDLen lower-case hex characters.
// Stores that name files or keys by it check ids with ValidID first.
func NewID() string {
	var b [IDLen / 2]byte
	rand.Read(b[:]) // never fails (crypto/rand panics instead)
	return hex.EncodeToString(b[:])
}

// ValidID reports whether id could have come from NewID: exactly IDLen
// lower-case hex characters. Checking it before building a path or key
// also keeps names like "../x" out.
func ValidID(id string) bool {
	if len(id) != IDLen {
		return false
	}
	for i := range len(id) {
		if c := id[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Writer receives a new blob's bytes. Exactly one of Commit or Abort must be
// called. Commit makes the bytes durable (for durable stores: file data and
// its directory entry synced) and returns the blob's id; nothing is visible
// under that id before Commit returns.
type Writer interface {
	io.Writer
	Commit() (id string, err error)
	Abort() error
}

// Reader reads a committed blob.
type Reader interface {
	io.ReaderAt
	io.Closer
	Size() int64
}

// FileSectioner is implemented by Readers backed by operating-system files.
// FileSection returns n bytes at off as an *io.LimitedReader whose R is the
// open file, positioned at off: io.Copy from it to a TCP connection then
// uses sendfile(2), so the bytes go from the page cache to the socket
// without a copy through user space. ok is false when the blob is not an
// OS file. The section uses the file's read position, so a Reader serves
// one section at a time (ReadAt is unaffected).
type FileSectioner interface {
	FileSection(off, n int64) (r *io.LimitedReader, ok bool)
}

// Store is a blob store. Implementations are safe for concurrent use.
type Store interface {
	// Create starts a new blob with a fresh random id.
	Create(ctx context.Context) (Writer, error)
	// Open opens a committed blob, or returns ErrNotFound.
	Open(ctx context.Context, id string) (Reader, error)
	// Delete removes a blob; deleting a missing blob is not an error.
	Delete(ctx context.Context, id string) error
	// Walk calls fn for every blob (committed or left over by a crash before
	// Commit) with its modification time, in no particular order. It stops
	// at and returns fn's first error.
	Walk(ctx context.Context, fn func(id string, modTime time.Time) error) error
	// Usage reports the bytes and blob count held (best effort).
	Usage(ctx context.Context) (bytes int64, count int64, err error)
}
