package policy

import (
	"errors"
	"strings"
	"testing"
)

const bucketARN = "arn:aws:s3express:us-west-2:111122223333:bucket/amzn-s3-demo-bucket--usw2-az1--x-s3"

// The example policies of the S3 Express user guide (reference §4.4).
var guidePolicies = map[string]string{
	"readwrite": `{"Version":"2012-10-17","Statement":[{"Sid":"ReadWriteAccess","Effect":"Allow",
 "Resource":"arn:aws:s3express:us-west-2:111122223333:bucket/amzn-s3-demo-bucket--usw2-az1--x-s3",
 "Principal":{"AWS":["arn:aws:iam::111122223333:root"]},"Action":["s3express:CreateSession"]}]}`,
	"readonly": `{"Version":"2012-10-17","Statement":[{"Sid":"ReadOnlyAccess","Effect":"Allow",
 "Principal":{"AWS":"111122223333"},"Action":"s3express:CreateSession","Resource":"*",
 "Condition":{"StringEquals":{"s3express:SessionMode":"ReadOnly"}}}]}`,
	"ssekms": `{"Version":"2012-10-17","Statement":[{"Sid":"DenyObjectsThatAreNotSSEKMS","Effect":"Deny",
 "Principal":"*","Action":"s3express:CreateSession",
 "Resource":"arn:aws:s3express:us-east-1:111122223333:bucket/amzn-s3-demo-bucket--usw2-az1--x-s3",
 "Condition":{"Null":{"s3express:x-amz-server-side-encryption-aws-kms-key-id":"true"}}}]}`,
	"lifecycle": `{"Version":"2012-10-17","Statement":[{"Sid":"Lifecycle","Effect":"Allow",
 "Principal":{"Service":"lifecycle.s3.amazonaws.com"},"Action":"s3express:CreateSession","Resource":"*",
 "Condition":{"StringEquals":{"s3express:SessionMode":"ReadWrite"}}}]}`,
	"localzone": `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*",
 "Action":"s3express:CreateSession","Resource":"*",
 "Condition":{"StringNotEqualsIfExists":{"s3express:AllAccessRestrictedToLocalZoneGroup":["us-east-1-dfw-2"]}}}]}`,
}

func TestParseGuidePolicies(t *testing.T) {
	for name, doc := range guidePolicies {
		for _, opts := range []Options{{}, {DirectoryBucket: true, Limit: LimitBucket}} {
			p, err := Parse([]byte(doc), Resource, opts)
			if err != nil {
				t.Errorf("%s %+v: %v", name, opts, err)
				continue
			}
			if p.Version != Version2012 || len(p.Statements) != 1 {
				t.Errorf("%s: version %q, %d statements", name, p.Version, len(p.Statements))
			}
		}
	}
}

