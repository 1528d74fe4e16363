package s3api

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"strconv"
	"sync"

	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/iam"
	"github.com/zonal-dev/zonal/internal/policy"
	"github.com/zonal-dev/zonal/internal/s3err"
	"github.com/zonal-dev/zonal/internal/session"
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

// controlActions are the regional (control-plane) operations: decided by
// identity policies of the bucket owner's account only, as AWS documents.
var controlActions = map[Op]string{
	OpCreateBucket:         "s3express:CreateBucket",
	OpDeleteBucket:         "s3express:DeleteBucket",
	OpListDirectoryBuckets: "s3express:ListAllMyDirectoryBuckets",
	OpPutBucketPolicy:      "s3express:PutBucketPolicy",
	OpGetBucketPolicy:      "s3express:GetBucketPolicy",
	OpDeleteBucketPolicy:   "s3express:DeleteBucketPolicy",
	// AWS authorizes the deletes with the Put actions.
	OpPutBucketEncryption:    "s3express:PutEncryptionConfiguration",
	OpGetBucketEncryption:    "s3express:GetEncryptionConfiguration",
	OpDeleteBucketEncryption: "s3express:PutEncryptionConfiguration",
	OpPutBucketLifecycle:     "s3express:PutLifecycleConfiguration",
	OpGetBucketLifecycle:     "s3express:GetLifecycleConfiguration",
	OpDeleteBucketLifecycle:  "s3express:PutLifecycleConfiguration",
}

// controlReads are the control-plane operations that change nothing; a
// ReadOnly session may sign them (the rest are refused before policy).
var controlReads = map[Op]bool{
	OpListDirectoryBuckets: true, OpGetBucketPolicy: true,
	OpGetBucketEncryption: true, OpGetBucketLifecycle: true,
}

// check is one policy question.
type check struct {
	action string
	bucket string
	// bucketRec is the bucket when it exists (its owner and policy decide).
	bucketRec *catalog.Bucket
	mode      session.Mode // for s3express:CreateSession
	// identityOnly ignores bucket policies (control plane).
	identityOnly bool
	extra        map[string][]string
	// quiet suppresses the denial log line (a first try of several).
	quiet bool
}

// decide evaluates one check for the caller and logs a denial with the
// statement that decided it. It never logs secrets or tokens.
func (h *Handler) decide(ctx context.Context, r *http.Request, c *caller, k check) error {
	pol := h.cfg.Policies
	pp := policy.Principal{Account: c.principal.Account, User: c.principal.User}
	var ids iam.PolicySet
	if pol != nil {
		pp = pol.PolicyPrincipal(c.principal)
		var err error
		if ids, err = pol.IdentityPolicySet(ctx, c.principal); err != nil {
			return s3err.InternalError.Wrap(err)
		}
	}
	owner := c.principal.Account
	var bucketPolicy *policy.Policy
	if k.bucketRec != nil {
		owner = k.bucketRec.Owner
		if !k.identityOnly {
			var err error
			if bucketPolicy, err = h.bucketPolicies.get(k.bucketRec); err != nil {
				return s3err.InternalError.Wrap(err)
			}
		}
	}
	resource := "*"
	if k.bucket != "" {
		resource = BucketARN(h.cfg.Region, owner, k.bucket)
	}
	if k.identityOnly && owner != c.principal.Account {
		// Regional operations never cross accounts.
		if !k.quiet {
			h.logDenial(r, c, k, resource, "the bucket belongs to another account")
		}
		return s3err.AccessDenied
	}
	req := policy.Request{
		Principal:       pp,
		Action:          k.action,
		Resource:        resource,
		ResourceAccount: owner,
	}
	// Only conditions read the context: without a policy (an account root
	// with none, the common case) it is not built at all.
	if len(ids.Policies) > 0 || bucketPolicy != nil {
		req.Context = h.requestContext(r, c, k)
	}
	res := policy.EvaluateDetailed(req, ids.Policies, bucketPolicy)
	if res.Decision == policy.Allow {
		return nil
	}
	why := "no statement allowed it"
	if res.Decision == policy.ExplicitDeny {
		name := "bucket policy"
		if res.By.Source == policy.SourceIdentity {
			name = ids.Name(res.By.Policy)
		}
		why = "explicit deny in " + name + " statement " + strconv.Itoa(res.By.Statement)
		if res.By.Sid != "" {
			why += " (Sid " + res.By.Sid + ")"
		}
	}
	if !k.quiet {
		h.logDenial(r, c, k, resource, why)
	}
	return s3err.AccessDenied
}

