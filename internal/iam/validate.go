package iam

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Quotas, as AWS's defaults.
const (
	MaxUsers              = 5000 // users per account
	MaxManagedPolicies    = 1500 // customer managed policies per account
	MaxKeysPerUser        = 2    // access keys per user
	MaxAttachedPerUser    = 10   // managed policies attached to one user
	MaxInlinePolicyBytes  = 2048 // all inline policies of a user together, without whitespace
	MaxTags               = 50   // tags per user or policy
	MaxPolicyDocumentSize = 131072
)

// validation builds AWS's ValidationError message for one member:
// "1 validation error detected: Value 'x' at 'userName' failed to satisfy
// constraint: Member must ...".
func validation(member, value, constraint string) *Error {
	return errf(CodeValidationError,
		"1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must %s",
		value, member, constraint)
}

// Missing is AWS's ValidationError for a required member that was not given.
func Missing(member string) *Error {
	return errf(CodeValidationError,
		"1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", member)
}

func checkLen(member, v string, min, max int) *Error {
	n := utf8.RuneCountInString(v)
	if n < min {
		return validation(member, v, fmt.Sprintf("have length greater than or equal to %d", min))
	}
	if n > max {
		return validation(member, v, fmt.Sprintf("have length less than or equal to %d", max))
	}
	return nil
}

// isNameChar reports whether c is in IAM's name class [\w+=,.@-].
func isNameChar(c rune) bool {
	return c == '_' || c == '+' || c == '=' || c == ',' || c == '.' || c == '@' || c == '-' ||
		'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// checkName validates a user or policy name: [\w+=,.@-]{1,max}.
func checkName(member, v string, max int) *Error {
	if err := checkLen(member, v, 1, max); err != nil {
		return err
	}
	for _, c := range v {
		if !isNameChar(c) {
			return validation(member, v, `satisfy regular expression pattern: [\w+=,.@-]+`)
		}
	}
	return nil
}

// ValidateUserName checks a user name as AWS does.
func ValidateUserName(v string) error { return nilIfOK(checkName("userName", v, 64)) }

// ValidatePolicyName checks an inline or managed policy name as AWS does.
func ValidatePolicyName(v string) error { return nilIfOK(checkName("policyName", v, 128)) }

// ValidatePath checks a user or policy path: "/" or "/x/.../" of printable
// ASCII, at most 512 characters.
func ValidatePath(v string) error { return nilIfOK(checkPath("path", v)) }

func checkPath(member, v string) *Error {
	if err := checkLen(member, v, 1, 512); err != nil {
		return err
	}
	ok := v == "/" || len(v) >= 3 && v[0] == '/' && v[len(v)-1] == '/'
	for i := 0; ok && i < len(v); i++ {
		ok = v[i] >= 0x21 && v[i] <= 0x7e
	}
	if !ok {
		return validation(member, v, `satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)`)
	}
	return nil
}

// ValidatePathPrefix checks a PathPrefix filter of the List actions.
func ValidatePathPrefix(v string) error {
	if err := checkLen("pathPrefix", v, 1, 512); err != nil {
		return err
	}
	ok := v[0] == '/'
	for i := 0; ok && i < len(v); i++ {
		ok = v[i] >= 0x21 && v[i] <= 0x7f
	}
	if !ok {
		return validation("pathPrefix", v, `satisfy regular expression pattern: \u002F[\u0021-\u007F]*`)
	}
	return nil
}

// ValidateAccessKeyID checks an access key id argument: [\w]{16,128}.
func ValidateAccessKeyID(v string) error {
	if err := checkLen("accessKeyId", v, 16, 128); err != nil {
		return err
	}
	for _, c := range v {
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return validation("accessKeyId", v, `satisfy regular expression pattern: [\w]+`)
		}
	}
	return nil
}

// ValidatePolicyARN checks the shape of a policy ARN argument.
func ValidatePolicyARN(v string) error {
	return nilIfOK(checkLen("policyArn", v, 20, 2048))
}

func checkDocument(v string) *Error {
	if err := checkLen("policyDocument", v, 1, MaxPolicyDocumentSize); err != nil {
		// AWS does not echo documents in this message.
		err.Message = strings.Replace(err.Message, "'"+v+"'", "'(policy document)'", 1)
		return err
	}
	return nil
}

func checkTags(tags []Tag) *Error {
	if len(tags) > MaxTags {
		return errf(CodeLimitExceeded, "The number of tags has reached the maximum limit.")
	}
	seen := map[string]bool{}
	for i, t := range tags {
		if err := checkLen(fmt.Sprintf("tags.%d.member.key", i+1), t.Key, 1, 128); err != nil {
			return err
		}
		if err := checkLen(fmt.Sprintf("tags.%d.member.value", i+1), t.Value, 0, 256); err != nil {
			return err
		}
		k := strings.ToLower(t.Key)
		if seen[k] {
			return errf(CodeInvalidInput, "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[k] = true
	}
	return nil
}

// nilIfOK turns a nil *Error into a nil error interface.
func nilIfOK(e *Error) error {
	if e == nil {
		return nil
	}
	return e
}

// policySize counts a JSON document's characters outside whitespace that
// is not inside a string, which is how AWS measures policy quotas.
func policySize(doc string) int {
	n, inStr, esc := 0, false, false
	for _, c := range doc {
		switch {
		case inStr:
			n++
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		default:
			n++
			if c == '"' {
				inStr = true
			}
		}
	}
	return n
}
