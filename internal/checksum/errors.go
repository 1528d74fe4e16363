package checksum

import (
	"fmt"
	"strings"
)

// Kind classifies a checksum error. The HTTP layer picks the S3 code from
// the kind; the message (Error) is AWS's wording for the rule that failed,
// which this package owns because the rules are about its headers.
type Kind uint8

// The kinds of checksum errors.
const (
	// Internal is a bug in the caller (a Hasher asked to verify an
	// algorithm it does not compute).
	Internal Kind = iota
	// Mismatch: the data's digest differs from the declared value (Alg).
	Mismatch
	// MalformedTrailer: a declared trailing checksum did not arrive, or
	// the trailer section holds other fields.
	MalformedTrailer
	// InvalidValue: a declared value is not base64 of a digest of Alg's
	// size; Trailer tells whether it came in the trailer.
	InvalidValue
	// UnknownHeader: an x-amz-checksum-<name> header names no algorithm.
	UnknownHeader
	// Unimplemented: a header names an algorithm S3 defines but zonal does
	// not compute (Header holds the lower-case header name).
	Unimplemented
	// Multiple: more than one value header or trailer.
	Multiple
	// HeaderAndTrailer: both a value header and a trailer.
	HeaderAndTrailer
	// UnsupportedTrailer: x-amz-trailer names something else than a
	// checksum header.
	UnsupportedTrailer
	// SDKWithoutValue: x-amz-sdk-checksum-algorithm with neither a value
	// header nor a trailer.
	SDKWithoutValue
	// SDKInvalid: x-amz-sdk-checksum-algorithm names an unknown algorithm
	// or another one than the value.
	SDKInvalid
	// UnsupportedAlgorithm: x-amz-checksum-algorithm names no algorithm.
	UnsupportedAlgorithm
	// InvalidType: x-amz-checksum-type names no type.
	InvalidType
	// TypeWithoutAlgorithm: x-amz-checksum-type without
	// x-amz-checksum-algorithm.
	TypeWithoutAlgorithm
	// UnsupportedType: Type cannot be used with Alg.
	UnsupportedType
)

// Error is a checksum failure: a kind, the algorithm (and type) it concerns,
// and for Internal the cause.
type Error struct {
	Kind    Kind
	Alg     Algorithm
	Type    Type
	Trailer bool   // InvalidValue: the value came in the trailer
	Header  string // Unimplemented: the header, lower case
	Err     error  // Internal: the cause
}

// AWS's messages, as observed on the live service (OpenStack Swift's and
// Scality's S3 compatibility suites pin the same strings).
const (
	msgMalformedTrailer = "The request contained trailing data that was not well-formed or did not conform to our published schema."
	msgMultiple         = "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."
	msgHeaderAndTrailer = "Expecting a single x-amz-checksum- header"
	msgUnknownHeader    = "The algorithm type you specified in x-amz-checksum- header is invalid."
	msgTrailerUnsupp    = "The value specified in the x-amz-trailer header is not supported"
	msgSDKWithoutValue  = "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found."
	msgSDKInvalid       = "Value for x-amz-sdk-checksum-algorithm header is invalid."
	msgAlgorithmUnsupp  = "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]"
	msgTypeInvalid      = "Value for x-amz-checksum-type header is invalid."
	msgTypeWithoutAlg   = "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header."
)

// Error returns AWS's message for the failed rule.
func (e *Error) Error() string {
	switch e.Kind {
	case Mismatch:
		return "The " + string(e.Alg) + " you specified did not match the calculated checksum."
	case MalformedTrailer:
		return msgMalformedTrailer
	case InvalidValue:
		if e.Trailer {
			return "Value for " + e.Alg.Header() + " trailing header is invalid."
		}
		return "Value for " + e.Alg.Header() + " header is invalid."
	case UnknownHeader:
		return msgUnknownHeader
	case Unimplemented:
		return "The " + strings.ToLower(e.Header) + " algorithm is not supported."
	case Multiple:
		return msgMultiple
	case HeaderAndTrailer:
		return msgHeaderAndTrailer
	case UnsupportedTrailer:
		return msgTrailerUnsupp
	case SDKWithoutValue:
		return msgSDKWithoutValue
	case SDKInvalid:
		return msgSDKInvalid
	case UnsupportedAlgorithm:
		return msgAlgorithmUnsupp
	case InvalidType:
		return msgTypeInvalid
	case TypeWithoutAlgorithm:
		return msgTypeWithoutAlg
	case UnsupportedType:
		return fmt.Sprintf("The %s checksum type cannot be used with the %s checksum algorithm.", e.Type, e.Alg)
	}
	return fmt.Sprintf("checksum: internal error: %v", e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, &Error{Kind: k}) match any error of kind k.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind
}

// headerTrailerSigName is the trailer field carrying the trailer's
// signature, which may accompany the checksum.
const headerTrailerSigName = "x-amz-trailer-signature"

func kindErr(k Kind) *Error { return &Error{Kind: k} }

// invalidValue is the error for a value header that is not base64 of a
// digest of the right size.
func invalidValue(a Algorithm) *Error { return &Error{Kind: InvalidValue, Alg: a} }

// invalidTrailerValue is the same for a value that came in the trailer.
func invalidTrailerValue(a Algorithm) *Error {
	return &Error{Kind: InvalidValue, Alg: a, Trailer: true}
}

// mismatch is the error for a value that does not match the data.
func mismatch(a Algorithm) *Error { return &Error{Kind: Mismatch, Alg: a} }

func notImplemented(header string) *Error { return &Error{Kind: Unimplemented, Header: header} }
