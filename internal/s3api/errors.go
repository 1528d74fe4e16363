package s3api

import (
	"errors"
	"strconv"

	"github.com/zonal-dev/zonal/internal/blob"
	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/checksum"
	"github.com/zonal-dev/zonal/internal/s3err"
	"github.com/zonal-dev/zonal/internal/store"
)

// s3Error is the one place where an error a handler returns becomes the S3
// error on the wire. The lower layers report kinds of their own (store,
// checksum); this picks AWS's code, status, message and extra elements for
// each kind. Errors no layer classified are InternalError, the original kept
// as the cause for the log.
func s3Error(err error) *s3err.Error {
	if e, ok := wireError(err); ok {
		return e
	}
	return internalError(err)
}

// internalError answers a failure no layer classified: InternalError, or
// 503 ServiceUnavailable when a shared catalog was out of reach (on any
// path: the session's bucket lookup, the identity store, the store),
// which every SDK retries, rather than a 500 that blames the request.
func internalError(err error) *s3err.Error {
	if errors.Is(err, catalog.ErrUnavailable) || errors.Is(err, blob.ErrUnavailable) {
		return s3err.ServiceUnavailable.Wrap(err)
	}
	return s3err.InternalError.Wrap(err)
}

// wireError maps the first classified error in err's chain (depth first,
// as errors.As walks it), and reports false when there is none.
func wireError(err error) (*s3err.Error, bool) {
	for err != nil {
		switch e := err.(type) {
		case *s3err.Error:
			return e, true
		case *store.Error:
			return storeError(e), true
		case *checksum.Error:
			return checksumError(e), true
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, inner := range u.Unwrap() {
				if e, ok := wireError(inner); ok {
					return e, true
				}
			}
			return nil, false
		default:
			return nil, false
		}
	}
	return nil, false
}

// checksumError answers a checksum error: its message is AWS's wording for
// the rule that failed; the kind picks the code.
func checksumError(e *checksum.Error) *s3err.Error {
	switch e.Kind {
	case checksum.Internal:
		return internalError(e)
	case checksum.Mismatch:
		return s3err.BadDigest.Msg("%s", e.Error())
	case checksum.MalformedTrailer:
		return s3err.MalformedTrailerError
	case checksum.Unimplemented:
		return s3err.NotImplemented.Msg("%s", e.Error())
	}
	return s3err.InvalidRequest.Msg("%s", e.Error())
}

