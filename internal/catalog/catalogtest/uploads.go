package catalogtest

import (
	"errors"
	"fmt"

	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/catalog"
)

func newUpload(bucket, key, id string) catalog.Upload {
	return catalog.Upload{
		Bucket: bucket, Key: key, ID: id, Initiated: time.Unix(1700000000, 42).UTC(),
		Owner: "111122223333", Initiator: "arn:aws:iam::111122223333:user/alice",
		ContentType: "text/plain", Headers: map[string]string{"Cache-Control": "no-store"},
		Meta: map[string]string{"a": "1", "nul": "x\x00y"}, ChecksumAlgorithm: "CRC32C",
		ChecksumType: "COMPOSITE", SSE: "AES256",
	}
}

func mustCreateUpload(t *testing.T, c catalog.Catalog, bucket, key, id string) {
	t.Helper()
	if err := c.CreateUpload(ctx, newUpload(bucket, key, id)); err != nil {
		t.Fatalf("CreateUpload(%q, %q, %q): %v", bucket, key, id, err)
	}
}

// blobPart is a part whose data is in the given blobs, 10 bytes each.
func blobPart(n int, blobIDs ...string) catalog.Part {
	p := catalog.Part{Number: n, ETag: fmt.Sprintf("etag-%d", n), LastModified: time.Unix(1700000000, int64(n)).UTC(), Checksum: "ck"}
	for _, id := range blobIDs {
		p.Extents = append(p.Extents, catalog.Extent{BlobID: id, Length: 10})
		p.Size += 10
	}
	return p
}

func mustPutPart(t *testing.T, c catalog.Catalog, bucket, key, id string, p catalog.Part) {
	t.Helper()
	if err := c.PutPart(ctx, bucket, key, id, p); err != nil {
		t.Fatalf("PutPart(%q, %d): %v", id, p.Number, err)
	}
}

func normUpload(u catalog.Upload) catalog.Upload {
	u.Initiated = time.Unix(0, u.Initiated.UnixNano()).UTC()
	u.Headers, u.Meta = normMap(u.Headers), normMap(u.Meta)
	return u
}

func checkUpload(t *testing.T, got *catalog.Upload, want catalog.Upload) {
	t.Helper()
	if got == nil || !reflect.DeepEqual(normUpload(*got), normUpload(want)) {
		t.Fatalf("upload mismatch\n got: %+v\nwant: %+v", got, want)
	}
}

func normPart(p catalog.Part) catalog.Part {
	p.LastModified = time.Unix(0, p.LastModified.UnixNano()).UTC()
	p.Extents = normExtents(p.Extents)
	return p
}

func checkParts(t *testing.T, got, want []catalog.Part) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d parts, want %d: %+v", len(got), len(want), got)
	}
	for i := range got {
		if g, w := normPart(got[i]), normPart(want[i]); !reflect.DeepEqual(g, w) {
			t.Fatalf("part %d mismatch\n got: %+v\nwant: %+v", i, g, w)
		}
	}
}

func listParts(t *testing.T, c catalog.Catalog, bucket, key, id string, after, limit int) ([]catalog.Part, bool) {
	t.Helper()
	parts, more, err := c.ListParts(ctx, bucket, key, id, after, limit)
	if err != nil {
		t.Fatalf("ListParts(%q, after %d, limit %d): %v", id, after, limit, err)
	}
	return parts, more
}

func uploadGone(t *testing.T, c catalog.Catalog, bucket, key, id string) {
	t.Helper()
	if u, err := c.GetUpload(ctx, bucket, key, id); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("GetUpload(%q) = %+v, %v; want ErrNotFound", id, u, err)
	}
	if _, _, err := c.ListParts(ctx, bucket, key, id, 0, 10); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("ListParts(%q) = %v; want ErrNotFound", id, err)
	}
	if err := c.PutPart(ctx, bucket, key, id, blobPart(1, "late-"+id)); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("PutPart(%q) = %v; want ErrNotFound", id, err)
	}
	if referenced(t, c, "late-"+id) {
		t.Fatal("refused PutPart left a reference")
	}
}

