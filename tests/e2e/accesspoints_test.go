package e2e

// End-to-end tests of access points for directory buckets (issue 16)
// through the stock Go SDK: service/s3control's access point operations
// against a custom endpoint, and data access through an access point's
// name and ARN with service/s3's own CreateSession flow, decided by the
// access point policy, the bucket policy and the access point's scope.

import (
	"context"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	ctltypes "github.com/aws/aws-sdk-go-v2/service/s3control/types"
)

// accessPointName returns a fresh access point name in testAZ.
func accessPointName(base string) string {
	base = sanitizeName(base)
	if len(base) > 24 {
		base = strings.Trim(base[:24], "-")
	}
	return base + "-" + randHex(6) + "--" + testAZ + "--xa-s3"
}

func accessPointARNOf(account, name string) string {
	return "arn:aws:s3express:" + testRegion + ":" + account + ":accesspoint/" + name
}

// createAccessPoint creates an access point of testAccountID for bucket,
// with scope when not nil.
func createAccessPoint(ctx context.Context, cc *s3control.Client, name, bucket string, scope *ctltypes.Scope) (*s3control.CreateAccessPointOutput, error) {
	return cc.CreateAccessPoint(ctx, &s3control.CreateAccessPointInput{AccountId: aws.String(testAccountID),
		Name: aws.String(name), Bucket: aws.String(bucket), Scope: scope})
}

func mustCreateAccessPoint(t *testing.T, cc *s3control.Client, bucket string, scope *ctltypes.Scope) string {
	t.Helper()
	name := accessPointName("ap")
	_, err := createAccessPoint(ctxT(t, 20*time.Second), cc, name, bucket, scope)
	noErr(t, "CreateAccessPoint "+name, err)
	return name
}

