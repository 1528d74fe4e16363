package checksum

import "errors"

// wire is the S3 code and status each kind is answered with, as s3api maps
// it (internal/s3api/errors_test.go pins the mapping itself); the tables
// here keep asserting what a client receives.
func wire(err error) (code string, status int, msg string, ok bool) {
	var e *Error
	if !errors.As(err, &e) {
		return "", 0, "", false
	}
	switch e.Kind {
	case Mismatch:
		code, status = "BadDigest", 400
	case MalformedTrailer:
		code, status = "MalformedTrailerError", 400
	case Unimplemented:
		code, status = "NotImplemented", 501
	case Internal:
		code, status = "InternalError", 500
	default:
		code, status = "InvalidRequest", 400
	}
	return code, status, e.Error(), true
}