// assembleAll returns CompleteUpload's callback building the object from
// every part, in order.
func assembleAll(seen *[]catalog.Part) func(*catalog.Upload, []catalog.Part, *catalog.Object) (*catalog.Object, error) {
	return func(u *catalog.Upload, parts []catalog.Part, cur *catalog.Object) (*catalog.Object, error) {
		if seen != nil {
			*seen = parts
		}
		o := &catalog.Object{Key: u.Key, ETag: "mpu-" + u.ID, ContentType: u.ContentType, Meta: u.Meta, Parts: len(parts)}
		for _, p := range parts {
			o.Extents = append(o.Extents, p.Extents...)
			o.PartList = append(o.PartList, catalog.ObjectPart{Size: p.Size, Checksum: p.Checksum})
			o.Size += p.Size
		}
		return o, nil
	}
}

func testUploadLifecycle(t *testing.T, c catalog.Catalog) {
	if err := c.CreateUpload(ctx, newUpload("nope", "k", "u1")); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("CreateUpload in a missing bucket: %v", err)
	}
	mustCreateBucket(t, c, "b", "o")
	want := newUpload("b", "dir/k", "u1")
	if err := c.CreateUpload(ctx, want); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateUpload(ctx, newUpload("b", "dir/k", "u1")); !errors.Is(err, catalog.ErrExists) {
		t.Fatalf("CreateUpload with a taken id: %v, want ErrExists", err)
	}
	if err := c.CreateUpload(ctx, newUpload("b", "dir/k", "")); err == nil {
		t.Fatal("CreateUpload accepted an empty id")
	}
	u, err := c.GetUpload(ctx, "b", "dir/k", "u1")
	if err != nil {
		t.Fatal(err)
	}
	checkUpload(t, u, want)
	u.Meta["a"] = "changed" // a copy
	u, _ = c.GetUpload(ctx, "b", "dir/k", "u1")
	checkUpload(t, u, want)
	for _, miss := range [][3]string{{"b", "dir/k", "u2"}, {"b", "dir/kk", "u1"}, {"b", "dir/", "u1"}, {"nope", "dir/k", "u1"}} {
		if _, err := c.GetUpload(ctx, miss[0], miss[1], miss[2]); !errors.Is(err, catalog.ErrNotFound) {
			t.Fatalf("GetUpload(%q) = %v, want ErrNotFound", miss, err)
		}
	}
	if _, _, err := c.ListParts(ctx, "b", "dir/k", "u2", 0, 10); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("ListParts of a missing upload: %v", err)
	}
	if parts, more := listParts(t, c, "b", "dir/k", "u1", 0, 10); len(parts) != 0 || more {
		t.Fatalf("new upload has parts %v", parts)
	}
	if err := c.PutPart(ctx, "b", "dir/k", "u2", blobPart(1, "orphan")); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("PutPart to a missing upload: %v", err)
	}
	if referenced(t, c, "orphan") || backlog(t, c) != 0 {
		t.Fatal("refused PutPart changed references")
	}
	for _, n := range []int{0, -1, catalog.MaxPartNumber + 1} {
		if err := c.PutPart(ctx, "b", "dir/k", "u1", blobPart(n, "bad")); err == nil {
			t.Fatalf("PutPart accepted part number %d", n)
		}
	}

	// Parts, out of order; their blobs are live at once.
	p3, p1, p2 := blobPart(3, "P3"), blobPart(1, "P1a", "P1b"), blobPart(2, "P2")
	for _, p := range []catalog.Part{p3, p1, p2} {
		mustPutPart(t, c, "b", "dir/k", "u1", p)
	}
	for _, id := range []string{"P1a", "P1b", "P2", "P3"} {
		if !referenced(t, c, id) {
			t.Fatalf("part blob %s not referenced", id)
		}
	}
	parts, more := listParts(t, c, "b", "dir/k", "u1", 0, 10)
	checkParts(t, parts, []catalog.Part{p1, p2, p3})
	if more {
		t.Fatal("truncated")
	}
	parts[0].Extents[0].BlobID = "changed" // a copy
	// Replacing a part releases the old part's blobs (not the ones it keeps).
	p1 = blobPart(1, "P1b", "P1c")
	mustPutPart(t, c, "b", "dir/k", "u1", p1)
	if referenced(t, c, "P1a") || !referenced(t, c, "P1b") || !referenced(t, c, "P1c") {
		t.Fatal("wrong references after replacing a part")
	}
	if got := pending(t, c); !reflect.DeepEqual(got, []string{"P1a"}) {
		t.Fatalf("GC queue = %q, want [P1a]", got)
	}
	// An identical replacement changes nothing.
	mustPutPart(t, c, "b", "dir/k", "u1", p2)
	if !referenced(t, c, "P2") || backlog(t, c) != 1 {
		t.Fatal("re-putting an identical part changed references")
	}

	// Complete over an existing object, using parts 1 and 2 only.
	put(t, c, "b", blobObject("dir/k", "OLD"))
	var gotParts []catalog.Part
	var gotCur *catalog.Object
	var obj *catalog.Object
	err = c.CompleteUpload(ctx, "b", "dir/k", "u1", func(u *catalog.Upload, parts []catalog.Part, cur *catalog.Object) (*catalog.Object, error) {
		checkUpload(t, u, want)
		gotParts, gotCur = parts, cur
		var err error
		obj, err = assembleAll(nil)(u, parts[:2], cur)
		return obj, err
	})
	if err != nil {
		t.Fatal(err)
	}
	checkParts(t, gotParts, []catalog.Part{p1, p2, p3})
	checkObject(t, gotCur, blobObject("dir/k", "OLD"))
	checkObject(t, getObject(t, c, "b", "dir/k"), obj)
	uploadGone(t, c, "b", "dir/k", "u1")
	for id, live := range map[string]bool{"P1b": true, "P1c": true, "P2": true, "P3": false, "OLD": false, "P1a": false} {
		if referenced(t, c, id) != live {
			t.Fatalf("after complete, %s referenced = %v, want %v", id, !live, live)
		}
	}
	if n := backlog(t, c); n != 3 {
		t.Fatalf("GC backlog %d, want 3 (P1a, P3, OLD)", n)
	}
	if err := c.CompleteUpload(ctx, "b", "dir/k", "u1", assembleAll(nil)); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("second CompleteUpload: %v, want ErrNotFound", err)
	}
	if err := c.AbortUpload(ctx, "b", "dir/k", "u1", nil); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("AbortUpload after complete: %v, want ErrNotFound", err)
	}
	// The id can be used again, and starts with no parts.
	mustCreateUpload(t, c, "b", "dir/k", "u1")
	if parts, _ := listParts(t, c, "b", "dir/k", "u1", 0, 10); len(parts) != 0 {
		t.Fatalf("re-created upload has parts %v", parts)
	}
	del(t, c, "b", "dir/k")
	if referenced(t, c, "P1b") || referenced(t, c, "P2") || backlog(t, c) != 6 {
		t.Fatal("completed object's blobs not released on delete")
	}
}

