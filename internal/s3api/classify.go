package s3api

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/zonal-dev/zonal/internal/checksum"
	"github.com/zonal-dev/zonal/internal/sigv4"
)

// Request is one request classified at the edge: what the wrappers, the
// disk guard, the IAM/S3 split, metrics, the access log and the handlers
// read instead of parsing the Host, the query or the Authorization header
// again. The server makes it once (Classify) and carries it in the
// request's context (WithRequest); Info, the outcome the handlers fill in,
// travels inside it, so one context value serves both.
type Request struct {
	Bucket string // from the Host (virtual-hosted) or the path
	Key    string
	Op     Op
	Sub    string // the query name that made Op NotImplemented or BadQuery
	// Service is the SigV4 credential scope's service ("s3express", "iam",
	// ...), scanned from the Authorization header or X-Amz-Credential
	// even when they do not parse, so a malformed IAM request still gets
	// an IAM error; "" when there is none.
	Service string
	Query   url.Values // r.URL.Query(), parsed once

	Info Info

	// The SigV4 claims, parsed on first use (SigV4): a request shed at the
	// door never pays for it.
	claims    *sigv4.Auth
	claimsErr error
	// x-amz-trailer's names (checksum.TrailerNames), split on first use.
	trailer []string
	// What few requests have (a fault injected, an access point), nil for
	// most: one pointer, with the two flags packed together, keeps the
	// server's per-request state within its 512-byte allocation size class.
	rare        *rareParts
	parsed      bool
	trailerRead bool
}

// rareParts are the parts of a request that most requests lack.
type rareParts struct {
	// rule is the fault rule injected into the request and w the writer
	// that applies its effects (where the request's error must go too);
	// "" and nil when none fired.
	rule string
	w    http.ResponseWriter
	// accessPoint is the ARN of the access point the request came
	// through, "" for none.
	accessPoint string
}

// more returns q's rare parts, made on first use.
func (q *Request) more() *rareParts {
	if q.rare == nil {
		q.rare = &rareParts{}
	}
	return q.rare
}

// Fault returns the name of the fault rule injected into the request, or "".
func (q *Request) Fault() string {
	if q.rare == nil {
		return ""
	}
	return q.rare.rule
}

// AccessPoint returns the ARN of the access point the request came
// through, or "" (metrics configurations filter on it).
func (q *Request) AccessPoint() string {
	if q.rare == nil {
		return ""
	}
	return q.rare.accessPoint
}

// Classify fills q from r.
func Classify(q *Request, r *http.Request) {
	q.Query = r.URL.Query()
	q.Service = scopeService(r)
	t := route(r, q.Query)
	q.Bucket, q.Key, q.Op, q.Sub = t.Bucket, t.Key, t.Op, t.Sub
}

// SigV4 returns r's SigV4 claims (sigv4.Parse), parsed once per request.
// Callers may adjust the claims (the IAM API sets the payload hash of the
// body it reads); they are the request's alone.
func (q *Request) SigV4(r *http.Request) (*sigv4.Auth, error) {
	if !q.parsed {
		q.claims, q.claimsErr = sigv4.Parse(r)
		q.parsed = true
	}
	return q.claims, q.claimsErr
}

// Trailer returns the names r's x-amz-trailer lists, split once per request
// by checksum.TrailerNames: the checksum declaration and the aws-chunked
// decoder read the same list.
func (q *Request) Trailer(r *http.Request) []string {
	if !q.trailerRead {
		q.trailer = checksum.TrailerNames(r.Header)
		q.trailerRead = true
	}
	return q.trailer
}

type requestKey struct{}

// WithRequest returns ctx carrying q.
func WithRequest(ctx context.Context, q *Request) context.Context {
	return context.WithValue(ctx, requestKey{}, q)
}

// RequestFrom returns the Request attached by WithRequest, or nil.
func RequestFrom(ctx context.Context) *Request {
	q, _ := ctx.Value(requestKey{}).(*Request)
	return q
}

// Classified returns r's Request, classifying r now when nothing at the
// edge did (a handler used on its own, as in tests).
func Classified(r *http.Request) *Request {
	if q := RequestFrom(r.Context()); q != nil {
		return q
	}
	q := &Request{}
	Classify(q, r)
	return q
}

// ServiceOf returns the SigV4 service r is signed for (Request.Service).
func ServiceOf(r *http.Request) string { return Classified(r).Service }

// SigV4Of returns r's SigV4 claims, parsed once (Request.SigV4).
func SigV4Of(r *http.Request) (*sigv4.Auth, error) { return Classified(r).SigV4(r) }

// HostBucket returns the bucket a virtual-hosted style Host names: its
// first label when that is a directory bucket name ("--x-s3") or an
// access point's ("--xa-s3"), the port
// and IP literals aside. The admin split asks it too, so /_zonal/... on a
// bucket host stays an object key by the same rule routing uses.
func HostBucket(host string) (string, bool) {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	label, _, ok := strings.Cut(host, ".")
	if !ok || !strings.HasSuffix(label, "--x-s3") && !strings.HasSuffix(label, "--xa-s3") || net.ParseIP(host) != nil {
		return "", false
	}
	return label, true
}

// scopeService returns the service of r's SigV4 credential scope
// (".../<date>/<region>/<service>/aws4_request"), from the Authorization
// header or the X-Amz-Credential query parameter, or "". It runs on every
// request, so it only scans strings.
func scopeService(r *http.Request) string {
	if h := r.Header["Authorization"]; len(h) > 0 {
		_, rest, ok := strings.Cut(h[0], "Credential=")
		if !ok {
			return ""
		}
		if i := strings.IndexAny(rest, ", "); i >= 0 {
			rest = rest[:i]
		}
		return serviceOf(rest)
	}
	q := r.URL.RawQuery
	i := strings.Index(q, "X-Amz-Credential=")
	if i < 0 || i > 0 && q[i-1] != '&' {
		return ""
	}
	v := q[i+len("X-Amz-Credential="):]
	if j := strings.IndexByte(v, '&'); j >= 0 {
		v = v[:j]
	}
	v, err := url.QueryUnescape(v)
	if err != nil {
		return ""
	}
	return serviceOf(v)
}

// serviceOf picks the service out of "AKID/date/region/service/aws4_request".
func serviceOf(cred string) string {
	rest, ok := strings.CutSuffix(cred, "/aws4_request")
	if !ok {
		return ""
	}
	i := strings.LastIndexByte(rest, '/')
	if i < 0 {
		return ""
	}
	return rest[i+1:]
}
