package catalogtest

import (
	"reflect"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/catalog"
)

func testSharedBlobRefcount(t *testing.T, c catalog.Catalog) {
	mustCreateBucket(t, c, "b", "o")
	mustCreateBucket(t, c, "b2", "o")
	// Two extents of one record count as one reference.
	put(t, c, "b", blobObject("k1", "shared", "shared"))
	put(t, c, "b2", blobObject("k2", "shared")) // a copy into another bucket
	if !referenced(t, c, "shared") {
		t.Fatal("shared blob not referenced")
	}
	// A metadata-only update keeps the reference.
	o := blobObject("k1", "shared", "shared")
	o.ETag = "new"
	put(t, c, "b", o)

	del(t, c, "b", "k1")
	if !referenced(t, c, "shared") || backlog(t, c) != 0 {
		t.Fatal("blob queued while another key still references it")
	}
	del(t, c, "b2", "k2")
	if referenced(t, c, "shared") {
		t.Fatal("blob referenced after both keys dropped it")
	}
	if got := pending(t, c); !reflect.DeepEqual(got, []string{"shared"}) {
		t.Fatalf("GC queue = %q, want [shared]", got)
	}
	if n := backlog(t, c); n != 1 {
		t.Fatalf("GCBacklog = %d, want 1", n)
	}
	if err := c.DoneGC(ctx, []string{"shared", "never-queued"}); err != nil {
		t.Fatal(err)
	}
	if n := backlog(t, c); n != 0 {
		t.Fatalf("GCBacklog after DoneGC = %d", n)
	}
	if got := pending(t, c); len(got) != 0 {
		t.Fatalf("PendingGC after DoneGC = %q", got)
	}
	// Inline records never touch the queue.
	put(t, c, "b", inlineObject("i", "data"))
	del(t, c, "b", "i")
	if n := backlog(t, c); n != 0 {
		t.Fatalf("inline object queued %d blobs", n)
	}
}

func testReplaceMovesRefs(t *testing.T, c catalog.Catalog) {
	mustCreateBucket(t, c, "b", "o")
	put(t, c, "b", blobObject("k", "A", "B"))
	put(t, c, "b", blobObject("k", "B", "C"))
	if referenced(t, c, "A") || !referenced(t, c, "B") || !referenced(t, c, "C") {
		t.Fatal("wrong references after replace")
	}
	if got := pending(t, c); !reflect.DeepEqual(got, []string{"A"}) {
		t.Fatalf("GC queue = %q, want [A]", got)
	}
	put(t, c, "b", inlineObject("k", "now inline"))
	if got := len(pending(t, c)); got != 3 {
		t.Fatalf("GC queue has %d blobs, want 3", got)
	}
}

// testRequeuedBlobLeavesQueue: a queued blob that gains a reference again is
// no longer garbage and must leave the queue, or GC would delete live data.
func testRequeuedBlobLeavesQueue(t *testing.T, c catalog.Catalog) {
	mustCreateBucket(t, c, "b", "o")
	put(t, c, "b", blobObject("k", "X"))
	del(t, c, "b", "k")
	if backlog(t, c) != 1 {
		t.Fatal("X not queued")
	}
	put(t, c, "b", blobObject("k2", "X"))
	if !referenced(t, c, "X") || backlog(t, c) != 0 || len(pending(t, c)) != 0 {
		t.Fatal("re-referenced blob still queued for GC")
	}
	del(t, c, "b", "k2")
	if got := pending(t, c); !reflect.DeepEqual(got, []string{"X"}) {
		t.Fatalf("GC queue = %q, want [X] once", got)
	}
}

func testPendingGCOrder(t *testing.T, c catalog.Catalog) {
	mustCreateBucket(t, c, "b", "o")
	// Queue blobs whose ids sort opposite to their queue order.
	ids := []string{"z3", "y2", "x1", "w0"}
	var marks []time.Time // marks[i]: after ids[i] was queued, before ids[i+1]
	for _, id := range ids {
		put(t, c, "b", blobObject("k-"+id, id))
		del(t, c, "b", "k-"+id)
		time.Sleep(2 * time.Millisecond)
		marks = append(marks, time.Now())
		time.Sleep(2 * time.Millisecond)
	}
	items, err := c.PendingGC(ctx, marks[len(marks)-1], 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i, it := range items {
		got = append(got, it.BlobID)
		if i > 0 && it.QueuedAt.Before(items[i-1].QueuedAt) {
			t.Fatalf("PendingGC not in time order: %v", items)
		}
		if it.QueuedAt.After(marks[i]) || (i > 0 && !it.QueuedAt.After(marks[i-1])) {
			t.Fatalf("QueuedAt of %s = %v, outside (%v, %v]", it.BlobID, it.QueuedAt, marks[max(i-1, 0)], marks[i])
		}
	}
	if !reflect.DeepEqual(got, ids) {
		t.Fatalf("PendingGC = %q, want %q", got, ids)
	}
	for i := range ids {
		items, err := c.PendingGC(ctx, marks[i], 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != i+1 {
			t.Fatalf("PendingGC(before mark %d) returned %d items, want %d", i, len(items), i+1)
		}
	}
	items, err = c.PendingGC(ctx, marks[0].Add(-time.Hour), 100)
	if err != nil || len(items) != 0 {
		t.Fatalf("PendingGC before anything was queued = %v, %v", items, err)
	}
	items, err = c.PendingGC(ctx, marks[3], 2)
	if err != nil || len(items) != 2 || items[0].BlobID != "z3" || items[1].BlobID != "y2" {
		t.Fatalf("PendingGC limit 2 = %v, %v; want the two oldest", items, err)
	}
	if err := c.DoneGC(ctx, []string{"y2", "w0"}); err != nil {
		t.Fatal(err)
	}
	if got := pending(t, c); !reflect.DeepEqual(got, []string{"z3", "x1"}) {
		t.Fatalf("after DoneGC queue = %q, want [z3 x1]", got)
	}
	if n := backlog(t, c); n != 2 {
		t.Fatalf("GCBacklog = %d, want 2", n)
	}
}
