package iamapi

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/zonal-dev/zonal/internal/auth"
	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/iam"
	"github.com/zonal-dev/zonal/internal/sigv4"
)

// apiError is an error answered in IAM's ErrorResponse shape.
type apiError struct {
	Code    string
	Status  int
	Message string
	Cause   error // internal cause of a 5xx, for the log only
}

func (e *apiError) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %s (%v)", e.Code, e.Message, e.Cause)
	}
	return e.Code + ": " + e.Message
}

func (e *apiError) Unwrap() error { return e.Cause }

// Error codes of the IAM and STS query APIs with their HTTP statuses.
var statusOf = map[string]int{
	iam.CodeNoSuchEntity:            http.StatusNotFound,
	iam.CodeEntityAlreadyExists:     http.StatusConflict,
	iam.CodeDeleteConflict:          http.StatusConflict,
	iam.CodeLimitExceeded:           http.StatusConflict,
	iam.CodeMalformedPolicyDocument: http.StatusBadRequest,
	iam.CodeInvalidInput:            http.StatusBadRequest,
	iam.CodeValidationError:         http.StatusBadRequest,
	"AccessDenied":                  http.StatusForbidden,
	"InvalidClientTokenId":          http.StatusForbidden,
	"SignatureDoesNotMatch":         http.StatusForbidden,
	"MissingAuthenticationToken":    http.StatusForbidden,
	"IncompleteSignature":           http.StatusBadRequest,
	"RequestExpired":                http.StatusBadRequest,
	"InvalidAction":                 http.StatusBadRequest,
	"MissingAction":                 http.StatusBadRequest,
	"MalformedQueryString":          http.StatusBadRequest,
	"RequestEntityTooLarge":         http.StatusRequestEntityTooLarge,
	"ServiceFailure":                http.StatusInternalServerError,
	"ServiceUnavailable":            http.StatusServiceUnavailable,
}

func apiErr(code, format string, args ...any) *apiError {
	st, ok := statusOf[code]
	if !ok {
		st = http.StatusBadRequest
	}
	return &apiError{Code: code, Status: st, Message: fmt.Sprintf(format, args...)}
}

const (
	msgInvalidToken = "The security token included in the request is invalid."
	msgSignature    = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)

// asAPIError converts any error of the identity store, the SigV4 verifier
// or the handler into the error the client sees.
func asAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	if errors.Is(err, catalog.ErrUnavailable) {
		// The shared catalog is out of reach: a retry may succeed.
		return &apiError{Code: "ServiceUnavailable", Status: http.StatusServiceUnavailable,
			Message: "The service is unavailable. Please try again.", Cause: err}
	}
	var ie *iam.Error
	if errors.As(err, &ie) {
		return apiErr(ie.Code, "%s", ie.Message)
	}
	var se *sigv4.Error
	if errors.As(err, &se) {
		return fromSigV4(se)
	}
	var au *auth.Error
	if errors.As(err, &au) {
		return fromAuth(au)
	}
	return &apiError{Code: "ServiceFailure", Status: http.StatusInternalServerError,
		Message: "An internal error occurred. Please try again.", Cause: err}
}

// fromSigV4 is the one mapping of SigV4 faults to the codes the IAM and
// STS endpoints use for them, by kind.
func fromSigV4(e *sigv4.Error) *apiError {
	switch e.Kind {
	case sigv4.NoAuth:
		return apiErr("MissingAuthenticationToken", "Request is missing Authentication Token")
	case sigv4.BadSignature:
		return apiErr("SignatureDoesNotMatch", msgSignature)
	case sigv4.Skewed, sigv4.Expired:
		return apiErr("RequestExpired", "Request has expired.")
	case sigv4.UnsignedHeader:
		return apiErr("AccessDenied", "%s: %s", e.Message, e.Value)
	}
	// Malformed headers and queries, other mechanisms, no date, a payload
	// hash IAM does not know: AWS's wording of the fault.
	msg := e.Message
	if msg == "" {
		msg = e.Kind.String()
	}
	return apiErr("IncompleteSignature", "%s", msg)
}

// fromAuth maps the other authentication faults, by kind.
func fromAuth(e *auth.Error) *apiError {
	switch e.Kind {
	case auth.WrongService:
		return apiErr("SignatureDoesNotMatch", "Credential should be scoped to correct service: 'iam'. ")
	case auth.Internal:
		return &apiError{Code: "ServiceFailure", Status: http.StatusInternalServerError,
			Message: "An internal error occurred. Please try again.", Cause: e.Err}
	}
	// A token, an unknown key, a session token that does not open.
	return apiErr("InvalidClientTokenId", msgInvalidToken)
}
