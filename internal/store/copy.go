package store

import (
	"context"
	"errors"
	"io"
	"maps"
	"time"

	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/checksum"
)

// MaxCopySize is the largest source CopyObject accepts (larger objects are
// copied with UploadPartCopy).
const MaxCopySize = 5 << 30

// SourceConditions are the x-amz-copy-source-if-* headers of a copy (and
// the x-amz-rename-source-if-* headers of a rename).
type SourceConditions struct {
	IfMatch, IfNoneMatch               string
	IfModifiedSince, IfUnmodifiedSince *time.Time
}

// check applies S3's rules: a matching If-Match wins over a failing
// If-Unmodified-Since, and a failing If-None-Match over a passing
// If-Modified-Since. A failure names the condition, marked as the
// source's, and the operation.
func (c SourceConditions) check(obj *catalog.Object, op Op) error {
	fail := func(cond Cond) error {
		return &Error{Kind: PreconditionFailed, Op: op, Cond: cond, Source: true}
	}
	mod := obj.LastModified.Truncate(time.Second)
	if c.IfMatch != "" {
		if !ETagMatches(c.IfMatch, obj.ETag) {
			return fail(IfMatch)
		}
	} else if c.IfUnmodifiedSince != nil && mod.After(*c.IfUnmodifiedSince) {
		return fail(IfUnmodifiedSince)
	}
	if c.IfNoneMatch != "" {
		if ETagMatches(c.IfNoneMatch, obj.ETag) {
			return fail(IfNoneMatch)
		}
	} else if c.IfModifiedSince != nil && !mod.After(*c.IfModifiedSince) {
		return fail(IfModifiedSince)
	}
	return nil
}

// CopyInput describes one CopyObject.
type CopyInput struct {
	SrcBucket, SrcKey string
	DstBucket, DstKey string
	Source            SourceConditions
	// ReplaceMetadata is x-amz-metadata-directive: REPLACE; the new
	// metadata comes from ContentType, Headers and Meta.
	ReplaceMetadata bool
	ContentType     string
	Headers, Meta   map[string]string
	// Algorithm is x-amz-checksum-algorithm: the checksum the copy should
	// carry ("" keeps the source's).
	Algorithm checksum.Algorithm
	// Destination conditions.
	IfMatch, IfNoneMatch string
}

// Copy copies an object. Blobs are shared by reference, so the copy costs
// one catalog commit whatever the size, unless a different checksum
// algorithm must be computed over the data.
func (s *Store) Copy(ctx context.Context, in *CopyInput) (*catalog.Object, error) {
	same := in.SrcBucket == in.DstBucket && in.SrcKey == in.DstKey
	if same && !in.ReplaceMetadata && in.Algorithm == "" {
		return nil, &Error{Kind: InvalidRequest, Op: OpCopy, Msg: "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes."}
	}
	// A new checksum algorithm needs the data read once, outside the
	// commit; the commit then insists the source is still that version.
	var recomputed map[string]string
	var readETag string
	src, err := s.Head(ctx, in.SrcBucket, in.SrcKey)
	if err != nil {
		return nil, err
	}
	if in.Algorithm != "" && src.Checksums[string(in.Algorithm)] == "" {
		if src.Size > MaxCopySize {
			return nil, copyTooLarge()
		}
		sum, err := s.checksumOf(ctx, src, 0, src.Size, in.Algorithm)
		if err != nil {
			return nil, err
		}
		recomputed = map[string]string{string(in.Algorithm): sum}
		readETag = src.ETag
	}
	var out *catalog.Object
	build := func(src, dst *catalog.Object) (*catalog.Object, error) {
		if src == nil {
			return nil, &Error{Kind: NoSuchKey, Op: OpCopy, Key: in.SrcKey}
		}
		if readETag != "" && src.ETag != readETag {
			return nil, &Error{Kind: Conflict, Op: OpCopy}
		}
		if err := in.Source.check(src, OpCopy); err != nil {
			return nil, err
		}
		if src.Size > MaxCopySize {
			return nil, copyTooLarge()
		}
		if err := checkWrite(dst, in.IfMatch, in.IfNoneMatch); err != nil {
			return nil, err
		}
		o := *src
		o.Key = in.DstKey
		o.ETag = NewETag()
		o.LastModified = s.opt.Now().UTC()
		o.RenameToken, o.RenameSource = "", ""
		// A copy is a new single-part object: the append part count starts over.
		o.Parts, o.PartList = 1, nil
		o.Extents = append([]catalog.Extent(nil), src.Extents...)
		o.Checksums, o.ChecksumType = copyChecksums(src, in.Algorithm, recomputed)
		if in.ReplaceMetadata {
			o.ContentType, o.Headers, o.Meta = in.ContentType, in.Headers, in.Meta
		} else {
			o.Headers, o.Meta = maps.Clone(src.Headers), maps.Clone(src.Meta)
		}
		out = &o
		return &o, nil
	}
	if same {
		err = s.cat.UpdateObject(ctx, in.DstBucket, in.DstKey, func(cur *catalog.Object) (*catalog.Object, error) {
			return build(cur, cur)
		})
	} else {
		refs := []catalog.ObjectRef{{Bucket: in.SrcBucket, Key: in.SrcKey}, {Bucket: in.DstBucket, Key: in.DstKey}}
		err = s.cat.UpdateObjects(ctx, refs, func(cur []*catalog.Object) ([]*catalog.Object, error) {
			o, err := build(cur[0], cur[1])
			if err != nil {
				return nil, err
			}
			return []*catalog.Object{cur[0], o}, nil
		})
	}
	if errors.Is(err, catalog.ErrNotFound) {
		if _, berr := s.Bucket(ctx, in.DstBucket); berr != nil {
			return nil, berr
		}
		return nil, noSuchBucket(in.SrcBucket)
	}
	if err != nil {
		return nil, wrap(err)
	}
	return out, nil
}

