package policy

import "testing"

// benchSetup is a typical CreateSession check: a user of the owning
// account, two identity policies and a three-statement bucket policy.
func benchSetup(tb testing.TB) (Request, []*Policy, *Policy) {
	id1 := identityPolicy(tb, `
		{"Sid":"Regional","Effect":"Allow","Action":["s3express:CreateBucket","s3express:DeleteBucket","s3express:PutBucketPolicy"],
		 "Resource":"arn:aws:s3express:us-west-2:111122223333:bucket/*"},
		{"Sid":"Sessions","Effect":"Allow","Action":"s3express:CreateSession","Resource":"arn:aws:s3express:*:111122223333:bucket/*--x-s3",
		 "Condition":{"StringEquals":{"s3express:SessionMode":["ReadOnly","ReadWrite"]}}}`)
	id2 := identityPolicy(tb, `
		{"Sid":"NoDeletes","Effect":"Deny","Action":"s3express:DeleteBucket","Resource":"*"},
		{"Sid":"Home","Effect":"Allow","Action":"s3express:CreateSession","Resource":"arn:aws:s3express:*:*:bucket/${aws:username}--*"}`)
	bucket := bucketPolicy(tb, `
		{"Sid":"ReadOnlyAccount","Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3express:CreateSession","Resource":"*",
		 "Condition":{"StringEquals":{"s3express:SessionMode":"ReadOnly"}}},
		{"Sid":"DenyPlainHTTP","Effect":"Deny","Principal":"*","Action":"s3express:CreateSession","Resource":"*",
		 "Condition":{"Bool":{"aws:SecureTransport":"false"}}},
		{"Sid":"Office","Effect":"Deny","Principal":"*","Action":"s3express:CreateSession","Resource":"*",
		 "Condition":{"NotIpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]}}}`)
	req := createSession(aliceA, bucketA, acctA, map[string][]string{
		"s3express:sessionmode": {"ReadWrite"},
		"aws:securetransport":   {"true"},
		"aws:sourceip":          {"203.0.113.77"},
		"aws:currenttime":       {"2026-03-01T12:00:00Z"},
	})
	return req, []*Policy{id1, id2}, bucket
}

func BenchmarkEvaluate(b *testing.B) {
	req, identity, bucket := benchSetup(b)
	if d := Evaluate(req, identity, bucket); d != Allow {
		b.Fatalf("decision %v", d)
	}
	b.ReportAllocs()
	for b.Loop() {
		Evaluate(req, identity, bucket)
	}
}

func BenchmarkParse(b *testing.B) {
	doc := []byte(guidePolicies["readonly"])
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(doc, Resource, Options{DirectoryBucket: true}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestEvaluateDoesNotAllocate(t *testing.T) {
	req, identity, bucket := benchSetup(t)
	if n := testing.AllocsPerRun(100, func() { Evaluate(req, identity, bucket) }); n != 0 {
		t.Errorf("Evaluate allocates %v times per call", n)
	}
}
