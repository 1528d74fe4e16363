package policy

import (
	"fmt"
	"testing"
)

// condHolds parses an identity policy with a single Allow statement whose
// only condition is {op: {key: values}} and reports whether it allows a
// request with ctx.
func condHolds(t *testing.T, op, key, values string, ctx map[string][]string) bool {
	t.Helper()
	doc := fmt.Sprintf(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*",
		"Condition":{%q:{%q:%s}}}}`, op, key, values)
	p, err := Parse([]byte(doc), Identity, Options{})
	if err != nil {
		t.Fatalf("Parse(%s): %v", doc, err)
	}
	req := Request{
		Principal:       Principal{Account: "111122223333", User: "alice"},
		Action:          "s3express:CreateSession",
		Resource:        "arn:aws:s3express:us-east-1:111122223333:bucket/b--use1-az4--x-s3",
		ResourceAccount: "111122223333",
		Context:         ctx,
	}
	return Evaluate(req, []*Policy{p}, nil) == Allow
}

func kv(pairs ...string) map[string][]string {
	m := map[string][]string{}
	for i := 0; i < len(pairs); i += 2 {
		m[pairs[i]] = append(m[pairs[i]], pairs[i+1])
	}
	return m
}

type condCase struct {
	op, key, values string
	ctx             map[string][]string
	want            bool
}

func runCondCases(t *testing.T, cases []condCase) {
	t.Helper()
	for _, c := range cases {
		name := fmt.Sprintf("%s/%s=%s/%v", c.op, c.key, c.values, c.ctx)
		t.Run(name, func(t *testing.T) {
			if got := condHolds(t, c.op, c.key, c.values, c.ctx); got != c.want {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

var none = map[string][]string{}

func TestStringOperators(t *testing.T) {
	const k = "s3express:SessionMode"
	ro := kv("s3express:sessionmode", "ReadOnly")
	rw := kv("s3express:sessionmode", "ReadWrite")
	runCondCases(t, []condCase{
		{"StringEquals", k, `"ReadOnly"`, ro, true},
		{"StringEquals", k, `"ReadOnly"`, rw, false},
		{"StringEquals", k, `"readonly"`, ro, false},              // values are case-sensitive
		{"StringEquals", k, `["ReadWrite","ReadOnly"]`, ro, true}, // values ORed
		{"StringEquals", k, `"ReadOnly"`, none, false},
		{"StringEquals", k, `"Read*"`, ro, false},                         // no wildcards in StringEquals
		{"StringEquals", "S3EXPRESS:SESSIONMODE", `"ReadOnly"`, ro, true}, // keys ignore case
		{"StringEquals", k, `"ReadOnly"`, map[string][]string{"S3Express:SessionMode": {"ReadOnly"}}, true},
		{"StringNotEquals", k, `"ReadOnly"`, ro, false},
		{"StringNotEquals", k, `"ReadOnly"`, rw, true},
		{"StringNotEquals", k, `["ReadOnly","ReadWrite"]`, rw, false}, // NOR
		{"StringNotEquals", k, `"ReadOnly"`, none, true},              // negated, absent: true
		{"StringEqualsIgnoreCase", k, `"readonly"`, ro, true},
		{"StringEqualsIgnoreCase", k, `"readwrite"`, ro, false},
		{"StringEqualsIgnoreCase", k, `"readonly"`, none, false},
		{"StringNotEqualsIgnoreCase", k, `"READONLY"`, ro, false},
		{"StringNotEqualsIgnoreCase", k, `"READWRITE"`, ro, true},
		{"StringNotEqualsIgnoreCase", k, `"READWRITE"`, none, true},
		{"StringLike", k, `"Read*"`, ro, true},
		{"StringLike", k, `"Read?nly"`, ro, true},
		{"StringLike", k, `"read*"`, ro, false}, // case-sensitive
		{"StringLike", k, `"*Write"`, ro, false},
		{"StringLike", k, `"*"`, none, false},
		{"StringNotLike", k, `"*Write"`, ro, true},
		{"StringNotLike", k, `"*Only"`, ro, false},
		{"StringNotLike", k, `"*Only"`, none, true},
		{"StringEqualsIfExists", k, `"ReadOnly"`, none, true},
		{"StringEqualsIfExists", k, `"ReadOnly"`, rw, false},
		{"StringEqualsIfExists", k, `"ReadOnly"`, ro, true},
		{"StringNotEqualsIfExists", k, `"ReadOnly"`, ro, false},
		{"StringNotEqualsIfExists", k, `"ReadOnly"`, none, true},
		{"StringLikeIfExists", k, `"*Write"`, ro, false},
		{"StringNotLikeIfExists", k, `"*Write"`, none, true},
		{"StringEqualsIgnoreCaseIfExists", k, `"x"`, none, true},
		{"StringNotEqualsIgnoreCaseIfExists", k, `"readonly"`, ro, false},
		// JSON numbers and booleans are compared as their text.
		{"StringEquals", "aws:x", `42`, kv("aws:x", "42"), true},
		{"StringEquals", "aws:x", `true`, kv("aws:x", "true"), true},
	})
}

func TestNumericOperators(t *testing.T) {
	const k = "s3express:signatureAge"
	v := kv("s3express:signatureage", "100")
	runCondCases(t, []condCase{
		{"NumericEquals", k, `"100"`, v, true},
		{"NumericEquals", k, `100`, v, true},
		{"NumericEquals", k, `"100.0"`, v, true},
		{"NumericEquals", k, `"99"`, v, false},
		{"NumericEquals", k, `["1","100"]`, v, true},
		{"NumericEquals", k, `"100"`, none, false},
		{"NumericEquals", k, `"100"`, kv("s3express:signatureage", "abc"), false},
		{"NumericNotEquals", k, `"100"`, v, false},
		{"NumericNotEquals", k, `"99"`, v, true},
		{"NumericNotEquals", k, `"99"`, none, true},
		{"NumericLessThan", k, `"101"`, v, true},
		{"NumericLessThan", k, `"100"`, v, false},
		{"NumericLessThan", k, `"101"`, none, false},
		{"NumericLessThanEquals", k, `"100"`, v, true},
		{"NumericLessThanEquals", k, `"99.5"`, v, false},
		{"NumericGreaterThan", k, `"99"`, v, true},
		{"NumericGreaterThan", k, `"100"`, v, false},
		{"NumericGreaterThanEquals", k, `"100"`, v, true},
		{"NumericGreaterThanEquals", k, `"-5"`, v, true},
		{"NumericGreaterThanEquals", k, `"101"`, v, false},
		{"NumericLessThanIfExists", k, `"1"`, none, true},
		{"NumericLessThanIfExists", k, `"1"`, v, false},
		{"NumericGreaterThanIfExists", k, `"1"`, v, true},
		{"NumericEqualsIfExists", k, `"1"`, none, true},
		{"NumericNotEqualsIfExists", k, `"100"`, v, false},
		{"NumericLessThanEqualsIfExists", k, `"100"`, v, true},
		{"NumericGreaterThanEqualsIfExists", k, `"100"`, none, true},
		{"NumericLessThan", "s3express:TlsVersion", `"1.3"`, kv("s3express:tlsversion", "1.2"), true},
	})
}

func TestDateOperators(t *testing.T) {
	const k = "aws:CurrentTime"
	now := kv("aws:currenttime", "2026-03-01T12:00:00Z")
	epoch := kv("aws:epochtime", "1772366400") // 2026-03-01T12:00:00Z
	runCondCases(t, []condCase{
		{"DateEquals", k, `"2026-03-01T12:00:00Z"`, now, true},
		{"DateEquals", k, `"2026-03-01T13:00:00+01:00"`, now, true},
		{"DateEquals", k, `"1772366400"`, now, true}, // epoch in the policy
		{"DateEquals", k, `1772366400`, now, true},
		{"DateEquals", k, `"2026-03-01T12:00:01Z"`, now, false},
		{"DateEquals", "aws:EpochTime", `"2026-03-01T12:00:00Z"`, epoch, true},
		{"DateNotEquals", k, `"2026-03-01T12:00:00Z"`, now, false},
		{"DateNotEquals", k, `"2026-03-02"`, now, true},
		{"DateNotEquals", k, `"2026-03-02"`, none, true},
		{"DateLessThan", k, `"2026-12-31T23:59:59Z"`, now, true},
		{"DateLessThan", k, `"2026-03-01T12:00:00Z"`, now, false},
		{"DateLessThan", k, `"2025-01-01"`, now, false},
		{"DateLessThan", k, `"2027-01-01"`, none, false},
		{"DateLessThanEquals", k, `"2026-03-01T12:00:00.000Z"`, now, true},
		{"DateGreaterThan", k, `"2026-01-01T00:00:00Z"`, now, true},
		{"DateGreaterThan", k, `"2026-03-01T12:00:00Z"`, now, false},
		{"DateGreaterThanEquals", k, `"2026-03-01T12:00:00Z"`, now, true},
		{"DateGreaterThanEquals", k, `"2026-03-01T12:00:00.5Z"`, now, false},
		{"DateLessThanIfExists", k, `"2020-01-01"`, none, true},
		{"DateLessThanIfExists", k, `"2020-01-01"`, now, false},
		{"DateEqualsIfExists", k, `"2026-03-01T12:00:00Z"`, now, true},
		{"DateNotEqualsIfExists", k, `"2026-03-01T12:00:00Z"`, now, false},
		{"DateLessThanEqualsIfExists", k, `"2026-03-01T12:00:00Z"`, now, true},
		{"DateGreaterThanIfExists", k, `"2030-01-01"`, now, false},
		{"DateGreaterThanEqualsIfExists", k, `"2030-01-01"`, none, true},
		{"DateLessThan", k, `"2027-01-01"`, kv("aws:currenttime", "not a date"), false},
	})
}

func TestBoolBinaryNullOperators(t *testing.T) {
	const k = "aws:SecureTransport"
	tls := kv("aws:securetransport", "true")
	plain := kv("aws:securetransport", "false")
	bin := kv("aws:bin", "aGVsbG8=") // "hello"
	runCondCases(t, []condCase{
		{"Bool", k, `"true"`, tls, true},
		{"Bool", k, `true`, tls, true},
		{"Bool", k, `"True"`, tls, true},
		{"Bool", k, `"true"`, plain, false},
		{"Bool", k, `"false"`, plain, true},
		{"Bool", k, `"false"`, none, false},
		{"Bool", k, `"true"`, kv("aws:securetransport", "yes"), false},
		{"BoolIfExists", k, `"false"`, none, true},
		{"BoolIfExists", k, `"false"`, tls, false},
		{"BinaryEquals", "aws:bin", `"aGVsbG8="`, bin, true},
		{"BinaryEquals", "aws:bin", `"d29ybGQ="`, bin, false},
		{"BinaryEquals", "aws:bin", `"aGVsbG8="`, none, false},
		{"BinaryEqualsIfExists", "aws:bin", `"aGVsbG8="`, none, true},
		{"Null", k, `"true"`, none, true},
		{"Null", k, `"true"`, tls, false},
		{"Null", k, `"false"`, tls, true},
		{"Null", k, `"false"`, none, false},
		{"Null", k, `true`, none, true},
		{"Null", k, `"false"`, map[string][]string{"aws:securetransport": {}}, false}, // empty = absent
	})
}

func TestIPOperators(t *testing.T) {
	const k = "aws:SourceIp"
	ip := func(s string) map[string][]string { return kv("aws:sourceip", s) }
	runCondCases(t, []condCase{
		{"IpAddress", k, `"203.0.113.0/24"`, ip("203.0.113.7"), true},
		{"IpAddress", k, `"203.0.113.0/24"`, ip("203.0.114.7"), false},
		{"IpAddress", k, `"203.0.113.7"`, ip("203.0.113.7"), true},
		{"IpAddress", k, `"203.0.113.9/24"`, ip("203.0.113.200"), true}, // host bits ignored
		{"IpAddress", k, `["10.0.0.0/8","192.168.0.0/16"]`, ip("192.168.1.1"), true},
		{"IpAddress", k, `"2001:db8::/32"`, ip("2001:db8::1"), true},
		{"IpAddress", k, `"2001:db8::/32"`, ip("2001:db9::1"), false},
		{"IpAddress", k, `"2001:db8::/32"`, ip("203.0.113.7"), false},
		{"IpAddress", k, `"203.0.113.0/24"`, ip("::ffff:203.0.113.7"), true},
		{"IpAddress", k, `"203.0.113.0/24"`, ip("garbage"), false},
		{"IpAddress", k, `"0.0.0.0/0"`, none, false},
		{"NotIpAddress", k, `"203.0.113.0/24"`, ip("198.51.100.1"), true},
		{"NotIpAddress", k, `"203.0.113.0/24"`, ip("203.0.113.1"), false},
		{"NotIpAddress", k, `["203.0.113.0/24","198.51.100.0/24"]`, ip("198.51.100.1"), false},
		{"NotIpAddress", k, `"203.0.113.0/24"`, none, true},
		{"IpAddressIfExists", k, `"203.0.113.0/24"`, none, true},
		{"IpAddressIfExists", k, `"203.0.113.0/24"`, ip("1.2.3.4"), false},
		{"NotIpAddressIfExists", k, `"203.0.113.0/24"`, ip("203.0.113.1"), false},
		{"NotIpAddressIfExists", k, `"203.0.113.0/24"`, none, true},
	})
}

func TestArnOperators(t *testing.T) {
	const k = "aws:PrincipalArn"
	arn := kv("aws:principalarn", "arn:aws:iam::111122223333:user/team/alice")
	runCondCases(t, []condCase{
		{"ArnEquals", k, `"arn:aws:iam::111122223333:user/team/alice"`, arn, true},
		{"ArnEquals", k, `"arn:aws:iam::111122223333:user/team/*"`, arn, true},
		{"ArnEquals", k, `"arn:aws:iam::111122223333:user/team/bob"`, arn, false},
		{"ArnLike", k, `"arn:aws:iam::*:user/*"`, arn, true},
		{"ArnLike", k, `"arn:aws:iam::????????????:user/team/alice"`, arn, true},
		{"ArnLike", k, `"arn:aws:iam::*:role/*"`, arn, false},
		{"ArnLike", k, `"arn:aws:iam::111122223333:USER/*"`, arn, false}, // case-sensitive
		{"ArnLike", k, `"arn:aws:*"`, arn, true},
		{"ArnLike", k, `"arn:aws:iam::*"`, arn, true},
		{"ArnLike", k, `"arn:aws:iam:*:user/*"`, arn, false}, // '*' does not eat the account part
		{"ArnLike", "aws:SourceArn", `"arn:aws:iam::*"`, none, false},
		{"ArnNotEquals", k, `"arn:aws:iam::111122223333:user/team/bob"`, arn, true},
		{"ArnNotEquals", k, `"arn:aws:iam::111122223333:user/team/alice"`, arn, false},
		{"ArnNotLike", k, `"arn:aws:iam::*:role/*"`, arn, true},
		{"ArnNotLike", k, `"arn:aws:iam::*:user/*"`, arn, false},
		{"ArnNotLike", "aws:SourceArn", `"arn:aws:iam::*:user/*"`, none, true},
		{"ArnLikeIfExists", "aws:SourceArn", `"arn:aws:iam::*:role/*"`, none, true},
		{"ArnLikeIfExists", k, `"arn:aws:iam::*:role/*"`, arn, false},
		{"ArnEqualsIfExists", "aws:SourceArn", `"x"`, none, true},
		{"ArnNotEqualsIfExists", k, `"arn:aws:iam::111122223333:user/team/alice"`, arn, false},
		{"ArnNotLikeIfExists", "aws:SourceArn", `"arn:aws:iam::*:user/*"`, none, true},
		// aws:PrincipalArn is derived from the principal when not in Context.
		{"ArnLike", k, `"arn:aws:iam::111122223333:user/alice"`, none, true},
		{"ArnLike", k, `"arn:aws:iam::111122223333:user/*"`, kv("aws:principalarn", "not-an-arn"), false},
	})
}

func TestSetOperators(t *testing.T) {
	const k = "aws:TagKeys"
	tags := func(v ...string) map[string][]string { return map[string][]string{"aws:tagkeys": v} }
	runCondCases(t, []condCase{
		// ForAnyValue: at least one request value matches one policy value.
		{"ForAnyValue:StringEquals", k, `["env","team"]`, tags("env", "other"), true},
		{"ForAnyValue:StringEquals", k, `["env","team"]`, tags("x", "y"), false},
		{"ForAnyValue:StringEquals", k, `"env"`, none, false},
		{"ForAnyValue:StringEquals", k, `"env"`, tags(), false},
		{"ForAnyValue:StringLike", k, `"te*"`, tags("x", "team"), true},
		{"ForAnyValue:StringNotEquals", k, `"env"`, tags("env", "x"), true},
		{"ForAnyValue:StringNotEquals", k, `"env"`, tags("env"), false},
		{"ForAnyValue:StringNotEquals", k, `"env"`, none, false},
		{"ForAnyValue:StringEqualsIfExists", k, `"env"`, none, true},
		// ForAllValues: every request value matches some policy value.
		{"ForAllValues:StringEquals", k, `["env","team"]`, tags("env", "team"), true},
		{"ForAllValues:StringEquals", k, `["env","team"]`, tags("env"), true},
		{"ForAllValues:StringEquals", k, `["env","team"]`, tags("env", "other"), false},
		{"ForAllValues:StringEquals", k, `"env"`, none, true},   // absent: true
		{"ForAllValues:StringEquals", k, `"env"`, tags(), true}, // empty: true
		{"ForAllValues:StringNotLike", k, `"key1*"`, tags("key2:audit"), true},
		{"ForAllValues:StringNotLike", k, `"key1*"`, tags("key1:legal"), false},
		{"ForAllValues:StringNotLike", k, `"key1*"`, tags("key1:hr", "key2:x"), false},
		{"ForAllValues:StringNotLike", k, `"key1*"`, none, true},
		{"ForAllValues:StringLikeIfExists", k, `"a*"`, tags("b"), false},
		{"ForAllValues:NumericLessThan", "aws:n", `"10"`, map[string][]string{"aws:n": {"1", "2"}}, true},
		{"ForAllValues:NumericLessThan", "aws:n", `"10"`, map[string][]string{"aws:n": {"1", "20"}}, false},
		{"ForAnyValue:IpAddress", "aws:ips", `"10.0.0.0/8"`, map[string][]string{"aws:ips": {"1.1.1.1", "10.1.1.1"}}, true},
		{"ForAllValues:ArnLike", "aws:arns", `"arn:aws:s3express:*:*:bucket/*"`,
			map[string][]string{"aws:arns": {"arn:aws:s3express:r:1:bucket/a", "arn:aws:s3express:r:1:bucket/b"}}, true},
		// Without a qualifier, several request values behave like ForAnyValue
		// for positive operators and its negation for negated ones.
		{"StringEquals", k, `"env"`, tags("x", "env"), true},
		{"StringNotEquals", k, `"env"`, tags("x", "env"), false},
		{"StringNotEquals", k, `"env"`, tags("x", "y"), true},
	})
}

func TestPolicyVariablesInConditions(t *testing.T) {
	alice := map[string][]string{"aws:username": {"alice"}}
	runCondCases(t, []condCase{
		{"StringEquals", "s3express:prefix", `"home/${aws:username}"`, kv("s3express:prefix", "home/alice"), true},
		{"StringEquals", "s3express:prefix", `"home/${aws:username}"`, kv("s3express:prefix", "home/bob"), false},
		// aws:username is derived from the principal when not in Context.
		{"StringEquals", "aws:x", `"${aws:username}"`, kv("aws:x", "alice"), true},
		{"StringEquals", "aws:x", `"${aws:PrincipalAccount}"`, kv("aws:x", "111122223333"), true},
		{"StringLike", "aws:x", `"${aws:username}/*"`, kv("aws:x", "alice/x"), true},
		// A variable's value is literal even in StringLike.
		{"StringLike", "aws:x", `"${aws:tag}"`, kv("aws:x", "abc", "aws:tag", "a*"), false},
		{"StringLike", "aws:x", `"${aws:tag}"`, kv("aws:x", "a*", "aws:tag", "a*"), true},
		// Escapes.
		{"StringEquals", "aws:x", `"a${*}b"`, kv("aws:x", "a*b"), true},
		{"StringLike", "aws:x", `"a${*}b"`, kv("aws:x", "axxb"), false},
		{"StringLike", "aws:x", `"a${?}b"`, kv("aws:x", "a?b"), true},
		{"StringEquals", "aws:x", `"${$}{x}"`, kv("aws:x", "${x}"), true},
		// Unknown variables never match; defaults apply when the key is absent.
		{"StringEquals", "aws:x", `"${aws:nope}"`, kv("aws:x", ""), false},
		{"StringNotEquals", "aws:x", `"${aws:nope}"`, kv("aws:x", "y"), true},
		{"StringEquals", "aws:x", `"${aws:nope, 'dflt'}"`, kv("aws:x", "dflt"), true},
		{"StringEquals", "aws:x", `"${aws:nope,'it''s'}"`, kv("aws:x", "it's"), true},
		{"StringEquals", "aws:y", `"${aws:x, 'dflt'}"`, kv("aws:x", "real", "aws:y", "dflt"), false},
		{"StringEquals", "aws:y", `"${aws:x, 'dflt'}"`, kv("aws:x", "real", "aws:y", "real"), true},
		// Multi-valued keys are not variables.
		{"StringEquals", "aws:x", `"${aws:m}"`, map[string][]string{"aws:x": {"a"}, "aws:m": {"a", "b"}}, false},
		{"Bool", "aws:SecureTransport", `"${aws:want}"`, kv("aws:securetransport", "true", "aws:want", "true"), true},
		{"ArnLike", "aws:PrincipalArn", `"arn:aws:iam::${aws:PrincipalAccount}:user/*"`, none, true},
		{"StringEquals", "aws:username", `"${aws:username}"`, alice, true},
	})
}

func TestVersion2008NoVariables(t *testing.T) {
	doc := `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*",
		"Condition":{"StringEquals":{"aws:x":"${aws:username}"}}}}`
	p, err := Parse([]byte(doc), Identity, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Version != Version2008 {
		t.Fatalf("Version = %q", p.Version)
	}
	req := Request{Principal: Principal{Account: "111122223333", User: "alice"}, Action: "s3express:CreateSession",
		Resource: "arn:aws:s3express:us-east-1:111122223333:bucket/b--use1-az4--x-s3", ResourceAccount: "111122223333"}
	req.Context = kv("aws:x", "alice")
	if Evaluate(req, []*Policy{p}, nil) != Deny {
		t.Error("2008-10-17 policy substituted a variable")
	}
	req.Context = kv("aws:x", "${aws:username}")
	if Evaluate(req, []*Policy{p}, nil) != Allow {
		t.Error("2008-10-17 policy did not take ${aws:username} literally")
	}
}

func TestMultipleKeysAndOperatorsAreANDed(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{
		"StringEquals":{"aws:a":"1","aws:b":"2"},
		"Bool":{"aws:SecureTransport":"true"}}}}`
	p, err := Parse([]byte(doc), Identity, Options{})
	if err != nil {
		t.Fatal(err)
	}
	req := Request{Principal: Principal{Account: "111122223333", User: "u"}, Action: "a:b", Resource: "arn:x:y:z:111122223333:r", ResourceAccount: "111122223333"}
	for _, c := range []struct {
		ctx  map[string][]string
		want Decision
	}{
		{kv("aws:a", "1", "aws:b", "2", "aws:securetransport", "true"), Allow},
		{kv("aws:a", "1", "aws:b", "3", "aws:securetransport", "true"), Deny},
		{kv("aws:a", "1", "aws:b", "2", "aws:securetransport", "false"), Deny},
		{kv("aws:a", "1", "aws:securetransport", "true"), Deny},
	} {
		req.Context = c.ctx
		if got := Evaluate(req, []*Policy{p}, nil); got != c.want {
			t.Errorf("%v: got %v, want %v", c.ctx, got, c.want)
		}
	}
}

func TestParseOperator(t *testing.T) {
	for _, c := range []struct {
		name string
		ok   bool
	}{
		{"StringEquals", true},
		{"stringequals", true},
		{"ForAnyValue:StringLikeIfExists", true},
		{"ForAllValues:ArnNotLike", true},
		{"NumericGreaterThanEqualsIfExists", true},
		{"Null", true},
		{"NullIfExists", false},
		{"ForAnyValue:Null", false},
		{"ForSomeValues:StringEquals", false},
		{"StringEqualz", false},
		{"IfExists", false},
		{"", false},
	} {
		if _, ok := parseOperator(c.name); ok != c.ok {
			t.Errorf("parseOperator(%q) ok = %v, want %v", c.name, ok, c.ok)
		}
	}
}
