package iamapi

import (
	"context"
	"errors"
	"strings"

	"github.com/zonal-dev/zonal/internal/iam"
)

// iamActions are the supported IAM actions.
var iamActions = map[string]handlerFunc{
	"CreateUser":               createUser,
	"GetUser":                  getUser,
	"ListUsers":                listUsers,
	"DeleteUser":               deleteUser,
	"CreateAccessKey":          createAccessKey,
	"ListAccessKeys":           listAccessKeys,
	"UpdateAccessKey":          updateAccessKey,
	"DeleteAccessKey":          deleteAccessKey,
	"PutUserPolicy":            putUserPolicy,
	"GetUserPolicy":            getUserPolicy,
	"ListUserPolicies":         listUserPolicies,
	"DeleteUserPolicy":         deleteUserPolicy,
	"CreatePolicy":             createPolicy,
	"GetPolicy":                getPolicy,
	"GetPolicyVersion":         getPolicyVersion,
	"ListPolicyVersions":       listPolicyVersions,
	"ListPolicies":             listPolicies,
	"DeletePolicy":             deletePolicy,
	"AttachUserPolicy":         attachUserPolicy,
	"DetachUserPolicy":         detachUserPolicy,
	"ListAttachedUserPolicies": listAttachedUserPolicies,
}

// stsActions are the supported STS actions.
var stsActions = map[string]handlerFunc{
	"GetCallerIdentity": getCallerIdentity,
}

// errRootKeys refuses managing an account root's access keys through the
// API: they come from the server's configuration.
var errRootKeys = apiErr(iam.CodeInvalidInput,
	"zonal manages an account root's access keys through its configuration (ZONAL_ROOT_ACCESS_KEY, the config file), not the IAM API; name a user with UserName.")

// userARN returns the ARN of the named user of the caller's account: with
// its path when it exists, else with path "/" (what AWS authorizes against
// for a user that does not exist).
func (c *call) userARN(name string) string {
	if u, err := c.h.db.GetUser(c.ctx, c.account(), name); err == nil {
		return u.ARN()
	}
	return iam.UserARN(c.account(), "/", name)
}

// requiredUser reads and validates the UserName parameter.
func (c *call) requiredUser() (string, error) {
	name, err := c.required("UserName", "userName")
	if err != nil {
		return "", err
	}
	if err := iam.ValidateUserName(name); err != nil {
		return "", err
	}
	return name, nil
}

// targetUser reads an optional UserName: without it the action applies to
// the caller itself (self is then true, and name empty for a root).
func (c *call) targetUser() (name string, self bool, err error) {
	name, ok := c.get("UserName")
	if !ok {
		return c.caller.User, true, nil
	}
	if err := iam.ValidateUserName(name); err != nil {
		return "", false, err
	}
	return name, false, nil
}

// authorizeUser authorizes the action on a user of the caller's account;
// an empty name is the caller (a root) itself.
func (c *call) authorizeUser(name string, extra map[string][]string) error {
	if name == "" {
		return c.authorize(iam.RootARN(c.account()), c.account(), extra)
	}
	return c.authorize(c.userARN(name), c.account(), extra)
}

// Users.

func createUser(c *call) (any, error) {
	name, err := c.requiredUser()
	if err != nil {
		return nil, err
	}
	path, _ := c.get("Path")
	if path != "" {
		if err := iam.ValidatePath(path); err != nil {
			return nil, err
		}
	}
	if _, ok := c.get("PermissionsBoundary"); ok {
		return nil, apiErr(iam.CodeInvalidInput, "zonal does not support permissions boundaries.")
	}
	if err := c.authorize(iam.UserARN(c.account(), path, name), c.account(), nil); err != nil {
		return nil, err
	}
	u, err := c.h.db.CreateUser(c.ctx, c.account(), name, path, c.tags())
	if err != nil {
		return nil, err
	}
	return struct {
		User xmlUser `xml:"User"`
	}{userXML(u, true)}, nil
}

func getUser(c *call) (any, error) {
	name, _, err := c.targetUser()
	if err != nil {
		return nil, err
	}
	if err := c.authorizeUser(name, nil); err != nil {
		return nil, err
	}
	var x xmlUser
	if name == "" {
		// The root: AWS reports the account id as UserId and no name or path.
		created, _ := c.h.db.AccountCreated(c.account())
		x = xmlUser{UserID: c.account(), Arn: iam.RootARN(c.account()), CreateDate: isoTime(created)}
	} else {
		u, err := c.h.db.GetUser(c.ctx, c.account(), name)
		if err != nil {
			return nil, err
		}
		x = userXML(u, true)
	}
	return struct {
		User xmlUser `xml:"User"`
	}{x}, nil
}