// TestAccessPointsThroughS3Control: create, get, list, policy, scope, tags
// and delete with the stock S3 Control client, with AWS's errors; a bucket
// with an access point cannot be deleted until the access point is.
func TestAccessPointsThroughS3Control(t *testing.T) {
	srv := sharedServer(t)
	c, _ := newClient(t, srv)
	cc := controlClient(t, srv, srv.AccessKey, srv.SecretKey)
	ctx := ctxT(t, 2*time.Minute)
	acct := aws.String(testAccountID)
	bucket := mustCreateBucket(t, c, "apctl")

	name := accessPointName("ctl")
	out, err := createAccessPoint(ctx, cc, name, bucket, nil)
	noErr(t, "CreateAccessPoint", err)
	if got, want := aws.ToString(out.AccessPointArn), accessPointARNOf(testAccountID, name); got != want {
		t.Errorf("CreateAccessPoint ARN = %q, want %q", got, want)
	}
	_, err = createAccessPoint(ctx, cc, name, bucket, nil)
	wantErr(t, "CreateAccessPoint again", err, 409, "AccessPointAlreadyOwnedByYou")
	_, err = createAccessPoint(ctx, cc, accessPointName("nob"), bucketName("missing"), nil)
	wantErr(t, "CreateAccessPoint for a missing bucket", err, 404, "NoSuchBucket")
	otherZone := strings.Replace(accessPointName("zone"), testAZ, "use1-az5", 1)
	_, err = createAccessPoint(ctx, cc, otherZone, bucket, nil)
	wantErr(t, "CreateAccessPoint in another zone than its bucket", err, 400, "InvalidRequest")

	get, err := cc.GetAccessPoint(ctx, &s3control.GetAccessPointInput{AccountId: acct, Name: aws.String(name)})
	noErr(t, "GetAccessPoint", err)
	if aws.ToString(get.Bucket) != bucket || aws.ToString(get.Name) != name || get.NetworkOrigin != ctltypes.NetworkOriginInternet ||
		aws.ToString(get.AccessPointArn) != accessPointARNOf(testAccountID, name) || get.CreationDate == nil ||
		time.Since(*get.CreationDate) > 5*time.Minute {
		t.Errorf("GetAccessPoint = bucket %q name %q origin %q arn %q created %v", aws.ToString(get.Bucket), aws.ToString(get.Name),
			get.NetworkOrigin, aws.ToString(get.AccessPointArn), get.CreationDate)
	}

	// Listing: by bucket, paged.
	second := mustCreateAccessPoint(t, cc, bucket, nil)
	other := mustCreateAccessPoint(t, cc, mustCreateBucket(t, c, "apother"), nil)
	want := []string{name, second}
	slices.Sort(want)
	var listed []string
	var token *string
	for pages := 0; ; pages++ {
		page, err := cc.ListAccessPointsForDirectoryBuckets(ctx, &s3control.ListAccessPointsForDirectoryBucketsInput{
			AccountId: acct, DirectoryBucket: aws.String(bucket), MaxResults: 1, NextToken: token})
		noErr(t, "ListAccessPointsForDirectoryBuckets", err)
		for _, ap := range page.AccessPointList {
			listed = append(listed, aws.ToString(ap.Name))
			if aws.ToString(ap.Bucket) != bucket {
				t.Errorf("listed %s with bucket %q", aws.ToString(ap.Name), aws.ToString(ap.Bucket))
			}
		}
		if token = page.NextToken; token == nil || pages > 5 {
			break
		}
	}
	if !slices.Equal(listed, want) {
		t.Errorf("listed %q for %s, want %q", listed, bucket, want)
	}
	all, err := cc.ListAccessPointsForDirectoryBuckets(ctx, &s3control.ListAccessPointsForDirectoryBucketsInput{AccountId: acct})
	noErr(t, "ListAccessPointsForDirectoryBuckets (all)", err)
	var names []string
	for _, ap := range all.AccessPointList {
		names = append(names, aws.ToString(ap.Name))
	}
	for _, n := range []string{name, second, other} {
		if !slices.Contains(names, n) {
			t.Errorf("the account's listing %q lacks %s", names, n)
		}
	}

	// Policy.
	_, err = cc.GetAccessPointPolicy(ctx, &s3control.GetAccessPointPolicyInput{AccountId: acct, Name: aws.String(name)})
	wantErr(t, "GetAccessPointPolicy before any", err, 404, "NoSuchAccessPointPolicy")
	pol := policyDoc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + testAccountID + `:root"},"Action":"s3express:CreateSession","Resource":"` +
		accessPointARNOf(testAccountID, name) + `"}`)
	_, err = cc.PutAccessPointPolicy(ctx, &s3control.PutAccessPointPolicyInput{AccountId: acct, Name: aws.String(name), Policy: aws.String(pol)})
	noErr(t, "PutAccessPointPolicy", err)
	gp, err := cc.GetAccessPointPolicy(ctx, &s3control.GetAccessPointPolicyInput{AccountId: acct, Name: aws.String(name)})
	noErr(t, "GetAccessPointPolicy", err)
	if aws.ToString(gp.Policy) != pol {
		t.Errorf("GetAccessPointPolicy = %s, want %s", aws.ToString(gp.Policy), pol)
	}
	_, err = cc.PutAccessPointPolicy(ctx, &s3control.PutAccessPointPolicyInput{AccountId: acct, Name: aws.String(name),
		Policy: aws.String(policyDoc(`{"Effect":"Allow","Principal":"*","Action":"s3express:CreateSession","Resource":"` + accessPointARNOf(testAccountID, name) + `"}`))})
	wantErr(t, "PutAccessPointPolicy public", err, 403, "AccessDenied")
	_, err = cc.PutAccessPointPolicy(ctx, &s3control.PutAccessPointPolicyInput{AccountId: acct, Name: aws.String(name), Policy: aws.String("{not json")})
	wantErr(t, "PutAccessPointPolicy malformed", err, 400, "MalformedPolicy")
	_, err = cc.DeleteAccessPointPolicy(ctx, &s3control.DeleteAccessPointPolicyInput{AccountId: acct, Name: aws.String(name)})
	noErr(t, "DeleteAccessPointPolicy", err)
	_, err = cc.GetAccessPointPolicy(ctx, &s3control.GetAccessPointPolicyInput{AccountId: acct, Name: aws.String(name)})
	wantErr(t, "GetAccessPointPolicy after delete", err, 404, "NoSuchAccessPointPolicy")

	// Scope.
	scope := &ctltypes.Scope{Prefixes: []string{"a/", "b/"}, Permissions: []ctltypes.ScopePermission{ctltypes.ScopePermissionGetObject, ctltypes.ScopePermissionPutObject}}
	_, err = cc.PutAccessPointScope(ctx, &s3control.PutAccessPointScopeInput{AccountId: acct, Name: aws.String(name), Scope: scope})
	noErr(t, "PutAccessPointScope", err)
	gs, err := cc.GetAccessPointScope(ctx, &s3control.GetAccessPointScopeInput{AccountId: acct, Name: aws.String(name)})
	noErr(t, "GetAccessPointScope", err)
	if gs.Scope == nil || !slices.Equal(gs.Scope.Prefixes, scope.Prefixes) || !slices.Equal(gs.Scope.Permissions, scope.Permissions) {
		t.Errorf("GetAccessPointScope = %+v, want %+v", gs.Scope, scope)
	}
	_, err = cc.PutAccessPointScope(ctx, &s3control.PutAccessPointScopeInput{AccountId: acct, Name: aws.String(name),
		Scope: &ctltypes.Scope{Prefixes: []string{strings.Repeat("p", 256)}}})
	wantErr(t, "PutAccessPointScope with 256 bytes of prefixes", err, 400, "InvalidRequest")
	_, err = cc.DeleteAccessPointScope(ctx, &s3control.DeleteAccessPointScopeInput{AccountId: acct, Name: aws.String(name)})
	noErr(t, "DeleteAccessPointScope", err)
	gs, err = cc.GetAccessPointScope(ctx, &s3control.GetAccessPointScopeInput{AccountId: acct, Name: aws.String(name)})
	noErr(t, "GetAccessPointScope after delete", err)
	if gs.Scope != nil && (len(gs.Scope.Prefixes) > 0 || len(gs.Scope.Permissions) > 0) {
		t.Errorf("GetAccessPointScope after delete = %+v", gs.Scope)
	}

	// Tags on the access point's ARN.
	arn := accessPointARNOf(testAccountID, name)
	noErr(t, "TagResource on the access point", tagResource(ctx, cc, testAccountID, arn, "team", "data"))
	lt, err := cc.ListTagsForResource(ctx, &s3control.ListTagsForResourceInput{AccountId: acct, ResourceArn: aws.String(arn)})
	noErr(t, "ListTagsForResource on the access point", err)
	if len(lt.Tags) != 1 || aws.ToString(lt.Tags[0].Key) != "team" || aws.ToString(lt.Tags[0].Value) != "data" {
		t.Errorf("access point tags = %+v", lt.Tags)
	}
	if got := listTags(t, cc, bucket); len(got) != 0 {
		t.Errorf("tagging the access point tagged its bucket: %q", got)
	}
	_, err = cc.UntagResource(ctx, &s3control.UntagResourceInput{AccountId: acct, ResourceArn: aws.String(arn), TagKeys: []string{"team"}})
	noErr(t, "UntagResource on the access point", err)
	lt, err = cc.ListTagsForResource(ctx, &s3control.ListTagsForResourceInput{AccountId: acct, ResourceArn: aws.String(arn)})
	noErr(t, "ListTagsForResource after untag", err)
	if len(lt.Tags) != 0 {
		t.Errorf("access point tags after untag = %+v", lt.Tags)
	}

	// A bucket with access points is not deleted (AWS: delete them first).
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
	wantErr(t, "DeleteBucket with access points", err, 409, "InvalidBucketState")
	for _, n := range []string{name, second} {
		_, err = cc.DeleteAccessPoint(ctx, &s3control.DeleteAccessPointInput{AccountId: acct, Name: aws.String(n)})
		noErr(t, "DeleteAccessPoint "+n, err)
	}
	_, err = cc.GetAccessPoint(ctx, &s3control.GetAccessPointInput{AccountId: acct, Name: aws.String(name)})
	wantErr(t, "GetAccessPoint after delete", err, 404, "NoSuchAccessPoint")
	_, err = cc.DeleteAccessPoint(ctx, &s3control.DeleteAccessPointInput{AccountId: acct, Name: aws.String(name)})
	wantErr(t, "DeleteAccessPoint again", err, 404, "NoSuchAccessPoint")
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
	noErr(t, "DeleteBucket once its access points are gone", err)
}

