// Package iamapi serves the IAM and STS query-protocol APIs over HTTP, on
// the same port as the S3 API (the server routes a request here when its
// SigV4 credential scope names the service "iam" or "sts").
//
// Requests are form-encoded (POST bodies, or GET query strings) with
// Action=...&Version=...; responses are XML documents in the services'
// namespaces, and errors use IAM's ErrorResponse shape with AWS's codes and
// statuses. Callers authenticate with SigV4 and long-term access keys only
// (an account root's or a user's; any region), verified against the
// identity store. An account's root may do everything within its account;
// a user may call an IAM action only when its identity policies allow
// iam:<Action> on the target resource. STS GetCallerIdentity needs no
// permission.
//
// Supported IAM actions: CreateUser, GetUser, ListUsers, DeleteUser,
// CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey,
// PutUserPolicy, GetUserPolicy, ListUserPolicies, DeleteUserPolicy,
// CreatePolicy, GetPolicy, GetPolicyVersion, ListPolicyVersions,
// ListPolicies, DeletePolicy, AttachUserPolicy, DetachUserPolicy,
// ListAttachedUserPolicies. STS: GetCallerIdentity. Managed policies have a
// single version, v1; AWS managed policies (arn:aws:iam::aws:policy/...) do
// not exist here. Other actions (groups, roles, instance profiles, login
// profiles, MFA, service-specific credentials, creating or deleting policy
// versions, permissions boundaries, the tagging actions, AssumeRole and the
// other STS credential actions) answer InvalidAction, as AWS answers an
// action it does not know.
package iamapi

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/zonal-dev/zonal/internal/auth"
	"github.com/zonal-dev/zonal/internal/iam"
	"github.com/zonal-dev/zonal/internal/sigv4"
)

// API versions and XML namespaces.
const (
	IAMVersion   = "2010-05-08"
	STSVersion   = "2011-06-15"
	IAMNamespace = "https://iam.amazonaws.com/doc/2010-05-08/"
	STSNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"
)

// maxBody bounds a request body. The largest legitimate request is a
// managed policy document (6,144 characters without whitespace, 128 KiB
// at most with it) percent-encoded.
const maxBody = 1 << 20

// Config wires a Handler.
type Config struct {
	DB     *iam.DB
	Logger *slog.Logger
	Now    func() time.Time // clock (tests); time.Now when nil
	// Auth authenticates and authorizes requests; nil builds one over DB.
	// The server passes the S3 API's, so both share one key cache.
	Auth *auth.Authority
	// Claims returns a request's SigV4 claims as the edge parsed them
	// (once per request: the server passes s3api.SigV4Of); nil parses them
	// with sigv4.Parse.
	Claims func(*http.Request) (*sigv4.Auth, error)
}

// Handler is the IAM and STS http.Handler.
type Handler struct {
	db   *iam.DB
	log  *slog.Logger
	now  func() time.Time
	auth *auth.Authority
	// claims gets a request's parsed SigV4 claims (Config.Claims).
	claims func(*http.Request) (*sigv4.Auth, error)
}

// New returns a Handler for cfg.
func New(cfg Config) *Handler {
	h := &Handler{db: cfg.DB, log: cfg.Logger, now: cfg.Now, auth: cfg.Auth, claims: cfg.Claims}
	if h.claims == nil {
		h.claims = sigv4.Parse
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.auth == nil {
		h.auth = auth.New(auth.Config{Identities: cfg.DB, Policies: cfg.DB, Now: h.now})
	}
	return h
}

// Result describes a served request for the server's access log. It never
// holds a secret.
type Result struct {
	RequestID string
	Service   string // "iam" or "sts" (from the credential scope)
	Action    string
	Principal string // caller ARN, "" when not authenticated
	AccessKey string // access key id
	Status    int
	ErrCode   string
	Err       error // internal cause of a 5xx
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.Serve(w, r) }

// call is one authenticated request.
type call struct {
	h       *Handler
	ctx     context.Context
	r       *http.Request
	params  url.Values
	action  string
	service string
	id      auth.Caller
	caller  iam.Principal
	reqID   string
}

// Serve answers one request and reports what it did.
func (h *Handler) Serve(w http.ResponseWriter, r *http.Request) Result {
	res := Result{RequestID: newRequestID(), Service: "iam"}
	w.Header().Set("X-Amzn-Requestid", res.RequestID)
	c, body, err := h.prepare(r, &res)
	if err == nil {
		body, err = h.dispatch(c)
	}
	if err != nil {
		e := asAPIError(err)
		res.Status, res.ErrCode = e.Status, e.Code
		if e.Status >= 500 {
			res.Err = err
		}
		writeError(w, res.Service, e, res.RequestID)
		return res
	}
	res.Status = http.StatusOK
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
	return res
}

// iamServices are the SigV4 services this API answers for.
var iamServices = []string{"iam", "sts"}

// prepare authenticates the request and reads its parameters.
func (h *Handler) prepare(r *http.Request, res *Result) (*call, []byte, error) {
	var body []byte
	sa, err := h.claims(r)
	if err != nil {
		return nil, nil, err
	}
	id, err := h.auth.Authenticate(r, auth.Options{
		Claims:   sa,
		Services: iamServices,
		// Only long-term keys authenticate here; zonal issues no STS
		// credentials, and S3 session credentials are for S3 only.
		NoSecurityToken: true,
		Payload: func(a *sigv4.Auth) error {
			var err error
			body, err = readBody(r, a)
			return err
		},
	})
	if a := id.Auth; a != nil {
		if a.Service == "sts" {
			res.Service = "sts"
		}
		res.AccessKey = a.AccessKeyID
	}
	if err != nil {
		return nil, nil, err
	}
	p := id.Principal
	res.Principal = h.db.PolicyPrincipal(p).ARN
	if res.Principal == "" {
		res.Principal = p.ARN()
	}
	params, err := readParams(r, body)
	if err != nil {
		return nil, nil, err
	}
	c := &call{h: h, ctx: r.Context(), r: r, params: params, service: id.Auth.Service, id: id, caller: p}
	c.reqID = res.RequestID
	c.action = params.Get("Action")
	res.Action = c.action
	return c, nil, nil
}

// readBody reads the form body and makes its hash the payload hash the
// signature is checked with: IAM and STS sign it without sending it.
func readBody(r *http.Request, a *sigv4.Auth) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, apiErr("IncompleteSignature", "The request body could not be read.")
	}
	if len(body) > maxBody {
		return nil, apiErr("RequestEntityTooLarge", "Request body must be less than %d bytes", maxBody)
	}
	sum := sha256.Sum256(body)
	bodyHash := hex.EncodeToString(sum[:])
	if explicitPayloadHash(r) {
		if a.PayloadHash != sigv4.UnsignedPayload && a.PayloadHash != bodyHash {
			return nil, apiErr("SignatureDoesNotMatch", "The request body does not match its x-amz-content-sha256 header.")
		}
	} else {
		a.PayloadHash = bodyHash
	}
	return body, nil
}

