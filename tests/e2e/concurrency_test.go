package e2e

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Concurrency tests (issue 4 "Must show"): conditional writers, appenders at
// the same offset, rename racing a write. Every race is decided by the server
// under its per-key lock: exactly one writer wins, nothing is lost or torn.
// The clients do not retry, so every answer is the server's own.

// raceN runs fn(0..n-1) in n goroutines released together and returns their errors.
func raceN(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for i := 0; i < n; i++ {
		go func(i int) {
			defer done.Done()
			ready.Done()
			<-start
			errs[i] = fn(i)
		}(i)
	}
	ready.Wait()
	close(start)
	done.Wait()
	return errs
}

func noRetry(o *s3.Options) { o.RetryMaxAttempts = 1 }

// winners returns the indexes of nil errors and fails on losers whose
// error is not one of the allowed (status, code) answers.
func winners(t *testing.T, what string, errs []error, allowed map[int][]string) []int {
	t.Helper()
	var won []int
	for i, err := range errs {
		if err == nil {
			won = append(won, i)
			continue
		}
		ei := inspectErr(err)
		ok := false
		for st, codes := range allowed {
			if ei.Status != st {
				continue
			}
			for _, c := range codes {
				if ei.Code == c {
					ok = true
				}
			}
		}
		if !ok {
			t.Errorf("%s: writer %d lost with an unexpected answer: %s (allowed %v)", what, i, describeErr(err), allowed)
		}
	}
	return won
}

func TestConcurrentConditionalCreate(t *testing.T) {
	t.Parallel()
	var needles []string
	srv := sharedServer(t, &needles)
	c, _ := newClient(t, srv, noRetry)
	ctx := ctxT(t, 2*time.Minute)
	bucket := mustCreateBucket(t, c, "race-create")
	needles = append(needles, bucket)
	logErrorAnswers(t, srv, bucket)
	lost := map[int][]string{412: {"PreconditionFailed"}, 409: {"ConditionalRequestConflict"}}

	for round, size := range []int{1024, 256 * 1024, 10, 300 * 1024} {
		key := fmt.Sprintf("race/create-%d", round)
		const n = 16
		bodies := make([][]byte, n)
		etags := make([]string, n)
		for i := range bodies {
			bodies[i] = randBytes(size)
		}
		errs := raceN(n, func(i int) error {
			out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(bodies[i]), IfNoneMatch: aws.String("*")})
			if err == nil {
				etags[i] = aws.ToString(out.ETag)
			}
			return err
		})
		won := winners(t, fmt.Sprintf("round %d: %d x PutObject If-None-Match: * (%d bytes)", round, n, size), errs, lost)
		if len(won) != 1 {
			t.Errorf("round %d: %d writers succeeded with If-None-Match: * on one key, want exactly 1 (winners %v)", round, len(won), won)
			continue
		}
		st := snapshot(t, c, bucket, key)
		if st.SHA != sha(bodies[won[0]]) || st.ETag != etags[won[0]] {
			t.Errorf("round %d: stored object %s is not the winner's (writer %d, etag %s)", round, st, won[0], etags[won[0]])
		}
	}
}

func TestConcurrentIfMatch(t *testing.T) {
	t.Parallel()
	var needles []string
	srv := sharedServer(t, &needles)
	c, _ := newClient(t, srv, noRetry)
	ctx := ctxT(t, 2*time.Minute)
	bucket := mustCreateBucket(t, c, "race-ifmatch")
	needles = append(needles, bucket)
	logErrorAnswers(t, srv, bucket)
	lost := map[int][]string{412: {"PreconditionFailed"}, 409: {"ConditionalRequestConflict"}}

	key := "race/ifmatch"
	base := mustPut(t, c, bucket, key, []byte("base version"))
	etag := aws.ToString(base.ETag)
	for round, size := range []int{2048, 200 * 1024, 2048} {
		const n = 8
		bodies := make([][]byte, n)
		etags := make([]string, n)
		for i := range bodies {
			bodies[i] = randBytes(size)
		}
		errs := raceN(n, func(i int) error {
			out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(bodies[i]), IfMatch: aws.String(etag)})
			if err == nil {
				etags[i] = aws.ToString(out.ETag)
			}
			return err
		})
		won := winners(t, fmt.Sprintf("round %d: %d x PutObject If-Match (same base ETag)", round, n), errs, lost)
		if len(won) != 1 {
			t.Fatalf("round %d: %d If-Match writers with the same base ETag succeeded, want exactly 1 (winners %v)", round, len(won), won)
		}
		st := snapshot(t, c, bucket, key)
		if st.SHA != sha(bodies[won[0]]) || st.ETag != etags[won[0]] {
			t.Fatalf("round %d: stored %s is not the winner's (writer %d etag %s)", round, st, won[0], etags[won[0]])
		}
		etag = st.ETag
	}

	// Conditional DeleteObject racing conditional writers on the same ETag.
	errs := raceN(6, func(i int) error {
		if i == 0 {
			_, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), IfMatch: aws.String(etag)})
			return err
		}
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader([]byte(fmt.Sprintf("writer %d", i))), IfMatch: aws.String(etag)})
		return err
	})
	won := winners(t, "DeleteObject If-Match racing 5 PutObject If-Match", errs, map[int][]string{412: {"PreconditionFailed"}, 409: {"ConditionalRequestConflict"}, 404: {"NoSuchKey"}})
	if len(won) != 1 {
		t.Errorf("DeleteObject If-Match vs PutObject If-Match: %d winners %v, want exactly 1", len(won), won)
	} else if won[0] == 0 {
		assertAbsent(t, "after the conditional delete won", c, bucket, key)
	} else {
		assertBytes(t, "after a conditional writer won over the delete", c, bucket, key, []byte(fmt.Sprintf("writer %d", won[0])))
	}
}

