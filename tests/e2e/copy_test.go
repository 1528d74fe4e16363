package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestCopyObject: CopyObject within and across buckets, metadata directive,
// copy-source conditions, errors, and blob sharing (reference §2.1 CopyObject,
// §3.8; wire reference §2a: the SDK signs CopyObject with the long-term key).
func TestCopyObject(t *testing.T) {
	t.Parallel()
	var needles []string
	srv := sharedServer(t, &needles)
	c, w := newClient(t, srv)
	ctx := ctxT(t, 2*time.Minute)
	bA := mustCreateBucket(t, c, "copy-a")
	bB := mustCreateBucket(t, c, "copy-b")
	needles = append(needles, bA, bB)
	logErrorAnswers(t, srv, bA, bB)

	srcBody := []byte("source object body for copies\n")
	src, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(bA), Key: aws.String("src/obj.txt"), Body: bytes.NewReader(srcBody),
		ContentType: aws.String("text/x-source"), CacheControl: aws.String("no-cache"),
		Metadata: map[string]string{"color": "red", "size": "small"},
	})
	noErr(t, "PutObject source", err)
	copySrc := bA + "/src/obj.txt"

	checkCopy := func(what, bucket, key string, wantBody []byte, wantCT string, wantMeta map[string]string, res *s3.CopyObjectOutput) {
		t.Helper()
		st := snapshot(t, c, bucket, key)
		if !st.Exists || st.SHA != sha(wantBody) {
			t.Errorf("%s: destination %s/%s = %s, want %d bytes", what, bucket, key, st, len(wantBody))
			return
		}
		if st.ContentType != wantCT {
			t.Errorf("%s: Content-Type %q, want %q", what, st.ContentType, wantCT)
		}
		if fmt.Sprint(sortedMeta(st.Metadata)) != fmt.Sprint(sortedMeta(wantMeta)) {
			t.Errorf("%s: metadata %v, want %v", what, st.Metadata, wantMeta)
		}
		if res != nil {
			if res.CopyObjectResult == nil || aws.ToString(res.CopyObjectResult.ETag) == "" || res.CopyObjectResult.LastModified == nil {
				t.Errorf("%s: CopyObjectResult incomplete: %+v", what, res.CopyObjectResult)
			} else if aws.ToString(res.CopyObjectResult.ETag) != st.ETag {
				t.Errorf("%s: CopyObjectResult ETag %s, GetObject ETag %s", what, aws.ToString(res.CopyObjectResult.ETag), st.ETag)
			}
		}
	}

	t.Run("WithinBucketCopyDirective", func(t *testing.T) {
		w.Reset()
		res, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bA), Key: aws.String("dst/copy1.txt"), CopySource: aws.String(copySrc)})
		noErr(t, "CopyObject within a bucket", err)
		checkCopy("CopyObject (default COPY directive)", bA, "dst/copy1.txt", srcBody, "text/x-source", map[string]string{"color": "red", "size": "small"}, res)
		// The wire shows the SDK signed it with the long-term key, no session token.
		for _, e := range w.Entries() {
			if e.Method == http.MethodPut && e.ReqHeader.Get("x-amz-copy-source") != "" {
				if e.SessionToken != "" || e.AccessKey() != srv.AccessKey {
					t.Errorf("test premise: CopyObject not signed with the long-term key: %s", e)
				}
			}
		}
		res, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bA), Key: aws.String("dst/copy2.txt"), CopySource: aws.String(copySrc), MetadataDirective: types.MetadataDirectiveCopy})
		noErr(t, "CopyObject MetadataDirective COPY", err)
		checkCopy("CopyObject MetadataDirective COPY", bA, "dst/copy2.txt", srcBody, "text/x-source", map[string]string{"color": "red", "size": "small"}, res)
		// COPY ignores metadata given on the request.
		res, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bA), Key: aws.String("dst/copy3.txt"), CopySource: aws.String(copySrc),
			Metadata: map[string]string{"ignored": "yes"}})
		noErr(t, "CopyObject with metadata but no directive", err)
		checkCopy("CopyObject COPY with request metadata", bA, "dst/copy3.txt", srcBody, "text/x-source", map[string]string{"color": "red", "size": "small"}, res)
	})

	t.Run("AcrossBuckets", func(t *testing.T) {
		res, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bB), Key: aws.String("from-a/obj.txt"), CopySource: aws.String(copySrc)})
		noErr(t, "CopyObject across buckets", err)
		checkCopy("CopyObject across buckets", bB, "from-a/obj.txt", srcBody, "text/x-source", map[string]string{"color": "red", "size": "small"}, res)
		// Also the URL-encoded form of the source.
		res, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bB), Key: aws.String("from-a/obj2.txt"), CopySource: aws.String(bA + "/src%2Fobj.txt")})
		noErr(t, "CopyObject with a URL-encoded x-amz-copy-source", err)
		checkCopy("CopyObject URL-encoded source", bB, "from-a/obj2.txt", srcBody, "text/x-source", map[string]string{"color": "red", "size": "small"}, res)
		assertBytes(t, "source after a cross-bucket copy", c, bA, "src/obj.txt", srcBody)
	})

	t.Run("ReplaceDirective", func(t *testing.T) {
		res, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bA), Key: aws.String("dst/replaced.txt"), CopySource: aws.String(copySrc),
			MetadataDirective: types.MetadataDirectiveReplace, ContentType: aws.String("application/x-new"), Metadata: map[string]string{"shape": "round"}})
		noErr(t, "CopyObject MetadataDirective REPLACE", err)
		checkCopy("CopyObject REPLACE", bA, "dst/replaced.txt", srcBody, "application/x-new", map[string]string{"shape": "round"}, res)
		head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bA), Key: aws.String("dst/replaced.txt")})
		noErr(t, "HeadObject", err)
		if aws.ToString(head.CacheControl) != "" {
			t.Errorf("REPLACE kept the source's Cache-Control %q", aws.ToString(head.CacheControl))
		}
	})

	t.Run("CopySourceConditions", func(t *testing.T) {
		dst := "dst/cond.txt"
		mustPut(t, c, bA, dst, []byte("destination before"))
		before := snapshot(t, c, bA, dst)
		wrong := aws.String(`"0123456789abcdef0123456789abcdef"`)
		_, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bA), Key: aws.String(dst), CopySource: aws.String(copySrc), CopySourceIfMatch: wrong})
		wantErr(t, "CopyObject x-amz-copy-source-if-match mismatch", err, 412, "PreconditionFailed")
		assertUnchanged(t, "after a refused copy (if-match)", c, bA, dst, before)
		_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bA), Key: aws.String(dst), CopySource: aws.String(copySrc), CopySourceIfNoneMatch: src.ETag})
		wantErr(t, "CopyObject x-amz-copy-source-if-none-match = source ETag", err, 412, "PreconditionFailed")
		assertUnchanged(t, "after a refused copy (if-none-match)", c, bA, dst, before)
		_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bA), Key: aws.String(dst), CopySource: aws.String(copySrc), CopySourceIfUnmodifiedSince: aws.Time(time.Now().Add(-24 * time.Hour))})
		wantErr(t, "CopyObject x-amz-copy-source-if-unmodified-since yesterday", err, 412, "PreconditionFailed")
		assertUnchanged(t, "after a refused copy (if-unmodified-since)", c, bA, dst, before)
		_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bA), Key: aws.String("dst/cond-new.txt"), CopySource: aws.String(copySrc), CopySourceIfMatch: wrong})
		wantErr(t, "CopyObject if-match mismatch to a new key", err, 412, "PreconditionFailed")
		assertAbsent(t, "after a refused copy to a new key", c, bA, "dst/cond-new.txt")
		res, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bA), Key: aws.String(dst), CopySource: aws.String(copySrc), CopySourceIfMatch: src.ETag})
		noErr(t, "CopyObject x-amz-copy-source-if-match = source ETag", err)
		checkCopy("CopyObject if-match matching", bA, dst, srcBody, "text/x-source", map[string]string{"color": "red", "size": "small"}, res)
	})

	t.Run("MissingSource", func(t *testing.T) {
		_, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bA), Key: aws.String("dst/from-missing.txt"), CopySource: aws.String(bA + "/src/missing.txt")})
		wantErr(t, "CopyObject of a missing source", err, 404, "NoSuchKey")
		assertAbsent(t, "after copying a missing source", c, bA, "dst/from-missing.txt")
	})

	t.Run("SelfCopy", func(t *testing.T) {
		key := "self/obj.txt"
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bA), Key: aws.String(key), Body: strings.NewReader("self"), Metadata: map[string]string{"v": "1"}})
		noErr(t, "PutObject", err)
		before := snapshot(t, c, bA, key)
		_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bA), Key: aws.String(key), CopySource: aws.String(bA + "/" + key)})
		wantErr(t, "CopyObject onto itself without REPLACE", err, 400, "InvalidRequest")
		assertUnchanged(t, "after a refused self-copy", c, bA, key, before)
		res, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bA), Key: aws.String(key), CopySource: aws.String(bA + "/" + key),
			MetadataDirective: types.MetadataDirectiveReplace, Metadata: map[string]string{"v": "2"}, ContentType: aws.String("text/plain")})
		noErr(t, "CopyObject onto itself with REPLACE", err)
		checkCopy("self-copy with REPLACE", bA, key, []byte("self"), "text/plain", map[string]string{"v": "2"}, res)
	})

	t.Run("LargeSharedBlob", func(t *testing.T) {
		big := randBytes(3 * mib)
		mustPut(t, c, bA, "big/src.bin", big)
		_, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bA), Key: aws.String("big/copy.bin"), CopySource: aws.String(bA + "/big/src.bin")})
		noErr(t, "CopyObject 3 MiB", err)
		_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bB), Key: aws.String("big/copy.bin"), CopySource: aws.String(bA + "/big/src.bin")})
		noErr(t, "CopyObject 3 MiB across buckets", err)
		assertBytes(t, "3 MiB copy", c, bA, "big/copy.bin", big)
		assertBytes(t, "3 MiB cross-bucket copy", c, bB, "big/copy.bin", big)
		mustPut(t, c, bA, "big/src.bin", randBytes(3*mib))
		assertBytes(t, "copy after the source was overwritten", c, bA, "big/copy.bin", big)
		_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bA), Key: aws.String("big/src.bin")})
		noErr(t, "DeleteObject source", err)
		assertBytes(t, "copy after the source was deleted", c, bA, "big/copy.bin", big)
		_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bA), Key: aws.String("big/copy.bin")})
		noErr(t, "DeleteObject first copy", err)
		assertBytes(t, "cross-bucket copy after source and first copy were deleted", c, bB, "big/copy.bin", big)
	})
}