// logDenial writes the one line that explains a refusal: who, what, on
// what, and the deciding statement. Never a secret or token.
func (h *Handler) logDenial(r *http.Request, c *caller, k check, resource, why string) {
	attrs := []any{"principal", c.principal.ARN(), "access_key", c.auth.AccessKeyID,
		"action", k.action, "resource", resource, "reason", why}
	if k.mode != 0 {
		attrs = append(attrs, "session_mode", k.mode.String())
	}
	if info := InfoFrom(r.Context()); info != nil {
		attrs = append(attrs, "request_id", info.RequestID)
	}
	h.log.Info("access denied", attrs...)
}

// requestContext fills the condition keys zonal knows.
func (h *Handler) requestContext(r *http.Request, c *caller, k check) map[string][]string {
	now := h.now().UTC()
	ctx := make(map[string][]string, 16)
	ctx["aws:currenttime"] = []string{now.Format("2006-01-02T15:04:05Z")}
	ctx["aws:epochtime"] = []string{strconv.FormatInt(now.Unix(), 10)}
	ctx["aws:securetransport"] = []string{strconv.FormatBool(r.TLS != nil)}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		ctx["aws:sourceip"] = []string{host}
	}
	if k.mode != 0 {
		ctx["s3express:sessionmode"] = []string{k.mode.String()}
	}
	// The request-shape keys AWS fills in for every s3express action, so
	// policies that deny plain HTTP, presigned URLs, old signatures or
	// unsigned payloads work as written for AWS.
	if r.TLS != nil {
		ctx["s3express:tlsversion"] = []string{tlsVersion(r.TLS.Version)}
	}
	if a := c.auth.Auth; a != nil {
		authType := "REST-HEADER"
		if a.Presigned {
			authType = "REST-QUERY-STRING"
		}
		ctx["s3express:authtype"] = []string{authType}
		ctx["s3express:signatureversion"] = []string{"AWS4-HMAC-SHA256"}
		ctx["s3express:signatureage"] = []string{strconv.FormatInt(now.Sub(a.Time).Milliseconds(), 10)}
		if a.PayloadHash != "" {
			ctx["s3express:x-amz-content-sha256"] = []string{a.PayloadHash}
		}
	}
	if v := r.Header.Get("X-Amz-Server-Side-Encryption"); v != "" {
		ctx["s3express:x-amz-server-side-encryption"] = []string{v}
	}
	if v := r.Header.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id"); v != "" {
		ctx["s3express:x-amz-server-side-encryption-aws-kms-key-id"] = []string{v}
	}
	if h.cfg.Policies != nil && !c.principal.IsRoot() {
		if _, id, err := h.cfg.Policies.CallerIdentity(c.principal); err == nil {
			ctx["aws:userid"] = []string{id}
		}
	}
	for key, v := range k.extra {
		ctx[key] = v
	}
	return ctx
}

// tlsVersion renders a TLS version as the s3express:TlsVersion key does
// ("1.2", "1.3"), a number for Numeric operators.
func tlsVersion(v uint16) string {
	switch v {
	case tls.VersionTLS10:
		return "1.0"
	case tls.VersionTLS11:
		return "1.1"
	case tls.VersionTLS12:
		return "1.2"
	case tls.VersionTLS13:
		return "1.3"
	}
	return "0"
}

// bucketPolicyCache keeps parsed bucket policies; an entry is reused while
// the stored document is unchanged.
type bucketPolicyCache struct {
	mu sync.Mutex
	m  map[string]cachedPolicy
}

type cachedPolicy struct {
	raw string
	pol *policy.Policy
}

func (bc *bucketPolicyCache) get(b *catalog.Bucket) (*policy.Policy, error) {
	if len(b.Policy) == 0 {
		return nil, nil
	}
	bc.mu.Lock()
	defer bc.mu.Unlock()
	if e, ok := bc.m[b.Name]; ok && e.raw == string(b.Policy) {
		return e.pol, nil
	}
	p, err := policy.Parse(b.Policy, policy.Resource, policy.Options{DirectoryBucket: true})
	if err != nil {
		return nil, err
	}
	// A public policy stored before PutBucketPolicy refused them grants
	// nothing to the public (Block Public Access is always on).
	p = p.WithoutPublic()
	if bc.m == nil || len(bc.m) > 10000 {
		bc.m = map[string]cachedPolicy{}
	}
	bc.m[b.Name] = cachedPolicy{string(b.Policy), p}
	return p, nil
}
