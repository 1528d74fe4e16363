package policy

import (
	"fmt"
	"testing"
)

const (
	acctA   = "111122223333"
	acctB   = "444455556666"
	bucketA = "arn:aws:s3express:us-west-2:111122223333:bucket/amzn-s3-demo-bucket--usw2-az1--x-s3"
	bucketB = "arn:aws:s3express:us-west-2:444455556666:bucket/shared--usw2-az1--x-s3"
)

func mustParse(t testing.TB, kind Kind, doc string) *Policy {
	t.Helper()
	p, err := Parse([]byte(doc), kind, Options{})
	if err != nil {
		t.Fatalf("Parse(%s): %v", doc, err)
	}
	return p
}

func identityPolicy(t testing.TB, stmts string) *Policy {
	return mustParse(t, Identity, `{"Version":"2012-10-17","Statement":[`+stmts+`]}`)
}

func bucketPolicy(t testing.TB, stmts string) *Policy {
	return mustParse(t, Resource, `{"Version":"2012-10-17","Statement":[`+stmts+`]}`)
}

func createSession(p Principal, bucket, owner string, ctx map[string][]string) Request {
	return Request{Principal: p, Action: "s3express:CreateSession", Resource: bucket, ResourceAccount: owner, Context: ctx}
}

var (
	rootA  = Principal{Account: acctA}
	aliceA = Principal{Account: acctA, User: "alice"}
	rootB  = Principal{Account: acctB}
	bobB   = Principal{Account: acctB, User: "bob"}
)

func TestEvaluateSameAccount(t *testing.T) {
	allowIdentity := identityPolicy(t, `{"Sid":"Id","Effect":"Allow","Action":"s3express:CreateSession","Resource":"*"}`)
	denyIdentity := identityPolicy(t, `{"Sid":"IdDeny","Effect":"Deny","Action":"s3express:*","Resource":"*"}`)
	otherBucket := identityPolicy(t, `{"Effect":"Allow","Action":"s3express:CreateSession","Resource":"arn:aws:s3express:*:111122223333:bucket/other*"}`)
	allowAlice := bucketPolicy(t, `{"Sid":"Alice","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"s3express:CreateSession","Resource":"*"}`)
	allowAccount := bucketPolicy(t, `{"Sid":"Acct","Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3express:CreateSession","Resource":"*"}`)
	allowStar := bucketPolicy(t, `{"Sid":"Star","Effect":"Allow","Principal":"*","Action":"s3express:CreateSession","Resource":"*"}`)
	denyBucket := bucketPolicy(t, `{"Sid":"Allow","Effect":"Allow","Principal":"*","Action":"s3express:CreateSession","Resource":"*"},
		{"Sid":"BucketDeny","Effect":"Deny","Principal":{"AWS":"111122223333"},"Action":"s3express:CreateSession","Resource":"*"}`)

	cases := []struct {
		name     string
		p        Principal
		identity []*Policy
		resource *Policy
		want     Decision
		by       Source
		sid      string
	}{
		{"nothing", aliceA, nil, nil, Deny, SourceNone, ""},
		{"identity only", aliceA, []*Policy{allowIdentity}, nil, Allow, SourceIdentity, "Id"},
		{"identity other resource", aliceA, []*Policy{otherBucket}, nil, Deny, SourceNone, ""},
		{"bucket names user", aliceA, nil, allowAlice, Allow, SourceResource, "Alice"},
		{"bucket names star", aliceA, nil, allowStar, Allow, SourceResource, "Star"},
		{"bucket names account only delegates", aliceA, nil, allowAccount, Deny, SourceNone, ""},
		{"bucket names account plus identity", aliceA, []*Policy{allowIdentity}, allowAccount, Allow, SourceIdentity, "Id"},
		{"identity deny beats bucket allow", aliceA, []*Policy{denyIdentity}, allowAlice, ExplicitDeny, SourceIdentity, "IdDeny"},
		{"identity deny beats identity allow", aliceA, []*Policy{allowIdentity, denyIdentity}, nil, ExplicitDeny, SourceIdentity, "IdDeny"},
		{"bucket deny beats identity allow", aliceA, []*Policy{allowIdentity}, denyBucket, ExplicitDeny, SourceResource, "BucketDeny"},
		{"root implicit allow", rootA, nil, nil, Allow, SourceRoot, ""},
		{"root with unrelated bucket policy", rootA, nil, allowAlice, Allow, SourceRoot, ""},
		{"root denied by bucket policy", rootA, nil, denyBucket, ExplicitDeny, SourceResource, "BucketDeny"},
		{"bucket names account for root", rootA, nil, allowAccount, Allow, SourceRoot, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := EvaluateDetailed(createSession(c.p, bucketA, acctA, nil), c.identity, c.resource)
			if r.Decision != c.want || r.By.Source != c.by || r.By.Sid != c.sid {
				t.Errorf("got %v by %v %q, want %v by %v %q", r.Decision, r.By.Source, r.By.Sid, c.want, c.by, c.sid)
			}
			if !r.SameAccount {
				t.Error("SameAccount false")
			}
			if d := Evaluate(createSession(c.p, bucketA, acctA, nil), c.identity, c.resource); d != c.want {
				t.Errorf("Evaluate = %v, EvaluateDetailed = %v", d, r.Decision)
			}
		})
	}
}

