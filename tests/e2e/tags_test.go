package e2e

// End-to-end tests of bucket tags (issue 16) through the stock Go SDK:
// service/s3control's TagResource, UntagResource and ListTagsForResource
// against a custom endpoint, CreateBucket with Tags through service/s3,
// and attribute-based access control (aws:ResourceTag on CreateSession,
// aws:RequestTag and aws:TagKeys on TagResource and CreateBucket) for IAM
// users made through the IAM API.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	ctltypes "github.com/aws/aws-sdk-go-v2/service/s3control/types"
)

// controlClient is a stock S3 Control client for srv with static keys:
// BaseEndpoint only, as a user would configure it.
func controlClient(t testing.TB, srv *zonalServer, ak, sk string) *s3control.Client {
	t.Helper()
	w := newWire()
	cfg := sdkConfigFor(t, ak, sk)
	cfg.HTTPClient = w.httpClient()
	return s3control.NewFromConfig(cfg, func(o *s3control.Options) { o.BaseEndpoint = aws.String(srv.Endpoint) })
}

func bucketARNOf(account, bucket string) string {
	return "arn:aws:s3express:" + testRegion + ":" + account + ":bucket/" + bucket
}

// listTags returns a bucket's tags as "k=v" in key order.
func listTags(t testing.TB, cc *s3control.Client, bucket string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := cc.ListTagsForResource(ctx, &s3control.ListTagsForResourceInput{
		AccountId: aws.String(testAccountID), ResourceArn: aws.String(bucketARNOf(testAccountID, bucket))})
	noErr(t, "ListTagsForResource "+bucket, err)
	var got []string
	for _, tg := range out.Tags {
		got = append(got, aws.ToString(tg.Key)+"="+aws.ToString(tg.Value))
	}
	return got
}

