// Package sigv4 owns AWS Signature Version 4 on the server side: parsing the
// Authorization header or presigned query of an incoming S3 / S3 Express
// request (Parse), checking its signature and time window (Auth.Verify), and
// decoding and verifying the request payload in every form S3 accepts
// (Auth.Body): a literal SHA-256, UNSIGNED-PAYLOAD, and the aws-chunked
// streaming encodings with signed chunks and/or trailers.
//
// It also holds a lean client-side Signer, used by tests and the bench tool to
// build signed requests without the AWS SDK.
//
// The package does not know about users, sessions or buckets: callers look up
// the secret for Auth.AccessKeyID, decide which regions and services they
// accept, and pass the derived signing key (SigningKey, which they may cache)
// to Verify and Body. Every error it returns is an *Error whose Kind names
// the fault; the front ends turn kinds into their APIs' error codes.
package sigv4

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Algorithm is the only signing algorithm this package verifies.
const Algorithm = "AWS4-HMAC-SHA256"

// Payload-hash values (x-amz-content-sha256) with a special meaning.
const (
	UnsignedPayload                 = "UNSIGNED-PAYLOAD"
	StreamingUnsignedPayloadTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	StreamingPayload                = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	StreamingPayloadTrailer         = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	// EmptySHA256 is the hex SHA-256 of an empty payload.
	EmptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

const (
	// MaxSkew is how far a header-signed request's time may be from the
	// server's clock (and how far in the future a presigned URL may start).
	MaxSkew = 15 * time.Minute
	// MaxExpires is the longest X-Amz-Expires a presigned URL may carry.
	MaxExpires = 7 * 24 * time.Hour

	amzDateLayout   = "20060102T150405Z"
	scopeTerminator = "aws4_request"
)

// Auth is what a request's SigV4 authentication claims, parsed but not yet
// verified.
type Auth struct {
	AccessKeyID   string
	Time          time.Time // X-Amz-Date (or Date header fallback), UTC
	Date          string    // yyyymmdd from the credential scope
	Region        string
	Service       string   // e.g. "s3express", "s3", "iam", "sts"
	SignedHeaders []string // lower-case, as listed
	Signature     string   // hex
	Presigned     bool
	Expires       time.Duration // presigned only (X-Amz-Expires)
	// PayloadHash is the x-amz-content-sha256 value ("UNSIGNED-PAYLOAD" for
	// presigned requests without one). For services other than s3/s3express
	// the header is optional; when it is absent PayloadHash is empty and
	// Verify uses the hash of an empty payload, so a caller verifying such a
	// request with a body must set PayloadHash to the body's hex SHA-256.
	PayloadHash   string
	SessionToken  string // x-amz-s3session-token header, or X-Amz-S3session-Token query param
	SecurityToken string // x-amz-security-token header / X-Amz-Security-Token query

	signedHeaders string // the SignedHeaders list exactly as sent
}

// Scope returns the credential scope "date/region/service/aws4_request".
func (a *Auth) Scope() string {
	return a.Date + "/" + a.Region + "/" + a.Service + "/" + scopeTerminator
}

// Error messages AWS uses (where known).
const (
	msgUnsupportedMechanism = "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
	msgOneMechanism         = "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified"
	msgNeedDate             = "AWS authentication requires a valid Date or x-amz-date header"
	msgCredentialMalformed  = "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"."
	msgCredentialDate       = "Invalid credential date. Date is not the same as X-Amz-Date."
	msgQueryMissing         = "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
	msgQueryAlgorithm       = "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\""
	msgQueryDate            = "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""
	msgExpiresNumber        = "X-Amz-Expires should be a number"
	msgExpiresNegative      = "X-Amz-Expires must be non-negative"
	msgExpiresZero          = "X-Amz-Expires must be greater than 0"
	msgExpiresWeek          = "X-Amz-Expires must be less than a week (in seconds) that is 604800"
	msgMissingContentSHA    = "Missing required header for this request: x-amz-content-sha256"
	msgBadContentSHA        = "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value."
	msgHeaderComponents     = "The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature."
)

// Parse reads the SigV4 authentication of r: the Authorization header
// ("AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...") or the
// presigned query form (X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date,
// X-Amz-Expires, X-Amz-SignedHeaders, X-Amz-Signature, optionally
// X-Amz-S3session-Token / X-Amz-Security-Token). It checks the syntax only;
// Verify checks the signature and the time.
//
// It returns ErrNoAuth when r carries no authentication at all. Otherwise
// the error's kind is (with S3's answer, which the S3 front end gives):
//   - MultipleMechanisms, both an Authorization header and presigned
//     parameters ("Only one auth mechanism allowed"), or UnknownScheme such
//     as "Bearer ..." ("Unsupported Authorization Type"): 400 InvalidArgument;
//   - UnsupportedMechanism, SigV2 ("AWS akid:sig", AWSAccessKeyId/Signature
//     parameters) and SigV4a (AWS4-ECDSA-P256-SHA256): 400 InvalidRequest
//     "The authorization mechanism you have provided is not supported.
//     Please use AWS4-HMAC-SHA256." -- what SigV4-only AWS regions answer;
//   - MalformedHeader: 400 AuthorizationHeaderMalformed; MalformedQuery,
//     presigned parameters (X-Amz-Expires outside 1..604800 included): 400
//     AuthorizationQueryParametersError;
//   - MissingDate, no valid X-Amz-Date or Date header: 403 AccessDenied;
//   - MissingPayloadHash, an S3 (s3, s3express) header-signed request
//     without x-amz-content-sha256: 400 InvalidRequest; InvalidPayloadHash,
//     an unknown payload-hash value: 400 InvalidArgument.
func Parse(r *http.Request) (*Auth, error) {
	hdr := r.Header["Authorization"]
	q := scanQueryAuth(r.URL.RawQuery)
	switch {
	case len(hdr) == 0 && q == 0:
		return nil, ErrNoAuth
	case len(hdr) > 0 && q != 0:
		// AWS refuses a request that carries both forms.
		return nil, &Error{Kind: MultipleMechanisms, Message: msgOneMechanism, Value: hdr[0]}
	case len(hdr) > 1:
		return nil, malformedHeader("The authorization header is malformed; multiple Authorization headers.")
	case len(hdr) == 1:
		return parseHeader(r, hdr[0])
	case q == queryV2:
		// SigV2 presigned URL (AWSAccessKeyId/Signature/Expires). AWS regions
		// without SigV2 answer 400 InvalidRequest with this message.
		return nil, fail(UnsupportedMechanism, msgUnsupportedMechanism)
	default:
		return parseQuery(r)
	}
}

const (
	queryV4 = 1
	queryV2 = 2
)

// scanQueryAuth reports whether the raw query carries presigned-URL
// authentication, without allocating: queryV4 when X-Amz-Algorithm,
// X-Amz-Credential or X-Amz-Signature is present, queryV2 for a SigV2
// presigned URL (AWSAccessKeyId and Signature), else 0.
func scanQueryAuth(raw string) int {
	if raw == "" {
		return 0
	}
	var v2akid, v2sig bool
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		k, _, _ := strings.Cut(part, "=")
		switch k {
		case "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature":
			return queryV4
		case "AWSAccessKeyId":
			v2akid = true
		case "Signature":
			v2sig = true
		}
	}
	if v2akid && v2sig {
		return queryV2
	}
	return 0
}

