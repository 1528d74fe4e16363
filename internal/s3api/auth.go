package s3api

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"sync"

	"github.com/zonal-dev/zonal/internal/catalog"
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
	// grantedMode is the mode CreateSession may mint, set by authorize.
	grantedMode session.Mode
	// bucket is the request's bucket as authorize found it; nil when it
	// does not exist (or the request names none).
	bucket *catalog.Bucket
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
		o, err := h.tokens.open(h.cfg.Sessions, a.SessionToken)
		if err != nil || !o.matchesAccessKey(a.AccessKeyID) {
			return nil, s3err.InvalidToken
		}
		s := o.Session
		c.key = h.keys.get(a.AccessKeyID, o.secretKey, a.Date, a.Region, a.Service)
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
// Session-signed data-plane requests cost no policy evaluation: the token
// was minted only after CreateSession was authorized for its bucket and
// mode, so it is enough that the token fits this bucket (sessionFits) and
// its mode allows the operation. A session minted before a policy change
// therefore works until it expires, as on AWS.
//
// Everything else is a policy decision: control-plane operations by the
// identity policies of the bucket owner's account (and, when signed with a
// session, never a write from a ReadOnly one); zonal operations signed
// with long-term keys as the CreateSession of the needed mode would be
// (identity and bucket policies). A missing bucket is reported by the
// operation itself, except that CreateSession and CreateBucket may name a
// bucket that does not exist yet (the SDKs' own flow).
func (h *Handler) authorize(ctx context.Context, r *http.Request, c *caller, t target) error {
	if t.Op == OpListBuckets {
		return nil // any caller may learn it has no general-purpose buckets
	}
	s := c.session
	if s != nil && (t.Bucket == "" || t.Bucket != s.Bucket) {
		return s3err.AccessDenied.Msg("The session token does not grant access to this bucket.")
	}
	missing := false // the handler answers NoSuchBucket
	if t.Bucket != "" {
		b, err := h.store.Catalog().GetBucket(ctx, t.Bucket)
		switch {
		case err == nil:
			c.bucket = &b
		case !errors.Is(err, catalog.ErrNotFound):
			return s3err.InternalError.Wrap(err)
		default:
			missing = t.Op != OpCreateSession && t.Op != OpCreateBucket
		}
	}
	action, control := controlActions[t.Op]
	if s != nil {
		if c.bucket != nil && !sessionFits(s, c.bucket) {
			h.logDenial(r, c, check{action: string(t.Op), bucket: t.Bucket}, t.Bucket,
				"the session was minted for another bucket of this name")
			return s3err.AccessDenied.Msg("The session token does not grant access to this bucket.")
		}
		if !control {
			switch {
			case s.Mode == session.ControlOnly:
				return s3err.AccessDenied.Msg("This session grants no access to objects.")
			case s.Mode == session.ReadOnly && !readOnlyOps[t.Op]:
				return s3err.AccessDenied.Msg("This operation is not allowed with a ReadOnly session.")
			}
			return nil
		}
		// Control-plane requests are decided below by identity policies
		// as the session's principal; a ReadOnly session changes nothing.
		if s.Mode == session.ReadOnly && !controlReads[t.Op] {
			return s3err.AccessDenied.Msg("This operation is not allowed with a ReadOnly session.")
		}
	}
	if missing {
		return nil
	}
	k := check{bucket: t.Bucket, bucketRec: c.bucket}
	if control {
		k.action, k.identityOnly = action, true
		if t.Op == OpCreateBucket {
			if k.bucketRec != nil && k.bucketRec.Owner != c.principal.Account {
				return nil // the handler answers BucketAlreadyExists
			}
			k.bucketRec = nil
			if zone, ok := ZoneOf(t.Bucket); ok {
				k.extra = map[string][]string{"s3express:locationname": {zone}}
			}
		}
		return h.decide(ctx, r, c, k)
	}
	k.action = "s3express:CreateSession"
	if t.Op == OpCreateSession {
		return h.authorizeCreateSession(ctx, r, c, k)
	}
	k.mode = session.ReadWrite
	if readOnlyOps[t.Op] {
		k.mode = session.ReadOnly
	}
	return h.decide(ctx, r, c, k)
}

// sessionFits reports whether session s may act on bucket b, the bucket
// now bearing its name. A name alone is not enough: buckets are deleted
// and their names taken again, possibly by another account. So b must be
// the incarnation s was minted for, or belong to the session's own
// account. The second case covers sessions minted before the bucket
// existed (the SDKs' CreateSession, CreateBucket, PutObject flow) and a
// same-account delete-and-recreate, which SDK session caches meet in test
// suites; such a bucket has the ARN the session was authorized for. A
// session never reaches a bucket of a third account.
func sessionFits(s *session.Session, b *catalog.Bucket) bool {
	if b.Owner == s.Account {
		return true
	}
	return s.BucketCreated != 0 && b.Owner == s.BucketOwner && b.CreatedAt.UnixNano() == s.BucketCreated
}

