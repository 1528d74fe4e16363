package sigv4

import (
	"strings"
	"time"
)

// Kind is the fault behind an Error. The package names faults, not answers:
// each front end (S3, IAM/STS) turns a kind into its own wire error.
type Kind uint8

// The kinds of Error.
const (
	_ Kind = iota
	// NoAuth: the request carries no SigV4 authentication at all.
	NoAuth
	// UnsupportedMechanism: another AWS signing mechanism (SigV2, SigV4a).
	UnsupportedMechanism
	// UnknownScheme: an Authorization header of no AWS scheme ("Bearer ...");
	// Value holds the header.
	UnknownScheme
	// MultipleMechanisms: both an Authorization header and presigned query
	// parameters; Value holds the header.
	MultipleMechanisms
	// MalformedHeader: the Authorization header is malformed (Message says how).
	MalformedHeader
	// MalformedQuery: the presigned query parameters are malformed.
	MalformedQuery
	// MissingDate: no valid X-Amz-Date or Date header.
	MissingDate
	// MissingPayloadHash: an S3 request signed in the header without
	// x-amz-content-sha256.
	MissingPayloadHash
	// InvalidPayloadHash: an x-amz-content-sha256 value S3 does not know;
	// Value holds it.
	InvalidPayloadHash
	// Expired: a presigned URL past its expiry (Time, Expires, Now).
	Expired
	// Skewed: the request time too far from the server's clock (Time, Now).
	Skewed
	// UnsignedHeader: headers that must be signed were not; Value lists
	// them, comma-separated.
	UnsignedHeader
	// BadSignature: a request, chunk or trailer signature does not match.
	// For the request signature the details (StringToSign,
	// CanonicalRequest) are set.
	BadSignature
	// PayloadMismatch: the body's SHA-256 is not x-amz-content-sha256
	// (Value, as the client sent it; Computed, ours).
	PayloadMismatch
	// IncompleteBody: the body is shorter or longer than declared, cut
	// short, or failed in transport (Err keeps the cause).
	IncompleteBody
	// MalformedBody: broken aws-chunked framing.
	MalformedBody
	// MalformedTrailer: broken, extra or missing aws-chunked trailers.
	MalformedTrailer
	// ChunkTooLarge: an aws-chunked chunk over MaxChunkSize.
	ChunkTooLarge
	// InvalidDecodedLength: x-amz-decoded-content-length is not a
	// non-negative integer; Value holds it.
	InvalidDecodedLength
)

var kindNames = [...]string{
	NoAuth: "no authentication", UnsupportedMechanism: "unsupported mechanism",
	UnknownScheme: "unknown scheme", MultipleMechanisms: "multiple mechanisms",
	MalformedHeader: "malformed header", MalformedQuery: "malformed query",
	MissingDate: "missing date", MissingPayloadHash: "missing payload hash",
	InvalidPayloadHash: "invalid payload hash", Expired: "expired", Skewed: "time skewed",
	UnsignedHeader: "unsigned header", BadSignature: "bad signature",
	PayloadMismatch: "payload mismatch", IncompleteBody: "incomplete body",
	MalformedBody: "malformed body", MalformedTrailer: "malformed trailer",
	ChunkTooLarge: "chunk too large", InvalidDecodedLength: "invalid decoded length",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "unknown"
}

// Error is a SigV4 failure: its kind and what a front end needs to report
// it as AWS does. Only the fields its kind names are set.
type Error struct {
	Kind Kind
	// Message is AWS's wording of the fault where it is specific to it;
	// empty when the front end's usual text for the kind applies.
	Message string
	// Value is the offending value (header, payload hash, header names).
	Value string
	// Expired and Skewed: the request's time, the server's clock, and for
	// Expired the presigned lifetime.
	Time, Now time.Time
	Expires   time.Duration
	// BadSignature of the request: what the server signed.
	AccessKeyID, Signature, StringToSign, CanonicalRequest string
	// PayloadMismatch: the SHA-256 the server computed, hex.
	Computed string
	// Err is an underlying cause (a transport error, a trailer detail), for
	// logs and for front ends that keep their own errors raised below.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("sigv4: ")
	b.WriteString(e.Kind.String())
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Err != nil {
		b.WriteString(" (")
		b.WriteString(e.Err.Error())
		b.WriteString(")")
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrNoAuth) true for any NoAuth error, and
// generally matches an *Error target by kind.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind
}

func fail(k Kind, msg string) *Error { return &Error{Kind: k, Message: msg} }

// ErrNoAuth is returned by Parse when the request carries no SigV4
// authentication at all (an anonymous request): the caller decides whether
// anonymous access is allowed.
var ErrNoAuth error = &Error{Kind: NoAuth, Message: "request is not signed"}