func testCompleteUploadAborts(t *testing.T, c catalog.Catalog) {
	mustCreateBucket(t, c, "b", "o")
	mustCreateUpload(t, c, "b", "k", "u")
	mustPutPart(t, c, "b", "k", "u", blobPart(1, "A"))
	put(t, c, "b", blobObject("k", "CUR"))
	err := c.CompleteUpload(ctx, "b", "k", "u", func(u *catalog.Upload, parts []catalog.Part, cur *catalog.Object) (*catalog.Object, error) {
		parts[0].Extents[0].BlobID = "mutated"
		return blobObject("k", "A"), errCondition
	})
	if !errors.Is(err, errCondition) {
		t.Fatalf("CompleteUpload = %v, want fn's error", err)
	}
	err = c.CompleteUpload(ctx, "b", "k", "u", func(*catalog.Upload, []catalog.Part, *catalog.Object) (*catalog.Object, error) {
		return &catalog.Object{Extents: []catalog.Extent{{Length: 1}}}, nil
	})
	if err == nil {
		t.Fatal("CompleteUpload stored an inline extent without bytes")
	}
	checkObject(t, getObject(t, c, "b", "k"), blobObject("k", "CUR"))
	parts, _ := listParts(t, c, "b", "k", "u", 0, 10)
	checkParts(t, parts, []catalog.Part{blobPart(1, "A")})
	if !referenced(t, c, "A") || !referenced(t, c, "CUR") || backlog(t, c) != 0 {
		t.Fatal("failed complete changed references")
	}
	if err := c.CompleteUpload(ctx, "b", "k", "nope", assembleAll(nil)); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("CompleteUpload of a missing upload: %v", err)
	}
	if err := c.CompleteUpload(ctx, "b", "other", "u", assembleAll(nil)); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("CompleteUpload under another key: %v", err)
	}
	checkNotFound(t, c, "b", "other")
}

