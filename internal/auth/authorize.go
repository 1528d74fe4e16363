package auth

import (
	"context"
	"crypto/tls"
	"errors"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/zonal-dev/zonal/internal/bucketname"
	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/iam"
	"github.com/zonal-dev/zonal/internal/netpeer"
	"github.com/zonal-dev/zonal/internal/policy"
	"github.com/zonal-dev/zonal/internal/session"
)

// ActionCreateSession is the action S3 Express decides zonal (data-plane)
// requests signed with long-term keys by: the CreateSession of the mode
// the operation needs.
const ActionCreateSession = "s3express:CreateSession"

// Request is one authorization question: may the caller perform Action?
type Request struct {
	// Action is the IAM action, "s3express:CreateBucket", "iam:GetUser".
	Action string
	// Resource is the resource's ARN and Account its account (IAM). For
	// S3 leave both empty and name the bucket: the resource is then the
	// bucket's ARN, of its owner's account (the caller's while it does
	// not exist), or "*" when the request names no bucket.
	Resource, Account string
	// BucketName is the bucket the S3 request names, "" for none, and
	// Bucket its record, nil when no such bucket exists. A request on a
	// missing bucket is allowed without a policy decision (the operation
	// answers that the bucket does not exist), unless it is Mint or Create.
	BucketName string
	Bucket     *catalog.Bucket
	// Regional marks a control-plane action: decided by the identity
	// policies of the bucket owner's account alone, never across
	// accounts. Writes marks one that changes something: a ReadOnly
	// session may not sign it.
	Regional, Writes bool
	// Mode is the CreateSession mode a zonal request needs, or the one
	// CreateSession asks for (0: none named, see Mint). It fills the
	// s3express:SessionMode condition key.
	Mode session.Mode
	// Mint marks CreateSession: the Decision's Mode is the mode granted,
	// the one asked or else the most the policies allow. ControlActions
	// are the regional actions that earn a ControlOnly session when
	// neither ReadWrite nor ReadOnly is allowed.
	Mint           bool
	ControlActions []string
	// Create marks CreateBucket: an existing bucket of another account
	// is the operation's to refuse, and policies see no bucket record.
	Create bool
	// Conditions are condition keys of the operation (lower case).
	Conditions map[string][]string
	// Unknown are condition keys the request cannot know yet
	// (policy.Request.Unknown): the decision says whether the action
	// could be allowed.
	Unknown []string
	// AccessPoint is the access point a zonal request came through (the
	// bucket is then its bucket), or, for a regional action on an access
	// point (Resource its ARN), its record; nil for none. See
	// decideThroughAccessPoint.
	AccessPoint *catalog.AccessPoint
	// half is which half of a decision through an access point this is.
	half apHalf
}

// Denial says why a request was refused.
type Denial uint8

// The denials.
const (
	_ Denial = iota
	// NotAllowed: no statement allowed the request.
	NotAllowed
	// ExplicitDeny: a Deny statement matched (Decision.Statement).
	ExplicitDeny
	// CrossAccount: a regional action on another account's bucket.
	CrossAccount
	// SessionBucket: the session was minted for another bucket name.
	SessionBucket
	// SessionIncarnation: the bucket now bearing the session's name is
	// another incarnation, of another account.
	SessionIncarnation
	// SessionNoObjects: a ControlOnly session signed a zonal request.
	SessionNoObjects
	// SessionReadOnly: a ReadOnly session signed a write.
	SessionReadOnly
)

// Decision is the answer to a Request.
type Decision struct {
	Allowed bool
	// Mode is, for CreateSession, the mode granted; for a refusal, the
	// mode the last evaluation asked for.
	Mode session.Mode
	// Denial says why not; Statement names the deciding Deny statement
	// ("explicit deny in <policy> statement N (Sid S)").
	Denial    Denial
	Statement string
	// By is the statement that decided (policy.Result.By: the explicit
	// Deny, or the statement that allowed) and ByPolicy the name of its
	// identity policy ("inline:NAME" or a managed policy's ARN; "" for
	// the bucket policy, the root's implicit access, or no statement).
	// The console's policy simulator shows them.
	By       policy.StatementRef
	ByPolicy string
	// Action and Resource are what was evaluated (for logs).
	Action, Resource string
	// SameAccount reports whether the caller's account owns the resource.
	SameAccount bool
	// Err is set when the decision could not be made (a store failed);
	// Allowed is then false.
	Err error
}

var allow = Decision{Allowed: true}