// explicitPayloadHash reports whether the client sent x-amz-content-sha256
// (header or presigned parameter).
func explicitPayloadHash(r *http.Request) bool {
	if len(r.Header["X-Amz-Content-Sha256"]) > 0 {
		return true
	}
	return strings.Contains(r.URL.RawQuery, "X-Amz-Content-Sha256=")
}

// readParams merges the query string (without the X-Amz-* authentication
// parameters) and a form-encoded body.
func readParams(r *http.Request, body []byte) (url.Values, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, apiErr("MalformedQueryString", "The query string is malformed.")
	}
	for k := range q {
		if strings.HasPrefix(k, "X-Amz-") {
			delete(q, k)
		}
	}
	if len(body) > 0 {
		ct := r.Header.Get("Content-Type")
		if ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/x-www-form-urlencoded") {
			return nil, apiErr("InvalidAction", "Content-Type %q is not supported; send application/x-www-form-urlencoded.", ct)
		}
		f, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, apiErr("MalformedQueryString", "The request body is not valid form encoding.")
		}
		for k, v := range f {
			q[k] = append(q[k], v...)
		}
	}
	return q, nil
}

type handlerFunc func(c *call) (any, error)

// dispatch runs the action and renders its response document.
func (h *Handler) dispatch(c *call) ([]byte, error) {
	if c.action == "" {
		return nil, apiErr("MissingAction", "Missing Action")
	}
	table, version, ns := iamActions, IAMVersion, IAMNamespace
	if c.service == "sts" {
		table, version, ns = stsActions, STSVersion, STSNamespace
	}
	fn, ok := table[c.action]
	if v := c.params.Get("Version"); !ok || v != "" && v != version {
		if v == "" {
			v = version
		}
		return nil, apiErr("InvalidAction", "Could not find operation %s for version %s", c.action, v)
	}
	result, err := fn(c)
	if err != nil {
		return nil, err
	}
	return renderResponse(ns, c.action, result, c.reqID), nil
}

// get returns a parameter's value and whether it was given.
func (c *call) get(name string) (string, bool) {
	v, ok := c.params[name]
	if !ok || len(v) == 0 {
		return "", false
	}
	return v[0], true
}

// required returns a required parameter; member is its name in AWS's
// validation messages (lower camel case).
func (c *call) required(name, member string) (string, error) {
	v, ok := c.get(name)
	if !ok {
		return "", iam.Missing(member)
	}
	return v, nil
}

// account is the caller's account: every IAM action works within it.
func (c *call) account() string { return c.caller.Account }

// authorize decides whether the caller may perform iam:<action> on
// resource, the way AWS does for IAM: the account root may act in its
// account; a user needs an Allow from its identity policies and no
// explicit Deny. IAM has no resource policies, so nothing crosses
// accounts. Every refusal is logged with the deciding statement.
func (c *call) authorize(resource, resourceAccount string, extra map[string][]string) error {
	action := "iam:" + c.action
	d := c.h.auth.Authorize(c.ctx, &c.id, auth.Request{Action: action, Resource: resource,
		Account: resourceAccount, Conditions: extra})
	switch {
	case d.Err != nil:
		return d.Err
	case d.Allowed:
		return nil
	}
	arn := c.h.db.PolicyPrincipal(c.caller).ARN
	if arn == "" {
		arn = c.caller.ARN()
	}
	deciding := "no statement allowed"
	msg := fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s", arn, action, resource)
	switch {
	case d.Denial == auth.ExplicitDeny:
		deciding = d.Statement
		msg += " with an explicit deny in an identity-based policy"
	case !d.SameAccount:
		deciding = "cross-account IAM access is not possible"
	default:
		msg += " because no identity-based policy allows the " + action + " action"
	}
	c.h.log.Info("request denied", "request_id", c.reqID, "service", c.service, "principal", arn,
		"action", action, "resource", resource, "decided_by", deciding)
	return apiErr("AccessDenied", "%s", msg)
}

// newRequestID returns a random UUID, the shape of IAM's request ids.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