// readAll gets key through bucket (a bucket, access point name or ARN).
func readAll(ctx context.Context, c *s3.Client, bucket, key string) (string, error) {
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return "", err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	return string(b), err
}

func putString(ctx context.Context, c *s3.Client, bucket, key, body string) error {
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)})
	return err
}

func listKeys(ctx context.Context, c *s3.Client, bucket, prefix string) ([]string, error) {
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys, nil
}

func deleteKey(ctx context.Context, c *s3.Client, bucket, key string) error {
	_, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	return err
}

// TestAccessPointDataAccess: PutObject, GetObject, ListObjectsV2 and
// DeleteObject through an access point's name and through its ARN, with
// the SDK's own CreateSession on the access point; the objects are the
// bucket's.
func TestAccessPointDataAccess(t *testing.T) {
	srv := sharedServer(t)
	c, w := newClient(t, srv)
	cc := controlClient(t, srv, srv.AccessKey, srv.SecretKey)
	ctx := ctxT(t, 2*time.Minute)
	bucket := mustCreateBucket(t, c, "apdata")
	name := mustCreateAccessPoint(t, cc, bucket, nil)

	for _, via := range []string{name, accessPointARNOf(testAccountID, name)} {
		key := "dir/" + randHex(4)
		noErr(t, "PutObject through "+via, putString(ctx, c, via, key, "through"))
		got, err := readAll(ctx, c, via, key)
		noErr(t, "GetObject through "+via, err)
		if got != "through" {
			t.Errorf("GetObject through %s = %q", via, got)
		}
		if got, err := readAll(ctx, c, bucket, key); err != nil || got != "through" {
			t.Errorf("the bucket reads %q, %v for an object written through %s", got, err, via)
		}
		keys, err := listKeys(ctx, c, via, "dir/")
		noErr(t, "ListObjectsV2 through "+via, err)
		if !slices.Contains(keys, key) {
			t.Errorf("ListObjectsV2 through %s = %q, lacks %s", via, keys, key)
		}
		noErr(t, "DeleteObject through "+via, deleteKey(ctx, c, via, key))
		if _, err := readAll(ctx, c, bucket, key); err == nil {
			t.Errorf("%s still exists after DeleteObject through %s", key, via)
		}
	}
	// The SDK created sessions on the access point's name and ARN, not
	// only on the bucket.
	byName, byARN := false, false
	for _, e := range w.Entries() {
		if e.IsCreateSession() {
			byName = byName || e.Path == "/"+name
			byARN = byARN || e.Path == "/arn%3Aaws%3As3express%3A"+testRegion+"%3A"+testAccountID+"%3Aaccesspoint%2F"+name
		}
	}
	if !byName || !byARN {
		t.Errorf("CreateSession on the access point by name %v, by ARN %v; want both:\n%s", byName, byARN, w.Dump())
	}

	// An access point of a missing name, and the bucket's own control
	// plane through an access point, are refused.
	wantRefused(t, "PutObject through a missing access point", putString(ctx, c, accessPointName("nope"), "k", "v"), 404, "NoSuchAccessPoint")
	_, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(name)})
	wantErr(t, "GetBucketPolicy through an access point", err, 400, "InvalidRequest")
}

