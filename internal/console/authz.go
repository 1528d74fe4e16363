package console

import (
	"context"
	"net/http"

	"github.com/zonal-dev/zonal/internal/auth"
	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/session"
)

// The IAM actions of the console's control-plane pages, as the S3 API
// names them.
const (
	actionList   = "s3express:ListAllMyDirectoryBuckets"
	actionCreate = "s3express:CreateBucket"
	actionDelete = "s3express:DeleteBucket"
)

// decide asks auth whether the session's principal may do req, as the S3
// API would for the same principal signing with its long-term key. A
// refusal is logged as the S3 API logs its own: who, what, on what, why.
func (c *Console) decide(r *http.Request, s *login, req auth.Request) (bool, error) {
	caller := auth.Caller{Principal: s.principal, Request: r}
	d := c.cfg.Auth.Authorize(r.Context(), &caller, req)
	if d.Err != nil {
		return false, d.Err
	}
	if !d.Allowed && r.Method == http.MethodPost && r.Context().Value(quietKey{}) == nil {
		why := "no statement allowed it"
		switch d.Denial {
		case auth.ExplicitDeny:
			why = d.Statement
		case auth.CrossAccount:
			why = "the bucket belongs to another account"
		}
		c.log.Info("console access denied", "principal", s.principal.ARN(), "access_key", s.akid,
			"action", d.Action, "resource", d.Resource, "reason", why)
	}
	return d.Allowed, nil
}

type quietKey struct{}

// quietly marks r's authorization questions as a page's (which controls
// to show), not a change's: decide then logs no refusal. A page shown in
// answer to a POST (a refused form, a new key) asks many.
func quietly(r *http.Request) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), quietKey{}, true))
}

// mayList decides ListAllMyDirectoryBuckets.
func (c *Console) mayList(r *http.Request, s *login) (bool, error) {
	return c.decide(r, s, auth.Request{Action: actionList, Regional: true})
}

// mayCreate decides CreateBucket of name (nil b: no such bucket yet). With
// name "" it asks about buckets in general (the ARN bucket/*), to decide
// whether to show the form; the real request is decided by its name.
func (c *Console) mayCreate(r *http.Request, s *login, name, zone string, b *catalog.Bucket) (bool, error) {
	req := auth.Request{Action: actionCreate, BucketName: name, Bucket: b, Regional: true, Writes: true, Create: true}
	if name == "" {
		req.Resource, req.Account = auth.BucketARN(c.cfg.Region, s.principal.Account, "*"), s.principal.Account
	} else if zone != "" {
		req.Conditions = map[string][]string{"s3express:locationname": {zone}}
	}
	return c.decide(r, s, req)
}

// mayDelete decides DeleteBucket.
func (c *Console) mayDelete(r *http.Request, s *login, name string, b *catalog.Bucket) (bool, error) {
	return c.decide(r, s, auth.Request{Action: actionDelete, BucketName: name, Bucket: b, Regional: true, Writes: true})
}

// mayObjects decides object operations as the S3 API decides zonal
// requests signed with a long-term key: by the CreateSession of the mode
// the operation needs (ReadOnly to list, read and download; ReadWrite to
// upload and delete), through identity and bucket policies.
func (c *Console) mayObjects(r *http.Request, s *login, name string, b *catalog.Bucket, mode session.Mode) (bool, error) {
	return c.decide(r, s, auth.Request{Action: auth.ActionCreateSession, BucketName: name, Bucket: b, Mode: mode})
}

// bucketFor looks up the bucket a page names and decides the object
// access it needs. It answers the request itself (404, 403, 500) and
// returns ok false when the page must not go on.
func (c *Console) bucketFor(w http.ResponseWriter, r *http.Request, s *login, mode session.Mode) (*catalog.Bucket, bool) {
	b, ok := c.pathBucket(w, r, s)
	if !ok {
		return nil, false
	}
	name := b.Name
	ok, err := c.mayObjects(r, s, name, b, mode)
	if err != nil {
		c.internal(w, s, err)
		return nil, false
	}
	if !ok {
		what := "read"
		if mode == session.ReadWrite {
			what = "change"
		}
		c.fail(w, http.StatusForbidden, s, "Your policies do not allow you to "+what+" objects in "+name+".")
		return nil, false
	}
	return b, true
}

// pathBucket looks up the bucket the path names, answering 404 (or 500)
// itself when there is none.
func (c *Console) pathBucket(w http.ResponseWriter, r *http.Request, s *login) (*catalog.Bucket, bool) {
	name := r.PathValue("bucket")
	b, err := c.cfg.Auth.Bucket(r.Context(), name)
	if err != nil {
		c.internal(w, s, err)
		return nil, false
	}
	if b == nil {
		c.fail(w, http.StatusNotFound, s, "The bucket "+name+" does not exist.")
		return nil, false
	}
	return b, true
}

func (c *Console) internal(w http.ResponseWriter, s *login, err error) {
	c.log.Error("console: internal error", "err", err)
	c.fail(w, http.StatusInternalServerError, s, "Internal error; the server log says more.")
}
