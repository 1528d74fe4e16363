package s3api

import (
	"github.com/zonal-dev/zonal/internal/checksum"
	"github.com/zonal-dev/zonal/internal/s3err"
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
	return s3err.InternalError.Wrap(err)
}

// wireError maps the first classified error in err's chain (depth first,
// as errors.As walks it), and reports false when there is none.
func wireError(err error) (*s3err.Error, bool) {
	for err != nil {
		switch e := err.(type) {
		case *s3err.Error:
			return e, true
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
		return s3err.InternalError.Wrap(e)
	case checksum.Mismatch:
		return s3err.BadDigest.Msg("%s", e.Error())
	case checksum.MalformedTrailer:
		return s3err.MalformedTrailerError
	case checksum.Unimplemented:
		return s3err.NotImplemented.Msg("%s", e.Error())
	}
	return s3err.InvalidRequest.Msg("%s", e.Error())
}
