package store

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"

	"github.com/zonal-dev/zonal/internal/blob"
	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/sse"
)

// Open returns a reader of n bytes of obj starting at off. The caller has
// already checked that the range lies within the object.
func (s *Store) Open(ctx context.Context, obj *catalog.Object, off, n int64) (io.ReadCloser, error) {
	r := &extentReader{ctx: ctx, blobs: s.blobs, keys: s.opt.SSE, pins: &s.pins}
	pos := int64(0)
	end := off + n
	for _, e := range obj.Extents {
		sz := e.Size()
		lo, hi := max(off, pos), min(end, pos+sz)
		if lo < hi {
			r.parts = append(r.parts, part{e: e, off: lo - pos, n: hi - lo})
		}
		pos += sz
	}
	// Every blob of the range stays on disk until Close, even if the
	// object is deleted meanwhile: later extents are opened lazily.
	r.pinned = r.parts
	for _, p := range r.pinned {
		if p.e.BlobID != "" {
			s.pins.pin(p.e.BlobID)
		}
	}
	// Open the first blob now so a missing blob is an error before the 200.
	if err := r.advance(); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

type part struct {
	e      catalog.Extent
	off, n int64
}

// extentReader reads a sequence of extent ranges, opening blobs lazily.
type extentReader struct {
	ctx   context.Context
	blobs blob.Store
	keys  *sse.Keyring
	parts []part
	cur   io.Reader
	open  blob.Reader
	// pins and pinned: the blobs of all parts, held until Close.
	pins   *readerPins
	pinned []part
}

func (r *extentReader) advance() error {
	if r.open != nil {
		r.open.Close()
		r.open = nil
	}
	r.cur = nil
	if len(r.parts) == 0 {
		return nil
	}
	p := r.parts[0]
	r.parts = r.parts[1:]
	var src io.Reader
	if p.e.BlobID == "" {
		src = bytes.NewReader(p.e.Inline[p.off : p.off+p.n])
	} else {
		br, err := r.blobs.Open(r.ctx, p.e.BlobID)
		if err != nil {
			if errors.Is(err, blob.ErrNotFound) {
				return internal(errors.New("blob " + p.e.BlobID + " of a live record is missing"))
			}
			return internal(err)
		}
		r.open = br
		src = nil
		if fsec, ok := br.(blob.FileSectioner); ok && p.e.IV == nil {
			// Plaintext on disk: WriteTo can hand the range to sendfile.
			if lr, ok := fsec.FileSection(p.e.Offset+p.off, p.n); ok {
				src = lr
			}
		}
		if src == nil {
			src = io.NewSectionReader(br, p.e.Offset+p.off, p.n)
		}
	}
	if p.e.IV != nil {
		// Encrypted extent: the keystream position of the first byte read
		// is its offset in the extent's original plaintext.
		if r.keys == nil {
			return internal(errors.New("object is encrypted but no SSE key is configured"))
		}
		key, err := r.keys.Unseal(p.e.IV)
		if err != nil {
			return internal(err)
		}
		if src, err = sse.Reader(src, key, p.e.Offset+p.off); err != nil {
			return internal(err)
		}
	}
	r.cur = src
	return nil
}

func (r *extentReader) Read(b []byte) (int, error) {
	for r.cur != nil {
		n, err := r.cur.Read(b)
		if err == io.EOF {
			if aerr := r.advance(); aerr != nil {
				return n, aerr
			}
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
	return 0, io.EOF
}

// copyBufs are the 256 KiB buffers object data streams through, both
// ways. Larger than io.Copy's 32 KiB, so a 1 MiB GET costs a handful of
// write syscalls and a PUT a handful of blob writes; pooled, because a
// fresh one per request showed in the allocation profile. They are large
// objects, which Go places page-aligned, so the blob store can hand them
// to direct I/O without copying (it checks, and copies when not).
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// WriteTo streams the remaining bytes to w (io.Copy uses it).
func (r *extentReader) WriteTo(w io.Writer) (int64, error) {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	var total int64
	for r.cur != nil {
		var n int64
		var err error
		if lr, ok := r.cur.(*io.LimitedReader); ok && isReaderFrom(w) {
			// A file section (see advance): the writer's ReadFrom reaches
			// sendfile when w is, underneath, a TCP connection.
			n, err = w.(io.ReaderFrom).ReadFrom(lr)
		} else {
			n, err = io.CopyBuffer(onlyWriter{w}, onlyReader{r.cur}, buf)
		}
		total += n
		if err != nil {
			return total, err
		}
		if err := r.advance(); err != nil {
			return total, err
		}
	}
	return total, nil
}

func isReaderFrom(w io.Writer) bool {
	_, ok := w.(io.ReaderFrom)
	return ok
}

// onlyWriter and onlyReader hide ReadFrom/WriteTo so io.CopyBuffer really
// uses the pooled buffer.
type onlyWriter struct{ io.Writer }
type onlyReader struct{ io.Reader }

func (r *extentReader) Close() error {
	r.parts = nil
	r.cur = nil
	var err error
	if r.open != nil {
		err = r.open.Close()
		r.open = nil
	}
	for _, p := range r.pinned {
		if p.e.BlobID != "" {
			r.pins.unpin(p.e.BlobID)
		}
	}
	r.pinned = nil
	return err
}