func parseHeader(r *http.Request, h string) (*Auth, error) {
	alg, rest, _ := strings.Cut(h, " ")
	if alg != Algorithm {
		return nil, unsupportedAuth(h, alg)
	}
	a := &Auth{}
	var cred, signed, sig string
	var haveCred, haveSigned, haveSig bool
	for rest != "" {
		var comp string
		comp, rest, _ = strings.Cut(rest, ",")
		comp = strings.TrimSpace(comp)
		if comp == "" {
			continue
		}
		k, v, ok := strings.Cut(comp, "=")
		if !ok {
			return nil, malformedHeader("The authorization header is malformed; the authorization component %q is malformed.", comp)
		}
		var dup bool
		switch k {
		case "Credential":
			dup, haveCred, cred = haveCred, true, v
		case "SignedHeaders":
			dup, haveSigned, signed = haveSigned, true, v
		case "Signature":
			dup, haveSig, sig = haveSig, true, v
		default:
			return nil, malformedHeader("The authorization header is malformed; the authorization component %q is malformed.", comp)
		}
		if dup {
			return nil, malformedHeader("The authorization header is malformed; the authorization component %q is repeated.", k)
		}
	}
	if !haveCred || !haveSigned || !haveSig || sig == "" {
		return nil, malformedHeader(msgHeaderComponents)
	}
	if !parseCredential(a, cred) {
		return nil, malformedHeader("The authorization header is malformed; " + msgCredentialMalformed)
	}
	if !setSignedHeaders(a, signed) {
		return nil, malformedHeader("The authorization header is malformed; the SignedHeaders component %q is malformed.", signed)
	}
	a.Signature = sig

	if v := r.Header["X-Amz-Date"]; len(v) > 0 {
		t, err := time.Parse(amzDateLayout, v[0])
		if err != nil {
			return nil, fail(MissingDate, msgNeedDate)
		}
		a.Time = t
	} else if v := r.Header["Date"]; len(v) > 0 {
		t, err := http.ParseTime(v[0])
		if err != nil {
			return nil, fail(MissingDate, msgNeedDate)
		}
		a.Time = t.UTC()
	} else {
		return nil, fail(MissingDate, msgNeedDate)
	}
	if !sameDay(a.Date, a.Time) {
		return nil, malformedHeader(msgCredentialDate)
	}

	if v := r.Header["X-Amz-Content-Sha256"]; len(v) > 0 {
		a.PayloadHash = v[0]
	} else if isS3Service(a.Service) {
		// S3 needs the header for header-signed SigV4; other services hash
		// the body themselves (see Auth.PayloadHash).
		return nil, fail(MissingPayloadHash, msgMissingContentSHA)
	}
	if err := checkPayloadHash(a.PayloadHash); err != nil {
		return nil, err
	}
	if v := r.Header["X-Amz-S3session-Token"]; len(v) > 0 {
		a.SessionToken = v[0]
	}
	if v := r.Header["X-Amz-Security-Token"]; len(v) > 0 {
		a.SecurityToken = v[0]
	}
	return a, nil
}