// storeError answers a store error. Where AWS's wording names a header, it
// is composed here from the condition or argument the store reports.
func storeError(e *store.Error) *s3err.Error {
	switch e.Kind {
	case store.NoSuchBucket:
		return s3err.NoSuchBucket.With("BucketName", e.Bucket)
	case store.Unavailable:
		return s3err.ServiceUnavailable.Wrap(e)
	case store.NoSuchKey:
		if e.Key == "" {
			// A write's If-Match on a missing key: AWS names no key.
			return s3err.NoSuchKey
		}
		return s3err.NoSuchKey.With("Key", e.Key)
	case store.NoSuchUpload:
		return s3err.NoSuchUpload.With("UploadId", e.UploadID)
	case store.BucketExists:
		return s3err.BucketAlreadyExists.With("BucketName", e.Bucket)
	case store.BucketOwned:
		return s3err.BucketAlreadyOwnedByYou.With("BucketName", e.Bucket)
	case store.BucketNotEmpty:
		return s3err.BucketNotEmpty.With("BucketName", e.Bucket)
	case store.AccessPointsAttached:
		// AWS documents that access points must be deleted first, not the
		// code; 409 InvalidBucketState says the bucket's state is the
		// obstacle without suggesting it holds objects.
		return s3err.InvalidBucketState.Msg("The bucket has access points attached; delete them before the bucket.").With("BucketName", e.Bucket)
	case store.NoSuchAccessPoint:
		return s3err.NoSuchAccessPoint.With("AccessPointName", e.Msg)
	case store.AccessPointExists:
		// Only S3 Control creates access points; it answers in its own codes.
		return s3err.InvalidRequest.Msg("The access point already exists.")
	case store.PreconditionFailed:
		return s3err.PreconditionFailed.With("Condition", conditionName(e))
	case store.Conflict:
		return s3err.ConditionalRequestConflict
	case store.InvalidWriteOffset:
		return s3err.InvalidWriteOffset
	case store.TooLarge:
		if e.Source {
			// CopyObject answers an oversized source as a bad request, not
			// as EntityTooLarge.
			return s3err.InvalidRequest.Msg("The specified copy source is larger than the maximum allowable size for a copy source: %d", e.Want)
		}
		return s3err.EntityTooLarge
	case store.TooSmall:
		return s3err.EntityTooSmall.With("ProposedSize", strconv.FormatInt(e.Size, 10)).
			With("MinSizeAllowed", strconv.FormatInt(e.Want, 10)).With("PartNumber", strconv.Itoa(e.Part))
	case store.TooManyParts:
		return s3err.TooManyParts
	case store.InvalidPart:
		return s3err.InvalidPart.With("PartNumber", strconv.Itoa(e.Part))
	case store.PartChecksumMismatch:
		return s3err.InvalidPart.Msg("The checksum of part %d does not match the uploaded part's checksum.", e.Part)
	case store.InvalidPartOrder:
		return withMsg(s3err.InvalidPartOrder, e.Msg)
	case store.IncompleteBody:
		// A body reader's own error (a chunk signature, a timeout) is the
		// answer; a transport failure is IncompleteBody.
		if w, ok := wireError(e.Err); ok {
			return w
		}
		out := withMsg(s3err.IncompleteBody, e.Msg)
		if e.Err != nil {
			out = out.Wrap(e.Err)
		}
		return out
	case store.InvalidArgument:
		if e.Arg == store.ArgWriteOffset {
			return s3err.InvalidArgument.Msg("x-amz-write-offset-bytes must be a non-negative integer.")
		}
		return withMsg(s3err.InvalidArgument, e.Msg)
	case store.InvalidRequest:
		return withMsg(s3err.InvalidRequest, e.Msg)
	case store.Malformed:
		return withMsg(s3err.MalformedXML, e.Msg)
	case store.KeyTooLong:
		out := s3err.KeyTooLong.With("Key", e.Key)
		if e.Op == store.OpRename {
			// RenameObject's code is KeyTooLong (PutObject's is KeyTooLongError).
			out = out.Rename("KeyTooLong")
		}
		return out
	case store.IdempotencyMismatch:
		return s3err.IdempotencyParameterMismatch
	case store.InvalidTag:
		return withMsg(s3err.InvalidTag, e.Msg)
	case store.TooManyTags:
		return s3err.InvalidTag.Msg("Bucket tag count cannot be greater than 50.")
	case store.NoSuchConfiguration:
		return s3err.NoSuchConfiguration
	case store.TooManyConfigurations:
		return s3err.TooManyConfigurations
	case store.ObjectSizeMismatch:
		return s3err.InvalidRequest.Msg("The provided 'x-amz-mp-object-size' header value %d does not match what was computed: %d", e.Want, e.Size)
	}
	return internalError(e)
}

// withMsg is e with msg as its message, or e itself when msg is empty.
func withMsg(e *s3err.Error, msg string) *s3err.Error {
	if msg == "" {
		return e
	}
	return e.Msg("%s", msg)
}

// conditionName is the Condition element of a PreconditionFailed: the
// header that carried the failed condition. Copy-source conditions carry
// their header's prefix; RenameObject's source conditions, as AWS reports
// them, do not.
func conditionName(e *store.Error) string {
	var name string
	switch e.Cond {
	case store.IfMatch:
		name = "If-Match"
	case store.IfNoneMatch:
		name = "If-None-Match"
	case store.IfModifiedSince:
		name = "If-Modified-Since"
	case store.IfUnmodifiedSince:
		name = "If-Unmodified-Since"
	case store.IfMatchSize:
		name = "x-amz-if-match-size"
	case store.IfMatchLastModified:
		name = "x-amz-if-match-last-modified-time"
	case store.IfMatchInitiated:
		name = "x-amz-if-match-initiated-time"
	}
	if e.Source && e.Op != store.OpRename {
		name = "x-amz-copy-source-" + name
	}
	return name
}