type xmlUsers struct {
	Members []xmlUser `xml:"member"`
}

func listUsers(c *call) (any, error) {
	prefix, err := c.pathPrefix()
	if err != nil {
		return nil, err
	}
	marker, max, err := c.paging()
	if err != nil {
		return nil, err
	}
	res := "arn:aws:iam::" + c.account() + ":user/"
	if prefix != "" {
		res = "arn:aws:iam::" + c.account() + ":user" + prefix
	}
	if err := c.authorize(res, c.account(), nil); err != nil {
		return nil, err
	}
	users, err := c.h.db.ListUsers(c.ctx, c.account(), prefix)
	if err != nil {
		return nil, err
	}
	users, next := page(users, func(u iam.User) string { return u.Name }, marker, max)
	out := struct {
		Users       xmlUsers `xml:"Users"`
		IsTruncated bool     `xml:"IsTruncated"`
		Marker      string   `xml:"Marker,omitempty"`
	}{IsTruncated: next != "", Marker: next}
	for _, u := range users {
		out.Users.Members = append(out.Users.Members, userXML(u, false))
	}
	return out, nil
}

func deleteUser(c *call) (any, error) {
	name, err := c.requiredUser()
	if err != nil {
		return nil, err
	}
	if err := c.authorizeUser(name, nil); err != nil {
		return nil, err
	}
	return nil, c.h.db.DeleteUser(c.ctx, c.account(), name)
}

// Access keys.

type xmlAccessKey struct {
	UserName        string `xml:"UserName,omitempty"`
	AccessKeyID     string `xml:"AccessKeyId"`
	Status          string `xml:"Status"`
	SecretAccessKey string `xml:"SecretAccessKey,omitempty"`
	CreateDate      string `xml:"CreateDate"`
}

func accessKeyXML(k iam.AccessKey) xmlAccessKey {
	return xmlAccessKey{UserName: k.User, AccessKeyID: k.ID, Status: string(k.Status), SecretAccessKey: k.Secret, CreateDate: isoTime(k.Created)}
}

func createAccessKey(c *call) (any, error) {
	name, _, err := c.targetUser()
	if err != nil {
		return nil, err
	}
	if err := c.authorizeUser(name, nil); err != nil {
		return nil, err
	}
	if name == "" {
		return nil, errRootKeys
	}
	k, err := c.h.db.CreateAccessKey(c.ctx, c.account(), name)
	if err != nil {
		return nil, err
	}
	return struct {
		AccessKey xmlAccessKey `xml:"AccessKey"`
	}{accessKeyXML(k)}, nil
}

func listAccessKeys(c *call) (any, error) {
	name, _, err := c.targetUser()
	if err != nil {
		return nil, err
	}
	marker, max, err := c.paging()
	if err != nil {
		return nil, err
	}
	if err := c.authorizeUser(name, nil); err != nil {
		return nil, err
	}
	var keys []iam.AccessKey
	if name == "" {
		k, err := c.h.db.RootAccessKey(c.ctx, c.account())
		if err != nil {
			return nil, err
		}
		keys = []iam.AccessKey{k}
	} else if keys, err = c.h.db.ListAccessKeys(c.ctx, c.account(), name); err != nil {
		return nil, err
	}
	keys, next := page(keys, func(k iam.AccessKey) string { return k.ID }, marker, max)
	out := struct {
		UserName string `xml:"UserName,omitempty"`
		Metadata struct {
			Members []xmlAccessKey `xml:"member"`
		} `xml:"AccessKeyMetadata"`
		IsTruncated bool   `xml:"IsTruncated"`
		Marker      string `xml:"Marker,omitempty"`
	}{UserName: name, IsTruncated: next != "", Marker: next}
	for _, k := range keys {
		out.Metadata.Members = append(out.Metadata.Members, accessKeyXML(k))
	}
	return out, nil
}

// keyTarget reads AccessKeyId and the optional UserName of the key actions.
func (c *call) keyTarget() (user, akid string, err error) {
	akid, err = c.required("AccessKeyId", "accessKeyId")
	if err != nil {
		return "", "", err
	}
	if err := iam.ValidateAccessKeyID(akid); err != nil {
		return "", "", err
	}
	user, _, err = c.targetUser()
	return user, akid, err
}

