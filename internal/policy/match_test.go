package policy

import "testing"

func TestGlob(t *testing.T) {
	for _, c := range []struct {
		pat, s string
		want   bool
	}{
		{"", "", true},
		{"", "a", false},
		{"abc", "abc", true},
		{"abc", "abd", false},
		{"abc", "ab", false},
		{"*", "", true},
		{"*", "anything:at/all", true},
		{"a*", "a", true},
		{"a*", "abc", true},
		{"a*", "bac", false},
		{"*c", "abc", true},
		{"*c", "abd", false},
		{"a*c", "ac", true},
		{"a*c", "abbbc", true},
		{"a*c", "abbbd", false},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "acb", false},
		{"a*b*c", "abcbc", true},
		{"*a*a*", "aa", true},
		{"*a*a*", "a", false},
		{"?", "a", true},
		{"?", "", false},
		{"?", "ab", false},
		{"?", "é", true}, // one character, two bytes
		{"??", "é", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"*?", "", false},
		{"*?", "x", true},
		{"*x?z*", "aaxyzbb", true},
		{"*x?z*", "aaxyybb", false},
		{"*x?z", "axyzxqz", true},
		{"**", "", true},
		{"a**b", "ab", true},
		{"*ab", "aab", true},
		{"*aab", "aaab", true},
		{"x*?*y", "xy", false},
		{"x*?*y", "xzy", true},
	} {
		g := compileGlob(globTokens(c.pat), false)
		if got := g.match(c.s); got != c.want {
			t.Errorf("glob %q match %q = %v, want %v", c.pat, c.s, got, c.want)
		}
	}
}

func TestActionMatch(t *testing.T) {
	for _, c := range []struct {
		pat, action string
		want        bool
	}{
		{"s3express:CreateSession", "s3express:CreateSession", true},
		{"s3express:CreateSession", "S3EXPRESS:createsession", true},
		{"S3Express:createSESSION", "s3express:CreateSession", true},
		{"s3express:*", "s3express:CreateBucket", true},
		{"s3express:*", "s3:GetObject", false},
		{"s3express:Create*", "s3express:CreateSession", true},
		{"s3express:Create*", "s3express:DeleteBucket", false},
		{"s3express:*Bucket", "s3express:deletebucket", true},
		{"s3express:?reateSession", "s3express:CreateSession", true},
		{"*", "iam:CreateUser", true},
		{"s3:GetObject", "s3express:GetObject", false},
	} {
		g := compileAction(c.pat)
		if got := g.match(c.action); got != c.want {
			t.Errorf("action %q match %q = %v, want %v", c.pat, c.action, got, c.want)
		}
	}
}

func TestOnlyCreateSession(t *testing.T) {
	for pat, want := range map[string]bool{
		"s3express:CreateSession":   true,
		"s3express:createsession":   true,
		"s3express:CreateSess*":     true,
		"s3express:*Session":        true,
		"s3express:C?eateSession":   true,
		"s3express:*":               false,
		"s3express:Create*":         false,
		"s3express:*Session*":       true,
		"*":                         false,
		"s3:CreateSession":          false,
		"s3express:ListAllMy*":      false,
		"s3express:CreateSessionX":  false,
		"s3express:*Policy":         false,
		"s3express:*AccessPoint*":   false,
		"s3express:CreateSession?":  false,
		"s3express:CreateSession*":  true,
		"s3express:CreateAccess*":   false,
		"s3express:GetAccessPoint*": false,
	} {
		g := compileAction(pat)
		if got := onlyCreateSession(&g); got != want {
			t.Errorf("onlyCreateSession(%q) = %v, want %v", pat, got, want)
		}
	}
}