func TestEvaluateCrossAccount(t *testing.T) {
	// bob in account B accesses a bucket of account A.
	bobIdentity := identityPolicy(t, `{"Sid":"BobId","Effect":"Allow","Action":"s3express:CreateSession","Resource":"arn:aws:s3express:*:111122223333:bucket/*"}`)
	bobDenied := identityPolicy(t, `{"Sid":"BobDeny","Effect":"Deny","Action":"*","Resource":"*"}`)
	grantB := bucketPolicy(t, `{"Sid":"CrossAccount","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"s3express:CreateSession","Resource":"`+bucketA+`"}`)
	grantBob := bucketPolicy(t, `{"Sid":"Bob","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:user/bob"},"Action":"s3express:CreateSession","Resource":"*"}`)
	grantStar := bucketPolicy(t, `{"Sid":"Star","Effect":"Allow","Principal":"*","Action":"s3express:CreateSession","Resource":"*"}`)
	grantOther := bucketPolicy(t, `{"Effect":"Allow","Principal":{"AWS":"999988887777"},"Action":"s3express:CreateSession","Resource":"*"}`)

	cases := []struct {
		name     string
		p        Principal
		identity []*Policy
		resource *Policy
		want     Decision
	}{
		{"identity only", bobB, []*Policy{bobIdentity}, nil, Deny},
		{"bucket only", bobB, nil, grantBob, Deny},
		{"bucket account only", bobB, nil, grantB, Deny},
		{"both, account", bobB, []*Policy{bobIdentity}, grantB, Allow},
		{"both, user", bobB, []*Policy{bobIdentity}, grantBob, Allow},
		{"both, star", bobB, []*Policy{bobIdentity}, grantStar, Allow},
		{"bucket names someone else", bobB, []*Policy{bobIdentity}, grantOther, Deny},
		{"identity deny", bobB, []*Policy{bobIdentity, bobDenied}, grantBob, ExplicitDeny},
		{"root of B needs bucket policy", rootB, nil, nil, Deny},
		{"root of B with bucket policy", rootB, nil, grantB, Allow},
		{"root of B with star", rootB, nil, grantStar, Allow},
		{"root of B not named", rootB, nil, grantOther, Deny},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := EvaluateDetailed(createSession(c.p, bucketA, acctA, nil), c.identity, c.resource)
			if r.Decision != c.want {
				t.Errorf("got %v, want %v (%+v)", r.Decision, c.want, r)
			}
			if r.SameAccount {
				t.Error("SameAccount true")
			}
			if c.want == Allow && r.By.Source != SourceResource {
				t.Errorf("By = %+v, want the resource statement", r.By)
			}
		})
	}
}

