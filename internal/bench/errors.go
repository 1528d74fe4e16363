package bench

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"syscall"
)

// ErrorCode returns the S3 error code of an error response body: the text of
// its first <Code> element ("NoSuchKey", "SlowDown"...), or "" when body
// holds none (HEAD responses, proxies answering with HTML). It allocates
// only the returned string.
func ErrorCode(body []byte) string {
	const open, closeTag = "<Code>", "</Code>"
	i := bytes.Index(body, []byte(open))
	if i < 0 {
		return ""
	}
	rest := body[i+len(open):]
	j := bytes.Index(rest, []byte(closeTag))
	if j < 0 {
		return ""
	}
	code := bytes.TrimSpace(rest[:j])
	if len(code) == 0 || len(code) > 64 {
		return ""
	}
	return string(code)
}

// statusCode names an error response that carried no S3 code: "HTTP503".
func statusCode(status int) string { return "HTTP" + strconv.Itoa(status) }

// Transport error classes, reported in place of an S3 code.
const (
	ErrClassTimeout     = "transport:timeout"
	ErrClassRefused     = "transport:connection-refused"
	ErrClassReset       = "transport:connection-reset"
	ErrClassBrokenPipe  = "transport:broken-pipe"
	ErrClassEOF         = "transport:unexpected-eof"
	ErrClassDNS         = "transport:dns"
	ErrClassTLS         = "transport:tls"
	ErrClassCanceled    = "transport:canceled"
	ErrClassOther       = "transport:other"
	ErrClassShortBody   = "client:short-body"
	ErrClassBadResponse = "client:bad-response"
)

// TransportErrorClass sorts a transport (non-HTTP) error into a few classes
// so that an error table stays readable.
func TransportErrorClass(err error) string {
	if err == nil {
		return ""
	}
	var dnsErr *net.DNSError
	var tlsRec tls.RecordHeaderError
	var certErr *tls.CertificateVerificationError
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return ErrClassCanceled
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return ErrClassTimeout
	case errors.As(err, &dnsErr):
		return ErrClassDNS
	case errors.Is(err, syscall.ECONNREFUSED):
		return ErrClassRefused
	case errors.Is(err, syscall.ECONNRESET):
		return ErrClassReset
	case errors.Is(err, syscall.EPIPE):
		return ErrClassBrokenPipe
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return ErrClassEOF
	case errors.As(err, &tlsRec), errors.As(err, &certErr):
		return ErrClassTLS
	case errors.As(err, &ne) && ne.Timeout():
		return ErrClassTimeout
	}
	return ErrClassOther
}
