// Package catalogtest is the conformance suite every catalog.Catalog engine
// passes: each engine's tests call Run with a constructor, so the engines
// cannot drift apart in behaviour.
package catalogtest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// Run runs the suite. open returns a fresh, empty catalog for one subtest
// and arranges for it to be closed when the subtest ends (closing twice must
// be harmless).
func Run(t *testing.T, open func(t *testing.T) catalog.Catalog) {
	tests := []struct {
		name string
		fn   func(t *testing.T, c catalog.Catalog)
	}{
		{"BucketLifecycle", testBucketLifecycle},
		{"ListBuckets", testListBuckets},
		{"BucketNamesDoNotCollide", testBucketNamesDoNotCollide},
		{"ObjectRoundTrip", testObjectRoundTrip},
		{"ObjectCreateReplaceDelete", testObjectCreateReplaceDelete},
		{"UpdateErrorAborts", testUpdateErrorAborts},
		{"UpdateMissingBucket", testUpdateMissingBucket},
		{"RecordsAreCopies", testRecordsAreCopies},
		{"SharedBlobRefcount", testSharedBlobRefcount},
		{"ReplaceMovesRefs", testReplaceMovesRefs},
		{"RequeuedBlobLeavesQueue", testRequeuedBlobLeavesQueue},
		{"PendingGCOrder", testPendingGCOrder},
		{"ListBasics", testListBasics},
		{"ListMatchesModel", testListMatchesModel},
		{"ListPaging", testListPaging},
		{"ListMissingBucket", testListMissingBucket},
		{"ConcurrentConditionalCreate", testConcurrentConditionalCreate},
		{"ConcurrentCounter", testConcurrentCounter},
		{"ConcurrentSharedBlob", testConcurrentSharedBlob},
		{"ConcurrentDeleteBucket", testConcurrentDeleteBucket},
		{"InlineExtents", testInlineExtents},
		{"ListingSkipsData", testListingSkipsData},
		{"BucketConfig", testBucketConfig},
		{"BucketTags", testBucketTags},
		{"AccessPoints", testAccessPoints},
		{"ConcurrentAccessPointDeleteBucket", testConcurrentAccessPointDeleteBucket},
		{"ConcurrentUpdateBucket", testConcurrentUpdateBucket},
		{"UpdateObjectsMove", testUpdateObjectsMove},
		{"UpdateObjectsCopy", testUpdateObjectsCopy},
		{"UpdateObjectsAborts", testUpdateObjectsAborts},
		{"UpdateObjectsOpposing", testUpdateObjectsOpposing},
		{"UploadLifecycle", testUploadLifecycle},
		{"CompleteUploadAborts", testCompleteUploadAborts},
		{"AbortUpload", testAbortUpload},
		{"UploadBlobSharing", testUploadBlobSharing},
		{"UploadInlineParts", testUploadInlineParts},
		{"ListParts", testListParts},
		{"ManyParts", testManyParts},
		{"DeleteBucketWithUploads", testDeleteBucketWithUploads},
		{"ConcurrentCreateUploadDeleteBucket", testConcurrentCreateUploadDeleteBucket},
		{"ListUploads", testListUploads},
		{"ListObjectsWithUploads", testListObjectsWithUploads},
		{"PutPartRacesFinish", testPutPartRacesFinish},
		{"ConcurrentFinish", testConcurrentFinish},
		{"ConcurrentReplacePart", testConcurrentReplacePart},
		{"ConcurrentCompleteAndUpdate", testConcurrentCompleteAndUpdate},
		{"ConcurrentReadsSeeWholeRecords", testConcurrentReadsSeeWholeRecords},
		{"Config", testConfig},
		{"UpdateConfigConcurrent", testUpdateConfigConcurrent},
		{"UpdateConfigNilAndError", testUpdateConfigNilAndError},
		{"ConfigChanges", testConfigChanges},
		{"ConfigLargeValue", testConfigLargeValue},
		{"ClaimToken", testClaimToken},
		{"Closed", testClosed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, open(t))
		})
	}
}

var ctx = context.Background()

// errCondition is returned by update functions in tests to refuse a write.
var errCondition = errors.New("catalogtest: condition failed")

func mustCreateBucket(t *testing.T, c catalog.Catalog, name, owner string) {
	t.Helper()
	err := c.CreateBucket(ctx, catalog.Bucket{
		Name: name, Owner: owner, Region: "us-east-1", Zone: "use1-az4",
		CreatedAt: time.Unix(1700000000, 123456789),
	})
	if err != nil {
		t.Fatalf("CreateBucket(%q): %v", name, err)
	}
}

// put stores o under o.Key unconditionally.
func put(t *testing.T, c catalog.Catalog, bucket string, o *catalog.Object) {
	t.Helper()
	err := c.UpdateObject(ctx, bucket, o.Key, func(*catalog.Object) (*catalog.Object, error) {
		return o, nil
	})
	if err != nil {
		t.Fatalf("UpdateObject(%q, %q): %v", bucket, o.Key, err)
	}
}