func TestARNMatch(t *testing.T) {
	const b = "arn:aws:s3express:us-east-1:111122223333:bucket/name--use1-az4--x-s3"
	for _, c := range []struct {
		pat, arn string
		want     bool
	}{
		{"*", b, true},
		{"*", "not an arn", true},
		{b, b, true},
		{"arn:aws:s3express:us-east-1:111122223333:bucket/*", b, true},
		{"arn:aws:s3express:*:111122223333:bucket/*", b, true},
		{"arn:aws:s3express:*:*:*", b, true},
		{"arn:aws:s3express:*", b, true},          // trailing '*' covers the remaining parts
		{"arn:aws:*", b, true},                    // likewise
		{"arn:aws:s3express:us-east-1*", b, true}, // '*' ending the pattern crosses colons
		{"arn:aws:s3express:us-*-1:*:bucket/*", b, true},
		{"arn:aws:s3express:us-east-?:*:bucket/*", b, true},
		{"arn:aws:s3express:us-west-2:*:bucket/*", b, false},
		{"arn:aws:s3express:*:444455556666:bucket/*", b, false},
		{"arn:aws:s3express:*:111122223333:bucket/other*", b, false},
		{"arn:aws:s3express:*:111122223333:BUCKET/*", b, false}, // case-sensitive
		{"arn:aws:s3express:*:111122223333", b, false},
		{"arn:aws:s3express:*:bucket/*", b, false}, // '*' inside a part does not span parts
		{"arn:aws:s3express::111122223333:bucket/*", b, false},
		{"arn:aws:s3express:us-east-1:111122223333:bucket/name--use1-az4--x-s3", b + "x", false},
		{"arn:aws:lambda:*:*:function:f:*", "arn:aws:lambda:us-east-1:1:function:f:prod", true}, // colons in the resource part
		{"arn:aws:lambda:*:*:function:*", "arn:aws:lambda:us-east-1:1:function:f:prod", true},
		{"arn:aws:lambda:*:*:function:g*", "arn:aws:lambda:us-east-1:1:function:f:prod", false},
		{"arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b", true},
		{"arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket", false},
		{"arn:aws:s3express:us-east-1:111122223333:bucket/x", "arn:aws:s3express", false},
	} {
		p := compileARN(globTokens(c.pat))
		if got := p.match(c.arn); got != c.want {
			t.Errorf("arn %q match %q = %v, want %v", c.pat, c.arn, got, c.want)
		}
	}
}

