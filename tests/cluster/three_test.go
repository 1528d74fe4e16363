package cluster

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// gcFlags make freed blobs go within about two seconds, so tests can wait
// for every blob to be collected.
var gcFlags = []string{"--gc-interval", "500ms", "--gc-delay", "1s", "--lease-ttl", "3s"}

// TestReadYourWritesAcrossThreeNodes: whatever node 0 acknowledged, nodes
// 1 and 2 read and list at once, concurrently, with the exact bodies, even
// when their caches hold the previous version of the key.
func TestReadYourWritesAcrossThreeNodes(t *testing.T) {
	c := newWeedCluster(t, 3, clusterOpts{Cache: []int{0, 1, 2}})
	ctx := ctxT(t)
	cls := c.clients()
	bucket := createBucket(t, cls[0], "ryw")
	type version struct {
		body []byte
		etag string
	}
	want := map[string]version{}
	var gone []string
	for round := range 3 {
		tag := func(key string) string { return fmt.Sprintf("r%d/%s", round, key) }
		bodies := map[string][]byte{
			"small":    randBody(tag("small"), 100),
			"inline":   randBody(tag("inline"), inlineMax),
			"blob":     randBody(tag("blob"), inlineMax+1),
			"big":      randBody(tag("big"), 700<<10),
			tag("new"): randBody(tag("new"), 80<<10),
		}
		for key, body := range bodies {
			etag, err := put(ctx, cls[0], bucket, key, body)
			if err != nil {
				t.Fatalf("round %d: put %s on node 0: %v", round, key, err)
			}
			want[key] = version{body, etag}
		}
		// A multipart object of a full-size part and a blob-sized last one,
		// each part a blob of its own.
		mp := [][]byte{randBody(tag("mp1"), minPart), randBody(tag("mp2"), 70<<10)}
		etag, err := multipart(ctx, cls[0], bucket, "mp", mp...)
		if err != nil {
			t.Fatalf("round %d: multipart on node 0: %v", round, err)
		}
		want["mp"] = version{bytes.Join(mp, nil), etag}
		if round > 0 {
			prev := fmt.Sprintf("r%d/new", round-1)
			if _, err := cls[0].DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(prev)}); err != nil {
				t.Fatal(err)
			}
			delete(want, prev)
			gone = append(gone, prev)
		}

		// Nodes 1 and 2 at once, each reading every key concurrently.
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for n := 1; n <= 2; n++ {
			for key, v := range want {
				wg.Add(1)
				go func() {
					defer wg.Done()
					got, err := getBytes(ctx, cls[n], bucket, key)
					if err != nil || !bytes.Equal(got, v.body) {
						errs <- fmt.Errorf("round %d: %s read on node %d right after node 0 wrote it: %s, %v; want %s",
							round, key, n, describe(got), err, describe(v.body))
					}
				}()
			}
			for _, key := range gone {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, found, err := lookup(ctx, cls[n], bucket, key); found || err != nil {
						errs <- fmt.Errorf("round %d: %s, deleted on node 0, read on node %d: found %v, %v", round, key, n, found, err)
					}
				}()
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				objs, err := listAll(ctx, cls[n], bucket)
				if err != nil {
					errs <- err
					return
				}
				for key, v := range want {
					o, ok := objs[key]
					if !ok || aws.ToInt64(o.Size) != int64(len(v.body)) || aws.ToString(o.ETag) != v.etag {
						errs <- fmt.Errorf("round %d: node %d lists %s as %v %v %v, want %d bytes, ETag %s",
							round, n, key, ok, aws.ToInt64(o.Size), aws.ToString(o.ETag), len(v.body), v.etag)
					}
				}
				if len(objs) != len(want) {
					keys := make([]string, 0, len(objs))
					for k := range objs {
						keys = append(keys, k)
					}
					sort.Strings(keys)
					errs <- fmt.Errorf("round %d: node %d lists %d keys %q, want %d", round, n, len(objs), keys, len(want))
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if t.Failed() {
			t.FailNow()
		}
	}
	t.Logf("3 rounds of %d keys (inline, blob, multipart) written on node 0 read back and listed exactly on nodes 1 and 2", len(want))
}

