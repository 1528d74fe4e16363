package store

import (
	"context"
	"errors"
	"io"

	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/checksum"
	"github.com/zonal-dev/zonal/internal/s3err"
)

// AppendInput describes a PutObject with x-amz-write-offset-bytes.
type AppendInput struct {
	Bucket, Key string
	Offset      int64
	Body        io.Reader
	Size        int64 // -1 when unknown
	ContentType string
	Headers     map[string]string
	Meta        map[string]string
	// Declared is the checksum the client declared for this append (nil
	// when none).
	Declared *checksum.Expect
	// Verify checks the declared checksum against the hasher that read the
	// body; nil when nothing was declared.
	Verify  func(h *checksum.Hasher) error
	IfMatch string
}

// Append adds data at the end of an object (creating it at offset 0). The
// offset must equal the current size, so of two appenders at the same
// offset exactly one wins; the other gets InvalidWriteOffset. A CRC
// full-object checksum is kept current by combining CRCs, without
// rereading the object.
func (s *Store) Append(ctx context.Context, in *AppendInput) (*catalog.Object, error) {
	if in.Size == 0 {
		return nil, s3err.InvalidArgument.Msg("Request body cannot be empty when 'write offset' is specified.")
	}
	if in.Offset < 0 {
		return nil, s3err.InvalidArgument.Msg("x-amz-write-offset-bytes must be a non-negative integer.")
	}
	// The object's checksum algorithm decides what to compute while the
	// body streams in; the commit re-checks that the object is unchanged.
	cur, err := s.Head(ctx, in.Bucket, in.Key)
	if err != nil && !errors.Is(err, s3err.NoSuchKey) {
		return nil, err
	}
	if cur == nil && in.Offset != 0 {
		return nil, s3err.InvalidWriteOffset
	}
	if cur != nil {
		if in.Offset != cur.Size {
			return nil, s3err.InvalidWriteOffset
		}
		if len(in.Meta) > 0 {
			return nil, s3err.InvalidRequest.Msg("Cannot specify both a write offset value and user-defined object metadata for existing objects.")
		}
	}
	alg := objectAlgorithm(cur)
	if in.Declared != nil {
		if cur != nil && alg != "" && in.Declared.Algorithm != alg {
			return nil, s3err.InvalidRequest.Msg("Checksum Type mismatch occurred, expected checksum Type: %s, actual checksum Type: %s.", lower(alg), lower(in.Declared.Algorithm))
		}
		alg = in.Declared.Algorithm
	}
	var hasher *checksum.Hasher
	body := in.Body
	if alg != "" {
		hasher = checksum.NewHasher(alg)
		body = io.TeeReader(in.Body, hasher)
	}
	extents, size, blobID, err := s.writeBody(ctx, body, in.Size)
	if err != nil {
		return nil, err
	}
	published := false
	defer func() {
		if !published && blobID != "" {
			_ = s.blobs.Delete(context.WithoutCancel(ctx), blobID)
		}
	}()
	if in.Size >= 0 && size != in.Size {
		return nil, s3err.IncompleteBody
	}
	if size == 0 {
		return nil, s3err.InvalidArgument.Msg("Request body cannot be empty when 'write offset' is specified.")
	}
	if size > MaxPutSize {
		return nil, s3err.EntityTooLarge
	}
	if in.Verify != nil {
		if err := in.Verify(hasher); err != nil {
			return nil, err
		}
	}
	partSum := ""
	if hasher != nil {
		partSum = hasher.Sum(alg)
	}
	var out *catalog.Object
	err = s.cat.UpdateObject(ctx, in.Bucket, in.Key, func(now *catalog.Object) (*catalog.Object, error) {
		if in.IfMatch != "" {
			if now == nil {
				return nil, s3err.NoSuchKey.With("Key", in.Key)
			}
			if !ETagMatches(in.IfMatch, now.ETag) {
				return nil, s3err.PreconditionFailed.With("Condition", "If-Match")
			}
		}
		if now == nil {
			if in.Offset != 0 {
				return nil, s3err.InvalidWriteOffset
			}
			o := &catalog.Object{
				Key: in.Key, Size: size, ETag: NewETag(), LastModified: s.opt.Now().UTC(),
				ContentType: in.ContentType, Headers: in.Headers, Meta: in.Meta,
				Parts: 1, PartList: []catalog.ObjectPart{{Size: size, Checksum: partSum}}, Extents: extents,
				SSE: s.Encryption(),
			}
			if partSum != "" {
				o.Checksums = map[string]string{string(alg): partSum}
				o.ChecksumType = string(checksum.TypeFullObject)
			}
			out = o
			return o, nil
		}
		if in.Offset != now.Size {
			return nil, s3err.InvalidWriteOffset
		}
		if objectAlgorithm(now) != objectAlgorithm(cur) {
			// The object was replaced with one of another checksum type
			// while this body streamed in.
			return nil, s3err.ConditionalRequestConflict
		}
		if now.Parts+1 > MaxParts {
			return nil, s3err.TooManyParts
		}
		o := *now
		o.Size += size
		o.ETag = NewETag()
		o.LastModified = s.opt.Now().UTC()
		o.Extents = append(append([]catalog.Extent(nil), now.Extents...), extents...)
		o.PartList = append(partsOf(now), catalog.ObjectPart{Size: size, Checksum: partSum})
		o.Parts = len(o.PartList)
		o.RenameToken, o.RenameSource = "", ""
		o.Checksums, o.ChecksumType = appendChecksum(now, alg, partSum, size)
		out = &o
		return &o, nil
	})
	if errors.Is(err, catalog.ErrNotFound) {
		return nil, s3err.NoSuchBucket.With("BucketName", in.Bucket)
	}
	if err != nil {
		return nil, wrap(err)
	}
	published = true
	return out, nil
}

