package s3api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/zonal-dev/zonal/internal/auth"
	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/iam"
	"github.com/zonal-dev/zonal/internal/s3err"
	"github.com/zonal-dev/zonal/internal/session"
	"github.com/zonal-dev/zonal/internal/sigv4"
)

// caller is an authenticated request as the S3 handlers see it: the
// auth.Caller's fields, with the payload answering in S3 errors.
type caller struct {
	auth      signed // the SigV4 claims; Body answers with S3 errors
	key       []byte // SigV4 signing key, for chunk signatures
	principal iam.Principal
	session   *session.Session // nil for long-term-key requests
	// bucket is the request's bucket as authorize found it; nil when it
	// does not exist (or the request names none).
	bucket *catalog.Bucket
	// create is CreateBucket's configuration, read by authorize: the tags
	// it asks for are condition keys.
	create *createBucketConfiguration
	// ap is the access point the request came through, nil for none.
	ap *catalog.AccessPoint
	// inventory is PutBucketInventoryConfiguration's document, read by
	// authorize: its optional fields are a condition key.
	inventory *inventoryConfiguration
}

// id is the caller as auth knows it, built when asked for so the caller
// allocated per request stays small.
func (c *caller) id(r *http.Request) auth.Caller {
	return auth.Caller{Auth: c.auth.Auth, Key: c.key, Principal: c.principal, Session: c.session, Request: r}
}

// newAuthority builds the Handler's authentication and authorization from
// its Config: buckets are looked up in the store's catalog.
func newAuthority(cfg Config) *auth.Authority {
	ac := auth.Config{Region: cfg.Region, Identities: cfg.Identities, Sessions: cfg.Sessions,
		Policies: cfg.Policies, Now: cfg.Now}
	if cfg.Store != nil {
		ac.Buckets = cfg.Store.Catalog()
	}
	return auth.New(ac)
}

// Authority returns the Handler's authentication and authorization, for
// the IAM/STS API to share (one signing-key cache for both).
func (h *Handler) Authority() *auth.Authority { return h.auth }

// RequestID returns a new request id and the host id, from the same
// sequence as the S3 API's own (the S3 Control API shares it).
func (h *Handler) RequestID() (id, host string) { return h.reqID.next(), h.reqID.host }

// AuthError answers an authentication failure (auth.Authenticate's, or a
// *sigv4.Error of the claims or the body) as S3 does; the S3 Control API
// answers with the same codes in its own envelope.
func AuthError(err error) *s3err.Error {
	var se *s3err.Error
	if errors.As(authError(err), &se) {
		return se
	}
	return internalError(err)
}

// s3Services are the SigV4 services S3 requests may be signed for.
var s3Services = []string{"s3express", "s3"}

// authenticate verifies the request's SigV4 signature with either a
// long-term access key or a session (x-amz-s3session-token); CreateSession
// itself must be signed with a long-term key.
func (h *Handler) authenticate(r *http.Request, t target) (*caller, error) {
	sa, err := SigV4Of(r) // parsed once per request
	if err != nil {
		return nil, fromSigV4(err)
	}
	id, err := h.auth.Authenticate(r, auth.Options{Claims: sa, Services: s3Services, Sessions: t.Op != OpCreateSession})
	if err != nil {
		return nil, authError(err)
	}
	return &caller{auth: signed{id.Auth}, key: id.Key, principal: id.Principal, session: id.Session}, nil
}

// authError answers an authentication failure as S3 does.
func authError(err error) error {
	var e *auth.Error
	if !errors.As(err, &e) {
		return fromSigV4(err)
	}
	switch e.Kind {
	case auth.WrongService:
		return s3err.AuthorizationHeaderMalformed.Msg(
			"The authorization header is malformed; incorrect service %q. This endpoint belongs to \"s3express\".", e.Value)
	case auth.TokenNotAllowed:
		return s3err.InvalidRequest.Msg(`CreateSession request should not include "x-amz-s3session-token"`)
	case auth.UnknownKey:
		return s3err.InvalidAccessKeyID.With("AWSAccessKeyId", e.Value)
	case auth.BadToken:
		return s3err.InvalidToken
	case auth.ExpiredToken:
		return s3err.ExpiredToken.With("Token-0", "")
	}
	return internalError(e.Err)
}

