package s3api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"

	"github.com/zonal-dev/zonal/internal/iam"
	"github.com/zonal-dev/zonal/internal/s3err"
	"github.com/zonal-dev/zonal/internal/session"
	"github.com/zonal-dev/zonal/internal/sigv4"
)

// caller is an authenticated request.
type caller struct {
	auth      *sigv4.Auth
	key       []byte // SigV4 signing key, for chunk signatures
	principal iam.Principal
	session   *session.Session // nil for long-term-key requests
}

// authenticate verifies the request's SigV4 signature with either a
// long-term access key or a session (x-amz-s3session-token).
func (h *Handler) authenticate(r *http.Request, t target) (*caller, error) {
	a, err := sigv4.Parse(r)
	if errors.Is(err, sigv4.ErrNoAuth) {
		// Directory buckets always block public access: no anonymous requests.
		return nil, s3err.AccessDenied
	}
	if err != nil {
		return nil, err
	}
	if a.Service != "s3express" && a.Service != "s3" {
		return nil, s3err.AuthorizationHeaderMalformed.Msg(
			"The authorization header is malformed; incorrect service %q. This endpoint belongs to \"s3express\".", a.Service)
	}
	c := &caller{auth: a}
	now := h.now()
	if a.SessionToken != "" {
		if t.Op == OpCreateSession {
			return nil, s3err.InvalidRequest.Msg(`CreateSession request should not include "x-amz-s3session-token"`)
		}
		s, err := h.cfg.Sessions.Open(a.SessionToken)
		if err != nil || !s.MatchesAccessKey(a.AccessKeyID) {
			return nil, s3err.InvalidToken
		}
		c.key = sigv4.SigningKey(s.SecretKey(), a.Date, a.Region, a.Service)
		if err := a.Verify(r, c.key, now); err != nil {
			return nil, err
		}
		// Checked after the signature so only the session's holder learns
		// that it expired. SDKs treat ExpiredToken as "refresh credentials".
		if !now.Before(s.Expires) {
			return nil, s3err.ExpiredToken.With("Token-0", "")
		}
		c.session = s
		c.principal = iam.Principal{Account: s.Account, User: s.User}
		return c, nil
	}
	p, secret, err := h.cfg.Identities.LookupKey(r.Context(), a.AccessKeyID)
	if err != nil {
		if errors.Is(err, iam.ErrNoSuchKey) {
			return nil, s3err.InvalidAccessKeyID.With("AWSAccessKeyId", a.AccessKeyID)
		}
		return nil, s3err.InternalError.Wrap(err)
	}
	c.key = h.keys.get(a.AccessKeyID, secret, a.Date, a.Region, a.Service)
	if err := a.Verify(r, c.key, now); err != nil {
		return nil, err
	}
	c.principal = p
	return c, nil
}

// authorize is the one place that decides whether an authenticated caller
// may perform an operation.
//
// Session-signed requests cost no lookup: the token was only minted after
// the principal was authorized for the bucket, so it is enough that the
// token names this bucket and its mode allows the operation. Long-term-key
// requests are decided per request: an account may act on buckets it owns
// and on names no one owns yet (CreateSession and CreateBucket before the
// bucket exists, which is the SDKs' own flow).
func (h *Handler) authorize(ctx context.Context, c *caller, t target) error {
	if s := c.session; s != nil {
		if t.Bucket == "" || t.Bucket != s.Bucket {
			return s3err.AccessDenied.Msg("The session token does not grant access to this bucket.")
		}
		if s.Mode == session.ReadOnly && !readOnlyOps[t.Op] {
			return s3err.AccessDenied.Msg("This operation is not allowed with a ReadOnly session.")
		}
		return nil
	}
	if t.Bucket == "" {
		return nil // ListDirectoryBuckets lists the caller's own account only
	}
	b, err := h.cfg.Store.Catalog().GetBucket(ctx, t.Bucket)
	if err != nil {
		// A missing bucket is reported by the operation itself (NoSuchBucket),
		// or created by it.
		return nil
	}
	if b.Owner != c.principal.Account {
		return s3err.AccessDenied
	}
	return nil
}

// keyCache keeps derived SigV4 signing keys of long-term credentials: a key
// is valid for one day, region and service, and deriving it costs four HMACs.
type keyCache struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (kc *keyCache) get(akid, secret, date, region, service string) []byte {
	id := strings.Join([]string{akid, secret, date, region, service}, "\x00")
	kc.mu.Lock()
	k, ok := kc.m[id]
	kc.mu.Unlock()
	if ok {
		return k
	}
	k = sigv4.SigningKey(secret, date, region, service)
	kc.mu.Lock()
	if kc.m == nil || len(kc.m) > 4096 {
		kc.m = map[string][]byte{}
	}
	kc.m[id] = k
	kc.mu.Unlock()
	return k
}
