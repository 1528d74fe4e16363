package s3api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"testing"

	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/checksum"
	"github.com/zonal-dev/zonal/internal/s3err"
	"github.com/zonal-dev/zonal/internal/store"
)

// TestS3Error pins the wire answer of every store and checksum kind to what
// the store and checksum packages sent before they had kinds of their own
// (the s3err values they returned, written out here as literals).
func TestS3Error(t *testing.T) {
	const (
		msgPrecondition = "At least one of the pre-conditions you specified did not hold"
		msgNoSuchKey    = "The specified key does not exist."
		msgIncomplete   = "You did not provide the number of bytes specified by the Content-Length HTTP header."
	)
	cause := errors.New("disk on fire")
	unreachable := fmt.Errorf("%w: dial tcp 127.0.0.1:5432: connection refused", catalog.ErrUnavailable)
	tests := []struct {
		name    string
		err     error
		code    string
		status  int
		msg     string
		extra   []s3err.Field
		isCause error // when set, the result must keep it for the log
	}{
		{"NoSuchBucket", &store.Error{Kind: store.NoSuchBucket, Bucket: "b"}, "NoSuchBucket", 404, "The specified bucket does not exist", fields("BucketName", "b"), nil},
		{"NoSuchKey", &store.Error{Kind: store.NoSuchKey, Key: "k"}, "NoSuchKey", 404, msgNoSuchKey, fields("Key", "k"), nil},
		{"NoSuchKey of a write's If-Match", &store.Error{Kind: store.NoSuchKey}, "NoSuchKey", 404, msgNoSuchKey, nil, nil},
		{"NoSuchUpload", &store.Error{Kind: store.NoSuchUpload, UploadID: "u1"}, "NoSuchUpload", 404, s3err.NoSuchUpload.Message, fields("UploadId", "u1"), nil},
		{"BucketExists", &store.Error{Kind: store.BucketExists, Bucket: "b"}, "BucketAlreadyExists", 409, s3err.BucketAlreadyExists.Message, fields("BucketName", "b"), nil},
		{"BucketOwned", &store.Error{Kind: store.BucketOwned, Bucket: "b"}, "BucketAlreadyOwnedByYou", 409, s3err.BucketAlreadyOwnedByYou.Message, fields("BucketName", "b"), nil},
		{"BucketNotEmpty", &store.Error{Kind: store.BucketNotEmpty, Bucket: "b"}, "BucketNotEmpty", 409, "The bucket you tried to delete is not empty", fields("BucketName", "b"), nil},
		{"If-Match", &store.Error{Kind: store.PreconditionFailed, Cond: store.IfMatch}, "PreconditionFailed", 412, msgPrecondition, fields("Condition", "If-Match"), nil},
		{"If-None-Match", &store.Error{Kind: store.PreconditionFailed, Cond: store.IfNoneMatch}, "PreconditionFailed", 412, msgPrecondition, fields("Condition", "If-None-Match"), nil},
		{"rename dest If-Modified-Since", &store.Error{Kind: store.PreconditionFailed, Cond: store.IfModifiedSince}, "PreconditionFailed", 412, msgPrecondition, fields("Condition", "If-Modified-Since"), nil},
		{"delete size", &store.Error{Kind: store.PreconditionFailed, Cond: store.IfMatchSize}, "PreconditionFailed", 412, msgPrecondition, fields("Condition", "x-amz-if-match-size"), nil},
		{"delete mtime", &store.Error{Kind: store.PreconditionFailed, Cond: store.IfMatchLastModified}, "PreconditionFailed", 412, msgPrecondition, fields("Condition", "x-amz-if-match-last-modified-time"), nil},
		{"abort initiated", &store.Error{Kind: store.PreconditionFailed, Cond: store.IfMatchInitiated}, "PreconditionFailed", 412, msgPrecondition, fields("Condition", "x-amz-if-match-initiated-time"), nil},
		{"copy source If-Unmodified-Since", &store.Error{Kind: store.PreconditionFailed, Op: store.OpCopy, Source: true, Cond: store.IfUnmodifiedSince}, "PreconditionFailed", 412, msgPrecondition, fields("Condition", "x-amz-copy-source-If-Unmodified-Since"), nil},
		{"part copy source If-None-Match", &store.Error{Kind: store.PreconditionFailed, Op: store.OpPartCopy, Source: true, Cond: store.IfNoneMatch}, "PreconditionFailed", 412, msgPrecondition, fields("Condition", "x-amz-copy-source-If-None-Match"), nil},
		{"rename source If-Match", &store.Error{Kind: store.PreconditionFailed, Op: store.OpRename, Source: true, Cond: store.IfMatch}, "PreconditionFailed", 412, msgPrecondition, fields("Condition", "If-Match"), nil},
		{"Conflict", &store.Error{Kind: store.Conflict}, "ConditionalRequestConflict", 409, s3err.ConditionalRequestConflict.Message, nil, nil},
		{"InvalidWriteOffset", &store.Error{Kind: store.InvalidWriteOffset}, "InvalidWriteOffset", 400, "The write offset value that you specified does not match the current object size.", nil, nil},
		{"TooLarge", &store.Error{Kind: store.TooLarge}, "EntityTooLarge", 400, "Your proposed upload exceeds the maximum allowed object size.", nil, nil},
		{"copy source too large", &store.Error{Kind: store.TooLarge, Op: store.OpCopy, Source: true, Want: store.MaxCopySize}, "InvalidRequest", 400, "The specified copy source is larger than the maximum allowable size for a copy source: 5368709120", nil, nil},
		{"TooSmall", &store.Error{Kind: store.TooSmall, Part: 2, Size: 100, Want: store.MinPartSize}, "EntityTooSmall", 400, "Your proposed upload is smaller than the minimum allowed object size.", fields("ProposedSize", "100", "MinSizeAllowed", "5242880", "PartNumber", "2"), nil},
		{"TooManyParts", &store.Error{Kind: store.TooManyParts}, "TooManyParts", 400, s3err.TooManyParts.Message, nil, nil},
		{"InvalidPart", &store.Error{Kind: store.InvalidPart, Part: 3}, "InvalidPart", 400, s3err.InvalidPart.Message, fields("PartNumber", "3"), nil},
		{"PartChecksumMismatch", &store.Error{Kind: store.PartChecksumMismatch, Part: 3}, "InvalidPart", 400, "The checksum of part 3 does not match the uploaded part's checksum.", nil, nil},
		{"InvalidPartOrder", &store.Error{Kind: store.InvalidPartOrder}, "InvalidPartOrder", 400, s3err.InvalidPartOrder.Message, nil, nil},
		{"InvalidPartOrder, not from 1", &store.Error{Kind: store.InvalidPartOrder, Msg: "Directory buckets require part numbers to start at 1 and be consecutive."}, "InvalidPartOrder", 400, "Directory buckets require part numbers to start at 1 and be consecutive.", nil, nil},
		{"IncompleteBody, short", &store.Error{Kind: store.IncompleteBody}, "IncompleteBody", 400, msgIncomplete, nil, nil},
		{"IncompleteBody, long", &store.Error{Kind: store.IncompleteBody, Msg: "The request body is longer than the declared length."}, "IncompleteBody", 400, "The request body is longer than the declared length.", nil, nil},
		{"IncompleteBody, transport", &store.Error{Kind: store.IncompleteBody, Err: fmt.Errorf("reading request body: %w", io.ErrUnexpectedEOF)}, "IncompleteBody", 400, msgIncomplete, nil, io.ErrUnexpectedEOF},
		{"IncompleteBody, cancelled", &store.Error{Kind: store.IncompleteBody, Err: context.Canceled}, "IncompleteBody", 400, msgIncomplete, nil, context.Canceled},
		{"body reader's own error", &store.Error{Kind: store.IncompleteBody, Err: fmt.Errorf("reading request body: %w", s3err.RequestTimeout.Wrap(cause))}, "RequestTimeout", 400, s3err.RequestTimeout.Message, nil, cause},
		{"body reader's signature error", &store.Error{Kind: store.IncompleteBody, Err: fmt.Errorf("reading request body: %w", s3err.SignatureDoesNotMatch)}, "SignatureDoesNotMatch", 403, s3err.SignatureDoesNotMatch.Message, nil, nil},
		{"InvalidArgument", &store.Error{Kind: store.InvalidArgument, Msg: "Part number must be an integer between 1 and 10000, inclusive"}, "InvalidArgument", 400, "Part number must be an integer between 1 and 10000, inclusive", nil, nil},
		{"negative write offset", &store.Error{Kind: store.InvalidArgument, Arg: store.ArgWriteOffset}, "InvalidArgument", 400, "x-amz-write-offset-bytes must be a non-negative integer.", nil, nil},
		{"InvalidRequest", &store.Error{Kind: store.InvalidRequest, Msg: "The source and destination keys of a rename must differ."}, "InvalidRequest", 400, "The source and destination keys of a rename must differ.", nil, nil},
		{"Malformed", &store.Error{Kind: store.Malformed}, "MalformedXML", 400, s3err.MalformedXML.Message, nil, nil},
		{"Malformed with a reason", &store.Error{Kind: store.Malformed, Msg: "Status must be Enabled or Disabled."}, "MalformedXML", 400, "Status must be Enabled or Disabled.", nil, nil},
		{"rename key too long", &store.Error{Kind: store.KeyTooLong, Op: store.OpRename, Key: "kk"}, "KeyTooLong", 400, "Your key is too long", fields("Key", "kk"), nil},
		{"IdempotencyMismatch", &store.Error{Kind: store.IdempotencyMismatch}, "IdempotencyParameterMismatch", 400, s3err.IdempotencyParameterMismatch.Message, nil, nil},
		{"ObjectSizeMismatch", &store.Error{Kind: store.ObjectSizeMismatch, Want: 10, Size: 12}, "InvalidRequest", 400, "The provided 'x-amz-mp-object-size' header value 10 does not match what was computed: 12", nil, nil},
		{"store Internal", &store.Error{Kind: store.Internal, Err: cause}, "InternalError", 500, s3err.InternalError.Message, nil, cause},
		{"catalog unreachable in the store", &store.Error{Kind: store.Unavailable, Err: unreachable}, "ServiceUnavailable", 503, s3err.ServiceUnavailable.Message, nil, catalog.ErrUnavailable},
		{"catalog unreachable elsewhere", fmt.Errorf("session bucket: %w", unreachable), "ServiceUnavailable", 503, s3err.ServiceUnavailable.Message, nil, catalog.ErrUnavailable},

		{"checksum Mismatch", &checksum.Error{Kind: checksum.Mismatch, Alg: checksum.CRC32C}, "BadDigest", 400, "The CRC32C you specified did not match the calculated checksum.", nil, nil},
		{"checksum MalformedTrailer", &checksum.Error{Kind: checksum.MalformedTrailer}, "MalformedTrailerError", 400, s3err.MalformedTrailerError.Message, nil, nil},
		{"checksum InvalidValue", &checksum.Error{Kind: checksum.InvalidValue, Alg: checksum.SHA256}, "InvalidRequest", 400, "Value for x-amz-checksum-sha256 header is invalid.", nil, nil},
		{"checksum InvalidValue, trailer", &checksum.Error{Kind: checksum.InvalidValue, Alg: checksum.CRC32, Trailer: true}, "InvalidRequest", 400, "Value for x-amz-checksum-crc32 trailing header is invalid.", nil, nil},
		{"checksum Unimplemented", &checksum.Error{Kind: checksum.Unimplemented, Header: "x-amz-checksum-sha512"}, "NotImplemented", 501, "The x-amz-checksum-sha512 algorithm is not supported.", nil, nil},
		{"checksum Multiple", &checksum.Error{Kind: checksum.Multiple}, "InvalidRequest", 400, "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.", nil, nil},
		{"checksum UnsupportedType", &checksum.Error{Kind: checksum.UnsupportedType, Alg: checksum.SHA1, Type: checksum.TypeFullObject}, "InvalidRequest", 400, "The FULL_OBJECT checksum type cannot be used with the SHA1 checksum algorithm.", nil, nil},
		{"checksum Internal", &checksum.Error{Kind: checksum.Internal, Err: cause}, "InternalError", 500, s3err.InternalError.Message, nil, cause},
		{"checksum error through the store", fmt.Errorf("commit: %w", &checksum.Error{Kind: checksum.Mismatch, Alg: checksum.CRC32}), "BadDigest", 400, "The CRC32 you specified did not match the calculated checksum.", nil, nil},

		{"an S3 error as is", s3err.NoSuchBucketPolicy, "NoSuchBucketPolicy", 404, s3err.NoSuchBucketPolicy.Message, nil, nil},
		{"an unclassified error", cause, "InternalError", 500, s3err.InternalError.Message, nil, cause},
		{"a joined error", errors.Join(cause, &store.Error{Kind: store.Conflict}), "ConditionalRequestConflict", 409, s3err.ConditionalRequestConflict.Message, nil, nil},
	}
	for _, tt := range tests {
		e := s3Error(tt.err)
		if e.Code != tt.code || e.Status != tt.status || e.Message != tt.msg || !reflect.DeepEqual(e.Extra, tt.extra) {
			t.Errorf("%s: got %s %d %q %v, want %s %d %q %v", tt.name, e.Code, e.Status, e.Message, e.Extra, tt.code, tt.status, tt.msg, tt.extra)
		}
		if tt.isCause != nil && !errors.Is(e, tt.isCause) {
			t.Errorf("%s: the cause %v is not kept for the log: %v", tt.name, tt.isCause, e)
		}
	}
}

// TestS3ErrorEveryStoreKind makes a new store kind fail here until it is
// given an answer: only Internal may map to InternalError.
func TestS3ErrorEveryStoreKind(t *testing.T) {
	for k := store.Internal + 1; k.String() != fmt.Sprintf("kind %d", k); k++ {
		if e := s3Error(&store.Error{Kind: k}); e.Code == "InternalError" {
			t.Errorf("store kind %v has no S3 answer", k)
		}
	}
	for k := checksum.Internal + 1; k <= checksum.UnsupportedType; k++ {
		if e := s3Error(&checksum.Error{Kind: k}); e.Code == "InternalError" {
			t.Errorf("checksum kind %d has no S3 answer", k)
		}
	}
}

// fields makes the extra elements of an error from name, value pairs.
func fields(kv ...string) []s3err.Field {
	var out []s3err.Field
	for i := 0; i < len(kv); i += 2 {
		out = append(out, s3err.Field{Name: kv[i], Value: kv[i+1]})
	}
	return out
}