// unsupportedAuth is the error for an Authorization header that is not
// AWS4-HMAC-SHA256. SigV2 ("AWS akid:sig") and SigV4a (AWS4-ECDSA-P256-SHA256)
// get the InvalidRequest "not supported, use AWS4-HMAC-SHA256" answer that
// SigV4-only AWS regions give to SigV2; S3 answers any other scheme (e.g.
// "Bearer ...") with 400 InvalidArgument "Unsupported Authorization Type".
func unsupportedAuth(h, alg string) error {
	if alg == "AWS" || strings.HasPrefix(alg, "AWS4-") {
		return fail(UnsupportedMechanism, msgUnsupportedMechanism)
	}
	return &Error{Kind: UnknownScheme, Message: "Unsupported Authorization Type", Value: h}
}

func isS3Service(s string) bool { return s == "s3" || s == "s3express" }

// checkPayloadHash accepts the special payload-hash values and 64-hex-digit
// SHA-256 values. S3 answers anything else with 400 InvalidArgument (and
// names the header); SigV4a streaming values are refused the same way since
// SigV4a is not supported.
func checkPayloadHash(p string) error {
	switch p {
	case "", UnsignedPayload, StreamingUnsignedPayloadTrailer, StreamingPayload, StreamingPayloadTrailer:
		return nil
	}
	if len(p) == 64 {
		var h [32]byte
		if decodeHex(h[:], p) {
			return nil
		}
	}
	return badPayloadHash(p)
}

func badPayloadHash(p string) error {
	return &Error{Kind: InvalidPayloadHash, Message: msgBadContentSHA, Value: p}
}

// parseCredential splits "AKID/yyyymmdd/region/service/aws4_request" from the
// right (so an access key id containing '/' still parses).
func parseCredential(a *Auth, c string) bool {
	var parts [4]string
	for i := 3; i >= 0; i-- {
		j := strings.LastIndexByte(c, '/')
		if j < 0 {
			return false
		}
		parts[i], c = c[j+1:], c[:j]
	}
	if c == "" || parts[3] != scopeTerminator || parts[1] == "" || parts[2] == "" || !isDate(parts[0]) {
		return false
	}
	a.AccessKeyID, a.Date, a.Region, a.Service = c, parts[0], parts[1], parts[2]
	return true
}

func isDate(s string) bool {
	if len(s) != 8 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// sameDay reports whether yyyymmdd names t's UTC day.
func sameDay(yyyymmdd string, t time.Time) bool {
	var b [8]byte
	return string(t.UTC().AppendFormat(b[:0], "20060102")) == yyyymmdd
}

func setSignedHeaders(a *Auth, s string) bool {
	if s == "" {
		return false
	}
	raw := s
	n := strings.Count(s, ";") + 1
	list := make([]string, 0, n)
	for range n {
		var h string
		h, s, _ = strings.Cut(s, ";")
		if h == "" || !isHeaderName(h) {
			return false
		}
		list = append(list, h)
	}
	a.SignedHeaders, a.signedHeaders = list, raw
	return true
}

// isHeaderName reports whether h is a lower-case HTTP token.
func isHeaderName(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		if c >= 'A' && c <= 'Z' || !isTokenChar(c) {
			return false
		}
	}
	return true
}

