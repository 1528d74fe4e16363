package pebble

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// TestCrashKeepsAcknowledgedWrites "crashes" the filesystem (keeping only
// synced data, plus a random share of unsynced data) while writers run,
// reopens the clone and checks that every write acknowledged before the
// crash is there, and that each batch landed whole: a record is present
// exactly when its blob reference is.
func TestCrashKeepsAcknowledgedWrites(t *testing.T) {
	for _, unsynced := range []int{0, 50} {
		t.Run(fmt.Sprintf("unsynced%d", unsynced), func(t *testing.T) {
			testCrash(t, unsynced)
		})
	}
}

func testCrash(t *testing.T, unsyncedPercent int) {
	ctx := context.Background()
	fs := vfs.NewCrashableMem()
	c, err := Open("db", WithFS(fs), WithCacheSize(8<<20), WithLogger(quietLogger{}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.CreateBucket(ctx, catalog.Bucket{Name: "b", Owner: "o", CreatedAt: time.Unix(1, 2)}); err != nil {
		t.Fatal(err)
	}
	if err := c.PutConfig(ctx, "keyring", []byte("secret")); err != nil {
		t.Fatal(err)
	}
	// Records replaced by their writer: their old blob goes to the GC queue.
	for i := range 4 {
		if err := c.UpdateObject(ctx, "b", fmt.Sprintf("replaced-%d", i), set(record(i, "old-"+fmt.Sprint(i)))); err != nil {
			t.Fatal(err)
		}
	}

	const writers, perWriter = 8, 40
	var (
		mu    sync.Mutex
		acked = map[int]bool{}
		wg    sync.WaitGroup
	)
	crashAt := make(chan struct{})
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range perWriter {
				i := w*perWriter + j
				if j == perWriter/2 && w == 0 {
					close(crashAt) // crash while the others are mid-flight
				}
				if err := c.UpdateObject(ctx, "b", key(i), set(record(i, blobID(i)))); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				acked[i] = true
				mu.Unlock()
			}
		}()
	}
	for i := range 4 {
		if err := c.UpdateObject(ctx, "b", fmt.Sprintf("replaced-%d", i), set(record(i, "new-"+fmt.Sprint(i)))); err != nil {
			t.Fatal(err)
		}
	}
	<-crashAt
	mu.Lock()
	before := make(map[int]bool, len(acked))
	for i := range acked {
		before[i] = true
	}
	mu.Unlock()
	crashed := fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: unsyncedPercent, RNG: rand.New(rand.NewPCG(1, 2))})
	wg.Wait()

	r, err := Open("db", WithFS(crashed), WithCacheSize(8<<20), WithLogger(quietLogger{}))
	if err != nil {
		t.Fatalf("reopen after crash: %v", err)
	}
	defer r.Close()
	var known []string
	for i := range 4 {
		known = append(known, "old-"+fmt.Sprint(i), "new-"+fmt.Sprint(i))
	}
	for i := range before {
		known = append(known, blobID(i))
	}
	checkConsistency(t, r, known)
	if b, err := r.GetBucket(ctx, "b"); err != nil || b.Owner != "o" {
		t.Fatalf("bucket after crash: %+v, %v", b, err)
	}
	if v, err := r.GetConfig(ctx, "keyring"); err != nil || string(v) != "secret" {
		t.Fatalf("config after crash: %q, %v", v, err)
	}
	for i := range 4 {
		got, err := r.GetObject(ctx, "b", fmt.Sprintf("replaced-%d", i))
		if err != nil || got.Extents[1].BlobID != "new-"+fmt.Sprint(i) {
			t.Fatalf("replaced-%d after crash: %+v, %v", i, got, err)
		}
		if ok, _ := r.BlobReferenced(ctx, "old-"+fmt.Sprint(i)); ok {
			t.Fatalf("old-%d still referenced after crash", i)
		}
	}
	if n, err := r.GCBacklog(ctx); err != nil || n != 4 {
		t.Fatalf("GC backlog after crash = %d, %v; want the 4 replaced blobs", n, err)
	}
	present := 0
	for i := range writers * perWriter {
		got, err := r.GetObject(ctx, "b", key(i))
		has := err == nil
		if has {
			present++
			want := record(i, blobID(i))
			if got.ETag != want.ETag || got.Meta["i"] != want.Meta["i"] || string(got.Extents[0].Inline) != string(want.Extents[0].Inline) {
				t.Fatalf("%s after crash = %+v", key(i), got)
			}
		}
		if before[i] && !has {
			t.Fatalf("%s was acknowledged before the crash and is gone (%v)", key(i), err)
		}
		if ref, err := r.BlobReferenced(ctx, blobID(i)); err != nil || ref != has {
			t.Fatalf("%s present=%v but its blob referenced=%v (%v): batch not atomic", key(i), has, ref, err)
		}
	}
	t.Logf("acknowledged before crash: %d, present after: %d of %d", len(before), present, writers*perWriter)
}

