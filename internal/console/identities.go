package console

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/zonal-dev/zonal/internal/auth"
	"github.com/zonal-dev/zonal/internal/iam"
	"github.com/zonal-dev/zonal/internal/policy"
)

// The identities pages: IAM users, their access keys and inline policies,
// and the account's managed policies. Each read and change is authorized
// exactly as the IAM API authorizes the same call by the same principal
// (internal/iamapi): the action iam:<Operation> on the user's ARN (with
// its path), the policy's ARN, or the account's user/ and policy/ ARNs
// for the lists, with iam:PolicyARN in the context of attach and detach.
// An account root may do everything in its account; a user needs its
// identity policies to allow it.

// mayIAM decides iam:<op> on resource in the principal's account.
func (c *Console) mayIAM(r *http.Request, s *login, op, resource string, cond map[string][]string) (bool, error) {
	return c.decide(r, s, auth.Request{Action: "iam:" + op, Resource: resource, Account: s.principal.Account, Conditions: cond})
}

// iamPage wraps the identities pages: they need the identity store.
func (c *Console) iamPage(h handler) handler {
	return func(w http.ResponseWriter, r *http.Request, s *login) {
		if c.cfg.IAM == nil {
			c.fail(w, http.StatusNotFound, s, "This server has no identity store.")
			return
		}
		h(w, r, s)
	}
}

func (c *Console) usersARN(s *login) string { return "arn:aws:iam::" + s.principal.Account + ":user/" }
func (c *Console) policiesARN(s *login) string {
	return "arn:aws:iam::" + s.principal.Account + ":policy/"
}

// userARN is the ARN of a user of the principal's account, with its path
// when it exists, else with "/" (what the IAM API authorizes against).
func (c *Console) userARN(r *http.Request, s *login, name string) string {
	if u, err := c.cfg.IAM.GetUser(r.Context(), s.principal.Account, name); err == nil {
		return u.ARN()
	}
	return iam.UserARN(s.principal.Account, "/", name)
}

// iamError answers a refusal of the identity store: its message, with
// the place a malformed policy document goes wrong. It returns the status
// and message for a page that shows them; ok false when it answered.
func (c *Console) iamError(w http.ResponseWriter, s *login, err error, doc string, limit int) (int, string, bool) {
	var ie *iam.Error
	if !errors.As(err, &ie) {
		c.internal(w, s, err)
		return 0, "", false
	}
	msg := ie.Message
	status := http.StatusBadRequest
	switch ie.Code {
	case iam.CodeNoSuchEntity:
		status = http.StatusNotFound
	case iam.CodeEntityAlreadyExists, iam.CodeDeleteConflict, iam.CodeLimitExceeded:
		status = http.StatusConflict
	case iam.CodeMalformedPolicyDocument:
		parse := func(d []byte) error {
			_, err := policy.Parse(d, policy.Identity, policy.Options{Limit: limit})
			return err
		}
		msg = policyProblem([]byte(doc), msg, parse)
	}
	return status, msg, true
}

// Users.

type usersData struct {
	Users     []iam.User
	CanCreate bool
	Name      string // the create form as sent, after an error
}

func (c *Console) iamIndex(w http.ResponseWriter, r *http.Request, s *login) {
	http.Redirect(w, r, Prefix+"iam/users", http.StatusSeeOther)
}

func (c *Console) users(w http.ResponseWriter, r *http.Request, s *login) {
	c.usersPage(w, r, s, http.StatusOK, "", "")
}

func (c *Console) usersPage(w http.ResponseWriter, r *http.Request, s *login, status int, msg, name string) {
	r = quietly(r) // which controls to show: refusals here are no denied change
	ok, err := c.mayIAM(r, s, "ListUsers", c.usersARN(s), nil)
	if err != nil {
		c.internal(w, s, err)
		return
	}
	if !ok {
		c.fail(w, http.StatusForbidden, s, "Your policies do not allow you to list users (iam:ListUsers).")
		return
	}
	d := usersData{Name: name}
	if d.Users, err = c.cfg.IAM.ListUsers(r.Context(), s.principal.Account, ""); err != nil {
		c.internal(w, s, err)
		return
	}
	if d.CanCreate, err = c.mayIAM(r, s, "CreateUser", c.usersARN(s)+"*", nil); err != nil {
		c.internal(w, s, err)
		return
	}
	c.render(w, status, "users", s, view{Title: "Users", Error: msg, Data: d})
}