// TestUploadPartCopy: parts copied from ranges of a 12 MiB source (reference
// §2.1 UploadPartCopy).
func TestUploadPartCopy(t *testing.T) {
	t.Parallel()
	var needles []string
	srv := sharedServer(t, &needles)
	c, _ := newClient(t, srv)
	ctx := ctxT(t, 2*time.Minute)
	bucket := mustCreateBucket(t, c, "partcopy")
	needles = append(needles, bucket)
	logErrorAnswers(t, srv, bucket)

	src := randBytes(12 * mib)
	put := mustPut(t, c, bucket, "src/12mib.bin", src)
	copySrc := bucket + "/src/12mib.bin"
	key := "dst/assembled.bin"
	m := startMPU(t, c, bucket, key, nil)

	ranges := []struct{ first, last int }{
		{0, 5*mib - 1},
		{5 * mib, 10*mib - 1},
		{12*mib - 1000, 12*mib - 1},
	}
	var want []byte
	for i, r := range ranges {
		n := int32(i + 1)
		out, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(m.id), PartNumber: aws.Int32(n),
			CopySource: aws.String(copySrc), CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", r.first, r.last))})
		if err != nil {
			t.Fatalf("UploadPartCopy part %d range %d-%d: %s", n, r.first, r.last, describeErr(err))
		}
		if out.CopyPartResult == nil || aws.ToString(out.CopyPartResult.ETag) == "" {
			t.Fatalf("UploadPartCopy part %d: no CopyPartResult/ETag", n)
		}
		m.parts[n] = types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.CopyPartResult.ETag, ChecksumCRC32: out.CopyPartResult.ChecksumCRC32}
		want = append(want, src[r.first:r.last+1]...)
	}

	// Refused part copies add nothing.
	_, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(m.id), PartNumber: aws.Int32(4),
		CopySource: aws.String(copySrc), CopySourceIfMatch: aws.String(`"0123456789abcdef0123456789abcdef"`)})
	wantErr(t, "UploadPartCopy x-amz-copy-source-if-match mismatch", err, 412, "PreconditionFailed")
	_, err = c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(m.id), PartNumber: aws.Int32(4),
		CopySource: aws.String(bucket + "/src/missing.bin")})
	wantErr(t, "UploadPartCopy from a missing source", err, 404, "NoSuchKey")
	_, err = c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(m.id), PartNumber: aws.Int32(4),
		CopySource: aws.String(copySrc), CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", 12*mib, 12*mib+10))})
	wantErr(t, "UploadPartCopy with a range past the end of the source", err, 0)
	if got := partNumbers(t, c, bucket, key, m.id); fmt.Sprint(got) != "[1 2 3]" {
		t.Errorf("after refused UploadPartCopy requests: parts %v, want [1 2 3]", got)
	}
	// The matching condition works (re-copying part 3 replaces it).
	again, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(m.id), PartNumber: aws.Int32(3),
		CopySource: aws.String(copySrc), CopySourceIfMatch: put.ETag, CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", 12*mib-1000, 12*mib-1))})
	noErr(t, "UploadPartCopy with a matching x-amz-copy-source-if-match", err)
	m.parts[3] = types.CompletedPart{PartNumber: aws.Int32(3), ETag: again.CopyPartResult.ETag, ChecksumCRC32: again.CopyPartResult.ChecksumCRC32}

	out := m.mustComplete(nil)
	if aws.ToString(out.ETag) == "" {
		t.Errorf("CompleteMultipartUpload: no ETag")
	}
	assertBytes(t, "object assembled from UploadPartCopy ranges", c, bucket, key, want)
	assertBytes(t, "source after UploadPartCopy", c, bucket, "src/12mib.bin", src)
	// The assembled object outlives its source.
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("src/12mib.bin")})
	noErr(t, "DeleteObject source", err)
	assertBytes(t, "assembled object after its source was deleted", c, bucket, key, want)
}

