package iam

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/zonal-dev/zonal/internal/policy"
)

// The IAM operations of one account. Every method validates its arguments
// as AWS does and reports refusals as *Error.

func (db *DB) stamp() time.Time { return db.now().UTC().Truncate(time.Second) }

func findUser(st *state, name string) (*userRec, error) {
	u := st.users[strings.ToLower(name)]
	if u == nil {
		return nil, noSuchUser(name)
	}
	return u, nil
}

func hasPathPrefix(path, prefix string) bool { return prefix == "" || strings.HasPrefix(path, prefix) }

// CreateUser creates a user; path "" means "/".
func (db *DB) CreateUser(ctx context.Context, account, name, path string, tags []Tag) (User, error) {
	if path == "" {
		path = "/"
	}
	if err := checkName("userName", name, 64); err != nil {
		return User{}, err
	}
	if err := checkPath("path", path); err != nil {
		return User{}, err
	}
	if err := checkTags(tags); err != nil {
		return User{}, err
	}
	var out User
	err := db.update(ctx, account, func(st *state) error {
		k := strings.ToLower(name)
		if st.users[k] != nil {
			return errf(CodeEntityAlreadyExists, "User with name %s already exists.", name)
		}
		if len(st.users) >= MaxUsers {
			return errf(CodeLimitExceeded, "Cannot exceed quota for UsersPerAccount: %d", MaxUsers)
		}
		u := &userRec{Name: name, Path: path, ID: newUserID(), Created: db.stamp(), Tags: slices.Clone(tags)}
		st.users[k] = u
		out = u.public(account)
		return nil
	})
	return out, err
}

// GetUser returns a user.
func (db *DB) GetUser(_ context.Context, account, name string) (User, error) {
	st, err := db.view(account)
	if err != nil {
		return User{}, err
	}
	u, err := findUser(st, name)
	if err != nil {
		return User{}, err
	}
	return u.public(account), nil
}

// ListUsers returns the users whose path starts with pathPrefix ("" for
// all), sorted by name.
func (db *DB) ListUsers(_ context.Context, account, pathPrefix string) ([]User, error) {
	if pathPrefix != "" {
		if err := ValidatePathPrefix(pathPrefix); err != nil {
			return nil, err
		}
	}
	st, err := db.view(account)
	if err != nil {
		return nil, err
	}
	out := make([]User, 0, len(st.users))
	for _, u := range st.users {
		if hasPathPrefix(u.Path, pathPrefix) {
			out = append(out, u.public(account))
		}
	}
	slices.SortFunc(out, func(a, b User) int { return lowerLess(a.Name, b.Name) })
	return out, nil
}

// DeleteUser deletes a user that has no access keys, inline policies or
// attached policies left (DeleteConflict otherwise, as AWS).
func (db *DB) DeleteUser(ctx context.Context, account, name string) error {
	return db.update(ctx, account, func(st *state) error {
		u, err := findUser(st, name)
		if err != nil {
			return err
		}
		switch {
		case len(u.Keys) > 0:
			return errf(CodeDeleteConflict, "Cannot delete entity, must delete access keys first.")
		case len(u.Inline) > 0:
			return errf(CodeDeleteConflict, "Cannot delete entity, must delete policies first.")
		case len(u.Attached) > 0:
			return errf(CodeDeleteConflict, "Cannot delete entity, must detach all policies first.")
		}
		delete(st.users, strings.ToLower(name))
		return nil
	})
}

// CreateAccessKey creates an Active access key for a user, at most
// MaxKeysPerUser per user. The result carries the secret, which cannot be
// read back later.
func (db *DB) CreateAccessKey(ctx context.Context, account, userName string) (AccessKey, error) {
	var out AccessKey
	err := db.update(ctx, account, func(st *state) error {
		u, err := findUser(st, userName)
		if err != nil {
			return err
		}
		if len(u.Keys) >= MaxKeysPerUser {
			return errf(CodeLimitExceeded, "Cannot exceed quota for AccessKeysPerUser: %d", MaxKeysPerUser)
		}
		id := newAccessKeyID()
		for db.keyInUse(id, Principal{}) {
			id = newAccessKeyID()
		}
		secret := newSecret()
		k := &keyRec{ID: id, Sealed: db.seal.seal(account, id, secret), Status: KeyActive, Created: db.stamp(), secret: secret}
		u.Keys = append(u.Keys, k)
		out = AccessKey{ID: id, User: u.Name, Status: KeyActive, Created: k.Created, Secret: secret}
		return nil
	})
	return out, err
}

