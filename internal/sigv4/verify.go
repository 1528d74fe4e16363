package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// SigningKey derives the SigV4 HMAC key for (secret, date, region, service),
// date being yyyymmdd. Callers may cache it: it is valid for that day.
func SigningKey(secret, date, region, service string) []byte {
	var kb [64 + 4]byte
	seed := append(append(kb[:0], "AWS4"...), secret...)
	k := hmacString(seed, date)
	k = hmacString(k[:], region)
	k = hmacString(k[:], service)
	k = hmacString(k[:], scopeTerminator)
	return append([]byte(nil), k[:]...)
}

// Verify checks a's signature against r as received, and its time window
// against now. key is SigningKey(secret, a.Date, a.Region, a.Service). Region
// and service are not checked here: the caller decides what it accepts.
//
// The canonical request is built from the method; the request path exactly as
// sent (no normalisation, "//" kept; if that does not match, the path decoded
// and re-encoded with SigV4's rules is tried, which is what a client that sent
// unescaped characters such as '$' signed); the canonical query (everything
// but X-Amz-Signature for presigned URLs); the signed headers ("host" from
// r.Host); and a.PayloadHash.
func (a *Auth) Verify(r *http.Request, key []byte, now time.Time) error {
	if err := a.checkTime(now); err != nil {
		return err
	}
	if err := a.checkSignedHeaders(r); err != nil {
		return err
	}
	var want [32]byte
	okHex := len(a.Signature) == 64 && decodeHex(want[:], a.Signature)

	path := requestPath(r)
	bp := bufPool.Get().(*[]byte)
	defer putBuf(bp)
	cr := a.appendCanonicalRequest((*bp)[:0], r, path)
	*bp = cr
	got := a.signCanonical(key, cr)
	if okHex && hmac.Equal(got[:], want[:]) {
		return nil
	}
	if alt, ok := canonicalPath(path); ok && alt != path {
		b2 := a.appendCanonicalRequest(cr[len(cr):], r, alt)
		got = a.signCanonical(key, b2)
		if okHex && hmac.Equal(got[:], want[:]) {
			return nil
		}
	}
	return a.mismatch(cr)
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

func putBuf(bp *[]byte) {
	if cap(*bp) <= 64<<10 {
		bufPool.Put(bp)
	}
}

func (a *Auth) checkTime(now time.Time) error {
	if a.Presigned {
		if a.Time.Sub(now) > MaxSkew {
			return a.skewed(now)
		}
		if exp := a.Time.Add(a.Expires); now.After(exp) {
			return &Error{Kind: Expired, Message: "Request has expired", Time: a.Time, Expires: a.Expires, Now: now}
		}
		return nil
	}
	d := now.Sub(a.Time)
	if d > MaxSkew || d < -MaxSkew {
		return a.skewed(now)
	}
	return nil
}

func (a *Auth) skewed(now time.Time) error {
	return &Error{Kind: Skewed, Time: a.Time, Now: now}
}

// checkSignedHeaders requires "host" among the signed headers (AWS does; an
// unsigned Host would let a signature be replayed against another
// host/bucket), and requires the token headers, when present, to be signed
// too: both name the credentials the request claims. The error is
// UnsignedHeader naming them (S3: 403 AccessDenied "There were headers
// present in the request which were not signed", HeadersNotSigned).
func (a *Auth) checkSignedHeaders(r *http.Request) error {
	host := false
	for _, h := range a.SignedHeaders {
		if h == "host" {
			host = true
		}
	}
	if !host {
		return notSigned("host")
	}
	// Every x-amz-* header must be signed, as on AWS: an unsigned one could
	// change what a signed (or presigned) request does, e.g. add
	// x-amz-copy-source or x-amz-write-offset-bytes. x-amz-content-sha256
	// is exempt (AWS tolerates it unsigned; the payload is verified
	// against it anyway). Stock SDKs sign every x-amz-* header they send.
	var missing []string
	for name := range r.Header {
		if len(name) < 6 || !strings.EqualFold(name[:6], "x-amz-") {
			continue
		}
		// Case-insensitive matches: no lower-cased copy per header (this
		// runs for every request and its every x-amz-* header).
		if strings.EqualFold(name, "x-amz-content-sha256") || a.signedFold(name) {
			continue
		}
		missing = append(missing, strings.ToLower(name))
	}
	if len(missing) == 0 {
		return nil
	}
	sort.Strings(missing)
	return notSigned(strings.Join(missing, ", "))
}

func notSigned(names string) error {
	return &Error{Kind: UnsignedHeader, Message: "There were headers present in the request which were not signed", Value: names}
}

// signedFold reports whether a header name, in any case, is in
// SignedHeaders (which are lower case).
func (a *Auth) signedFold(name string) bool {
	for _, h := range a.SignedHeaders {
		if len(h) == len(name) && strings.EqualFold(h, name) {
			return true
		}
	}
	return false
}

func (a *Auth) mismatch(cr []byte) error {
	var sb [512]byte
	sts := a.appendStringToSign(sb[:0], sha256.Sum256(cr))
	return &Error{Kind: BadSignature, AccessKeyID: a.AccessKeyID, Signature: a.Signature,
		StringToSign: string(sts), CanonicalRequest: string(cr)}
}

// signCanonical returns HMAC(key, string-to-sign(canonical request cr)).
func (a *Auth) signCanonical(key []byte, cr []byte) [32]byte {
	var sb [64 + 256]byte
	buf := a.appendStringToSign(sb[:64], sha256.Sum256(cr))
	return hmacPrefixed(key, buf)
}

func (a *Auth) appendStringToSign(b []byte, crHash [32]byte) []byte {
	b = append(b, Algorithm...)
	b = append(b, '\n')
	b = a.Time.UTC().AppendFormat(b, amzDateLayout)
	b = append(b, '\n')
	b = a.appendScope(b)
	b = append(b, '\n')
	return appendHex(b, crHash[:])
}

func (a *Auth) appendScope(b []byte) []byte {
	b = append(b, a.Date...)
	b = append(b, '/')
	b = append(b, a.Region...)
	b = append(b, '/')
	b = append(b, a.Service...)
	b = append(b, '/')
	return append(b, scopeTerminator...)
}

// appendCanonicalRequest appends the SigV4 canonical request of r to b, with
// path as the canonical URI.
func (a *Auth) appendCanonicalRequest(b []byte, r *http.Request, path string) []byte {
	b = append(b, r.Method...)
	b = append(b, '\n')
	b = append(b, path...)
	b = append(b, '\n')
	b = appendCanonicalQuery(b, r.URL.RawQuery, a.Presigned)
	b = append(b, '\n')
	for _, name := range a.SignedHeaders {
		b = append(b, name...)
		b = append(b, ':')
		if name == "host" {
			host := r.Host
			if host == "" {
				host = r.URL.Host
			}
			b = appendTrimmed(b, host)
		} else if vals := headerValues(r.Header, name); vals != nil {
			for i, v := range vals {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendTrimmed(b, v)
			}
		} else if name == "transfer-encoding" {
			// net/http moves Transfer-Encoding out of the header map.
			for i, v := range r.TransferEncoding {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendTrimmed(b, v)
			}
		}
		b = append(b, '\n')
	}
	b = append(b, '\n')
	if a.signedHeaders != "" {
		b = append(b, a.signedHeaders...)
	} else {
		for i, h := range a.SignedHeaders {
			if i > 0 {
				b = append(b, ';')
			}
			b = append(b, h...)
		}
	}
	b = append(b, '\n')
	if a.PayloadHash == "" {
		return append(b, EmptySHA256...)
	}
	return append(b, a.PayloadHash...)
}

// requestPath returns the path of r exactly as the client sent it.
func requestPath(r *http.Request) string {
	u := r.RequestURI
	if u == "" {
		// Client side (or a hand-built request): what net/http will send.
		if r.URL.Opaque != "" {
			return r.URL.Opaque
		}
		if p := r.URL.EscapedPath(); p != "" {
			return p
		}
		return "/"
	}
	if i := strings.IndexByte(u, '?'); i >= 0 {
		u = u[:i]
	}
	if u == "" {
		return "/"
	}
	if u[0] != '/' {
		// absolute-form request target: scheme://authority/path
		i := strings.Index(u, "://")
		if i < 0 {
			return r.URL.EscapedPath()
		}
		u = u[i+3:]
		j := strings.IndexByte(u, '/')
		if j < 0 {
			return "/"
		}
		u = u[j:]
	}
	if u == "" {
		return "/"
	}
	return u
}

// headerValues returns h's values for the lower-case name without
// allocating when the canonical form of name is the map key (always, for
// requests read by net/http).
func headerValues(h http.Header, name string) []string {
	var kb [64]byte
	if len(name) <= len(kb) {
		if v, ok := h[string(canonicalKey(kb[:0], name))]; ok {
			return v
		}
	}
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

// canonicalKey is textproto.CanonicalMIMEHeaderKey into a caller buffer.
func canonicalKey(dst []byte, s string) []byte {
	upper := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isTokenChar(c) {
			return append(dst[:0], s...)
		}
		if upper && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		} else if !upper && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
		upper = c == '-'
	}
	return dst
}

