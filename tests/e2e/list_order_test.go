package e2e

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestListOrderShuffled: with --list-order shuffled every page holds the
// same entries as a lexicographic one, but not in sorted order, and
// paging still visits every key exactly once.
func TestListOrderShuffled(t *testing.T) {
	srv := startServer(t, serverOpts{Name: "shuffled", ExtraArgs: []string{"--list-order", "shuffled"}})
	c, _ := newClient(t, srv)
	ctx := context.Background()
	bucket := bucketName("shuffled")
	if _, err := c.CreateBucket(ctx, createBucketInput(bucket, "use1-az4")); err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := 0; i < 60; i++ {
		key := fmt.Sprintf("k%03d", i)
		want = append(want, key)
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: strings.NewReader("x")}); err != nil {
			t.Fatal(err)
		}
	}
	var seen []string
	unsorted := false
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: &bucket, MaxKeys: aws.Int32(20)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
		if !sort.StringsAreSorted(keys) {
			unsorted = true
		}
		seen = append(seen, keys...)
	}
	sort.Strings(seen)
	if strings.Join(seen, ",") != strings.Join(want, ",") {
		t.Fatalf("paging visited %d keys, want each of %d exactly once", len(seen), len(want))
	}
	if !unsorted {
		t.Fatal("three pages of 20 came back sorted: the shuffle is not applied")
	}
}