// ListAccessKeys returns a user's access keys (without secrets), oldest first.
func (db *DB) ListAccessKeys(_ context.Context, account, userName string) ([]AccessKey, error) {
	st, err := db.view(account)
	if err != nil {
		return nil, err
	}
	u, err := findUser(st, userName)
	if err != nil {
		return nil, err
	}
	out := make([]AccessKey, 0, len(u.Keys))
	for _, k := range u.Keys {
		out = append(out, AccessKey{ID: k.ID, User: u.Name, Status: k.Status, Created: k.Created})
	}
	return out, nil
}

// RootAccessKey returns the metadata of an account's root access key.
func (db *DB) RootAccessKey(_ context.Context, account string) (AccessKey, error) {
	st, err := db.view(account)
	if err != nil {
		return AccessKey{}, err
	}
	return AccessKey{ID: st.root.ID, Status: st.root.Status, Created: st.root.Created}, nil
}

func findKey(u *userRec, akid string) (int, error) {
	for i, k := range u.Keys {
		if k.ID == akid {
			return i, nil
		}
	}
	return -1, noSuchKey(akid)
}

// UpdateAccessKey sets a user's access key Active or Inactive. An Inactive
// key stops authenticating at once.
func (db *DB) UpdateAccessKey(ctx context.Context, account, userName, akid string, status KeyStatus) error {
	if err := ValidateAccessKeyID(akid); err != nil {
		return err
	}
	if status != KeyActive && status != KeyInactive {
		return validation("status", string(status), "satisfy enum value set: [Active, Inactive]")
	}
	return db.update(ctx, account, func(st *state) error {
		u, err := findUser(st, userName)
		if err != nil {
			return err
		}
		i, err := findKey(u, akid)
		if err != nil {
			return err
		}
		if u.Keys[i].Status == status {
			return errNoChange
		}
		u.Keys[i].Status = status
		return nil
	})
}

// DeleteAccessKey deletes a user's access key.
func (db *DB) DeleteAccessKey(ctx context.Context, account, userName, akid string) error {
	if err := ValidateAccessKeyID(akid); err != nil {
		return err
	}
	return db.update(ctx, account, func(st *state) error {
		u, err := findUser(st, userName)
		if err != nil {
			return err
		}
		i, err := findKey(u, akid)
		if err != nil {
			return err
		}
		u.Keys = slices.Delete(u.Keys, i, i+1)
		return nil
	})
}

// policyError converts a policy.Parse error into an IAM error.
func policyError(err error) error {
	var pe *policy.Error
	if errors.As(err, &pe) {
		return &Error{Code: pe.Code, Message: pe.Message}
	}
	return err
}

// PutUserPolicy adds or replaces an inline policy of a user. The document
// must be a valid identity policy; all inline policies of a user together
// may hold MaxInlinePolicyBytes characters without whitespace.
func (db *DB) PutUserPolicy(ctx context.Context, account, userName, name, document string) error {
	if err := checkName("policyName", name, 128); err != nil {
		return err
	}
	if err := checkDocument(document); err != nil {
		return err
	}
	if _, err := policy.Parse([]byte(document), policy.Identity, policy.Options{Limit: policy.LimitInlineUser}); err != nil {
		return policyError(err)
	}
	return db.update(ctx, account, func(st *state) error {
		u, err := findUser(st, userName)
		if err != nil {
			return err
		}
		total := policySize(document)
		i := u.inline(name)
		for j, p := range u.Inline {
			if j != i {
				total += policySize(p.Document)
			}
		}
		if total > MaxInlinePolicyBytes {
			return errf(CodeLimitExceeded, "Maximum policy size of %d bytes exceeded for user %s", MaxInlinePolicyBytes, u.Name)
		}
		if i >= 0 {
			if u.Inline[i].Document == document {
				return errNoChange
			}
			u.Inline[i].Document = document
			return nil
		}
		u.Inline = append(u.Inline, &inlineRec{Name: name, Document: document})
		slices.SortFunc(u.Inline, func(a, b *inlineRec) int { return lowerLess(a.Name, b.Name) })
		return nil
	})
}

