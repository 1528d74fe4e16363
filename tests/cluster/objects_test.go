package cluster

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// inlineMax is the largest object the catalog keeps inline; larger ones
// are blobs.
const inlineMax = 64 << 10

// minPart is the least size of a multipart part but the last.
const minPart = 5 << 20

// randBody is n bytes no other body shares, starting with tag so a wrong
// body says where it came from.
func randBody(tag string, n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	copy(b, tag+"|")
	return b
}

func put(ctx context.Context, cl *s3.Client, bucket, key string, body []byte) (string, error) {
	out, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.ETag), nil
}

// upload is a multipart upload whose parts are all sent, not completed.
type upload struct {
	bucket, key, id string
	parts           []types.CompletedPart
	body            []byte // what the object holds once completed
}

func startUpload(ctx context.Context, cl *s3.Client, bucket, key string, parts ...[]byte) (*upload, error) {
	out, err := cl.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, err
	}
	u := &upload{bucket: bucket, key: key, id: aws.ToString(out.UploadId)}
	for i, p := range parts {
		num := aws.Int32(int32(i + 1))
		pout, err := cl.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: out.UploadId,
			PartNumber: num, Body: bytes.NewReader(p)})
		if err != nil {
			return nil, fmt.Errorf("part %d: %w", i+1, err)
		}
		u.parts = append(u.parts, types.CompletedPart{PartNumber: num, ETag: pout.ETag})
		u.body = append(u.body, p...)
	}
	return u, nil
}

func (u *upload) complete(ctx context.Context, cl *s3.Client) (string, error) {
	out, err := cl.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(u.bucket), Key: aws.String(u.key),
		UploadId: aws.String(u.id), MultipartUpload: &types.CompletedMultipartUpload{Parts: u.parts}})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.ETag), nil
}

// multipart writes body as a multipart upload of the given parts.
func multipart(ctx context.Context, cl *s3.Client, bucket, key string, parts ...[]byte) (string, error) {
	u, err := startUpload(ctx, cl, bucket, key, parts...)
	if err != nil {
		return "", err
	}
	return u.complete(ctx, cl)
}

// lookup reads a key: found false when it does not exist.
func lookup(ctx context.Context, cl *s3.Client, bucket, key string) (body []byte, found bool, err error) {
	body, err = getBytes(ctx, cl, bucket, key)
	if code := errCode(err); code == "NoSuchKey" || code == "NotFound" {
		return nil, false, nil
	}
	return body, err == nil, err
}

// listAll lists a bucket: key → size and ETag.
func listAll(ctx context.Context, cl *s3.Client, bucket string) (map[string]types.Object, error) {
	got := map[string]types.Object{}
	pages := s3.NewListObjectsV2Paginator(cl, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, o := range page.Contents {
			got[aws.ToString(o.Key)] = o
		}
	}
	return got, nil
}

// emptyBucket deletes every object of a bucket and aborts its uploads,
// spreading the requests over the clients.
func emptyBucket(t *testing.T, ctx context.Context, bucket string, cls []*s3.Client) {
	t.Helper()
	objs, err := listAll(ctx, cls[0], bucket)
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(objs))
	for k := range objs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if _, err := cls[i%len(cls)].DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)}); err != nil {
			t.Fatalf("delete %s: %v", k, err)
		}
	}
	ups, err := cls[0].ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range ups.Uploads {
		if _, err := cls[0].AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: u.Key, UploadId: u.UploadId}); err != nil {
			t.Fatalf("abort %s: %v", aws.ToString(u.Key), err)
		}
	}
	t.Logf("deleted %d objects, aborted %d uploads", len(keys), len(ups.Uploads))
}

// oneOf says which of bodies b is, -1 for none.
func oneOf(b []byte, bodies ...[]byte) int {
	for i, c := range bodies {
		if bytes.Equal(b, c) {
			return i
		}
	}
	return -1
}

// describe names a body by the tag randBody put in front.
func describe(b []byte) string {
	tag, _, ok := strings.Cut(string(b[:min(len(b), 40)]), "|")
	if !ok {
		tag = "?"
	}
	return fmt.Sprintf("%d bytes from %q", len(b), tag)
}
