package crash

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	blobfs "github.com/zonal-dev/zonal/internal/blob/fs"
	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/catalog/pebble"
	"github.com/zonal-dev/zonal/internal/store"
)

// offlineReport is what the offline check of a stopped server's data
// folder found.
type offlineReport struct {
	buckets, objects, uploads, parts int
	blobFiles, referenced            int
	blobBytes                        int64 // on disk before the offline GC
	queued                           int   // unreferenced, queued for GC (replaced recently)
	leftovers                        int   // unreferenced, unqueued, older than the last restart: crash leftovers
	collected, swept                 int   // removed by CollectOnce / SweepOnce run offline
	afterSweep                       int   // blob files left after the sweep
}

func (r offlineReport) String() string {
	return fmt.Sprintf("%d bucket(s), %d object(s), %d open upload(s) with %d part(s); %d blob file(s) (%d MiB): %d referenced, %d queued for GC, %d crash leftover(s); offline GC collected %d, orphan sweep removed %d, %d blob file(s) remain",
		r.buckets, r.objects, r.uploads, r.parts, r.blobFiles, r.blobBytes>>20, r.referenced, r.queued, r.leftovers, r.collected, r.swept, r.afterSweep)
}

// offlineCheck opens the catalog and blob store of a stopped server and
// checks, from outside the engine, the invariants the orphan sweeper
// relies on:
//
//   - every blob a record (object or part) references exists, and the
//     catalog's reference count says it is referenced (else the sweeper
//     would delete live data);
//   - every blob file no record references is either queued for GC or a
//     crash leftover (written before the last restart) — one written after
//     it is a leak of normal operation — and has no stale reference count
//     (which would keep it forever);
//   - no blob queued for GC is referenced.
//
// Then it runs the store's own collector and orphan sweeper with a clock
// two hours ahead (past GCDelay and the 1 h OrphanGrace; the server has no
// setting to shorten the grace) and checks that every blob file left is
// referenced and every referenced blob is still there.
func offlineCheck(t *testing.T, dataDir string, lastRestart time.Time) offlineReport {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var rep offlineReport
	cat, err := pebble.Open(filepath.Join(dataDir, "meta"), pebble.WithLogger(testLogger{t}))
	if err != nil {
		t.Fatalf("offline: open catalog: %v", err)
	}
	defer cat.Close()
	blobs, err := blobfs.Open(filepath.Join(dataDir, "blobs"))
	if err != nil {
		t.Fatalf("offline: open blob store: %v", err)
	}

	refs := records(ctx, t, cat, &rep)
	files := map[string]time.Time{}
	if err := blobs.Walk(ctx, func(id string, mod time.Time) error { files[id] = mod; return nil }); err != nil {
		t.Fatalf("offline: walk blobs: %v", err)
	}
	rep.blobFiles = len(files)
	if n, _, err := blobs.Usage(ctx); err == nil {
		rep.blobBytes = n
	}
	items, err := cat.PendingGC(ctx, time.Now().Add(24*time.Hour), 1<<20)
	if err != nil {
		t.Fatalf("offline: PendingGC: %v", err)
	}
	queued := map[string]bool{}
	for _, it := range items {
		queued[it.BlobID] = true
	}

	var problems []string
	bad := func(format string, args ...any) {
		if len(problems) < 30 {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	for id, holders := range refs {
		if _, ok := files[id]; !ok {
			bad("LOST BLOB: %s is referenced by %v but has no file", id, holders)
		}
		ok, err := cat.BlobReferenced(ctx, id)
		if err != nil {
			t.Fatalf("offline: BlobReferenced: %v", err)
		}
		if !ok {
			bad("REFCOUNT: %s is referenced by %v but the catalog counts no reference (the sweeper would delete it)", id, holders)
		}
		if queued[id] {
			bad("GC QUEUE: %s is queued for deletion but referenced by %v", id, holders)
		}
	}
	for id, mod := range files {
		if _, ok := refs[id]; ok {
			rep.referenced++
			continue
		}
		ok, err := cat.BlobReferenced(ctx, id)
		if err != nil {
			t.Fatalf("offline: BlobReferenced: %v", err)
		}
		switch {
		case ok:
			bad("REFCOUNT LEAK: blob %s has a reference count but no record references it: it would never be collected", id)
		case queued[id]:
			rep.queued++
		case mod.After(lastRestart):
			bad("LEAK: unreferenced blob %s (not queued for GC) was written at %s, after the last restart at %s: no crash explains it",
				id, mod.Format(time.RFC3339Nano), lastRestart.Format(time.RFC3339Nano))
		default:
			rep.leftovers++
		}
	}

	// The real collector and sweeper, two hours later.
	later := func() time.Time { return time.Now().Add(2 * time.Hour) }
	st := store.New(cat, blobs, store.Options{Now: later})
	if rep.collected, err = st.CollectOnce(ctx); err != nil {
		t.Fatalf("offline: CollectOnce: %v", err)
	}
	if rep.swept, err = st.SweepOnce(ctx); err != nil {
		t.Fatalf("offline: SweepOnce: %v", err)
	}
	after := map[string]bool{}
	if err := blobs.Walk(ctx, func(id string, _ time.Time) error { after[id] = true; return nil }); err != nil {
		t.Fatalf("offline: walk blobs: %v", err)
	}
	rep.afterSweep = len(after)
	for id := range after {
		if _, ok := refs[id]; !ok {
			bad("SWEEP: unreferenced blob %s survived the collector and the orphan sweeper", id)
		}
	}
	for id, holders := range refs {
		if !after[id] {
			bad("SWEEP: referenced blob %s (%v) was deleted by the collector or the sweeper", id, holders)
		}
	}
	if n, err := cat.GCBacklog(ctx); err != nil || n != 0 {
		bad("GC backlog after CollectOnce: %d (%v), want 0", n, err)
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		t.Errorf("offline catalog/blob check of %s:\n  %s", dataDir, joinLines(problems))
	}
	return rep
}

// records returns, for every blob id a record references, the records
// (objects "o:bucket/key", parts "p:bucket/key#upload/n") that do.
func records(ctx context.Context, t *testing.T, cat catalog.Catalog, rep *offlineReport) map[string][]string {
	t.Helper()
	refs := map[string][]string{}
	add := func(ids []string, holder string) {
		for _, id := range ids {
			refs[id] = append(refs[id], holder)
		}
	}
	after := ""
	for {
		bs, err := cat.ListBuckets(ctx, "", after, 100)
		if err != nil {
			t.Fatalf("offline: ListBuckets: %v", err)
		}
		if len(bs) == 0 {
			break
		}
		for _, b := range bs {
			after = b.Name
			rep.buckets++
			q := catalog.ListQuery{Bucket: b.Name, Limit: 1000}
			for {
				page, err := cat.ListObjects(ctx, q)
				if err != nil {
					t.Fatalf("offline: ListObjects %s: %v", b.Name, err)
				}
				for _, e := range page.Entries {
					q.After = e.Name()
					if e.Object == nil {
						continue
					}
					o, err := cat.GetObject(ctx, b.Name, e.Object.Key)
					if err != nil {
						t.Fatalf("offline: GetObject %s/%s: %v", b.Name, e.Object.Key, err)
					}
					rep.objects++
					add(catalog.BlobIDs(o), "o:"+b.Name+"/"+o.Key)
				}
				if !page.Truncated {
					break
				}
			}
			uq := catalog.ListQuery{Bucket: b.Name, Limit: 1000}
			for {
				page, err := cat.ListUploads(ctx, uq)
				if err != nil {
					t.Fatalf("offline: ListUploads %s: %v", b.Name, err)
				}
				for _, e := range page.Entries {
					u := e.Upload
					if u == nil {
						continue
					}
					uq.After, uq.AfterUpload = u.Key, u.ID
					rep.uploads++
					parts, _, err := cat.ListParts(ctx, b.Name, u.Key, u.ID, 0, 100000)
					if err != nil {
						t.Fatalf("offline: ListParts %s/%s %s: %v", b.Name, u.Key, u.ID, err)
					}
					for i := range parts {
						rep.parts++
						add(catalog.PartBlobIDs(&parts[i]), fmt.Sprintf("p:%s/%s#%s/%d", b.Name, u.Key, u.ID, parts[i].Number))
					}
				}
				if !page.Truncated {
					break
				}
			}
		}
	}
	return refs
}

func joinLines(s []string) string {
	out := ""
	for i, l := range s {
		if i > 0 {
			out += "\n  "
		}
		out += l
	}
	return out
}

// testLogger sends Pebble's messages to the test log (its recovery notes
// would otherwise go to stderr).
type testLogger struct{ t *testing.T }

func (l testLogger) Infof(format string, args ...any)  { l.t.Logf("pebble: "+format, args...) }
func (l testLogger) Errorf(format string, args ...any) { l.t.Logf("pebble ERROR: "+format, args...) }
func (l testLogger) Fatalf(format string, args ...any) { l.t.Fatalf("pebble FATAL: "+format, args...) }
