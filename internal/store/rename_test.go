package store_test

import (
	"bytes"
	"context"
	"sync"
	"testing"

	blobmem "github.com/zonal-dev/zonal/internal/blob/mem"
	"github.com/zonal-dev/zonal/internal/catalog"
	catmem "github.com/zonal-dev/zonal/internal/catalog/mem"
	"github.com/zonal-dev/zonal/internal/store"
)

// TestRenameTokenAcrossNodes: two stores sharing a catalog, as two nodes
// sharing PostgreSQL, agree on what a RenameObject client token means.
func TestRenameTokenAcrossNodes(t *testing.T) {
	ctx := context.Background()
	cat, blobs := catmem.New(), blobmem.New()
	a, b := store.New(cat, blobs, store.Options{}), store.New(cat, blobs, store.Options{})
	if err := a.CreateBucket(ctx, catalog.Bucket{Name: bucket, Owner: "000000000000"}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"a", "c"} {
		if _, err := a.Put(ctx, &store.PutInput{Bucket: bucket, Key: k, Body: bytes.NewReader([]byte(k)), Size: 1}); err != nil {
			t.Fatal(err)
		}
	}
	in := &store.RenameInput{Bucket: bucket, Src: "a", Dst: "b", ClientToken: "tok-1"}
	if err := a.Rename(ctx, in); err != nil {
		t.Fatal(err)
	}
	if err := b.Rename(ctx, in); err != nil {
		t.Fatalf("retry on the other node: %v", err)
	}
	// Another destination: the destination record cannot tell, the token can.
	if err := b.Rename(ctx, &store.RenameInput{Bucket: bucket, Src: "c", Dst: "d", ClientToken: "tok-1"}); !store.IsKind(err, store.IdempotencyMismatch) {
		t.Fatalf("token reused on the other node: %v", err)
	}
	if _, err := b.Head(ctx, bucket, "c"); err != nil {
		t.Fatalf("source of the refused rename: %v", err)
	}
	// Tokens are per bucket.
	if err := a.CreateBucket(ctx, catalog.Bucket{Name: "other--use1-az4--x-s3", Owner: "000000000000"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Put(ctx, &store.PutInput{Bucket: "other--use1-az4--x-s3", Key: "x", Body: bytes.NewReader(nil)}); err != nil {
		t.Fatal(err)
	}
	if err := b.Rename(ctx, &store.RenameInput{Bucket: "other--use1-az4--x-s3", Src: "x", Dst: "y", ClientToken: "tok-1"}); err != nil {
		t.Fatalf("same token in another bucket: %v", err)
	}
}

// TestRenameTokenRaceAcrossNodes: one token, two different renames on two
// nodes at once; exactly one acts.
func TestRenameTokenRaceAcrossNodes(t *testing.T) {
	ctx := context.Background()
	cat, blobs := catmem.New(), blobmem.New()
	nodes := []*store.Store{store.New(cat, blobs, store.Options{}), store.New(cat, blobs, store.Options{})}
	if err := nodes[0].CreateBucket(ctx, catalog.Bucket{Name: bucket, Owner: "000000000000"}); err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 20; round++ {
		srcs := []string{"p", "q"}
		for _, k := range srcs {
			if _, err := nodes[0].Put(ctx, &store.PutInput{Bucket: bucket, Key: k, Body: bytes.NewReader(nil)}); err != nil {
				t.Fatal(err)
			}
		}
		tok := "race-" + string(rune('a'+round))
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i, s := range nodes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = s.Rename(ctx, &store.RenameInput{Bucket: bucket, Src: srcs[i], Dst: srcs[i] + "-moved", ClientToken: tok})
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !store.IsKind(err, store.IdempotencyMismatch):
				t.Fatal(err)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d renames acted on one token", round, ok)
		}
		for _, k := range []string{"p", "q", "p-moved", "q-moved"} {
			nodes[0].Delete(ctx, bucket, k, store.DeleteConditions{})
		}
	}
}
