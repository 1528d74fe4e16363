package store

import (
	"bytes"
	"context"
	"crypto/cipher"
	"errors"
	"fmt"
	"io"
	"strings"

	"time"

	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/s3err"
	"github.com/zonal-dev/zonal/internal/sse"
)

// PutInput describes one PutObject.
type PutInput struct {
	Bucket, Key string
	Body        io.Reader
	// Size is the body length when known up front, or -1.
	Size        int64
	ContentType string
	Headers     map[string]string
	Meta        map[string]string
	// Finish runs after the whole body was read and before anything is
	// published: it verifies checksums (which may arrive in a trailer) and
	// returns the checksums to store. A nil Finish stores none.
	Finish func() (sums map[string]string, sumType string, err error)
	// Conditions checked against the current record under the key's lock.
	IfMatch     string // ETag or "*"
	IfNoneMatch string // only "*" is meaningful for writes
}

// Put stores an object durably and returns its new record.
func (s *Store) Put(ctx context.Context, in *PutInput) (*catalog.Object, error) {
	if in.Size > MaxPutSize {
		return nil, s3err.EntityTooLarge
	}
	extents, size, blobID, err := s.writeBody(ctx, in.Body, in.Size)
	if err != nil {
		return nil, err
	}
	published := false
	defer func() {
		if !published && blobID != "" {
			// Never referenced: remove it now rather than waiting for the sweeper.
			_ = s.blobs.Delete(context.WithoutCancel(ctx), blobID)
		}
	}()
	if in.Size >= 0 && size != in.Size {
		return nil, s3err.IncompleteBody
	}
	var sums map[string]string
	var sumType string
	if in.Finish != nil {
		if sums, sumType, err = in.Finish(); err != nil {
			return nil, err
		}
	}
	obj := &catalog.Object{
		Key:          in.Key,
		Size:         size,
		ETag:         NewETag(),
		LastModified: s.opt.Now().UTC(),
		ContentType:  in.ContentType,
		Headers:      in.Headers,
		Meta:         in.Meta,
		Checksums:    sums,
		ChecksumType: sumType,
		Parts:        1,
		Extents:      extents,
		SSE:          s.Encryption(),
	}
	err = s.cat.UpdateObject(ctx, in.Bucket, in.Key, func(cur *catalog.Object) (*catalog.Object, error) {
		if err := checkWrite(cur, in.IfMatch, in.IfNoneMatch); err != nil {
			return nil, err
		}
		return obj, nil
	})
	if errors.Is(err, catalog.ErrNotFound) {
		return nil, s3err.NoSuchBucket.With("BucketName", in.Bucket)
	}
	if err != nil {
		return nil, wrap(err)
	}
	published = true
	return obj, nil
}

// checkWrite applies If-Match / If-None-Match of a write to the current record.
func checkWrite(cur *catalog.Object, ifMatch, ifNoneMatch string) error {
	if ifNoneMatch != "" && cur != nil {
		return s3err.PreconditionFailed.With("Condition", "If-None-Match")
	}
	if ifMatch != "" {
		if cur == nil {
			return s3err.NoSuchKey
		}
		if !ETagMatches(ifMatch, cur.ETag) {
			return s3err.PreconditionFailed.With("Condition", "If-Match")
		}
	}
	return nil
}

// ETagMatches reports whether an If-Match / If-None-Match header value (a
// comma-separated list of quoted or bare ETags, or "*") names etag.
func ETagMatches(header, etag string) bool {
	for _, v := range strings.Split(header, ",") {
		v = strings.TrimSpace(v)
		v = strings.TrimPrefix(v, "W/")
		if v == "*" || strings.Trim(v, `"`) == etag {
			return true
		}
	}
	return false
}

// writeBody reads the body into inline bytes (small objects) or a synced
// blob (large ones), encrypting it when SSE is on, and returns the extents,
// the byte count and the blob id (empty when inline).
func (s *Store) writeBody(ctx context.Context, body io.Reader, size int64) ([]catalog.Extent, int64, string, error) {
	if body == nil {
		body = bytes.NewReader(nil)
	}
	limit := s.opt.InlineMax
	if size >= 0 && size <= limit {
		buf := make([]byte, size)
		if _, err := io.ReadFull(body, buf); err != nil {
			return nil, 0, "", bodyErr(err)
		}
		// The body must end exactly here (a trailer or a hash check may still be pending).
		if err := expectEOF(body); err != nil {
			return nil, 0, "", err
		}
		ext, err := s.inlineExtents(buf)
		return ext, size, "", err
	}
	var head []byte
	if size < 0 {
		// Unknown length: keep it inline if it turns out small.
		var b bytes.Buffer
		n, err := io.Copy(&b, io.LimitReader(body, limit+1))
		if err != nil {
			return nil, 0, "", bodyErr(err)
		}
		if n <= limit {
			ext, err := s.inlineExtents(b.Bytes())
			return ext, n, "", err
		}
		head = b.Bytes()
	}
	w, err := s.blobs.Create(ctx)
	if err != nil {
		return nil, 0, "", s3err.InternalError.Wrap(err)
	}
	var enc cipher.Stream
	var sealed []byte
	if s.encryptNew() {
		var key []byte
		if key, sealed, err = s.opt.SSE.NewDataKey(); err == nil {
			enc, err = sse.Stream(key, 0)
		}
		if err != nil {
			_ = w.Abort()
			return nil, 0, "", s3err.InternalError.Wrap(err)
		}
	}
	n, err := copyBody(w, enc, head, body, MaxPutSize)
	if err != nil {
		_ = w.Abort()
		return nil, 0, "", err
	}
	id, err := w.Commit()
	if err != nil {
		return nil, 0, "", s3err.InternalError.Wrap(err)
	}
	return []catalog.Extent{{BlobID: id, Offset: 0, Length: n, IV: sealed}}, n, id, nil
}

