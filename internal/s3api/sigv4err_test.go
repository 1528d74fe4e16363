package s3api

import (
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/s3err"
	"github.com/zonal-dev/zonal/internal/sigv4"
)

// TestSigV4ErrorsOnTheWire pins S3's answer to each SigV4 fault: code,
// status, message and extra elements, as AWS gives them. sigv4's own tests
// check which kind each malformed request gets.
func TestSigV4ErrorsOnTheWire(t *testing.T) {
	reqTime := time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC)
	f := func(name, value string) s3err.Field { return s3err.Field{Name: name, Value: value} }
	cause := errors.New("connection reset")
	timeout := s3err.RequestTimeout.Wrap(errors.New("deadline"))
	tests := []struct {
		err    *sigv4.Error
		code   string
		status int
		msg    string // "" for the code's usual message
		extra  []s3err.Field
		cause  error
	}{
		{&sigv4.Error{Kind: sigv4.NoAuth}, "AccessDenied", 403, "", nil, nil},
		{&sigv4.Error{Kind: sigv4.UnsupportedMechanism, Message: "use v4"}, "InvalidRequest", 400, "use v4", nil, nil},
		{&sigv4.Error{Kind: sigv4.UnknownScheme, Message: "Unsupported Authorization Type", Value: "Bearer x"}, "InvalidArgument", 400,
			"Unsupported Authorization Type", []s3err.Field{f("ArgumentName", "Authorization"), f("ArgumentValue", "Bearer x")}, nil},
		{&sigv4.Error{Kind: sigv4.MultipleMechanisms, Message: "Only one", Value: "AWS4-HMAC-SHA256 x"}, "InvalidArgument", 400,
			"Only one", []s3err.Field{f("ArgumentName", "Authorization"), f("ArgumentValue", "AWS4-HMAC-SHA256 x")}, nil},
		{&sigv4.Error{Kind: sigv4.MalformedHeader, Message: "bad %q"}, "AuthorizationHeaderMalformed", 400, "bad %q", nil, nil},
		{&sigv4.Error{Kind: sigv4.MalformedQuery, Message: "bad query"}, "AuthorizationQueryParametersError", 400, "bad query", nil, nil},
		{&sigv4.Error{Kind: sigv4.MissingDate, Message: "need a date"}, "AccessDenied", 403, "need a date", nil, nil},
		{&sigv4.Error{Kind: sigv4.MissingPayloadHash, Message: "need sha"}, "InvalidRequest", 400, "need sha", nil, nil},
		{&sigv4.Error{Kind: sigv4.InvalidPayloadHash, Message: "bad sha", Value: "nope"}, "InvalidArgument", 400,
			"bad sha", []s3err.Field{f("ArgumentName", "x-amz-content-sha256"), f("ArgumentValue", "nope")}, nil},
		{&sigv4.Error{Kind: sigv4.Expired, Message: "Request has expired", Time: reqTime, Expires: time.Hour, Now: reqTime.Add(time.Hour + time.Second)},
			"AccessDenied", 403, "Request has expired", []s3err.Field{f("X-Amz-Expires", "3600"),
				f("Expires", "2025-06-07T09:09:10Z"), f("ServerTime", "2025-06-07T09:09:11Z")}, nil},
		{&sigv4.Error{Kind: sigv4.Skewed, Time: reqTime, Now: reqTime.Add(16 * time.Minute)}, "RequestTimeTooSkewed", 403,
			"The difference between the request time and the current time is too large.", []s3err.Field{
				f("RequestTime", "20250607T080910Z"), f("ServerTime", "2025-06-07T08:25:10Z"), f("MaxAllowedSkewMilliseconds", "900000")}, nil},
		{&sigv4.Error{Kind: sigv4.UnsignedHeader, Message: "There were headers present in the request which were not signed", Value: "host"},
			"AccessDenied", 403, "There were headers present in the request which were not signed", []s3err.Field{f("HeadersNotSigned", "host")}, nil},
		{&sigv4.Error{Kind: sigv4.BadSignature, AccessKeyID: "AKID", Signature: "sig", StringToSign: "sts", CanonicalRequest: "cr"},
			"SignatureDoesNotMatch", 403, "", []s3err.Field{f("AWSAccessKeyId", "AKID"), f("StringToSign", "sts"),
				f("SignatureProvided", "sig"), f("CanonicalRequest", "cr")}, nil},
		{&sigv4.Error{Kind: sigv4.BadSignature}, "SignatureDoesNotMatch", 403, "", nil, nil},
		{&sigv4.Error{Kind: sigv4.BadSignature, Message: "chunk"}, "SignatureDoesNotMatch", 403, "chunk", nil, nil},
		{&sigv4.Error{Kind: sigv4.PayloadMismatch, Value: "aa", Computed: "bb"}, "XAmzContentSHA256Mismatch", 400, "",
			[]s3err.Field{f("ClientComputedContentSHA256", "aa"), f("S3ComputedContentSHA256", "bb")}, nil},
		{&sigv4.Error{Kind: sigv4.IncompleteBody}, "IncompleteBody", 400, "", nil, nil},
		{&sigv4.Error{Kind: sigv4.IncompleteBody, Message: "longer"}, "IncompleteBody", 400, "longer", nil, nil},
		{&sigv4.Error{Kind: sigv4.IncompleteBody, Err: cause}, "IncompleteBody", 400, "", nil, cause},
		{&sigv4.Error{Kind: sigv4.IncompleteBody, Err: timeout}, "RequestTimeout", 400, "", nil, timeout.Cause},
		{&sigv4.Error{Kind: sigv4.MalformedBody, Message: "Malformed aws-chunked body: x"}, "InvalidRequest", 400, "Malformed aws-chunked body: x", nil, nil},
		{&sigv4.Error{Kind: sigv4.MalformedTrailer, Err: cause}, "MalformedTrailerError", 400, "", nil, cause},
		{&sigv4.Error{Kind: sigv4.ChunkTooLarge, Message: "too big"}, "EntityTooLarge", 400, "too big", nil, nil},
		{&sigv4.Error{Kind: sigv4.InvalidDecodedLength, Message: "bad length", Value: "-1"}, "InvalidArgument", 400, "bad length",
			[]s3err.Field{f("ArgumentName", "x-amz-decoded-content-length"), f("ArgumentValue", "-1")}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.err.Kind.String(), func(t *testing.T) {
			e := s3err.As(sigv4Error(tc.err))
			msg := tc.msg
			if msg == "" {
				msg = defaultMessage[tc.code]
			}
			if e.Code != tc.code || e.Status != tc.status || e.Message != msg ||
				fmt.Sprint(e.Extra) != fmt.Sprint(tc.extra) || e.Cause != tc.cause {
				t.Fatalf("got %s %d %q %v (cause %v), want %s %d %q %v (cause %v)",
					e.Code, e.Status, e.Message, e.Extra, e.Cause, tc.code, tc.status, msg, tc.extra, tc.cause)
			}
		})
	}
}

