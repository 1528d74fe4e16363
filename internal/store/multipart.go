package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/checksum"
)

// Multipart limits for directory buckets.
const (
	MaxParts    = 10000
	MinPartSize = 5 << 20 // every part but the last
	MaxPartSize = 5 << 30
)

// newUploadID returns an opaque, unguessable upload id.
func newUploadID() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// CreateUpload starts a multipart upload and returns it with its id.
func (s *Store) CreateUpload(ctx context.Context, u catalog.Upload) (*catalog.Upload, error) {
	u.ID = newUploadID()
	u.Initiated = s.opt.Now().UTC()
	err := s.cat.CreateUpload(ctx, u)
	if errors.Is(err, catalog.ErrNotFound) {
		return nil, noSuchBucket(u.Bucket)
	}
	if err != nil {
		return nil, wrap(err)
	}
	return &u, nil
}

// Upload returns an upload or NoSuchUpload.
func (s *Store) Upload(ctx context.Context, bucket, key, id string) (*catalog.Upload, error) {
	u, err := s.cat.GetUpload(ctx, bucket, key, id)
	if errors.Is(err, catalog.ErrNotFound) {
		return nil, noSuchUpload(id)
	}
	return u, wrap(err)
}

// PartInput describes one UploadPart.
type PartInput struct {
	Bucket, Key, UploadID string
	Number                int
	Body                  io.Reader
	Size                  int64
	// Checksum is the checksum the client declared (nil: none), verified
	// as PutInput's. The part keeps a checksum in the upload's algorithm,
	// else in the declared one.
	Checksum *checksum.Expect
	Trailers func() checksum.Header
}

// msgPartNumber is the complaint about a part number out of range.
const msgPartNumber = "Part number must be an integer between 1 and 10000, inclusive"

// PutPart stores one part durably.
func (s *Store) PutPart(ctx context.Context, in *PartInput) (*catalog.Part, error) {
	if in.Number < 1 || in.Number > MaxParts {
		return nil, invalidArgument(msgPartNumber)
	}
	u, err := s.Upload(ctx, in.Bucket, in.Key, in.UploadID)
	if err != nil {
		return nil, err
	}
	// The part's checksum is kept in the upload's algorithm; a part may
	// declare it or, when the upload has none, another (verified either way).
	keep, _ := checksum.Parse(u.ChecksumAlgorithm)
	if d := in.Checksum; d != nil && keep != "" && d.Algorithm != keep {
		return nil, invalidRequest("Checksum Type mismatch occurred, expected checksum Type: " + lower(keep) + ", actual checksum Type: " + lower(d.Algorithm))
	}
	if in.Size > MaxPartSize {
		return nil, kindErr(TooLarge)
	}
	// Parts are encrypted as the upload said at its start (its SSE), so
	// every part of one upload is alike.
	enc := u.SSE != "" && s.opt.SSE != nil
	st, err := s.stage(ctx, body{r: in.Body, size: in.Size, max: MaxPartSize, declared: in.Checksum, trailers: in.Trailers, keep: keep, encrypt: enc})
	if err != nil {
		return nil, err
	}
	published := false
	defer func() {
		if !published {
			s.unstage(ctx, st)
		}
	}()
	p := catalog.Part{Number: in.Number, Size: st.size, ETag: NewETag(), LastModified: s.opt.Now().UTC(), Extents: st.extents}
	// With no algorithm declared at creation (the SDKs' default) the part
	// keeps its own checksum, so the completed object can still carry a
	// whole-object CRC.
	p.Checksum = PartChecksum(st.alg, st.sum)
	err = s.cat.PutPart(ctx, in.Bucket, in.Key, in.UploadID, p)
	if errors.Is(err, catalog.ErrNotFound) {
		return nil, noSuchUpload(in.UploadID)
	}
	if err != nil {
		return nil, wrap(err)
	}
	published = true
	return &p, nil
}