func testAbortUpload(t *testing.T, c catalog.Catalog) {
	mustCreateBucket(t, c, "b", "o")
	mustCreateUpload(t, c, "b", "k", "u")
	mustPutPart(t, c, "b", "k", "u", blobPart(1, "A", "B"))
	mustPutPart(t, c, "b", "k", "u", blobPart(2, "B")) // two parts share B
	put(t, c, "b", blobObject("other", "A"))           // and an object shares A
	// fn vetoes.
	err := c.AbortUpload(ctx, "b", "k", "u", func(u *catalog.Upload) error {
		checkUpload(t, u, newUpload("b", "k", "u"))
		return errCondition
	})
	if !errors.Is(err, errCondition) {
		t.Fatalf("AbortUpload = %v, want fn's error", err)
	}
	if _, err := c.GetUpload(ctx, "b", "k", "u"); err != nil {
		t.Fatalf("vetoed abort removed the upload: %v", err)
	}
	if err := c.AbortUpload(ctx, "b", "k", "u", func(*catalog.Upload) error { return nil }); err != nil {
		t.Fatal(err)
	}
	uploadGone(t, c, "b", "k", "u")
	if !referenced(t, c, "A") || referenced(t, c, "B") {
		t.Fatal("abort released the wrong references")
	}
	if got := pending(t, c); !reflect.DeepEqual(got, []string{"B"}) {
		t.Fatalf("GC queue = %q, want [B]", got)
	}
	if err := c.AbortUpload(ctx, "b", "k", "u", nil); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("second AbortUpload: %v, want ErrNotFound", err)
	}
	// An empty upload aborts too; a queued blob used by a new part leaves the queue.
	mustCreateUpload(t, c, "b", "k", "u2")
	mustPutPart(t, c, "b", "k", "u2", blobPart(1, "B"))
	if !referenced(t, c, "B") || backlog(t, c) != 0 {
		t.Fatal("re-referenced blob still queued")
	}
	mustCreateUpload(t, c, "b", "k", "empty")
	if err := c.AbortUpload(ctx, "b", "k", "empty", nil); err != nil {
		t.Fatal(err)
	}
}