// appendTrimmed appends v without leading/trailing spaces or tabs and with
// inner runs of spaces collapsed to one.
func appendTrimmed(b []byte, v string) []byte {
	v = strings.Trim(v, " \t")
	prevSpace := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' {
			if prevSpace {
				continue
			}
			prevSpace = true
		} else {
			prevSpace = false
		}
		b = append(b, c)
	}
	return b
}

type queryParam struct{ k, v string }

// appendCanonicalQuery appends the canonical form of a raw query string:
// parameters decoded ('+' as space, like net/url) and re-encoded with SigV4's
// rules, sorted by key then value, "k=" for empty values. X-Amz-Signature is
// left out when presigned.
func appendCanonicalQuery(b []byte, raw string, presigned bool) []byte {
	if raw == "" {
		return b
	}
	var stack [16]queryParam
	params := stack[:0]
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		k, v = canonicalQueryPart(k), canonicalQueryPart(v)
		if presigned && k == "X-Amz-Signature" {
			continue
		}
		params = append(params, queryParam{k, v})
	}
	slices.SortFunc(params, func(x, y queryParam) int {
		if c := strings.Compare(x.k, y.k); c != 0 {
			return c
		}
		return strings.Compare(x.v, y.v)
	})
	for i, p := range params {
		if i > 0 {
			b = append(b, '&')
		}
		b = append(b, p.k...)
		b = append(b, '=')
		b = append(b, p.v...)
	}
	return b
}