func TestEvaluateServiceAndAnonymous(t *testing.T) {
	lifecycle := mustParse(t, Resource, guidePolicies["lifecycle"])
	svc := Principal{Service: "lifecycle.s3.amazonaws.com"}
	rw := kv("s3express:sessionmode", "ReadWrite")
	ro := kv("s3express:sessionmode", "ReadOnly")
	if d := Evaluate(createSession(svc, bucketA, acctA, rw), nil, lifecycle); d != Allow {
		t.Errorf("lifecycle ReadWrite = %v", d)
	}
	if d := Evaluate(createSession(svc, bucketA, acctA, ro), nil, lifecycle); d != Deny {
		t.Errorf("lifecycle ReadOnly = %v", d)
	}
	if d := Evaluate(createSession(Principal{Service: "other.amazonaws.com"}, bucketA, acctA, rw), nil, lifecycle); d != Deny {
		t.Errorf("other service = %v", d)
	}
	if d := Evaluate(createSession(Principal{}, bucketA, acctA, rw), nil, lifecycle); d != Deny {
		t.Errorf("anonymous = %v", d)
	}
	public := bucketPolicy(t, `{"Effect":"Allow","Principal":"*","Action":"s3express:CreateSession","Resource":"*"}`)
	if d := Evaluate(createSession(Principal{}, bucketA, acctA, nil), nil, public); d != Allow {
		t.Errorf("anonymous with public policy = %v", d)
	}
}

// The ReadOnly-only bucket policy of the user guide lets an account's
// principals create ReadOnly sessions and refuses ReadWrite ones.
func TestEvaluateSessionModeReadOnly(t *testing.T) {
	ro := mustParse(t, Resource, guidePolicies["readonly"])
	userPolicy := identityPolicy(t, `{"Effect":"Allow","Action":"s3express:CreateSession","Resource":"*",
		"Condition":{"StringEquals":{"s3express:SessionMode":"ReadOnly"}}}`)
	for _, c := range []struct {
		p        Principal
		identity []*Policy
		mode     string
		want     Decision
	}{
		{rootA, nil, "ReadOnly", Allow},
		{rootB, nil, "ReadOnly", Deny}, // account B is not named
		{aliceA, []*Policy{userPolicy}, "ReadOnly", Allow},
		{aliceA, []*Policy{userPolicy}, "ReadWrite", Deny},
		{aliceA, nil, "ReadOnly", Deny}, // account grant only delegates
	} {
		// A cross-account check of the same policy: account A is named, so
		// account A's root reaches a bucket owned by B only in ReadOnly mode.
		req := createSession(c.p, bucketA, acctA, kv("s3express:sessionmode", c.mode))
		if d := Evaluate(req, c.identity, ro); d != c.want {
			t.Errorf("%+v %s: got %v, want %v", c.p, c.mode, d, c.want)
		}
	}
	for mode, want := range map[string]Decision{"ReadOnly": Allow, "ReadWrite": Deny} {
		req := createSession(rootA, bucketB, acctB, kv("s3express:sessionmode", mode))
		if d := Evaluate(req, nil, ro); d != want {
			t.Errorf("cross-account root %s: got %v, want %v", mode, d, want)
		}
	}
}

func TestEvaluateSSEKMSDeny(t *testing.T) {
	p := mustParse(t, Resource, guidePolicies["ssekms"])
	allow := identityPolicy(t, `{"Effect":"Allow","Action":"s3express:CreateSession","Resource":"*"}`)
	const b = "arn:aws:s3express:us-east-1:111122223333:bucket/amzn-s3-demo-bucket--usw2-az1--x-s3"
	req := createSession(aliceA, b, acctA, nil)
	if d := Evaluate(req, []*Policy{allow}, p); d != ExplicitDeny {
		t.Errorf("without key id: %v", d)
	}
	req.Context = kv("s3express:x-amz-server-side-encryption-aws-kms-key-id", "arn:aws:kms:us-east-1:111122223333:key/k")
	if d := Evaluate(req, []*Policy{allow}, p); d != Allow {
		t.Errorf("with key id: %v", d)
	}
}

func TestEvaluateSourceIPAndSecureTransport(t *testing.T) {
	p := bucketPolicy(t, `
		{"Sid":"AllowOffice","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"s3express:CreateSession","Resource":"*",
		 "Condition":{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]}}},
		{"Sid":"DenyPlainHTTP","Effect":"Deny","Principal":"*","Action":"s3express:CreateSession","Resource":"*",
		 "Condition":{"Bool":{"aws:SecureTransport":"false"}}}`)
	for _, c := range []struct {
		ip, tls string
		want    Decision
		sid     string
	}{
		{"203.0.113.10", "true", Allow, "AllowOffice"},
		{"2001:db8::5", "true", Allow, "AllowOffice"},
		{"198.51.100.1", "true", Deny, ""},
		{"203.0.113.10", "false", ExplicitDeny, "DenyPlainHTTP"},
		{"198.51.100.1", "false", ExplicitDeny, "DenyPlainHTTP"},
	} {
		req := createSession(aliceA, bucketA, acctA, kv("aws:sourceip", c.ip, "aws:securetransport", c.tls))
		r := EvaluateDetailed(req, nil, p)
		if r.Decision != c.want || r.By.Sid != c.sid {
			t.Errorf("%s tls=%s: got %v %q, want %v %q", c.ip, c.tls, r.Decision, r.By.Sid, c.want, c.sid)
		}
	}
}