func TestConcurrentAppend(t *testing.T) {
	t.Parallel()
	var needles []string
	srv := sharedServer(t, &needles)
	c, _ := newClient(t, srv, noRetry)
	ctx := ctxT(t, 2*time.Minute)
	bucket := mustCreateBucket(t, c, "race-append")
	needles = append(needles, bucket)
	logErrorAnswers(t, srv, bucket)

	for _, tc := range []struct {
		name    string
		writers int
		rounds  int
		size    int
	}{
		{"two appenders", 2, 6, 4096},
		{"eight appenders", 8, 4, 16 * 1024},
		{"eight appenders, 256 KiB", 8, 2, 256 * 1024},
	} {
		key := "race/" + sanitizeName(tc.name)
		content := []byte("base:")
		mustPut(t, c, bucket, key, content)
		for round := 0; round < tc.rounds; round++ {
			off := int64(len(content))
			bodies := make([][]byte, tc.writers)
			sizes := make([]int64, tc.writers)
			for i := range bodies {
				bodies[i] = randBytes(tc.size)
			}
			errs := raceN(tc.writers, func(i int) error {
				out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(bodies[i]), WriteOffsetBytes: aws.Int64(off)})
				if err == nil {
					sizes[i] = aws.ToInt64(out.Size)
				}
				return err
			})
			what := fmt.Sprintf("%s round %d: appends at offset %d", tc.name, round, off)
			won := winners(t, what, errs, map[int][]string{400: {"InvalidWriteOffset"}})
			if len(won) != 1 {
				t.Fatalf("%s: %d appenders succeeded at the same offset, want exactly 1 (winners %v)", what, len(won), won)
			}
			content = append(content, bodies[won[0]]...)
			if sizes[won[0]] != int64(len(content)) {
				t.Errorf("%s: winner's x-amz-object-size %d, want %d", what, sizes[won[0]], len(content))
			}
			st := snapshot(t, c, bucket, key)
			if st.SHA != sha(content) {
				t.Fatalf("%s: object is %s, want base + the winners' bytes (%d bytes, sha %s)", what, st, len(content), sha(content)[:12])
			}
		}
		st := snapshot(t, c, bucket, key)
		if st.CRC32 != b64u32(crc32Of(content)) {
			t.Errorf("%s: full-object CRC32 after racing appends %q, want %q", tc.name, st.CRC32, b64u32(crc32Of(content)))
		}
	}
}