// partsOf returns an object's part list, describing a single-PUT object as
// one part.
func partsOf(o *catalog.Object) []catalog.ObjectPart {
	if len(o.PartList) > 0 {
		return append([]catalog.ObjectPart(nil), o.PartList...)
	}
	sum := ""
	for _, v := range o.Checksums {
		sum = v
	}
	return []catalog.ObjectPart{{Size: o.Size, Checksum: sum}}
}

// objectAlgorithm is the algorithm of an object's checksum, "" when none.
func objectAlgorithm(o *catalog.Object) checksum.Algorithm {
	if o == nil {
		return ""
	}
	for name := range o.Checksums {
		if a, ok := checksum.Parse(name); ok {
			return a
		}
	}
	return ""
}

// appendChecksum updates the whole-object checksum after an append: a CRC
// is combined with the appended part's CRC; SHA algorithms cannot be
// combined, so the object then carries a composite of its parts.
func appendChecksum(cur *catalog.Object, alg checksum.Algorithm, partSum string, size int64) (map[string]string, string) {
	if alg == "" || partSum == "" {
		return nil, ""
	}
	old := cur.Checksums[string(alg)]
	if alg.IsCRC() && cur.ChecksumType != string(checksum.TypeComposite) {
		a, ok1 := alg.Decode(old)
		b, ok2 := alg.Decode(partSum)
		if ok1 && ok2 {
			return map[string]string{string(alg): alg.Encode(checksum.CombineCRC(alg, a, b, size))}, string(checksum.TypeFullObject)
		}
		return nil, ""
	}
	var sums [][]byte
	for _, p := range append(partsOf(cur), catalog.ObjectPart{Size: size, Checksum: partSum}) {
		raw, ok := alg.Decode(p.Checksum)
		if !ok {
			return nil, ""
		}
		sums = append(sums, raw)
	}
	return map[string]string{string(alg): checksum.Composite(alg, sums)}, string(checksum.TypeComposite)
}

func lower(a checksum.Algorithm) string {
	b := []byte(a)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
