package sigv4

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

const (
	goodCred   = "AKID/20250102/us-west-2/s3express/aws4_request"
	goodSig    = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	goodHeader = "AWS4-HMAC-SHA256 Credential=" + goodCred + ", SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-s3session-token, Signature=" + goodSig
)

// parseReq builds a server-side request with the given Authorization header
// (none if empty), raw query and extra headers ("Name: value" lines).
func parseReq(auth, rawQuery string, headers ...string) *http.Request {
	r := &http.Request{Method: "GET", URL: &url.URL{Path: "/b/k", RawQuery: rawQuery}, Host: "h", Header: http.Header{}}
	r.RequestURI = "/b/k"
	if rawQuery != "" {
		r.RequestURI += "?" + rawQuery
	}
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		r.Header.Add(k, strings.TrimSpace(v))
	}
	return r
}

var stdHeaders = []string{"X-Amz-Date: 20250102T030405Z", "X-Amz-Content-Sha256: UNSIGNED-PAYLOAD"}

func presignQuery(over map[string]string) string {
	params := [][2]string{
		{"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
		{"X-Amz-Credential", url.QueryEscape(goodCred)},
		{"X-Amz-Date", "20250102T030405Z"},
		{"X-Amz-Expires", "300"},
		{"X-Amz-SignedHeaders", "host"},
		{"X-Amz-S3session-Token", "TOKEN%2B1"},
		{"X-Amz-Signature", goodSig},
	}
	var parts []string
	for _, p := range params {
		v, ok := over[p[0]]
		if !ok {
			v = p[1]
		} else if v == "-" {
			continue
		}
		parts = append(parts, p[0]+"="+v)
	}
	if extra, ok := over[""]; ok {
		parts = append(parts, extra)
	}
	return strings.Join(parts, "&")
}

func TestParseGoodHeader(t *testing.T) {
	r := parseReq(goodHeader, "x-id=GetObject", append(stdHeaders, "X-Amz-S3session-Token: TOKEN", "X-Amz-Security-Token: STS")...)
	a := mustParse(t, r)
	want := Auth{
		AccessKeyID: "AKID", Time: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), Date: "20250102",
		Region: "us-west-2", Service: "s3express", Signature: goodSig, PayloadHash: UnsignedPayload,
		SessionToken: "TOKEN", SecurityToken: "STS",
	}
	if a.AccessKeyID != want.AccessKeyID || !a.Time.Equal(want.Time) || a.Date != want.Date || a.Region != want.Region ||
		a.Service != want.Service || a.Signature != want.Signature || a.PayloadHash != want.PayloadHash ||
		a.SessionToken != want.SessionToken || a.SecurityToken != want.SecurityToken || a.Presigned || a.Expires != 0 {
		t.Fatalf("got %+v", a)
	}
	if strings.Join(a.SignedHeaders, ";") != "host;x-amz-content-sha256;x-amz-date;x-amz-s3session-token" {
		t.Fatalf("signed headers %q", a.SignedHeaders)
	}
	if a.Scope() != "20250102/us-west-2/s3express/aws4_request" {
		t.Fatalf("scope %q", a.Scope())
	}
}

func TestParseGoodPresign(t *testing.T) {
	r := parseReq("", presignQuery(nil))
	a := mustParse(t, r)
	if !a.Presigned || a.Expires != 300*time.Second || a.AccessKeyID != "AKID" || a.Service != "s3express" ||
		a.SessionToken != "TOKEN+1" || a.PayloadHash != UnsignedPayload || a.Signature != goodSig ||
		!a.Time.Equal(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)) || len(a.SignedHeaders) != 1 {
		t.Fatalf("got %+v", a)
	}
	// A payload hash header and an STS token parameter are picked up.
	r = parseReq("", presignQuery(map[string]string{"": "X-Amz-Security-Token=STS%2Fx"}), "X-Amz-Content-Sha256: "+EmptySHA256)
	a = mustParse(t, r)
	if a.PayloadHash != EmptySHA256 || a.SecurityToken != "STS/x" {
		t.Fatalf("got %+v", a)
	}
}

func TestParseDateFallback(t *testing.T) {
	r := parseReq(goodHeader, "", "Date: Thu, 02 Jan 2025 03:04:05 GMT", "X-Amz-Content-Sha256: "+EmptySHA256)
	a := mustParse(t, r)
	if !a.Time.Equal(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)) || a.Time.Location() != time.UTC {
		t.Fatalf("time %v", a.Time)
	}
}

func TestParseNoAuth(t *testing.T) {
	for _, q := range []string{"", "list-type=2&prefix=a", "X-Amz-Date=20250102T030405Z", "Signature=x"} {
		if _, err := Parse(parseReq("", q)); err != ErrNoAuth {
			t.Errorf("query %q: %v, want ErrNoAuth", q, err)
		}
	}
	var e *Error
	if !errors.As(ErrNoAuth, &e) || e.Kind != NoAuth || !errors.Is(ErrNoAuth, &Error{Kind: NoAuth}) {
		t.Fatal("ErrNoAuth must be of kind NoAuth")
	}
}