// TestAccessPointScope: a scoped access point refuses keys outside its
// prefixes and operations outside its permissions, and a scope change
// applies to sessions already minted through it.
func TestAccessPointScope(t *testing.T) {
	srv := sharedServer(t)
	c, _ := newClient(t, srv)
	cc := controlClient(t, srv, srv.AccessKey, srv.SecretKey)
	ctx := ctxT(t, 2*time.Minute)
	bucket := mustCreateBucket(t, c, "apscope")
	noErr(t, "seed", putString(ctx, c, bucket, "other/seed", "s"))
	name := mustCreateAccessPoint(t, cc, bucket, &ctltypes.Scope{Prefixes: []string{"allowed/"},
		Permissions: []ctltypes.ScopePermission{ctltypes.ScopePermissionGetObject, ctltypes.ScopePermissionPutObject, ctltypes.ScopePermissionListBucket}})

	noErr(t, "PutObject inside the scope", putString(ctx, c, name, "allowed/k", "in"))
	if got, err := readAll(ctx, c, name, "allowed/k"); err != nil || got != "in" {
		t.Errorf("GetObject inside the scope = %q, %v", got, err)
	}
	keys, err := listKeys(ctx, c, name, "allowed/")
	noErr(t, "ListObjectsV2 of a prefix inside the scope", err)
	if !slices.Equal(keys, []string{"allowed/k"}) {
		t.Errorf("ListObjectsV2 inside the scope = %q", keys)
	}
	wantErr(t, "PutObject outside the prefixes", putString(ctx, c, name, "other/k", "out"), 403, "AccessDenied")
	_, err = readAll(ctx, c, name, "other/seed")
	wantErr(t, "GetObject outside the prefixes", err, 403, "AccessDenied")
	_, err = listKeys(ctx, c, name, "")
	wantErr(t, "ListObjectsV2 of the whole bucket", err, 403, "AccessDenied")
	wantErr(t, "DeleteObject without the permission", deleteKey(ctx, c, name, "allowed/k"), 403, "AccessDenied")
	if _, err := readAll(ctx, c, bucket, "other/k"); err == nil {
		t.Error("other/k was stored although refused")
	}

	// The bucket itself is not scoped.
	noErr(t, "DeleteObject on the bucket", deleteKey(ctx, c, bucket, "other/seed"))

	// A new scope applies at once, to the session the client holds.
	_, err = cc.PutAccessPointScope(ctx, &s3control.PutAccessPointScopeInput{AccountId: aws.String(testAccountID), Name: aws.String(name),
		Scope: &ctltypes.Scope{Permissions: []ctltypes.ScopePermission{ctltypes.ScopePermissionDeleteObject}}})
	noErr(t, "PutAccessPointScope", err)
	noErr(t, "DeleteObject once permitted", deleteKey(ctx, c, name, "allowed/k"))
	wantErr(t, "PutObject once no longer permitted", putString(ctx, c, name, "allowed/k2", "x"), 403, "AccessDenied")

	// DeleteObjects refuses the keys outside the prefixes one by one.
	_, err = cc.PutAccessPointScope(ctx, &s3control.PutAccessPointScopeInput{AccountId: aws.String(testAccountID), Name: aws.String(name),
		Scope: &ctltypes.Scope{Prefixes: []string{"allowed/"}, Permissions: []ctltypes.ScopePermission{ctltypes.ScopePermissionDeleteObject}}})
	noErr(t, "PutAccessPointScope with prefixes", err)
	for _, k := range []string{"allowed/d", "other/d"} {
		noErr(t, "seed "+k, putString(ctx, c, bucket, k, "d"))
	}
	out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(name), Delete: &types.Delete{
		Objects: []types.ObjectIdentifier{{Key: aws.String("allowed/d")}, {Key: aws.String("other/d")}}}})
	noErr(t, "DeleteObjects through the access point", err)
	if len(out.Deleted) != 1 || aws.ToString(out.Deleted[0].Key) != "allowed/d" || len(out.Errors) != 1 ||
		aws.ToString(out.Errors[0].Key) != "other/d" || aws.ToString(out.Errors[0].Code) != "AccessDenied" {
		t.Errorf("DeleteObjects through the scoped access point: deleted %+v, errors %+v", out.Deleted, out.Errors)
	}
	if got, err := readAll(ctx, c, bucket, "other/d"); err != nil || got != "d" {
		t.Errorf("other/d after a refused delete: %q, %v", got, err)
	}
}

