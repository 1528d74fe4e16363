package zonaltest_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/zonal-dev/zonal/zonaltest"
)

// wireLog records what the SDK puts on the wire.
type wireLog struct {
	mu   sync.Mutex
	reqs []*http.Request
}

func (l *wireLog) RoundTrip(r *http.Request) (*http.Response, error) {
	l.mu.Lock()
	l.reqs = append(l.reqs, r.Clone(context.Background()))
	l.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func client(t testing.TB, srv *zonaltest.Server, wire *wireLog) *s3.Client {
	os.Unsetenv("AWS_CA_BUNDLE")
	opts := []func(*config.LoadOptions) error{
		config.WithRegion(srv.Region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(srv.AccessKey, srv.SecretKey, "")),
	}
	if wire != nil {
		opts = append(opts, config.WithHTTPClient(&http.Client{Transport: wire}))
	}
	cfg, err := config.LoadDefaultConfig(context.Background(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint = aws.String(srv.Endpoint) })
}

func createBucket(t testing.TB, c *s3.Client, name string) {
	t.Helper()
	_, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{
		Bucket: aws.String(name),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{
			Location: &types.LocationInfo{Type: types.LocationTypeAvailabilityZone, Name: aws.String("use1-az4")},
			Bucket:   &types.BucketInfo{DataRedundancy: types.DataRedundancySingleAvailabilityZone, Type: types.BucketTypeDirectory},
		},
	})
	if err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
}

// TestStockClient is the package's own promise: a stock SDK client with only
// an endpoint override works against a zonaltest server, through sessions.
func TestStockClient(t *testing.T) {
	srv := zonaltest.Start(t)
	wire := &wireLog{}
	c := client(t, srv, wire)
	ctx := context.Background()
	bucket := "demo--use1-az4--x-s3"
	createBucket(t, c, bucket)

	body := bytes.Repeat([]byte("zonal "), 20000) // 120 KB: stored in a blob
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("dir/a.txt"), Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("small"), Body: strings.NewReader("hi")}); err != nil {
		t.Fatal(err)
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("dir/a.txt"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("GetObject returned %d bytes (%v), want %d", len(got), err, len(body))
	}
	if out.ChecksumCRC32 == nil {
		t.Error("GetObject with checksum mode returned no CRC32 although the SDK sent one on PUT")
	}
	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket, Delimiter: aws.String("/")})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Contents) != 1 || *list.Contents[0].Key != "small" || len(list.CommonPrefixes) != 1 || *list.CommonPrefixes[0].Prefix != "dir/" {
		t.Fatalf("listing: %+v", list)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: aws.String("dir/a.txt")}); err != nil {
		t.Fatal(err)
	}
	list, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket, Delimiter: aws.String("/")})
	if err != nil || len(list.CommonPrefixes) != 0 {
		t.Fatalf("empty directory still listed: %+v %v", list, err)
	}

	// The wire: one CreateSession with the root key, then session-signed requests.
	sessions, signed := 0, 0
	for _, r := range wire.reqs {
		auth := r.Header.Get("Authorization")
		if !strings.Contains(auth, "/s3express/aws4_request") {
			t.Errorf("%s %s not signed for s3express: %q", r.Method, r.URL.Path, auth)
		}
		if _, ok := r.URL.Query()["session"]; ok {
			sessions++
			if !strings.Contains(auth, "Credential="+srv.AccessKey+"/") {
				t.Errorf("CreateSession not signed with the root key")
			}
			continue
		}
		if r.Header.Get("X-Amz-S3session-Token") != "" && !strings.Contains(auth, srv.AccessKey) {
			signed++
		}
	}
	if sessions != 1 || signed < 6 {
		t.Fatalf("wire: %d CreateSession, %d session-signed requests", sessions, signed)
	}
}