// authorize maps the operation to its IAM action and asks auth; it is the
// one place that decides whether an authenticated caller may perform an
// operation. Control-plane operations are decided by their own actions
// with the identity policies of the bucket owner's account; zonal ones
// signed with long-term keys as the CreateSession of the mode they need
// would be (identity and bucket policies). A missing bucket is reported by
// the operation itself, except that CreateSession and CreateBucket may
// name a bucket that does not exist yet (the SDKs' own flow). The decision
// carries the mode CreateSession grants.
func (h *Handler) authorize(ctx context.Context, r *http.Request, c *caller, t target) (auth.Decision, error) {
	if t.Op == OpListBuckets {
		// Any caller may learn it has no general-purpose buckets.
		return auth.Decision{Allowed: true}, nil
	}
	name := t.Bucket
	if c.ap != nil {
		name = c.ap.Name // a session through an access point bears its name
	}
	if c.session != nil && (name == "" || name != c.session.Bucket) {
		// Refused before the bucket is looked up: the session's holder
		// learns nothing of other buckets.
		return auth.Decision{}, errSessionBucket
	}
	b, err := h.auth.Bucket(ctx, t.Bucket)
	if err != nil {
		return auth.Decision{}, authError(err)
	}
	c.bucket = b
	req := auth.Request{BucketName: t.Bucket, Bucket: b, AccessPoint: c.ap}
	if action, control := controlActions[t.Op]; control {
		req.Action, req.Regional, req.Writes = action, true, !controlReads[t.Op]
		if t.Op == OpCreateBucket {
			return h.authorizeCreate(ctx, r, c, t, req)
		}
		if t.Op == OpPutBucketInventory && b != nil {
			// s3express:InventoryAccessibleOptionalFields: the fields the
			// configuration asks for.
			if c.inventory, err = h.readInventoryConfig(r, c); err != nil {
				return auth.Decision{}, err
			}
			req.Conditions = map[string][]string{"s3express:inventoryaccessibleoptionalfields": c.inventory.optionalFields()}
		}
	} else {
		req.Action, req.Mode = auth.ActionCreateSession, session.ReadWrite
		if readOnlyOps[t.Op] {
			req.Mode = session.ReadOnly
		}
		if t.Op == OpCreateSession {
			header := r.Header.Get("X-Amz-Create-Session-Mode")
			mode, ok := session.ParseMode(header)
			if !ok || mode == session.ControlOnly {
				return auth.Decision{}, s3err.InvalidArgument.Msg("x-amz-create-session-mode must be ReadWrite or ReadOnly.")
			}
			if header == "" {
				mode = 0 // none named: the most the policies allow
			}
			req.Mode, req.Mint = mode, true
			if c.ap == nil { // access points serve no control-plane operation
				req.ControlActions = sessionControlActions(b != nil)
			}
		}
	}
	id := c.id(r)
	d := h.auth.Authorize(ctx, &id, req)
	return d, h.denied(r, c, t.Op, d)
}

// authorizeCreate decides CreateBucket once its configuration is read:
// s3express:LocationName is the zone, and the tags it asks for are
// aws:RequestTag/<key> and aws:TagKeys. Creating a bucket with tags also
// needs s3express:TagResource on it, as AWS documents.
func (h *Handler) authorizeCreate(ctx context.Context, r *http.Request, c *caller, t target, req auth.Request) (auth.Decision, error) {
	cfg, err := h.readCreateBucket(r, c)
	if err != nil {
		return auth.Decision{}, err
	}
	c.create = cfg
	tags := cfg.requestTags()
	req.Create, req.Conditions = true, auth.RequestTags(tags)
	if tags == nil {
		req.Conditions = map[string][]string{}
	}
	if zone, ok := ZoneOf(t.Bucket); ok {
		req.Conditions["s3express:locationname"] = []string{zone}
	}
	id := c.id(r)
	d := h.auth.Authorize(ctx, &id, req)
	if d.Allowed && tags != nil {
		req.Action = "s3express:TagResource"
		d = h.auth.Authorize(ctx, &id, req)
	}
	return d, h.denied(r, c, t.Op, d)
}

// denied answers a refusal as S3 does, and logs the ones that policies
// (or a bucket's new incarnation) decided.
func (h *Handler) denied(r *http.Request, c *caller, op Op, d auth.Decision) error {
	switch {
	case d.Allowed:
		return nil
	case d.Err != nil:
		return internalError(d.Err)
	}
	switch d.Denial {
	case auth.SessionBucket:
		return errSessionBucket
	case auth.SessionIncarnation:
		h.logDenial(r, c, string(op), d.Resource, 0, "the session was minted for another bucket of this name")
		return errSessionBucket
	case auth.SessionNoObjects:
		return s3err.AccessDenied.Msg("This session grants no access to objects.")
	case auth.SessionReadOnly:
		return s3err.AccessDenied.Msg("This operation is not allowed with a ReadOnly session.")
	case auth.CrossAccount:
		h.logDenial(r, c, d.Action, d.Resource, d.Mode, "the bucket belongs to another account")
	case auth.ExplicitDeny:
		h.logDenial(r, c, d.Action, d.Resource, d.Mode, d.Statement)
	default:
		h.logDenial(r, c, d.Action, d.Resource, d.Mode, "no statement allowed it")
	}
	return s3err.AccessDenied
}

var errSessionBucket = s3err.AccessDenied.Msg("The session token does not grant access to this bucket.")

// logDenial writes the one line that explains a refusal: who, what, on
// what, and the deciding statement. Never a secret or token.
func (h *Handler) logDenial(r *http.Request, c *caller, action, resource string, mode session.Mode, why string) {
	attrs := []any{"principal", c.principal.ARN(), "access_key", c.auth.AccessKeyID,
		"action", action, "resource", resource, "reason", why}
	if mode != 0 {
		attrs = append(attrs, "session_mode", mode.String())
	}
	if info := InfoFrom(r.Context()); info != nil {
		attrs = append(attrs, "request_id", info.RequestID)
	}
	h.log.Info("access denied", attrs...)
}

// signed is the request's SigV4 authentication as the handlers use it: its
// Body answers payload faults with S3's errors.
type signed struct{ *sigv4.Auth }

// Body decodes the request payload (sigv4.Auth.BodyTrailer, trailer being
// the request's x-amz-trailer names); its failures, at once or while
// reading, are S3 errors.
func (s signed) Body(r *http.Request, key []byte, trailer []string) (*sigv4.Payload, error) {
	p, err := s.Auth.BodyTrailer(r, key, trailer)
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
	return internalError(e)
}

const isoTime = "2006-01-02T15:04:05Z"
