package console

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/zonal-dev/zonal/internal/auth"
	"github.com/zonal-dev/zonal/internal/bucketname"
	"github.com/zonal-dev/zonal/internal/iam"
	"github.com/zonal-dev/zonal/internal/policy"
	"github.com/zonal-dev/zonal/internal/session"
)

// The policy simulator asks the server's own evaluator (auth.Authority,
// the one every S3 and IAM request goes through) what it would decide for
// a principal of the signed-in account, and shows the statement that
// decided. It changes nothing. Simulating a principal reveals which of
// its statements decide, so it needs what reading its policies needs:
// iam:ListUserPolicies and iam:GetUserPolicy on it (an account root has
// them in its account).

// simAction is an action the simulator offers, with how the S3 API asks
// about it.
type simAction struct {
	Name                             string
	Regional, Writes, NoBucket, Mint bool
}

var simActions = []simAction{
	{Name: auth.ActionCreateSession, Mint: true},
	{Name: actionCreate, Regional: true, Writes: true},
	{Name: actionDelete, Regional: true, Writes: true},
	{Name: actionList, Regional: true, NoBucket: true},
	{Name: actionGetPolicy, Regional: true},
	{Name: actionPutPolicy, Regional: true, Writes: true},
	{Name: actionDeletePolicy, Regional: true, Writes: true},
	{Name: actionGetEncrypt, Regional: true},
	{Name: actionPutEncrypt, Regional: true, Writes: true},
	{Name: actionGetLifecycle, Regional: true},
	{Name: actionPutLifecycle, Regional: true, Writes: true},
}

type simulateData struct {
	Principals []string // "root" and user names
	Actions    []simAction
	Buckets    []string
	// The form as sent.
	Principal, Action, Bucket, Key, Mode string
	Result                               *simResult
}

type simResult struct {
	Allowed          bool
	DecidedBy        string
	Action, Resource string
	Mode             string // for CreateSession
	Note             string
}

// rootChoice is the Principal value naming the account root.
const rootChoice = "root"

func (c *Console) simulate(w http.ResponseWriter, r *http.Request, s *login) {
	q := r.URL.Query()
	d := simulateData{Actions: simActions, Principal: q.Get("principal"), Action: q.Get("action"),
		Bucket: strings.TrimSpace(q.Get("bucket")), Key: q.Get("key"), Mode: q.Get("mode")}
	if err := c.simChoices(r, s, &d); err != nil {
		c.internal(w, s, err)
		return
	}
	if d.Principal == "" {
		d.Principal = rootChoice
		if !s.principal.IsRoot() {
			d.Principal = s.principal.User
		}
	}
	if d.Mode == "" {
		d.Mode = session.ReadWrite.String()
	}
	status, msg := http.StatusOK, ""
	if d.Action != "" {
		var err error
		if status, msg, err = c.runSimulation(r, s, &d); err != nil {
			c.internal(w, s, err)
			return
		}
	}
	c.render(w, status, "simulate", s, view{Title: "Policy simulator", Error: msg, Data: d})
}

// simChoices fills the principals and buckets the form offers: the users
// and buckets the signed-in principal may list, else itself.
func (c *Console) simChoices(r *http.Request, s *login, d *simulateData) error {
	if s.principal.IsRoot() {
		d.Principals = append(d.Principals, rootChoice)
	}
	if c.cfg.IAM != nil {
		ok, err := c.mayIAM(r, s, "ListUsers", c.usersARN(s), nil)
		if err != nil {
			return err
		}
		if ok {
			if !s.principal.IsRoot() {
				d.Principals = append(d.Principals, rootChoice)
			}
			users, err := c.cfg.IAM.ListUsers(r.Context(), s.principal.Account, "")
			if err != nil {
				return err
			}
			for _, u := range users {
				d.Principals = append(d.Principals, u.Name)
			}
		}
	}
	if !s.principal.IsRoot() && !slices.Contains(d.Principals, s.principal.User) {
		d.Principals = append(d.Principals, s.principal.User)
	}
	ok, err := c.mayList(r, s)
	if err != nil || !ok {
		return err
	}
	bs, err := c.cfg.Store.ListBuckets(r.Context(), s.principal.Account, "", bucketsPerPage)
	for _, b := range bs {
		d.Buckets = append(d.Buckets, b.Name)
	}
	return err
}

