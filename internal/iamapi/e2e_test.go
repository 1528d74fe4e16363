package iamapi_test

import (
	"context"
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/zonal-dev/zonal/zonaltest"
)

// sdkConfig returns a stock SDK configuration for the given keys.
func sdkConfig(t *testing.T, srv *zonaltest.Server, akid, secret string) aws.Config {
	t.Helper()
	os.Unsetenv("AWS_CA_BUNDLE")
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion(srv.Region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(akid, secret, "")),
		config.WithRetryMaxAttempts(1))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func iamClient(t *testing.T, srv *zonaltest.Server, akid, secret string) *awsiam.Client {
	return awsiam.NewFromConfig(sdkConfig(t, srv, akid, secret), func(o *awsiam.Options) { o.BaseEndpoint = aws.String(srv.Endpoint) })
}

func stsClient(t *testing.T, srv *zonaltest.Server, akid, secret string) *sts.Client {
	return sts.NewFromConfig(sdkConfig(t, srv, akid, secret), func(o *sts.Options) { o.BaseEndpoint = aws.String(srv.Endpoint) })
}

// apiCode returns the AWS error code of err ("" for nil).
func apiCode(err error) string {
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return "not an API error: " + err.Error()
}

func TestE2EUsersKeysAndPolicies(t *testing.T) {
	srv := zonaltest.Start(t)
	ctx := context.Background()
	root := iamClient(t, srv, srv.AccessKey, srv.SecretKey)

	// Root's own identity.
	id, err := stsClient(t, srv, srv.AccessKey, srv.SecretKey).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(id.Arn) != "arn:aws:iam::000000000000:root" || aws.ToString(id.Account) != "000000000000" || aws.ToString(id.UserId) != "000000000000" {
		t.Fatalf("root identity = %s %s %s", aws.ToString(id.Arn), aws.ToString(id.Account), aws.ToString(id.UserId))
	}

	// Root creates a user and its keys.
	cu, err := root.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("alice"), Path: aws.String("/dev/"),
		Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("storage")}}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(cu.User.Arn) != "arn:aws:iam::000000000000:user/dev/alice" || !strings.HasPrefix(aws.ToString(cu.User.UserId), "AIDA") ||
		cu.User.CreateDate == nil || len(cu.User.Tags) != 1 {
		t.Fatalf("CreateUser = %+v", cu.User)
	}
	if _, err := root.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("alice")}); apiCode(err) != "EntityAlreadyExists" {
		t.Fatalf("duplicate CreateUser: %v", err)
	}
	var nse *iamtypes.NoSuchEntityException
	if _, err := root.GetUser(ctx, &awsiam.GetUserInput{UserName: aws.String("nobody")}); !errors.As(err, &nse) {
		t.Fatalf("GetUser(nobody): %v", err)
	}
	ck, err := root.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	akid, secret := aws.ToString(ck.AccessKey.AccessKeyId), aws.ToString(ck.AccessKey.SecretAccessKey)
	if len(akid) != 20 || len(secret) != 40 || ck.AccessKey.Status != iamtypes.StatusTypeActive {
		t.Fatalf("CreateAccessKey = %+v", ck.AccessKey)
	}

	// The user's identity.
	uid, err := stsClient(t, srv, akid, secret).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(uid.Arn) != "arn:aws:iam::000000000000:user/dev/alice" || aws.ToString(uid.Account) != "000000000000" ||
		aws.ToString(uid.UserId) != aws.ToString(cu.User.UserId) {
		t.Fatalf("user identity = %s %s %s", aws.ToString(uid.Arn), aws.ToString(uid.Account), aws.ToString(uid.UserId))
	}

	// Without a policy the user is refused; with one, allowed.
	alice := iamClient(t, srv, akid, secret)
	_, err = alice.ListUsers(ctx, &awsiam.ListUsersInput{})
	if apiCode(err) != "AccessDenied" || !strings.Contains(err.Error(), "iam:ListUsers") {
		t.Fatalf("ListUsers without a policy: %v", err)
	}
	doc := `{"Version":"2012-10-17","Statement":[{"Sid":"list","Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}`
	if _, err := root.PutUserPolicy(ctx, &awsiam.PutUserPolicyInput{UserName: aws.String("alice"),
		PolicyName: aws.String("lister"), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	lu, err := alice.ListUsers(ctx, &awsiam.ListUsersInput{})
	if err != nil {
		t.Fatalf("ListUsers with a policy: %v", err)
	}
	if len(lu.Users) != 1 || aws.ToString(lu.Users[0].UserName) != "alice" || lu.IsTruncated {
		t.Fatalf("ListUsers = %+v", lu.Users)
	}
	// The policy allows ListUsers only.
	if _, err := alice.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("mallory")}); apiCode(err) != "AccessDenied" {
		t.Fatalf("CreateUser by alice: %v", err)
	}
	gp, err := root.GetUserPolicy(ctx, &awsiam.GetUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("lister")})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := url.QueryUnescape(aws.ToString(gp.PolicyDocument)); got != doc {
		t.Fatalf("GetUserPolicy document = %q", aws.ToString(gp.PolicyDocument))
	}
	lp, err := root.ListUserPolicies(ctx, &awsiam.ListUserPoliciesInput{UserName: aws.String("alice")})
	if err != nil || len(lp.PolicyNames) != 1 || lp.PolicyNames[0] != "lister" {
		t.Fatalf("ListUserPolicies = %v %v", lp, err)
	}

	// A malformed policy document.
	_, err = root.PutUserPolicy(ctx, &awsiam.PutUserPolicyInput{UserName: aws.String("alice"),
		PolicyName: aws.String("bad"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}`)})
	var mpd *iamtypes.MalformedPolicyDocumentException
	if !errors.As(err, &mpd) {
		t.Fatalf("malformed policy: %v", err)
	}
	if _, err := root.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("bad"), PolicyDocument: aws.String("not json")}); !errors.As(err, &mpd) {
		t.Fatalf("malformed managed policy: %v", err)
	}

	// DeleteUser is refused while keys (and policies) remain.
	var dc *iamtypes.DeleteConflictException
	if _, err := root.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: aws.String("alice")}); !errors.As(err, &dc) {
		t.Fatalf("DeleteUser with keys: %v", err)
	}

	// A second key; a third is over the quota.
	ck2, err := root.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	var le *iamtypes.LimitExceededException
	if _, err := root.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String("alice")}); !errors.As(err, &le) {
		t.Fatalf("third key: %v", err)
	}
	lk, err := root.ListAccessKeys(ctx, &awsiam.ListAccessKeysInput{UserName: aws.String("alice")})
	if err != nil || len(lk.AccessKeyMetadata) != 2 {
		t.Fatalf("ListAccessKeys = %v %v", lk, err)
	}

	// An Inactive key is refused; the other one still works.
	if _, err := root.UpdateAccessKey(ctx, &awsiam.UpdateAccessKeyInput{UserName: aws.String("alice"),
		AccessKeyId: aws.String(akid), Status: iamtypes.StatusTypeInactive}); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.ListUsers(ctx, &awsiam.ListUsersInput{}); apiCode(err) != "InvalidClientTokenId" {
		t.Fatalf("inactive key: %v", err)
	}
	alice2 := iamClient(t, srv, aws.ToString(ck2.AccessKey.AccessKeyId), aws.ToString(ck2.AccessKey.SecretAccessKey))
	if _, err := alice2.ListUsers(ctx, &awsiam.ListUsersInput{}); err != nil {
		t.Fatalf("second key: %v", err)
	}
	// Wrong secret.
	bad := iamClient(t, srv, aws.ToString(ck2.AccessKey.AccessKeyId), strings.Repeat("x", 40))
	if _, err := bad.ListUsers(ctx, &awsiam.ListUsersInput{}); apiCode(err) != "SignatureDoesNotMatch" {
		t.Fatalf("wrong secret: %v", err)
	}

	// Managed policies: create, get, attach, list, detach, delete.
	mdoc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["iam:GetUser","iam:ListAccessKeys"],"Resource":"arn:aws:iam::000000000000:user/dev/${aws:username}"}}`
	cp, err := root.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("self-service"), Path: aws.String("/team/"),
		PolicyDocument: aws.String(mdoc), Description: aws.String("read yourself")})
	if err != nil {
		t.Fatal(err)
	}
	parn := aws.ToString(cp.Policy.Arn)
	if parn != "arn:aws:iam::000000000000:policy/team/self-service" || aws.ToString(cp.Policy.DefaultVersionId) != "v1" ||
		aws.ToInt32(cp.Policy.AttachmentCount) != 0 || !cp.Policy.IsAttachable {
		t.Fatalf("CreatePolicy = %+v", cp.Policy)
	}
	if _, err := alice2.GetUser(ctx, &awsiam.GetUserInput{}); apiCode(err) != "AccessDenied" {
		t.Fatalf("GetUser(self) before attach: %v", err)
	}
	if _, err := root.AttachUserPolicy(ctx, &awsiam.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String(parn)}); err != nil {
		t.Fatal(err)
	}
	self, err := alice2.GetUser(ctx, &awsiam.GetUserInput{})
	if err != nil || aws.ToString(self.User.UserName) != "alice" {
		t.Fatalf("GetUser(self) after attach: %v %v", self, err)
	}
	if _, err := alice2.ListAccessKeys(ctx, &awsiam.ListAccessKeysInput{}); err != nil {
		t.Fatalf("ListAccessKeys(self): %v", err)
	}
	got, err := root.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: aws.String(parn)})
	if err != nil || aws.ToInt32(got.Policy.AttachmentCount) != 1 || aws.ToString(got.Policy.Description) != "read yourself" {
		t.Fatalf("GetPolicy = %+v %v", got, err)
	}
	pv, err := root.GetPolicyVersion(ctx, &awsiam.GetPolicyVersionInput{PolicyArn: aws.String(parn), VersionId: aws.String("v1")})
	if err != nil || !pv.PolicyVersion.IsDefaultVersion {
		t.Fatalf("GetPolicyVersion: %v", err)
	}
	if d, _ := url.QueryUnescape(aws.ToString(pv.PolicyVersion.Document)); d != mdoc {
		t.Fatalf("GetPolicyVersion document = %q", d)
	}
	if _, err := root.GetPolicyVersion(ctx, &awsiam.GetPolicyVersionInput{PolicyArn: aws.String(parn), VersionId: aws.String("v2")}); !errors.As(err, &nse) {
		t.Fatalf("GetPolicyVersion v2: %v", err)
	}
	lv, err := root.ListPolicyVersions(ctx, &awsiam.ListPolicyVersionsInput{PolicyArn: aws.String(parn)})
	if err != nil || len(lv.Versions) != 1 || aws.ToString(lv.Versions[0].VersionId) != "v1" || !lv.Versions[0].IsDefaultVersion {
		t.Fatalf("ListPolicyVersions = %+v %v", lv, err)
	}
	lpol, err := root.ListPolicies(ctx, &awsiam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeLocal})
	if err != nil || len(lpol.Policies) != 1 || aws.ToString(lpol.Policies[0].Arn) != parn {
		t.Fatalf("ListPolicies = %+v %v", lpol, err)
	}
	if aws, err := root.ListPolicies(ctx, &awsiam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeAws}); err != nil || len(aws.Policies) != 0 {
		t.Fatalf("ListPolicies(AWS) = %+v %v", aws, err)
	}
	la, err := root.ListAttachedUserPolicies(ctx, &awsiam.ListAttachedUserPoliciesInput{UserName: aws.String("alice")})
	if err != nil || len(la.AttachedPolicies) != 1 || aws.ToString(la.AttachedPolicies[0].PolicyArn) != parn ||
		aws.ToString(la.AttachedPolicies[0].PolicyName) != "self-service" {
		t.Fatalf("ListAttachedUserPolicies = %+v %v", la, err)
	}
	if _, err := root.DeletePolicy(ctx, &awsiam.DeletePolicyInput{PolicyArn: aws.String(parn)}); !errors.As(err, &dc) {
		t.Fatalf("DeletePolicy while attached: %v", err)
	}
	if _, err := root.AttachUserPolicy(ctx, &awsiam.AttachUserPolicyInput{UserName: aws.String("alice"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}); !errors.As(err, &nse) {
		t.Fatalf("attach an AWS managed policy: %v", err)
	}
	if _, err := root.DetachUserPolicy(ctx, &awsiam.DetachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String(parn)}); err != nil {
		t.Fatal(err)
	}
	if _, err := alice2.GetUser(ctx, &awsiam.GetUserInput{}); apiCode(err) != "AccessDenied" {
		t.Fatalf("GetUser(self) after detach: %v", err)
	}
	if _, err := root.DeletePolicy(ctx, &awsiam.DeletePolicyInput{PolicyArn: aws.String(parn)}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: aws.String(parn)}); !errors.As(err, &nse) {
		t.Fatalf("GetPolicy after delete: %v", err)
	}

	// Clean up the user, as AWS requires: keys, inline policies, then the user.
	for _, k := range []string{akid, aws.ToString(ck2.AccessKey.AccessKeyId)} {
		if _, err := root.DeleteAccessKey(ctx, &awsiam.DeleteAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: aws.String(k)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := root.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: aws.String("alice")}); !errors.As(err, &dc) {
		t.Fatalf("DeleteUser with an inline policy: %v", err)
	}
	if _, err := root.DeleteUserPolicy(ctx, &awsiam.DeleteUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("lister")}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	// The deleted key is refused.
	if _, err := alice2.ListUsers(ctx, &awsiam.ListUsersInput{}); apiCode(err) != "InvalidClientTokenId" {
		t.Fatalf("deleted key: %v", err)
	}
}