func TestEvaluateCurrentTime(t *testing.T) {
	p := identityPolicy(t, `{"Effect":"Allow","Action":"s3express:CreateSession","Resource":"*",
		"Condition":{"DateLessThan":{"aws:CurrentTime":"2026-12-31T23:59:59Z"},"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}}`)
	for now, want := range map[string]Decision{
		"2026-06-15T10:00:00Z": Allow,
		"2027-01-01T00:00:00Z": Deny,
		"2025-12-31T23:00:00Z": Deny,
	} {
		req := createSession(aliceA, bucketA, acctA, kv("aws:currenttime", now))
		if d := Evaluate(req, []*Policy{p}, nil); d != want {
			t.Errorf("%s: got %v, want %v", now, d, want)
		}
	}
	if d := Evaluate(createSession(aliceA, bucketA, acctA, nil), []*Policy{p}, nil); d != Deny {
		t.Errorf("no aws:CurrentTime: %v", d)
	}
}

func TestEvaluateUsernameInResource(t *testing.T) {
	p := identityPolicy(t, `{"Effect":"Allow","Action":"s3express:CreateSession",
		"Resource":"arn:aws:s3express:us-west-2:111122223333:bucket/${aws:username}--usw2-az1--x-s3"}`)
	own := "arn:aws:s3express:us-west-2:111122223333:bucket/alice--usw2-az1--x-s3"
	other := "arn:aws:s3express:us-west-2:111122223333:bucket/bob--usw2-az1--x-s3"
	if d := Evaluate(createSession(aliceA, own, acctA, nil), []*Policy{p}, nil); d != Allow {
		t.Errorf("own bucket: %v", d)
	}
	if d := Evaluate(createSession(aliceA, other, acctA, nil), []*Policy{p}, nil); d != Deny {
		t.Errorf("other bucket: %v", d)
	}
	// The variable's value is literal: a user called "*" gets no wildcard.
	star := Principal{Account: acctA, User: "*"}
	if d := Evaluate(createSession(star, own, acctA, nil), []*Policy{p}, nil); d != Deny {
		t.Errorf("user '*': %v", d)
	}
	// A root caller has no aws:username; root is allowed anyway, but the
	// statement itself must not match.
	r := EvaluateDetailed(createSession(rootA, own, acctA, nil), []*Policy{p}, nil)
	if r.Identity.Source != SourceNone {
		t.Errorf("statement with ${aws:username} matched for root: %+v", r)
	}
	// Version 2008-10-17 does not substitute.
	old := mustParse(t, Identity, `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3express:CreateSession",
		"Resource":"arn:aws:s3express:us-west-2:111122223333:bucket/${aws:username}--usw2-az1--x-s3"}}`)
	if d := Evaluate(createSession(aliceA, own, acctA, nil), []*Policy{old}, nil); d != Deny {
		t.Errorf("2008 policy: %v", d)
	}
}