// canonicalQueryPart returns the SigV4 encoding of a raw query key or value.
func canonicalQueryPart(s string) string {
	if isCanonicalEncoded(s) {
		return s
	}
	d, ok := unescape(s, true)
	if !ok {
		// Invalid escapes: encode the raw text, '%' included.
		d = s
	}
	return string(uriEncode(make([]byte, 0, len(d)+len(d)/2), d, false))
}

// isCanonicalEncoded reports whether s is already in SigV4 encoding: only
// unreserved characters and upper-case %XX escapes of reserved bytes.
func isCanonicalEncoded(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) {
			continue
		}
		if c != '%' || i+2 >= len(s) || !isUpperHex(s[i+1]) || !isUpperHex(s[i+2]) {
			return false
		}
		if isUnreserved(unhex(s[i+1])<<4 | unhex(s[i+2])) {
			return false
		}
		i += 2
	}
	return true
}

// canonicalPath decodes a raw path and re-encodes it with SigV4's rules for
// S3 ('/' kept, no normalisation). ok is false for invalid escapes.
func canonicalPath(p string) (string, bool) {
	d, ok := unescape(p, false)
	if !ok {
		return "", false
	}
	return string(uriEncode(make([]byte, 0, len(d)+16), d, true)), true
}

func isUnreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