// ListParts pages an upload's parts.
func (s *Store) ListParts(ctx context.Context, bucket, key, id string, after, limit int) ([]catalog.Part, bool, error) {
	if _, err := s.Upload(ctx, bucket, key, id); err != nil {
		return nil, false, err
	}
	parts, more, err := s.cat.ListParts(ctx, bucket, key, id, after, limit)
	return parts, more, wrap(err)
}

// ListUploads pages a bucket's uploads.
func (s *Store) ListUploads(ctx context.Context, q catalog.ListQuery) (catalog.UploadPage, error) {
	if _, err := s.Bucket(ctx, q.Bucket); err != nil {
		return catalog.UploadPage{}, err
	}
	p, err := s.cat.ListUploads(ctx, q)
	return p, wrap(err)
}

// PartChecksum is how a part's checksum is kept: the algorithm with the
// value, so an upload created without an algorithm (what the SDKs do) can
// still get a whole-object checksum from its parts.
func PartChecksum(alg checksum.Algorithm, value string) string {
	if alg == "" || value == "" {
		return ""
	}
	return string(alg) + ":" + value
}

// SplitPartChecksum undoes PartChecksum.
func SplitPartChecksum(v string) (checksum.Algorithm, string) {
	a, val, ok := strings.Cut(v, ":")
	if !ok {
		return "", ""
	}
	return checksum.Algorithm(a), val
}

// CompletedPart is one entry of a CompleteMultipartUpload request.
type CompletedPart struct {
	Number   int
	ETag     string
	Checksum string // the client's value for the part, "" when not sent
}

// CompleteInput describes one CompleteMultipartUpload.
type CompleteInput struct {
	Bucket, Key, UploadID string
	Parts                 []CompletedPart
	// Declared is the whole-object checksum the client sent, if any.
	Declared *checksum.Declared
	// ObjectSize is x-amz-mp-object-size, when sent.
	ObjectSize  *int64
	IfMatch     string
	IfNoneMatch string
}

// CompleteUpload joins the parts into the object without copying bytes: the
// object's extents are the parts' extents.
func (s *Store) CompleteUpload(ctx context.Context, in *CompleteInput) (*catalog.Object, error) {
	if len(in.Parts) == 0 {
		return nil, malformed("The XML you provided was not well-formed or did not validate against our published schema: it lists no parts.")
	}
	if len(in.Parts) > MaxParts {
		return nil, invalidArgument(msgPartNumber)
	}
	for i, p := range in.Parts {
		if i > 0 && p.Number <= in.Parts[i-1].Number {
			return nil, kindErr(InvalidPartOrder)
		}
		// Directory buckets require part numbers 1, 2, 3, ... at completion.
		if p.Number != i+1 {
			return nil, &Error{Kind: InvalidPartOrder, Msg: "Directory buckets require part numbers to start at 1 and be consecutive."}
		}
	}
	var obj *catalog.Object
	err := s.cat.CompleteUpload(ctx, in.Bucket, in.Key, in.UploadID, func(u *catalog.Upload, parts []catalog.Part, cur *catalog.Object) (*catalog.Object, error) {
		o, err := s.assemble(u, parts, in)
		if err != nil {
			return nil, err
		}
		if err := checkWrite(cur, in.IfMatch, in.IfNoneMatch); err != nil {
			return nil, err
		}
		obj = o
		return o, nil
	})
	if errors.Is(err, catalog.ErrNotFound) {
		if _, berr := s.Bucket(ctx, in.Bucket); berr != nil {
			return nil, berr
		}
		return nil, noSuchUpload(in.UploadID)
	}
	if err != nil {
		return nil, wrap(err)
	}
	return obj, nil
}

