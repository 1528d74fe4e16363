package catalogtest

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/catalog"
)

func testBucketLifecycle(t *testing.T, c catalog.Catalog) {
	want := catalog.Bucket{
		Name: "photos--use1-az4--x-s3", Owner: "111122223333", Region: "us-east-1",
		Zone: "use1-az4", CreatedAt: time.Unix(1700000000, 987654321),
	}
	if _, err := c.GetBucket(ctx, want.Name); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("GetBucket before create: %v, want ErrNotFound", err)
	}
	if err := c.CreateBucket(ctx, want); err != nil {
		t.Fatal(err)
	}
	other := want
	other.Owner = "999999999999"
	if err := c.CreateBucket(ctx, other); !errors.Is(err, catalog.ErrExists) {
		t.Fatalf("second CreateBucket: %v, want ErrExists", err)
	}
	got, err := c.GetBucket(ctx, want.Name)
	if err != nil {
		t.Fatal(err)
	}
	if !got.CreatedAt.Equal(want.CreatedAt) {
		t.Fatalf("CreatedAt = %v, want %v", got.CreatedAt, want.CreatedAt)
	}
	got.CreatedAt = want.CreatedAt
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("GetBucket = %+v, want %+v (the first creator keeps it)", got, want)
	}

	put(t, c, want.Name, inlineObject("k", "v"))
	if err := c.DeleteBucket(ctx, want.Name); !errors.Is(err, catalog.ErrBucketNotEmpty) {
		t.Fatalf("DeleteBucket with an object: %v, want ErrBucketNotEmpty", err)
	}
	del(t, c, want.Name, "k")
	if err := c.DeleteBucket(ctx, want.Name); err != nil {
		t.Fatalf("DeleteBucket: %v", err)
	}
	if _, err := c.GetBucket(ctx, want.Name); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("GetBucket after delete: %v, want ErrNotFound", err)
	}
	if err := c.DeleteBucket(ctx, want.Name); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("DeleteBucket twice: %v, want ErrNotFound", err)
	}
	// Writes to the deleted bucket fail, though earlier writes saw it live
	// (an implementation may remember live buckets).
	err = c.UpdateObject(ctx, want.Name, "k", func(*catalog.Object) (*catalog.Object, error) {
		return inlineObject("k", "v"), nil
	})
	if !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("UpdateObject in a deleted bucket: %v, want ErrNotFound", err)
	}
	if _, err := c.ListUploads(ctx, catalog.ListQuery{Bucket: want.Name}); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("ListUploads in a deleted bucket: %v, want ErrNotFound", err)
	}
	if bs, err := c.ListBuckets(ctx, want.Owner, "", 10); err != nil || len(bs) != 0 {
		t.Fatalf("ListBuckets after delete = %v, %v; want none", bs, err)
	}
	// The name is free again, and the new bucket starts empty.
	if err := c.CreateBucket(ctx, other); err != nil {
		t.Fatalf("re-create: %v", err)
	}
	page, err := c.ListObjects(ctx, catalog.ListQuery{Bucket: want.Name, Limit: 10})
	if err != nil || len(page.Entries) != 0 {
		t.Fatalf("re-created bucket lists %v, %v; want empty", page.Entries, err)
	}
	// GetBucket answers the new incarnation and its later updates: session
	// tokens are checked against its owner and creation time, so a record
	// remembered from before the delete would let the old one in.
	got, err = c.GetBucket(ctx, want.Name)
	if err != nil || got.Owner != other.Owner || !got.CreatedAt.Equal(other.CreatedAt) {
		t.Fatalf("GetBucket after re-create = %+v, %v; want owner %s", got, err, other.Owner)
	}
	err = c.UpdateBucket(ctx, want.Name, func(b *catalog.Bucket) error {
		b.Policy = []byte(`{"Version":"2012-10-17","Statement":[]}`)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err = c.GetBucket(ctx, want.Name)
	if err != nil || string(got.Policy) != `{"Version":"2012-10-17","Statement":[]}` {
		t.Fatalf("GetBucket after UpdateBucket: policy %q, %v", got.Policy, err)
	}
	got.Policy[0] = 'X' // the caller's copy
	if again, _ := c.GetBucket(ctx, want.Name); again.Policy[0] != '{' {
		t.Fatal("changing a returned policy changed the stored one")
	}
}

func bucketNames(bs []catalog.Bucket) []string {
	names := []string{}
	for _, b := range bs {
		names = append(names, b.Name)
	}
	return names
}

func testListBuckets(t *testing.T, c catalog.Catalog) {
	for _, n := range []string{"e", "a", "d", "c", "b"} {
		mustCreateBucket(t, c, "alice-"+n, "alice")
	}
	for _, n := range []string{"b", "a", "c"} {
		mustCreateBucket(t, c, "bob-"+n, "bob")
	}
	check := func(owner, after string, limit int, want ...string) {
		t.Helper()
		bs, err := c.ListBuckets(ctx, owner, after, limit)
		if err != nil {
			t.Fatal(err)
		}
		if got := bucketNames(bs); !reflect.DeepEqual(got, append([]string{}, want...)) {
			t.Fatalf("ListBuckets(%q, %q, %d) = %q, want %q", owner, after, limit, got, want)
		}
		for _, b := range bs {
			if owner != "" && b.Owner != owner {
				t.Fatalf("bucket %s has owner %q, want %q", b.Name, b.Owner, owner)
			}
			if b.Zone != "use1-az4" || b.Region != "us-east-1" {
				t.Fatalf("bucket %s lost fields: %+v", b.Name, b)
			}
		}
	}
	check("alice", "", 100, "alice-a", "alice-b", "alice-c", "alice-d", "alice-e")
	check("alice", "", 2, "alice-a", "alice-b")
	check("alice", "alice-b", 2, "alice-c", "alice-d")
	check("alice", "alice-bb", 2, "alice-c", "alice-d")
	check("alice", "alice-d", 2, "alice-e")
	check("alice", "alice-e", 2)
	check("bob", "", 100, "bob-a", "bob-b", "bob-c")
	check("carol", "", 100)
	check("", "", 100, "alice-a", "alice-b", "alice-c", "alice-d", "alice-e", "bob-a", "bob-b", "bob-c")
	check("", "alice-e", 2, "bob-a", "bob-b")
}

// testBucketNamesDoNotCollide checks that names which are prefixes of one
// another never leak into each other's owner or object ranges.
func testBucketNamesDoNotCollide(t *testing.T, c catalog.Catalog) {
	mustCreateBucket(t, c, "bc", "a")
	mustCreateBucket(t, c, "c", "ab")
	check := func(owner string, want ...string) {
		t.Helper()
		bs, err := c.ListBuckets(ctx, owner, "", 10)
		if err != nil {
			t.Fatal(err)
		}
		if got := bucketNames(bs); !reflect.DeepEqual(got, want) {
			t.Fatalf("ListBuckets(%q) = %q, want %q", owner, got, want)
		}
	}
	check("a", "bc")
	check("ab", "c")

	mustCreateBucket(t, c, "x", "o")
	mustCreateBucket(t, c, "xy", "o")
	put(t, c, "x", inlineObject("yz", "1"))
	put(t, c, "xy", inlineObject("z", "2"))
	for bucket, want := range map[string]string{"x": "yz", "xy": "z"} {
		page, err := c.ListObjects(ctx, catalog.ListQuery{Bucket: bucket, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Entries) != 1 || page.Entries[0].Name() != want {
			t.Fatalf("bucket %q lists %v, want only %q", bucket, page.Entries, want)
		}
	}
	checkNotFound(t, c, "x", "z")
	checkNotFound(t, c, "xy", "yz")
	del(t, c, "xy", "z")
	if err := c.DeleteBucket(ctx, "xy"); err != nil {
		t.Fatalf("DeleteBucket(xy) with objects only in x: %v", err)
	}
}

// testBucketTags: tags are stored with the bucket, given to callers as
// copies, changed by UpdateBucket alone (concurrent changes lose nothing)
// and cleared to nil.
func testBucketTags(t *testing.T, c catalog.Catalog) {
	want := fullBucket("tagged", "acct")
	want.Tags = map[string]string{"team": "data", "cost center": "", "ünï/cødé:+=.-_@": "välue"}
	if err := c.CreateBucket(ctx, want); err != nil {
		t.Fatal(err)
	}
	checkBucketEverywhere(t, c, want)
	got, _ := c.GetBucket(ctx, "tagged")
	got.Tags["team"] = "stolen" // callers get copies
	checkBucketEverywhere(t, c, want)

	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := c.UpdateBucket(ctx, "tagged", func(b *catalog.Bucket) error {
				if b.Tags == nil {
					b.Tags = map[string]string{}
				}
				b.Tags[fmt.Sprintf("k%d", i)] = fmt.Sprint(i)
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for i := range 8 {
		want.Tags[fmt.Sprintf("k%d", i)] = fmt.Sprint(i)
	}
	checkBucketEverywhere(t, c, want)

	// A failed update leaves the tags; clearing them reads back as nil,
	// and the other documents stay.
	err := c.UpdateBucket(ctx, "tagged", func(b *catalog.Bucket) error {
		delete(b.Tags, "team")
		return errCondition
	})
	if !errors.Is(err, errCondition) {
		t.Fatalf("UpdateBucket = %v, want fn's error", err)
	}
	checkBucketEverywhere(t, c, want)
	if err := c.UpdateBucket(ctx, "tagged", func(b *catalog.Bucket) error { b.Tags = map[string]string{}; return nil }); err != nil {
		t.Fatal(err)
	}
	got, err = c.GetBucket(ctx, "tagged")
	if err != nil || got.Tags != nil {
		t.Fatalf("tags after clearing = %v (%v), want nil", got.Tags, err)
	}
	want.Tags = nil
	checkBucketEverywhere(t, c, want)
	// The object hint path (one query for bucket and object) reads tags too.
	if err := c.UpdateBucket(ctx, "tagged", func(b *catalog.Bucket) error { b.Tags = map[string]string{"a": "b"}; return nil }); err != nil {
		t.Fatal(err)
	}
	want.Tags = map[string]string{"a": "b"}
	put(t, c, "tagged", inlineObject("k", "v"))
	hctx := catalog.WithObjectHint(ctx, "tagged", "k")
	got, err = c.GetBucket(hctx, "tagged")
	if err != nil {
		t.Fatal(err)
	}
	checkBucket(t, got, want)
}
