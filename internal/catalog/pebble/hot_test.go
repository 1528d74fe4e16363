package pebble

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/zonal-dev/zonal/internal/catalog"
)

func hotRec(v int) *catalog.Object {
	s := strconv.Itoa(v)
	return &catalog.Object{ETag: s, Size: int64(len(s)), Extents: []catalog.Extent{{Inline: []byte(s)}}}
}

// TestHotObjectsServeReads: a record read once is answered from the cache
// (shown by removing it from Pebble behind the catalog's back), and every
// write path through the catalog drops it: overwrite, delete, UpdateObjects
// and CompleteUpload.
func TestHotObjectsServeReads(t *testing.T) {
	c := openTest(t, WithFS(memFS()))
	ctx := t.Context()
	if err := c.CreateBucket(ctx, catalog.Bucket{Name: "b", Owner: "o"}); err != nil {
		t.Fatal(err)
	}
	get := func() string {
		t.Helper()
		o, err := c.GetObject(ctx, "b", "k")
		if err != nil {
			return err.Error()
		}
		return o.ETag + "/" + string(o.Extents[0].Inline)
	}
	if err := c.UpdateObject(ctx, "b", "k", set(hotRec(1))); err != nil {
		t.Fatal(err)
	}
	if got := get(); got != "1/1" {
		t.Fatalf("GetObject = %s", got)
	}
	// Behind the catalog's back: only the cache still knows the record.
	okey := objectKey("b", "k")
	if err := c.db.Delete(okey, pebble.Sync); err != nil {
		t.Fatal(err)
	}
	if got := get(); got != "1/1" {
		t.Fatalf("GetObject after the record was removed underneath = %s, want the cached record", got)
	}
	// Changing a returned record does not change the cache.
	o, _ := c.GetObject(ctx, "b", "k")
	o.ETag, o.Extents[0].Inline[0] = "x", 'x'
	if got := get(); got != "1/1" {
		t.Fatalf("GetObject after a caller changed its copy = %s", got)
	}

	if err := c.UpdateObject(ctx, "b", "k", set(hotRec(2))); err != nil {
		t.Fatal(err)
	}
	if got := get(); got != "2/2" {
		t.Fatalf("GetObject after an overwrite = %s", got)
	}
	if err := c.UpdateObject(ctx, "b", "k", set(nil)); err != nil {
		t.Fatal(err)
	}
	if got := get(); got != catalog.ErrNotFound.Error() {
		t.Fatalf("GetObject after a delete = %s", got)
	}
	refs := []catalog.ObjectRef{{Bucket: "b", Key: "k"}}
	for v := 3; v <= 4; v++ {
		get() // fill
		err := c.UpdateObjects(ctx, refs, func(cur []*catalog.Object) ([]*catalog.Object, error) {
			return []*catalog.Object{hotRec(v)}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := get(), fmt.Sprintf("%d/%d", v, v); got != want {
			t.Fatalf("GetObject after UpdateObjects = %s, want %s", got, want)
		}
	}
	if err := c.CreateUpload(ctx, catalog.Upload{Bucket: "b", Key: "k", ID: "u"}); err != nil {
		t.Fatal(err)
	}
	err := c.CompleteUpload(ctx, "b", "k", "u", func(*catalog.Upload, []catalog.Part, *catalog.Object) (*catalog.Object, error) {
		return hotRec(5), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := get(); got != "5/5" {
		t.Fatalf("GetObject after CompleteUpload = %s", got)
	}
}

// TestHotObjectsReadAfterWrite: writers and readers race on a few keys
// (all in a handful of stripes, so fills and writes contend); a read that
// starts after a write returned never sees an older version.
func TestHotObjectsReadAfterWrite(t *testing.T) {
	c := openTest(t, WithFS(memFS()))
	ctx := t.Context()
	if err := c.CreateBucket(ctx, catalog.Bucket{Name: "b", Owner: "o"}); err != nil {
		t.Fatal(err)
	}
	const keys, writes = 4, 300
	var done [keys]atomic.Int64 // the last version whose write returned
	var wg sync.WaitGroup
	for k := range keys {
		key := "k" + strconv.Itoa(k)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := 1; v <= writes; v++ {
				if err := c.UpdateObject(ctx, "b", key, set(hotRec(v))); err != nil {
					t.Error(err)
					return
				}
				done[k].Store(int64(v))
			}
		}()
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for r := range 4 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := (i + r) % keys
				floor := done[k].Load()
				o, err := c.GetObject(ctx, "b", "k"+strconv.Itoa(k))
				if err != nil {
					if floor > 0 {
						t.Errorf("GetObject after version %d: %v", floor, err)
						return
					}
					continue
				}
				if v, _ := strconv.Atoi(o.ETag); int64(v) < floor || string(o.Extents[0].Inline) != o.ETag {
					t.Errorf("key %d: read version %s (data %q) after version %d was written", k, o.ETag, o.Extents[0].Inline, floor)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	readers.Wait()
}

// TestHotObjectsBounded: the cache keeps to its memory budget.
func TestHotObjectsBounded(t *testing.T) {
	var h hotObjects
	big := &catalog.Object{Extents: []catalog.Extent{{Inline: make([]byte, 12<<10)}}}
	for i := range 6000 {
		h.put(uint64(i), "b", "k"+strconv.Itoa(i), big)
	}
	var total, n int64
	for i := range h.shards {
		total += h.shards[i].bytes
		n += int64(len(h.shards[i].m))
	}
	if total > hotBytes || n < 1000 {
		t.Fatalf("%d records of %d bytes in all, budget %d", n, total, hotBytes)
	}
	if h.put(0, "b", "huge", &catalog.Object{Extents: []catalog.Extent{{Inline: make([]byte, hotRecordMax)}}}) || h.get(0, "b", "huge") != nil {
		t.Fatal("a record over hotRecordMax was cached")
	}
	var sum int64
	for i := range h.shards {
		for k, o := range h.shards[i].m {
			sum += recordSize(k.bucket, k.key, o)
		}
	}
	if sum != total {
		t.Fatalf("accounted %d bytes, holds %d", total, sum)
	}
}