// Reason says in a few words why a policy refusal was made, for the one
// log line that explains it.
func (d Decision) Reason() string {
	switch d.Denial {
	case ExplicitDeny:
		return d.Statement
	case CrossAccount:
		return "the bucket belongs to another account"
	}
	return "no statement allowed it"
}

// Authorize decides req for the caller.
//
// Session-signed zonal requests cost no policy evaluation: the token was
// minted only after CreateSession was authorized for its bucket and mode,
// so it is enough that the token fits this bucket (SessionFits) and its
// mode allows the operation. A session minted before a policy change
// therefore works until it expires, as on AWS. Regional requests signed
// with a session are decided by policy as the session's principal, and a
// ReadOnly session changes nothing.
func (a *Authority) Authorize(ctx context.Context, c *Caller, req Request) Decision {
	if s := c.Session; s != nil {
		// A session minted through an access point bears its name, and
		// serves only requests through it (the SDKs cache by name).
		name := req.BucketName
		if req.AccessPoint != nil && !req.Regional {
			name = req.AccessPoint.Name
		}
		if name == "" || name != s.Bucket {
			return Decision{Denial: SessionBucket}
		}
		if req.Bucket != nil && !SessionFits(s, req.Bucket) {
			return Decision{Denial: SessionIncarnation, Action: req.Action, Resource: req.BucketName}
		}
		if !req.Regional {
			switch {
			case s.Mode == session.ControlOnly:
				return Decision{Denial: SessionNoObjects}
			case s.Mode == session.ReadOnly && req.Mode != session.ReadOnly:
				return Decision{Denial: SessionReadOnly}
			}
			return allow
		}
		if s.Mode == session.ReadOnly && req.Writes {
			return Decision{Denial: SessionReadOnly}
		}
	}
	if req.BucketName != "" && req.Bucket == nil && !req.Mint && !req.Create {
		return allow
	}
	if req.Create {
		if req.Bucket != nil && req.Bucket.Owner != c.Principal.Account {
			return allow // the operation answers BucketAlreadyExists
		}
		req.Bucket = nil
	}
	if req.Mint {
		return a.mint(ctx, c, req)
	}
	return a.decide(ctx, c, &req)
}

// SessionFits reports whether session s may act on bucket b, the bucket
// now bearing its name. A name alone is not enough: buckets are deleted
// and their names taken again, possibly by another account. So b must be
// the incarnation s was minted for, or belong to the session's own
// account. The second case covers sessions minted before the bucket
// existed (the SDKs' CreateSession, CreateBucket, PutObject flow) and a
// same-account delete-and-recreate, which SDK session caches meet in test
// suites; such a bucket has the ARN the session was authorized for. A
// session never reaches a bucket of a third account.
func SessionFits(s *session.Session, b *catalog.Bucket) bool {
	if b.Owner == s.Account {
		return true
	}
	return s.BucketCreated != 0 && b.Owner == s.BucketOwner && b.CreatedAt.UnixNano() == s.BucketCreated
}

// mint decides CreateSession and its mode: the one requested, or when
// none is named the most the policies allow (ReadWrite, else ReadOnly).
//
// With a custom endpoint the SDKs create a session (naming no mode) before
// every control-plane call, and AWS decides those calls by their own
// actions only. So when neither mode is allowed but the caller may perform
// one of req.ControlActions on the bucket, a ControlOnly session is
// minted: it reads and writes nothing, and each control-plane request is
// still decided on its own. A caller with no permission at all is refused
// as on AWS, by the ReadOnly evaluation.
func (a *Authority) mint(ctx context.Context, c *Caller, req Request) Decision {
	if req.Mode != 0 {
		d := a.decide(ctx, c, &req)
		d.Mode = req.Mode
		return d
	}
	for _, m := range [...]session.Mode{session.ReadWrite, session.ReadOnly} {
		req.Mode = m
		if d := a.decide(ctx, c, &req); d.Allowed {
			d.Mode = m
			return d
		}
	}
	for _, action := range req.ControlActions {
		// The tags a later CreateBucket asks for are unknown here: a policy
		// allowing it only with certain tags still earns the session, which
		// grants nothing itself; CreateBucket is then decided with its tags.
		cr := Request{Action: action, BucketName: req.BucketName, Bucket: req.Bucket, Regional: true, Unknown: requestTagKeys}
		if d := a.decide(ctx, c, &cr); d.Allowed {
			d.Mode = session.ControlOnly
			return d
		}
	}
	req.Mode = session.ReadOnly
	d := a.decide(ctx, c, &req)
	d.Mode = req.Mode
	return d
}

