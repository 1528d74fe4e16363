package s3control

import (
	"bytes"
	"encoding/xml"
	"errors"
	"net/http"
	"strconv"

	"github.com/zonal-dev/zonal/internal/s3err"
	"github.com/zonal-dev/zonal/internal/store"
)

// Error is an S3 Control error: code, status and message. The S3 Control
// API answers errors wrapped (ErrorResponse > Error > Code), the form its
// SDK deserializers read; S3's bare <Error> would reach clients as
// "UnknownError".
type Error struct {
	Code    string
	Status  int
	Message string
	Cause   error // kept for the log, never sent
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return e.Code + ": " + e.Message + " (" + e.Cause.Error() + ")"
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Cause }

// Msg returns a copy of e with another message.
func (e *Error) Msg(msg string) *Error {
	c := *e
	c.Message = msg
	return &c
}

func def(code string, status int, msg string) *Error {
	return &Error{Code: code, Status: status, Message: msg}
}

// The codes this API answers besides the S3 ones authentication shares.
var (
	errAccessDenied   = def("AccessDenied", http.StatusForbidden, "Access Denied")
	errInvalidRequest = def("InvalidRequest", http.StatusBadRequest, "Invalid Request")
	errMalformedXML   = def("MalformedXML", http.StatusBadRequest, "The XML you provided was not well-formed or did not validate against our published schema.")
	errNoSuchBucket   = def("NoSuchBucket", http.StatusNotFound, "The specified bucket does not exist")
	// NoSuchAccessPoint is S3 Control's answer for an access point that
	// does not exist.
	errNoSuchAccessPoint = def("NoSuchAccessPoint", http.StatusNotFound, "The specified accesspoint does not exist")
	// InvalidTag is S3's code for a tag that breaks the tagging rules.
	errInvalidTag = def("InvalidTag", http.StatusBadRequest, "The tag provided was not a valid tag.")
	// TooManyTagsException is the only too-many-tags code of the S3
	// Control model; AWS does not document which code TagResource uses
	// for directory buckets.
	errTooManyTags    = def("TooManyTagsException", http.StatusBadRequest, "The number of tags exceeds the limit of 50 tags.")
	errNotImplemented = def("NotImplemented", http.StatusNotImplemented, "zonal does not implement this S3 Control operation yet.")
	errMethod         = def("MethodNotAllowed", http.StatusMethodNotAllowed, "The specified method is not allowed against this resource.")
	errInternal       = def("InternalError", http.StatusInternalServerError, "We encountered an internal error. Please try again.")
	errUnavailable    = def("ServiceUnavailable", http.StatusServiceUnavailable, "Please reduce your request rate.")
)

// toError answers any error of a handler.
func toError(err error) *Error {
	var ce *Error
	if errors.As(err, &ce) {
		return ce
	}
	var se *s3err.Error
	if errors.As(err, &se) {
		return &Error{Code: se.Code, Status: se.Status, Message: se.Message, Cause: se.Cause}
	}
	var st *store.Error
	if errors.As(err, &st) {
		switch st.Kind {
		case store.NoSuchBucket:
			return errNoSuchBucket
		case store.NoSuchAccessPoint:
			return errNoSuchAccessPoint
		case store.InvalidTag:
			return errInvalidTag.Msg(st.Msg)
		case store.TooManyTags:
			return errTooManyTags
		case store.Unavailable:
			return &Error{Code: errUnavailable.Code, Status: errUnavailable.Status, Message: errUnavailable.Message, Cause: err}
		}
	}
	return &Error{Code: errInternal.Code, Status: errInternal.Status, Message: errInternal.Message, Cause: err}
}

type errorResponse struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
	HostID    string   `xml:"HostId"`
}

// writeError sends e in the wrapped form (no body for HEAD).
func writeError(w http.ResponseWriter, r *http.Request, e *Error, requestID, hostID string) {
	if r.Method == http.MethodHead {
		w.WriteHeader(e.Status)
		return
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	_ = xml.NewEncoder(&b).Encode(errorResponse{Code: e.Code, Message: e.Message, RequestID: requestID, HostID: hostID})
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(e.Status)
	_, _ = w.Write(b.Bytes())
}
