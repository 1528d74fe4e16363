package policy

import "fmt"

// Error codes carried by [Error]. AWS reports a malformed bucket policy with
// MalformedPolicy (S3) and a malformed identity policy with
// MalformedPolicyDocument (IAM); an identity policy over its size quota is
// LimitExceeded.
const (
	CodeMalformedPolicy         = "MalformedPolicy"
	CodeMalformedPolicyDocument = "MalformedPolicyDocument"
	CodeLimitExceeded           = "LimitExceeded"
)

// Error is a policy that failed validation. Code is the AWS error code for
// the policy kind; Message is the human-readable reason AWS would give.
type Error struct {
	Code    string
	Message string
	// TooLarge is set when the document exceeded Options.Limit.
	TooLarge bool
}

func (e *Error) Error() string { return "policy: " + e.Code + ": " + e.Message }

// errorf builds an *Error with the malformed-policy code of kind.
func errorf(kind Kind, format string, args ...any) *Error {
	code := CodeMalformedPolicy
	if kind == Identity {
		code = CodeMalformedPolicyDocument
	}
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}
