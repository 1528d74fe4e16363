package e2e

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestGetOutlivesDelete is issue 11's report: a 15 MiB object of three
// 5 MiB parts (one blob each) is read 1 MiB, deleted, and the reader pauses
// past the blob collector's delay (30 s, run every 10 s); the GET must
// still deliver every byte. The client's small receive buffer keeps the
// server from running ahead into the last part before the pause, and the
// write idle timeout is off so the pause is not cut short. About 45 s.
func TestGetOutlivesDelete(t *testing.T) {
	if testing.Short() {
		t.Skip("waits 42 s for the blob collector")
	}
	t.Parallel()
	srv := startServer(t, serverOpts{ExtraArgs: []string{"--write-idle-timeout", "0"}})
	small := &http.Transport{
		Proxy:             nil,
		ForceAttemptHTTP2: true,
		DialContext: (&net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 64<<10)
			})
			if err != nil {
				return err
			}
			return serr
		}}).DialContext,
	}
	defer small.CloseIdleConnections()
	c, _ := newClient(t, srv, func(o *s3.Options) { o.HTTPClient = &http.Client{Transport: small} })
	ctx := ctxT(t, 3*time.Minute)
	bucket := mustCreateBucket(t, c, "read-pin")
	key := "mpu-15m"

	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %s", describeErr(err))
	}
	var want []byte
	var parts []types.CompletedPart
	for n := int32(1); n <= 3; n++ {
		data := randBytes(5 * mib)
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: up.UploadId,
			PartNumber: aws.Int32(n), Body: bytes.NewReader(data)})
		if err != nil {
			t.Fatalf("UploadPart %d: %s", n, describeErr(err))
		}
		want = append(want, data...)
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32})
	}
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key),
		UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatalf("CompleteMultipartUpload: %s", describeErr(err))
	}

	get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("GetObject: %s", describeErr(err))
	}
	defer get.Body.Close()
	got := make([]byte, mib)
	if _, err := io.ReadFull(get.Body, got); err != nil {
		t.Fatalf("reading the first MiB: %v", err)
	}
	// The delete goes over another client (and connection).
	other, _ := newClient(t, srv)
	if _, err := other.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err != nil {
		t.Fatalf("DeleteObject: %s", describeErr(err))
	}
	time.Sleep(42 * time.Second)
	rest, err := io.ReadAll(get.Body)
	if got = append(got, rest...); err != nil || !bytes.Equal(got, want) {
		t.Errorf("GET across a delete and the collector: %d of %d bytes (%v), equal %v", len(got), len(want), err, bytes.Equal(got, want))
	}
}
