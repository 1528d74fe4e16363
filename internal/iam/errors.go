package iam

import (
	"errors"
	"fmt"
)

// Error codes of [Error], as the IAM API names them.
const (
	CodeNoSuchEntity            = "NoSuchEntity"
	CodeEntityAlreadyExists     = "EntityAlreadyExists"
	CodeDeleteConflict          = "DeleteConflict"
	CodeLimitExceeded           = "LimitExceeded"
	CodeMalformedPolicyDocument = "MalformedPolicyDocument"
	CodeInvalidInput            = "InvalidInput"
	CodeValidationError         = "ValidationError"
)

// Error is a refused identity-store operation, with the IAM error code and
// the message AWS gives for it. The IAM API turns it into an ErrorResponse.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return "iam: " + e.Code + ": " + e.Message }

// Is makes errors.Is match an *Error by code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

func errf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Sentinels for errors.Is: they match any *Error with the same code.
var (
	ErrNoSuchEntity        = &Error{Code: CodeNoSuchEntity}
	ErrEntityAlreadyExists = &Error{Code: CodeEntityAlreadyExists}
	ErrDeleteConflict      = &Error{Code: CodeDeleteConflict}
	ErrLimitExceeded       = &Error{Code: CodeLimitExceeded}
)

// ErrNoSuchAccount is returned for an account id the store does not hold.
var ErrNoSuchAccount = errors.New("iam: no such account")

func noSuchUser(name string) *Error {
	return errf(CodeNoSuchEntity, "The user with name %s cannot be found.", name)
}

func noSuchPolicy(arn string) *Error {
	return errf(CodeNoSuchEntity, "Policy %s does not exist or is not attachable.", arn)
}

func noSuchKey(id string) *Error {
	return errf(CodeNoSuchEntity, "The Access Key with id %s cannot be found.", id)
}

func noSuchUserPolicy(name string) *Error {
	return errf(CodeNoSuchEntity, "The user policy with name %s cannot be found.", name)
}
