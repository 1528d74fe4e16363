package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestUploadsDeclareTheirLength: a PutObject or UploadPart whose length is
// not known up front (Transfer-Encoding: chunked with neither
// Content-Length nor, for aws-chunked, x-amz-decoded-content-length) is
// 411 MissingContentLength and stores nothing, as on AWS; the free-disk
// reserve is charged that length before the body is read. Stock SDK
// uploads always carry one and keep working: PutObject, the transfer
// manager's UploadPart from an unseekable stream, and (over TLS, with
// ZONAL_E2E_TLS=1) their aws-chunked forms.
func TestUploadsDeclareTheirLength(t *testing.T) {
	t.Parallel()
	var needles []string
	srv := sharedServer(t, &needles)
	c, w := newClient(t, srv)
	ctx := ctxT(t, 2*time.Minute)
	bucket := mustCreateBucket(t, c, "lengths")
	needles = append(needles, bucket)
	logErrorAnswers(t, srv, bucket)
	cr := createSession(t, c, bucket, "")

	data := []byte("a body of unknown length")
	r := doRaw(t, srv, rawReq{Method: http.MethodPut, Path: objectPath(bucket, "nolen/plain"), Body: data, Chunked: true}, sessionSigning(cr))
	wantRaw(t, "PutObject with Transfer-Encoding: chunked and no length", r, 411, "MissingContentLength")

	var framed bytes.Buffer
	fmt.Fprintf(&framed, "%x\r\n%s\r\n0\r\nx-amz-checksum-crc32:%s\r\n\r\n", len(data), data, crc32B64(data))
	sg := sessionSigning(cr)
	sg.PayloadHash = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	h := http.Header{"Content-Encoding": {"aws-chunked"}, "X-Amz-Trailer": {"x-amz-checksum-crc32"}}
	r = doRaw(t, srv, rawReq{Method: http.MethodPut, Path: objectPath(bucket, "nolen/aws-chunked"), Header: h, Body: framed.Bytes(), Chunked: true}, sg)
	wantRaw(t, "aws-chunked PutObject without x-amz-decoded-content-length", r, 411, "MissingContentLength")
	for _, key := range []string{"nolen/plain", "nolen/aws-chunked"} {
		_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		wantErr(t, "HeadObject after a PUT refused with 411", err, 404)
	}

	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("nolen/mpu")})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %s", describeErr(err))
	}
	r = doRaw(t, srv, rawReq{Method: http.MethodPut, Path: objectPath(bucket, "nolen/mpu"),
		Query: "partNumber=1&uploadId=" + aws.ToString(up.UploadId), Body: data, Chunked: true}, sessionSigning(cr))
	wantRaw(t, "UploadPart with Transfer-Encoding: chunked and no length", r, 411, "MissingContentLength")
	parts, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String("nolen/mpu"), UploadId: up.UploadId})
	if err != nil || len(parts.Parts) != 0 {
		t.Errorf("ListParts after an UploadPart refused with 411: %d parts, %v", len(parts.Parts), err)
	}

	// The same shapes with their length declared are stored.
	h.Set("X-Amz-Decoded-Content-Length", fmt.Sprint(len(data)))
	r = doRaw(t, srv, rawReq{Method: http.MethodPut, Path: objectPath(bucket, "len/aws-chunked"), Header: h, Body: framed.Bytes(), Chunked: true}, sg)
	wantRaw(t, "aws-chunked PutObject with x-amz-decoded-content-length and no Content-Length", r, 200)
	if got, _ := mustGetBytes(t, c, bucket, "len/aws-chunked"); !bytes.Equal(got, data) {
		t.Errorf("aws-chunked object reads back %q", got)
	}

	// Stock SDK uploads.
	w.Reset()
	body := randBytes(300 << 10)
	mustPut(t, c, bucket, "sdk/put", body)
	tm := transfermanager.New(c, func(o *transfermanager.Options) { o.PartSizeBytes, o.MultipartUploadThreshold = 5*mib, 5*mib })
	stream := struct{ io.Reader }{bytes.NewReader(bytes.Repeat(randBytes(mib), 11))} // unseekable
	if _, err := tm.UploadObject(ctx, &transfermanager.UploadObjectInput{Bucket: aws.String(bucket), Key: aws.String("sdk/manager"),
		Body: stream}); err != nil {
		t.Fatalf("transfer manager upload of an unseekable 11 MiB stream: %s", describeErr(err))
	}
	if got, _ := mustGetBytes(t, c, bucket, "sdk/put"); !bytes.Equal(got, body) {
		t.Errorf("SDK PutObject reads back %d bytes, want %d", len(got), len(body))
	}
	if head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("sdk/manager")}); err != nil ||
		aws.ToInt64(head.ContentLength) != 11*mib {
		t.Errorf("HeadObject of the managed upload: %v, %s", head, describeErr(err))
	}
	// Each was answered 200, so each declared its length (the server
	// answers 411 otherwise).
	uploads := 0
	for _, e := range w.Entries() {
		if e.Method == http.MethodPut && !e.IsCreateSession() && e.Status == 200 {
			uploads++
		}
	}
	if uploads != 4 {
		t.Errorf("saw %d SDK uploads answered 200, want PutObject and 3 UploadParts:\n%s", uploads, w.Dump())
	}
}

