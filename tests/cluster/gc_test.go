package cluster

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestBlobGCAcrossNodesExactlyOnce: copies, renames and completions on one
// node race overwrites and deletes of their sources on the others. Once
// GC has had time to run, every live object still reads back exactly from
// SeaweedFS (no node has a cache) and no blob was deleted twice; once every
// object is deleted, every blob the nodes created has been deleted exactly
// once and the bucket's blob folder is empty.
func TestBlobGCAcrossNodesExactlyOnce(t *testing.T) {
	c := newWeedCluster(t, 3, clusterOpts{Proxy: true}, gcFlags...)
	ctx := ctxT(t)
	cls := c.clients()
	bucket := createBucket(t, cls[0], "gc")
	const groups = 6
	size := func(i int) int { return inlineMax + 1 + i*7000 }
	type group struct {
		a0, a1, c1 []byte // copy source, its overwrite, and an overwrite of the copy
		r0, r1     []byte // rename source and its overwrite
		m1         []byte // overwrite of the multipart key
		up         *upload
		copyErr    error
	}
	gs := make([]*group, groups)
	for i := range gs {
		g := &group{
			a0: randBody(fmt.Sprintf("a%d/0", i), size(i)), a1: randBody(fmt.Sprintf("a%d/1", i), size(i)+1),
			c1: randBody(fmt.Sprintf("c%d/1", i), size(i)+2),
			r0: randBody(fmt.Sprintf("r%d/0", i), size(i)+3), r1: randBody(fmt.Sprintf("r%d/1", i), size(i)+4),
			m1: randBody(fmt.Sprintf("m%d/1", i), size(i)+5),
		}
		for key, body := range map[string][]byte{fmt.Sprintf("a%d", i): g.a0, fmt.Sprintf("r%d", i): g.r0} {
			if _, err := put(ctx, cls[0], bucket, key, body); err != nil {
				t.Fatal(err)
			}
		}
		parts := [][]byte{randBody(fmt.Sprintf("m%d/p1", i), size(i)+6)}
		if i == 0 { // two parts, two blobs
			parts = [][]byte{randBody("m0/p1", minPart), randBody("m0/p2", size(i)+6)}
		}
		var err error
		if g.up, err = startUpload(ctx, cls[0], bucket, fmt.Sprintf("m%d", i), parts...); err != nil {
			t.Fatal(err)
		}
		gs[i] = g
	}

	// Every group at once; within a group each operation runs on another
	// node than the one racing it.
	var wg sync.WaitGroup
	errs := make(chan error, groups*8)
	run := func(what string, fn func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(); err != nil {
				errs <- fmt.Errorf("%s: %w", what, err)
			}
		}()
	}
	for i, g := range gs {
		a, ac, r, rr, m := fmt.Sprintf("a%d", i), fmt.Sprintf("ac%d", i), fmt.Sprintf("r%d", i), fmt.Sprintf("rr%d", i), fmt.Sprintf("m%d", i)
		run("copy "+a, func() error {
			_, err := cls[1].CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String(ac), CopySource: aws.String(bucket + "/" + a)})
			if code := errCode(err); code == "NoSuchKey" {
				g.copyErr = err // the delete came first
				return nil
			}
			return err
		})
		run("overwrite "+a, func() error { _, err := put(ctx, cls[2], bucket, a, g.a1); return err })
		run("delete "+a, func() error {
			_, err := cls[0].DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(a)})
			return err
		})
		run("overwrite "+ac, func() error { _, err := put(ctx, cls[0], bucket, ac, g.c1); return err })
		run("rename "+r, func() error {
			_, err := cls[2].RenameObject(ctx, &s3.RenameObjectInput{Bucket: aws.String(bucket), Key: aws.String(rr), RenameSource: aws.String(r)})
			return err
		})
		run("overwrite "+r, func() error { _, err := put(ctx, cls[0], bucket, r, g.r1); return err })
		run("complete "+m, func() error { _, err := g.up.complete(ctx, cls[1]); return err })
		run("overwrite "+m, func() error { _, err := put(ctx, cls[2], bucket, m, g.m1); return err })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}

	// Freed blobs go after 1 s, at a 500 ms period: 3 s is several passes.
	time.Sleep(3 * time.Second)
	if g := c.proxy.counts(); len(g.problems) > 0 {
		t.Fatalf("blob-store writes while live objects remain:\n%v", g.problems)
	} else {
		t.Logf("after the races: %d blobs created, %d deleted once each, %d live", g.created, g.deleted, g.live)
	}
	// SeaweedFS holds exactly what the proxy saw created and not deleted:
	// no blob write or delete went around the proxy, so its counts are
	// the whole story.
	var live, stored []string
	if _, ok := within(10*time.Second, func() bool {
		var err error
		live, stored = c.proxy.liveKeys(), nil
		stored, err = c.weedKeys(ctx)
		return err == nil && slices.Equal(live, stored)
	}); !ok {
		t.Fatalf("SeaweedFS holds %d blobs, the proxy counts %d live:\n%.10q\n%.10q", len(stored), len(live), stored, live)
	}
	read := func(n int, key string) ([]byte, bool) {
		t.Helper()
		got, found, err := lookup(ctx, cls[n], bucket, key)
		if err != nil {
			t.Fatalf("%s on node %d: %v", key, n, err)
		}
		return got, found
	}
	for i, g := range gs {
		n := i % 3
		a, found := read(n, fmt.Sprintf("a%d", i))
		if found && !bytes.Equal(a, g.a1) {
			t.Errorf("a%d: %s, want absent or its overwrite", i, describe(a))
		}
		if ac, found := read((n+1)%3, fmt.Sprintf("ac%d", i)); !found || oneOf(ac, g.a0, g.a1, g.c1) < 0 {
			t.Errorf("ac%d: found %v, %s; want the source's first or second body, or the copy's overwrite", i, found, describe(ac))
		}
		// The rename moved one version; the overwrite either preceded it
		// (and moved) or followed it (and stayed).
		rr, found := read((n+2)%3, fmt.Sprintf("rr%d", i))
		r, rFound := read(n, fmt.Sprintf("r%d", i))
		switch {
		case !found:
			t.Errorf("rr%d missing after its rename succeeded", i)
		case bytes.Equal(rr, g.r0) && !(rFound && bytes.Equal(r, g.r1)):
			t.Errorf("r%d: renamed the first body but the overwrite is not in the source (found %v, %s)", i, rFound, describe(r))
		case bytes.Equal(rr, g.r1) && rFound:
			t.Errorf("r%d: renamed the overwrite but the source still holds %s", i, describe(r))
		case !bytes.Equal(rr, g.r0) && !bytes.Equal(rr, g.r1):
			t.Errorf("rr%d holds %s", i, describe(rr))
		}
		if m, found := read((n+1)%3, fmt.Sprintf("m%d", i)); !found || oneOf(m, g.up.body, g.m1) < 0 {
			t.Errorf("m%d: found %v, %s; want the upload's parts or the overwrite", i, found, describe(m))
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	copied := 0
	for _, g := range gs {
		if g.copyErr == nil {
			copied++
		}
	}
	t.Logf("%d groups: %d copies found their source, the rest lost to its delete", groups, copied)

	emptyBucket(t, ctx, bucket, cls)
	c.expectAllCollected(30 * time.Second)
}
