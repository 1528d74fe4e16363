package e2e

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/zonal-dev/zonal/zonaltest"
)

// inProcessClient returns a stock client for an in-process server; used
// where a test needs server knobs that only exist as environment
// variables read at start-up (lifecycle timing).
func inProcessClient(t *testing.T, srv *zonaltest.Server) *s3.Client {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion(srv.Region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(srv.AccessKey, srv.SecretKey, "")),
		config.WithHTTPClient(&http.Client{}))
	if err != nil {
		t.Fatal(err)
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint = aws.String(srv.Endpoint) })
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// TestLifecycleExpiresObjectsAndUploads runs the lifecycle worker with a
// one-second "day": objects under the rule's prefix and inside its size
// filter expire, others stay, and old incomplete uploads are aborted.
func TestLifecycleExpiresObjectsAndUploads(t *testing.T) {
	srv := zonaltest.Start(t, zonaltest.WithLifecycle(300*time.Millisecond, time.Second))
	c := inProcessClient(t, srv)
	ctx := context.Background()
	bucket := bucketName("lifecycle")
	if _, err := c.CreateBucket(ctx, createBucketInput(bucket, "use1-az4")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: &bucket}); apiCode(err) != "NoSuchLifecycleConfiguration" {
		t.Fatalf("GetBucketLifecycleConfiguration before any: %v", err)
	}
	// Unsupported rule elements are refused and nothing is stored.
	_, err := c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: &bucket,
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{{
			ID: aws.String("tags"), Status: types.ExpirationStatusEnabled, Expiration: &types.LifecycleExpiration{Days: aws.Int32(1)},
			Filter: &types.LifecycleRuleFilter{Tag: &types.Tag{Key: aws.String("k"), Value: aws.String("v")}},
		}}}})
	if apiCode(err) != "InvalidArgument" {
		t.Fatalf("tag filter: %v", err)
	}
	_, err = c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: &bucket,
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{
			{ID: aws.String("tmp"), Status: types.ExpirationStatusEnabled, Expiration: &types.LifecycleExpiration{Days: aws.Int32(2)},
				Filter: &types.LifecycleRuleFilter{And: &types.LifecycleRuleAndOperator{Prefix: aws.String("tmp/"), ObjectSizeLessThan: aws.Int64(100)}}},
			{ID: aws.String("mpu"), Status: types.ExpirationStatusEnabled,
				AbortIncompleteMultipartUpload: &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(2)},
				Filter:                         &types.LifecycleRuleFilter{Prefix: aws.String("")}},
		}}})
	if err != nil {
		t.Fatalf("PutBucketLifecycleConfiguration: %v", err)
	}
	got, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: &bucket})
	if err != nil || len(got.Rules) != 2 || aws.ToString(got.Rules[0].ID) != "tmp" {
		t.Fatalf("GetBucketLifecycleConfiguration: %+v %v", got, err)
	}
	put := func(key string, size int) {
		t.Helper()
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: strings.NewReader(strings.Repeat("x", size))}); err != nil {
			t.Fatal(err)
		}
	}
	put("tmp/small", 10)  // expires
	put("tmp/large", 500) // outside the size filter
	put("keep/small", 10) // outside the prefix
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: aws.String("dir/upload")})
	if err != nil {
		t.Fatal(err)
	}
	exists := func(key string) bool {
		_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: &key})
		return err == nil
	}
	deadline := time.Now().Add(15 * time.Second)
	for exists("tmp/small") && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	if exists("tmp/small") {
		t.Fatal("tmp/small did not expire")
	}
	if !exists("tmp/large") || !exists("keep/small") {
		t.Fatal("lifecycle expired an object outside its rule")
	}
	for time.Now().Before(deadline) {
		if _, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: &bucket, Key: aws.String("dir/upload"), UploadId: up.UploadId}); apiCode(err) == "NoSuchUpload" {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if _, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: &bucket, Key: aws.String("dir/upload"), UploadId: up.UploadId}); apiCode(err) != "NoSuchUpload" {
		t.Fatalf("incomplete upload not aborted: %v", err)
	}
	if _, err := c.DeleteBucketLifecycle(ctx, &s3.DeleteBucketLifecycleInput{Bucket: &bucket}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: &bucket}); apiCode(err) != "NoSuchLifecycleConfiguration" {
		t.Fatalf("after delete: %v", err)
	}
}

// TestBucketEncryptionAndSSEHeaders: objects report SSE-S3, the bucket
// default reads back as AES256, SSE-KMS is refused clearly, and headers of
// other encryption features are refused on GET.
func TestBucketEncryptionAndSSEHeaders(t *testing.T) {
	srv := zonaltest.Start(t)
	c := inProcessClient(t, srv)
	ctx := context.Background()
	bucket := bucketName("sse")
	if _, err := c.CreateBucket(ctx, createBucketInput(bucket, "use1-az4")); err != nil {
		t.Fatal(err)
	}
	enc, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: &bucket})
	if err != nil || len(enc.ServerSideEncryptionConfiguration.Rules) != 1 ||
		enc.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm != types.ServerSideEncryptionAes256 {
		t.Fatalf("default bucket encryption: %+v %v", enc, err)
	}
	_, err = c.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: &bucket, ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{
		Rules: []types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{
			SSEAlgorithm: types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String("arn:aws:kms:us-east-1:000000000000:key/x")}}}}})
	if apiCode(err) != "NotImplemented" {
		t.Fatalf("SSE-KMS bucket default: %v", err)
	}
	put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("k"), Body: strings.NewReader("secret bytes")})
	if err != nil || put.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Fatalf("PutObject SSE: %v %v", put, err)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("k")})
	if err != nil || head.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Fatalf("HeadObject SSE: %v %v", head, err)
	}
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("kms"), Body: strings.NewReader("x"),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms})
	if apiCode(err) != "NotImplemented" {
		t.Fatalf("PutObject with aws:kms: %v", err)
	}
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("kms")}); err == nil {
		t.Fatal("refused PutObject stored an object")
	}

	// Data at rest is encrypted: neither a small (inline, in the catalog)
	// nor a large (blob file) object's plaintext appears in any file.
	marker := "ZONAL-PLAINTEXT-MARKER-7f3a9c"
	small := strings.Repeat(marker, 10)
	large := strings.Repeat(marker, 10000)
	for key, body := range map[string]string{"small": small, "large": large} {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String(key), Body: strings.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if string(b) != body {
			t.Fatalf("%s: read back differs", key)
		}
	}
	if markersAtRest(t, srv.DataDir, marker)[marker] {
		t.Errorf("plaintext found at rest under %s", srv.DataDir)
	}
}
