package store

import (
	"errors"
	"strconv"
	"strings"

	"github.com/zonal-dev/zonal/internal/blob"
	"github.com/zonal-dev/zonal/internal/catalog"
)

// Kind classifies a store error by what went wrong, not by how a protocol
// answers it: the S3 front end (s3api) turns kinds into S3 codes, and
// another front end may answer them its own way.
type Kind uint8

// The kinds of store errors. The fields of Error that each one sets are
// named in brackets.
const (
	// Internal: a fault of the engines or a bug [Err].
	Internal Kind = iota
	// NoSuchBucket: the bucket does not exist [Bucket].
	NoSuchBucket
	// NoSuchKey: the object does not exist [Key, when the operation named
	// it as its subject].
	NoSuchKey
	// NoSuchUpload: the multipart upload does not exist [UploadID].
	NoSuchUpload
	// BucketExists: the bucket name belongs to another owner [Bucket].
	BucketExists
	// BucketOwned: the caller already owns the bucket [Bucket].
	BucketOwned
	// BucketNotEmpty: a bucket to delete still holds objects [Bucket].
	BucketNotEmpty
	// PreconditionFailed: a condition of the request does not hold [Cond,
	// Source].
	PreconditionFailed
	// Conflict: the object changed while the operation depended on it.
	Conflict
	// InvalidWriteOffset: an append's offset is not the object's size.
	InvalidWriteOffset
	// TooLarge: a body or part over its limit; with Source, a copy source
	// over its limit [Want: that limit].
	TooLarge
	// TooSmall: a part other than the last is under MinPartSize [Part,
	// Size, Want: the minimum].
	TooSmall
	// TooManyParts: an append would give the object more than MaxParts.
	TooManyParts
	// InvalidPart: a listed part was not uploaded, or its ETag differs
	// [Part].
	InvalidPart
	// PartChecksumMismatch: a listed part's checksum differs from the uploaded
	// part's [Part].
	PartChecksumMismatch
	// InvalidPartOrder: listed part numbers are not 1, 2, 3... [Msg].
	InvalidPartOrder
	// IncompleteBody: the body was cut short, longer than declared, or its
	// reader failed [Msg, Err: the reader's error].
	IncompleteBody
	// InvalidArgument: a value is out of its range [Msg, or Arg].
	InvalidArgument
	// InvalidRequest: the request, taken as a whole, cannot be served
	// [Msg].
	InvalidRequest
	// Malformed: a document (lifecycle rules, the parts list) does not
	// validate [Msg].
	Malformed
	// KeyTooLong: a key over MaxKeyLength [Key].
	KeyTooLong
	// IdempotencyMismatch: a client token reused with other parameters.
	IdempotencyMismatch
	// ObjectSizeMismatch: the object size the client asserts differs from
	// the parts' total [Want: the asserted size, Size: the total].
	ObjectSizeMismatch
	// Unavailable: an engine cannot be reached for now (a shared catalog
	// or a remote blob store down or restarting); nothing was changed, a
	// retry may succeed [Err].
	Unavailable
	// InvalidTag: a tag key or value breaks the tagging rules [Msg].
	InvalidTag
	// TooManyTags: a resource would carry more than MaxTags tags.
	TooManyTags
	// NoSuchAccessPoint: the access point does not exist [Msg: its name].
	NoSuchAccessPoint
	// AccessPointExists: the access point name is taken [Msg: the name].
	AccessPointExists
	// AccessPointsAttached: a bucket to delete still has access points
	// attached [Bucket].
	AccessPointsAttached
	// NoSuchConfiguration: a bucket has no metrics or inventory
	// configuration of that id.
	NoSuchConfiguration
	// TooManyConfigurations: a bucket would hold more than
	// MaxBucketConfigs configurations of one kind.
	TooManyConfigurations
)

