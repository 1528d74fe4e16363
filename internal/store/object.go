package store

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/checksum"
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
	// Checksum is the checksum the client declared (nil: none). It is
	// verified once the body was read, its value taken from Trailers()
	// when it is a trailer, and stored with the object.
	Checksum *checksum.Expect
	Trailers func() checksum.Header
	// Conditions checked against the current record under the key's lock.
	IfMatch     string // ETag or "*"
	IfNoneMatch string // only "*" is meaningful for writes
	// BucketRecord is the bucket's record when the caller has it (the S3
	// API looked it up to authorize the request): it saves a lookup to
	// decide the bucket's encryption. Nil: looked up when needed.
	BucketRecord *catalog.Bucket
}

// Put stores an object durably and returns its new record.
func (s *Store) Put(ctx context.Context, in *PutInput) (*catalog.Object, error) {
	enc, err := s.encryptsFor(ctx, in.Bucket, in.BucketRecord)
	if err != nil {
		return nil, err
	}
	st, err := s.stage(ctx, body{r: in.Body, size: in.Size, max: MaxPutSize, declared: in.Checksum, trailers: in.Trailers, encrypt: enc})
	if err != nil {
		return nil, err
	}
	published := false
	defer func() {
		if !published {
			s.unstage(ctx, st)
		}
	}()
	var sums map[string]string
	var sumType string
	if st.sum != "" {
		sums, sumType = map[string]string{string(st.alg): st.sum}, string(checksum.TypeFullObject)
	}
	obj := &catalog.Object{
		Key:          in.Key,
		Size:         st.size,
		ETag:         NewETag(),
		LastModified: s.opt.Now().UTC(),
		ContentType:  in.ContentType,
		Headers:      in.Headers,
		Meta:         in.Meta,
		Checksums:    sums,
		ChecksumType: sumType,
		Parts:        1,
		Extents:      st.extents,
		SSE:          s.sseOf(st.extents, enc),
	}
	err = s.cat.UpdateObject(ctx, in.Bucket, in.Key, func(cur *catalog.Object) (*catalog.Object, error) {
		if err := checkWrite(cur, in.IfMatch, in.IfNoneMatch); err != nil {
			return nil, err
		}
		return obj, nil
	})
	if errors.Is(err, catalog.ErrNotFound) {
		return nil, noSuchBucket(in.Bucket)
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
		return precondition(IfNoneMatch)
	}
	if ifMatch != "" {
		if cur == nil {
			return kindErr(NoSuchKey)
		}
		if !ETagMatches(ifMatch, cur.ETag) {
			return precondition(IfMatch)
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

// Head returns an object's record: NoSuchKey, or NoSuchBucket when the
// bucket itself is missing.
func (s *Store) Head(ctx context.Context, bucket, key string) (*catalog.Object, error) {
	obj, err := s.cat.GetObject(ctx, bucket, key)
	if errors.Is(err, catalog.ErrNotFound) {
		if _, berr := s.Bucket(ctx, bucket); berr != nil {
			return nil, berr
		}
		return nil, &Error{Kind: NoSuchKey, Key: key}
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
			return nil, precondition(IfMatch)
		}
		if cond.IfMatchSize != nil && *cond.IfMatchSize != cur.Size {
			return nil, precondition(IfMatchSize)
		}
		if cond.IfMatchLastMod != nil && !cur.LastModified.Truncate(time.Second).Equal(cond.IfMatchLastMod.Truncate(time.Second)) {
			return nil, precondition(IfMatchLastModified)
		}
		return nil, nil
	})
	switch {
	case errors.Is(err, errNothing):
		return nil
	case errors.Is(err, catalog.ErrNotFound):
		return noSuchBucket(bucket)
	}
	return wrap(err)
}

// errNothing aborts an update that would change nothing.
var errNothing = errors.New("store: nothing to do")
