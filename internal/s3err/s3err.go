// Package s3err is the table of S3 error codes zonal returns and the writer
// of S3's XML error body. Only the S3 front end (internal/s3api) and the
// HTTP server use it: the layers below report errors of their own kinds,
// which s3api maps to these codes in one place.
package s3err

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
)

// Error is an S3 error: an AWS error code with its HTTP status, a message and
// optional extra elements for the XML body (Key, BucketName, Condition, ...).
type Error struct {
	Code    string
	Status  int
	Message string
	// Extra elements appended to the XML body, in order.
	Extra []Field
	// Cause is an internal error kept for logs; never sent to the client.
	Cause error
}

// Field is one extra element of an error body.
type Field struct{ Name, Value string }

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %s (%v)", e.Code, e.Message, e.Cause)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Cause }

// With returns a copy of e carrying one more extra element.
func (e *Error) With(name, value string) *Error {
	c := *e
	c.Extra = append(append([]Field(nil), e.Extra...), Field{name, value})
	return &c
}

// Msg returns a copy of e with another message.
func (e *Error) Msg(format string, args ...any) *Error {
	c := *e
	c.Message = fmt.Sprintf(format, args...)
	return &c
}

// Rename returns a copy of e with another code (for operations whose
// code differs from the usual one for the same condition).
func (e *Error) Rename(code string) *Error {
	c := *e
	c.Code = code
	return &c
}

// Wrap returns a copy of e that keeps cause for the logs.
func (e *Error) Wrap(cause error) *Error {
	c := *e
	c.Cause = cause
	return &c
}

// Is makes errors.Is(err, s3err.NoSuchKey) match by code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

func def(code string, status int, msg string) *Error {
	return &Error{Code: code, Status: status, Message: msg}
}

