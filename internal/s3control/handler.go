// Package s3control serves the S3 Control API (paths under /v20180820/)
// for directory buckets, on the same port as the S3 API: the server hands
// it every request that routing marks s3api.OpS3Control.
//
// Requests are path style on the endpoint's own host (the SDKs drop the
// model's {AccountId}. host prefix for S3 Express resources), signed with
// SigV4 and long-term keys for the service s3express (s3 is accepted too),
// never with a session token. x-amz-account-id names the account acted
// for: it must be the caller's, and the account of any ARN in the path.
// Bodies and answers are XML in Namespace; errors are wrapped in
// <ErrorResponse>, as the S3 Control SDK deserializers read them.
//
// Served: TagResource, UntagResource and ListTagsForResource on directory
// bucket and access point ARNs (/v20180820/tags/{arn}); the access points
// for directory buckets (accesspoint/{name}[/policy|/scope],
// accesspointfordirectory). Other S3 Control resources answer 501
// NotImplemented. Operations are routed by the first path segment
// (Handler.routes).
package s3control

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/zonal-dev/zonal/internal/auth"
	"github.com/zonal-dev/zonal/internal/s3api"
	"github.com/zonal-dev/zonal/internal/store"
)

// Prefix starts every S3 Control path.
const Prefix = "/v20180820/"

// Config wires a Handler.
type Config struct {
	Region string // the server's region: ARNs of others name no bucket here
	Store  *store.Store
	Auth   *auth.Authority // the S3 API's: one key cache, one set of rules
	Logger *slog.Logger
	// RequestID returns a new request id and the host id; the server
	// passes the S3 API's, so ids are unique across both.
	RequestID func() (id, host string)
	Now       func() time.Time // nil: time.Now
}

// Handler is the S3 Control http.Handler.
type Handler struct {
	cfg    Config
	routes map[string]route
}

// route serves the operations under one resource segment
// (/v20180820/<segment>/...): op names the operation for a method and
// the rest of the path ("" when the method is not allowed there), serve
// runs it.
type route struct {
	op    func(method, rest string) string
	serve func(w http.ResponseWriter, c *call) error
}

// New returns a Handler for cfg.
func New(cfg Config) *Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	h := &Handler{cfg: cfg}
	h.routes = map[string]route{
		"tags":                    {op: func(m, _ string) string { return tagsOp(m) }, serve: h.tags},
		"accesspoint":             {op: accessPointOp, serve: h.accessPoint},
		"accesspointfordirectory": {op: listAccessPointsOp, serve: h.listAccessPoints},
	}
	return h
}

// call is one authenticated request.
type call struct {
	r      *http.Request
	caller auth.Caller
	// account is x-amz-account-id, already checked to be the caller's.
	account string
	// path is what follows the resource segment, "" when nothing does
	// (the ARN, for tags).
	path string
	info *s3api.Info
}

// services are the SigV4 services S3 Control requests may be signed for:
// the SDKs sign s3express for directory-bucket resources, general S3
// Control clients s3.
var services = []string{"s3express", "s3"}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	info := &s3api.Classified(r).Info
	id, host := h.cfg.RequestID()
	info.RequestID = id
	hdr := w.Header()
	hdr["X-Amz-Request-Id"] = []string{id}
	hdr["X-Amz-Id-2"] = []string{host}
	hdr["Server"] = []string{"zonal"}
	info.Op = s3api.OpS3Control
	if err := h.serve(w, r, info); err != nil {
		e := toError(err)
		info.ErrCode = e.Code
		if e.Status >= http.StatusInternalServerError {
			info.Err = err // the cause is for the log, never the client
		}
		writeError(w, r, e, id, host)
	}
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, info *s3api.Info) error {
	segment, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, Prefix), "/")
	rt, known := h.routes[segment]
	op := ""
	if known {
		if op = rt.op(r.Method, rest); op != "" {
			info.Op = s3api.Op(op)
		}
	}
	// Authenticate first: an unsigned or forged request learns nothing,
	// not even which operations exist.
	sa, err := s3api.SigV4Of(r)
	if err != nil {
		return s3api.AuthError(err)
	}
	caller, err := h.cfg.Auth.Authenticate(r, auth.Options{Claims: sa, Services: services, NoSecurityToken: true})
	if err != nil {
		var ae *auth.Error
		if errors.As(err, &ae) && ae.Kind == auth.TokenNotAllowed {
			return errInvalidRequest.Msg("S3 Control requests are signed with long-term credentials, without a session or security token.")
		}
		return s3api.AuthError(err)
	}
	info.Principal, info.AccessKey = caller.Principal.ARN(), sa.AccessKeyID
	switch {
	case !known:
		return errNotImplemented.Msg("zonal does not implement S3 Control " + r.Method + " " + r.URL.Path + " yet.")
	case op == "":
		return errMethod
	}
	account, err := checkAccount(r, caller)
	if err != nil {
		return err
	}
	return rt.serve(w, &call{r: r, caller: caller, account: account, path: rest, info: info})
}

// checkAccount reads x-amz-account-id, which every S3 Control operation
// requires: a missing or malformed one is a bad request, and another
// account than the caller's is refused, as S3 Control operations never
// cross accounts.
func checkAccount(r *http.Request, c auth.Caller) (string, error) {
	v := r.Header.Get("X-Amz-Account-Id")
	switch {
	case v == "":
		return "", errInvalidRequest.Msg("Missing required header for this request: x-amz-account-id")
	case !validAccount(v):
		return "", errInvalidRequest.Msg("x-amz-account-id must be a twelve-digit account id.")
	case v != c.Principal.Account:
		return "", errAccessDenied
	}
	return v, nil
}

// authorize asks whether the caller may perform action on the bucket
// (nil when none of this name is the ARN's), with the request's condition
// keys, and answers a refusal as AccessDenied.
func (h *Handler) authorize(c *call, req auth.Request) error {
	d := h.cfg.Auth.Authorize(c.r.Context(), &c.caller, req)
	switch {
	case d.Allowed:
		return nil
	case d.Err != nil:
		return d.Err
	}
	h.cfg.Logger.Info("access denied", "principal", c.caller.Principal.ARN(), "access_key", c.caller.Auth.AccessKeyID,
		"action", d.Action, "resource", d.Resource, "reason", d.Reason(), "request_id", c.info.RequestID)
	return errAccessDenied
}