// requestTagKeys are the condition keys of the tags a request sets.
var requestTagKeys = []string{"aws:requesttag/", "aws:tagkeys"}

// decide evaluates the identity policies of the caller and, unless the
// action is regional, the bucket's policy (through an access point, its
// policy too: decideThroughAccessPoint).
func (a *Authority) decide(ctx context.Context, c *Caller, req *Request) Decision {
	if req.AccessPoint != nil && !req.Regional && req.half == 0 {
		return a.decideThroughAccessPoint(ctx, c, req)
	}
	d := Decision{Action: req.Action, Mode: req.Mode}
	pol := a.cfg.Policies
	pp := policy.Principal{Account: c.Principal.Account, User: c.Principal.User}
	var ids iam.PolicySet
	if pol != nil {
		pp = pol.PolicyPrincipal(c.Principal)
		var err error
		if ids, err = pol.IdentityPolicySet(ctx, c.Principal); err != nil {
			d.Err = err
			return d
		}
	}
	owner := c.Principal.Account
	var bucketPolicy *policy.Policy
	if req.half == halfAccessPoint {
		var err error
		if bucketPolicy, err = accessPointPolicy(req.AccessPoint); err != nil {
			d.Err = err
			return d
		}
	} else if req.Bucket != nil {
		owner = req.Bucket.Owner
		if !req.Regional {
			var err error
			if bucketPolicy, err = a.policies.get(req.Bucket); err != nil {
				d.Err = err
				return d
			}
		}
	}
	d.Resource = req.Resource
	if d.Resource == "" {
		d.Resource = "*"
		if req.BucketName != "" {
			d.Resource = BucketARN(a.cfg.Region, owner, req.BucketName)
		}
	}
	account := owner
	if req.Resource != "" {
		account = req.Account // as named, even empty (no account: same account)
	}
	if req.Regional && account != c.Principal.Account {
		d.Denial = CrossAccount // regional operations never cross accounts
		return d
	}
	preq := policy.Request{Principal: pp, Action: req.Action, Resource: d.Resource, ResourceAccount: account, Unknown: req.Unknown}
	// Only conditions read the context: without a policy (an account root
	// with none, the common case) it is not built at all.
	if len(ids.Policies) > 0 || bucketPolicy != nil {
		preq.Context = a.conditions(c, req)
	}
	res := policy.EvaluateDetailed(preq, ids.Policies, bucketPolicy)
	d.SameAccount, d.By = res.SameAccount, res.By
	if res.By.Source == policy.SourceIdentity {
		d.ByPolicy = ids.Name(res.By.Policy)
	}
	switch res.Decision {
	case policy.Allow:
		d.Allowed = true
	case policy.ExplicitDeny:
		name := "bucket policy"
		if res.By.Source == policy.SourceIdentity {
			name = ids.Name(res.By.Policy)
		}
		d.Denial = ExplicitDeny
		d.Statement = "explicit deny in " + name + " statement " + strconv.Itoa(res.By.Statement)
		if res.By.Sid != "" {
			d.Statement += " (Sid " + res.By.Sid + ")"
		}
	default:
		d.Denial = NotAllowed
	}
	return d
}

// BucketARN is the ARN of a directory bucket.
func BucketARN(region, account, bucket string) string {
	return "arn:aws:s3express:" + region + ":" + account + ":bucket/" + bucket
}