// The codes zonal returns. Messages follow AWS's wording where it is known.
var (
	AccessDenied                              = def("AccessDenied", 403, "Access Denied")
	AuthorizationHeaderMalformed              = def("AuthorizationHeaderMalformed", 400, "The authorization header is malformed.")
	AuthorizationQueryParametersError         = def("AuthorizationQueryParametersError", 400, "Error parsing the X-Amz-Credential parameter.")
	BadDigest                                 = def("BadDigest", 400, "The Content-MD5 or checksum value that you specified did not match what the server received.")
	BucketAlreadyExists                       = def("BucketAlreadyExists", 409, "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.")
	BucketAlreadyOwnedByYou                   = def("BucketAlreadyOwnedByYou", 409, "Your previous request to create the named bucket succeeded and you already own it.")
	BucketNotEmpty                            = def("BucketNotEmpty", 409, "The bucket you tried to delete is not empty")
	EntityTooLarge                            = def("EntityTooLarge", 400, "Your proposed upload exceeds the maximum allowed object size.")
	ExpiredToken                              = def("ExpiredToken", 400, "The provided token has expired.")
	IncompleteBody                            = def("IncompleteBody", 400, "You did not provide the number of bytes specified by the Content-Length HTTP header.")
	InternalError                             = def("InternalError", 500, "We encountered an internal error. Please try again.")
	InvalidAccessKeyID                        = def("InvalidAccessKeyId", 403, "The AWS Access Key Id you provided does not exist in our records.")
	InvalidArgument                           = def("InvalidArgument", 400, "Invalid Argument")
	NoSuchConfiguration                       = def("NoSuchConfiguration", 404, "The specified configuration does not exist.")
	TooManyConfigurations                     = def("TooManyConfigurations", 400, "You are attempting to create a new configuration but have already reached the 1,000-configuration limit.")
	InvalidBucketName                         = def("InvalidBucketName", 400, "The specified bucket is not valid.")
	InvalidDigest                             = def("InvalidDigest", 400, "The Content-MD5 or checksum value you specified is not valid.")
	InvalidLocationConstraint                 = def("InvalidLocationConstraint", 400, "The specified location-constraint is not valid.")
	InvalidRange                              = def("InvalidRange", 416, "The requested range is not satisfiable")
	InvalidRequest                            = def("InvalidRequest", 400, "Invalid Request")
	InvalidTag                                = def("InvalidTag", 400, "The tag provided was not a valid tag.")
	InvalidStorageClass                       = def("InvalidStorageClass", 400, "The storage class you specified is not valid")
	InvalidToken                              = def("InvalidToken", 400, "The provided token is malformed or otherwise invalid.")
	KeyTooLong                                = def("KeyTooLongError", 400, "Your key is too long")
	MalformedXML                              = def("MalformedXML", 400, "The XML you provided was not well-formed or did not validate against our published schema.")
	MethodNotAllowed                          = def("MethodNotAllowed", 405, "The specified method is not allowed against this resource.")
	MissingContentLength                      = def("MissingContentLength", 411, "You must provide the Content-Length HTTP header.")
	MissingSecurityHeader                     = def("MissingSecurityHeader", 400, "Your request was missing a required header")
	NoSuchBucket                              = def("NoSuchBucket", 404, "The specified bucket does not exist")
	NoSuchAccessPoint                         = def("NoSuchAccessPoint", 404, "The specified accesspoint does not exist")
	InvalidBucketState                        = def("InvalidBucketState", 409, "The request is not valid with the current state of the bucket.")
	NoSuchKey                                 = def("NoSuchKey", 404, "The specified key does not exist.")
	NotImplemented                            = def("NotImplemented", 501, "A header you provided implies functionality that is not implemented")
	NotModified                               = def("NotModified", 304, "Not Modified")
	PreconditionFailed                        = def("PreconditionFailed", 412, "At least one of the pre-conditions you specified did not hold")
	RequestTimeTooSkewed                      = def("RequestTimeTooSkewed", 403, "The difference between the request time and the current time is too large.")
	SignatureDoesNotMatch                     = def("SignatureDoesNotMatch", 403, "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
	SlowDown                                  = def("SlowDown", 503, "Please reduce your request rate.")
	NoSuchUpload                              = def("NoSuchUpload", 404, "The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or completed.")
	InvalidPart                               = def("InvalidPart", 400, "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified ETag might not have matched the uploaded part's ETag.")
	InvalidPartOrder                          = def("InvalidPartOrder", 400, "The list of parts was not in ascending order. The parts list must be specified in order by part number.")
	EntityTooSmall                            = def("EntityTooSmall", 400, "Your proposed upload is smaller than the minimum allowed object size.")
	InvalidWriteOffset                        = def("InvalidWriteOffset", 400, "The write offset value that you specified does not match the current object size.")
	TooManyParts                              = def("TooManyParts", 400, "You have attempted to add more parts than the maximum of 10000 that are allowed for this object.")
	EncryptionTypeMismatch                    = def("EncryptionTypeMismatch", 400, "The existing object was created with a different encryption type. Subsequent write requests must include the appropriate encryption parameters in the request or while creating the session.")
	IdempotencyParameterMismatch              = def("IdempotencyParameterMismatch", 400, "The client token was already used with different request parameters.")
	ConditionalRequestConflict                = def("ConditionalRequestConflict", 409, "A conflicting operation occurred. If using PutObject you can retry the request. If using multipart upload you should initiate another CreateMultipartUpload request and re-upload each part.")
	NoSuchBucketPolicy                        = def("NoSuchBucketPolicy", 404, "The bucket policy does not exist")
	MalformedPolicy                           = def("MalformedPolicy", 400, "Policies must be valid JSON and the first byte must be '{'")
	MalformedTrailerError                     = def("MalformedTrailerError", 400, "The request contained trailing data that was not well-formed or did not conform to our published schema.")
	NoSuchLifecycleConfiguration              = def("NoSuchLifecycleConfiguration", 404, "The lifecycle configuration does not exist")
	ServerSideEncryptionConfigurationNotFound = def("ServerSideEncryptionConfigurationNotFoundError", 404, "The server side encryption configuration was not found")
	InvalidPartNumber                         = def("InvalidPartNumber", 416, "The requested partnumber is not satisfiable")
	XAmzContentSHA256Mismatch                 = def("XAmzContentSHA256Mismatch", 400, "The provided 'x-amz-content-sha256' header does not match what was computed.")
	RequestTimeout                            = def("RequestTimeout", 400, "Your socket connection to the server was not read from or written to within the timeout period.")
	MetadataTooLarge                          = def("MetadataTooLarge", 400, "Your metadata headers exceed the maximum allowed metadata size.")
	ServiceUnavailable                        = def("ServiceUnavailable", 503, "Please reduce your request rate.")
	RequestHeaderSectionTooLarge              = def("RequestHeaderSectionTooLarge", 400, "Your request header section exceeds the maximum allowed size.")

	// ClientClosedRequest is not an AWS code and no client reads it: the
	// client went away before its answer (a canceled SDK call), which is
	// no server fault. It labels the access log and metrics with nginx's
	// 499 rather than a 500 that would page someone.
	ClientClosedRequest = def("ClientClosedRequest", 499, "The client closed the connection before the response.")
)

// As converts any error to an *Error; errors that are not S3 errors become
// InternalError with the original kept as Cause.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return InternalError.Wrap(err)
}

type xmlError struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	Inner     []byte   `xml:",innerxml"`
	Resource  string   `xml:"Resource,omitempty"`
	RequestID string   `xml:"RequestId"`
	HostID    string   `xml:"HostId"`
}

// Body renders the XML error document for e.
func (e *Error) Body(resource, requestID, hostID string) []byte {
	var extra []byte
	for _, f := range e.Extra {
		var b []byte
		b = append(b, '<')
		b = append(b, f.Name...)
		b = append(b, '>')
		b = appendEscaped(b, f.Value)
		b = append(b, "</"...)
		b = append(b, f.Name...)
		b = append(b, '>')
		extra = append(extra, b...)
	}
	doc := xmlError{Code: e.Code, Message: e.Message, Inner: extra, Resource: resource, RequestID: requestID, HostID: hostID}
	out, _ := xml.Marshal(doc)
	return append([]byte(xml.Header), out...)
}

func appendEscaped(b []byte, s string) []byte {
	var w escWriter
	_ = xml.EscapeText(&w, []byte(s))
	return append(b, w.b...)
}

type escWriter struct{ b []byte }

func (w *escWriter) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }

// Write sends e as the response: status, XML body (none for HEAD or 304).
// The caller has already set x-amz-request-id and x-amz-id-2.
func Write(w http.ResponseWriter, r *http.Request, e *Error, resource, requestID, hostID string) {
	h := w.Header()
	if r.Method == http.MethodHead || e.Status == http.StatusNotModified {
		w.WriteHeader(e.Status)
		return
	}
	body := e.Body(resource, requestID, hostID)
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}