func isUpperHex(c byte) bool { return '0' <= c && c <= '9' || 'A' <= c && c <= 'F' }

func isHex(c byte) bool { return isUpperHex(c) || 'a' <= c && c <= 'f' }

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10
	}
	return 0
}

// unescape percent-decodes s; plus decodes '+' as a space (query strings).
func unescape(s string, plus bool) (string, bool) {
	n := 0
	hasPlus := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return "", false
			}
			n++
			i += 2
		case '+':
			hasPlus = plus
		}
	}
	if n == 0 && !hasPlus {
		return s, true
	}
	b := make([]byte, 0, len(s)-2*n)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '%':
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		case c == '+' && plus:
			b = append(b, ' ')
		default:
			b = append(b, c)
		}
	}
	return string(b), true
}

const upperHexDigits = "0123456789ABCDEF"

// uriEncode appends s encoded the SigV4 way: unreserved characters as they
// are, everything else as upper-case %XX (and '/' kept when keepSlash).
func uriEncode(b []byte, s string, keepSlash bool) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) || c == '/' && keepSlash {
			b = append(b, c)
			continue
		}
		b = append(b, '%', upperHexDigits[c>>4], upperHexDigits[c&15])
	}
	return b
}

// EncodePath returns an S3 object path ("/bucket/key") encoded as AWS SDKs
// send and sign it: unreserved characters and '/' as they are, every other
// byte as %XX. A URL string built with it and given to http.NewRequest is
// sent (and signed by Signer) with exactly this encoding.
func EncodePath(p string) string { return string(uriEncode(nil, p, true)) }

// EncodeQuery returns s encoded as a SigV4 canonical query key or value.
func EncodeQuery(s string) string { return string(uriEncode(nil, s, false)) }

const lowerHexDigits = "0123456789abcdef"

func appendHex(b []byte, src []byte) []byte {
	for _, c := range src {
		b = append(b, lowerHexDigits[c>>4], lowerHexDigits[c&15])
	}
	return b
}

// decodeHex decodes len(dst)*2 hex digits (either case) from s.
func decodeHex[T string | []byte](dst []byte, s T) bool {
	if len(s) != 2*len(dst) {
		return false
	}
	for i := range dst {
		h, l := s[2*i], s[2*i+1]
		if !isHex(h) || !isHex(l) {
			return false
		}
		dst[i] = unhex(h)<<4 | unhex(l)
	}
	return true
}

// hmacPrefixed returns HMAC-SHA256(key, buf[64:]) using buf[:64] as scratch
// space for the inner pad, so the message is hashed without being copied
// (RFC 2104 with SHA-256's 64-byte block).
func hmacPrefixed(key []byte, buf []byte) [32]byte {
	var k [64]byte
	if len(key) > len(k) {
		s := sha256.Sum256(key)
		copy(k[:], s[:])
	} else {
		copy(k[:], key)
	}
	for i := range k {
		buf[i] = k[i] ^ 0x36
	}
	inner := sha256.Sum256(buf)
	var outer [64 + 32]byte
	for i := range k {
		outer[i] = k[i] ^ 0x5c
	}
	copy(outer[64:], inner[:])
	return sha256.Sum256(outer[:])
}

// hmacString returns HMAC-SHA256(key, msg).
func hmacString(key []byte, msg string) [32]byte {
	var stack [64 + 128]byte
	var buf []byte
	if len(msg) <= len(stack)-64 {
		buf = stack[:64+len(msg)]
	} else {
		buf = make([]byte, 64+len(msg))
	}
	copy(buf[64:], msg)
	return hmacPrefixed(key, buf)
}