func isTokenChar(c byte) bool { return tokenChars[c] }

// tokenChars marks the bytes allowed in an HTTP header name (RFC 9110 token).
var tokenChars = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// parseQuery parses presigned-URL authentication.
func parseQuery(r *http.Request) (*Auth, error) {
	var alg, cred, date, expires, signed, sig, sha, session, security string
	var have [6]bool
	raw := r.URL.RawQuery
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(part, "=")
		var dst *string
		idx := -1
		switch k {
		case "X-Amz-Algorithm":
			dst, idx = &alg, 0
		case "X-Amz-Credential":
			dst, idx = &cred, 1
		case "X-Amz-Date":
			dst, idx = &date, 2
		case "X-Amz-Expires":
			dst, idx = &expires, 3
		case "X-Amz-SignedHeaders":
			dst, idx = &signed, 4
		case "X-Amz-Signature":
			dst, idx = &sig, 5
		case "X-Amz-Content-Sha256":
			dst = &sha
		case "X-Amz-S3session-Token":
			dst = &session
		case "X-Amz-Security-Token":
			dst = &security
		default:
			continue
		}
		if idx >= 0 {
			if have[idx] {
				return nil, malformedQuery("The %s parameter is repeated.", k)
			}
			have[idx] = true
		}
		d, err := url.QueryUnescape(v)
		if err != nil {
			return nil, malformedQuery("Error parsing the %s parameter.", k)
		}
		*dst = d
	}
	for _, ok := range have {
		if !ok {
			return nil, malformedQuery(msgQueryMissing)
		}
	}
	if alg != Algorithm {
		return nil, malformedQuery(msgQueryAlgorithm)
	}
	a := &Auth{Presigned: true}
	if !parseCredential(a, cred) {
		return nil, malformedQuery("Error parsing the X-Amz-Credential parameter; " + msgCredentialMalformed)
	}
	t, err := time.Parse(amzDateLayout, date)
	if err != nil {
		return nil, malformedQuery(msgQueryDate)
	}
	a.Time = t
	if !sameDay(a.Date, a.Time) {
		return nil, malformedQuery(msgCredentialDate)
	}
	secs, err := strconv.ParseInt(expires, 10, 64)
	switch {
	case err != nil && errors.Is(err, strconv.ErrRange) && strings.HasPrefix(expires, "-"):
		return nil, malformedQuery(msgExpiresNegative)
	case err != nil && errors.Is(err, strconv.ErrRange):
		return nil, malformedQuery(msgExpiresWeek)
	case err != nil:
		return nil, malformedQuery(msgExpiresNumber)
	case secs < 0:
		return nil, malformedQuery(msgExpiresNegative)
	case secs == 0:
		return nil, malformedQuery(msgExpiresZero)
	case secs > int64(MaxExpires/time.Second):
		return nil, malformedQuery(msgExpiresWeek)
	}
	a.Expires = time.Duration(secs) * time.Second
	if !setSignedHeaders(a, signed) {
		return nil, malformedQuery("Error parsing the X-Amz-SignedHeaders parameter.")
	}
	if sig == "" {
		return nil, malformedQuery(msgQueryMissing)
	}
	a.Signature = sig
	// A payload hash header (or X-Amz-Content-Sha256 parameter) overrides the
	// presigned default.
	if v := r.Header["X-Amz-Content-Sha256"]; len(v) > 0 {
		a.PayloadHash = v[0]
	} else if sha != "" {
		a.PayloadHash = sha
	} else {
		a.PayloadHash = UnsignedPayload
	}
	if err := checkPayloadHash(a.PayloadHash); err != nil {
		return nil, err
	}
	if v := r.Header["X-Amz-S3session-Token"]; len(v) > 0 {
		a.SessionToken = v[0]
	} else {
		a.SessionToken = session
	}
	if v := r.Header["X-Amz-Security-Token"]; len(v) > 0 {
		a.SecurityToken = v[0]
	} else {
		a.SecurityToken = security
	}
	return a, nil
}

func malformedHeader(format string, args ...any) error {
	return fail(MalformedHeader, fmt.Sprintf(format, args...))
}

func malformedQuery(format string, args ...any) error {
	return fail(MalformedQuery, fmt.Sprintf(format, args...))
}
