package s3api

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/iam"
	"github.com/zonal-dev/zonal/internal/s3err"
	"github.com/zonal-dev/zonal/internal/session"
	"github.com/zonal-dev/zonal/internal/sigv4"
)

// caller is an authenticated request.
type caller struct {
	auth      signed
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
	if err != nil {
		return nil, fromSigV4(err)
	}
	if a.Service != "s3express" && a.Service != "s3" {
		return nil, s3err.AuthorizationHeaderMalformed.Msg(
			"The authorization header is malformed; incorrect service %q. This endpoint belongs to \"s3express\".", a.Service)
	}
	c := &caller{auth: signed{a}}
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
			return nil, fromSigV4(err)
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
		return nil, fromSigV4(err)
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

// signed is the request's SigV4 authentication as the handlers use it: its
// Body answers payload faults with S3's errors.
type signed struct{ *sigv4.Auth }

// Body decodes the request payload (sigv4.Auth.Body); its failures, at
// once or while reading, are S3 errors.
func (s signed) Body(r *http.Request, key []byte) (*sigv4.Payload, error) {
	p, err := s.Auth.Body(r, key)
	if err != nil {
		return nil, fromSigV4(err)
	}
	p.MapErrors(sigv4Error)
	return p, nil
}

// fromSigV4 answers a *sigv4.Error as S3 does and returns other errors as
// they are.
func fromSigV4(err error) error {
	if e, ok := err.(*sigv4.Error); ok {
		return sigv4Error(e)
	}
	return err
}

// sigv4Error is the one mapping of SigV4 faults to S3's wire errors: code
// and status by kind, AWS's message where sigv4 words the fault, and the
// extra elements AWS adds.
func sigv4Error(e *sigv4.Error) error {
	switch e.Kind {
	case sigv4.NoAuth:
		// Directory buckets always block public access: no anonymous requests.
		return s3err.AccessDenied
	case sigv4.UnsupportedMechanism, sigv4.MissingPayloadHash, sigv4.MalformedBody:
		return s3err.InvalidRequest.Msg("%s", e.Message)
	case sigv4.UnknownScheme, sigv4.MultipleMechanisms:
		return s3err.InvalidArgument.Msg("%s", e.Message).
			With("ArgumentName", "Authorization").With("ArgumentValue", e.Value)
	case sigv4.InvalidPayloadHash:
		return s3err.InvalidArgument.Msg("%s", e.Message).
			With("ArgumentName", "x-amz-content-sha256").With("ArgumentValue", e.Value)
	case sigv4.InvalidDecodedLength:
		return s3err.InvalidArgument.Msg("%s", e.Message).
			With("ArgumentName", "x-amz-decoded-content-length").With("ArgumentValue", e.Value)
	case sigv4.MalformedHeader:
		return s3err.AuthorizationHeaderMalformed.Msg("%s", e.Message)
	case sigv4.MalformedQuery:
		return s3err.AuthorizationQueryParametersError.Msg("%s", e.Message)
	case sigv4.MissingDate:
		return s3err.AccessDenied.Msg("%s", e.Message)
	case sigv4.Expired:
		return s3err.AccessDenied.Msg("%s", e.Message).
			With("X-Amz-Expires", strconv.FormatInt(int64(e.Expires/time.Second), 10)).
			With("Expires", e.Time.Add(e.Expires).UTC().Format(isoTime)).
			With("ServerTime", e.Now.UTC().Format(isoTime))
	case sigv4.Skewed:
		return s3err.RequestTimeTooSkewed.
			With("RequestTime", e.Time.UTC().Format("20060102T150405Z")).
			With("ServerTime", e.Now.UTC().Format(isoTime)).
			With("MaxAllowedSkewMilliseconds", strconv.FormatInt(int64(sigv4.MaxSkew/time.Millisecond), 10))
	case sigv4.UnsignedHeader:
		return s3err.AccessDenied.Msg("%s", e.Message).With("HeadersNotSigned", e.Value)
	case sigv4.BadSignature:
		se := s3err.SignatureDoesNotMatch
		if e.Message != "" {
			se = se.Msg("%s", e.Message)
		}
		if e.CanonicalRequest != "" {
			se = se.With("AWSAccessKeyId", e.AccessKeyID).With("StringToSign", e.StringToSign).
				With("SignatureProvided", e.Signature).With("CanonicalRequest", e.CanonicalRequest)
		}
		return se
	case sigv4.PayloadMismatch:
		return s3err.XAmzContentSHA256Mismatch.
			With("ClientComputedContentSHA256", e.Value).With("S3ComputedContentSHA256", e.Computed)
	case sigv4.IncompleteBody:
		// The body failed below sigv4: an S3 error raised there (the
		// server's body deadline, RequestTimeout) is the answer.
		var se *s3err.Error
		if errors.As(e.Err, &se) {
			return e.Err
		}
		ib := s3err.IncompleteBody
		if e.Message != "" {
			ib = ib.Msg("%s", e.Message)
		}
		if e.Err != nil {
			ib = ib.Wrap(e.Err)
		}
		return ib
	case sigv4.MalformedTrailer:
		return s3err.MalformedTrailerError.Wrap(e.Err)
	case sigv4.ChunkTooLarge:
		return s3err.EntityTooLarge.Msg("%s", e.Message)
	}
	return s3err.InternalError.Wrap(e)
}

const isoTime = "2006-01-02T15:04:05Z"
