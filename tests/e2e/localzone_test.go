package e2e

// End-to-end tests of directory buckets in Local Zones (issue 16) through
// the stock Go SDK: CreateBucket with Location.Type LocalZone and
// DataRedundancy SingleLocalZone, HeadBucket's location headers,
// ListDirectoryBuckets, objects, and --zones naming a Local Zone.

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// testLocalZone is a Local Zone id of us-east-1 (Atlanta).
const testLocalZone = "use1-atl2-az1"

// localZoneBucketInput is CreateBucket for a Local Zone bucket, as the
// SDK's documentation shows it.
func localZoneBucketInput(name, zone string) *s3.CreateBucketInput {
	in := createBucketInput(name, zone)
	in.CreateBucketConfiguration.Location.Type = types.LocationTypeLocalZone
	in.CreateBucketConfiguration.Bucket.DataRedundancy = types.DataRedundancySingleLocalZone
	return in
}

func localZoneBucketName(base, zone string) string {
	return strings.Replace(bucketName(base), "--"+testAZ+"--", "--"+zone+"--", 1)
}

func TestLocalZoneBucket(t *testing.T) {
	srv := sharedServer(t)
	c, _ := newClient(t, srv)
	ctx := ctxT(t, time.Minute)
	name := localZoneBucketName("lz", testLocalZone)
	_, err := c.CreateBucket(ctx, localZoneBucketInput(name, testLocalZone))
	noErr(t, "CreateBucket in a Local Zone", err)

	head, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(name)})
	noErr(t, "HeadBucket", err)
	if head.BucketLocationType != types.LocationTypeLocalZone || aws.ToString(head.BucketLocationName) != testLocalZone ||
		aws.ToString(head.BucketRegion) != testRegion {
		t.Fatalf("HeadBucket: type %q name %q region %q", head.BucketLocationType, aws.ToString(head.BucketLocationName), aws.ToString(head.BucketRegion))
	}
	az := mustCreateBucket(t, c, "az")
	head, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(az)})
	noErr(t, "HeadBucket of an AZ bucket", err)
	if head.BucketLocationType != types.LocationTypeAvailabilityZone || aws.ToString(head.BucketLocationName) != testAZ {
		t.Fatalf("HeadBucket of an AZ bucket: %q %q", head.BucketLocationType, aws.ToString(head.BucketLocationName))
	}

	list, err := c.ListDirectoryBuckets(ctx, &s3.ListDirectoryBucketsInput{}, noSessionAuth)
	noErr(t, "ListDirectoryBuckets", err)
	found := false
	for _, b := range list.Buckets {
		if aws.ToString(b.Name) == name {
			found = true
			if aws.ToString(b.BucketRegion) != testRegion || !strings.HasSuffix(aws.ToString(b.BucketArn), ":bucket/"+name) {
				t.Errorf("listed as %+v", b)
			}
		}
	}
	if !found {
		t.Fatalf("ListDirectoryBuckets misses %s", name)
	}

	// Objects work as in any directory bucket.
	mustPut(t, c, name, "a/k", []byte("local"))
	if got, _ := mustGetBytes(t, c, name, "a/k"); string(got) != "local" {
		t.Fatalf("GetObject = %q", got)
	}
	// ...in S3 One Zone-IA, the storage class of Local Zone directory
	// buckets, where AZ buckets hold S3 Express One Zone.
	oh, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(name), Key: aws.String("a/k")})
	noErr(t, "HeadObject", err)
	lo, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(name), Prefix: aws.String("a/")})
	noErr(t, "ListObjectsV2", err)
	if oh.StorageClass != types.StorageClassOnezoneIa || len(lo.Contents) != 1 || lo.Contents[0].StorageClass != types.ObjectStorageClassOnezoneIa {
		t.Errorf("storage class in a Local Zone: HEAD %q, list %+v; want ONEZONE_IA", oh.StorageClass, lo.Contents)
	}
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(name), Key: aws.String("a/express"), Body: strings.NewReader("x"),
		StorageClass: types.StorageClassExpressOnezone})
	wantErr(t, "PutObject EXPRESS_ONEZONE into a Local Zone bucket", err, 400, "InvalidStorageClass")
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(name), Key: aws.String("a/ia"), Body: strings.NewReader("x"),
		StorageClass: types.StorageClassOnezoneIa})
	noErr(t, "PutObject ONEZONE_IA into a Local Zone bucket", err)
	mustPut(t, c, az, "k", []byte("az"))
	if oh, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(az), Key: aws.String("k")}); err != nil || oh.StorageClass != types.StorageClassExpressOnezone {
		t.Errorf("storage class in an AZ bucket: %q (%v)", oh.StorageClass, err)
	}

	// The configuration must agree with the zone the name carries.
	bad := []struct {
		what string
		in   *s3.CreateBucketInput
		code string
	}{
		{"LocalZone with an AZ id", localZoneBucketInput(bucketName("lz-az"), testAZ), "InvalidArgument"},
		{"AvailabilityZone with a Local Zone id", createBucketInput(localZoneBucketName("az-lz", testLocalZone), testLocalZone), "InvalidArgument"},
		{"SingleAvailabilityZone in a Local Zone", func() *s3.CreateBucketInput {
			in := localZoneBucketInput(localZoneBucketName("lz-red", testLocalZone), testLocalZone)
			in.CreateBucketConfiguration.Bucket.DataRedundancy = types.DataRedundancySingleAvailabilityZone
			return in
		}(), "InvalidArgument"},
		{"Location.Name of another Local Zone", localZoneBucketInput(localZoneBucketName("lz-other", testLocalZone), "use1-mia1-az1"), "InvalidBucketName"},
	}
	for _, tc := range bad {
		_, err := c.CreateBucket(ctx, tc.in)
		wantErr(t, tc.what, err, 400, tc.code)
		_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: tc.in.Bucket})
		wantErr(t, tc.what+": HeadBucket", err, 404)
	}
}

// TestLocalZoneOnlyEndpoint: --zones accepts a Local Zone id and then
// refuses buckets anywhere else.
func TestLocalZoneOnlyEndpoint(t *testing.T) {
	srv := startServer(t, serverOpts{ExtraArgs: []string{"--zones", testLocalZone}})
	c, _ := newClient(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := c.CreateBucket(ctx, localZoneBucketInput(localZoneBucketName("only", testLocalZone), testLocalZone))
	noErr(t, "CreateBucket in the served Local Zone", err)
	_, err = c.CreateBucket(ctx, createBucketInput(bucketName("elsewhere"), testAZ))
	wantErr(t, "CreateBucket in an AZ the endpoint does not serve", err, 400, "InvalidArgument")
}