func tagResource(ctx context.Context, cc *s3control.Client, account, arn string, kv ...string) error {
	in := &s3control.TagResourceInput{AccountId: aws.String(account), ResourceArn: aws.String(arn), Tags: []ctltypes.Tag{}}
	for i := 0; i+1 < len(kv); i += 2 {
		in.Tags = append(in.Tags, ctltypes.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	_, err := cc.TagResource(ctx, in)
	return err
}

func untagResource(ctx context.Context, cc *s3control.Client, bucket string, keys ...string) error {
	_, err := cc.UntagResource(ctx, &s3control.UntagResourceInput{AccountId: aws.String(testAccountID),
		ResourceArn: aws.String(bucketARNOf(testAccountID, bucket)), TagKeys: keys})
	return err
}

// TestTagsThroughS3Control: tag, list, untag with the stock S3 Control
// client; AWS's limits answer their codes and change nothing.
func TestTagsThroughS3Control(t *testing.T) {
	srv := sharedServer(t)
	c, _ := newClient(t, srv)
	cc := controlClient(t, srv, srv.AccessKey, srv.SecretKey)
	bucket := mustCreateBucket(t, c, "tags")
	arn := bucketARNOf(testAccountID, bucket)
	ctx := ctxT(t, time.Minute)

	noErr(t, "TagResource", tagResource(ctx, cc, testAccountID, arn, "team", "data", "cost center", "", "ünï", "välue"))
	if got, want := listTags(t, cc, bucket), []string{"cost center=", "team=data", "ünï=välue"}; !slices.Equal(got, want) {
		t.Fatalf("tags = %q, want %q", got, want)
	}
	// A second TagResource replaces values and adds keys.
	noErr(t, "TagResource again", tagResource(ctx, cc, testAccountID, arn, "team", "ml", "owner", "ana"))
	// UntagResource sends repeated tagKeys (one with a space); unknown keys are ignored.
	noErr(t, "UntagResource", untagResource(ctx, cc, bucket, "cost center", "ünï", "never-set"))
	want := []string{"owner=ana", "team=ml"}
	if got := listTags(t, cc, bucket); !slices.Equal(got, want) {
		t.Fatalf("after tag and untag: %q, want %q", got, want)
	}

	fifty := make([]string, 0, 100)
	for i := range 49 {
		fifty = append(fifty, fmt.Sprintf("k%02d", i), "v")
	}
	refusals := []struct {
		name    string
		account string
		arn     string
		kv      []string
		status  int
		code    string
	}{
		{"aws: prefix", testAccountID, arn, []string{"aws:team", "x"}, 400, "InvalidTag"},
		{"key of 129 characters", testAccountID, arn, []string{strings.Repeat("é", 129), "x"}, 400, "InvalidTag"},
		{"value of 257 characters", testAccountID, arn, []string{"k", strings.Repeat("v", 257)}, 400, "InvalidTag"},
		{"character outside the alphabet", testAccountID, arn, []string{"team!", "x"}, 400, "InvalidTag"},
		{"repeated key", testAccountID, arn, []string{"a", "1", "a", "2"}, 400, "InvalidTag"},
		// 49 new keys and the 2 there make 51: the limit counts the result.
		{"51st tag", testAccountID, arn, fifty, 400, "TooManyTagsException"},
		{"missing bucket", testAccountID, bucketARNOf(testAccountID, bucketName("none")), []string{"a", "b"}, 404, "NoSuchBucket"},
		{"access point", testAccountID, "arn:aws:s3express:" + testRegion + ":" + testAccountID + ":accesspoint/ap1--" + testAZ + "--xa-s3", []string{"a", "b"}, 404, "NoSuchAccessPoint"},
		// The SDK sends the header and the ARN as given: the server checks them.
		{"ARN of another account", testAccountID, bucketARNOf("111111111111", bucket), []string{"a", "b"}, 400, "InvalidRequest"},
		{"header of another account", "111111111111", bucketARNOf("111111111111", bucket), []string{"a", "b"}, 403, "AccessDenied"},
	}
	for _, tc := range refusals {
		err := tagResource(ctx, cc, tc.account, tc.arn, tc.kv...)
		wantErr(t, "TagResource: "+tc.name, err, tc.status, tc.code)
	}
	if got := listTags(t, cc, bucket); !slices.Equal(got, want) {
		t.Fatalf("refused requests changed the tags: %q, want %q", got, want)
	}
	// Exactly 50 fit.
	noErr(t, "TagResource to 50", tagResource(ctx, cc, testAccountID, arn, fifty[:96]...))
	if got := listTags(t, cc, bucket); len(got) != 50 {
		t.Fatalf("%d tags, want 50", len(got))
	}
}

// TestCreateBucketWithTags: CreateBucket's Tags are the bucket's from its
// first moment; invalid tags create no bucket.
func TestCreateBucketWithTags(t *testing.T) {
	srv := sharedServer(t)
	c, _ := newClient(t, srv)
	cc := controlClient(t, srv, srv.AccessKey, srv.SecretKey)
	ctx := ctxT(t, time.Minute)
	name := bucketName("created-tagged")
	in := createBucketInput(name, testAZ)
	in.CreateBucketConfiguration.Tags = []types.Tag{{Key: aws.String("team"), Value: aws.String("data")}, {Key: aws.String("env"), Value: aws.String("")}}
	_, err := c.CreateBucket(ctx, in)
	noErr(t, "CreateBucket with Tags", err)
	if got, want := listTags(t, cc, name), []string{"env=", "team=data"}; !slices.Equal(got, want) {
		t.Fatalf("tags = %q, want %q", got, want)
	}

	bad := bucketName("bad-tags")
	in = createBucketInput(bad, testAZ)
	in.CreateBucketConfiguration.Tags = []types.Tag{{Key: aws.String("aws:reserved"), Value: aws.String("x")}}
	_, err = c.CreateBucket(ctx, in)
	wantErr(t, "CreateBucket with an aws: tag", err, 400, "InvalidTag")
	_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bad)})
	wantErr(t, "HeadBucket of the refused bucket", err, 404)
}