// GetUserPolicy returns an inline policy of a user.
func (db *DB) GetUserPolicy(_ context.Context, account, userName, name string) (InlinePolicy, error) {
	st, err := db.view(account)
	if err != nil {
		return InlinePolicy{}, err
	}
	u, err := findUser(st, userName)
	if err != nil {
		return InlinePolicy{}, err
	}
	i := u.inline(name)
	if i < 0 {
		return InlinePolicy{}, noSuchUserPolicy(name)
	}
	return InlinePolicy{User: u.Name, Name: u.Inline[i].Name, Document: u.Inline[i].Document}, nil
}

// ListUserPolicies returns the names of a user's inline policies, sorted.
func (db *DB) ListUserPolicies(_ context.Context, account, userName string) ([]string, error) {
	st, err := db.view(account)
	if err != nil {
		return nil, err
	}
	u, err := findUser(st, userName)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(u.Inline))
	for i, p := range u.Inline {
		out[i] = p.Name
	}
	return out, nil
}

// DeleteUserPolicy deletes an inline policy of a user.
func (db *DB) DeleteUserPolicy(ctx context.Context, account, userName, name string) error {
	return db.update(ctx, account, func(st *state) error {
		u, err := findUser(st, userName)
		if err != nil {
			return err
		}
		i := u.inline(name)
		if i < 0 {
			return noSuchUserPolicy(name)
		}
		u.Inline = slices.Delete(u.Inline, i, i+1)
		return nil
	})
}

// CreatePolicy creates a customer managed policy (version v1); path ""
// means "/".
func (db *DB) CreatePolicy(ctx context.Context, account, name, path, description, document string, tags []Tag) (ManagedPolicy, error) {
	if path == "" {
		path = "/"
	}
	if err := checkName("policyName", name, 128); err != nil {
		return ManagedPolicy{}, err
	}
	if err := checkPath("path", path); err != nil {
		return ManagedPolicy{}, err
	}
	if err := checkLen("description", description, 0, 1000); err != nil {
		return ManagedPolicy{}, err
	}
	if err := checkDocument(document); err != nil {
		return ManagedPolicy{}, err
	}
	if err := checkTags(tags); err != nil {
		return ManagedPolicy{}, err
	}
	if _, err := policy.Parse([]byte(document), policy.Identity, policy.Options{Limit: policy.LimitManaged}); err != nil {
		return ManagedPolicy{}, policyError(err)
	}
	var out ManagedPolicy
	err := db.update(ctx, account, func(st *state) error {
		k := strings.ToLower(name)
		if st.policies[k] != nil {
			return errf(CodeEntityAlreadyExists, "A policy called %s already exists. Duplicate names are not allowed.", name)
		}
		if len(st.policies) >= MaxManagedPolicies {
			return errf(CodeLimitExceeded, "Cannot exceed quota for PoliciesPerAccount: %d", MaxManagedPolicies)
		}
		now := db.stamp()
		p := &policyRec{Name: name, Path: path, ID: newPolicyID(), Description: description,
			Document: document, Created: now, Updated: now, Tags: slices.Clone(tags)}
		st.policies[k] = p
		out = p.public(account, 0)
		return nil
	})
	return out, err
}

// findPolicy resolves a policy ARN within st. AWS managed policies
// (arn:aws:iam::aws:policy/...) do not exist in zonal.
func findPolicy(st *state, arn string) (*policyRec, error) {
	account, path, name, ok := ParsePolicyARN(arn)
	if !ok {
		return nil, errf(CodeInvalidInput, "ARN %s is not valid.", arn)
	}
	if account != st.id {
		return nil, noSuchPolicy(arn)
	}
	p := st.policies[strings.ToLower(name)]
	if p == nil || p.Path != path {
		return nil, noSuchPolicy(arn)
	}
	return p, nil
}

// policyState returns the state of the account a policy ARN names.
func (db *DB) policyState(arn string) (*state, error) {
	if err := ValidatePolicyARN(arn); err != nil {
		return nil, err
	}
	account, _, _, ok := ParsePolicyARN(arn)
	if !ok {
		return nil, errf(CodeInvalidInput, "ARN %s is not valid.", arn)
	}
	st, err := db.view(account)
	if err != nil {
		return nil, noSuchPolicy(arn)
	}
	return st, nil
}

// GetPolicy returns a managed policy by ARN, with its attachment count.
func (db *DB) GetPolicy(_ context.Context, arn string) (ManagedPolicy, error) {
	st, err := db.policyState(arn)
	if err != nil {
		return ManagedPolicy{}, err
	}
	p, err := findPolicy(st, arn)
	if err != nil {
		return ManagedPolicy{}, err
	}
	return p.public(st.id, st.attachments()[strings.ToLower(p.Name)]), nil
}