// TestAccessPointPolicies: a request through an access point needs both
// the access point policy and the bucket policy (as AWS documents): each
// refuses a principal the other allows, and a bucket policy delegating to
// the account's access points (s3express:DataAccessPointAccount) lets the
// access point policy decide.
func TestAccessPointPolicies(t *testing.T) {
	srv := sharedServer(t)
	c, _ := newClient(t, srv)
	cc := controlClient(t, srv, srv.AccessKey, srv.SecretKey)
	ic := iamClientFor(t, srv, srv.AccessKey, srv.SecretKey)
	ctx := ctxT(t, 3*time.Minute)
	bucket := mustCreateBucket(t, c, "appol")
	noErr(t, "seed", putString(ctx, c, bucket, "k", "v"))
	name := mustCreateAccessPoint(t, cc, bucket, nil)
	apARN := accessPointARNOf(testAccountID, name)
	acct := aws.String(testAccountID)

	alice, bob := createIAMUser(t, ic, "apalice-"+randHex(6)), createIAMUser(t, ic, "apbob-"+randHex(6))
	grant := func(principal, resource, cond string) string {
		if cond != "" {
			cond = `,"Condition":` + cond
		}
		return `{"Effect":"Allow","Principal":{"AWS":"` + principal + `"},"Action":"s3express:CreateSession","Resource":"` + resource + `"` + cond + `}`
	}
	setBucketPolicy := func(stmts ...string) {
		t.Helper()
		_, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(policyDoc(stmts...))})
		noErr(t, "PutBucketPolicy", err)
	}
	setAPPolicy := func(stmts ...string) {
		t.Helper()
		_, err := cc.PutAccessPointPolicy(ctx, &s3control.PutAccessPointPolicyInput{AccountId: acct, Name: aws.String(name), Policy: aws.String(policyDoc(stmts...))})
		noErr(t, "PutAccessPointPolicy", err)
	}
	// A fresh client per attempt: no session cached from an earlier one.
	read := func(u iamUser, via string) error {
		uc, _ := newClientWithKeys(t, srv, u.AK, u.SK)
		_, err := readAll(ctx, uc, via, "k")
		return err
	}

	// The bucket policy allows alice; the access point policy only bob.
	setBucketPolicy(grant(alice.ARN, bucketARNOf(testAccountID, bucket), ""))
	setAPPolicy(grant(bob.ARN, apARN, ""))
	noErr(t, "alice reads the bucket directly", read(alice, bucket))
	wantRefused(t, "alice through the access point its policy does not allow", read(alice, name), 403, "AccessDenied")
	wantRefused(t, "bob through the access point, the bucket policy not allowing him", read(bob, name), 403, "AccessDenied")
	wantRefused(t, "bob by ARN, the bucket policy not allowing him", read(bob, apARN), 403, "AccessDenied")

	// Delegation: the bucket allows whatever comes through the account's
	// access points; now the access point policy decides.
	setBucketPolicy(grant(alice.ARN, bucketARNOf(testAccountID, bucket), ""),
		grant("*", bucketARNOf(testAccountID, bucket), `{"StringEquals":{"s3express:DataAccessPointAccount":"`+testAccountID+`"}}`))
	noErr(t, "bob through the access point once the bucket delegates", read(bob, name))
	noErr(t, "bob by ARN once the bucket delegates", read(bob, apARN))
	wantRefused(t, "bob on the bucket directly (delegation covers access points only)", read(bob, bucket), 403, "AccessDenied")
	wantRefused(t, "alice through the access point, still not in its policy", read(alice, name), 403, "AccessDenied")

	// The access point policy sees the access point keys too.
	setAPPolicy(grant(alice.ARN, apARN, `{"StringEquals":{"s3express:AccessPointNetworkOrigin":"Internet","s3express:DataAccessPointArn":"`+apARN+`"}}`))
	noErr(t, "alice through the access point with network-origin and ARN conditions", read(alice, name))
	wantRefused(t, "bob once the access point policy names alice only", read(bob, name), 403, "AccessDenied")
}