func copyTooLarge() error {
	return &Error{Kind: TooLarge, Op: OpCopy, Source: true, Want: MaxCopySize}
}

// copyChecksums decides the checksum a copy carries: the requested
// algorithm (recomputed when the source lacks it), else the source's
// full-object checksum. A composite CRC becomes a full-object CRC (the copy
// has one part); a composite SHA cannot, and is dropped.
func copyChecksums(src *catalog.Object, alg checksum.Algorithm, recomputed map[string]string) (map[string]string, string) {
	if recomputed != nil {
		return recomputed, string(checksum.TypeFullObject)
	}
	var out map[string]string
	for name, v := range src.Checksums {
		a, ok := checksum.Parse(name)
		if !ok || (alg != "" && a != alg) {
			continue
		}
		if src.ChecksumType == string(checksum.TypeComposite) {
			if !a.IsCRC() || len(src.PartList) == 0 {
				continue
			}
			parts := make([]checksum.Part, 0, len(src.PartList))
			for _, p := range src.PartList {
				raw, ok := a.Decode(p.Checksum)
				if !ok {
					return nil, ""
				}
				parts = append(parts, checksum.Part{Sum: raw, Size: p.Size})
			}
			v = a.Encode(checksum.FullObject(a, parts))
		}
		if out == nil {
			out = map[string]string{}
		}
		out[name] = v
	}
	if out == nil {
		return nil, ""
	}
	return out, string(checksum.TypeFullObject)
}

// checksumOf reads n bytes of an object from off once to compute a
// checksum of them: what a copy that changes the algorithm, or a part
// copied into an upload with one, stores.
func (s *Store) checksumOf(ctx context.Context, obj *catalog.Object, off, n int64, alg checksum.Algorithm) (string, error) {
	r, err := s.Open(ctx, obj, off, n)
	if err != nil {
		return "", err
	}
	defer r.Close()
	h := checksum.NewHasher(alg)
	if _, err := io.Copy(h, r); err != nil {
		return "", internal(err)
	}
	return h.Sum(alg), nil
}

// PartCopyInput describes one UploadPartCopy.
type PartCopyInput struct {
	SrcBucket, SrcKey     string
	Source                SourceConditions
	Bucket, Key, UploadID string
	Number                int
	// Range is x-amz-copy-source-range; nil copies the whole source.
	RangeStart, RangeEnd *int64
	// Algorithm is the upload's checksum algorithm ("" when none): the
	// part's checksum is computed from the copied bytes.
	Algorithm string
}

// PartCopy makes a part from a byte range of an existing object, sharing
// its blobs instead of copying bytes (the range's data is read once only
// when the upload needs a checksum).
func (s *Store) PartCopy(ctx context.Context, in *PartCopyInput) (*catalog.Part, error) {
	if in.Number < 1 || in.Number > MaxParts {
		return nil, invalidArgument(msgPartNumber)
	}
	if _, err := s.Upload(ctx, in.Bucket, in.Key, in.UploadID); err != nil {
		return nil, err
	}
	src, err := s.Head(ctx, in.SrcBucket, in.SrcKey)
	if err != nil {
		return nil, err
	}
	if err := in.Source.check(src, OpPartCopy); err != nil {
		return nil, err
	}
	off, end := int64(0), src.Size-1
	if in.RangeStart != nil {
		off, end = *in.RangeStart, *in.RangeEnd
		if off < 0 || end < off || end >= src.Size {
			return nil, invalidArgument("Range specified is not valid for source object of size: " + itoa64(src.Size))
		}
	}
	n := end - off + 1
	if src.Size == 0 {
		n = 0
	}
	if n > MaxPartSize {
		return nil, kindErr(TooLarge)
	}
	p := catalog.Part{Number: in.Number, Size: n, ETag: NewETag(), LastModified: s.opt.Now().UTC(), Extents: sliceExtents(src.Extents, off, n)}
	if alg, ok := checksum.Parse(in.Algorithm); ok {
		sum, err := s.checksumOf(ctx, src, off, n, alg)
		if err != nil {
			return nil, err
		}
		p.Checksum = PartChecksum(alg, sum)
	}
	err = s.cat.PutPart(ctx, in.Bucket, in.Key, in.UploadID, p)
	if errors.Is(err, catalog.ErrNotFound) {
		return nil, noSuchUpload(in.UploadID)
	}
	if err != nil {
		return nil, wrap(err)
	}
	return &p, nil
}

// sliceExtents returns the extents covering n bytes from off: blob extents
// become narrower references to the same blobs, inline bytes are copied.
func sliceExtents(exts []catalog.Extent, off, n int64) []catalog.Extent {
	var out []catalog.Extent
	pos := int64(0)
	for _, e := range exts {
		sz := e.Size()
		lo, hi := max(off, pos), min(off+n, pos+sz)
		if lo < hi {
			part := e
			// For inline extents Offset is only the position in the
			// encryption keystream; for blob extents also the position in
			// the blob.
			part.Offset = e.Offset + (lo - pos)
			if e.BlobID == "" {
				part.Inline = append([]byte(nil), e.Inline[lo-pos:hi-pos]...)
			}
			part.Length = hi - lo
			out = append(out, part)
		}
		pos += sz
	}
	return out
}