// rootKeyAction handles UpdateAccessKey and DeleteAccessKey aimed at the
// caller root's own keys.
func (c *call) rootKeyAction(akid string) error {
	k, err := c.h.db.RootAccessKey(c.ctx, c.account())
	if err != nil {
		return err
	}
	if k.ID == akid {
		return errRootKeys
	}
	return apiErr(iam.CodeNoSuchEntity, "The Access Key with id %s cannot be found.", akid)
}

func updateAccessKey(c *call) (any, error) {
	user, akid, err := c.keyTarget()
	if err != nil {
		return nil, err
	}
	status, err := c.required("Status", "status")
	if err != nil {
		return nil, err
	}
	if status != string(iam.KeyActive) && status != string(iam.KeyInactive) {
		return nil, validationErr("status", status, "satisfy enum value set: [Active, Inactive]")
	}
	if err := c.authorizeUser(user, nil); err != nil {
		return nil, err
	}
	if user == "" {
		return nil, c.rootKeyAction(akid)
	}
	return nil, c.h.db.UpdateAccessKey(c.ctx, c.account(), user, akid, iam.KeyStatus(status))
}

func deleteAccessKey(c *call) (any, error) {
	user, akid, err := c.keyTarget()
	if err != nil {
		return nil, err
	}
	if err := c.authorizeUser(user, nil); err != nil {
		return nil, err
	}
	if user == "" {
		return nil, c.rootKeyAction(akid)
	}
	return nil, c.h.db.DeleteAccessKey(c.ctx, c.account(), user, akid)
}

// Inline user policies.

func (c *call) requiredPolicyName() (string, error) {
	name, err := c.required("PolicyName", "policyName")
	if err != nil {
		return "", err
	}
	if err := iam.ValidatePolicyName(name); err != nil {
		return "", err
	}
	return name, nil
}

func putUserPolicy(c *call) (any, error) {
	user, err := c.requiredUser()
	if err != nil {
		return nil, err
	}
	name, err := c.requiredPolicyName()
	if err != nil {
		return nil, err
	}
	doc, err := c.required("PolicyDocument", "policyDocument")
	if err != nil {
		return nil, err
	}
	if err := c.authorizeUser(user, nil); err != nil {
		return nil, err
	}
	return nil, c.h.db.PutUserPolicy(c.ctx, c.account(), user, name, doc)
}

func getUserPolicy(c *call) (any, error) {
	user, err := c.requiredUser()
	if err != nil {
		return nil, err
	}
	name, err := c.requiredPolicyName()
	if err != nil {
		return nil, err
	}
	if err := c.authorizeUser(user, nil); err != nil {
		return nil, err
	}
	p, err := c.h.db.GetUserPolicy(c.ctx, c.account(), user, name)
	if err != nil {
		return nil, err
	}
	return struct {
		UserName       string `xml:"UserName"`
		PolicyName     string `xml:"PolicyName"`
		PolicyDocument string `xml:"PolicyDocument"`
	}{p.User, p.Name, urlEncode(p.Document)}, nil
}

func listUserPolicies(c *call) (any, error) {
	user, err := c.requiredUser()
	if err != nil {
		return nil, err
	}
	marker, max, err := c.paging()
	if err != nil {
		return nil, err
	}
	if err := c.authorizeUser(user, nil); err != nil {
		return nil, err
	}
	names, err := c.h.db.ListUserPolicies(c.ctx, c.account(), user)
	if err != nil {
		return nil, err
	}
	names, next := page(names, func(s string) string { return s }, marker, max)
	return struct {
		PolicyNames xmlList `xml:"PolicyNames"`
		IsTruncated bool    `xml:"IsTruncated"`
		Marker      string  `xml:"Marker,omitempty"`
	}{xmlList{names}, next != "", next}, nil
}

func deleteUserPolicy(c *call) (any, error) {
	user, err := c.requiredUser()
	if err != nil {
		return nil, err
	}
	name, err := c.requiredPolicyName()
	if err != nil {
		return nil, err
	}
	if err := c.authorizeUser(user, nil); err != nil {
		return nil, err
	}
	return nil, c.h.db.DeleteUserPolicy(c.ctx, c.account(), user, name)
}

// Managed policies.