// TestAccessPointControlConditions: S3 Control access point operations
// are decided with s3express:Permissions (the scope asked for) and the
// access point's own tags (aws:ResourceTag).
func TestAccessPointControlConditions(t *testing.T) {
	srv := sharedServer(t)
	c, _ := newClient(t, srv)
	cc := controlClient(t, srv, srv.AccessKey, srv.SecretKey)
	ic := iamClientFor(t, srv, srv.AccessKey, srv.SecretKey)
	ctx := ctxT(t, 2*time.Minute)
	bucket := mustCreateBucket(t, c, "apcond")
	tagged, untagged := mustCreateAccessPoint(t, cc, bucket, nil), mustCreateAccessPoint(t, cc, bucket, nil)
	noErr(t, "tag", tagResource(ctx, cc, testAccountID, accessPointARNOf(testAccountID, tagged), "team", "data"))

	user := createIAMUser(t, ic, "apcond-"+randHex(6))
	putUserPolicy(t, ic, user.Name, "ap", policyDoc(
		`{"Effect":"Allow","Action":"s3express:PutAccessPointScope","Resource":"*","Condition":{"ForAllValues:StringEquals":{"s3express:Permissions":["GetObject","ListBucket"]}}}`,
		`{"Effect":"Allow","Action":"s3express:GetAccessPoint","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"data"}}}`,
	))
	ucc := controlClient(t, srv, user.AK, user.SK)
	putScope := func(perms ...ctltypes.ScopePermission) error {
		_, err := ucc.PutAccessPointScope(ctx, &s3control.PutAccessPointScopeInput{AccountId: aws.String(testAccountID), Name: aws.String(tagged),
			Scope: &ctltypes.Scope{Permissions: perms}})
		return err
	}
	noErr(t, "PutAccessPointScope within the allowed permissions", putScope(ctltypes.ScopePermissionGetObject))
	wantErr(t, "PutAccessPointScope granting PutObject", putScope(ctltypes.ScopePermissionGetObject, ctltypes.ScopePermissionPutObject), 403, "AccessDenied")
	gs, err := cc.GetAccessPointScope(ctx, &s3control.GetAccessPointScopeInput{AccountId: aws.String(testAccountID), Name: aws.String(tagged)})
	noErr(t, "GetAccessPointScope", err)
	if gs.Scope == nil || !slices.Equal(gs.Scope.Permissions, []ctltypes.ScopePermission{ctltypes.ScopePermissionGetObject}) {
		t.Errorf("scope after a refused change = %+v", gs.Scope)
	}

	get := func(name string) error {
		_, err := ucc.GetAccessPoint(ctx, &s3control.GetAccessPointInput{AccountId: aws.String(testAccountID), Name: aws.String(name)})
		return err
	}
	noErr(t, "GetAccessPoint on the team=data access point", get(tagged))
	wantErr(t, "GetAccessPoint on the untagged access point", get(untagged), 403, "AccessDenied")
}

