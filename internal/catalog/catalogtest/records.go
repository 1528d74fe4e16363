package catalogtest

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// testInlineExtents checks the inline-data rules: Length is stored for
// inline extents (filled in when the caller left it 0), an inconsistent
// Length is refused, listings carry lengths but never bytes, and GetObject
// returns the bytes whatever the record's mix of inline and blob extents.
func testInlineExtents(t *testing.T, c catalog.Catalog) {
	mustCreateBucket(t, c, "b", "o")
	put(t, c, "b", inlineObject("k", "hello"))
	if got := getObject(t, c, "b", "k"); got.Extents[0].Length != 5 || string(got.Extents[0].Inline) != "hello" {
		t.Fatalf("inline extent = %+v, want Length 5 and the bytes", got.Extents[0])
	}
	for _, bad := range []catalog.Extent{
		{Inline: []byte("abc"), Length: 2},
		{Length: 4}, // a listed extent written back: its bytes are not there
	} {
		err := c.UpdateObject(ctx, "b", "k", func(*catalog.Object) (*catalog.Object, error) {
			return &catalog.Object{Key: "k", Size: 4, Extents: []catalog.Extent{bad}}, nil
		})
		if err == nil {
			t.Fatalf("stored an inline extent %+v", bad)
		}
		checkObject(t, getObject(t, c, "b", "k"), inlineObject("k", "hello"))
	}

	// Inline -> blob -> several inline extents (appends) -> mixed -> gone.
	steps := []*catalog.Object{
		blobObject("k", "B1"),
		inlineObject("k", "one"),
		{Key: "k", Size: 9, Parts: 3, Extents: []catalog.Extent{
			{Inline: []byte("one"), Length: 3}, {Inline: []byte("")}, {Inline: []byte("two"), Length: 3}, {Inline: []byte("333")},
		}},
		{Key: "k", Size: 13, Parts: 2, Extents: []catalog.Extent{{Inline: []byte("abc")}, {BlobID: "B2", Length: 10}}},
		{Key: "k", Size: 0, Extents: []catalog.Extent{{Inline: []byte{}}}},
		{Key: "k", Size: 0},
		inlineObject("k", "last"),
	}
	for i, want := range steps {
		put(t, c, "b", want)
		checkObject(t, getObject(t, c, "b", "k"), want)
		p := list(t, c, catalog.ListQuery{Bucket: "b", Limit: 10})
		if len(p.Entries) != 1 {
			t.Fatalf("step %d lists %v", i, names(p))
		}
		checkListed(t, p.Entries[0].Object, want)
		// fn sees the bytes of the current record too.
		err := c.UpdateObject(ctx, "b", "k", func(cur *catalog.Object) (*catalog.Object, error) {
			checkObject(t, cur, want)
			return nil, errCondition
		})
		if !errors.Is(err, errCondition) {
			t.Fatal(err)
		}
	}
	// Appending through fn keeps the earlier inline bytes.
	err := c.UpdateObject(ctx, "b", "k", func(cur *catalog.Object) (*catalog.Object, error) {
		cur.Extents = append(cur.Extents, catalog.Extent{Inline: []byte("+more"), Length: 5})
		cur.Size += 5
		return cur, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got := getObject(t, c, "b", "k")
	if len(got.Extents) != 2 || string(got.Extents[0].Inline)+string(got.Extents[1].Inline) != "last+more" {
		t.Fatalf("appended record = %+v", got)
	}
	del(t, c, "b", "k")
	checkNotFound(t, c, "b", "k")
	if referenced(t, c, "B1") || referenced(t, c, "B2") {
		t.Fatal("blobs of replaced records still referenced")
	}
}

// testListingSkipsData lists many objects with sizeable inline data: every
// entry has the right lengths and no bytes, and the bytes are still there.
func testListingSkipsData(t *testing.T, c catalog.Catalog) {
	mustCreateBucket(t, c, "b", "o")
	data := make([]byte, 8<<10)
	for i := range data {
		data[i] = byte(i)
	}
	const n = 50
	for i := range n {
		o := &catalog.Object{Key: keyN(i), Size: int64(len(data)), Extents: []catalog.Extent{{Inline: data}}}
		put(t, c, "b", o)
	}
	p := list(t, c, catalog.ListQuery{Bucket: "b", Limit: 1000})
	if len(p.Entries) != n {
		t.Fatalf("listed %d entries, want %d", len(p.Entries), n)
	}
	for _, e := range p.Entries {
		ext := e.Object.Extents
		if len(ext) != 1 || ext[0].Inline != nil || ext[0].Length != int64(len(data)) || ext[0].Size() != int64(len(data)) {
			t.Fatalf("listed %s with extents %+v", e.Object.Key, ext)
		}
	}
	if got := getObject(t, c, "b", keyN(7)); !reflect.DeepEqual(got.Extents[0].Inline, data) {
		t.Fatal("inline data lost")
	}
}

func keyN(i int) string { return "obj/" + string(rune('a'+i/26)) + string(rune('a'+i%26)) }

func fullBucket(name, owner string) catalog.Bucket {
	return catalog.Bucket{
		Name: name, Owner: owner, Region: "us-east-1", Zone: "use1-az4",
		CreatedAt:  time.Unix(1700000000, 5).UTC(),
		Policy:     []byte(`{"Version":"2012-10-17","Statement":[]}`),
		Encryption: []byte("<ServerSideEncryptionConfiguration/>"),
		Lifecycle:  []byte("<LifecycleConfiguration>\x00</LifecycleConfiguration>"),
	}
}

func checkBucket(t *testing.T, got, want catalog.Bucket) {
	t.Helper()
	norm := func(b catalog.Bucket) catalog.Bucket {
		b.CreatedAt = time.Unix(0, b.CreatedAt.UnixNano()).UTC()
		b.Policy, b.Encryption, b.Lifecycle = normBytes(b.Policy), normBytes(b.Encryption), normBytes(b.Lifecycle)
		b.Tags = normMap(b.Tags)
		return b
	}
	if g, w := norm(got), norm(want); !reflect.DeepEqual(g, w) {
		t.Fatalf("bucket mismatch\n got: %+v\nwant: %+v", g, w)
	}
}

// checkBucketEverywhere checks the bucket through GetBucket and both
// ListBuckets paths (by owner and all).
func checkBucketEverywhere(t *testing.T, c catalog.Catalog, want catalog.Bucket) {
	t.Helper()
	got, err := c.GetBucket(ctx, want.Name)
	if err != nil {
		t.Fatal(err)
	}
	checkBucket(t, got, want)
	for _, owner := range []string{want.Owner, ""} {
		bs, err := c.ListBuckets(ctx, owner, "", 100)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, b := range bs {
			if b.Name == want.Name {
				checkBucket(t, b, want)
				found = true
			}
		}
		if !found {
			t.Fatalf("ListBuckets(%q) misses %s", owner, want.Name)
		}
	}
}

func testBucketConfig(t *testing.T, c catalog.Catalog) {
	want := fullBucket("cfg", "acct")
	if err := c.CreateBucket(ctx, want); err != nil {
		t.Fatal(err)
	}
	checkBucketEverywhere(t, c, want)
	got, _ := c.GetBucket(ctx, "cfg")
	got.Policy[0] = 'X' // callers get copies
	checkBucketEverywhere(t, c, want)

	// Set, replace and clear documents.
	err := c.UpdateBucket(ctx, "cfg", func(b *catalog.Bucket) error {
		checkBucket(t, *b, want)
		b.Policy = []byte(`{"new":true}`)
		b.Lifecycle = nil
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want.Policy, want.Lifecycle = []byte(`{"new":true}`), nil
	checkBucketEverywhere(t, c, want)

	// fn's error aborts, unchanged.
	err = c.UpdateBucket(ctx, "cfg", func(b *catalog.Bucket) error {
		b.Policy = []byte("lost")
		return errCondition
	})
	if !errors.Is(err, errCondition) {
		t.Fatalf("UpdateBucket = %v, want fn's error", err)
	}
	checkBucketEverywhere(t, c, want)

	// Only the documents may change.
	for name, change := range map[string]func(b *catalog.Bucket){
		"owner":   func(b *catalog.Bucket) { b.Owner = "thief" },
		"name":    func(b *catalog.Bucket) { b.Name = "other" },
		"created": func(b *catalog.Bucket) { b.CreatedAt = b.CreatedAt.Add(time.Second) },
	} {
		err := c.UpdateBucket(ctx, "cfg", func(b *catalog.Bucket) error {
			change(b)
			b.Encryption = nil
			return nil
		})
		if err == nil {
			t.Fatalf("UpdateBucket changing the %s succeeded", name)
		}
		checkBucketEverywhere(t, c, want)
	}
	if err := c.UpdateBucket(ctx, "missing", func(*catalog.Bucket) error { return nil }); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("UpdateBucket of a missing bucket: %v", err)
	}
	// Objects are unaffected, and the bucket still deletes.
	put(t, c, "cfg", inlineObject("k", "v"))
	if err := c.UpdateBucket(ctx, "cfg", func(b *catalog.Bucket) error { b.Encryption = nil; return nil }); err != nil {
		t.Fatal(err)
	}
	want.Encryption = nil
	checkBucketEverywhere(t, c, want)
	checkObject(t, getObject(t, c, "cfg", "k"), inlineObject("k", "v"))
	del(t, c, "cfg", "k")
	if err := c.DeleteBucket(ctx, "cfg"); err != nil {
		t.Fatal(err)
	}
	if bs, _ := c.ListBuckets(ctx, "acct", "", 10); len(bs) != 0 {
		t.Fatalf("deleted bucket still listed: %v", bs)
	}
}

// testConcurrentUpdateBucket races UpdateBucket with DeleteBucket and with
// itself: updates never resurrect a deleted bucket or lose each other.
func testConcurrentUpdateBucket(t *testing.T, c catalog.Catalog) {
	for round := range 10 {
		b := fullBucket("race", "o")
		if err := c.CreateBucket(ctx, b); err != nil {
			t.Fatal(err)
		}
		var updErr, delErr error
		parallel(2, func(i int) {
			jitter(round)
			if i == round%2 { // alternate which side starts first
				updErr = c.UpdateBucket(ctx, "race", func(b *catalog.Bucket) error { b.Policy = []byte("p"); return nil })
			} else {
				delErr = c.DeleteBucket(ctx, "race")
			}
		})
		if delErr != nil {
			t.Fatalf("round %d: DeleteBucket: %v", round, delErr)
		}
		if updErr != nil && !errors.Is(updErr, catalog.ErrNotFound) {
			t.Fatalf("round %d: UpdateBucket: %v", round, updErr)
		}
		if _, err := c.GetBucket(ctx, "race"); !errors.Is(err, catalog.ErrNotFound) {
			t.Fatalf("round %d: bucket resurrected by an update (%v)", round, err)
		}
		if bs, _ := c.ListBuckets(ctx, "o", "", 10); len(bs) != 0 {
			t.Fatalf("round %d: owner index resurrected: %v", round, bs)
		}
	}
	b := fullBucket("counter", "o")
	b.Policy = []byte{}
	if err := c.CreateBucket(ctx, b); err != nil {
		t.Fatal(err)
	}
	parallel(writers, func(int) {
		for range 10 {
			err := c.UpdateBucket(ctx, "counter", func(b *catalog.Bucket) error {
				b.Policy = append(b.Policy, 'x')
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		}
	})
	got, err := c.GetBucket(ctx, "counter")
	if err != nil || len(got.Policy) != writers*10 {
		t.Fatalf("after %d appends the policy has %d bytes (%v): lost updates", writers*10, len(got.Policy), err)
	}
}