// inlineExtents wraps bytes kept in the record, encrypting them in place
// when SSE is on.
func (s *Store) inlineExtents(b []byte) ([]catalog.Extent, error) {
	if len(b) == 0 {
		return nil, nil
	}
	e := catalog.Extent{Inline: b, Length: int64(len(b))}
	if s.encryptNew() {
		key, sealed, err := s.opt.SSE.NewDataKey()
		if err != nil {
			return nil, s3err.InternalError.Wrap(err)
		}
		st, err := sse.Stream(key, 0)
		if err != nil {
			return nil, s3err.InternalError.Wrap(err)
		}
		st.XORKeyStream(b, b)
		e.IV = sealed
	}
	return []catalog.Extent{e}, nil
}

// copyBody writes head and then the rest of r to w, encrypted with enc
// when it is not nil, and returns the byte count. More than max bytes is
// EntityTooLarge. Body read errors keep their S3 meaning; write errors are
// internal.
//
// It fills whole chunks before writing (and encrypts them in place), so a
// large body reaches the blob store as a few aligned 256 KiB writes, not
// as the transport's small reads.
func copyBody(w io.Writer, enc cipher.Stream, head []byte, r io.Reader, max int64) (int64, error) {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	var n int64
	for {
		fill := 0
		if len(head) > 0 {
			fill = copy(buf, head)
			head = head[fill:]
		}
		var rerr error
		for fill < len(buf) && rerr == nil {
			var m int
			m, rerr = r.Read(buf[fill:])
			fill += m
		}
		n += int64(fill)
		if n > max {
			return n, s3err.EntityTooLarge
		}
		if fill > 0 {
			if enc != nil {
				enc.XORKeyStream(buf[:fill], buf[:fill])
			}
			if _, err := w.Write(buf[:fill]); err != nil {
				return n, s3err.InternalError.Wrap(err)
			}
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, bodyErr(rerr)
		}
	}
}

func expectEOF(r io.Reader) error {
	var one [1]byte
	for {
		n, err := r.Read(one[:])
		if n > 0 {
			return s3err.IncompleteBody.Msg("The request body is longer than the declared length.")
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return bodyErr(err)
		}
	}
}

// bodyErr keeps S3 errors raised while reading the body (signature or hash
// mismatch) and maps transport failures to IncompleteBody.
func bodyErr(err error) error {
	var e *s3err.Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return s3err.IncompleteBody.Wrap(err)
	}
	return s3err.IncompleteBody.Wrap(fmt.Errorf("reading request body: %w", err))
}

// Head returns an object's record: NoSuchKey, or NoSuchBucket when the
// bucket itself is missing.
func (s *Store) Head(ctx context.Context, bucket, key string) (*catalog.Object, error) {
	obj, err := s.cat.GetObject(ctx, bucket, key)
	if errors.Is(err, catalog.ErrNotFound) {
		if _, berr := s.Bucket(ctx, bucket); berr != nil {
			return nil, berr
		}
		return nil, s3err.NoSuchKey.With("Key", key)
	}
	return obj, wrap(err)
}

// DeleteConditions are the directory-bucket preconditions of a delete. An
// absent object satisfies them all (S3 answers 204), except that nothing is
// deleted.
type DeleteConditions struct {
	IfMatch        string     // ETag list or "*"
	IfMatchSize    *int64     // x-amz-if-match-size
	IfMatchLastMod *time.Time // x-amz-if-match-last-modified-time (second precision)
}

// Delete removes a key. A missing key is not an error (S3 answers 204).
func (s *Store) Delete(ctx context.Context, bucket, key string, cond DeleteConditions) error {
	err := s.cat.UpdateObject(ctx, bucket, key, func(cur *catalog.Object) (*catalog.Object, error) {
		if cur == nil {
			return nil, errNothing
		}
		if cond.IfMatch != "" && !ETagMatches(cond.IfMatch, cur.ETag) {
			return nil, s3err.PreconditionFailed.With("Condition", "If-Match")
		}
		if cond.IfMatchSize != nil && *cond.IfMatchSize != cur.Size {
			return nil, s3err.PreconditionFailed.With("Condition", "x-amz-if-match-size")
		}
		if cond.IfMatchLastMod != nil && !cur.LastModified.Truncate(time.Second).Equal(cond.IfMatchLastMod.Truncate(time.Second)) {
			return nil, s3err.PreconditionFailed.With("Condition", "x-amz-if-match-last-modified-time")
		}
		return nil, nil
	})
	switch {
	case errors.Is(err, errNothing):
		return nil
	case errors.Is(err, catalog.ErrNotFound):
		return s3err.NoSuchBucket.With("BucketName", bucket)
	}
	return wrap(err)
}

// errNothing aborts an update that would change nothing.
var errNothing = errors.New("store: nothing to do")
