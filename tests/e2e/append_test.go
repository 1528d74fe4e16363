package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestAppend: PutObject with x-amz-write-offset-bytes (reference §2.1
// PutObject, §6.6).
func TestAppend(t *testing.T) {
	t.Parallel()
	var needles []string
	srv := sharedServer(t, &needles)
	c, w := newClient(t, srv)
	ctx := ctxT(t, 2*time.Minute)
	bucket := mustCreateBucket(t, c, "append")
	needles = append(needles, bucket)
	logErrorAnswers(t, srv, bucket)

	appendObj := func(key string, off int64, body []byte, mods ...func(*s3.PutObjectInput)) (*s3.PutObjectOutput, error) {
		in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body), WriteOffsetBytes: aws.Int64(off)}
		for _, f := range mods {
			f(in)
		}
		return c.PutObject(ctx, in)
	}

	key := "app/log.bin"
	var content []byte
	t.Run("Sequence", func(t *testing.T) {
		chunks := [][]byte{[]byte("hello "), randBytes(mib), []byte("small tail\n"), randBytes(mib), []byte("x")}
		var lastETag string
		for i, ch := range chunks {
			off := int64(len(content))
			w.Reset()
			out, err := appendObj(key, off, ch)
			if err != nil {
				t.Fatalf("append #%d at offset %d (%d bytes): %s", i, off, len(ch), describeErr(err))
			}
			content = append(content, ch...)
			if aws.ToInt64(out.Size) != int64(len(content)) {
				t.Errorf("append #%d: x-amz-object-size %d, want %d", i, aws.ToInt64(out.Size), len(content))
			}
			raw := ""
			for _, e := range w.Entries() {
				if e.Method == http.MethodPut && e.RespHeader != nil {
					raw = e.RespHeader.Get("x-amz-object-size")
				}
			}
			if raw != fmt.Sprint(len(content)) {
				t.Errorf("append #%d: raw response header x-amz-object-size %q, want %d", i, raw, len(content))
			}
			if aws.ToString(out.ETag) == "" || aws.ToString(out.ETag) == lastETag {
				t.Errorf("append #%d: ETag %q (previous %q): a new ETag is expected", i, aws.ToString(out.ETag), lastETag)
			}
			lastETag = aws.ToString(out.ETag)
		}
		get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
		noErr(t, "GetObject after appends", err)
		got, err := io.ReadAll(get.Body)
		get.Body.Close()
		if err != nil {
			t.Fatalf("GetObject body after appends (SDK checksum validation): %v", err)
		}
		if !bytes.Equal(got, content) {
			t.Errorf("after appends: %d bytes sha %s, want %d bytes sha %s", len(got), sha(got)[:12], len(content), sha(content)[:12])
		}
		want := b64u32(crc32Of(content))
		if aws.ToString(get.ChecksumCRC32) != want {
			t.Errorf("GetObject after appends: x-amz-checksum-crc32 %q, want the CRC32 of the whole content %q", aws.ToString(get.ChecksumCRC32), want)
		}
		if get.ChecksumType != types.ChecksumTypeFullObject {
			t.Errorf("GetObject after appends: x-amz-checksum-type %q, want FULL_OBJECT", get.ChecksumType)
		}
		if vm, ok := s3.GetChecksumValidationMetadata(get.ResultMetadata); !ok || !contains(vm.AlgorithmsUsed, "CRC32") {
			t.Errorf("the SDK did not validate a CRC32 on GetObject after appends (%+v)", vm)
		}
		if aws.ToString(get.ETag) != lastETag {
			t.Errorf("GetObject ETag %s, last append ETag %s", aws.ToString(get.ETag), lastETag)
		}
		head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
		noErr(t, "HeadObject", err)
		if aws.ToInt64(head.ContentLength) != int64(len(content)) || aws.ToString(head.ChecksumCRC32) != want {
			t.Errorf("HeadObject after appends: Content-Length %d crc32 %q, want %d %q", aws.ToInt64(head.ContentLength), aws.ToString(head.ChecksumCRC32), len(content), want)
		}
		// Ranged read across an append boundary.
		rg, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Range: aws.String(fmt.Sprintf("bytes=%d-%d", mib, mib+20))})
		noErr(t, "ranged GetObject across append boundary", err)
		rb, _ := io.ReadAll(rg.Body)
		rg.Body.Close()
		if !bytes.Equal(rb, content[mib:mib+21]) {
			t.Errorf("ranged read across an append boundary differs")
		}
	})
	if len(content) == 0 {
		t.Fatalf("append sequence failed; the remaining subtests need the object")
	}

	t.Run("WrongOffset", func(t *testing.T) {
		before := snapshot(t, c, bucket, key)
		for _, off := range []int64{before.Size - 1, before.Size + 1, 0} {
			_, err := appendObj(key, off, []byte("nope"))
			wantErr(t, fmt.Sprintf("append at offset %d to a %d-byte object", off, before.Size), err, 400, "InvalidWriteOffset")
			assertUnchanged(t, "after a wrong-offset append", c, bucket, key, before)
		}
		// A non-zero offset on a missing key does not create it.
		_, err := appendObj("app/missing.bin", 5, []byte("nope"))
		wantErr(t, "append at offset 5 to a missing key", err, 0, "InvalidWriteOffset", "NoSuchKey")
		assertAbsent(t, "after an append to a missing key", c, bucket, "app/missing.bin")
	})

	t.Run("EmptyBody", func(t *testing.T) {
		before := snapshot(t, c, bucket, key)
		_, err := appendObj(key, before.Size, nil)
		wantErr(t, "append with an empty body", err, 400, "InvalidArgument", "InvalidRequest")
		assertUnchanged(t, "after an empty append", c, bucket, key, before)
		_, err = appendObj("app/empty-new.bin", 0, nil)
		wantErr(t, "append at offset 0 with an empty body to a new key", err, 400, "InvalidArgument", "InvalidRequest")
		assertAbsent(t, "after an empty append to a new key", c, bucket, "app/empty-new.bin")
	})

	t.Run("MetadataWithOffset", func(t *testing.T) {
		before := snapshot(t, c, bucket, key)
		_, err := appendObj(key, before.Size, []byte("more"), func(in *s3.PutObjectInput) { in.Metadata = map[string]string{"k": "v"} })
		wantErr(t, "append with x-amz-meta-* to an existing object", err, 400, "InvalidRequest")
		assertUnchanged(t, "after an append with metadata", c, bucket, key, before)
		// Creating with offset 0 and metadata is allowed (the restriction is for existing objects).
		_, err = appendObj("app/meta-new.bin", 0, []byte("first"), func(in *s3.PutObjectInput) { in.Metadata = map[string]string{"k": "v"} })
		noErr(t, "append at offset 0 with metadata creating a new object", err)
		st := snapshot(t, c, bucket, "app/meta-new.bin")
		if st.Metadata["k"] != "v" {
			t.Errorf("metadata of an object created by an append: %v", st.Metadata)
		}
		_, err = appendObj("app/meta-new.bin", 5, []byte("second"))
		noErr(t, "append to the object created with metadata", err)
		st = snapshot(t, c, bucket, "app/meta-new.bin")
		if st.Metadata["k"] != "v" || st.SHA != sha([]byte("firstsecond")) {
			t.Errorf("after an append the metadata/content is %s, want meta k=v and \"firstsecond\"", st)
		}
	})

	t.Run("ChecksumTypeMismatch", func(t *testing.T) {
		before := snapshot(t, c, bucket, key)
		_, err := appendObj(key, before.Size, []byte("crc32c bytes"), func(in *s3.PutObjectInput) { in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32c })
		wantErr(t, "CRC32C append to a CRC32 object", err, 400, "InvalidRequest")
		assertUnchanged(t, "after a checksum-type mismatch", c, bucket, key, before)
		// A wrong checksum value on an append is refused, nothing appended.
		_, err = appendObj(key, before.Size, []byte("bad digest"), func(in *s3.PutObjectInput) {
			in.ChecksumCRC32 = aws.String(b64u32(crc32Of([]byte("something else"))))
		})
		wantErr(t, "append with a wrong x-amz-checksum-crc32", err, 400, "BadDigest")
		assertUnchanged(t, "after a bad-digest append", c, bucket, key, before)
	})

	t.Run("IfMatch", func(t *testing.T) {
		before := snapshot(t, c, bucket, key)
		_, err := appendObj(key, before.Size, []byte("stale"), func(in *s3.PutObjectInput) { in.IfMatch = aws.String(`"0123456789abcdef0123456789abcdef"`) })
		wantErr(t, "append with a stale If-Match", err, 412, "PreconditionFailed")
		assertUnchanged(t, "after a refused If-Match append", c, bucket, key, before)
		out, err := appendObj(key, before.Size, []byte("fresh"), func(in *s3.PutObjectInput) { in.IfMatch = aws.String(before.ETag) })
		noErr(t, "append with the current ETag as If-Match", err)
		content = append(content, "fresh"...)
		if aws.ToInt64(out.Size) != int64(len(content)) {
			t.Errorf("append with If-Match: x-amz-object-size %d, want %d", aws.ToInt64(out.Size), len(content))
		}
		st := snapshot(t, c, bucket, key)
		if st.SHA != sha(content) || st.CRC32 != b64u32(crc32Of(content)) {
			t.Errorf("after If-Match append: %s, want sha %s crc32 %s", st, sha(content)[:12], b64u32(crc32Of(content)))
		}
	})

	t.Run("SHA256Object", func(t *testing.T) {
		// An object created with SHA-256 can be appended with SHA-256; CRC32 is refused.
		k := "app/sha.bin"
		_, err := appendObj(k, 0, []byte("abc"), func(in *s3.PutObjectInput) { in.ChecksumAlgorithm = types.ChecksumAlgorithmSha256 })
		noErr(t, "create with SHA256 at offset 0", err)
		out, err := appendObj(k, 3, []byte("def"), func(in *s3.PutObjectInput) { in.ChecksumAlgorithm = types.ChecksumAlgorithmSha256 })
		noErr(t, "SHA256 append", err)
		if v := aws.ToString(out.ChecksumSHA256); v != "" && v != sha256B64([]byte("def")) {
			t.Errorf("SHA256 append response x-amz-checksum-sha256 %q, want the append's own %q", v, sha256B64([]byte("def")))
		}
		before := snapshot(t, c, bucket, k)
		_, err = appendObj(k, 6, []byte("ghi"), func(in *s3.PutObjectInput) { in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32 })
		wantErr(t, "CRC32 append to a SHA256 object", err, 400, "InvalidRequest")
		assertUnchanged(t, "after a checksum-type mismatch", c, bucket, k, before)
		if before.SHA != sha([]byte("abcdef")) {
			t.Errorf("SHA256 object after append: %s", before)
		}
	})

	t.Run("AppendToMultipartObject", func(t *testing.T) {
		k := "app/mpu.bin"
		p1, p2 := randBytes(5*mib), []byte("end of mpu")
		m := startMPU(t, c, bucket, k, &s3.CreateMultipartUploadInput{ChecksumAlgorithm: types.ChecksumAlgorithmCrc32, ChecksumType: types.ChecksumTypeFullObject})
		m.put(1, p1, types.ChecksumAlgorithmCrc32)
		m.put(2, p2, types.ChecksumAlgorithmCrc32)
		m.mustComplete(nil)
		all := concat(p1, p2)
		out, err := appendObj(k, int64(len(all)), []byte("+appended"))
		noErr(t, "append to a multipart object", err)
		all = append(all, "+appended"...)
		if aws.ToInt64(out.Size) != int64(len(all)) {
			t.Errorf("x-amz-object-size %d, want %d", aws.ToInt64(out.Size), len(all))
		}
		st := snapshot(t, c, bucket, k)
		if st.SHA != sha(all) || st.CRC32 != b64u32(crc32Of(all)) {
			t.Errorf("multipart object after an append: %s, want crc32 %s", st, b64u32(crc32Of(all)))
		}
		attrs, err := c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: aws.String(bucket), Key: aws.String(k), ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesObjectParts, types.ObjectAttributesObjectSize}})
		noErr(t, "GetObjectAttributes", err)
		if attrs.ObjectParts != nil && aws.ToInt32(attrs.ObjectParts.TotalPartsCount) != 0 && aws.ToInt32(attrs.ObjectParts.TotalPartsCount) != 3 {
			t.Errorf("parts count after 2-part MPU + 1 append: %d (each append is one part, reference §6.6)", aws.ToInt32(attrs.ObjectParts.TotalPartsCount))
		}
		if aws.ToInt64(attrs.ObjectSize) != int64(len(all)) {
			t.Errorf("ObjectSize %d, want %d", aws.ToInt64(attrs.ObjectSize), len(all))
		}
	})

}