func TestParseErrors(t *testing.T) {
	hdr := func(cred, signed, sig string) string {
		return "AWS4-HMAC-SHA256 Credential=" + cred + ", SignedHeaders=" + signed + ", Signature=" + sig
	}
	tests := []struct {
		name    string
		auth    string
		query   string
		headers []string
		code    string
		msg     string // substring of the message, if set
	}{
		{"both forms", goodHeader, presignQuery(nil), stdHeaders, "InvalidArgument", "Only one auth mechanism"},
		{"sigv2 header", "AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=", "", stdHeaders, "InvalidRequest", "Please use AWS4-HMAC-SHA256"},
		{"sigv4a header", strings.Replace(goodHeader, "AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256", 1), "", stdHeaders, "InvalidRequest", "not supported"},
		{"bearer", "Bearer abc", "", stdHeaders, "InvalidArgument", "Unsupported Authorization Type"},
		{"empty header", " ", "", stdHeaders, "InvalidArgument", "Unsupported Authorization Type"},
		{"algorithm only", "AWS4-HMAC-SHA256", "", stdHeaders, "AuthorizationHeaderMalformed", "three components"},
		{"sigv2 query", "", "AWSAccessKeyId=AKID&Expires=1700000000&Signature=abc%3D", nil, "InvalidRequest", "Please use AWS4-HMAC-SHA256"},
		{"missing signature", "AWS4-HMAC-SHA256 Credential=" + goodCred + ", SignedHeaders=host", "", stdHeaders, "AuthorizationHeaderMalformed", "three components"},
		{"empty signature", hdr(goodCred, "host", ""), "", stdHeaders, "AuthorizationHeaderMalformed", ""},
		{"missing credential", "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=" + goodSig, "", stdHeaders, "AuthorizationHeaderMalformed", ""},
		{"unknown component", goodHeader + ", Foo=bar", "", stdHeaders, "AuthorizationHeaderMalformed", "Foo=bar"},
		{"component without =", goodHeader + ", junk", "", stdHeaders, "AuthorizationHeaderMalformed", ""},
		{"repeated component", goodHeader + ", Signature=" + goodSig, "", stdHeaders, "AuthorizationHeaderMalformed", "repeated"},
		{"credential 4 parts", hdr("AKID/20250102/us-west-2/aws4_request", "host", goodSig), "", stdHeaders, "AuthorizationHeaderMalformed", "Credential is mal-formed"},
		{"credential no akid", hdr("/20250102/us-west-2/s3/aws4_request", "host", goodSig), "", stdHeaders, "AuthorizationHeaderMalformed", "Credential is mal-formed"},
		{"credential bad terminator", hdr("AKID/20250102/us-west-2/s3/aws5_request", "host", goodSig), "", stdHeaders, "AuthorizationHeaderMalformed", "Credential is mal-formed"},
		{"credential bad date", hdr("AKID/2025012/us-west-2/s3/aws4_request", "host", goodSig), "", stdHeaders, "AuthorizationHeaderMalformed", "Credential is mal-formed"},
		{"credential empty region", hdr("AKID/20250102//s3/aws4_request", "host", goodSig), "", stdHeaders, "AuthorizationHeaderMalformed", "Credential is mal-formed"},
		{"signed headers empty", hdr(goodCred, "", goodSig), "", stdHeaders, "AuthorizationHeaderMalformed", "SignedHeaders"},
		{"signed headers empty item", hdr(goodCred, "host;;x-amz-date", goodSig), "", stdHeaders, "AuthorizationHeaderMalformed", "SignedHeaders"},
		{"signed headers trailing ;", hdr(goodCred, "host;", goodSig), "", stdHeaders, "AuthorizationHeaderMalformed", "SignedHeaders"},
		{"signed headers upper case", hdr(goodCred, "Host;x-amz-date", goodSig), "", stdHeaders, "AuthorizationHeaderMalformed", "SignedHeaders"},
		{"multiple authorization", "", "", []string{"Authorization: " + goodHeader, "Authorization: " + goodHeader, stdHeaders[0], stdHeaders[1]}, "AuthorizationHeaderMalformed", ""},
		{"no date", goodHeader, "", stdHeaders[1:], "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header"},
		{"bad x-amz-date", goodHeader, "", []string{"X-Amz-Date: 2025-01-02T03:04:05Z", stdHeaders[1]}, "AccessDenied", "valid Date or x-amz-date"},
		{"bad date header", goodHeader, "", []string{"Date: yesterday", stdHeaders[1]}, "AccessDenied", "valid Date or x-amz-date"},
		{"scope date differs", goodHeader, "", []string{"X-Amz-Date: 20250103T030405Z", stdHeaders[1]}, "AuthorizationHeaderMalformed", "Invalid credential date"},
		{"no content sha256 (s3express)", goodHeader, "", stdHeaders[:1], "InvalidRequest", "Missing required header for this request: x-amz-content-sha256"},
		{"no content sha256 (s3)", hdr("AKID/20250102/us-west-2/s3/aws4_request", "host", goodSig), "", stdHeaders[:1], "InvalidRequest", "x-amz-content-sha256"},
		{"bad content sha256", goodHeader, "", []string{stdHeaders[0], "X-Amz-Content-Sha256: STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"}, "InvalidArgument", "x-amz-content-sha256 must be"},
		{"short content sha256", goodHeader, "", []string{stdHeaders[0], "X-Amz-Content-Sha256: abcd"}, "InvalidArgument", ""},
		{"non-hex content sha256", goodHeader, "", []string{stdHeaders[0], "X-Amz-Content-Sha256: " + strings.Repeat("g", 64)}, "InvalidArgument", ""},

		{"query missing expires", "", presignQuery(map[string]string{"X-Amz-Expires": "-"}), nil, "AuthorizationQueryParametersError", "requires the X-Amz-Algorithm"},
		{"query missing signature", "", presignQuery(map[string]string{"X-Amz-Signature": "-"}), nil, "AuthorizationQueryParametersError", "requires the X-Amz-Algorithm"},
		{"query missing algorithm", "", presignQuery(map[string]string{"X-Amz-Algorithm": "-"}), nil, "AuthorizationQueryParametersError", "requires"},
		{"query empty signature", "", presignQuery(map[string]string{"X-Amz-Signature": ""}), nil, "AuthorizationQueryParametersError", ""},
		{"query sigv4a", "", presignQuery(map[string]string{"X-Amz-Algorithm": "AWS4-ECDSA-P256-SHA256"}), nil, "AuthorizationQueryParametersError", "X-Amz-Algorithm only supports"},
		{"query bad credential", "", presignQuery(map[string]string{"X-Amz-Credential": "AKID%2F20250102"}), nil, "AuthorizationQueryParametersError", "X-Amz-Credential"},
		{"query bad escape", "", presignQuery(map[string]string{"X-Amz-Credential": "AKID%zz"}), nil, "AuthorizationQueryParametersError", "X-Amz-Credential"},
		{"query bad date", "", presignQuery(map[string]string{"X-Amz-Date": "20250102"}), nil, "AuthorizationQueryParametersError", "ISO8601"},
		{"query scope date differs", "", presignQuery(map[string]string{"X-Amz-Date": "20250101T030405Z"}), nil, "AuthorizationQueryParametersError", "Invalid credential date"},
		{"query expires too long", "", presignQuery(map[string]string{"X-Amz-Expires": "604801"}), nil, "AuthorizationQueryParametersError", "X-Amz-Expires must be less than a week (in seconds) that is 604800"},
		{"query expires huge", "", presignQuery(map[string]string{"X-Amz-Expires": "99999999999999999999999"}), nil, "AuthorizationQueryParametersError", "less than a week"},
		{"query expires zero", "", presignQuery(map[string]string{"X-Amz-Expires": "0"}), nil, "AuthorizationQueryParametersError", "X-Amz-Expires"},
		{"query expires negative", "", presignQuery(map[string]string{"X-Amz-Expires": "-5"}), nil, "AuthorizationQueryParametersError", "non-negative"},
		{"query expires not a number", "", presignQuery(map[string]string{"X-Amz-Expires": "5m"}), nil, "AuthorizationQueryParametersError", "should be a number"},
		{"query bad signed headers", "", presignQuery(map[string]string{"X-Amz-SignedHeaders": "host%3B"}), nil, "AuthorizationQueryParametersError", "SignedHeaders"},
		{"query repeated", "", presignQuery(map[string]string{"": "X-Amz-Date=20250102T030405Z"}), nil, "AuthorizationQueryParametersError", "repeated"},
		{"query bad content sha256", "", presignQuery(map[string]string{"": "X-Amz-Content-Sha256=nope"}), nil, "InvalidArgument", "x-amz-content-sha256"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := parseReq(tc.auth, tc.query, tc.headers...)
			a, err := Parse(r)
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", a)
			}
			wantCode(t, err, tc.code)
			if !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %q does not mention %q", err, tc.msg)
			}
			if a != nil {
				t.Fatal("non-nil Auth with an error")
			}
		})
	}
}

// An access key id containing '/' still parses (the scope is taken from the
// right).
func TestParseSlashInAccessKey(t *testing.T) {
	r := parseReq(strings.Replace(goodHeader, "Credential=AKID/", "Credential=tenant/AKID/", 1), "", stdHeaders...)
	if a := mustParse(t, r); a.AccessKeyID != "tenant/AKID" || a.Region != "us-west-2" {
		t.Fatalf("got %+v", a)
	}
}