var kindNames = [...]string{
	Internal:              "internal error",
	NoSuchBucket:          "no such bucket",
	NoSuchKey:             "no such key",
	NoSuchUpload:          "no such upload",
	BucketExists:          "bucket exists",
	BucketOwned:           "bucket already owned",
	BucketNotEmpty:        "bucket not empty",
	PreconditionFailed:    "precondition failed",
	Conflict:              "conflicting change",
	InvalidWriteOffset:    "invalid write offset",
	TooLarge:              "too large",
	TooSmall:              "part too small",
	TooManyParts:          "too many parts",
	InvalidPart:           "invalid part",
	PartChecksumMismatch:  "part checksum differs",
	InvalidPartOrder:      "invalid part order",
	IncompleteBody:        "incomplete body",
	InvalidArgument:       "invalid argument",
	InvalidRequest:        "invalid request",
	Malformed:             "malformed document",
	KeyTooLong:            "key too long",
	IdempotencyMismatch:   "client token reused",
	ObjectSizeMismatch:    "object size mismatch",
	Unavailable:           "engine unavailable",
	InvalidTag:            "invalid tag",
	TooManyTags:           "too many tags",
	NoSuchAccessPoint:     "no such access point",
	AccessPointExists:     "access point exists",
	AccessPointsAttached:  "bucket has access points",
	NoSuchConfiguration:   "no such configuration",
	TooManyConfigurations: "too many configurations",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind " + strconv.Itoa(int(k))
}

// Op names the operation an error came from, where a front end answers the
// same kind differently for it.
type Op string

// Operations that set Op.
const (
	OpCopy     Op = "Copy"
	OpPartCopy Op = "PartCopy"
	OpRename   Op = "Rename"
)

// Cond is a precondition a request can carry.
type Cond uint8

// The conditions.
const (
	_                   Cond = iota
	IfMatch                  // the ETag matches
	IfNoneMatch              // the ETag does not match (or, for writes, no object)
	IfModifiedSince          // modified after a time
	IfUnmodifiedSince        // not modified after a time
	IfMatchSize              // the size is a given one (deletes)
	IfMatchLastModified      // the modification time is a given one (deletes)
	IfMatchInitiated         // the upload's initiation time is a given one (aborts)
)

// Arg names an argument whose value is invalid, for kinds whose wording
// names it.
type Arg uint8

// The arguments.
const (
	_              Arg = iota
	ArgWriteOffset     // an append's offset
)

// Error is a store failure. Kind says what went wrong; the other fields say
// about what, each set only where the kind's doc says so.
type Error struct {
	Kind     Kind
	Op       Op
	Bucket   string
	Key      string
	UploadID string
	// Cond is the precondition that failed; Source says it applied to the
	// source object of a copy or rename.
	Cond   Cond
	Source bool
	Arg    Arg
	Part   int
	// Size and Want are the sizes a TooSmall or ObjectSizeMismatch error
	// compares; Want is also a copy source's limit (TooLarge).
	Size, Want int64
	// Msg explains the failure to a person; a front end may use it as is.
	Msg string
	// Err is the underlying error (Internal, IncompleteBody).
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("store: ")
	if e.Op != "" {
		b.WriteString(string(e.Op) + ": ")
	}
	b.WriteString(e.Kind.String())
	for _, s := range []string{e.Bucket, e.Key, e.UploadID} {
		if s != "" {
			b.WriteString(" " + strconv.Quote(s))
		}
	}
	if e.Msg != "" {
		b.WriteString(": " + e.Msg)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, &Error{Kind: k}) match any store error of kind k.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind
}

// IsKind reports whether err's chain holds a store error of kind k.
func IsKind(err error, k Kind) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == k
}

func kindErr(k Kind) *Error { return &Error{Kind: k} }

// internal classifies an engine failure; an engine out of reach for now
// is Unavailable (a retry may succeed), anything else Internal.
func internal(err error) *Error {
	if errors.Is(err, catalog.ErrUnavailable) || errors.Is(err, blob.ErrUnavailable) {
		return &Error{Kind: Unavailable, Err: err}
	}
	return &Error{Kind: Internal, Err: err}
}
func noSuchBucket(name string) *Error   { return &Error{Kind: NoSuchBucket, Bucket: name} }
func noSuchUpload(id string) *Error     { return &Error{Kind: NoSuchUpload, UploadID: id} }
func precondition(c Cond) *Error        { return &Error{Kind: PreconditionFailed, Cond: c} }
func invalidArgument(msg string) *Error { return &Error{Kind: InvalidArgument, Msg: msg} }
func invalidRequest(msg string) *Error  { return &Error{Kind: InvalidRequest, Msg: msg} }
func malformed(msg string) *Error       { return &Error{Kind: Malformed, Msg: msg} }
func incompleteBody(msg string, err error) *Error {
	return &Error{Kind: IncompleteBody, Msg: msg, Err: err}
}