func TestEvaluateNotActionNotResourceNotPrincipal(t *testing.T) {
	p := identityPolicy(t, `{"Effect":"Allow","NotAction":"s3express:DeleteBucket","NotResource":"arn:aws:s3express:*:*:bucket/secret*"}`)
	for _, c := range []struct {
		action, resource string
		want             Decision
	}{
		{"s3express:CreateSession", bucketA, Allow},
		{"s3express:DeleteBucket", bucketA, Deny},
		{"s3express:CreateSession", "arn:aws:s3express:us-west-2:111122223333:bucket/secret--usw2-az1--x-s3", Deny},
	} {
		req := Request{Principal: aliceA, Action: c.action, Resource: c.resource, ResourceAccount: acctA}
		if d := Evaluate(req, []*Policy{p}, nil); d != c.want {
			t.Errorf("%s %s: got %v, want %v", c.action, c.resource, d, c.want)
		}
	}
	// NotResource with an unresolvable variable: the statement does not apply.
	nv := identityPolicy(t, `{"Effect":"Allow","Action":"*","NotResource":"arn:aws:s3express:*:*:bucket/${aws:nope}"}`)
	if d := Evaluate(createSession(aliceA, bucketA, acctA, nil), []*Policy{nv}, nil); d != Deny {
		t.Errorf("unresolved NotResource: %v", d)
	}
	// NotPrincipal: deny everyone but alice.
	np := bucketPolicy(t, `{"Sid":"Star","Effect":"Allow","Principal":"*","Action":"s3express:CreateSession","Resource":"*"},
		{"Sid":"OnlyAlice","Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"s3express:CreateSession","Resource":"*"}`)
	if d := Evaluate(createSession(aliceA, bucketA, acctA, nil), nil, np); d != Allow {
		t.Errorf("alice: %v", d)
	}
	if d := Evaluate(createSession(Principal{Account: acctA, User: "mallory"}, bucketA, acctA, nil), nil, np); d != ExplicitDeny {
		t.Errorf("mallory: %v", d)
	}
}

func TestEvaluateResourceAccountAndMixedCaseContext(t *testing.T) {
	p := identityPolicy(t, `{"Effect":"Allow","Action":"s3express:CreateSession","Resource":"*",
		"Condition":{"StringEquals":{"s3express:ResourceAccount":"111122223333","aws:PrincipalAccount":"111122223333"},
		"StringEqualsIgnoreCase":{"aws:PrincipalType":"user"}}}`)
	if d := Evaluate(createSession(aliceA, bucketA, acctA, nil), []*Policy{p}, nil); d != Allow {
		t.Errorf("derived keys: %v", d)
	}
	q := identityPolicy(t, `{"Effect":"Allow","Action":"s3express:CreateSession","Resource":"*",
		"Condition":{"StringEquals":{"s3express:SessionMode":"ReadOnly"}}}`)
	req := createSession(aliceA, bucketA, acctA, map[string][]string{"S3Express:SessionMode": {"ReadOnly"}})
	if d := Evaluate(req, []*Policy{q}, nil); d != Allow {
		t.Errorf("mixed-case context key: %v", d)
	}
}

func TestEvaluateEmptyResourceAccountIsSameAccount(t *testing.T) {
	p := identityPolicy(t, `{"Effect":"Allow","Action":"s3express:ListAllMyDirectoryBuckets","Resource":"*"}`)
	req := Request{Principal: aliceA, Action: "s3express:ListAllMyDirectoryBuckets", Resource: "*"}
	if r := EvaluateDetailed(req, []*Policy{p, nil}, nil); r.Decision != Allow || !r.SameAccount {
		t.Errorf("got %+v", r)
	}
}

func TestDecisionStrings(t *testing.T) {
	for _, s := range []fmt.Stringer{Deny, Allow, ExplicitDeny, Decision(9), SourceNone, SourceIdentity, SourceResource, SourceRoot,
		EffectAllow, EffectDeny, Effect(0), Identity, Resource, Kind(0)} {
		if s.String() == "" {
			t.Errorf("%#v has empty String", s)
		}
	}
}

func TestEvaluateConcurrent(t *testing.T) {
	req, identity, bucket := benchSetup(t)
	home := identityPolicy(t, `{"Effect":"Allow","Action":"s3express:CreateSession","Resource":"arn:aws:s3express:*:*:bucket/${aws:username}--*",
		"Condition":{"StringLike":{"s3express:SessionMode":"Read${aws:mode, 'Only'}"}}}`)
	own := createSession(aliceA, "arn:aws:s3express:us-west-2:111122223333:bucket/alice--usw2-az1--x-s3", acctA, kv("s3express:sessionmode", "ReadOnly"))
	done := make(chan bool)
	for range 8 {
		go func() {
			ok := true
			for range 200 {
				ok = ok && Evaluate(req, identity, bucket) == Allow && Evaluate(own, []*Policy{home}, nil) == Allow
			}
			done <- ok
		}()
	}
	for range 8 {
		if !<-done {
			t.Error("concurrent evaluation disagreed")
		}
	}
}
