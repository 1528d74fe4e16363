package e2e

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestMultipart: the multipart operations through the stock SDK with the
// directory-bucket rules (reference §2.1 CreateMultipartUpload …
// ListMultipartUploads, §6.3, §6.5, §6.7, §8).
func TestMultipart(t *testing.T) {
	t.Parallel()
	var needles []string
	srv := sharedServer(t, &needles)
	c, w := newClient(t, srv)
	ctx := ctxT(t, 3*time.Minute)
	bucket := mustCreateBucket(t, c, "multipart")
	needles = append(needles, bucket)
	logErrorAnswers(t, srv, bucket)

	t.Run("ThreePartsRoundTrip", func(t *testing.T) {
		key := "mpu/basic.bin"
		p1, p2, p3 := randBytes(5*mib), randBytes(5*mib), []byte{0x5a}
		m := startMPU(t, c, bucket, key, &s3.CreateMultipartUploadInput{
			ContentType: aws.String("application/x-zonal-test"),
			Metadata:    map[string]string{"origin": "multipart"},
		})
		m.put(1, p1, "")
		// Re-upload replaces a part: first junk, then the real part 2.
		junk := randBytes(5 * mib)
		m.put(2, junk, "")
		m.put(3, p3, "")
		m.put(2, p2, "")

		// ListParts paging with max-parts=1.
		var seen []int32
		marker := (*string)(nil)
		for page := 0; page < 5; page++ {
			out, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(m.id), MaxParts: aws.Int32(1), PartNumberMarker: marker})
			noErr(t, "ListParts max-parts=1", err)
			if len(out.Parts) != 1 {
				t.Fatalf("ListParts page %d (marker %v): %d parts, want 1", page, aws.ToString(marker), len(out.Parts))
			}
			pt := out.Parts[0]
			n := aws.ToInt32(pt.PartNumber)
			seen = append(seen, n)
			wantSize := map[int32]int64{1: 5 * mib, 2: 5 * mib, 3: 1}[n]
			if aws.ToInt64(pt.Size) != wantSize {
				t.Errorf("ListParts part %d Size %d, want %d", n, aws.ToInt64(pt.Size), wantSize)
			}
			if aws.ToString(pt.ETag) != aws.ToString(m.parts[n].ETag) {
				t.Errorf("ListParts part %d ETag %s, want the last UploadPart's %s", n, aws.ToString(pt.ETag), aws.ToString(m.parts[n].ETag))
			}
			if aws.ToInt32(out.MaxParts) != 1 {
				t.Errorf("ListParts MaxParts %d, want 1", aws.ToInt32(out.MaxParts))
			}
			if out.StorageClass != "" && out.StorageClass != types.StorageClassExpressOnezone {
				t.Errorf("ListParts StorageClass %q", out.StorageClass)
			}
			if n == 3 {
				if aws.ToBool(out.IsTruncated) {
					t.Errorf("ListParts last page IsTruncated=true")
				}
				break
			}
			if !aws.ToBool(out.IsTruncated) {
				t.Fatalf("ListParts page with part %d: IsTruncated=false, want true", n)
			}
			if got := aws.ToString(out.NextPartNumberMarker); got != fmt.Sprint(n) {
				t.Errorf("ListParts NextPartNumberMarker %q, want %d", got, n)
			}
			marker = out.NextPartNumberMarker
		}
		if fmt.Sprint(seen) != "[1 2 3]" {
			t.Errorf("ListParts paging saw parts %v, want [1 2 3]", seen)
		}

		// Nothing is visible under the key before completion.
		assertAbsent(t, "before CompleteMultipartUpload", c, bucket, key)

		out := m.mustComplete(nil)
		if aws.ToString(out.ETag) == "" || aws.ToString(out.Key) != key || aws.ToString(out.Bucket) != bucket {
			t.Errorf("CompleteMultipartUpload result: ETag %q Bucket %q Key %q", aws.ToString(out.ETag), aws.ToString(out.Bucket), aws.ToString(out.Key))
		}
		want := concat(p1, p2, p3)
		got, get := mustGetBytes(t, c, bucket, key)
		if !bytes.Equal(got, want) {
			t.Errorf("multipart object: %d bytes sha %s, want %d bytes sha %s (re-uploaded part 2 must replace the first one: junk sha %s)",
				len(got), sha(got)[:12], len(want), sha(want)[:12], sha(junk)[:12])
		}
		if aws.ToString(get.ETag) != aws.ToString(out.ETag) {
			t.Errorf("GetObject ETag %s, CompleteMultipartUpload ETag %s", aws.ToString(get.ETag), aws.ToString(out.ETag))
		}
		if aws.ToString(get.ContentType) != "application/x-zonal-test" || get.Metadata["origin"] != "multipart" {
			t.Errorf("multipart object lost its CreateMultipartUpload headers: Content-Type %q meta %v", aws.ToString(get.ContentType), get.Metadata)
		}

		// Parts count through GetObjectAttributes.
		attrs, err := c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: aws.String(bucket), Key: aws.String(key),
			ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesObjectParts, types.ObjectAttributesObjectSize}})
		noErr(t, "GetObjectAttributes ObjectParts", err)
		if attrs.ObjectParts == nil || aws.ToInt32(attrs.ObjectParts.TotalPartsCount) != 3 {
			t.Errorf("GetObjectAttributes ObjectParts.PartsCount: %+v, want 3", attrs.ObjectParts)
		}
		if aws.ToInt64(attrs.ObjectSize) != int64(len(want)) {
			t.Errorf("GetObjectAttributes ObjectSize %d, want %d", aws.ToInt64(attrs.ObjectSize), len(want))
		}

		// GET ?partNumber=2 returns exactly part 2 and x-amz-mp-parts-count.
		w.Reset()
		pg, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), PartNumber: aws.Int32(2)})
		noErr(t, "GetObject partNumber=2", err)
		pb, err := io.ReadAll(pg.Body)
		pg.Body.Close()
		if err != nil {
			t.Fatalf("GetObject partNumber=2 body (the SDK validates any checksum header against the part's bytes): %v", err)
		}
		if !bytes.Equal(pb, p2) {
			t.Errorf("GetObject partNumber=2: %d bytes sha %s, want part 2 (%d bytes sha %s)", len(pb), sha(pb)[:12], len(p2), sha(p2)[:12])
		}
		if aws.ToInt32(pg.PartsCount) != 3 {
			t.Errorf("GetObject partNumber=2: x-amz-mp-parts-count %d, want 3\n%s", aws.ToInt32(pg.PartsCount), w.Dump())
		}
		if cr := aws.ToString(pg.ContentRange); cr != "" && cr != fmt.Sprintf("bytes %d-%d/%d", 5*mib, 10*mib-1, len(want)) {
			t.Errorf("GetObject partNumber=2 Content-Range %q", cr)
		}
		hp, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), PartNumber: aws.Int32(3)})
		noErr(t, "HeadObject partNumber=3", err)
		if aws.ToInt64(hp.ContentLength) != 1 || aws.ToInt32(hp.PartsCount) != 3 {
			t.Errorf("HeadObject partNumber=3: Content-Length %d parts-count %d, want 1 and 3", aws.ToInt64(hp.ContentLength), aws.ToInt32(hp.PartsCount))
		}

		// The upload is gone once completed.
		if uploadExists(t, c, bucket, key, m.id) {
			t.Errorf("ListParts still finds upload %s after completion", m.id)
		}
	})

	t.Run("CompleteErrors", func(t *testing.T) {
		key := "mpu/errors.bin"
		p1, p2, p3 := randBytes(5*mib), randBytes(5*mib), randBytes(100)
		m := startMPU(t, c, bucket, key, nil)
		m.put(1, p1, "")
		m.put(2, p2, "")
		m.put(3, p3, "")
		refused := func(what string, in *s3.CompleteMultipartUploadInput, status int, codes ...string) {
			t.Helper()
			_, err := m.complete(in)
			wantErr(t, what, err, status, codes...)
			assertAbsent(t, what, c, bucket, key)
			if !uploadExists(t, c, bucket, key, m.id) {
				t.Fatalf("%s: the upload disappeared after a refused completion", what)
			}
			if got := partNumbers(t, c, bucket, key, m.id); fmt.Sprint(got) != "[1 2 3]" {
				t.Errorf("%s: ListParts now shows parts %v, want [1 2 3]", what, got)
			}
		}
		refused("Complete with parts [1 3] (not consecutive)", m.completeInput(m.list(1, 3)), 400, "InvalidPartOrder")
		refused("Complete with parts [2 3] (not starting at 1)", m.completeInput(m.list(2, 3)), 400, "InvalidPartOrder")
		refused("Complete with parts [2 1 3] (out of order)", m.completeInput(m.list(2, 1, 3)), 400, "InvalidPartOrder")
		bad := m.list()
		bad[1].ETag = aws.String(`"0123456789abcdef0123456789abcdef"`)
		bad[1].ChecksumCRC32 = nil
		refused("Complete with a wrong ETag for part 2", m.completeInput(bad), 400, "InvalidPart")
		in := m.completeInput(m.list())
		in.MpuObjectSize = aws.Int64(int64(len(p1) + len(p2) + len(p3) + 1))
		refused("Complete with x-amz-mp-object-size off by one", in, 400, "InvalidRequest")
		refused("Complete with no parts", m.completeInput(nil), 400, "MalformedXML", "InvalidRequest", "InvalidPart")

		// A correct completion still works after all the refusals.
		in = m.completeInput(m.list())
		in.MpuObjectSize = aws.Int64(int64(len(p1) + len(p2) + len(p3)))
		m.mustComplete(in)
		assertBytes(t, "after the refused completions, a correct one", c, bucket, key, concat(p1, p2, p3))
	})

	t.Run("UnknownPart", func(t *testing.T) {
		key := "mpu/unknown-part.bin"
		m := startMPU(t, c, bucket, key, nil)
		m.put(1, randBytes(5*mib), "")
		_, err := m.complete(m.completeInput(m.list(1, 2)))
		wantErr(t, "Complete listing part 2 that was never uploaded", err, 400, "InvalidPart")
		assertAbsent(t, "after InvalidPart", c, bucket, key)
		if got := partNumbers(t, c, bucket, key, m.id); fmt.Sprint(got) != "[1]" {
			t.Errorf("after a refused completion: parts %v, want [1]", got)
		}
		if err := m.abort(); err != nil {
			t.Errorf("AbortMultipartUpload: %s", describeErr(err))
		}
	})

	t.Run("PartNumberRange", func(t *testing.T) {
		key := "mpu/partnumbers.bin"
		m := startMPU(t, c, bucket, key, nil)
		for _, n := range []int32{0, 10001, -1} {
			_, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(m.id), PartNumber: aws.Int32(n), Body: bytes.NewReader([]byte("x"))})
			wantErr(t, fmt.Sprintf("UploadPart with part number %d", n), err, 400)
		}
		m.put(10000, []byte("the last possible part"), "")
		if got := partNumbers(t, c, bucket, key, m.id); fmt.Sprint(got) != "[10000]" {
			t.Errorf("parts after refused out-of-range part numbers: %v, want [10000]", got)
		}
		if err := m.abort(); err != nil {
			t.Errorf("AbortMultipartUpload: %s", describeErr(err))
		}
	})

	t.Run("EntityTooSmall", func(t *testing.T) {
		key := "mpu/small.bin"
		m := startMPU(t, c, bucket, key, nil)
		m.put(1, randBytes(1024), "")
		m.put(2, randBytes(1024), "")
		_, err := m.complete(m.completeInput(m.list()))
		wantErr(t, "Complete with a 1 KiB part 1 that is not last", err, 400, "EntityTooSmall")
		assertAbsent(t, "after EntityTooSmall", c, bucket, key)
		// A single small part is fine (it is the last one).
		m2 := startMPU(t, c, bucket, "mpu/single-small.bin", nil)
		one := randBytes(1024)
		m2.put(1, one, "")
		m2.mustComplete(nil)
		assertBytes(t, "single small part", c, bucket, "mpu/single-small.bin", one)
		if err := m.abort(); err != nil {
			t.Errorf("AbortMultipartUpload: %s", describeErr(err))
		}
	})

	t.Run("NoSuchUpload", func(t *testing.T) {
		key := "mpu/nosuch.bin"
		gone := startMPU(t, c, bucket, key, nil)
		if err := gone.abort(); err != nil {
			t.Fatalf("AbortMultipartUpload: %s", describeErr(err))
		}
		for _, id := range []string{gone.id, "bm9zdWNodXBsb2FkaWQ" + randHex(16)} {
			_, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id), PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("data"))})
			wantErr(t, "UploadPart to unknown upload "+id, err, 404, "NoSuchUpload")
			_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id),
				MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: aws.String(`"x"`)}}}})
			wantErr(t, "CompleteMultipartUpload unknown upload "+id, err, 404, "NoSuchUpload")
			_, err = c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id)})
			wantErr(t, "AbortMultipartUpload unknown upload "+id, err, 404, "NoSuchUpload")
			_, err = c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id)})
			wantErr(t, "ListParts unknown upload "+id, err, 404, "NoSuchUpload")
			assertAbsent(t, "after requests to an unknown upload", c, bucket, key)
		}
		// An upload id used with another key is unknown too.
		other := startMPU(t, c, bucket, "mpu/other.bin", nil)
		_, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(other.id), PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("data"))})
		wantErr(t, "UploadPart with the upload id of another key", err, 404, "NoSuchUpload")
		if got := partNumbers(t, c, bucket, "mpu/other.bin", other.id); len(got) != 0 {
			t.Errorf("a refused UploadPart added parts %v to another key's upload", got)
		}
		if err := other.abort(); err != nil {
			t.Errorf("AbortMultipartUpload: %s", describeErr(err))
		}
	})

	t.Run("AbortIfMatchInitiatedTime", func(t *testing.T) {
		key := "abortcond/upload.bin"
		m := startMPU(t, c, bucket, key, nil)
		m.put(1, []byte("part one"), "")
		lu, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket), Prefix: aws.String("abortcond/")})
		noErr(t, "ListMultipartUploads prefix abortcond/", err)
		var initiated time.Time
		for _, u := range lu.Uploads {
			if aws.ToString(u.UploadId) == m.id && u.Initiated != nil {
				initiated = *u.Initiated
			}
		}
		if initiated.IsZero() {
			t.Fatalf("ListMultipartUploads did not return upload %s with an Initiated time: %+v", m.id, lu.Uploads)
		}
		if time.Since(initiated) > 5*time.Minute || time.Until(initiated) > time.Minute {
			t.Errorf("Initiated %v implausible", initiated)
		}
		_, err = c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(m.id),
			IfMatchInitiatedTime: aws.Time(initiated.Add(-time.Hour))})
		wantErr(t, "AbortMultipartUpload with a mismatching x-amz-if-match-initiated-time", err, 412, "PreconditionFailed")
		if !uploadExists(t, c, bucket, key, m.id) {
			t.Fatalf("upload gone after a refused conditional abort")
		}
		if got := partNumbers(t, c, bucket, key, m.id); fmt.Sprint(got) != "[1]" {
			t.Errorf("parts after a refused abort: %v, want [1]", got)
		}
		// The header carries whole seconds (HTTP-date): the matching value aborts.
		_, err = c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(m.id),
			IfMatchInitiatedTime: aws.Time(initiated.Truncate(time.Second))})
		noErr(t, "AbortMultipartUpload with the matching x-amz-if-match-initiated-time", err)
		if uploadExists(t, c, bucket, key, m.id) {
			t.Errorf("upload still listed after a successful abort")
		}
		_, prefixes := listObjectsDelim(t, c, bucket, "")
		if contains(prefixes, "abortcond/") {
			t.Errorf("abortcond/ still a CommonPrefix after its only upload was aborted: %v", prefixes)
		}
	})

	t.Run("CompleteConditional", func(t *testing.T) {
		key := "mpu/exists.bin"
		old := mustPut(t, c, bucket, key, []byte("old object"))
		before := snapshot(t, c, bucket, key)
		m := startMPU(t, c, bucket, key, nil)
		m.put(1, randBytes(2048), "")
		in := m.completeInput(m.list())
		in.IfNoneMatch = aws.String("*")
		_, err := m.complete(in)
		wantErr(t, "CompleteMultipartUpload If-None-Match: * over an existing key", err, 412, "PreconditionFailed")
		assertUnchanged(t, "after a refused If-None-Match completion", c, bucket, key, before)

		m2 := startMPU(t, c, bucket, key, nil)
		m2.put(1, randBytes(2048), "")
		in = m2.completeInput(m2.list())
		in.IfMatch = aws.String(`"0123456789abcdef0123456789abcdef"`)
		_, err = m2.complete(in)
		wantErr(t, "CompleteMultipartUpload If-Match with a wrong ETag", err, 412, "PreconditionFailed")
		assertUnchanged(t, "after a refused If-Match completion", c, bucket, key, before)

		m3 := startMPU(t, c, bucket, key, nil)
		body := randBytes(3000)
		m3.put(1, body, "")
		in = m3.completeInput(m3.list())
		in.IfMatch = old.ETag
		m3.mustComplete(in)
		assertBytes(t, "CompleteMultipartUpload If-Match with the current ETag", c, bucket, key, body)

		m4 := startMPU(t, c, bucket, "mpu/fresh-inm.bin", nil)
		body4 := randBytes(10)
		m4.put(1, body4, "")
		in = m4.completeInput(m4.list())
		in.IfNoneMatch = aws.String("*")
		m4.mustComplete(in)
		assertBytes(t, "CompleteMultipartUpload If-None-Match: * on a new key", c, bucket, "mpu/fresh-inm.bin", body4)
		_ = m.abort()
		_ = m2.abort()
	})

	t.Run("ChecksumFullObjectCRC32", func(t *testing.T) {
		key := "cks/full-crc32.bin"
		p1, p2, p3 := randBytes(5*mib), randBytes(5*mib), randBytes(777)
		all := concat(p1, p2, p3)
		full := b64u32(crc32Of(all))
		m := startMPU(t, c, bucket, key, &s3.CreateMultipartUploadInput{ChecksumAlgorithm: types.ChecksumAlgorithmCrc32, ChecksumType: types.ChecksumTypeFullObject})
		for i, p := range [][]byte{p1, p2, p3} {
			out := m.put(int32(i+1), p, types.ChecksumAlgorithmCrc32)
			if got := aws.ToString(out.ChecksumCRC32); got != b64u32(crc32Of(p)) {
				t.Errorf("UploadPart %d x-amz-checksum-crc32 %q, want %q", i+1, got, b64u32(crc32Of(p)))
			}
		}
		// A part whose checksum does not match its bytes is refused and not stored.
		_, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(m.id), PartNumber: aws.Int32(4),
			Body: bytes.NewReader([]byte("four")), ChecksumCRC32: aws.String(b64u32(crc32Of([]byte("not four"))))})
		wantErr(t, "UploadPart with a wrong x-amz-checksum-crc32", err, 400, "BadDigest")
		if got := partNumbers(t, c, bucket, key, m.id); fmt.Sprint(got) != "[1 2 3]" {
			t.Errorf("after a refused UploadPart: parts %v, want [1 2 3]", got)
		}
		// A wrong full-object checksum at completion is refused.
		in := m.completeInput(m.list())
		in.ChecksumType = types.ChecksumTypeFullObject
		in.ChecksumCRC32 = aws.String(b64u32(crc32Of(all) ^ 1))
		_, err = m.complete(in)
		wantErr(t, "CompleteMultipartUpload with a wrong full-object x-amz-checksum-crc32", err, 400, "BadDigest")
		assertAbsent(t, "after a refused completion (bad checksum)", c, bucket, key)

		in.ChecksumCRC32 = aws.String(full)
		out := m.mustComplete(in)
		if aws.ToString(out.ChecksumCRC32) != full || out.ChecksumType != types.ChecksumTypeFullObject {
			t.Errorf("CompleteMultipartUpload: ChecksumCRC32 %q type %q, want %q FULL_OBJECT", aws.ToString(out.ChecksumCRC32), out.ChecksumType, full)
		}
		get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
		noErr(t, "GetObject checksum mode", err)
		got, err := io.ReadAll(get.Body)
		get.Body.Close()
		if err != nil {
			t.Fatalf("GetObject body (SDK CRC32 validation): %v", err)
		}
		if !bytes.Equal(got, all) {
			t.Errorf("full-object CRC32 upload: body differs")
		}
		if aws.ToString(get.ChecksumCRC32) != full || get.ChecksumType != types.ChecksumTypeFullObject {
			t.Errorf("GetObject: x-amz-checksum-crc32 %q type %q, want %q FULL_OBJECT", aws.ToString(get.ChecksumCRC32), get.ChecksumType, full)
		}
		if vm, ok := s3.GetChecksumValidationMetadata(get.ResultMetadata); !ok || !contains(vm.AlgorithmsUsed, "CRC32") {
			t.Errorf("the SDK did not validate a CRC32 on GetObject (validation metadata %+v, %v)", vm, ok)
		}
		head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
		noErr(t, "HeadObject checksum mode", err)
		if aws.ToString(head.ChecksumCRC32) != full || head.ChecksumType != types.ChecksumTypeFullObject {
			t.Errorf("HeadObject: x-amz-checksum-crc32 %q type %q, want %q FULL_OBJECT", aws.ToString(head.ChecksumCRC32), head.ChecksumType, full)
		}
	})

	t.Run("ChecksumFullObjectWithoutValue", func(t *testing.T) {
		// FULL_OBJECT without a whole-object value at completion: the server
		// combines the part CRCs.
		key := "cks/full-crc32-noval.bin"
		p1, p2 := randBytes(5*mib), randBytes(12345)
		m := startMPU(t, c, bucket, key, &s3.CreateMultipartUploadInput{ChecksumAlgorithm: types.ChecksumAlgorithmCrc32, ChecksumType: types.ChecksumTypeFullObject})
		m.put(1, p1, types.ChecksumAlgorithmCrc32)
		m.put(2, p2, types.ChecksumAlgorithmCrc32)
		out := m.mustComplete(nil)
		full := b64u32(crc32Of(concat(p1, p2)))
		if aws.ToString(out.ChecksumCRC32) != full {
			t.Errorf("CompleteMultipartUpload ChecksumCRC32 %q, want the combined %q", aws.ToString(out.ChecksumCRC32), full)
		}
		st := snapshot(t, c, bucket, key) // the SDK validates the CRC32 while reading
		if st.CRC32 != full || st.SHA != sha(concat(p1, p2)) {
			t.Errorf("object: %s, want crc32 %s", st, full)
		}
	})

	t.Run("ChecksumCompositeSHA256", func(t *testing.T) {
		key := "cks/composite-sha256.bin"
		p1, p2, p3 := randBytes(5*mib), randBytes(5*mib), randBytes(4096)
		m := startMPU(t, c, bucket, key, &s3.CreateMultipartUploadInput{ChecksumAlgorithm: types.ChecksumAlgorithmSha256, ChecksumType: types.ChecksumTypeComposite})
		for i, p := range [][]byte{p1, p2, p3} {
			out := m.put(int32(i+1), p, types.ChecksumAlgorithmSha256)
			if got := aws.ToString(out.ChecksumSHA256); got != sha256B64(p) {
				t.Errorf("UploadPart %d x-amz-checksum-sha256 %q, want %q", i+1, got, sha256B64(p))
			}
		}
		lp, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(m.id)})
		noErr(t, "ListParts", err)
		if lp.ChecksumAlgorithm != types.ChecksumAlgorithmSha256 {
			t.Errorf("ListParts ChecksumAlgorithm %q, want SHA256", lp.ChecksumAlgorithm)
		}
		for _, pt := range lp.Parts {
			n := aws.ToInt32(pt.PartNumber)
			if aws.ToString(pt.ChecksumSHA256) != aws.ToString(m.parts[n].ChecksumSHA256) {
				t.Errorf("ListParts part %d ChecksumSHA256 %q, want %q", n, aws.ToString(pt.ChecksumSHA256), aws.ToString(m.parts[n].ChecksumSHA256))
			}
		}
		want := compositeSHA256(p1, p2, p3)
		out := m.mustComplete(nil)
		if aws.ToString(out.ChecksumSHA256) != want || out.ChecksumType != types.ChecksumTypeComposite {
			t.Errorf("CompleteMultipartUpload: ChecksumSHA256 %q type %q, want %q COMPOSITE", aws.ToString(out.ChecksumSHA256), out.ChecksumType, want)
		}
		if !strings.HasSuffix(aws.ToString(out.ChecksumSHA256), "-3") {
			t.Errorf("composite checksum %q lacks the -3 suffix", aws.ToString(out.ChecksumSHA256))
		}
		get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
		noErr(t, "GetObject", err)
		got, err := io.ReadAll(get.Body)
		get.Body.Close()
		if err != nil {
			t.Fatalf("GetObject body: %v", err)
		}
		if !bytes.Equal(got, concat(p1, p2, p3)) {
			t.Errorf("composite SHA256 object: body differs")
		}
		if aws.ToString(get.ChecksumSHA256) != want || get.ChecksumType != types.ChecksumTypeComposite {
			t.Errorf("GetObject: x-amz-checksum-sha256 %q type %q, want %q COMPOSITE", aws.ToString(get.ChecksumSHA256), get.ChecksumType, want)
		}
		attrs, err := c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: aws.String(bucket), Key: aws.String(key),
			ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesChecksum, types.ObjectAttributesObjectParts}})
		noErr(t, "GetObjectAttributes", err)
		if attrs.Checksum == nil || aws.ToString(attrs.Checksum.ChecksumSHA256) != want || attrs.Checksum.ChecksumType != types.ChecksumTypeComposite {
			t.Errorf("GetObjectAttributes Checksum %+v, want SHA256 %q COMPOSITE", attrs.Checksum, want)
		}
		if attrs.ObjectParts == nil || len(attrs.ObjectParts.Parts) != 3 {
			t.Errorf("GetObjectAttributes ObjectParts: %+v, want 3 parts", attrs.ObjectParts)
		} else {
			for i, pt := range attrs.ObjectParts.Parts {
				if aws.ToString(pt.ChecksumSHA256) != sha256B64([][]byte{p1, p2, p3}[i]) {
					t.Errorf("GetObjectAttributes part %d ChecksumSHA256 %q", i+1, aws.ToString(pt.ChecksumSHA256))
				}
			}
		}
		// partNumber GET with checksum mode: any checksum returned must be the part's own.
		pg, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), PartNumber: aws.Int32(3), ChecksumMode: types.ChecksumModeEnabled})
		noErr(t, "GetObject partNumber=3", err)
		pb, err := io.ReadAll(pg.Body)
		pg.Body.Close()
		if err != nil {
			t.Errorf("GetObject partNumber=3 body (SDK validation of the returned checksum): %v", err)
		}
		if !bytes.Equal(pb, p3) {
			t.Errorf("GetObject partNumber=3 returned %d bytes, want part 3 (%d)", len(pb), len(p3))
		}
		if v := aws.ToString(pg.ChecksumSHA256); v != "" && v != sha256B64(p3) {
			t.Errorf("GetObject partNumber=3 x-amz-checksum-sha256 %q: neither absent nor part 3's %q", v, sha256B64(p3))
		}
	})

	t.Run("SDKDefaultChecksumFlow", func(t *testing.T) {
		// No algorithm on Create; the SDK adds CRC32 to each UploadPart of a
		// directory bucket and echoes the part CRCs in Complete.
		key := "cks/sdk-default.bin"
		p1, p2 := randBytes(5*mib), randBytes(100*1024)
		m := startMPU(t, c, bucket, key, nil)
		w.Reset()
		o1 := m.put(1, p1, "")
		m.put(2, p2, "")
		// Over http the SDK sends x-amz-checksum-crc32; over https an
		// aws-chunked trailer (wire reference §2a). Either way the server
		// echoes the part's CRC32.
		sentCRC := false
		for _, e := range w.Entries() {
			if e.Method == "PUT" && strings.Contains(e.RawQuery, "partNumber=1") {
				sentCRC = e.ReqHeader.Get("x-amz-checksum-crc32") != "" || strings.Contains(strings.ToLower(e.ReqHeader.Get("x-amz-trailer")), "x-amz-checksum-crc32")
			}
		}
		if !sentCRC {
			t.Logf("note: the SDK sent no CRC32 (header or trailer) on UploadPart\n%s", w.Dump())
		} else if aws.ToString(o1.ChecksumCRC32) != b64u32(crc32Of(p1)) {
			t.Errorf("UploadPart response x-amz-checksum-crc32 %q, want the part's CRC32 %q", aws.ToString(o1.ChecksumCRC32), b64u32(crc32Of(p1)))
		}
		m.mustComplete(nil)
		st := snapshot(t, c, bucket, key) // SDK validates whatever checksum the server returns
		if st.SHA != sha(concat(p1, p2)) {
			t.Errorf("SDK default flow: object differs: %s", st)
		}
	})
}