// TestABAC: an IAM user whose policy allows CreateSession only on buckets
// tagged team=data gets a session on the tagged bucket and is refused on
// the untagged one; removing and adding the tag flips both at once (in
// ZONAL_E2E_NODES mode, through whichever node answers). TagResource is
// decided on the tags asked for, and CreateBucket with Tags needs
// s3express:TagResource too.
func TestABAC(t *testing.T) {
	srv := sharedServer(t)
	c, _ := newClient(t, srv)
	cc := controlClient(t, srv, srv.AccessKey, srv.SecretKey)
	ic := iamClientFor(t, srv, srv.AccessKey, srv.SecretKey)
	ctx := ctxT(t, 2*time.Minute)

	tagged, untagged := mustCreateBucket(t, c, "abac-data"), mustCreateBucket(t, c, "abac-none")
	noErr(t, "tag", tagResource(ctx, cc, testAccountID, bucketARNOf(testAccountID, tagged), "team", "data"))

	user := createIAMUser(t, ic, "abac-"+randHex(8))
	putUserPolicy(t, ic, user.Name, "abac", policyDoc(
		`{"Effect":"Allow","Action":"s3express:CreateSession","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"data"}}}`,
		`{"Effect":"Allow","Action":["s3express:TagResource","s3express:CreateBucket"],"Resource":"*",
		  "Condition":{"StringEquals":{"aws:RequestTag/team":"data"},"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}}`,
	))
	uc, _ := newClientWithKeys(t, srv, user.AK, user.SK)
	ucc := controlClient(t, srv, user.AK, user.SK)
	session := func(bucket string) error {
		_, err := uc.CreateSession(ctx, &s3.CreateSessionInput{Bucket: aws.String(bucket)})
		return err
	}
	noErr(t, "CreateSession on the tagged bucket", session(tagged))
	wantErr(t, "CreateSession on the untagged bucket", session(untagged), 403, "AccessDenied")

	// The tag moves: authorization follows at once.
	noErr(t, "untag", untagResource(ctx, cc, tagged, "team"))
	noErr(t, "tag the other", tagResource(ctx, cc, testAccountID, bucketARNOf(testAccountID, untagged), "team", "data"))
	wantErr(t, "CreateSession once the tag is gone", session(tagged), 403, "AccessDenied")
	noErr(t, "CreateSession once tagged", session(untagged))
	// A session-signed data request works on the bucket the tag allows.
	_, err := uc.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(untagged), Key: aws.String("k"), Body: strings.NewReader("v")})
	noErr(t, "PutObject with the ABAC session", err)

	// TagResource: only team=data, and no other key.
	arn := bucketARNOf(testAccountID, tagged)
	noErr(t, "user tags team=data", tagResource(ctx, ucc, testAccountID, arn, "team", "data"))
	wantErr(t, "user tags team=web", tagResource(ctx, ucc, testAccountID, arn, "team", "web"), 403, "AccessDenied")
	wantErr(t, "user adds another key", tagResource(ctx, ucc, testAccountID, arn, "team", "data", "cost", "1"), 403, "AccessDenied")
	wantErr(t, "user untags (no permission)", untagResource(ctx, ucc, tagged, "team"), 403, "AccessDenied")
	if got := listTags(t, cc, tagged); !slices.Equal(got, []string{"team=data"}) {
		t.Fatalf("tags after refusals = %q", got)
	}

	// CreateBucket is decided with the tags it asks for, in the SDK's own
	// flow: CreateSession on the bucket to be (which cannot see the tags,
	// and earns a session that grants nothing itself), then CreateBucket.
	create := func(team string) (string, error) {
		name := bucketName("abac-new")
		in := createBucketInput(name, testAZ)
		if team != "" {
			in.CreateBucketConfiguration.Tags = []types.Tag{{Key: aws.String("team"), Value: aws.String(team)}}
		}
		_, err := uc.CreateBucket(ctx, in)
		return name, err
	}
	name, err := create("data")
	noErr(t, "user creates a team=data bucket", err)
	if got := listTags(t, cc, name); !slices.Equal(got, []string{"team=data"}) {
		t.Fatalf("created bucket's tags = %q", got)
	}
	_, err = create("web")
	wantErr(t, "user creates a team=web bucket", err, 403, "AccessDenied")
	_, err = create("")
	wantErr(t, "user creates an untagged bucket", err, 403, "AccessDenied")
	_, err = ucc.ListTagsForResource(ctx, &s3control.ListTagsForResourceInput{AccountId: aws.String(testAccountID), ResourceArn: aws.String(arn)})
	wantErr(t, "user lists tags (no permission)", err, 403, "AccessDenied")
}