// authorizeCreateSession decides the session mode: the one requested, or
// when none is named the most the policies allow (ReadWrite, else
// ReadOnly). The granted mode is left in c.grantedMode.
//
// With a custom endpoint the SDKs create a session (naming no mode) before
// every control-plane call, and AWS decides those calls by their own
// actions only. So when neither mode is allowed but the caller may perform
// some control-plane action on the bucket, a ControlOnly session is
// minted: it reads and writes nothing, and each control-plane request is
// still decided on its own. A caller with no permission at all is refused
// as on AWS.
func (h *Handler) authorizeCreateSession(ctx context.Context, r *http.Request, c *caller, k check) error {
	header := r.Header.Get("X-Amz-Create-Session-Mode")
	mode, ok := session.ParseMode(header)
	if !ok || mode == session.ControlOnly {
		return s3err.InvalidArgument.Msg("x-amz-create-session-mode must be ReadWrite or ReadOnly.")
	}
	if header != "" {
		k.mode = mode
		c.grantedMode = mode
		return h.decide(ctx, r, c, k)
	}
	k.quiet = true
	for _, m := range []session.Mode{session.ReadWrite, session.ReadOnly} {
		k.mode = m
		if h.decide(ctx, r, c, k) == nil {
			c.grantedMode = m
			return nil
		}
	}
	for op, action := range controlActions {
		if op == OpListDirectoryBuckets {
			continue
		}
		ck := check{action: action, bucket: k.bucket, bucketRec: k.bucketRec, identityOnly: true, quiet: true}
		if op == OpCreateBucket && k.bucketRec != nil {
			continue // the bucket exists: creating it is not what this session is for
		}
		if op == OpCreateBucket {
			ck.bucketRec = nil
		}
		if h.decide(ctx, r, c, ck) == nil {
			c.grantedMode = session.ControlOnly
			return nil
		}
	}
	// Decide once more, loudly, so one log line says why.
	k.mode, k.quiet = session.ReadOnly, false
	return h.decide(ctx, r, c, k)
}

// keyCache keeps derived SigV4 signing keys of long-term credentials: a key
// is valid for one day, region and service, and deriving it costs four HMACs.
type keyCache struct {
	mu sync.Mutex
	m  map[keyID][]byte
}

// keyID is a struct, not a joined string, so a lookup allocates nothing.
type keyID struct{ akid, secret, date, region, service string }

func (kc *keyCache) get(akid, secret, date, region, service string) []byte {
	id := keyID{akid, secret, date, region, service}
	kc.mu.Lock()
	k, ok := kc.m[id]
	kc.mu.Unlock()
	if ok {
		return k
	}
	k = sigv4.SigningKey(secret, date, region, service)
	kc.mu.Lock()
	if kc.m == nil || len(kc.m) > 4096 {
		kc.m = map[keyID][]byte{}
	}
	kc.m[id] = k
	kc.mu.Unlock()
	return k
}

// tokenCache keeps opened session tokens: a client signs every request of
// a session with the same token, and opening it (base64 plus AES-GCM) on
// each request is wasted work. Entries are keyed by the token itself, so a
// tampered token never matches; the cache is dropped when it grows large.
type tokenCache struct {
	mu sync.Mutex
	m  map[string]*openSession
}

// openSession is an opened token with the access key id and secret that
// every request compares and signs with, encoded once: encoding them per
// request cost three allocations.
type openSession struct {
	*session.Session
	accessKeyID, secretKey string
}

func (o *openSession) matchesAccessKey(akid string) bool {
	return subtle.ConstantTimeCompare([]byte(o.accessKeyID), []byte(akid)) == 1
}

func (tc *tokenCache) open(ring *session.Ring, token string) (*openSession, error) {
	tc.mu.Lock()
	o, ok := tc.m[token]
	tc.mu.Unlock()
	if ok {
		return o, nil
	}
	s, err := ring.Open(token)
	if err != nil {
		return nil, err
	}
	o = &openSession{Session: s, accessKeyID: s.AccessKeyID(), secretKey: s.SecretKey()}
	tc.mu.Lock()
	if tc.m == nil || len(tc.m) > 8192 {
		tc.m = map[string]*openSession{}
	}
	tc.m[token] = o
	tc.mu.Unlock()
	return o, nil
}