// runSimulation decides the form's question; a question it may not ask
// or cannot ask answers a status and why.
func (c *Console) runSimulation(r *http.Request, s *login, d *simulateData) (int, string, error) {
	i := slices.IndexFunc(simActions, func(a simAction) bool { return a.Name == d.Action })
	if i < 0 {
		return http.StatusBadRequest, "Choose one of the actions offered.", nil
	}
	act := simActions[i]
	target := iam.Principal{Account: s.principal.Account}
	arn := iam.RootARN(target.Account)
	if d.Principal != rootChoice {
		if c.cfg.IAM == nil {
			return http.StatusBadRequest, "This server has no IAM users.", nil
		}
		u, err := c.cfg.IAM.GetUser(r.Context(), target.Account, d.Principal)
		if err != nil {
			return http.StatusBadRequest, "Your account has no user named " + d.Principal + ".", nil
		}
		target.User, arn = u.Name, u.ARN()
	}
	for _, op := range []string{"ListUserPolicies", "GetUserPolicy"} {
		ok, err := c.mayIAM(r, s, op, arn, nil)
		if err != nil {
			return 0, "", err
		}
		if !ok {
			return http.StatusForbidden, "Simulating " + arn + " shows its policies' statements: your policies must allow " +
				"iam:ListUserPolicies and iam:GetUserPolicy on it.", nil
		}
	}
	req := auth.Request{Action: act.Name, Regional: act.Regional, Writes: act.Writes, Mint: act.Mint,
		Create: act.Name == actionCreate}
	if !act.NoBucket {
		if d.Bucket == "" {
			return http.StatusBadRequest, act.Name + " needs a bucket.", nil
		}
		b, err := c.cfg.Auth.Bucket(r.Context(), d.Bucket)
		if err != nil {
			return 0, "", err
		}
		req.BucketName, req.Bucket = d.Bucket, b
		if req.Create {
			if zone, why := bucketname.Validate(d.Bucket); why == "" {
				req.Conditions = map[string][]string{"s3express:locationname": {zone}}
			}
		}
	}
	if act.Mint {
		m, ok := session.ParseMode(d.Mode)
		if !ok || m == session.ControlOnly {
			return http.StatusBadRequest, "Choose the session mode, ReadWrite or ReadOnly.", nil
		}
		req.Mode = m
	}
	caller := auth.Caller{Principal: target, Request: r}
	dec := c.cfg.Auth.Authorize(r.Context(), &caller, req)
	if dec.Err != nil {
		return 0, "", dec.Err
	}
	res := &simResult{Allowed: dec.Allowed, Action: act.Name, Resource: dec.Resource}
	if act.Mint {
		res.Mode = req.Mode.String()
		if d.Key != "" {
			res.Note = "Directory buckets authorize objects by bucket: a request on " + d.Key +
				" is allowed when this CreateSession is (ReadOnly to read it, ReadWrite to write or delete it)."
		}
	}
	by, err := c.decidedBy(r, s, req, dec)
	if err != nil {
		return 0, "", err
	}
	res.DecidedBy = by
	d.Result = res
	return http.StatusOK, "", nil
}

// decidedBy names what decided dec. A bucket policy's statement is named
// only to a principal that may read the bucket policy.
func (c *Console) decidedBy(r *http.Request, s *login, req auth.Request, dec auth.Decision) (string, error) {
	switch {
	case dec.Denial == auth.CrossAccount:
		return "the bucket belongs to another account: bucket-level (regional) actions never cross accounts", nil
	case dec.Denial == auth.NotAllowed:
		return "no statement allowed it", nil
	case dec.Allowed && dec.By.Source == policy.SourceNone:
		if req.Bucket == nil {
			return "no statement: the bucket does not exist, so the operation answers NoSuchBucket before any policy is read", nil
		}
		return "no statement: the name belongs to another account, so CreateBucket answers BucketAlreadyExists", nil
	case dec.By.Source == policy.SourceRoot:
		return "the account root's implicit access to its own account", nil
	}
	name := "bucket policy"
	if dec.By.Source == policy.SourceIdentity {
		name = dec.ByPolicy
		if n, ok := strings.CutPrefix(name, "inline:"); ok {
			name = "inline policy " + n
		} else {
			name = "managed policy " + name
		}
	} else if req.Bucket != nil {
		ok, err := c.mayBucket(r, s, actionGetPolicy, req.Bucket, false)
		if err != nil {
			return "", err
		}
		if !ok {
			name = "a statement of the bucket policy (your policies do not allow s3express:GetBucketPolicy, so it is not named)"
			if dec.Denial == auth.ExplicitDeny {
				return "explicit deny in " + name, nil
			}
			return name, nil
		}
	}
	out := name + " statement " + strconv.Itoa(dec.By.Statement)
	if dec.By.Sid != "" {
		out += " (Sid " + dec.By.Sid + ")"
	}
	if dec.Denial == auth.ExplicitDeny {
		out = "explicit deny in " + out
	}
	return out, nil
}