func TestPrincipalMatch(t *testing.T) {
	parse := func(doc string) *Principals {
		t.Helper()
		v, err := decodeJSON([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		ps, err := parsePrincipals(v, Resource, &Options{})
		if err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		return ps
	}
	root := Principal{Account: "111122223333"}
	alice := Principal{Account: "111122223333", User: "alice"}
	pathed := Principal{Account: "111122223333", User: "carol", ARN: "arn:aws:iam::111122223333:user/eng/carol"}
	other := Principal{Account: "444455556666", User: "bob"}
	svc := Principal{Service: "lifecycle.s3.amazonaws.com"}
	anon := Principal{}
	for _, c := range []struct {
		doc  string
		p    Principal
		want principalMatch
	}{
		{`"*"`, alice, pmDirect},
		{`"*"`, anon, pmDirect},
		{`"*"`, svc, pmDirect},
		{`{"AWS":"*"}`, other, pmDirect},
		{`{"AWS":"111122223333"}`, alice, pmAccount},
		{`{"AWS":"111122223333"}`, root, pmDirect},
		{`{"AWS":"arn:aws:iam::111122223333:root"}`, alice, pmAccount},
		{`{"AWS":"arn:aws:iam::111122223333:root"}`, root, pmDirect},
		{`{"AWS":"arn:aws:iam::111122223333:root"}`, other, pmNone},
		{`{"AWS":"arn:aws:iam::111122223333:user/alice"}`, alice, pmDirect},
		{`{"AWS":"arn:aws:iam::111122223333:user/alice"}`, root, pmNone},
		{`{"AWS":"arn:aws:iam::111122223333:user/bob"}`, alice, pmNone},
		{`{"AWS":"arn:aws:iam::444455556666:user/bob"}`, other, pmDirect},
		{`{"AWS":"arn:aws:iam::111122223333:user/eng/carol"}`, pathed, pmDirect},
		{`{"AWS":"arn:aws:iam::111122223333:user/carol"}`, pathed, pmNone},
		{`{"AWS":["arn:aws:iam::111122223333:user/bob","444455556666"]}`, other, pmAccount},
		{`{"AWS":"111122223333"}`, anon, pmNone},
		{`{"AWS":"111122223333"}`, svc, pmNone},
		{`{"Service":"lifecycle.s3.amazonaws.com"}`, svc, pmDirect},
		{`{"Service":"other.amazonaws.com"}`, svc, pmNone},
		{`{"Service":"lifecycle.s3.amazonaws.com"}`, alice, pmNone},
		{`{"CanonicalUser":"abc"}`, alice, pmNone},
	} {
		if got := parse(c.doc).match(&c.p); got != c.want {
			t.Errorf("%s vs %+v = %v, want %v", c.doc, c.p, got, c.want)
		}
	}
}

func TestPrincipalARN(t *testing.T) {
	for _, c := range []struct {
		p    Principal
		want string
		root bool
	}{
		{Principal{Account: "111122223333"}, "arn:aws:iam::111122223333:root", true},
		{Principal{Account: "111122223333", User: "u"}, "arn:aws:iam::111122223333:user/u", false},
		{Principal{Account: "111122223333", ARN: "arn:aws:iam::111122223333:role/r"}, "arn:aws:iam::111122223333:role/r", false},
		{Principal{}, "", false},
	} {
		if got := c.p.arn(); got != c.want {
			t.Errorf("arn() = %q, want %q", got, c.want)
		}
		if c.want != "" && !c.p.arnIs(c.want) {
			t.Errorf("arnIs(%q) false", c.want)
		}
		if c.p.IsRoot() != c.root {
			t.Errorf("%+v IsRoot = %v", c.p, !c.root)
		}
	}
}

func TestTemplate(t *testing.T) {
	ec := &evalCtx{req: &Request{Principal: Principal{Account: "111122223333", User: "alice"},
		Context: map[string][]string{"aws:sourceip": {"10.0.0.1"}, "Aws:Mixed": {"m"}}}}
	for _, c := range []struct {
		in   string
		vars bool
		want string
		ok   bool
	}{
		{"plain", true, "plain", true},
		{"home/${aws:username}/x", true, "home/alice/x", true},
		{"home/${AWS:UserName}", true, "home/alice", true},
		{"${aws:SourceIp}", true, "10.0.0.1", true},
		{"${aws:mixed}", true, "m", true},
		{"${aws:nope}", true, "", false},
		{"${aws:nope, 'd'}", true, "d", true},
		{"${ aws:nope , 'a''b' }", true, "a'b", true},
		{"${*}${?}${$}", true, "*?$", true},
		{"${aws:username}", false, "${aws:username}", true},
		{"${unterminated", true, "${unterminated", true},
		{"$x{y}", true, "$x{y}", true},
	} {
		tm, err := parseTemplate(c.in, false, c.vars)
		if err != nil {
			t.Errorf("parseTemplate(%q): %v", c.in, err)
			continue
		}
		got, ok := tm.resolveString(ec)
		if got != c.want || ok != c.ok {
			t.Errorf("resolve(%q) = %q %v, want %q %v", c.in, got, ok, c.want, c.ok)
		}
	}
	for _, bad := range []string{"${}", "${a b}", "${aws:x, d}", "${aws:x, 'd}", "${aws:x, 'a'b'}"} {
		if _, err := parseTemplate(bad, false, true); err == nil {
			t.Errorf("parseTemplate(%q) accepted", bad)
		}
	}
}

func TestDateParsing(t *testing.T) {
	for _, s := range []string{
		"2026-03-01T12:00:00Z", "2026-03-01T12:00:00.123Z", "2026-03-01T14:00:00+02:00",
		"2026-03-01T12:00:00", "2026-03-01T12:00Z", "2026-03-01T12:00", "20260301T120000Z", "2026-03-01",
		"1772366400", "1772366400.5", "0",
	} {
		if _, ok := parseDate(s); !ok {
			t.Errorf("parseDate(%q) failed", s)
		}
	}
	for _, s := range []string{"", "tomorrow", "2026-13-01", "12:00", "1e5", "99999999999999999"} {
		if _, ok := parseDate(s); ok {
			t.Errorf("parseDate(%q) accepted", s)
		}
	}
}