func createPolicy(c *call) (any, error) {
	name, err := c.requiredPolicyName()
	if err != nil {
		return nil, err
	}
	doc, err := c.required("PolicyDocument", "policyDocument")
	if err != nil {
		return nil, err
	}
	path, _ := c.get("Path")
	if path != "" {
		if err := iam.ValidatePath(path); err != nil {
			return nil, err
		}
	}
	desc, _ := c.get("Description")
	if err := c.authorize(iam.PolicyARN(c.account(), path, name), c.account(), nil); err != nil {
		return nil, err
	}
	p, err := c.h.db.CreatePolicy(c.ctx, c.account(), name, path, desc, doc, c.tags())
	if err != nil {
		return nil, err
	}
	return struct {
		Policy xmlPolicy `xml:"Policy"`
	}{policyXML(p, true)}, nil
}

func getPolicy(c *call) (any, error) {
	arn, acct, err := c.policyARN()
	if err != nil {
		return nil, err
	}
	if err := c.authorize(arn, acct, nil); err != nil {
		return nil, err
	}
	p, err := c.h.db.GetPolicy(c.ctx, arn)
	if err != nil {
		return nil, err
	}
	return struct {
		Policy xmlPolicy `xml:"Policy"`
	}{policyXML(p, true)}, nil
}

func getPolicyVersion(c *call) (any, error) {
	arn, acct, err := c.policyARN()
	if err != nil {
		return nil, err
	}
	version, err := c.required("VersionId", "versionId")
	if err != nil {
		return nil, err
	}
	if !validVersionID(version) {
		return nil, validationErr("versionId", version, `satisfy regular expression pattern: v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`)
	}
	if err := c.authorize(arn, acct, nil); err != nil {
		return nil, err
	}
	p, err := c.h.db.GetPolicy(c.ctx, arn)
	if err != nil {
		return nil, err
	}
	if version != iam.DefaultVersion {
		return nil, apiErr(iam.CodeNoSuchEntity, "Policy %s version %s does not exist or is not attachable.", arn, version)
	}
	type xmlVersion struct {
		Document         string `xml:"Document"`
		VersionID        string `xml:"VersionId"`
		IsDefaultVersion bool   `xml:"IsDefaultVersion"`
		CreateDate       string `xml:"CreateDate"`
	}
	return struct {
		PolicyVersion xmlVersion `xml:"PolicyVersion"`
	}{xmlVersion{urlEncode(p.Document), iam.DefaultVersion, true, isoTime(p.Created)}}, nil
}

// listPolicyVersions lists the single version of a managed policy. It is
// here for tools that list versions before deleting a policy (Terraform's
// AWS provider does).
func listPolicyVersions(c *call) (any, error) {
	arn, acct, err := c.policyARN()
	if err != nil {
		return nil, err
	}
	if _, _, err := c.paging(); err != nil {
		return nil, err
	}
	if err := c.authorize(arn, acct, nil); err != nil {
		return nil, err
	}
	p, err := c.h.db.GetPolicy(c.ctx, arn)
	if err != nil {
		return nil, err
	}
	type xmlVersion struct {
		VersionID        string `xml:"VersionId"`
		IsDefaultVersion bool   `xml:"IsDefaultVersion"`
		CreateDate       string `xml:"CreateDate"`
	}
	type xmlVersions struct {
		Members []xmlVersion `xml:"member"`
	}
	return struct {
		Versions    xmlVersions `xml:"Versions"`
		IsTruncated bool        `xml:"IsTruncated"`
	}{Versions: xmlVersions{[]xmlVersion{{iam.DefaultVersion, true, isoTime(p.Created)}}}}, nil
}

func validVersionID(v string) bool {
	rest, ok := strings.CutPrefix(v, "v")
	if !ok || rest == "" || rest[0] < '1' || rest[0] > '9' {
		return false
	}
	num, suffix, _ := strings.Cut(rest, ".")
	for i := 0; i < len(num); i++ {
		if num[i] < '0' || num[i] > '9' {
			return false
		}
	}
	for _, ch := range suffix {
		if !(ch == '-' || 'a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9') {
			return false
		}
	}
	return true
}

type xmlPolicies struct {
	Members []xmlPolicy `xml:"member"`
}