func TestParseIdentityPolicy(t *testing.T) {
	doc := `{
	  "Version": "2012-10-17",
	  "Id": "regional",
	  "Statement": [
	    {"Sid": "Regional", "Effect": "Allow",
	     "Action": ["s3express:CreateBucket", "s3express:DeleteBucket", "s3express:PutBucketPolicy"],
	     "Resource": "arn:aws:s3express:us-west-2:111122223333:bucket/*"},
	    {"Effect": "Allow", "Action": ["s3express:ListAllMyDirectoryBuckets", "s3express:CreateSession"], "Resource": "*"},
	    {"Effect": "Deny", "NotAction": "s3express:*", "NotResource": ["arn:aws:s3express:*"]}
	  ]
	}`
	p, err := Parse([]byte(doc), Identity, Options{Limit: LimitManaged})
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != "regional" || len(p.Statements) != 3 || p.Statements[0].Sid != "Regional" {
		t.Fatalf("unexpected policy %+v", p)
	}
	st := p.Statements[2]
	if st.Effect != EffectDeny || st.NotAction == nil || st.NotResource == nil {
		t.Fatalf("statement 3 = %+v", st)
	}
	// A single statement object is accepted as well as a list.
	if _, err := Parse([]byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`), Identity, Options{}); err != nil {
		t.Fatal(err)
	}
}

func TestParseMalformed(t *testing.T) {
	const okStmt = `"Effect":"Allow","Principal":"*","Action":"s3express:CreateSession","Resource":"*"`
	cases := []struct {
		name string
		kind Kind
		opts Options
		doc  string
		code string
		msg  string
	}{
		{"not json", Resource, Options{}, `not json`, CodeMalformedPolicy, "Policies must be valid JSON and the first byte must be '{'"},
		{"array", Resource, Options{}, `[]`, CodeMalformedPolicy, "Policies must be valid JSON and the first byte must be '{'"},
		{"trailing", Resource, Options{}, `{"Statement":{` + okStmt + `}} {}`, CodeMalformedPolicy, "Policies must be valid JSON"},
		{"truncated", Identity, Options{}, `{"Statement":[`, CodeMalformedPolicyDocument, "Policies must be valid JSON"},
		{"duplicate key", Resource, Options{}, `{"Version":"2012-10-17","Version":"2012-10-17","Statement":{` + okStmt + `}}`, CodeMalformedPolicy, "Duplicate field Version"},
		{"duplicate stmt key", Resource, Options{}, `{"Statement":{"Effect":"Allow","Effect":"Deny","Principal":"*","Action":"a:b","Resource":"*"}}`, CodeMalformedPolicy, "Duplicate field Effect"},
		{"bad version", Resource, Options{}, `{"Version":"2012-10-18","Statement":{` + okStmt + `}}`, CodeMalformedPolicy, "Invalid policy version"},
		{"numeric version", Resource, Options{}, `{"Version":2012,"Statement":{` + okStmt + `}}`, CodeMalformedPolicy, "Invalid policy version"},
		{"unknown top field", Resource, Options{}, `{"Foo":1,"Statement":{` + okStmt + `}}`, CodeMalformedPolicy, "Unknown field Foo"},
		{"unknown stmt field", Identity, Options{}, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Foo":"x"}}`, CodeMalformedPolicyDocument, "Unknown field Foo"},
		{"no statement", Resource, Options{}, `{"Version":"2012-10-17"}`, CodeMalformedPolicy, "Missing required field Statement"},
		{"empty statement list", Resource, Options{}, `{"Statement":[]}`, CodeMalformedPolicy, "Statement is empty"},
		{"empty statement", Resource, Options{}, `{"Statement":{}}`, CodeMalformedPolicy, "Statement is empty"},
		{"statement not object", Resource, Options{}, `{"Statement":["x"]}`, CodeMalformedPolicy, "Statement must be an object"},
		{"missing effect", Resource, Options{}, `{"Statement":{"Principal":"*","Action":"a:b","Resource":"*"}}`, CodeMalformedPolicy, "Missing required field Effect"},
		{"bad effect", Resource, Options{}, `{"Statement":{"Effect":"allow","Principal":"*","Action":"a:b","Resource":"*"}}`, CodeMalformedPolicy, "Invalid effect: allow"},
		{"missing principal", Resource, Options{}, `{"Statement":{"Effect":"Allow","Action":"a:b","Resource":"*"}}`, CodeMalformedPolicy, "Missing required field Principal"},
		{"both principals", Resource, Options{}, `{"Statement":{"Effect":"Allow","Principal":"*","NotPrincipal":{"AWS":"111122223333"},"Action":"a:b","Resource":"*"}}`, CodeMalformedPolicy, "Statement cannot have both Principal and NotPrincipal"},
		{"principal in identity", Identity, Options{}, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"a:b","Resource":"*"}}`, CodeMalformedPolicyDocument, "Policy document should not specify a principal."},
		{"missing action", Resource, Options{}, `{"Statement":{"Effect":"Allow","Principal":"*","Resource":"*"}}`, CodeMalformedPolicy, "Missing required field Action"},
		{"both actions", Identity, Options{}, `{"Statement":{"Effect":"Allow","Action":"a:b","NotAction":"a:c","Resource":"*"}}`, CodeMalformedPolicyDocument, "Statement cannot have both Action and NotAction"},
		{"missing resource", Identity, Options{}, `{"Statement":{"Effect":"Allow","Action":"a:b"}}`, CodeMalformedPolicyDocument, "Missing required field Resource"},
		{"both resources", Identity, Options{}, `{"Statement":{"Effect":"Allow","Action":"a:b","Resource":"*","NotResource":"*"}}`, CodeMalformedPolicyDocument, "Statement cannot have both Resource and NotResource"},
		{"action no vendor", Resource, Options{}, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"CreateSession","Resource":"*"}}`, CodeMalformedPolicy, "Policy has invalid action"},
		{"action vendor wildcard", Identity, Options{}, `{"Statement":{"Effect":"Allow","Action":"s3*:Get","Resource":"*"}}`, CodeMalformedPolicyDocument, "Policy has invalid action"},
		{"action empty", Identity, Options{}, `{"Statement":{"Effect":"Allow","Action":"","Resource":"*"}}`, CodeMalformedPolicyDocument, "Policy has invalid action"},
		{"action empty list", Identity, Options{}, `{"Statement":{"Effect":"Allow","Action":[],"Resource":"*"}}`, CodeMalformedPolicyDocument, "Policy has invalid action"},
		{"action number", Identity, Options{}, `{"Statement":{"Effect":"Allow","Action":[1],"Resource":"*"}}`, CodeMalformedPolicyDocument, "Policy has invalid action"},
		{"directory other action", Resource, Options{DirectoryBucket: true}, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3express:CreateBucket","Resource":"*"}}`, CodeMalformedPolicy, "Policy has invalid action"},
		{"directory s3express:*", Resource, Options{DirectoryBucket: true}, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3express:*","Resource":"*"}}`, CodeMalformedPolicy, "Policy has invalid action"},
		{"directory *", Resource, Options{DirectoryBucket: true}, `{"Statement":{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}}`, CodeMalformedPolicy, "Policy has invalid action"},
		{"directory s3 action", Resource, Options{DirectoryBucket: true}, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}}`, CodeMalformedPolicy, "Policy has invalid action"},
		{"directory NotAction", Resource, Options{DirectoryBucket: true}, `{"Statement":{"Effect":"Allow","Principal":"*","NotAction":"s3express:CreateBucket","Resource":"*"}}`, CodeMalformedPolicy, "Policy has invalid action"},
		{"resource not arn", Resource, Options{}, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"a:b","Resource":"bucket"}}`, CodeMalformedPolicy, "Policy has invalid resource"},
		{"resource short arn", Resource, Options{}, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"a:b","Resource":"arn:aws:s3express"}}`, CodeMalformedPolicy, "Policy has invalid resource"},
		{"resource other bucket", Resource, Options{ResourceARN: bucketARN}, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"a:b","Resource":"arn:aws:s3express:us-west-2:111122223333:bucket/other--usw2-az1--x-s3"}}`, CodeMalformedPolicy, "Policy has invalid resource"},
		{"resource bad variable", Identity, Options{}, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"a:b","Resource":"arn:aws:s3express:r:1:bucket/${aws:username, dflt}"}}`, CodeMalformedPolicyDocument, "Policy has invalid resource"},
		{"principal string", Resource, Options{}, `{"Statement":{"Effect":"Allow","Principal":"111122223333","Action":"a:b","Resource":"*"}}`, CodeMalformedPolicy, "Invalid principal in policy"},
		{"principal short account", Resource, Options{}, `{"Statement":{"Effect":"Allow","Principal":{"AWS":"1111"},"Action":"a:b","Resource":"*"}}`, CodeMalformedPolicy, "Invalid principal in policy"},
		{"principal wildcard arn", Resource, Options{}, `{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::*:root"},"Action":"a:b","Resource":"*"}}`, CodeMalformedPolicy, "Invalid principal in policy"},
		{"principal user wildcard", Resource, Options{}, `{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/*"},"Action":"a:b","Resource":"*"}}`, CodeMalformedPolicy, "Invalid principal in policy"},
		{"principal bad type", Resource, Options{}, `{"Statement":{"Effect":"Allow","Principal":{"Users":"x"},"Action":"a:b","Resource":"*"}}`, CodeMalformedPolicy, "Invalid principal in policy"},
		{"principal empty", Resource, Options{}, `{"Statement":{"Effect":"Allow","Principal":{},"Action":"a:b","Resource":"*"}}`, CodeMalformedPolicy, "Invalid principal in policy"},
		{"principal empty list", Resource, Options{}, `{"Statement":{"Effect":"Allow","Principal":{"AWS":[]},"Action":"a:b","Resource":"*"}}`, CodeMalformedPolicy, "Invalid principal in policy"},
		{"principal s3 arn", Resource, Options{}, `{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:s3:::bucket"},"Action":"a:b","Resource":"*"}}`, CodeMalformedPolicy, "Invalid principal in policy"},
		{"principal rejected by hook", Resource, Options{ValidPrincipal: func(string) bool { return false }}, `{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/ghost"},"Action":"a:b","Resource":"*"}}`, CodeMalformedPolicy, "Invalid principal in policy"},
		{"sid not alnum", Identity, Options{}, `{"Statement":{"Sid":"a b","Effect":"Allow","Action":"a:b","Resource":"*"}}`, CodeMalformedPolicyDocument, "Statement IDs (SID) must be alpha-numeric"},
		{"sid duplicate", Identity, Options{}, `{"Statement":[{"Sid":"A","Effect":"Allow","Action":"a:b","Resource":"*"},{"Sid":"A","Effect":"Deny","Action":"a:b","Resource":"*"}]}`, CodeMalformedPolicyDocument, "Statement IDs (SID) in a single policy must be unique."},
		{"sid number", Identity, Options{}, `{"Statement":{"Sid":1,"Effect":"Allow","Action":"a:b","Resource":"*"}}`, CodeMalformedPolicyDocument, "Sid must be a string"},
		{"unknown operator", Identity, Options{}, `{"Statement":{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"StringEqualz":{"aws:x":"y"}}}}`, CodeMalformedPolicyDocument, "Invalid Condition type : StringEqualz"},
		{"NullIfExists", Identity, Options{}, `{"Statement":{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"NullIfExists":{"aws:x":"true"}}}}`, CodeMalformedPolicyDocument, "Invalid Condition type : NullIfExists"},
		{"condition not object", Identity, Options{}, `{"Statement":{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":"x"}}`, CodeMalformedPolicyDocument, "Condition must be an object"},
		{"operator empty", Identity, Options{}, `{"Statement":{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"StringEquals":{}}}}`, CodeMalformedPolicyDocument, "Condition operator StringEquals must map condition keys to values"},
		{"condition key no vendor", Identity, Options{}, `{"Statement":{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"StringEquals":{"SourceIp":"x"}}}}`, CodeMalformedPolicyDocument, "Policy has an invalid condition key: SourceIp"},
		{"condition key dup case", Identity, Options{}, `{"Statement":{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"StringEquals":{"aws:x":"1","AWS:X":"2"}}}}`, CodeMalformedPolicyDocument, "Duplicate condition key AWS:X under StringEquals"},
		{"condition value object", Identity, Options{}, `{"Statement":{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"StringEquals":{"aws:x":{"a":"b"}}}}}`, CodeMalformedPolicyDocument, "Invalid Condition value for key aws:x"},
		{"condition value null", Identity, Options{}, `{"Statement":{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"StringEquals":{"aws:x":null}}}}`, CodeMalformedPolicyDocument, "Invalid Condition value for key aws:x"},
		{"condition value empty list", Identity, Options{}, `{"Statement":{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"StringEquals":{"aws:x":[]}}}}`, CodeMalformedPolicyDocument, "Invalid Condition value for key aws:x"},
		{"bad number", Identity, Options{}, `{"Statement":{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"NumericLessThan":{"aws:x":"ten"}}}}`, CodeMalformedPolicyDocument, "Invalid Condition value for operator NumericLessThan: ten"},
		{"bad date", Identity, Options{}, `{"Statement":{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"tomorrow"}}}}`, CodeMalformedPolicyDocument, "Invalid Condition value for operator DateLessThan: tomorrow"},
		{"bad ip", Identity, Options{}, `{"Statement":{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"300.1.1.1/8"}}}}`, CodeMalformedPolicyDocument, "Invalid Condition value for operator IpAddress: 300.1.1.1/8"},
		{"bad bool", Identity, Options{}, `{"Statement":{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"yes"}}}}`, CodeMalformedPolicyDocument, "Invalid Condition value for operator Bool: yes"},
		{"bad null", Identity, Options{}, `{"Statement":{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"Null":{"aws:x":"maybe"}}}}`, CodeMalformedPolicyDocument, "Invalid Condition value for operator Null: maybe"},
		{"bad binary", Identity, Options{}, `{"Statement":{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"BinaryEquals":{"aws:x":"!!"}}}}`, CodeMalformedPolicyDocument, "Invalid Condition value for operator BinaryEquals: !!"},
		{"too large identity", Identity, Options{Limit: 40}, `{"Statement":{"Effect":"Allow","Action":"a:b","Resource":"*"}}`, CodeLimitExceeded, "Cannot exceed quota for PolicySize: 40"},
		{"too large bucket", Resource, Options{Limit: 40}, `{"Statement":{` + okStmt + `}}`, CodeMalformedPolicy, "Policy exceeds the maximum allowed document size."},
		{"too deep", Identity, Options{}, `{"Statement":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, CodeMalformedPolicyDocument, "Policies must be valid JSON"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Parse([]byte(c.doc), c.kind, c.opts)
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", p)
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v is not *Error", err, err)
			}
			if pe.Code != c.code || !strings.HasPrefix(pe.Message, c.msg) {
				t.Errorf("got %s %q, want %s %q", pe.Code, pe.Message, c.code, c.msg)
			}
			if pe.TooLarge != (c.code == CodeLimitExceeded || strings.Contains(c.name, "too large")) {
				t.Errorf("TooLarge = %v", pe.TooLarge)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	cases := []struct {
		name string
		kind Kind
		opts Options
		doc  string
	}{
		{"directory CreateSession wildcard", Resource, Options{DirectoryBucket: true}, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3express:CreateSess*","Resource":"*"}}`},
		{"directory mixed case", Resource, Options{DirectoryBucket: true}, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"S3Express:createsession","Resource":"*"}}`},
		{"directory ? wildcard", Resource, Options{DirectoryBucket: true}, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3express:CreateSessio?","Resource":"*"}}`},
		{"resource matches bucket", Resource, Options{ResourceARN: bucketARN}, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"a:b","Resource":["*","arn:aws:s3express:*:111122223333:bucket/*"]}}`},
		{"principal forms", Resource, Options{}, `{"Statement":{"Effect":"Allow","Action":"a:b","Resource":"*","Principal":{
			"AWS":["*","111122223333","arn:aws:iam::111122223333:root","arn:aws:iam::111122223333:user/path/name",
			"arn:aws:iam::111122223333:role/r","arn:aws:sts::111122223333:assumed-role/r/s","arn:aws:sts::111122223333:federated-user/f"],
			"Service":"lifecycle.s3.amazonaws.com","Federated":"cognito-identity.amazonaws.com","CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}}}`},
		{"AWS star", Resource, Options{}, `{"Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"a:b","Resource":"*"}}`},
		{"NotPrincipal", Resource, Options{}, `{"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"Action":"a:b","Resource":"*"}}`},
		{"bucket sid with spaces", Resource, Options{}, `{"Statement":{"Sid":"Allow get requests","Effect":"Allow","Principal":"*","Action":"a:b","Resource":"*"}}`},
		{"bucket duplicate sid", Resource, Options{}, `{"Statement":[{"Sid":"A","Effect":"Allow","Principal":"*","Action":"a:b","Resource":"*"},{"Sid":"A","Effect":"Allow","Principal":"*","Action":"a:c","Resource":"*"}]}`},
		{"empty condition", Identity, Options{}, `{"Statement":{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{}}}`},
		{"2008 literal variable", Identity, Options{}, `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"a:b","Resource":"arn:aws:s3express:r:1:bucket/${aws:username, dflt}"}}`},
		{"whitespace not counted", Identity, Options{Limit: 62}, "{ \"Statement\" :\n\t{ \"Effect\":\"Allow\", \"Action\":\"a:b\", \"Resource\":\"*\" } }"},
		{"condition numbers", Identity, Options{}, `{"Statement":{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"NumericLessThan":{"s3express:signatureAge":600000},"Bool":{"aws:SecureTransport":true}}}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Parse([]byte(c.doc), c.kind, c.opts); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestPolicySize(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
	}{
		{`{}`, 2},
		{"{ \n\t}", 2},
		{`{"a b": "c d"}`, 13},
		{`{"a\" b": 1}`, 11},
		{`{"a\\": 1 }`, 9},
	} {
		if got := policySize([]byte(c.in)); got != c.want {
			t.Errorf("policySize(%q) = %d, want %d", c.in, got, c.want)
		}
	}
}

func TestErrorString(t *testing.T) {
	_, err := Parse([]byte(`{`), Resource, Options{})
	if err == nil || !strings.Contains(err.Error(), "MalformedPolicy") {
		t.Fatalf("err = %v", err)
	}
	if _, err := Parse([]byte(`{}`), 0, Options{}); err == nil {
		t.Fatal("kind 0 accepted")
	}
}