func TestRenameRacingWrite(t *testing.T) {
	t.Parallel()
	var needles []string
	srv := sharedServer(t, &needles)
	c, _ := newClient(t, srv, noRetry)
	ctx := ctxT(t, 2*time.Minute)
	bucket := mustCreateBucket(t, c, "race-rename")
	needles = append(needles, bucket)
	logErrorAnswers(t, srv, bucket)

	outcomes := map[string]int{}
	for round := 0; round < 16; round++ {
		size := 2048
		if round%2 == 1 {
			size = 512 * 1024
		}
		src, dst := fmt.Sprintf("rr/src-%d", round), fmt.Sprintf("rr/dst-%d", round)
		v0, v1 := randBytes(size), randBytes(size)
		p0 := mustPut(t, c, bucket, src, v0)
		var p1 *s3.PutObjectOutput
		errs := raceN(2, func(i int) error {
			if i == 0 {
				_, err := c.RenameObject(ctx, &s3.RenameObjectInput{Bucket: aws.String(bucket), Key: aws.String(dst), RenameSource: aws.String(bucket + "/" + src)})
				return err
			}
			out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(src), Body: bytes.NewReader(v1)})
			p1 = out
			return err
		})
		if errs[0] != nil || errs[1] != nil {
			t.Errorf("round %d: rename %s / write %s: both must succeed", round, describeErr(errs[0]), describeErr(errs[1]))
			continue
		}
		d := snapshot(t, c, bucket, dst)
		s := snapshot(t, c, bucket, src)
		switch {
		case d.SHA == sha(v0) && d.ETag == aws.ToString(p0.ETag) && s.SHA == sha(v1) && s.ETag == aws.ToString(p1.ETag):
			outcomes["rename first: dst=v0, src=v1"]++
		case d.SHA == sha(v1) && d.ETag == aws.ToString(p1.ETag) && !s.Exists:
			outcomes["write first: dst=v1, src gone"]++
		default:
			t.Errorf("round %d: inconsistent final state:\n  dst %s\n  src %s\n  v0 sha %s etag %s; v1 sha %s etag %s",
				round, d, s, sha(v0)[:12], aws.ToString(p0.ETag), sha(v1)[:12], aws.ToString(p1.ETag))
		}
	}
	t.Logf("rename-vs-write outcomes: %v", outcomes)

	// Rename racing a conditional create of its destination: one wins.
	for round := 0; round < 6; round++ {
		src, dst := fmt.Sprintf("rc/src-%d", round), fmt.Sprintf("rc/dst-%d", round)
		v0, v1 := randBytes(4096), randBytes(4096)
		mustPut(t, c, bucket, src, v0)
		errs := raceN(2, func(i int) error {
			if i == 0 {
				_, err := c.RenameObject(ctx, &s3.RenameObjectInput{Bucket: aws.String(bucket), Key: aws.String(dst), RenameSource: aws.String(bucket + "/" + src), DestinationIfNoneMatch: aws.String("*")})
				return err
			}
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(dst), Body: bytes.NewReader(v1), IfNoneMatch: aws.String("*")})
			return err
		})
		won := winners(t, fmt.Sprintf("round %d: RenameObject If-None-Match vs PutObject If-None-Match on %s", round, dst), errs,
			map[int][]string{412: {"PreconditionFailed"}, 409: {"ConditionalRequestConflict"}})
		if len(won) != 1 {
			t.Errorf("round %d: %d winners %v between a conditional rename and a conditional create of its destination, want 1", round, len(won), won)
			continue
		}
		d := snapshot(t, c, bucket, dst)
		s := snapshot(t, c, bucket, src)
		if won[0] == 0 && (d.SHA != sha(v0) || s.Exists) {
			t.Errorf("round %d: rename won but dst %s src %s", round, d, s)
		}
		if won[0] == 1 && (d.SHA != sha(v1) || s.SHA != sha(v0)) {
			t.Errorf("round %d: create won but dst %s src %s", round, d, s)
		}
	}
}

// TestConcurrentCompleteIfNoneMatch: two multipart uploads of one key
// completed at once with If-None-Match: * — exactly one object results.
func TestConcurrentCompleteIfNoneMatch(t *testing.T) {
	t.Parallel()
	var needles []string
	srv := sharedServer(t, &needles)
	c, _ := newClient(t, srv, noRetry)
	bucket := mustCreateBucket(t, c, "race-complete")
	needles = append(needles, bucket)
	logErrorAnswers(t, srv, bucket)

	for round := 0; round < 4; round++ {
		key := fmt.Sprintf("race/mpu-%d", round)
		const n = 4
		ups := make([]*mpu, n)
		bodies := make([][]byte, n)
		for i := range ups {
			ups[i] = startMPU(t, c, bucket, key, nil)
			bodies[i] = randBytes(64*1024 + i)
			ups[i].put(1, bodies[i], "")
		}
		errs := raceN(n, func(i int) error {
			in := ups[i].completeInput(ups[i].list())
			in.IfNoneMatch = aws.String("*")
			_, err := ups[i].complete(in)
			return err
		})
		won := winners(t, fmt.Sprintf("round %d: %d x CompleteMultipartUpload If-None-Match: *", round, n), errs,
			map[int][]string{412: {"PreconditionFailed"}, 409: {"ConditionalRequestConflict"}})
		if len(won) != 1 {
			t.Errorf("round %d: %d completions won, want exactly 1 (winners %v)", round, len(won), won)
			continue
		}
		st := snapshot(t, c, bucket, key)
		if st.SHA != sha(bodies[won[0]]) {
			t.Errorf("round %d: stored %s is not the winning upload's", round, st)
		}
		for i, u := range ups {
			if i != won[0] {
				_ = u.abort()
			}
		}
	}
}
