package catalogtest

import (
	"errors"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// fullObject sets every field, with values that trip lossy encodings.
func fullObject(key string) *catalog.Object {
	return &catalog.Object{
		Key:          key,
		Size:         5 + 100 + 7,
		ETag:         "9b2cf535f27731c974343645a3985328-3",
		LastModified: time.Date(2024, 2, 29, 23, 59, 59, 123456789, time.FixedZone("x", 3600)),
		ContentType:  "application/octet-stream; charset=\"utf-8\"",
		Headers: map[string]string{
			"Cache-Control":       "max-age=60",
			"Content-Disposition": "attachment; filename=\"é.txt\"",
			"Expires":             "",
		},
		Meta:         map[string]string{"a": "1", "unicode": "日本語", "empty": "", "nul": "a\x00b"},
		Checksums:    map[string]string{"CRC32C": "yZRlqg==", "SHA256": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="},
		ChecksumType: "COMPOSITE",
		Parts:        3,
		PartList: []catalog.ObjectPart{
			{Size: 5, Checksum: "AAAAAA=="}, {Size: 100, Checksum: ""}, {Size: 7, Checksum: "/////w=="},
		},
		Extents: []catalog.Extent{
			{Inline: []byte("he\x00lo"), Length: 5, IV: []byte("0123456789abcdef")},
			{BlobID: "0123456789abcdef0123456789abcdef", Offset: 1 << 40, Length: 100, IV: []byte{0, 0, 0xff}},
			{Inline: []byte{}},
			{BlobID: "fedcba9876543210fedcba9876543210", Offset: 0, Length: 7},
		},
		SSE:          "AES256",
		WrappedKey:   []byte("\x00sealed\xffkey"),
		RenameToken:  "token-1",
		RenameSource: "dir/old name",
	}
}

func testObjectRoundTrip(t *testing.T, c catalog.Catalog) {
	mustCreateBucket(t, c, "b", "o")
	for _, want := range []*catalog.Object{
		fullObject("full"),
		{Key: "bare"}, // every field at its zero value
		inlineObject("a/b/c.txt", "hello"),
		inlineObject("\x00", "nul key"),
		inlineObject("日本/語.txt", "unicode key"),
		inlineObject(string(make([]byte, 1024)), "long key"),
		{Key: "big", Size: 256 << 10, Parts: 1, Extents: []catalog.Extent{{Inline: make([]byte, 256<<10)}}},
	} {
		put(t, c, "b", want)
		checkObject(t, getObject(t, c, "b", want.Key), want)
	}
	// The record's key is the key it is stored under, whatever fn set.
	err := c.UpdateObject(ctx, "b", "named", func(*catalog.Object) (*catalog.Object, error) {
		return &catalog.Object{Key: "something else"}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := getObject(t, c, "b", "named"); got.Key != "named" {
		t.Fatalf("Key = %q, want %q", got.Key, "named")
	}
	checkNotFound(t, c, "b", "something else")
	checkNotFound(t, c, "b", "missing")
	checkNotFound(t, c, "no-such-bucket", "full")
}

func testObjectCreateReplaceDelete(t *testing.T, c catalog.Catalog) {
	mustCreateBucket(t, c, "b", "o")
	var seen []*catalog.Object
	record := func(cur *catalog.Object) { seen = append(seen, cur) }

	v1 := inlineObject("k", "one")
	if err := c.UpdateObject(ctx, "b", "k", func(cur *catalog.Object) (*catalog.Object, error) {
		record(cur)
		return v1, nil
	}); err != nil {
		t.Fatal(err)
	}
	v2 := inlineObject("k", "two")
	if err := c.UpdateObject(ctx, "b", "k", func(cur *catalog.Object) (*catalog.Object, error) {
		record(cur)
		return v2, nil
	}); err != nil {
		t.Fatal(err)
	}
	checkObject(t, getObject(t, c, "b", "k"), v2)
	if err := c.UpdateObject(ctx, "b", "k", func(cur *catalog.Object) (*catalog.Object, error) {
		record(cur)
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	checkNotFound(t, c, "b", "k")
	// Deleting what is not there is a no-op, and fn sees nil.
	if err := c.UpdateObject(ctx, "b", "k", func(cur *catalog.Object) (*catalog.Object, error) {
		record(cur)
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 4 || seen[0] != nil || seen[3] != nil {
		t.Fatalf("fn saw %v; want nil, v1, v2, nil", seen)
	}
	checkObject(t, seen[1], v1)
	checkObject(t, seen[2], v2)

	// fn may modify cur and return it.
	put(t, c, "b", inlineObject("m", "x"))
	if err := c.UpdateObject(ctx, "b", "m", func(cur *catalog.Object) (*catalog.Object, error) {
		cur.Extents = append(cur.Extents, catalog.Extent{Inline: []byte("y")})
		cur.Size++
		return cur, nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := getObject(t, c, "b", "m"); got.Size != 2 || len(got.Extents) != 2 {
		t.Fatalf("appended record = %+v", got)
	}
}

func testUpdateErrorAborts(t *testing.T, c catalog.Catalog) {
	mustCreateBucket(t, c, "b", "o")
	orig := blobObject("k", "blob-a")
	put(t, c, "b", orig)
	err := c.UpdateObject(ctx, "b", "k", func(cur *catalog.Object) (*catalog.Object, error) {
		cur.ETag = "changed"
		return blobObject("k", "blob-b"), errCondition
	})
	if err != errCondition {
		t.Fatalf("UpdateObject = %v, want fn's error unchanged", err)
	}
	checkObject(t, getObject(t, c, "b", "k"), orig)
	if !referenced(t, c, "blob-a") || referenced(t, c, "blob-b") || backlog(t, c) != 0 {
		t.Fatal("a failed update changed blob references")
	}
	err = c.UpdateObject(ctx, "b", "new", func(*catalog.Object) (*catalog.Object, error) {
		return inlineObject("new", "x"), errCondition
	})
	if !errors.Is(err, errCondition) {
		t.Fatalf("UpdateObject = %v, want errCondition", err)
	}
	checkNotFound(t, c, "b", "new")
}

func testUpdateMissingBucket(t *testing.T, c catalog.Catalog) {
	called := false
	err := c.UpdateObject(ctx, "nope", "k", func(*catalog.Object) (*catalog.Object, error) {
		called = true
		return inlineObject("k", "v"), nil
	})
	if !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("UpdateObject in a missing bucket: %v, want ErrNotFound", err)
	}
	if called {
		t.Fatal("fn called for a missing bucket")
	}
	if referenced(t, c, "x") {
		t.Fatal("phantom reference")
	}
}

// testRecordsAreCopies checks callers can modify what they get and what
// they stored without touching the catalog's copy.
func testRecordsAreCopies(t *testing.T, c catalog.Catalog) {
	mustCreateBucket(t, c, "b", "o")
	o := fullObject("k")
	put(t, c, "b", o)
	o.Meta["a"] = "changed"
	o.Extents[0].Inline[0] = 'X'

	got := getObject(t, c, "b", "k")
	checkObject(t, got, fullObject("k"))
	got.Meta["a"] = "changed"
	got.Extents[0].Inline[0] = 'X'
	got.Extents = append(got.Extents[:1], catalog.Extent{Inline: []byte("tail")})
	checkObject(t, getObject(t, c, "b", "k"), fullObject("k"))

	page, err := c.ListObjects(ctx, catalog.ListQuery{Bucket: "b", Limit: 10})
	if err != nil || len(page.Entries) != 1 {
		t.Fatalf("ListObjects = %v, %v", page, err)
	}
	checkListed(t, page.Entries[0].Object, fullObject("k"))
	page.Entries[0].Object.Meta["a"] = "listed"
	page.Entries[0].Object.Extents[1].IV[0] = 9
	page.Entries[0].Object.WrappedKey[0] = 9
	checkObject(t, getObject(t, c, "b", "k"), fullObject("k"))
}