// ListPolicies returns the account's managed policies whose path starts
// with pathPrefix ("" for all), sorted by name; onlyAttached keeps those
// attached to at least one user.
func (db *DB) ListPolicies(_ context.Context, account, pathPrefix string, onlyAttached bool) ([]ManagedPolicy, error) {
	if pathPrefix != "" {
		if err := ValidatePathPrefix(pathPrefix); err != nil {
			return nil, err
		}
	}
	st, err := db.view(account)
	if err != nil {
		return nil, err
	}
	counts := st.attachments()
	out := make([]ManagedPolicy, 0, len(st.policies))
	for k, p := range st.policies {
		if hasPathPrefix(p.Path, pathPrefix) && (!onlyAttached || counts[k] > 0) {
			out = append(out, p.public(account, counts[k]))
		}
	}
	slices.SortFunc(out, func(a, b ManagedPolicy) int { return lowerLess(a.Name, b.Name) })
	return out, nil
}

// DeletePolicy deletes a managed policy that is attached to no user
// (DeleteConflict otherwise).
func (db *DB) DeletePolicy(ctx context.Context, arn string) error {
	st, err := db.policyState(arn)
	if err != nil {
		return err
	}
	return db.update(ctx, st.id, func(st *state) error {
		p, err := findPolicy(st, arn)
		if err != nil {
			return err
		}
		k := strings.ToLower(p.Name)
		if st.attachments()[k] > 0 {
			return errf(CodeDeleteConflict, "Cannot delete a policy attached to entities.")
		}
		delete(st.policies, k)
		return nil
	})
}

// AttachUserPolicy attaches a managed policy of the account to a user (at
// most MaxAttachedPerUser). Attaching an attached policy does nothing.
func (db *DB) AttachUserPolicy(ctx context.Context, account, userName, arn string) error {
	if err := ValidatePolicyARN(arn); err != nil {
		return err
	}
	return db.update(ctx, account, func(st *state) error {
		u, err := findUser(st, userName)
		if err != nil {
			return err
		}
		p, err := findPolicy(st, arn)
		if err != nil {
			return err
		}
		if u.attached(p.Name) >= 0 {
			return errNoChange
		}
		if len(u.Attached) >= MaxAttachedPerUser {
			return errf(CodeLimitExceeded, "Cannot exceed quota for PoliciesPerUser: %d", MaxAttachedPerUser)
		}
		u.Attached = append(u.Attached, p.Name)
		slices.SortFunc(u.Attached, lowerLess)
		return nil
	})
}

// DetachUserPolicy detaches a managed policy from a user.
func (db *DB) DetachUserPolicy(ctx context.Context, account, userName, arn string) error {
	if err := ValidatePolicyARN(arn); err != nil {
		return err
	}
	return db.update(ctx, account, func(st *state) error {
		u, err := findUser(st, userName)
		if err != nil {
			return err
		}
		notFound := errf(CodeNoSuchEntity, "Policy %s was not found.", arn)
		p, err := findPolicy(st, arn)
		if err != nil {
			return notFound
		}
		i := u.attached(p.Name)
		if i < 0 {
			return notFound
		}
		u.Attached = slices.Delete(u.Attached, i, i+1)
		return nil
	})
}

// ListAttachedUserPolicies returns the managed policies attached to a user
// whose path starts with pathPrefix ("" for all), sorted by name.
func (db *DB) ListAttachedUserPolicies(_ context.Context, account, userName, pathPrefix string) ([]AttachedPolicy, error) {
	if pathPrefix != "" {
		if err := ValidatePathPrefix(pathPrefix); err != nil {
			return nil, err
		}
	}
	st, err := db.view(account)
	if err != nil {
		return nil, err
	}
	u, err := findUser(st, userName)
	if err != nil {
		return nil, err
	}
	out := make([]AttachedPolicy, 0, len(u.Attached))
	for _, name := range u.Attached {
		p := st.policies[strings.ToLower(name)]
		if p != nil && hasPathPrefix(p.Path, pathPrefix) {
			out = append(out, AttachedPolicy{Name: p.Name, ARN: PolicyARN(account, p.Path, p.Name)})
		}
	}
	return out, nil
}