func key(i int) string    { return fmt.Sprintf("obj/%04d", i) }
func blobID(i int) string { return fmt.Sprintf("blob-%04d", i) }

func record(i int, blob string) *catalog.Object {
	return &catalog.Object{
		ETag: fmt.Sprint("etag-", i), Size: 12, Parts: 1, LastModified: time.Unix(0, int64(i)),
		Meta:    map[string]string{"i": fmt.Sprint(i)},
		Extents: []catalog.Extent{{Inline: []byte(fmt.Sprintf("data-%d", i))}, {BlobID: blob, Length: 5}},
	}
}

func set(o *catalog.Object) catalog.ObjectUpdate {
	return func(*catalog.Object) (*catalog.Object, error) { return o, nil }
}

// TestCrashWithSeparatedValues flushes records large enough for Pebble's
// value separation (their bytes move to Pebble blob files), overwrites and
// deletes some, crashes and checks the reopened catalog holds exactly the
// acknowledged state.
func TestCrashWithSeparatedValues(t *testing.T) {
	ctx := context.Background()
	fs := vfs.NewCrashableMem()
	c, err := Open("db", WithFS(fs), WithLogger(quietLogger{}), WithValueSeparation(1024))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.CreateBucket(ctx, catalog.Bucket{Name: "b", Owner: "o"}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	putBig := func(i int, gen string) {
		data := fmt.Sprintf("%s-%d-", gen, i)
		for len(data) < 8<<10 {
			data += data
		}
		o := &catalog.Object{Size: int64(len(data)), ETag: gen, Extents: []catalog.Extent{{Inline: []byte(data)}}}
		if err := c.UpdateObject(ctx, "b", key(i), set(o)); err != nil {
			t.Fatal(err)
		}
		want[key(i)] = data
	}
	for i := range 200 {
		putBig(i, "v1")
	}
	if err := c.db.Flush(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i += 2 {
		putBig(i, "v2")
	}
	for i := 1; i < 200; i += 6 {
		if err := c.UpdateObject(ctx, "b", key(i), set(nil)); err != nil {
			t.Fatal(err)
		}
		delete(want, key(i))
	}
	if err := c.db.Flush(); err != nil {
		t.Fatal(err)
	}
	for i := 200; i < 250; i++ {
		putBig(i, "v3") // in the WAL only
	}
	if err := c.db.Compact(ctx, []byte{tableData}, []byte{tableObject + 1}, true); err != nil {
		t.Fatal(err)
	}

	r, err := Open("db", WithFS(fs.CrashClone(vfs.CrashCloneCfg{})), WithLogger(quietLogger{}))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	checkConsistency(t, r, nil)
	page, err := r.ListObjects(ctx, catalog.ListQuery{Bucket: "b", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Entries) != len(want) {
		t.Fatalf("%d objects after crash, want %d", len(page.Entries), len(want))
	}
	for _, e := range page.Entries {
		if e.Object.Extents[0].Inline != nil || e.Object.Extents[0].Length != int64(len(want[e.Object.Key])) {
			t.Fatalf("%s listed with extent %+v", e.Object.Key, e.Object.Extents[0])
		}
		o, err := r.GetObject(ctx, "b", e.Object.Key)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(o.Extents[0].Inline); got != want[e.Object.Key] {
			t.Fatalf("%s after crash holds %.20q..., want %.20q...", e.Object.Key, got, want[e.Object.Key])
		}
	}
}
