package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestGetObjectAttributes: ETag, Checksum, ObjectParts (with paging),
// StorageClass and ObjectSize (reference §2.1 GetObjectAttributes).
func TestGetObjectAttributes(t *testing.T) {
	t.Parallel()
	var needles []string
	srv := sharedServer(t, &needles)
	c, _ := newClient(t, srv)
	ctx := ctxT(t, 2*time.Minute)
	bucket := mustCreateBucket(t, c, "attrs")
	needles = append(needles, bucket)
	logErrorAnswers(t, srv, bucket)
	allAttrs := []types.ObjectAttributes{types.ObjectAttributesEtag, types.ObjectAttributesChecksum, types.ObjectAttributesObjectParts,
		types.ObjectAttributesStorageClass, types.ObjectAttributesObjectSize}

	t.Run("SimpleObject", func(t *testing.T) {
		body := randBytes(70 * 1024)
		put := mustPut(t, c, bucket, "simple.bin", body) // the SDK adds CRC32
		out, err := c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: aws.String(bucket), Key: aws.String("simple.bin"), ObjectAttributes: allAttrs})
		noErr(t, "GetObjectAttributes", err)
		if trimETag(aws.ToString(out.ETag)) != trimETag(aws.ToString(put.ETag)) {
			t.Errorf("ETag %q, PutObject returned %q", aws.ToString(out.ETag), aws.ToString(put.ETag))
		}
		if out.Checksum == nil || aws.ToString(out.Checksum.ChecksumCRC32) != crc32B64(body) {
			t.Errorf("Checksum %+v, want CRC32 %s", out.Checksum, crc32B64(body))
		} else if out.Checksum.ChecksumType != types.ChecksumTypeFullObject {
			t.Errorf("Checksum type %q, want FULL_OBJECT", out.Checksum.ChecksumType)
		}
		if out.StorageClass != types.StorageClassExpressOnezone {
			t.Errorf("StorageClass %q, want EXPRESS_ONEZONE", out.StorageClass)
		}
		if aws.ToInt64(out.ObjectSize) != int64(len(body)) {
			t.Errorf("ObjectSize %d, want %d", aws.ToInt64(out.ObjectSize), len(body))
		}
		if out.LastModified == nil || time.Since(*out.LastModified) > 5*time.Minute {
			t.Errorf("Last-Modified %v", out.LastModified)
		}
		// Only the requested attributes come back.
		only, err := c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: aws.String(bucket), Key: aws.String("simple.bin"), ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesObjectSize}})
		noErr(t, "GetObjectAttributes ObjectSize only", err)
		if aws.ToInt64(only.ObjectSize) != int64(len(body)) || only.ETag != nil || only.Checksum != nil || only.StorageClass != "" {
			t.Errorf("GetObjectAttributes ObjectSize only: got ETag=%v Checksum=%+v StorageClass=%q size=%d", only.ETag, only.Checksum, only.StorageClass, aws.ToInt64(only.ObjectSize))
		}
	})

	t.Run("MultipartObjectParts", func(t *testing.T) {
		// No checksum algorithm on Create: parts are listed anyway (directory-bucket rule).
		key := "mpu/parts.bin"
		sizes := []int{5 * mib, 5 * mib, 1234}
		m := startMPU(t, c, bucket, key, nil)
		for i, n := range sizes {
			m.put(int32(i+1), randBytes(n), "")
		}
		done := m.mustComplete(nil)
		total := int64(0)
		for _, n := range sizes {
			total += int64(n)
		}
		var seen []int32
		var marker *string
		for page := 0; page < 5; page++ {
			out, err := c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: aws.String(bucket), Key: aws.String(key), ObjectAttributes: allAttrs,
				MaxParts: aws.Int32(1), PartNumberMarker: marker})
			noErr(t, "GetObjectAttributes max-parts=1", err)
			if trimETag(aws.ToString(out.ETag)) != trimETag(aws.ToString(done.ETag)) {
				t.Errorf("ETag %q, CompleteMultipartUpload returned %q", aws.ToString(out.ETag), aws.ToString(done.ETag))
			}
			if aws.ToInt64(out.ObjectSize) != total || out.StorageClass != types.StorageClassExpressOnezone {
				t.Errorf("ObjectSize %d StorageClass %q, want %d EXPRESS_ONEZONE", aws.ToInt64(out.ObjectSize), out.StorageClass, total)
			}
			op := out.ObjectParts
			if op == nil {
				t.Fatalf("GetObjectAttributes: no ObjectParts for a multipart object")
			}
			if aws.ToInt32(op.TotalPartsCount) != 3 {
				t.Errorf("PartsCount %d, want 3", aws.ToInt32(op.TotalPartsCount))
			}
			if aws.ToInt32(op.MaxParts) != 1 {
				t.Errorf("MaxParts %d, want 1", aws.ToInt32(op.MaxParts))
			}
			if len(op.Parts) != 1 {
				t.Fatalf("page %d: %d Part elements, want 1 (parts are listed whether or not the object has a checksum)", page, len(op.Parts))
			}
			n := aws.ToInt32(op.Parts[0].PartNumber)
			seen = append(seen, n)
			if n >= 1 && int(n) <= len(sizes) && aws.ToInt64(op.Parts[0].Size) != int64(sizes[n-1]) {
				t.Errorf("part %d Size %d, want %d", n, aws.ToInt64(op.Parts[0].Size), sizes[n-1])
			}
			if n == 3 {
				if aws.ToBool(op.IsTruncated) {
					t.Errorf("last page IsTruncated")
				}
				break
			}
			if !aws.ToBool(op.IsTruncated) || aws.ToString(op.NextPartNumberMarker) != fmt.Sprint(n) {
				t.Errorf("page with part %d: IsTruncated %v NextPartNumberMarker %q", n, aws.ToBool(op.IsTruncated), aws.ToString(op.NextPartNumberMarker))
			}
			marker = op.NextPartNumberMarker
			if marker == nil {
				break
			}
		}
		if len(seen) != 3 || seen[0] != 1 || seen[1] != 2 || seen[2] != 3 {
			t.Errorf("GetObjectAttributes paging saw parts %v, want [1 2 3]", seen)
		}
	})

	t.Run("RawHeaders", func(t *testing.T) {
		// The raw request: x-amz-object-attributes with spaces after commas,
		// x-amz-max-parts / x-amz-part-number-marker on a non-multipart object.
		mustPut(t, c, bucket, "raw.txt", []byte("raw attributes"))
		cr := createSession(t, c, bucket, "")
		r := doRaw(t, srv, rawReq{Method: http.MethodGet, Path: objectPath(bucket, "raw.txt"), Query: "attributes",
			Header: http.Header{"X-Amz-Object-Attributes": {"ETag, ObjectSize, StorageClass"}}}, sessionSigning(cr))
		wantRaw(t, "raw GetObjectAttributes", r, 200)
		body := string(r.Body)
		for _, want := range []string{"<GetObjectAttributesResponse", "<ObjectSize>14</ObjectSize>", "<StorageClass>EXPRESS_ONEZONE</StorageClass>", "<ETag>"} {
			if !strings.Contains(body, want) {
				t.Errorf("raw GetObjectAttributes body lacks %s: %s", want, body)
			}
		}
		if r.Header.Get("Last-Modified") == "" {
			t.Errorf("raw GetObjectAttributes: no Last-Modified header")
		}
		// Missing x-amz-object-attributes is a client error.
		r = doRaw(t, srv, rawReq{Method: http.MethodGet, Path: objectPath(bucket, "raw.txt"), Query: "attributes"}, sessionSigning(cr))
		if r.Status < 400 || r.Status >= 500 {
			t.Errorf("GetObjectAttributes without x-amz-object-attributes: %s, want a 4xx", r)
		}
	})

	t.Run("Missing", func(t *testing.T) {
		_, err := c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: aws.String(bucket), Key: aws.String("nope"), ObjectAttributes: allAttrs})
		wantErr(t, "GetObjectAttributes on a missing key", err, 404, "NoSuchKey")
	})
}