func listPolicies(c *call) (any, error) {
	prefix, err := c.pathPrefix()
	if err != nil {
		return nil, err
	}
	marker, max, err := c.paging()
	if err != nil {
		return nil, err
	}
	onlyAttached, err := c.boolParam("OnlyAttached", "onlyAttached")
	if err != nil {
		return nil, err
	}
	scope, _ := c.get("Scope")
	switch scope {
	case "", "All", "AWS", "Local":
	default:
		return nil, validationErr("scope", scope, "satisfy enum value set: [All, AWS, Local]")
	}
	usage, _ := c.get("PolicyUsageFilter")
	switch usage {
	case "", "PermissionsPolicy", "PermissionsBoundary":
	default:
		return nil, validationErr("policyUsageFilter", usage, "satisfy enum value set: [PermissionsPolicy, PermissionsBoundary]")
	}
	res := "arn:aws:iam::" + c.account() + ":policy/"
	if prefix != "" {
		res = "arn:aws:iam::" + c.account() + ":policy" + prefix
	}
	if err := c.authorize(res, c.account(), nil); err != nil {
		return nil, err
	}
	var pols []iam.ManagedPolicy
	// zonal has no AWS managed policies, and no policy serves as a
	// permissions boundary.
	if scope != "AWS" && usage != "PermissionsBoundary" {
		if pols, err = c.h.db.ListPolicies(c.ctx, c.account(), prefix, onlyAttached); err != nil {
			return nil, err
		}
	}
	pols, next := page(pols, func(p iam.ManagedPolicy) string { return p.Name }, marker, max)
	out := struct {
		Policies    xmlPolicies `xml:"Policies"`
		IsTruncated bool        `xml:"IsTruncated"`
		Marker      string      `xml:"Marker,omitempty"`
	}{IsTruncated: next != "", Marker: next}
	for _, p := range pols {
		out.Policies.Members = append(out.Policies.Members, policyXML(p, false))
	}
	return out, nil
}

func deletePolicy(c *call) (any, error) {
	arn, acct, err := c.policyARN()
	if err != nil {
		return nil, err
	}
	if err := c.authorize(arn, acct, nil); err != nil {
		return nil, err
	}
	return nil, c.h.db.DeletePolicy(c.ctx, arn)
}

func attachUserPolicy(c *call) (any, error) { return userPolicyARNCall(c, c.h.db.AttachUserPolicy) }

func detachUserPolicy(c *call) (any, error) { return userPolicyARNCall(c, c.h.db.DetachUserPolicy) }

// userPolicyARNCall is Attach/DetachUserPolicy: a user and a policy ARN,
// authorized on the user with iam:PolicyARN in the request context.
func userPolicyARNCall(c *call, op func(ctx context.Context, account, user, arn string) error) (any, error) {
	user, err := c.requiredUser()
	if err != nil {
		return nil, err
	}
	arn, _, err := c.policyARN()
	if err != nil {
		return nil, err
	}
	if err := c.authorizeUser(user, map[string][]string{"iam:PolicyARN": {arn}}); err != nil {
		return nil, err
	}
	return nil, op(c.ctx, c.account(), user, arn)
}

func listAttachedUserPolicies(c *call) (any, error) {
	user, err := c.requiredUser()
	if err != nil {
		return nil, err
	}
	prefix, err := c.pathPrefix()
	if err != nil {
		return nil, err
	}
	marker, max, err := c.paging()
	if err != nil {
		return nil, err
	}
	if err := c.authorizeUser(user, nil); err != nil {
		return nil, err
	}
	pols, err := c.h.db.ListAttachedUserPolicies(c.ctx, c.account(), user, prefix)
	if err != nil {
		return nil, err
	}
	pols, next := page(pols, func(p iam.AttachedPolicy) string { return p.Name }, marker, max)
	type xmlAttached struct {
		PolicyName string `xml:"PolicyName"`
		PolicyArn  string `xml:"PolicyArn"`
	}
	out := struct {
		Attached struct {
			Members []xmlAttached `xml:"member"`
		} `xml:"AttachedPolicies"`
		IsTruncated bool   `xml:"IsTruncated"`
		Marker      string `xml:"Marker,omitempty"`
	}{IsTruncated: next != "", Marker: next}
	for _, p := range pols {
		out.Attached.Members = append(out.Attached.Members, xmlAttached{p.Name, p.ARN})
	}
	return out, nil
}

// STS.

func getCallerIdentity(c *call) (any, error) {
	arn, id, err := c.h.db.CallerIdentity(c.caller)
	if err != nil {
		if errors.Is(err, iam.ErrNoSuchEntity) {
			return nil, apiErr("InvalidClientTokenId", msgInvalidToken)
		}
		return nil, err
	}
	return struct {
		Arn     string `xml:"Arn"`
		UserID  string `xml:"UserId"`
		Account string `xml:"Account"`
	}{arn, id, c.account()}, nil
}