// testUploadBlobSharing completes uploads whose parts share blobs with each
// other and with objects: the counts are "records referencing the blob".
func testUploadBlobSharing(t *testing.T, c catalog.Catalog) {
	mustCreateBucket(t, c, "b", "o")
	put(t, c, "b", blobObject("src", "S")) // UploadPartCopy shares S
	mustCreateUpload(t, c, "b", "k", "u")
	mustPutPart(t, c, "b", "k", "u", blobPart(1, "S"))
	mustPutPart(t, c, "b", "k", "u", blobPart(2, "S", "X"))
	mustPutPart(t, c, "b", "k", "u", blobPart(3, "X"))
	del(t, c, "b", "src")
	if !referenced(t, c, "S") || backlog(t, c) != 0 {
		t.Fatal("blob shared by parts queued when its object went")
	}
	// The object uses S once and X once: both keep one reference.
	if err := c.CompleteUpload(ctx, "b", "k", "u", assembleAll(nil)); err != nil {
		t.Fatal(err)
	}
	if !referenced(t, c, "S") || !referenced(t, c, "X") || backlog(t, c) != 0 {
		t.Fatal("completed object's shared blobs not referenced")
	}
	del(t, c, "b", "k")
	if referenced(t, c, "S") || referenced(t, c, "X") || backlog(t, c) != 2 {
		t.Fatal("shared blobs over-counted: still referenced after the last record went")
	}
	// An upload completing onto a key whose current object shares its
	// blob: the blob stays.
	put(t, c, "b", blobObject("k2", "Y"))
	mustCreateUpload(t, c, "b", "k2", "u")
	mustPutPart(t, c, "b", "k2", "u", blobPart(1, "Y"))
	if err := c.CompleteUpload(ctx, "b", "k2", "u", assembleAll(nil)); err != nil {
		t.Fatal(err)
	}
	if !referenced(t, c, "Y") {
		t.Fatal("blob of both the replaced object and the new one lost its reference")
	}
	del(t, c, "b", "k2")
	if referenced(t, c, "Y") {
		t.Fatal("Y over-counted")
	}
}

func testUploadInlineParts(t *testing.T, c catalog.Catalog) {
	mustCreateBucket(t, c, "b", "o")
	mustCreateUpload(t, c, "b", "k", "u")
	in := func(n int, data string) catalog.Part {
		return catalog.Part{Number: n, Size: int64(len(data)), ETag: "e", Extents: []catalog.Extent{{Inline: []byte(data), IV: []byte("iv")}}}
	}
	mustPutPart(t, c, "b", "k", "u", in(1, "hello "))
	mustPutPart(t, c, "b", "k", "u", blobPart(2, "MID"))
	mustPutPart(t, c, "b", "k", "u", in(3, "world"))
	parts, _ := listParts(t, c, "b", "k", "u", 0, 10)
	checkParts(t, parts, []catalog.Part{in(1, "hello "), blobPart(2, "MID"), in(3, "world")})
	var obj *catalog.Object
	err := c.CompleteUpload(ctx, "b", "k", "u", func(u *catalog.Upload, parts []catalog.Part, cur *catalog.Object) (*catalog.Object, error) {
		o, err := assembleAll(nil)(u, parts, cur)
		obj = o
		return o, err
	})
	if err != nil {
		t.Fatal(err)
	}
	got := getObject(t, c, "b", "k")
	checkObject(t, got, obj)
	if string(got.Extents[0].Inline)+"|"+string(got.Extents[2].Inline) != "hello |world" {
		t.Fatalf("inline parts lost: %+v", got.Extents)
	}
	p := list(t, c, catalog.ListQuery{Bucket: "b", Limit: 10})
	checkListed(t, p.Entries[0].Object, obj)
}

func testListParts(t *testing.T, c catalog.Catalog) {
	mustCreateBucket(t, c, "b", "o")
	mustCreateUpload(t, c, "b", "k", "u")
	mustCreateUpload(t, c, "b", "k", "u0") // a neighbouring upload's parts never show
	mustPutPart(t, c, "b", "k", "u0", blobPart(5, "other"))
	var all []catalog.Part
	for _, n := range []int{1, 2, 3, 9, 10, 11, 255, 256, 1000, 10000} {
		p := blobPart(n, fmt.Sprint("b", n))
		mustPutPart(t, c, "b", "k", "u", p)
		all = append(all, p)
	}
	for _, tc := range []struct {
		after, limit int
		from, to     int // indexes into all
		more         bool
	}{
		{0, 100, 0, 10, false}, {0, 10, 0, 10, false}, {0, 9, 0, 9, true}, {0, 1, 0, 1, true},
		{1, 2, 1, 3, true}, {3, 3, 3, 6, true}, {8, 100, 3, 10, false}, {255, 2, 7, 9, true},
		{1000, 1, 9, 10, false}, {10000, 10, 10, 10, false}, {-5, 2, 0, 2, true}, {0, 0, 0, 0, true},
	} {
		parts, more := listParts(t, c, "b", "k", "u", tc.after, tc.limit)
		if len(parts) == 0 && tc.from == tc.to {
			if more != tc.more {
				t.Fatalf("ListParts(after %d, limit %d) more = %v", tc.after, tc.limit, more)
			}
			continue
		}
		checkParts(t, parts, all[tc.from:tc.to])
		if more != tc.more {
			t.Fatalf("ListParts(after %d, limit %d) more = %v, want %v", tc.after, tc.limit, more, tc.more)
		}
	}
}

