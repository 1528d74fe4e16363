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

// TestRenameObject: RenameObject through the SDK (reference §2.1
// RenameObject, §6.5, §8).
func TestRenameObject(t *testing.T) {
	t.Parallel()
	var needles []string
	srv := sharedServer(t, &needles)
	c, _ := newClient(t, srv)
	ctx := ctxT(t, 2*time.Minute)
	bucket := mustCreateBucket(t, c, "rename")
	needles = append(needles, bucket)
	logErrorAnswers(t, srv, bucket)

	rename := func(dst, src string, mods ...func(*s3.RenameObjectInput)) error {
		in := &s3.RenameObjectInput{Bucket: aws.String(bucket), Key: aws.String(dst), RenameSource: aws.String(src)}
		for _, f := range mods {
			f(in)
		}
		_, err := c.RenameObject(ctx, in)
		return err
	}
	putMeta := func(key string, body []byte) {
		t.Helper()
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body),
			ContentType: aws.String("text/x-rename"), Metadata: map[string]string{"who": "renamer"}})
		noErr(t, "PutObject "+key, err)
	}
	wrongETag := aws.String(`"0123456789abcdef0123456789abcdef"`)

	t.Run("Moves", func(t *testing.T) {
		body := []byte("rename me, please")
		putMeta("r/src.txt", body)
		before := snapshot(t, c, bucket, "r/src.txt")
		noErr(t, "RenameObject r/src.txt -> r/dst.txt", rename("r/dst.txt", bucket+"/r/src.txt"))
		assertAbsent(t, "source after rename", c, bucket, "r/src.txt")
		after := snapshot(t, c, bucket, "r/dst.txt")
		if !sameState(before, after) {
			t.Errorf("rename must keep bytes, ETag, metadata, checksum and Last-Modified:\n  source was %s\n  dest is    %s", before, after)
		}
		// The directory of the source is gone with it.
		_, prefixes := listObjectsDelim(t, c, bucket, "")
		if !contains(prefixes, "r/") {
			t.Errorf("r/ missing from CommonPrefixes after rename: %v", prefixes)
		}
	})

	t.Run("SourceKeyForms", func(t *testing.T) {
		for i, form := range []string{"%s", "/%s", bucket + "/%s", "/" + bucket + "/%s"} {
			src := fmt.Sprintf("forms/src%d.txt", i)
			dst := fmt.Sprintf("forms/dst%d.txt", i)
			body := []byte("form " + form)
			mustPut(t, c, bucket, src, body)
			rs := fmt.Sprintf(form, src)
			if err := rename(dst, rs); err != nil {
				t.Errorf("RenameObject with x-amz-rename-source %q: %s", rs, describeErr(err))
				continue
			}
			assertAbsent(t, "source after rename ("+rs+")", c, bucket, src)
			assertBytes(t, "destination after rename ("+rs+")", c, bucket, dst, body)
		}
	})

	t.Run("OverwritesDestination", func(t *testing.T) {
		mustPut(t, c, bucket, "ow/dst.txt", []byte("old destination"))
		mustPut(t, c, bucket, "ow/src.txt", []byte("new content"))
		before := snapshot(t, c, bucket, "ow/src.txt")
		noErr(t, "RenameObject over an existing destination", rename("ow/dst.txt", bucket+"/ow/src.txt"))
		if after := snapshot(t, c, bucket, "ow/dst.txt"); !sameState(before, after) {
			t.Errorf("overwritten destination: %s, want the source %s", after, before)
		}
		assertAbsent(t, "source after rename", c, bucket, "ow/src.txt")
	})

	t.Run("DestinationConditions", func(t *testing.T) {
		mustPut(t, c, bucket, "dc/dst.txt", []byte("existing destination"))
		mustPut(t, c, bucket, "dc/src.txt", []byte("source"))
		dBefore := snapshot(t, c, bucket, "dc/dst.txt")
		sBefore := snapshot(t, c, bucket, "dc/src.txt")
		check := func(what string) {
			t.Helper()
			assertUnchanged(t, what+" (destination)", c, bucket, "dc/dst.txt", dBefore)
			assertUnchanged(t, what+" (source)", c, bucket, "dc/src.txt", sBefore)
		}
		err := rename("dc/dst.txt", bucket+"/dc/src.txt", func(in *s3.RenameObjectInput) { in.DestinationIfNoneMatch = aws.String("*") })
		wantErr(t, "RenameObject If-None-Match: * onto an existing destination", err, 412, "PreconditionFailed")
		check("after a refused If-None-Match rename")
		err = rename("dc/dst.txt", bucket+"/dc/src.txt", func(in *s3.RenameObjectInput) { in.DestinationIfMatch = wrongETag })
		wantErr(t, "RenameObject If-Match mismatch on the destination", err, 412, "PreconditionFailed")
		check("after a refused If-Match rename")
		err = rename("dc/dst.txt", bucket+"/dc/src.txt", func(in *s3.RenameObjectInput) {
			in.DestinationIfUnmodifiedSince = aws.Time(time.Now().Add(-24 * time.Hour))
		})
		wantErr(t, "RenameObject If-Unmodified-Since yesterday on the destination", err, 412, "PreconditionFailed")
		check("after a refused If-Unmodified-Since rename")

		// The 412 body names the condition (raw request).
		cr := createSession(t, c, bucket, "")
		r := doRaw(t, srv, rawReq{Method: http.MethodPut, Path: objectPath(bucket, "dc/dst.txt"), Query: "renameObject",
			Header: http.Header{"X-Amz-Rename-Source": {bucket + "/dc/src.txt"}, "If-None-Match": {"*"}}}, sessionSigning(cr))
		wantRaw(t, "raw RenameObject If-None-Match: *", r, 412, "PreconditionFailed")
		if r.Err != nil && r.Err.Condition != "If-None-Match" {
			t.Errorf("raw RenameObject If-None-Match 412: <Condition> %q, want If-None-Match (reference §2.1)", r.Err.Condition)
		}
		check("after a refused raw rename")

		err = rename("dc/dst.txt", bucket+"/dc/src.txt", func(in *s3.RenameObjectInput) { in.DestinationIfMatch = aws.String(dBefore.ETag) })
		noErr(t, "RenameObject If-Match with the destination's ETag", err)
		assertBytes(t, "destination after a conditional rename", c, bucket, "dc/dst.txt", []byte("source"))

		mustPut(t, c, bucket, "dc/src2.txt", []byte("to a new key"))
		err = rename("dc/new.txt", bucket+"/dc/src2.txt", func(in *s3.RenameObjectInput) { in.DestinationIfNoneMatch = aws.String("*") })
		noErr(t, "RenameObject If-None-Match: * to a new key", err)
	})

	t.Run("SourceConditions", func(t *testing.T) {
		mustPut(t, c, bucket, "sc/src.txt", []byte("source"))
		sBefore := snapshot(t, c, bucket, "sc/src.txt")
		err := rename("sc/dst.txt", bucket+"/sc/src.txt", func(in *s3.RenameObjectInput) { in.SourceIfMatch = wrongETag })
		wantErr(t, "RenameObject x-amz-rename-source-if-match mismatch", err, 412, "PreconditionFailed")
		assertUnchanged(t, "source after a refused rename", c, bucket, "sc/src.txt", sBefore)
		assertAbsent(t, "destination after a refused rename", c, bucket, "sc/dst.txt")
		err = rename("sc/dst.txt", bucket+"/sc/src.txt", func(in *s3.RenameObjectInput) { in.SourceIfNoneMatch = aws.String("*") })
		wantErr(t, "RenameObject x-amz-rename-source-if-none-match: *", err, 412, "PreconditionFailed")
		err = rename("sc/dst.txt", bucket+"/sc/src.txt", func(in *s3.RenameObjectInput) { in.SourceIfNoneMatch = aws.String(sBefore.ETag) })
		wantErr(t, "RenameObject x-amz-rename-source-if-none-match = source ETag", err, 412, "PreconditionFailed")
		err = rename("sc/dst.txt", bucket+"/sc/src.txt", func(in *s3.RenameObjectInput) {
			in.SourceIfModifiedSince = aws.Time(time.Now().Add(24 * time.Hour))
		})
		wantErr(t, "RenameObject x-amz-rename-source-if-modified-since tomorrow", err, 412, "PreconditionFailed", "NotModified")
		// Raw: a failed source ETag check is reported with Condition If-Match (reference §2.1).
		cr := createSession(t, c, bucket, "")
		r := doRaw(t, srv, rawReq{Method: http.MethodPut, Path: objectPath(bucket, "sc/dst.txt"), Query: "renameObject",
			Header: http.Header{"X-Amz-Rename-Source": {bucket + "/sc/src.txt"}, "X-Amz-Rename-Source-If-Match": {*wrongETag}}}, sessionSigning(cr))
		wantRaw(t, "raw RenameObject x-amz-rename-source-if-match mismatch", r, 412, "PreconditionFailed")
		if r.Err != nil && r.Err.Condition != "If-Match" {
			t.Errorf("raw RenameObject source If-Match 412: <Condition> %q, want If-Match", r.Err.Condition)
		}
		assertUnchanged(t, "source after refused renames", c, bucket, "sc/src.txt", sBefore)
		assertAbsent(t, "destination after refused renames", c, bucket, "sc/dst.txt")
		noErr(t, "RenameObject with a matching source If-Match", rename("sc/dst.txt", bucket+"/sc/src.txt", func(in *s3.RenameObjectInput) { in.SourceIfMatch = aws.String(sBefore.ETag) }))
	})

	t.Run("MissingSource", func(t *testing.T) {
		err := rename("ms/dst.txt", bucket+"/ms/none.txt")
		wantErr(t, "RenameObject of a missing source", err, 404, "NoSuchKey")
		assertAbsent(t, "destination after renaming a missing source", c, bucket, "ms/dst.txt")
	})

	t.Run("TrailingSlash", func(t *testing.T) {
		mustPut(t, c, bucket, "ts/src.txt", []byte("slash"))
		before := snapshot(t, c, bucket, "ts/src.txt")
		err := rename("ts/folder/", bucket+"/ts/src.txt")
		wantErr(t, "RenameObject to a key ending in /", err, 400)
		assertUnchanged(t, "source after a refused rename", c, bucket, "ts/src.txt", before)
		err = rename("ts/dst.txt", bucket+"/ts/")
		wantErr(t, "RenameObject from a key ending in /", err, 400)
		assertAbsent(t, "destination after a refused rename", c, bucket, "ts/dst.txt")
		_, prefixes := listObjectsDelim(t, c, bucket, "ts/")
		if len(prefixes) != 0 {
			t.Errorf("refused rename left prefixes %v under ts/", prefixes)
		}
	})

	t.Run("KeyTooLong", func(t *testing.T) {
		mustPut(t, c, bucket, "kl/src.txt", []byte("long"))
		before := snapshot(t, c, bucket, "kl/src.txt")
		long := "kl/" + strings.Repeat("k", 1022) // 1025 bytes
		err := rename(long, bucket+"/kl/src.txt")
		wantErr(t, "RenameObject to a 1025-byte key", err, 400, "KeyTooLong")
		assertUnchanged(t, "source after a refused rename", c, bucket, "kl/src.txt", before)
		ok := "kl/" + strings.Repeat("k", 1021) // 1024 bytes
		noErr(t, "RenameObject to a 1024-byte key", rename(ok, bucket+"/kl/src.txt"))
		assertBytes(t, "1024-byte destination", c, bucket, ok, []byte("long"))
	})

	t.Run("Idempotency", func(t *testing.T) {
		mustPut(t, c, bucket, "idem/a.txt", []byte("version A"))
		mustPut(t, c, bucket, "idem/other.txt", []byte("other source"))
		token := "zonal-e2e-" + randHex(20)
		tok := func(in *s3.RenameObjectInput) { in.ClientToken = aws.String(token) }
		noErr(t, "RenameObject with a client token", rename("idem/b.txt", bucket+"/idem/a.txt", tok))
		bState := snapshot(t, c, bucket, "idem/b.txt")
		oState := snapshot(t, c, bucket, "idem/other.txt")

		// The retry succeeds and does nothing, even though the source is gone.
		noErr(t, "retry of RenameObject with the same client token", rename("idem/b.txt", bucket+"/idem/a.txt", tok))
		assertUnchanged(t, "destination after an idempotent retry", c, bucket, "idem/b.txt", bState)
		assertAbsent(t, "source after an idempotent retry", c, bucket, "idem/a.txt")

		// Same token, other source.
		err := rename("idem/b.txt", bucket+"/idem/other.txt", tok)
		wantErr(t, "RenameObject reusing a client token with another source", err, 400, "IdempotencyParameterMismatch")
		assertUnchanged(t, "destination after a token mismatch (other source)", c, bucket, "idem/b.txt", bState)
		assertUnchanged(t, "other source after a token mismatch", c, bucket, "idem/other.txt", oState)

		// Same token, other destination.
		err = rename("idem/c.txt", bucket+"/idem/a.txt", tok)
		wantErr(t, "RenameObject reusing a client token with another destination", err, 400, "IdempotencyParameterMismatch")
		assertAbsent(t, "destination of a token mismatch (other destination)", c, bucket, "idem/c.txt")
		assertUnchanged(t, "first destination after a token mismatch (other destination)", c, bucket, "idem/b.txt", bState)

		// A retry "without performing any further actions", even when a new
		// object has appeared at the source key meanwhile.
		mustPut(t, c, bucket, "idem/a.txt", []byte("version A2"))
		aState := snapshot(t, c, bucket, "idem/a.txt")
		noErr(t, "retry of RenameObject with the same client token (source re-created)", rename("idem/b.txt", bucket+"/idem/a.txt", tok))
		assertUnchanged(t, "destination after a retry (source re-created)", c, bucket, "idem/b.txt", bState)
		assertUnchanged(t, "re-created source after a retry", c, bucket, "idem/a.txt", aState)
	})

	t.Run("Large", func(t *testing.T) {
		big := randBytes(3 * mib)
		mustPut(t, c, bucket, "big/src.bin", big)
		before := snapshot(t, c, bucket, "big/src.bin")
		noErr(t, "RenameObject 3 MiB", rename("big/dst.bin", bucket+"/big/src.bin"))
		after := snapshot(t, c, bucket, "big/dst.bin")
		if !sameState(before, after) || after.SHA != sha(big) {
			t.Errorf("3 MiB rename: %s, want %s", after, before)
		}
		assertAbsent(t, "3 MiB source after rename", c, bucket, "big/src.bin")
		// Writing a new object at the old key does not disturb the renamed one.
		mustPut(t, c, bucket, "big/src.bin", randBytes(3*mib))
		assertBytes(t, "renamed object after the old key was rewritten", c, bucket, "big/dst.bin", big)
	})

	t.Run("MultipartObject", func(t *testing.T) {
		p1, p2 := randBytes(5*mib), randBytes(10)
		m := startMPU(t, c, bucket, "mp/src.bin", &s3.CreateMultipartUploadInput{ChecksumAlgorithm: types.ChecksumAlgorithmCrc32, ChecksumType: types.ChecksumTypeFullObject})
		m.put(1, p1, types.ChecksumAlgorithmCrc32)
		m.put(2, p2, types.ChecksumAlgorithmCrc32)
		m.mustComplete(nil)
		before := snapshot(t, c, bucket, "mp/src.bin")
		noErr(t, "RenameObject of a multipart object", rename("mp/dst.bin", bucket+"/mp/src.bin"))
		if after := snapshot(t, c, bucket, "mp/dst.bin"); !sameState(before, after) {
			t.Errorf("renamed multipart object: %s, want %s", after, before)
		}
		pg, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("mp/dst.bin"), PartNumber: aws.Int32(2)})
		noErr(t, "HeadObject partNumber=2 of the renamed object", err)
		if aws.ToInt64(pg.ContentLength) != 10 || aws.ToInt32(pg.PartsCount) != 2 {
			t.Errorf("renamed multipart object part 2: Content-Length %d parts %d, want 10 and 2", aws.ToInt64(pg.ContentLength), aws.ToInt32(pg.PartsCount))
		}
	})
}