// defaultMessage is S3's usual message of the codes above that sigv4 does
// not word.
var defaultMessage = map[string]string{
	"AccessDenied":              "Access Denied",
	"SignatureDoesNotMatch":     "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
	"XAmzContentSHA256Mismatch": "The provided 'x-amz-content-sha256' header does not match what was computed.",
	"IncompleteBody":            "You did not provide the number of bytes specified by the Content-Length HTTP header.",
	"RequestTimeout":            "Your socket connection to the server was not read from or written to within the timeout period.",
	"MalformedTrailerError":     "The request contained trailing data that was not well-formed or did not conform to our published schema.",
}

// A payload fault surfaces from Read already as S3's error, whatever reads
// the body in between.
func TestSignedBodyErrors(t *testing.T) {
	a := &sigv4.Auth{PayloadHash: sigv4.HashPayload([]byte("abc"))}
	r := httptest.NewRequest("PUT", "/b/k", strings.NewReader("abd"))
	p, err := signed{a}.Body(r, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(p)
	var e *s3err.Error
	if !errors.As(err, &e) || e.Code != "XAmzContentSHA256Mismatch" {
		t.Fatalf("read error %v", err)
	}
	a.PayloadHash = "nope"
	if _, err := (signed{a}).Body(r, nil, nil); s3err.As(err).Code != "InvalidArgument" {
		t.Fatalf("Body error %v", err)
	}
}
