package store

import (
	"context"
	"errors"
	"io"

	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/checksum"
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
	// Checksum is the checksum the client declared for this append (nil:
	// none), verified as PutInput's.
	Checksum *checksum.Expect
	Trailers func() checksum.Header
	IfMatch  string
	// BucketRecord: as PutInput's.
	BucketRecord *catalog.Bucket
}

// Append adds data at the end of an object (creating it at offset 0). The
// offset must equal the current size, so of two appenders at the same
// offset exactly one wins; the other gets InvalidWriteOffset. A CRC
// full-object checksum is kept current by combining CRCs, without
// rereading the object.
func (s *Store) Append(ctx context.Context, in *AppendInput) (*catalog.Object, error) {
	if in.Size == 0 {
		return nil, invalidArgument(msgEmptyAppend)
	}
	if in.Offset < 0 {
		return nil, &Error{Kind: InvalidArgument, Arg: ArgWriteOffset}
	}
	// The object's checksum algorithm decides what to compute while the
	// body streams in; the commit re-checks that the object is unchanged.
	cur, err := s.Head(ctx, in.Bucket, in.Key)
	if err != nil && !IsKind(err, NoSuchKey) {
		return nil, err
	}
	if cur == nil && in.Offset != 0 {
		return nil, kindErr(InvalidWriteOffset)
	}
	if cur != nil {
		if in.Offset != cur.Size {
			return nil, kindErr(InvalidWriteOffset)
		}
		if len(in.Meta) > 0 {
			return nil, invalidRequest("Cannot specify both a write offset value and user-defined object metadata for existing objects.")
		}
	}
	// The object's checksum algorithm decides what the appended data keeps;
	// a declared checksum must be in it.
	keep := objectAlgorithm(cur)
	if d := in.Checksum; d != nil && cur != nil && keep != "" && d.Algorithm != keep {
		return nil, invalidRequest("Checksum Type mismatch occurred, expected checksum Type: " + lower(keep) + ", actual checksum Type: " + lower(d.Algorithm) + ".")
	}
	enc, err := s.encryptsFor(ctx, in.Bucket, in.BucketRecord)
	if err != nil {
		return nil, err
	}
	st, err := s.stage(ctx, body{r: in.Body, size: in.Size, max: MaxPutSize, declared: in.Checksum, trailers: in.Trailers, keep: keep, encrypt: enc})
	if err != nil {
		return nil, err
	}
	published := false
	defer func() {
		if !published {
			s.unstage(ctx, st)
		}
	}()
	if st.size == 0 {
		return nil, invalidArgument(msgEmptyAppend)
	}
	alg, size, extents, partSum := st.alg, st.size, st.extents, st.sum
	var out *catalog.Object
	err = s.cat.UpdateObject(ctx, in.Bucket, in.Key, func(now *catalog.Object) (*catalog.Object, error) {
		if in.IfMatch != "" {
			if now == nil {
				return nil, &Error{Kind: NoSuchKey, Key: in.Key}
			}
			if !ETagMatches(in.IfMatch, now.ETag) {
				return nil, precondition(IfMatch)
			}
		}
		if now == nil {
			if in.Offset != 0 {
				return nil, kindErr(InvalidWriteOffset)
			}
			o := &catalog.Object{
				Key: in.Key, Size: size, ETag: NewETag(), LastModified: s.opt.Now().UTC(),
				ContentType: in.ContentType, Headers: in.Headers, Meta: in.Meta,
				Parts: 1, PartList: []catalog.ObjectPart{{Size: size, Checksum: partSum}}, Extents: extents,
				SSE: s.sseOf(extents, enc),
			}
			if partSum != "" {
				o.Checksums = map[string]string{string(alg): partSum}
				o.ChecksumType = string(checksum.TypeFullObject)
			}
			out = o
			return o, nil
		}
		if in.Offset != now.Size {
			return nil, kindErr(InvalidWriteOffset)
		}
		if objectAlgorithm(now) != objectAlgorithm(cur) {
			// The object was replaced with one of another checksum type
			// while this body streamed in.
			return nil, kindErr(Conflict)
		}
		if now.Parts+1 > MaxParts {
			return nil, kindErr(TooManyParts)
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
		o.SSE = s.sseOf(o.Extents, enc)
		out = &o
		return &o, nil
	})
	if errors.Is(err, catalog.ErrNotFound) {
		return nil, noSuchBucket(in.Bucket)
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

// msgEmptyAppend is the complaint about an append without data.
const msgEmptyAppend = "Request body cannot be empty when 'write offset' is specified."

func lower(a checksum.Algorithm) string {
	b := []byte(a)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
