package policy

import "testing"

// TestEvaluateUnknownKeys: conditions on keys the request cannot know yet
// hold in Allow statements and fail in Deny ones; other conditions are
// evaluated as usual.
func TestEvaluateUnknownKeys(t *testing.T) {
	id := identityPolicy(t, `
		{"Effect":"Allow","Action":"s3express:CreateBucket","Resource":"*",
		 "Condition":{"StringEquals":{"aws:RequestTag/team":"data"},"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}},
		{"Effect":"Deny","Action":"s3express:CreateBucket","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"web"}}},
		{"Effect":"Allow","Action":"s3express:DeleteBucket","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}`)
	unknown := []string{"aws:requesttag/", "aws:tagkeys"}
	req := func(action string, unk []string) Request {
		return Request{Principal: aliceA, Action: action, Resource: bucketA, ResourceAccount: acctA,
			Context: map[string][]string{"aws:securetransport": {"false"}}, Unknown: unk}
	}
	for _, tc := range []struct {
		action string
		unk    []string
		want   Decision
	}{
		{"s3express:CreateBucket", nil, Deny},      // no tags: StringEquals fails
		{"s3express:CreateBucket", unknown, Allow}, // tags to come could satisfy it
		{"s3express:DeleteBucket", unknown, Deny},  // known keys still decide
	} {
		if got := Evaluate(req(tc.action, tc.unk), []*Policy{id}, nil); got != tc.want {
			t.Errorf("%s with Unknown %v: %v, want %v", tc.action, tc.unk, got, tc.want)
		}
	}
	// A Deny conditioned only on known keys still applies.
	deny := identityPolicy(t, `{"Effect":"Allow","Action":"*","Resource":"*"},
		{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`)
	if got := Evaluate(req("s3express:CreateBucket", unknown), []*Policy{deny}, nil); got != ExplicitDeny {
		t.Errorf("known-key Deny with Unknown keys: %v", got)
	}
}
