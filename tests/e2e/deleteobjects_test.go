package e2e

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestDeleteObjectsDirectory: DeleteObjects with quiet mode, per-key
// preconditions and the directory-bucket restrictions (reference §2.1
// DeleteObjects).
func TestDeleteObjectsDirectory(t *testing.T) {
	t.Parallel()
	var needles []string
	srv := sharedServer(t, &needles)
	c, _ := newClient(t, srv)
	ctx := ctxT(t, 2*time.Minute)
	bucket := mustCreateBucket(t, c, "delobjs")
	needles = append(needles, bucket)
	logErrorAnswers(t, srv, bucket)

	ids := func(keys ...string) []types.ObjectIdentifier {
		var out []types.ObjectIdentifier
		for _, k := range keys {
			out = append(out, types.ObjectIdentifier{Key: aws.String(k)})
		}
		return out
	}
	exists := func(key string) bool {
		_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil && inspectErr(err).Status != 404 {
			t.Fatalf("HeadObject %s: %s", key, describeErr(err))
		}
		return err == nil
	}

	t.Run("Quiet", func(t *testing.T) {
		keys := []string{"q/a", "q/b", "q/sub/c"}
		for _, k := range keys {
			mustPut(t, c, bucket, k, []byte(k))
		}
		out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &types.Delete{Objects: ids(append(keys, "q/missing")...), Quiet: aws.Bool(true)}})
		noErr(t, "DeleteObjects quiet", err)
		if len(out.Deleted) != 0 || len(out.Errors) != 0 {
			t.Errorf("DeleteObjects quiet: Deleted %+v Errors %+v, want neither", out.Deleted, out.Errors)
		}
		for _, k := range keys {
			if exists(k) {
				t.Errorf("quiet DeleteObjects left %s", k)
			}
		}
		if _, prefixes := listObjectsDelim(t, c, bucket, ""); contains(prefixes, "q/") {
			t.Errorf("q/ still listed after all its objects were deleted: %v", prefixes)
		}
	})

	t.Run("PerKeyPreconditions", func(t *testing.T) {
		p1 := mustPut(t, c, bucket, "pc/k1", []byte("one"))
		mustPut(t, c, bucket, "pc/k2", []byte("two"))
		mustPut(t, c, bucket, "pc/k3", []byte("three"))
		mustPut(t, c, bucket, "pc/k4", []byte("four"))
		p5 := mustPut(t, c, bucket, "pc/k5", []byte("five"))
		k2Before := snapshot(t, c, bucket, "pc/k2")
		k4Before := snapshot(t, c, bucket, "pc/k4")
		out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &types.Delete{Objects: []types.ObjectIdentifier{
			{Key: aws.String("pc/k1"), ETag: p1.ETag},
			{Key: aws.String("pc/k2"), ETag: aws.String(`"0123456789abcdef0123456789abcdef"`)},
			{Key: aws.String("pc/k3")},
			{Key: aws.String("pc/k4"), Size: aws.Int64(999)},
			{Key: aws.String("pc/k5"), ETag: p5.ETag, Size: aws.Int64(4)},
		}}})
		noErr(t, "DeleteObjects with per-key preconditions", err)
		var deleted []string
		for _, d := range out.Deleted {
			deleted = append(deleted, aws.ToString(d.Key))
		}
		sort.Strings(deleted)
		if strings.Join(deleted, ",") != "pc/k1,pc/k3,pc/k5" {
			t.Errorf("DeleteObjects Deleted %v, want [pc/k1 pc/k3 pc/k5]", deleted)
		}
		errKeys := map[string]types.Error{}
		for _, e := range out.Errors {
			errKeys[aws.ToString(e.Key)] = e
		}
		for _, k := range []string{"pc/k2", "pc/k4"} {
			e, ok := errKeys[k]
			if !ok {
				t.Errorf("DeleteObjects: no <Error> for %s whose precondition failed (Errors %+v)", k, out.Errors)
				continue
			}
			if aws.ToString(e.Code) != "PreconditionFailed" {
				t.Errorf("DeleteObjects <Error> for %s: Code %q Message %q, want PreconditionFailed", k, aws.ToString(e.Code), aws.ToString(e.Message))
			}
		}
		if len(out.Errors) != 2 {
			t.Errorf("DeleteObjects: %d errors, want 2: %+v", len(out.Errors), out.Errors)
		}
		assertUnchanged(t, "pc/k2 (ETag precondition failed)", c, bucket, "pc/k2", k2Before)
		assertUnchanged(t, "pc/k4 (size precondition failed)", c, bucket, "pc/k4", k4Before)
		for _, k := range []string{"pc/k1", "pc/k3", "pc/k5"} {
			if exists(k) {
				t.Errorf("%s still exists after DeleteObjects", k)
			}
		}
	})

	t.Run("TooManyKeys", func(t *testing.T) {
		keep := []string{"many/a", "many/b", "many/c"}
		for _, k := range keep {
			mustPut(t, c, bucket, k, []byte(k))
		}
		keys := append([]string(nil), keep...)
		for i := len(keys); i < 1001; i++ {
			keys = append(keys, fmt.Sprintf("many/none-%04d", i))
		}
		_, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &types.Delete{Objects: ids(keys...)}})
		wantErr(t, "DeleteObjects with 1001 keys", err, 400, "MalformedXML")
		for _, k := range keep {
			if !exists(k) {
				t.Errorf("DeleteObjects with 1001 keys was refused but deleted %s", k)
			}
		}
		// 1000 keys are fine.
		out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &types.Delete{Objects: ids(keys[:1000]...), Quiet: aws.Bool(true)}})
		noErr(t, "DeleteObjects with 1000 keys", err)
		if len(out.Errors) != 0 {
			t.Errorf("DeleteObjects 1000 keys: errors %+v", out.Errors)
		}
		for _, k := range keep {
			if exists(k) {
				t.Errorf("DeleteObjects with 1000 keys left %s", k)
			}
		}
	})

	t.Run("WhitespaceKey", func(t *testing.T) {
		mustPut(t, c, bucket, "ws/keep", []byte("keep"))
		before := snapshot(t, c, bucket, "ws/keep")
		for _, blank := range []string{"   ", "\t"} {
			_, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &types.Delete{Objects: ids("ws/keep", blank)}})
			wantErr(t, fmt.Sprintf("DeleteObjects with a whitespace-only key %q", blank), err, 400)
			assertUnchanged(t, "ws/keep after a refused DeleteObjects", c, bucket, "ws/keep", before)
		}
		// Keys with Unicode control characters other than \n \t \r are
		// refused, either for the whole request or as a per-key <Error>
		// (C0 controls cannot travel in XML 1.0; DEL and C1 controls can).
		for _, bad := range []string{"ws/bad\x7fkey", "ws/bad\u0085key"} {
			out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &types.Delete{Objects: ids(bad)}})
			if err != nil {
				wantErr(t, fmt.Sprintf("DeleteObjects with a control character in key %q", bad), err, 400)
				continue
			}
			if len(out.Errors) != 1 || len(out.Deleted) != 0 {
				t.Errorf("DeleteObjects with a control character in key %q: accepted (Deleted %+v, Errors %+v); want 400 or a per-key error", bad, out.Deleted, out.Errors)
			}
		}
	})
}