func (c *Console) createUser(w http.ResponseWriter, r *http.Request, s *login) {
	name := strings.TrimSpace(r.PostForm.Get("user_name"))
	if err := iam.ValidateUserName(name); err != nil {
		if status, msg, ok := c.iamError(w, s, err, "", 0); ok {
			c.usersPage(w, r, s, status, "The user was not created: "+msg, name)
		}
		return
	}
	if !c.allowIAM(w, r, s, "CreateUser", iam.UserARN(s.principal.Account, "/", name), nil) {
		return
	}
	if _, err := c.cfg.IAM.CreateUser(r.Context(), s.principal.Account, name, "/", nil); err != nil {
		if status, msg, ok := c.iamError(w, s, err, "", 0); ok {
			c.usersPage(w, r, s, status, "The user was not created: "+msg, name)
		}
		return
	}
	c.log.Info("console created user", "principal", s.principal.ARN(), "user", name)
	http.Redirect(w, r, userURL(name), http.StatusSeeOther)
}

// allowIAM decides iam:<op> for a change and answers 403 (or 500) itself
// when it may not go on.
func (c *Console) allowIAM(w http.ResponseWriter, r *http.Request, s *login, op, resource string, cond map[string][]string) bool {
	ok, err := c.mayIAM(r, s, op, resource, cond)
	if err != nil {
		c.internal(w, s, err)
		return false
	}
	if !ok {
		c.fail(w, http.StatusForbidden, s, "Your policies do not allow iam:"+op+" on "+resource+".")
	}
	return ok
}

func userURL(name string) string { return Prefix + "iam/users/" + url.PathEscape(name) }

// One user.

type keyRow struct {
	iam.AccessKey
	Current bool // the key this session signed in with
}

type inlineRow struct {
	Name, Document string // Document "" when it may not be read
}

type attachedRow struct {
	iam.AttachedPolicy
	CanDetach bool
}

type userData struct {
	User iam.User
	Self bool // the signed-in user itself

	Keys                                               []keyRow
	CanListKeys, CanCreateKey, CanUpdateKey, CanDelKey bool
	NewKey                                             *iam.AccessKey // just created: shown this once

	Inline                                                   []inlineRow
	CanListInline, CanReadInline, CanPutInline, CanDelInline bool
	PolicyName, PolicyDocument                               string // the inline form as sent, after an error

	Attached        []attachedRow
	CanListAttached bool
	Attachable      []iam.ManagedPolicy // managed policies the principal may attach

	CanDelete bool
}

func (c *Console) user(w http.ResponseWriter, r *http.Request, s *login) {
	c.userPage(w, r, s, http.StatusOK, "", func(*userData) {})
}

// userPage renders the user the path names, msg above it; fill adds what
// the request brought (a new key, the inline form after an error).
func (c *Console) userPage(w http.ResponseWriter, r *http.Request, s *login, status int, msg string, fill func(*userData)) {
	r = quietly(r) // which controls to show: refusals here are no denied change
	ctx, account, name := r.Context(), s.principal.Account, r.PathValue("user")
	arn := c.userARN(r, s, name)
	ok, err := c.mayIAM(r, s, "GetUser", arn, nil)
	if err != nil {
		c.internal(w, s, err)
		return
	}
	if !ok {
		c.fail(w, http.StatusForbidden, s, "Your policies do not allow iam:GetUser on "+arn+".")
		return
	}
	u, err := c.cfg.IAM.GetUser(ctx, account, name)
	if err != nil {
		if status, msg, ok := c.iamError(w, s, err, "", 0); ok {
			c.fail(w, status, s, msg)
		}
		return
	}
	d := userData{User: u, Self: s.principal.User == u.Name}
	for _, ch := range []struct {
		flag *bool
		op   string
	}{
		{&d.CanListKeys, "ListAccessKeys"}, {&d.CanCreateKey, "CreateAccessKey"}, {&d.CanUpdateKey, "UpdateAccessKey"},
		{&d.CanDelKey, "DeleteAccessKey"}, {&d.CanListInline, "ListUserPolicies"}, {&d.CanReadInline, "GetUserPolicy"},
		{&d.CanPutInline, "PutUserPolicy"}, {&d.CanDelInline, "DeleteUserPolicy"},
		{&d.CanListAttached, "ListAttachedUserPolicies"}, {&d.CanDelete, "DeleteUser"},
	} {
		if *ch.flag, err = c.mayIAM(r, s, ch.op, arn, nil); err != nil {
			c.internal(w, s, err)
			return
		}
	}
	if err := c.fillUser(r, s, &d, arn); err != nil {
		c.internal(w, s, err)
		return
	}
	fill(&d)
	c.render(w, status, "user", s, view{Title: "User " + u.Name, Error: msg, Data: d})
}