// TestMultipartListing: ListMultipartUploads paging/prefix/delimiter,
// in-progress uploads in delimited ListObjectsV2, and DeleteBucket while an
// upload exists (reference §2.1, §5.1, §5.5, §6.7).
func TestMultipartListing(t *testing.T) {
	t.Parallel()
	var needles []string
	srv := sharedServer(t, &needles)
	c, _ := newClient(t, srv)
	ctx := ctxT(t, 2*time.Minute)
	bucket := mustCreateBucket(t, c, "mpulist")
	needles = append(needles, bucket)
	logErrorAnswers(t, srv, bucket)

	keys := []string{"a/1", "a/1", "a/2", "a/b/3", "c/4", "top5"}
	uploads := map[string]*mpu{} // upload id -> upload
	for _, k := range keys {
		m := startMPU(t, c, bucket, k, nil)
		uploads[m.id] = m
	}
	if len(uploads) != len(keys) {
		t.Fatalf("upload ids not unique: %d ids for %d uploads", len(uploads), len(keys))
	}

	type seenUpload struct{ key, id string }
	listAll := func(what string, in s3.ListMultipartUploadsInput, pageMax int) (ups []seenUpload, prefixes []string) {
		t.Helper()
		in.Bucket = aws.String(bucket)
		if pageMax > 0 {
			in.MaxUploads = aws.Int32(int32(pageMax))
		}
		for page := 0; page < 20; page++ {
			out, err := c.ListMultipartUploads(ctx, &in)
			if err != nil {
				t.Fatalf("%s: ListMultipartUploads page %d: %s", what, page, describeErr(err))
			}
			if pageMax > 0 && len(out.Uploads)+len(out.CommonPrefixes) > pageMax {
				t.Errorf("%s: page %d has %d uploads + %d prefixes, max-uploads %d", what, page, len(out.Uploads), len(out.CommonPrefixes), pageMax)
			}
			if v := aws.ToString(out.NextUploadIdMarker); v != "" {
				t.Errorf("%s: NextUploadIdMarker %q returned (directory buckets never return it)", what, v)
			}
			for _, u := range out.Uploads {
				ups = append(ups, seenUpload{aws.ToString(u.Key), aws.ToString(u.UploadId)})
				if u.StorageClass != "" && u.StorageClass != types.StorageClassExpressOnezone {
					t.Errorf("%s: upload StorageClass %q", what, u.StorageClass)
				}
				if u.Initiated == nil {
					t.Errorf("%s: upload %s without Initiated", what, aws.ToString(u.UploadId))
				}
			}
			for _, p := range out.CommonPrefixes {
				prefixes = append(prefixes, aws.ToString(p.Prefix))
			}
			if !aws.ToBool(out.IsTruncated) {
				return
			}
			if aws.ToString(out.NextKeyMarker) == "" {
				t.Fatalf("%s: IsTruncated without NextKeyMarker", what)
			}
			in.KeyMarker = out.NextKeyMarker
		}
		t.Fatalf("%s: more than 20 pages", what)
		return
	}
	check := func(what string, ups []seenUpload, prefixes []string, wantKeys []string, wantPrefixes []string) {
		t.Helper()
		ids := map[string]bool{}
		var gotKeys []string
		for _, u := range ups {
			if ids[u.id] {
				t.Errorf("%s: upload %s listed twice", what, u.id)
			}
			ids[u.id] = true
			m, ok := uploads[u.id]
			if !ok {
				t.Errorf("%s: unknown upload %s (key %s)", what, u.id, u.key)
				continue
			}
			if m.key != u.key {
				t.Errorf("%s: upload %s listed with key %q, created for %q", what, u.id, u.key, m.key)
			}
			gotKeys = append(gotKeys, u.key)
		}
		sort.Strings(gotKeys)
		sort.Strings(prefixes)
		if strings.Join(gotKeys, ",") != strings.Join(wantKeys, ",") {
			t.Errorf("%s: upload keys %v, want %v", what, gotKeys, wantKeys)
		}
		if strings.Join(prefixes, ",") != strings.Join(wantPrefixes, ",") {
			t.Errorf("%s: CommonPrefixes %v, want %v", what, prefixes, wantPrefixes)
		}
	}

	all := append([]string(nil), keys...)
	sort.Strings(all)
	ups, pf := listAll("no paging", s3.ListMultipartUploadsInput{}, 0)
	check("ListMultipartUploads", ups, pf, all, nil)
	ups, pf = listAll("max-uploads=2", s3.ListMultipartUploadsInput{}, 2)
	check("ListMultipartUploads max-uploads=2 with opaque key-marker paging", ups, pf, all, nil)
	ups, pf = listAll("max-uploads=1", s3.ListMultipartUploadsInput{}, 1)
	check("ListMultipartUploads max-uploads=1", ups, pf, all, nil)
	ups, pf = listAll("prefix a/", s3.ListMultipartUploadsInput{Prefix: aws.String("a/")}, 0)
	check("ListMultipartUploads prefix=a/", ups, pf, []string{"a/1", "a/1", "a/2", "a/b/3"}, nil)
	ups, pf = listAll("prefix a/ delimiter /", s3.ListMultipartUploadsInput{Prefix: aws.String("a/"), Delimiter: aws.String("/")}, 0)
	check("ListMultipartUploads prefix=a/ delimiter=/", ups, pf, []string{"a/1", "a/1", "a/2"}, []string{"a/b/"})
	ups, pf = listAll("delimiter /", s3.ListMultipartUploadsInput{Delimiter: aws.String("/")}, 0)
	check("ListMultipartUploads delimiter=/", ups, pf, []string{"top5"}, []string{"a/", "c/"})
	ups, pf = listAll("delimiter / paged", s3.ListMultipartUploadsInput{Delimiter: aws.String("/")}, 1)
	check("ListMultipartUploads delimiter=/ max-uploads=1", ups, pf, []string{"top5"}, []string{"a/", "c/"})

	// The prefix must end in "/" (reference §2.1, §5.5).
	_, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket), Prefix: aws.String("a")})
	wantErr(t, "ListMultipartUploads with a prefix not ending in /", err, 400)

	// In-progress uploads make their directories visible (no object exists).
	objs, prefixes := listObjectsDelim(t, c, bucket, "")
	if len(objs) != 0 || strings.Join(prefixes, ",") != "a/,c/" {
		t.Errorf("ListObjectsV2 delimiter=/ with only in-progress uploads: Contents %v CommonPrefixes %v, want [] and [a/ c/]", objs, prefixes)
	}
	objs, prefixes = listObjectsDelim(t, c, bucket, "a/")
	if len(objs) != 0 || strings.Join(prefixes, ",") != "a/b/" {
		t.Errorf("ListObjectsV2 prefix=a/ delimiter=/: Contents %v CommonPrefixes %v, want [] and [a/b/]", objs, prefixes)
	}

	// DeleteBucket is refused while uploads exist.
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
	wantErr(t, "DeleteBucket with in-progress multipart uploads", err, 409, "BucketNotEmpty")
	_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	noErr(t, "HeadBucket after a refused DeleteBucket", err)

	// Aborting the only upload under c/ removes the c/ prefix.
	for id, m := range uploads {
		if m.key == "c/4" {
			if err := m.abort(); err != nil {
				t.Fatalf("AbortMultipartUpload c/4: %s", describeErr(err))
			}
			delete(uploads, id)
		}
	}
	_, prefixes = listObjectsDelim(t, c, bucket, "")
	if strings.Join(prefixes, ",") != "a/" {
		t.Errorf("after aborting c/4: CommonPrefixes %v, want [a/]", prefixes)
	}
	ups, pf = listAll("after abort", s3.ListMultipartUploadsInput{Delimiter: aws.String("/")}, 0)
	check("ListMultipartUploads delimiter=/ after abort", ups, pf, []string{"top5"}, []string{"a/"})

	// An object next to an upload: the prefix stays while either exists.
	mustPut(t, c, bucket, "a/b/obj", []byte("x"))
	for id, m := range uploads {
		if m.key == "a/b/3" {
			if err := m.abort(); err != nil {
				t.Fatalf("abort a/b/3: %s", describeErr(err))
			}
			delete(uploads, id)
		}
	}
	objs, prefixes = listObjectsDelim(t, c, bucket, "a/b/")
	if strings.Join(objs, ",") != "a/b/obj" || len(prefixes) != 0 {
		t.Errorf("prefix a/b/ after aborting a/b/3: Contents %v CommonPrefixes %v, want [a/b/obj] []", objs, prefixes)
	}
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("a/b/obj")})
	noErr(t, "DeleteObject a/b/obj", err)

	for id, m := range uploads {
		if err := m.abort(); err != nil {
			t.Errorf("AbortMultipartUpload %s: %s", m.key, describeErr(err))
		}
		delete(uploads, id)
	}
	objs, prefixes = listObjectsDelim(t, c, bucket, "")
	if len(objs) != 0 || len(prefixes) != 0 {
		t.Errorf("after aborting every upload: Contents %v CommonPrefixes %v, want nothing", objs, prefixes)
	}
	ups, pf = listAll("empty", s3.ListMultipartUploadsInput{}, 0)
	check("ListMultipartUploads after aborting everything", ups, pf, nil, nil)
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
	noErr(t, "DeleteBucket once every upload is aborted", err)
}
