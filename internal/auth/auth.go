// Package auth decides who sent a request and what it may do, for both of
// zonal's APIs, S3 and IAM/STS.
//
// Authenticate verifies a request's SigV4 signature with a long-term access
// key or an S3 Express session token (x-amz-s3session-token) and returns the
// Caller. Authorize evaluates IAM policies, identity and bucket, for a
// Caller and returns a Decision that names the deciding statement and, for
// CreateSession, the mode granted. The S3 Express session rules live here
// too: a session acts only on the bucket incarnation it was minted for and
// within its mode, with no policy evaluation per request.
//
// The package speaks no wire format. Its failures are *Error or
// *sigv4.Error, each with a kind, and denials are Decisions: each front end
// maps its operations to IAM actions, and kinds and denials to its own
// errors.
package auth

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/iam"
	"github.com/zonal-dev/zonal/internal/policy"
	"github.com/zonal-dev/zonal/internal/session"
	"github.com/zonal-dev/zonal/internal/sigv4"
)

// PolicySource supplies the identity side of policy decisions; iam.DB
// implements it. Without one, only account roots exist and each may do
// everything in its own account.
type PolicySource interface {
	IdentityPolicySet(ctx context.Context, p iam.Principal) (iam.PolicySet, error)
	PolicyPrincipal(p iam.Principal) policy.Principal
	CallerIdentity(p iam.Principal) (arn, userID string, err error)
	ValidPrincipalARN(arn string) bool
}

// BucketLookup finds a bucket by name (catalog.ErrNotFound when there is
// none): all authorization needs of the catalog.
type BucketLookup interface {
	GetBucket(ctx context.Context, name string) (catalog.Bucket, error)
}

// Config wires an Authority.
type Config struct {
	Region     string        // for bucket ARNs
	Identities iam.Directory // long-term access keys
	Sessions   *session.Ring // session tokens; nil refuses them
	Policies   PolicySource  // nil: account roots only
	Buckets    BucketLookup  // nil: no bucket exists
	Now        func() time.Time
}

// Authority authenticates and authorizes requests. Its caches (derived
// signing keys, opened session tokens, parsed bucket policies) make the
// common request cost no key derivation, no decryption and no parsing.
type Authority struct {
	cfg      Config
	keys     keyCache
	tokens   tokenCache
	policies bucketPolicyCache
}

// New returns an Authority for cfg.
func New(cfg Config) *Authority {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Authority{cfg: cfg}
}

// Caller is an authenticated request.
type Caller struct {
	Auth      *sigv4.Auth      // the verified SigV4 claims
	Key       []byte           // signing key, for chunk signatures
	Principal iam.Principal    // who signed
	Session   *session.Session // nil for long-term keys
	// Request is the authenticated request: the condition context reads
	// its transport, remote address and headers.
	Request *http.Request
}

// Options say what a front end accepts.
type Options struct {
	// Services are the SigV4 services (credential scope) the front end
	// answers for; another fails with WrongService.
	Services []string
	// Sessions accepts S3 Express session tokens; without it a request
	// carrying one fails with TokenNotAllowed.
	Sessions bool
	// NoSecurityToken refuses x-amz-security-token too (TokenNotAllowed):
	// zonal issues no STS credentials.
	NoSecurityToken bool
	// Claims are r's SigV4 claims as the edge parsed them (sigv4.Parse,
	// once per request; a parse error is the caller's to return before
	// calling). Nil: Authenticate parses them itself.
	Claims *sigv4.Auth
	// Payload, when set, runs once the claims are checked and before the
	// key is looked up: a front end that hashes the body itself sets
	// Auth.PayloadHash there (IAM and STS sign the body's hash without
	// sending it). Its error is returned as it is.
	Payload func(*sigv4.Auth) error
}

// Kind is the fault behind an Error.
type Kind uint8

