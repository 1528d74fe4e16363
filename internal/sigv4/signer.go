package sigv4

import (
	"crypto/sha256"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Signer signs requests the way the AWS SDKs do. It is client-side support
// for tests (of this and other packages) and for the bench tool; the server
// never signs. It is safe for concurrent use once its fields are set.
//
//	s := &sigv4.Signer{AccessKeyID: "AKID", SecretAccessKey: "SECRET", Region: "us-east-1", Service: "s3express"}
//	seed := s.Sign(req, sigv4.HashPayload(body), time.Now())
type Signer struct {
	AccessKeyID     string
	SecretAccessKey string
	Region          string
	Service         string // "s3express", "s3", ...
	// SessionToken, when set, is sent and signed as x-amz-s3session-token
	// (X-Amz-S3session-Token when presigning): S3 Express session auth.
	SessionToken string
	// SecurityToken, when set, is sent and signed as x-amz-security-token
	// (X-Amz-Security-Token when presigning): temporary STS credentials.
	SecurityToken string

	key atomic.Pointer[signerKey]
}

type signerKey struct {
	date string
	key  []byte
}

// HashPayload returns the hex SHA-256 of b, an x-amz-content-sha256 value.
func HashPayload(b []byte) string {
	s := sha256.Sum256(b)
	return string(appendHex(make([]byte, 0, 64), s[:]))
}

// SigningKey returns the signing key for the day of t, cached.
func (s *Signer) SigningKey(t time.Time) []byte {
	var db [8]byte
	date := t.UTC().AppendFormat(db[:0], "20060102")
	if k := s.key.Load(); k != nil && k.date == string(date) {
		return k.key
	}
	k := &signerKey{date: string(date)}
	k.key = SigningKey(s.SecretAccessKey, k.date, s.Region, s.Service)
	s.key.Store(k)
	return k.key
}

// headers never signed (as in the AWS SDKs).
func unsignable(canonicalName string) bool {
	switch canonicalName {
	case "Authorization", "User-Agent", "X-Amzn-Trace-Id", "Expect", "Connection", "Transfer-Encoding":
		return true
	}
	return false
}

func (s *Signer) auth(r *http.Request, t time.Time, payloadHash string, presigned bool) *Auth {
	t = t.UTC().Truncate(time.Second)
	a := &Auth{
		AccessKeyID: s.AccessKeyID,
		Time:        t,
		Date:        t.Format("20060102"),
		Region:      s.Region,
		Service:     s.Service,
		Presigned:   presigned,
		PayloadHash: payloadHash,
	}
	names := make([]string, 0, len(r.Header)+1)
	names = append(names, "host")
	for k := range r.Header {
		if !unsignable(http.CanonicalHeaderKey(k)) {
			names = append(names, strings.ToLower(k))
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)
	a.SignedHeaders = names
	a.signedHeaders = strings.Join(names, ";")
	return a
}

// Sign signs r in the Authorization-header form at time t and returns the
// signature, which is the seed signature of a signed aws-chunked body.
// It sets X-Amz-Date, X-Amz-Content-Sha256 (payloadHash: a hex SHA-256, see
// HashPayload, UnsignedPayload or a streaming value; "" means the empty
// payload) and the token headers, and signs "host" plus every header present
// except Authorization, User-Agent, Expect, Connection, Transfer-Encoding and
// X-Amzn-Trace-Id. The path signed is the one net/http will send
// (r.URL.EscapedPath(); use EncodePath to build URLs as the SDKs do), or
// r.RequestURI's path when set (a server-side request built for a test).
func (s *Signer) Sign(r *http.Request, payloadHash string, t time.Time) string {
	if payloadHash == "" {
		payloadHash = EmptySHA256
	}
	if r.Header == nil {
		r.Header = http.Header{}
	}
	r.Header.Del("Authorization")
	r.Header.Set("X-Amz-Date", t.UTC().Format(amzDateLayout))
	r.Header.Set("X-Amz-Content-Sha256", payloadHash)
	if s.SessionToken != "" {
		r.Header.Set("X-Amz-S3session-Token", s.SessionToken)
	}
	if s.SecurityToken != "" {
		r.Header.Set("X-Amz-Security-Token", s.SecurityToken)
	}
	a := s.auth(r, t, payloadHash, false)
	bp := bufPool.Get().(*[]byte)
	cr := a.appendCanonicalRequest((*bp)[:0], r, requestPath(r))
	sum := a.signCanonical(s.SigningKey(a.Time), cr)
	*bp = cr
	putBuf(bp)
	sig := string(appendHex(make([]byte, 0, 64), sum[:]))
	var h strings.Builder
	h.Grow(len(Algorithm) + len(s.AccessKeyID) + len(a.signedHeaders) + 200)
	h.WriteString(Algorithm)
	h.WriteString(" Credential=")
	h.WriteString(s.AccessKeyID)
	h.WriteByte('/')
	h.WriteString(a.Scope())
	h.WriteString(", SignedHeaders=")
	h.WriteString(a.signedHeaders)
	h.WriteString(", Signature=")
	h.WriteString(sig)
	r.Header.Set("Authorization", h.String())
	return sig
}

// Presign turns r into a presigned request valid for expires from t: it
// appends the X-Amz-* query parameters (and the token parameter) to r.URL
// and returns the URL. The payload is UNSIGNED-PAYLOAD unless r carries an
// X-Amz-Content-Sha256 header. "host" and any headers present are signed.
func (s *Signer) Presign(r *http.Request, expires time.Duration, t time.Time) string {
	if r.Header == nil {
		r.Header = http.Header{}
	}
	payloadHash := UnsignedPayload
	if v := r.Header.Get("X-Amz-Content-Sha256"); v != "" {
		payloadHash = v
	}
	a := s.auth(r, t, payloadHash, true)
	var q strings.Builder
	q.WriteString(r.URL.RawQuery)
	add := func(k, v string) {
		if q.Len() > 0 {
			q.WriteByte('&')
		}
		q.WriteString(k)
		q.WriteByte('=')
		q.WriteString(EncodeQuery(v))
	}
	add("X-Amz-Algorithm", Algorithm)
	add("X-Amz-Credential", s.AccessKeyID+"/"+a.Scope())
	add("X-Amz-Date", a.Time.Format(amzDateLayout))
	add("X-Amz-Expires", strconv.FormatInt(int64(expires/time.Second), 10))
	add("X-Amz-SignedHeaders", a.signedHeaders)
	if s.SessionToken != "" {
		add("X-Amz-S3session-Token", s.SessionToken)
	}
	if s.SecurityToken != "" {
		add("X-Amz-Security-Token", s.SecurityToken)
	}
	r.URL.RawQuery = q.String()
	cr := a.appendCanonicalRequest(nil, r, requestPath(r))
	sum := a.signCanonical(s.SigningKey(a.Time), cr)
	add("X-Amz-Signature", string(appendHex(nil, sum[:])))
	r.URL.RawQuery = q.String()
	if r.RequestURI != "" {
		r.RequestURI = requestPath(r) + "?" + r.URL.RawQuery
	}
	return r.URL.String()
}

// Trailer is one aws-chunked trailer line.
type Trailer struct{ Name, Value string }

// ChunkedBody encodes data as an aws-chunked body for payloadHash
// (StreamingUnsignedPayloadTrailer, StreamingPayload or
// StreamingPayloadTrailer) in chunks of chunkSize bytes (the last may be
// shorter), followed by trailers. For the signed modes seed is the request's
// signature (what Sign returned) and t its signing time; the unsigned mode
// ignores both. Send it with Content-Encoding: aws-chunked and
// X-Amz-Decoded-Content-Length: len(data).
func (s *Signer) ChunkedBody(payloadHash, seed string, t time.Time, data []byte, chunkSize int, trailers []Trailer) []byte {
	signed := payloadHash == StreamingPayload || payloadHash == StreamingPayloadTrailer
	withTrailers := payloadHash != StreamingPayload
	if chunkSize <= 0 {
		chunkSize = 64 << 10
	}
	t = t.UTC().Truncate(time.Second)
	a := &Auth{Time: t, Date: t.Format("20060102"), Region: s.Region, Service: s.Service}
	var key []byte
	var prev [32]byte
	if signed {
		key = s.SigningKey(t)
		decodeHex(prev[:], seed)
	}
	out := make([]byte, 0, len(data)+(len(data)/chunkSize+2)*90+256)
	chunk := func(c []byte) {
		out = strconv.AppendInt(out, int64(len(c)), 16)
		if signed {
			prev = chunkSignature(key, a, prev, c)
			out = append(out, ";chunk-signature="...)
			out = appendHex(out, prev[:])
		}
		out = append(out, "\r\n"...)
		out = append(out, c...)
		out = append(out, "\r\n"...)
	}
	for len(data) > 0 {
		n := min(chunkSize, len(data))
		chunk(data[:n])
		data = data[n:]
	}
	chunk(nil)
	if withTrailers {
		out = out[:len(out)-2] // the final chunk's CRLF; trailers follow directly
		lines := make([]trailerLine, 0, len(trailers))
		for _, tr := range trailers {
			out = append(out, tr.Name...)
			out = append(out, ':')
			out = append(out, tr.Value...)
			out = append(out, "\r\n"...)
			lines = append(lines, trailerLine{strings.ToLower(tr.Name), strings.Trim(tr.Value, " \t")})
		}
		if signed {
			sig := trailerSignature(key, a, prev, lines)
			out = append(out, "x-amz-trailer-signature:"...)
			out = appendHex(out, sig[:])
			out = append(out, "\r\n"...)
		}
		out = append(out, "\r\n"...)
	}
	return out
}

// chunkSignature is the signature of one aws-chunked chunk.
func chunkSignature(key []byte, a *Auth, prev [32]byte, data []byte) [32]byte {
	b := make([]byte, 64, 512)
	b = append(b, "AWS4-HMAC-SHA256-PAYLOAD\n"...)
	b = a.Time.UTC().AppendFormat(b, amzDateLayout)
	b = append(b, '\n')
	b = a.appendScope(b)
	b = append(b, '\n')
	b = appendHex(b, prev[:])
	b = append(b, '\n')
	b = append(b, EmptySHA256...)
	b = append(b, '\n')
	sum := sha256.Sum256(data)
	b = appendHex(b, sum[:])
	return hmacPrefixed(key, b)
}