// TestAccessPointCopySource: CopyObject and UploadPartCopy read their
// source through an access point, named by its name or by its ARN
// (".../accesspoint/NAME/object/KEY"), within its scope: a source outside
// the prefixes is refused and nothing is written.
func TestAccessPointCopySource(t *testing.T) {
	srv := sharedServer(t)
	c, _ := newClient(t, srv)
	cc := controlClient(t, srv, srv.AccessKey, srv.SecretKey)
	ctx := ctxT(t, 2*time.Minute)
	bucket := mustCreateBucket(t, c, "apcopy")
	noErr(t, "seed", putString(ctx, c, bucket, "allowed/src", "copied through the access point"))
	noErr(t, "seed", putString(ctx, c, bucket, "other/src", "outside the scope"))
	name := mustCreateAccessPoint(t, cc, bucket, &ctltypes.Scope{Prefixes: []string{"allowed/"},
		Permissions: []ctltypes.ScopePermission{ctltypes.ScopePermissionGetObject, ctltypes.ScopePermissionPutObject}})
	arn := accessPointARNOf(testAccountID, name)

	for i, src := range []string{name + "/allowed/src", arn + "/object/allowed/src"} {
		dst := "allowed/dst" + strconv.Itoa(i)
		_, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(name), Key: aws.String(dst), CopySource: aws.String(src)})
		noErr(t, "CopyObject from "+src, err)
		if got, err := readAll(ctx, c, bucket, dst); err != nil || got != "copied through the access point" {
			t.Errorf("copy from %s: %q, %v", src, got, err)
		}
	}
	_, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(name), Key: aws.String("allowed/dst-out"), CopySource: aws.String(name + "/other/src")})
	wantErr(t, "CopyObject from a source outside the scope", err, 403, "AccessDenied")
	if _, err := readAll(ctx, c, bucket, "allowed/dst-out"); err == nil {
		t.Error("a refused copy wrote its destination")
	}

	// UploadPartCopy takes the same source.
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(name), Key: aws.String("allowed/mp")})
	noErr(t, "CreateMultipartUpload", err)
	part, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String(name), Key: aws.String("allowed/mp"), UploadId: up.UploadId,
		PartNumber: aws.Int32(1), CopySource: aws.String(arn + "/object/allowed/src")})
	noErr(t, "UploadPartCopy through the access point ARN", err)
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(name), Key: aws.String("allowed/mp"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.CopyPartResult.ETag}}}})
	noErr(t, "CompleteMultipartUpload", err)
	if got, err := readAll(ctx, c, bucket, "allowed/mp"); err != nil || got != "copied through the access point" {
		t.Errorf("part copied through the access point: %q, %v", got, err)
	}
}