// The kinds of Error. SigV4 faults are *sigv4.Error with its own kinds.
const (
	_ Kind = iota
	// WrongService: the credential scope names a service the front end
	// does not serve (Value).
	WrongService
	// TokenNotAllowed: a token this front end or operation does not take.
	TokenNotAllowed
	// UnknownKey: no active access key has this id (Value).
	UnknownKey
	// BadToken: the session token does not open, or is not the access
	// key's.
	BadToken
	// ExpiredToken: the session expired (told only to its holder: the
	// signature was verified first).
	ExpiredToken
	// Internal: the identity or policy store failed (Err).
	Internal
)

// Error is an authentication failure other than a SigV4 one.
type Error struct {
	Kind  Kind
	Value string
	Err   error
}

var kindNames = [...]string{WrongService: "wrong service", TokenNotAllowed: "token not allowed",
	UnknownKey: "unknown access key", BadToken: "bad session token", ExpiredToken: "expired session token",
	Internal: "internal"}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "unknown"
}

func (e *Error) Error() string {
	s := "auth: " + e.Kind.String()
	if e.Value != "" {
		s += " " + e.Value
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

var (
	errTokenNotAllowed = &Error{Kind: TokenNotAllowed}
	errBadToken        = &Error{Kind: BadToken}
	errExpiredToken    = &Error{Kind: ExpiredToken}
)

// Authenticate verifies r's SigV4 signature with a session token (when
// opts.Sessions allows one) or a long-term access key. Errors are
// *sigv4.Error (the signature) or *Error. After a failure the Caller still
// holds the parsed claims (Auth, nil when they did not parse), for logs;
// its Principal is empty.
func (a *Authority) Authenticate(r *http.Request, opts Options) (Caller, error) {
	sa := opts.Claims
	if sa == nil {
		var err error
		if sa, err = sigv4.Parse(r); err != nil {
			return Caller{}, err
		}
	}
	c := Caller{Auth: sa, Request: r}
	if !accepts(opts.Services, sa.Service) {
		return c, &Error{Kind: WrongService, Value: sa.Service}
	}
	if sa.SessionToken != "" && !opts.Sessions || sa.SecurityToken != "" && opts.NoSecurityToken {
		return c, errTokenNotAllowed
	}
	if opts.Payload != nil {
		if err := opts.Payload(sa); err != nil {
			return c, err
		}
	}
	now := a.cfg.Now()
	if sa.SessionToken != "" {
		if a.cfg.Sessions == nil {
			return c, errBadToken
		}
		o, err := a.tokens.open(a.cfg.Sessions, sa.SessionToken)
		if err != nil || !o.matchesAccessKey(sa.AccessKeyID) {
			return c, errBadToken
		}
		key := a.keys.get(sa.AccessKeyID, o.secretKey, sa.Date, sa.Region, sa.Service)
		if err := sa.Verify(r, key, now); err != nil {
			return c, err
		}
		// Checked after the signature so only the session's holder learns
		// that it expired. SDKs treat ExpiredToken as "refresh credentials".
		s := o.Session
		if !now.Before(s.Expires) {
			return c, errExpiredToken
		}
		c.Key, c.Session = key, s
		c.Principal = iam.Principal{Account: s.Account, User: s.User}
		return c, nil
	}
	p, secret, err := a.cfg.Identities.LookupKey(r.Context(), sa.AccessKeyID)
	if err != nil {
		if errors.Is(err, iam.ErrNoSuchKey) {
			return c, &Error{Kind: UnknownKey, Value: sa.AccessKeyID}
		}
		return c, &Error{Kind: Internal, Err: err}
	}
	key := a.keys.get(sa.AccessKeyID, secret, sa.Date, sa.Region, sa.Service)
	if err := sa.Verify(r, key, now); err != nil {
		return c, err
	}
	c.Key, c.Principal = key, p
	return c, nil
}

func accepts(services []string, s string) bool {
	for _, v := range services {
		if v == s {
			return true
		}
	}
	return false
}