// testManyParts stores 10,000 parts, pages through them and completes the
// upload: nothing may be quadratic in the number of parts.
func testManyParts(t *testing.T, c catalog.Catalog) {
	mustCreateBucket(t, c, "b", "o")
	mustCreateUpload(t, c, "b", "big", "u")
	const n = 10000
	var failed atomic.Value
	start := time.Now()
	parallel(32, func(w int) {
		for i := w + 1; i <= n; i += 32 {
			if err := c.PutPart(ctx, "b", "big", "u", blobPart(i, fmt.Sprintf("part-%05d", i))); err != nil {
				failed.Store(err)
				return
			}
		}
	})
	if err := failed.Load(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d PutPart in %v", n, time.Since(start))
	after, pages, count := 0, 0, 0
	for {
		parts, more := listParts(t, c, "b", "big", "u", after, 1000)
		for _, p := range parts {
			count++
			if p.Number != count || p.Extents[0].BlobID != fmt.Sprintf("part-%05d", count) {
				t.Fatalf("part %d is %+v", count, p)
			}
		}
		pages++
		if !more {
			break
		}
		after = parts[len(parts)-1].Number
	}
	if count != n || pages != n/1000 {
		t.Fatalf("paged %d parts in %d pages", count, pages)
	}
	start = time.Now()
	// The object uses every part but the last.
	err := c.CompleteUpload(ctx, "b", "big", "u", func(u *catalog.Upload, parts []catalog.Part, cur *catalog.Object) (*catalog.Object, error) {
		if len(parts) != n {
			return nil, fmt.Errorf("fn got %d parts", len(parts))
		}
		return assembleAll(nil)(u, parts[:n-1], cur)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("CompleteUpload of %d parts in %v", n, time.Since(start))
	o := getObject(t, c, "b", "big")
	if len(o.Extents) != n-1 || o.Size != 10*(n-1) {
		t.Fatalf("object has %d extents, size %d", len(o.Extents), o.Size)
	}
	if got := pending(t, c); !reflect.DeepEqual(got, []string{fmt.Sprintf("part-%05d", n)}) {
		t.Fatalf("GC queue = %q, want only the unused part's blob", got)
	}
	for _, i := range []int{1, 5000, n - 1} {
		if !referenced(t, c, fmt.Sprintf("part-%05d", i)) {
			t.Fatalf("part-%05d not referenced by the object", i)
		}
	}
	uploadGone(t, c, "b", "big", "u")
}

func testDeleteBucketWithUploads(t *testing.T, c catalog.Catalog) {
	mustCreateBucket(t, c, "b", "o")
	mustCreateBucket(t, c, "bb", "o") // a bucket whose name extends b's
	mustCreateUpload(t, c, "bb", "k", "u")
	mustCreateUpload(t, c, "b", "k", "u")
	if err := c.DeleteBucket(ctx, "b"); !errors.Is(err, catalog.ErrBucketNotEmpty) {
		t.Fatalf("DeleteBucket with an upload: %v, want ErrBucketNotEmpty", err)
	}
	mustPutPart(t, c, "b", "k", "u", blobPart(1, "A"))
	if err := c.CompleteUpload(ctx, "b", "k", "u", assembleAll(nil)); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteBucket(ctx, "b"); !errors.Is(err, catalog.ErrBucketNotEmpty) {
		t.Fatalf("DeleteBucket with the completed object: %v, want ErrBucketNotEmpty", err)
	}
	del(t, c, "b", "k")
	if err := c.DeleteBucket(ctx, "b"); err != nil {
		t.Fatalf("DeleteBucket after the upload completed and its object went: %v", err)
	}
	if err := c.DeleteBucket(ctx, "bb"); !errors.Is(err, catalog.ErrBucketNotEmpty) {
		t.Fatalf("DeleteBucket(bb): %v", err)
	}
	if err := c.AbortUpload(ctx, "bb", "k", "u", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteBucket(ctx, "bb"); err != nil {
		t.Fatal(err)
	}
	// A re-created bucket has no uploads.
	mustCreateBucket(t, c, "b", "o")
	p, err := c.ListUploads(ctx, catalog.ListQuery{Bucket: "b", Limit: 10})
	if err != nil || len(p.Entries) != 0 {
		t.Fatalf("re-created bucket has uploads %v, %v", p.Entries, err)
	}
}

// testConcurrentCreateUploadDeleteBucket races CreateUpload with
// DeleteBucket: an upload never survives in a deleted bucket.
func testConcurrentCreateUploadDeleteBucket(t *testing.T, c catalog.Catalog) {
	deleted := 0
	defer func() { t.Logf("DeleteBucket won %d of 20 races", deleted) }()
	for round := range 20 {
		name := fmt.Sprintf("race-%d", round)
		mustCreateBucket(t, c, name, "o")
		var createErr, delErr error
		parallel(2, func(i int) {
			jitter(round)
			if i == round%2 { // alternate which side starts first
				createErr = c.CreateUpload(ctx, newUpload(name, "k", "u"))
			} else {
				delErr = c.DeleteBucket(ctx, name)
			}
		})
		switch {
		case createErr == nil && delErr == nil:
			t.Fatal("both CreateUpload and DeleteBucket succeeded")
		case createErr == nil && !errors.Is(delErr, catalog.ErrBucketNotEmpty):
			t.Fatalf("DeleteBucket: %v", delErr)
		case delErr == nil && !errors.Is(createErr, catalog.ErrNotFound):
			t.Fatalf("CreateUpload: %v", createErr)
		}
		if delErr == nil {
			deleted++
			mustCreateBucket(t, c, name, "o")
			if _, err := c.GetUpload(ctx, name, "k", "u"); !errors.Is(err, catalog.ErrNotFound) {
				t.Fatalf("upload survived its bucket: %v", err)
			}
		}
	}
}

// uploadsModel lists uploads by the definition, as names: "key#id" for an
// upload, "+prefix" for a common prefix.
func uploadsModel(ups [][2]string, q catalog.ListQuery) (entries []string, truncated bool) {
	all := []string{}
	last := ""
	for _, u := range sortedUploads(ups) {
		k, id := u[0], u[1]
		if len(k) < len(q.Prefix) || k[:len(q.Prefix)] != q.Prefix {
			continue
		}
		if cp, ok := foldKey(k, q.Prefix, q.Delimiter); ok {
			if cp <= q.After || "+"+cp == last {
				continue
			}
			last = "+" + cp
		} else {
			if q.After != "" && (k < q.After || (k == q.After && (q.AfterUpload == "" || id <= q.AfterUpload))) {
				continue
			}
			last = k + "#" + id
		}
		all = append(all, last)
	}
	if len(all) > q.Limit {
		return all[:max(q.Limit, 0)], true
	}
	return all, false
}

func uploadNames(p catalog.UploadPage) []string {
	out := []string{}
	for _, e := range p.Entries {
		switch {
		case e.Upload != nil && e.Prefix != "":
			out = append(out, "!both:"+e.Prefix)
		case e.Upload != nil:
			out = append(out, e.Upload.Key+"#"+e.Upload.ID)
		default:
			out = append(out, "+"+e.Prefix)
		}
	}
	return out
}

var uploadKeysForList = [][2]string{
	{"a/b", "2"}, {"a/b", "1"}, {"a/b", "10"}, {"a/b/c", "x"}, {"a\x00", "n"}, {"a", "1"},
	{"a/", "1"}, {"b/x/y", "1"}, {"b/x/z", "1"}, {"c", "\x00"}, {"c", "z"},
	{"d/e", "1"}, {"é/1", "a"}, {"\xff", "1"}, {"\xff/", "1"},
}

func testListUploads(t *testing.T, c catalog.Catalog) {
	mustCreateBucket(t, c, "b", "o")
	mustCreateBucket(t, c, "b0", "o")
	mustCreateUpload(t, c, "b0", "a/zzz", "other-bucket")
	for _, u := range uploadKeysForList {
		mustCreateUpload(t, c, "b", u[0], u[1])
	}
	put(t, c, "b", inlineObject("a/obj", "objects never show"))
	if _, err := c.ListUploads(ctx, catalog.ListQuery{Bucket: "nope", Limit: 10}); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("ListUploads of a missing bucket: %v", err)
	}
	// Entries carry whole upload records.
	p, err := c.ListUploads(ctx, catalog.ListQuery{Bucket: "b", Prefix: "d/", Limit: 10})
	if err != nil || len(p.Entries) != 1 {
		t.Fatalf("ListUploads = %+v, %v", p, err)
	}
	checkUpload(t, p.Entries[0].Upload, newUpload("b", "d/e", "1"))

	prefixes := []string{"", "a", "a/", "a/b", "b/", "b/x/", "\xff", "zz"}
	afters := [][2]string{{"", ""}, {"a", ""}, {"a/b", ""}, {"a/b", "1"}, {"a/b", "10"}, {"a/b", "2"}, {"a/b", "0"},
		{"a/", "1"}, {"a/b/", ""}, {"b/x/", ""}, {"b/x/y", "1"}, {"c", ""}, {"c", "\x00"}, {"\xff", "1"}, {"\xff\xff", ""}}
	for _, prefix := range prefixes {
		for _, delim := range []string{"", "/"} {
			for _, after := range afters {
				for _, limit := range []int{1, 2, 3, 1000} {
					q := catalog.ListQuery{Bucket: "b", Prefix: prefix, Delimiter: delim, After: after[0], AfterUpload: after[1], Limit: limit}
					want, wantTrunc := uploadsModel(uploadKeysForList, q)
					p, err := c.ListUploads(ctx, q)
					if err != nil {
						t.Fatal(err)
					}
					if got := uploadNames(p); !reflect.DeepEqual(got, want) || p.Truncated != wantTrunc {
						t.Fatalf("ListUploads(%#v) = %q truncated=%v; want %q truncated=%v", q, got, p.Truncated, want, wantTrunc)
					}
				}
			}
		}
	}
	// Paging with the last entry as the marker adds up to the whole listing.
	for _, delim := range []string{"", "/"} {
		full, _ := uploadsModel(uploadKeysForList, catalog.ListQuery{Delimiter: delim, Limit: 1 << 30})
		for limit := 1; limit <= len(full); limit++ {
			var got []string
			q := catalog.ListQuery{Bucket: "b", Delimiter: delim, Limit: limit}
			for pages := 0; ; pages++ {
				if pages > len(full) {
					t.Fatal("paging does not end")
				}
				p, err := c.ListUploads(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, uploadNames(p)...)
				if !p.Truncated {
					break
				}
				last := p.Entries[len(p.Entries)-1]
				if last.Upload != nil {
					q.After, q.AfterUpload = last.Upload.Key, last.Upload.ID
				} else {
					q.After, q.AfterUpload = last.Prefix, ""
				}
			}
			if !reflect.DeepEqual(got, full) {
				t.Fatalf("paging by %d (delimiter %q) = %q, want %q", limit, delim, got, full)
			}
		}
	}
}