// fillUser reads what the principal may see of the user.
func (c *Console) fillUser(r *http.Request, s *login, d *userData, arn string) error {
	ctx, account, name := r.Context(), s.principal.Account, d.User.Name
	if d.CanListKeys {
		keys, err := c.cfg.IAM.ListAccessKeys(ctx, account, name)
		if err != nil {
			return err
		}
		for _, k := range keys {
			d.Keys = append(d.Keys, keyRow{k, k.ID == s.akid})
		}
	}
	if d.CanListInline {
		names, err := c.cfg.IAM.ListUserPolicies(ctx, account, name)
		if err != nil {
			return err
		}
		for _, n := range names {
			row := inlineRow{Name: n}
			if d.CanReadInline {
				p, err := c.cfg.IAM.GetUserPolicy(ctx, account, name, n)
				if err != nil {
					return err
				}
				row.Document = prettyJSON([]byte(p.Document))
			}
			d.Inline = append(d.Inline, row)
		}
		if edit := r.URL.Query().Get("edit"); edit != "" && d.CanReadInline {
			for _, row := range d.Inline {
				if row.Name == edit {
					d.PolicyName, d.PolicyDocument = row.Name, row.Document
				}
			}
		}
	}
	attached := map[string]bool{}
	if d.CanListAttached {
		pols, err := c.cfg.IAM.ListAttachedUserPolicies(ctx, account, name, "")
		if err != nil {
			return err
		}
		for _, p := range pols {
			ok, err := c.mayIAM(r, s, "DetachUserPolicy", arn, map[string][]string{"iam:PolicyARN": {p.ARN}})
			if err != nil {
				return err
			}
			attached[p.ARN] = true
			d.Attached = append(d.Attached, attachedRow{p, ok})
		}
	}
	if ok, err := c.mayIAM(r, s, "ListPolicies", c.policiesARN(s), nil); err != nil || !ok {
		return err
	}
	pols, err := c.cfg.IAM.ListPolicies(ctx, account, "", false)
	if err != nil {
		return err
	}
	for _, p := range pols {
		if attached[p.ARN()] {
			continue
		}
		ok, err := c.mayIAM(r, s, "AttachUserPolicy", arn, map[string][]string{"iam:PolicyARN": {p.ARN()}})
		if err != nil {
			return err
		}
		if ok {
			d.Attachable = append(d.Attachable, p)
		}
	}
	return nil
}