// TestSharedBlobsSurviveGC: objects that share blobs with a deleted or
// overwritten object (copies, renames, multipart objects) are still readable
// after the server's blob collector has run (GC delay 30 s + 10 s interval).
// Runs on its own server with debug logging so it can wait for the collector.
func TestSharedBlobsSurviveGC(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the blob collector (~45 s)")
	}
	t.Parallel()
	args := []string{"--log-level", "debug"}
	if pgServer != nil {
		// On a shared catalog the collector waits 15 min (a GET may be
		// served by another node); 30 s lets it run within the test, on
		// whichever node, over blobs that other nodes wrote.
		args = append(args, "--gc-delay", "30s")
	}
	srv := startServer(t, serverOpts{ExtraArgs: args})
	c, _ := newClient(t, srv)
	ctx := ctxT(t, 3*time.Minute)
	bucket := mustCreateBucket(t, c, "gc")

	big := randBytes(3 * mib)
	mustPut(t, c, bucket, "gc/src.bin", big)
	_, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("gc/copy.bin"), CopySource: aws.String(bucket + "/gc/src.bin")})
	noErr(t, "CopyObject", err)
	mustPut(t, c, bucket, "gc/src.bin", randBytes(3*mib)) // old blob now only referenced by the copy
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("gc/src.bin")})
	noErr(t, "DeleteObject", err)

	big2 := randBytes(3 * mib)
	mustPut(t, c, bucket, "gc/ren-src.bin", big2)
	_, err = c.RenameObject(ctx, &s3.RenameObjectInput{Bucket: aws.String(bucket), Key: aws.String("gc/renamed.bin"), RenameSource: aws.String(bucket + "/gc/ren-src.bin")})
	noErr(t, "RenameObject", err)

	src12 := randBytes(6 * mib)
	mustPut(t, c, bucket, "gc/partsrc.bin", src12)
	m := startMPU(t, c, bucket, "gc/assembled.bin", nil)
	cp, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String(bucket), Key: aws.String("gc/assembled.bin"), UploadId: aws.String(m.id), PartNumber: aws.Int32(1),
		CopySource: aws.String(bucket + "/gc/partsrc.bin"), CopySourceRange: aws.String(fmt.Sprintf("bytes=0-%d", 5*mib-1))})
	noErr(t, "UploadPartCopy", err)
	m.parts[1] = types.CompletedPart{PartNumber: aws.Int32(1), ETag: cp.CopyPartResult.ETag}
	tail := randBytes(1000)
	m.put(2, tail, "")
	m.mustComplete(nil)
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("gc/partsrc.bin")})
	noErr(t, "DeleteObject part source", err)

	// Wait for the collector to delete something (the overwritten source
	// blob at least), then read everything back.
	deadline := time.Now().Add(90 * time.Second)
	for srv.LogGrep(1, "blob gc") == "" && time.Now().Before(deadline) {
		time.Sleep(time.Second)
	}
	if srv.LogGrep(1, "blob gc") == "" {
		t.Logf("note: no \"blob gc\" log line within 90 s; checking the objects anyway")
	} else {
		time.Sleep(2 * time.Second)
	}
	assertBytes(t, "copy after GC", c, bucket, "gc/copy.bin", big)
	assertBytes(t, "renamed object after GC", c, bucket, "gc/renamed.bin", big2)
	assertBytes(t, "multipart object made by UploadPartCopy after GC", c, bucket, "gc/assembled.bin", concat(src12[:5*mib], tail))
}