// race runs fn(i) for i in [0,n) at once and returns their errors.
func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = fn(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// winners counts the nil errors and fails t on an error whose code is not
// one of the losers'.
func winners(t *testing.T, what string, errs []error, losers ...string) (wins []int) {
	t.Helper()
	for i, err := range errs {
		code := errCode(err)
		switch {
		case err == nil:
			wins = append(wins, i)
		case !containsStr(losers, code):
			t.Errorf("%s: contender %d failed with %v, want one of %v", what, i, err, losers)
		}
	}
	return wins
}

func containsStr(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestRacesAcrossThreeNodesHaveOneWinner: contending requests on the three
// nodes for one append offset, one rename source, one multipart upload and
// one ETag each have exactly one winner, and the object is what the winner
// wrote. Afterwards every blob those races created is collected exactly
// once.
func TestRacesAcrossThreeNodesHaveOneWinner(t *testing.T) {
	c := newWeedCluster(t, 3, clusterOpts{Proxy: true}, gcFlags...)
	ctx := ctxT(t)
	cls := c.clients()
	bucket := createBucket(t, cls[0], "races")
	const rounds, contenders = 4, 6 // two per node

	t.Run("append", func(t *testing.T) {
		for round := range rounds {
			// Odd rounds start from an inline object, even from a blob; the
			// appended bytes alternate the same way.
			key := fmt.Sprintf("append%d", round)
			base := randBody(key+"/base", []int{inlineMax + 10, 1000}[round%2])
			if _, err := put(ctx, cls[0], bucket, key, base); err != nil {
				t.Fatal(err)
			}
			adds := make([][]byte, contenders)
			for i := range adds {
				adds[i] = randBody(fmt.Sprintf("%s/add%d", key, i), []int{100, inlineMax + 10}[round%2])
			}
			errs := race(contenders, func(i int) error {
				_, err := cls[i%3].PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
					Body: bytes.NewReader(adds[i]), WriteOffsetBytes: aws.Int64(int64(len(base)))})
				return err
			})
			wins := winners(t, key, errs, "InvalidWriteOffset", "ConditionalRequestConflict")
			if len(wins) != 1 {
				t.Fatalf("%s: %d appends at offset %d won (%v), want exactly 1", key, len(wins), len(base), errs)
			}
			want := append(append([]byte(nil), base...), adds[wins[0]]...)
			for n, cl := range cls {
				if got, err := getBytes(ctx, cl, bucket, key); err != nil || !bytes.Equal(got, want) {
					t.Fatalf("%s on node %d after the race: %d bytes, %v; want the base and contender %d's bytes (%d)", key, n, len(got), err, wins[0], len(want))
				}
			}
		}
	})

	t.Run("rename", func(t *testing.T) {
		for round := range rounds {
			src := fmt.Sprintf("rename%d/src", round)
			body := randBody(src, 100<<10)
			if _, err := put(ctx, cls[0], bucket, src, body); err != nil {
				t.Fatal(err)
			}
			dst := func(i int) string { return fmt.Sprintf("rename%d/dst%d", round, i) }
			errs := race(3, func(i int) error {
				_, err := cls[i].RenameObject(ctx, &s3.RenameObjectInput{Bucket: aws.String(bucket), Key: aws.String(dst(i)), RenameSource: aws.String(src)})
				return err
			})
			wins := winners(t, src, errs, "NoSuchKey")
			if len(wins) != 1 {
				t.Fatalf("%s: %d renames from nodes 0-2 won (%v), want exactly 1", src, len(wins), errs)
			}
			if _, found, err := lookup(ctx, cls[(round+1)%3], bucket, src); found || err != nil {
				t.Fatalf("%s still there after it was renamed: %v", src, err)
			}
			for i := range 3 {
				got, found, err := lookup(ctx, cls[(i+round)%3], bucket, dst(i))
				switch {
				case err != nil:
					t.Fatal(err)
				case found != (i == wins[0]):
					t.Fatalf("%s exists: %v, but the winner was node %d", dst(i), found, wins[0])
				case found && !bytes.Equal(got, body):
					t.Fatalf("%s holds %s, want the source's %d bytes", dst(i), describe(got), len(body))
				}
			}
		}
	})

	t.Run("complete", func(t *testing.T) {
		// AWS documents NoSuchUpload for an upload "aborted or completed",
		// and zonal keeps no record of completed uploads: one completion
		// wins, the others find no upload. Were a repeat completion ever
		// made idempotent, both would have to report the same object.
		for round := range rounds {
			key := fmt.Sprintf("complete%d", round)
			parts := [][]byte{randBody(key+"/p1", 80<<10)}
			if round == 0 {
				parts = [][]byte{randBody(key+"/p1", minPart), randBody(key+"/p2", 80<<10)}
			}
			u, err := startUpload(ctx, cls[0], bucket, key, parts...)
			if err != nil {
				t.Fatal(err)
			}
			etags := make([]string, 3)
			errs := race(3, func(i int) error {
				var err error
				etags[i], err = u.complete(ctx, cls[i])
				return err
			})
			wins := winners(t, key, errs, "NoSuchUpload")
			if len(wins) != 1 {
				t.Errorf("%s: %d completions won (%v)", key, len(wins), errs)
				for _, w := range wins[1:] {
					if etags[w] != etags[wins[0]] {
						t.Fatalf("%s: two completions succeeded with different objects, ETags %s and %s", key, etags[wins[0]], etags[w])
					}
				}
			}
			for n, cl := range cls {
				out, err := cl.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
				if err != nil || aws.ToString(out.ETag) != etags[wins[0]] {
					t.Fatalf("%s on node %d: %v; want the winner's ETag %s", key, n, err, etags[wins[0]])
				}
				if got, err := getBytes(ctx, cl, bucket, key); err != nil || !bytes.Equal(got, u.body) {
					t.Fatalf("%s on node %d: %d bytes, %v; want the %d bytes of its parts", key, n, len(got), err, len(u.body))
				}
			}
		}
		ups, err := cls[1].ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
		if err != nil || len(ups.Uploads) != 0 {
			t.Fatalf("uploads left after completion: %d, %v", len(ups.Uploads), err)
		}
	})

	t.Run("conditional-delete", func(t *testing.T) {
		// A delete whose If-Match names an absent object answers 204 in a
		// directory bucket (as for x-amz-if-match-size, per the S3 API
		// reference), so after the one delete that removes a version, later
		// ones with its ETag succeed too, deleting nothing: the one winner
		// is not in the status codes. What is observable: a stale ETag
		// never deletes, a delete never removes a version it did not name,
		// and the removed version's blob is freed once (the GC check at the
		// end).
		for round := range rounds {
			key := fmt.Sprintf("cond%d", round)
			// Overwrite race: every writer succeeds, one version stays.
			bodies := make([][]byte, contenders)
			etags := make([]string, contenders)
			for i := range bodies {
				bodies[i] = randBody(fmt.Sprintf("%s/w%d", key, i), []int{100, 70 << 10}[i%2])
			}
			for i, err := range race(contenders, func(i int) error {
				var err error
				etags[i], err = put(ctx, cls[i%3], bucket, key, bodies[i])
				return err
			}) {
				if err != nil {
					t.Fatalf("%s: overwrite %d: %v", key, i, err)
				}
			}
			head, err := cls[0].HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
			if err != nil {
				t.Fatal(err)
			}
			cur := aws.ToString(head.ETag)
			last := slices.Index(etags, cur)
			if last < 0 {
				t.Fatalf("%s: ETag %s after the overwrite race is no writer's (%v)", key, cur, etags)
			}
			if got, err := getBytes(ctx, cls[2], bucket, key); err != nil || !bytes.Equal(got, bodies[last]) {
				t.Fatalf("%s: %s, %v; want writer %d's body, whose ETag it reports", key, describe(got), err, last)
			}
			// Every writer deletes with its own ETag, from its node: only
			// the last writer's may delete; the others lose with 412 while
			// the object is there, or find it gone (204).
			errs := race(contenders, func(i int) error {
				_, err := cls[i%3].DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), IfMatch: aws.String(etags[i])})
				return err
			})
			if errs[last] != nil {
				t.Fatalf("%s: the delete with the current ETag failed: %v", key, errs[last])
			}
			winners(t, key, errs, "PreconditionFailed", "ConditionalRequestConflict")
			if _, found, err := lookup(ctx, cls[1], bucket, key); found || err != nil {
				t.Fatalf("%s after the delete with the current ETag: found %v, %v", key, found, err)
			}

			// Deletes naming a version race an overwrite: whatever the
			// order, the overwrite's version must survive.
			if cur, err = put(ctx, cls[0], bucket, key, bodies[0]); err != nil {
				t.Fatal(err)
			}
			next := randBody(key+"/next", 90<<10)
			errs = race(4, func(i int) error {
				if i == 3 {
					_, err := put(ctx, cls[round%3], bucket, key, next)
					return err
				}
				_, err := cls[i].DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), IfMatch: aws.String(cur)})
				return err
			})
			if errs[3] != nil {
				t.Fatalf("%s: overwrite racing the deletes: %v", key, errs[3])
			}
			winners(t, key, errs, "PreconditionFailed", "ConditionalRequestConflict")
			if got, err := getBytes(ctx, cls[(round+1)%3], bucket, key); err != nil || !bytes.Equal(got, next) {
				t.Fatalf("%s: %s, %v after deletes of the previous version raced an overwrite; want the overwrite's body", key, describe(got), err)
			}
			if _, err := cls[1].DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), IfMatch: aws.String(etags[last])}); errCode(err) != "PreconditionFailed" {
				t.Fatalf("%s: delete with a stale ETag of a present object: %v, want PreconditionFailed", key, err)
			}
		}
	})
	if t.Failed() {
		return
	}
	emptyBucket(t, ctx, bucket, cls)
	c.expectAllCollected(30 * time.Second)
}
