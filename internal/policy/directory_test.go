package policy

import (
	"errors"
	"testing"
)

// TestParseDirectory: the one validation of directory bucket and access
// point policies refuses a public grant by its statement, an action other
// than CreateSession and another resource, and accepts a pinned grant.
func TestParseDirectory(t *testing.T) {
	const arn = "arn:aws:s3express:us-east-1:111122223333:bucket/b--use1-az4--x-s3"
	stmt := func(principal, action, resource string) []byte {
		return []byte(`{"Version":"2012-10-17","Statement":[` +
			`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3express:CreateSession","Resource":"` + arn + `"},` +
			`{"Effect":"Allow","Principal":` + principal + `,"Action":"` + action + `","Resource":"` + resource + `"}]}`)
	}
	if _, err := ParseDirectory(stmt(`{"AWS":"arn:aws:iam::111122223333:root"}`, "s3express:CreateSession", arn), arn, LimitBucket, nil); err != nil {
		t.Fatalf("a private policy: %v", err)
	}
	var public *PublicError
	if _, err := ParseDirectory(stmt(`"*"`, "s3express:CreateSession", arn), arn, LimitBucket, nil); !errors.As(err, &public) || public.Statement != 1 {
		t.Fatalf("a grant to everyone: %v, want a PublicError for statement 1", err)
	}
	var pe *Error
	for what, doc := range map[string][]byte{
		"another action":   stmt(`{"AWS":"arn:aws:iam::111122223333:root"}`, "s3express:CreateBucket", arn),
		"another resource": stmt(`{"AWS":"arn:aws:iam::111122223333:root"}`, "s3express:CreateSession", arn+"x"),
	} {
		if _, err := ParseDirectory(doc, arn, LimitBucket, nil); !errors.As(err, &pe) {
			t.Errorf("%s: %v, want a policy *Error", what, err)
		}
	}
	reject := func(string) bool { return false }
	if _, err := ParseDirectory(stmt(`{"AWS":"arn:aws:iam::111122223333:root"}`, "s3express:CreateSession", arn), arn, LimitBucket, reject); !errors.As(err, &pe) {
		t.Errorf("an unknown principal: %v, want a policy *Error", err)
	}
}