// TestWriteOffsetHeaderOnTheWire: an empty, non-numeric or negative
// x-amz-write-offset-bytes is 400 InvalidArgument and the object keeps
// its bytes (an empty one used to overwrite it).
func TestWriteOffsetHeaderOnTheWire(t *testing.T) {
	t.Parallel()
	var needles []string
	srv := sharedServer(t, &needles)
	c, _ := newClient(t, srv)
	ctx := ctxT(t, time.Minute)
	bucket := mustCreateBucket(t, c, "offset-hdr")
	needles = append(needles, bucket)
	cr := createSession(t, c, bucket, "")
	put := mustPut(t, c, bucket, "log", []byte("original"))
	for _, v := range []string{"", "abc", "-1", "+8"} {
		r := doRaw(t, srv, rawReq{Method: http.MethodPut, Path: objectPath(bucket, "log"),
			Header: http.Header{"X-Amz-Write-Offset-Bytes": {v}}, Body: []byte("REPLACED")}, sessionSigning(cr))
		wantRaw(t, fmt.Sprintf("PutObject with x-amz-write-offset-bytes %q", v), r, 400, "InvalidArgument")
	}
	got, out := mustGetBytes(t, c, bucket, "log")
	if string(got) != "original" || aws.ToString(out.ETag) != aws.ToString(put.ETag) {
		t.Errorf("object after the refused appends: %q ETag %s, want \"original\" ETag %s", got, aws.ToString(out.ETag), aws.ToString(put.ETag))
	}
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("log"),
		Body: strings.NewReader("+more"), WriteOffsetBytes: aws.Int64(8)})
	noErr(t, "append at offset 8", err)
}

// TestLargestXMLDocuments: the largest CompleteMultipartUpload and
// DeleteObjects documents AWS accepts, as aws-sdk-go-v2 writes them, pass
// the body caps (both were over the old 1 MiB).
func TestLargestXMLDocuments(t *testing.T) {
	t.Parallel()
	var needles []string
	srv := sharedServer(t, &needles)
	c, _ := newClient(t, srv)
	ctx := ctxT(t, 2*time.Minute)
	bucket := mustCreateBucket(t, c, "xml-caps")
	needles = append(needles, bucket)
	logErrorAnswers(t, srv, bucket)

	// 10,000 parts with CRC32s: the body reaches the part checks, which
	// refuse it because no part was uploaded.
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("mpu"),
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %s", describeErr(err))
	}
	parts := make([]types.CompletedPart, 10000)
	for i := range parts {
		parts[i] = types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: aws.String(`"` + randHex(16) + `"`), ChecksumCRC32: aws.String("AAAAAA==")}
	}
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("mpu"),
		UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	wantErr(t, "CompleteMultipartUpload of 10,000 parts never uploaded", err, 400, "InvalidPart")

	// 1,000 keys of 1,024 bytes, each byte escaped to 6 (&quot;).
	var objs []types.ObjectIdentifier
	for i := range 1000 {
		objs = append(objs, types.ObjectIdentifier{Key: aws.String(fmt.Sprintf("%04d", i) + strings.Repeat(`"`, 1020))})
	}
	for _, o := range objs[:3] {
		mustPut(t, c, bucket, aws.ToString(o.Key), []byte("x"))
	}
	out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &types.Delete{Objects: objs}})
	if err != nil {
		t.Fatalf("DeleteObjects of 1,000 1,024-byte keys: %s", describeErr(err))
	}
	if len(out.Deleted) != 1000 || len(out.Errors) != 0 {
		t.Errorf("DeleteObjects: %d deleted, %d errors, want 1,000 and none", len(out.Deleted), len(out.Errors))
	}
	for _, o := range objs[:3] {
		_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: o.Key})
		wantErr(t, "HeadObject after DeleteObjects", err, 404)
	}
}