func del(t *testing.T, c catalog.Catalog, bucket, key string) {
	t.Helper()
	err := c.UpdateObject(ctx, bucket, key, func(*catalog.Object) (*catalog.Object, error) {
		return nil, nil
	})
	if err != nil {
		t.Fatalf("delete %q/%q: %v", bucket, key, err)
	}
}

// inlineObject is a small object with inline data.
func inlineObject(key, data string) *catalog.Object {
	return &catalog.Object{
		Key: key, Size: int64(len(data)), ETag: fmt.Sprintf("etag-%s", data),
		LastModified: time.Unix(1700000000, 1), Parts: 1,
		Extents: []catalog.Extent{{Inline: []byte(data)}},
	}
}

// blobObject is an object whose data is in the given blobs, 10 bytes each.
func blobObject(key string, blobIDs ...string) *catalog.Object {
	o := &catalog.Object{Key: key, LastModified: time.Unix(1700000000, 2), Parts: len(blobIDs)}
	for _, id := range blobIDs {
		o.Extents = append(o.Extents, catalog.Extent{BlobID: id, Offset: 0, Length: 10})
		o.Size += 10
	}
	return o
}

func referenced(t *testing.T, c catalog.Catalog, blobID string) bool {
	t.Helper()
	ok, err := c.BlobReferenced(ctx, blobID)
	if err != nil {
		t.Fatalf("BlobReferenced(%s): %v", blobID, err)
	}
	return ok
}

func backlog(t *testing.T, c catalog.Catalog) int {
	t.Helper()
	n, err := c.GCBacklog(ctx)
	if err != nil {
		t.Fatalf("GCBacklog: %v", err)
	}
	return n
}

// pending returns the ids of every queued blob, oldest first.
func pending(t *testing.T, c catalog.Catalog) []string {
	t.Helper()
	items, err := c.PendingGC(ctx, time.Now().Add(time.Hour), 1000)
	if err != nil {
		t.Fatalf("PendingGC: %v", err)
	}
	var ids []string
	for _, it := range items {
		ids = append(ids, it.BlobID)
	}
	return ids
}

// normalize makes records comparable with reflect.DeepEqual: times by
// instant, absent and empty maps, slices and byte fields alike, inline
// extents always non-nil with their Length set (engines store len(Inline)
// as the Length of an inline extent whose caller left it 0).
func normalize(o *catalog.Object) *catalog.Object {
	if o == nil {
		return nil
	}
	n := *o
	if !n.LastModified.IsZero() {
		n.LastModified = time.Unix(0, n.LastModified.UnixNano()).UTC()
	}
	n.Headers, n.Meta, n.Checksums = normMap(o.Headers), normMap(o.Meta), normMap(o.Checksums)
	n.PartList = nil
	if len(o.PartList) > 0 {
		n.PartList = append([]catalog.ObjectPart{}, o.PartList...)
	}
	n.WrappedKey = normBytes(o.WrappedKey)
	n.Extents = normExtents(o.Extents)
	return &n
}

func normMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}

func normBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte{}, b...)
}

func normExtents(extents []catalog.Extent) []catalog.Extent {
	var out []catalog.Extent
	for _, e := range extents {
		if e.BlobID == "" {
			e.Inline = append([]byte{}, e.Inline...)
			if e.Length == 0 {
				e.Length = int64(len(e.Inline))
			}
		}
		e.IV = normBytes(e.IV)
		out = append(out, e)
	}
	return out
}

// metadataOnly is what a listing returns for o: inline extents keep their
// Length and lose their bytes.
func metadataOnly(o *catalog.Object) *catalog.Object {
	n := normalize(o)
	for i := range n.Extents {
		if n.Extents[i].BlobID == "" {
			n.Extents[i].Inline = nil
		}
	}
	return n
}

// checkListed checks a listing entry's record against the stored record
// want: the same metadata, inline extents with their Length and no bytes.
func checkListed(t *testing.T, got, want *catalog.Object) {
	t.Helper()
	for i, e := range got.Extents {
		if e.BlobID == "" && e.Inline != nil {
			t.Fatalf("listed %q carries the bytes of inline extent %d", got.Key, i)
		}
	}
	g := normalize(got)
	for i := range g.Extents {
		if g.Extents[i].BlobID == "" {
			g.Extents[i].Inline = nil
		}
	}
	if w := metadataOnly(want); !reflect.DeepEqual(g, w) {
		t.Fatalf("listed record mismatch\n got: %+v\nwant: %+v", g, w)
	}
}

func checkObject(t *testing.T, got, want *catalog.Object) {
	t.Helper()
	if g, w := normalize(got), normalize(want); !reflect.DeepEqual(g, w) {
		t.Fatalf("record mismatch\n got: %+v\nwant: %+v", g, w)
	}
}

func getObject(t *testing.T, c catalog.Catalog, bucket, key string) *catalog.Object {
	t.Helper()
	o, err := c.GetObject(ctx, bucket, key)
	if err != nil {
		t.Fatalf("GetObject(%q, %q): %v", bucket, key, err)
	}
	return o
}

func checkNotFound(t *testing.T, c catalog.Catalog, bucket, key string) {
	t.Helper()
	if o, err := c.GetObject(ctx, bucket, key); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("GetObject(%q, %q) = %v, %v; want ErrNotFound", bucket, key, o, err)
	}
}