// userChange authorizes iam:<op> on the path's user and runs change; a
// refusal of the store shows the user's page with why.
func (c *Console) userChange(op string, change func(r *http.Request, s *login, user string) (cond map[string][]string, run func() error)) handler {
	return func(w http.ResponseWriter, r *http.Request, s *login) {
		name := r.PathValue("user")
		if err := iam.ValidateUserName(name); err != nil {
			c.fail(w, http.StatusNotFound, s, "No user is named "+name+".")
			return
		}
		cond, run := change(r, s, name)
		if !c.allowIAM(w, r, s, op, c.userARN(r, s, name), cond) {
			return
		}
		if err := run(); err != nil {
			doc := r.PostForm.Get("policy_document")
			if status, msg, ok := c.iamError(w, s, err, doc, policy.LimitInlineUser); ok {
				c.userPage(w, r, s, status, refusedChange[op]+": "+msg, func(d *userData) {
					d.PolicyName, d.PolicyDocument = r.PostForm.Get("policy_name"), doc
				})
			}
			return
		}
		c.log.Info("console changed user", "principal", s.principal.ARN(), "user", name, "action", "iam:"+op)
		if op == "DeleteUser" {
			http.Redirect(w, r, Prefix+"iam/users", http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, userURL(name), http.StatusSeeOther)
	}
}

// refusedChange opens the message of a change the identity store refused.
var refusedChange = map[string]string{
	"DeleteUser":       "The user was not deleted",
	"UpdateAccessKey":  "The access key was not changed",
	"DeleteAccessKey":  "The access key was not deleted",
	"PutUserPolicy":    "The inline policy was not saved",
	"DeleteUserPolicy": "The inline policy was not deleted",
	"AttachUserPolicy": "The policy was not attached",
	"DetachUserPolicy": "The policy was not detached",
}

// createKey makes an access key and shows its secret on the answer to
// this POST only: it is never stored in the clear, nor shown again.
func (c *Console) createKey(w http.ResponseWriter, r *http.Request, s *login) {
	name := r.PathValue("user")
	// GetUser too: the secret is shown on the user's page, so a key whose
	// page could not be shown would be lost.
	arn := c.userARN(r, s, name)
	if !c.allowIAM(w, r, s, "CreateAccessKey", arn, nil) || !c.allowIAM(w, r, s, "GetUser", arn, nil) {
		return
	}
	k, err := c.cfg.IAM.CreateAccessKey(r.Context(), s.principal.Account, name)
	if err != nil {
		if status, msg, ok := c.iamError(w, s, err, "", 0); ok {
			c.userPage(w, r, s, status, "The access key was not created: "+msg, func(*userData) {})
		}
		return
	}
	c.log.Info("console created access key", "principal", s.principal.ARN(), "user", name, "access_key", k.ID)
	c.userPage(w, r, s, http.StatusOK, "", func(d *userData) { d.NewKey = &k })
}

func (c *Console) keyStatus(r *http.Request, s *login, user string) (map[string][]string, func() error) {
	return nil, func() error {
		status := iam.KeyInactive
		if r.PostForm.Get("status") == string(iam.KeyActive) {
			status = iam.KeyActive
		}
		err := c.cfg.IAM.UpdateAccessKey(r.Context(), s.principal.Account, user, r.PostForm.Get("key"), status)
		return err
	}
}

func (c *Console) deleteKey(r *http.Request, s *login, user string) (map[string][]string, func() error) {
	return nil, func() error {
		return c.cfg.IAM.DeleteAccessKey(r.Context(), s.principal.Account, user, r.PostForm.Get("key"))
	}
}

func (c *Console) putInline(r *http.Request, s *login, user string) (map[string][]string, func() error) {
	return nil, func() error {
		name := strings.TrimSpace(r.PostForm.Get("policy_name"))
		if err := iam.ValidatePolicyName(name); err != nil {
			return err
		}
		doc := strings.TrimSpace(r.PostForm.Get("policy_document"))
		if doc == "" {
			return iam.Missing("policyDocument")
		}
		return c.cfg.IAM.PutUserPolicy(r.Context(), s.principal.Account, user, name, doc)
	}
}

func (c *Console) deleteInline(r *http.Request, s *login, user string) (map[string][]string, func() error) {
	return nil, func() error {
		return c.cfg.IAM.DeleteUserPolicy(r.Context(), s.principal.Account, user, r.PostForm.Get("policy_name"))
	}
}

func (c *Console) attach(r *http.Request, s *login, user string) (map[string][]string, func() error) {
	arn := r.PostForm.Get("policy_arn")
	return map[string][]string{"iam:PolicyARN": {arn}}, func() error {
		return c.cfg.IAM.AttachUserPolicy(r.Context(), s.principal.Account, user, arn)
	}
}

func (c *Console) detach(r *http.Request, s *login, user string) (map[string][]string, func() error) {
	arn := r.PostForm.Get("policy_arn")
	return map[string][]string{"iam:PolicyARN": {arn}}, func() error {
		return c.cfg.IAM.DetachUserPolicy(r.Context(), s.principal.Account, user, arn)
	}
}

func (c *Console) deleteUser(r *http.Request, s *login, user string) (map[string][]string, func() error) {
	return nil, func() error { return c.cfg.IAM.DeleteUser(r.Context(), s.principal.Account, user) }
}

// Managed policies.

type policyRow struct {
	Name, ARN   string
	Attachments int
	Created     time.Time
	Document    string // "" when it may not be read
	CanDelete   bool
}

type policiesData struct {
	Policies       []policyRow
	CanCreate      bool
	Name, Document string // the create form as sent, after an error
}

func (c *Console) policies(w http.ResponseWriter, r *http.Request, s *login) {
	c.policiesPage(w, r, s, http.StatusOK, "", "", "")
}

func (c *Console) policiesPage(w http.ResponseWriter, r *http.Request, s *login, status int, msg, name, doc string) {
	r = quietly(r) // which controls to show: refusals here are no denied change
	if !c.allowIAM(w, r, s, "ListPolicies", c.policiesARN(s), nil) {
		return
	}
	pols, err := c.cfg.IAM.ListPolicies(r.Context(), s.principal.Account, "", false)
	if err != nil {
		c.internal(w, s, err)
		return
	}
	d := policiesData{Name: name, Document: doc}
	for _, p := range pols {
		row := policyRow{Name: p.Name, ARN: p.ARN(), Attachments: p.Attachments, Created: p.Created}
		read, err := c.mayIAM(r, s, "GetPolicyVersion", row.ARN, nil)
		if err != nil {
			c.internal(w, s, err)
			return
		}
		if read {
			row.Document = prettyJSON([]byte(p.Document))
		}
		if row.CanDelete, err = c.mayIAM(r, s, "DeletePolicy", row.ARN, nil); err != nil {
			c.internal(w, s, err)
			return
		}
		d.Policies = append(d.Policies, row)
	}
	if d.CanCreate, err = c.mayIAM(r, s, "CreatePolicy", c.policiesARN(s)+"*", nil); err != nil {
		c.internal(w, s, err)
		return
	}
	c.render(w, status, "policies", s, view{Title: "Managed policies", Error: msg, Data: d})
}

func (c *Console) createPolicy(w http.ResponseWriter, r *http.Request, s *login) {
	name := strings.TrimSpace(r.PostForm.Get("policy_name"))
	doc := strings.TrimSpace(r.PostForm.Get("policy_document"))
	refused := func(err error) {
		if status, msg, ok := c.iamError(w, s, err, doc, policy.LimitManaged); ok {
			c.policiesPage(w, r, s, status, "The policy was not created: "+msg, name, r.PostForm.Get("policy_document"))
		}
	}
	if err := iam.ValidatePolicyName(name); err != nil {
		refused(err)
		return
	}
	if !c.allowIAM(w, r, s, "CreatePolicy", iam.PolicyARN(s.principal.Account, "/", name), nil) {
		return
	}
	if doc == "" {
		refused(iam.Missing("policyDocument"))
		return
	}
	if _, err := c.cfg.IAM.CreatePolicy(r.Context(), s.principal.Account, name, "/", "", doc, nil); err != nil {
		refused(err)
		return
	}
	c.log.Info("console created policy", "principal", s.principal.ARN(), "policy", name)
	http.Redirect(w, r, Prefix+"iam/policies", http.StatusSeeOther)
}

func (c *Console) deletePolicyARN(w http.ResponseWriter, r *http.Request, s *login) {
	arn := r.PostForm.Get("policy_arn")
	if acct, _, _, ok := iam.ParsePolicyARN(arn); !ok || acct != s.principal.Account {
		c.fail(w, http.StatusBadRequest, s, "That is not a policy of your account.")
		return
	}
	if !c.allowIAM(w, r, s, "DeletePolicy", arn, nil) {
		return
	}
	if err := c.cfg.IAM.DeletePolicy(r.Context(), arn); err != nil {
		if status, msg, ok := c.iamError(w, s, err, "", 0); ok {
			c.policiesPage(w, r, s, status, "The policy was not deleted: "+msg, "", "")
		}
		return
	}
	c.log.Info("console deleted policy", "principal", s.principal.ARN(), "policy", arn)
	http.Redirect(w, r, Prefix+"iam/policies", http.StatusSeeOther)
}
