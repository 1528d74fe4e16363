package policy

import (
	"errors"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse as both kinds of policy, and
// evaluates whatever parses: neither may panic, and every failure must be
// an *Error.
func FuzzParse(f *testing.F) {
	for _, doc := range guidePolicies {
		f.Add([]byte(doc))
	}
	f.Add([]byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3express:*","Resource":"arn:aws:s3express:*:*:bucket/${aws:username}*"}}`))
	f.Add([]byte(`{"Statement":[{"Effect":"Deny","NotAction":"a:?","NotResource":"*","Condition":{"ForAllValues:StringNotLike":{"aws:TagKeys":["x*"]}}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		reqs := []Request{
			{Principal: Principal{Account: acctA, User: "alice"}, Action: "s3express:CreateSession", Resource: bucketA, ResourceAccount: acctA,
				Context: map[string][]string{"s3express:sessionmode": {"ReadOnly"}, "aws:sourceip": {"203.0.113.9"},
					"aws:currenttime": {"2026-03-01T12:00:00Z"}, "aws:tagkeys": {"a", "b"}, "aws:securetransport": {"true"}}},
			{Principal: Principal{Account: acctB}, Action: "s3express:CreateBucket", Resource: bucketA, ResourceAccount: acctA},
			{Principal: Principal{Service: "lifecycle.s3.amazonaws.com"}, Action: "x:y", Resource: "*"},
		}
		for _, kind := range []Kind{Identity, Resource} {
			for _, opts := range []Options{{}, {DirectoryBucket: true, Limit: LimitBucket, ResourceARN: bucketA}} {
				p, err := Parse(data, kind, opts)
				if err != nil {
					var pe *Error
					if !errors.As(err, &pe) || pe.Message == "" {
						t.Fatalf("bad error %T %v", err, err)
					}
					continue
				}
				for _, r := range reqs {
					if kind == Identity {
						EvaluateDetailed(r, []*Policy{p}, nil)
					} else {
						EvaluateDetailed(r, nil, p)
					}
				}
			}
		}
	})
}