// conditions fills the condition keys zonal knows: the global ones, and
// for s3express actions the session mode and the request-shape keys.
func (a *Authority) conditions(c *Caller, req *Request) map[string][]string {
	now := a.cfg.Now().UTC()
	ctx := make(map[string][]string, 16)
	ctx["aws:currenttime"] = []string{now.Format("2006-01-02T15:04:05Z")}
	ctx["aws:epochtime"] = []string{strconv.FormatInt(now.Unix(), 10)}
	if a.cfg.Region != "" {
		// The region the request was made to: this endpoint's, whatever
		// region the client signed for.
		ctx["aws:requestedregion"] = []string{a.cfg.Region}
	}
	r := c.Request
	if r != nil {
		ctx["aws:securetransport"] = []string{strconv.FormatBool(netpeer.SecureTransport(r))}
		if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
			ctx["aws:sourceip"] = []string{host}
		}
	}
	if req.Mode != 0 {
		ctx["s3express:sessionmode"] = []string{req.Mode.String()}
	}
	if r != nil && strings.HasPrefix(req.Action, "s3express:") {
		// The request-shape keys AWS fills in for every s3express action,
		// so policies that deny plain HTTP, presigned URLs, old signatures
		// or unsigned payloads work as written for AWS.
		if r.TLS != nil {
			ctx["s3express:tlsversion"] = []string{tlsVersion(r.TLS.Version)}
		}
		if sa := c.Auth; sa != nil {
			authType := "REST-HEADER"
			if sa.Presigned {
				authType = "REST-QUERY-STRING"
			}
			ctx["s3express:authtype"] = []string{authType}
			ctx["s3express:signatureversion"] = []string{"AWS4-HMAC-SHA256"}
			ctx["s3express:signatureage"] = []string{strconv.FormatInt(now.Sub(sa.Time).Milliseconds(), 10)}
			if sa.PayloadHash != "" {
				ctx["s3express:x-amz-content-sha256"] = []string{sa.PayloadHash}
			}
		}
		if v := r.Header.Get("X-Amz-Server-Side-Encryption"); v != "" {
			ctx["s3express:x-amz-server-side-encryption"] = []string{v}
		}
		if v := r.Header.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id"); v != "" {
			ctx["s3express:x-amz-server-side-encryption-aws-kms-key-id"] = []string{v}
		}
	}
	if b := req.Bucket; b != nil {
		bucketConditions(ctx, b)
	}
	if ap := req.AccessPoint; ap != nil {
		accessPointConditions(ctx, ap, a.cfg.Region, req.Regional, req.half != halfBucket)
	}
	if a.cfg.Policies != nil && !c.Principal.IsRoot() {
		if _, id, err := a.cfg.Policies.CallerIdentity(c.Principal); err == nil {
			ctx["aws:userid"] = []string{id}
		}
	}
	for key, v := range req.Conditions {
		ctx[strings.ToLower(key)] = v
	}
	return ctx
}

// bucketConditions fills the keys that describe the bucket a request acts
// on (none for CreateBucket, whose bucket does not exist yet):
//
//   - aws:ResourceTag/<key> and its S3 Express twin s3express:BucketTag/<key>
//     for each of its tags, so that policies grant by tag (ABAC). Condition
//     key names ignore case, the tag key part included, as IAM documents;
//     of two tags differing only in case the first in key order counts.
//   - s3express:AllAccessRestrictedToLocalZoneGroup for a bucket in a Local
//     Zone: the network border group requests originate from. zonal serves
//     one location, so every request it takes is treated as coming from
//     within the bucket's own group (a perimeter naming that group holds,
//     one naming another refuses), and the key is absent for AZ buckets,
//     as on AWS, where it exists only in Local Zones.
//
// aws:ResourceAccount and s3express:ResourceAccount come from the
// request's ResourceAccount in the policy package.
func bucketConditions(ctx map[string][]string, b *catalog.Bucket) {
	keys := slices.Sorted(maps.Keys(b.Tags))
	for _, k := range keys {
		lk := strings.ToLower(k)
		if _, seen := ctx["aws:resourcetag/"+lk]; seen {
			continue
		}
		v := []string{b.Tags[k]}
		ctx["aws:resourcetag/"+lk] = v
		ctx["s3express:buckettag/"+lk] = v
	}
	if g := bucketname.NetworkBorderGroup(b.Region, b.Zone); g != "" {
		ctx["s3express:allaccessrestrictedtolocalzonegroup"] = []string{g}
	}
}

// RequestTags returns the condition keys of a request that sets tags
// (TagResource, CreateBucket with Tags): aws:RequestTag/<key> for each
// tag and aws:TagKeys listing the keys, for Request.Conditions.
func RequestTags(tags map[string]string) map[string][]string {
	keys := slices.Sorted(maps.Keys(tags))
	out := make(map[string][]string, len(tags)+1)
	for _, k := range keys {
		if lk := "aws:requesttag/" + strings.ToLower(k); out[lk] == nil {
			out[lk] = []string{tags[k]}
		}
	}
	out["aws:tagkeys"] = keys
	return out
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

// Bucket looks up a bucket for authorization: nil, nil when name is empty
// or no such bucket exists.
func (a *Authority) Bucket(ctx context.Context, name string) (*catalog.Bucket, error) {
	if name == "" || a.cfg.Buckets == nil {
		return nil, nil
	}
	b, err := a.cfg.Buckets.GetBucket(ctx, name)
	switch {
	case err == nil:
		return &b, nil
	case errors.Is(err, catalog.ErrNotFound):
		return nil, nil
	}
	return nil, &Error{Kind: Internal, Err: err}
}