func TestE2EValidationAndPaging(t *testing.T) {
	srv := zonaltest.Start(t)
	ctx := context.Background()
	root := iamClient(t, srv, srv.AccessKey, srv.SecretKey)

	if _, err := root.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("bad name!")}); apiCode(err) != "ValidationError" {
		t.Fatalf("bad user name: %v", err)
	}
	if _, err := root.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("ok"), Path: aws.String("nope")}); apiCode(err) != "ValidationError" {
		t.Fatalf("bad path: %v", err)
	}
	for _, n := range []string{"u1", "u2", "u3", "u4", "u5"} {
		if _, err := root.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String(n)}); err != nil {
			t.Fatal(err)
		}
	}
	// The SDK's paginator follows Marker/IsTruncated.
	var names []string
	p := awsiam.NewListUsersPaginator(root, &awsiam.ListUsersInput{MaxItems: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, u := range out.Users {
			names = append(names, aws.ToString(u.UserName))
		}
	}
	if pages != 3 || strings.Join(names, ",") != "u1,u2,u3,u4,u5" {
		t.Fatalf("paged ListUsers: %d pages, %v", pages, names)
	}
	// Root keys are managed by the configuration.
	if _, err := root.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{}); apiCode(err) != "InvalidInput" {
		t.Fatalf("CreateAccessKey for root: %v", err)
	}
	lk, err := root.ListAccessKeys(ctx, &awsiam.ListAccessKeysInput{})
	if err != nil || len(lk.AccessKeyMetadata) != 1 || aws.ToString(lk.AccessKeyMetadata[0].AccessKeyId) != srv.AccessKey {
		t.Fatalf("ListAccessKeys(root) = %+v %v", lk, err)
	}
	gu, err := root.GetUser(ctx, &awsiam.GetUserInput{})
	if err != nil || aws.ToString(gu.User.Arn) != "arn:aws:iam::000000000000:root" || aws.ToString(gu.User.UserId) != "000000000000" {
		t.Fatalf("GetUser(root) = %+v %v", gu, err)
	}
}