// assemble checks the requested parts against the stored ones and builds
// the object record.
func (s *Store) assemble(u *catalog.Upload, stored []catalog.Part, in *CompleteInput) (*catalog.Object, error) {
	byNum := make(map[int]*catalog.Part, len(stored))
	for i := range stored {
		byNum[stored[i].Number] = &stored[i]
	}
	alg, _ := checksum.Parse(u.ChecksumAlgorithm)
	if alg == "" && len(in.Parts) > 0 {
		if p := byNum[in.Parts[0].Number]; p != nil {
			alg, _ = SplitPartChecksum(p.Checksum)
		}
	}
	obj := &catalog.Object{
		Key:          in.Key,
		ETag:         NewETag(),
		LastModified: s.opt.Now().UTC(),
		ContentType:  u.ContentType,
		Headers:      u.Headers,
		Meta:         u.Meta,
		Parts:        len(in.Parts),
		PartList:     make([]catalog.ObjectPart, 0, len(in.Parts)),
	}
	var sums [][]byte
	var crcParts []checksum.Part
	allSums := alg.Valid()
	for i, want := range in.Parts {
		p := byNum[want.Number]
		if p == nil || !ETagMatches(want.ETag, p.ETag) {
			return nil, &Error{Kind: InvalidPart, Part: want.Number}
		}
		if i < len(in.Parts)-1 && p.Size < MinPartSize {
			return nil, &Error{Kind: TooSmall, Part: p.Number, Size: p.Size, Want: MinPartSize}
		}
		palg, psum := SplitPartChecksum(p.Checksum)
		if want.Checksum != "" && psum != "" && want.Checksum != psum {
			return nil, &Error{Kind: PartChecksumMismatch, Part: p.Number}
		}
		obj.Size += p.Size
		obj.Extents = append(obj.Extents, p.Extents...)
		if palg != alg {
			psum = ""
		}
		obj.PartList = append(obj.PartList, catalog.ObjectPart{Size: p.Size, Checksum: psum})
		if psum == "" {
			allSums = false
			continue
		}
		raw, ok := alg.Decode(psum)
		if !ok {
			allSums = false
			continue
		}
		sums = append(sums, raw)
		crcParts = append(crcParts, checksum.Part{Sum: raw, Size: p.Size})
	}
	obj.SSE = s.sseOf(obj.Extents, u.SSE != "" && s.opt.SSE != nil)
	if in.ObjectSize != nil && *in.ObjectSize != obj.Size {
		return nil, &Error{Kind: ObjectSizeMismatch, Want: *in.ObjectSize, Size: obj.Size}
	}
	if alg.Valid() && allSums {
		typ := checksum.Type(u.ChecksumType)
		if typ == "" {
			typ = checksum.TypeComposite
			if alg.IsCRC() {
				// Directory buckets default to full-object CRCs, which the
				// SDKs can validate on GET.
				typ = checksum.TypeFullObject
			}
		}
		var value string
		if typ == checksum.TypeFullObject {
			value = alg.Encode(checksum.FullObject(alg, crcParts))
		} else {
			value = checksum.Composite(alg, sums)
		}
		if d := in.Declared; d != nil && d.Algorithm == alg && d.Value != "" {
			got := value
			if typ == checksum.TypeComposite {
				got, _, _ = checksum.SplitComposite(value)
			}
			want := d.Value
			if w, _, ok := checksum.SplitComposite(want); ok {
				want = w
			}
			if err := checksum.Match(alg, want, got); err != nil {
				return nil, err
			}
		}
		obj.Checksums = map[string]string{string(alg): value}
		obj.ChecksumType = string(typ)
	} else if u.ChecksumAlgorithm != "" && !allSums {
		return nil, invalidRequest("The upload was created with checksum algorithm " + string(alg) + ", but some parts carry no " + string(alg) + " checksum.")
	}
	return obj, nil
}

// AbortUpload removes an upload and its parts. initiated, when set, must
// equal the upload's initiation time (x-amz-if-match-initiated-time).
func (s *Store) AbortUpload(ctx context.Context, bucket, key, id string, initiated *time.Time) error {
	err := s.cat.AbortUpload(ctx, bucket, key, id, func(u *catalog.Upload) error {
		if initiated != nil && !u.Initiated.Truncate(time.Second).Equal(initiated.Truncate(time.Second)) {
			return precondition(IfMatchInitiated)
		}
		return nil
	})
	if errors.Is(err, catalog.ErrNotFound) {
		if _, berr := s.Bucket(ctx, bucket); berr != nil {
			return berr
		}
		return noSuchUpload(id)
	}
	return wrap(err)
}
