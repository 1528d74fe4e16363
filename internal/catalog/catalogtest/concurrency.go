package catalogtest

import (
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/zonal-dev/zonal/internal/catalog"
)

const writers = 16

// parallel runs fn(i) for i in [0, n) concurrently and waits. The
// goroutines start together, so the scheduler's preference for the newest
// goroutine does not decide every race the same way.
func parallel(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			fn(i)
		}()
	}
	close(start)
	wg.Wait()
}

func testConcurrentConditionalCreate(t *testing.T, c catalog.Catalog) {
	mustCreateBucket(t, c, "b", "o")
	for round := range 5 {
		key := fmt.Sprintf("k%d", round)
		var wins atomic.Int32
		var winner atomic.Int32
		errs := make(chan error, writers)
		parallel(writers, func(i int) {
			err := c.UpdateObject(ctx, "b", key, func(cur *catalog.Object) (*catalog.Object, error) {
				if cur != nil {
					return nil, errCondition // If-None-Match: *
				}
				return inlineObject(key, strconv.Itoa(i)), nil
			})
			switch {
			case err == nil:
				wins.Add(1)
				winner.Store(int32(i))
			case !errors.Is(err, errCondition):
				errs <- err
			}
		})
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if n := wins.Load(); n != 1 {
			t.Fatalf("%d conditional creates of %s succeeded, want exactly 1", n, key)
		}
		got := getObject(t, c, "b", key)
		if data := string(got.Extents[0].Inline); data != strconv.Itoa(int(winner.Load())) {
			t.Fatalf("stored %q, but writer %d won", data, winner.Load())
		}
	}
}

func testConcurrentCounter(t *testing.T, c catalog.Catalog) {
	mustCreateBucket(t, c, "b", "o")
	const perWriter = 25
	var failed atomic.Value
	// Two counters on different keys, so unrelated keys interleave too.
	parallel(writers, func(i int) {
		key := fmt.Sprintf("counter-%d", i%2)
		for range perWriter {
			err := c.UpdateObject(ctx, "b", key, func(cur *catalog.Object) (*catalog.Object, error) {
				n := 0
				if cur != nil {
					n, _ = strconv.Atoi(cur.Meta["n"])
				} else {
					cur = &catalog.Object{Key: key}
				}
				cur.Meta = map[string]string{"n": strconv.Itoa(n + 1)}
				return cur, nil
			})
			if err != nil {
				failed.Store(err)
				return
			}
		}
	})
	if err := failed.Load(); err != nil {
		t.Fatal(err)
	}
	for k := range 2 {
		got := getObject(t, c, "b", fmt.Sprintf("counter-%d", k))
		if want := strconv.Itoa(writers / 2 * perWriter); got.Meta["n"] != want {
			t.Fatalf("counter-%d = %s, want %s (lost updates)", k, got.Meta["n"], want)
		}
	}
}

// testConcurrentSharedBlob has many keys gain and drop references to one
// blob at once while an anchor key holds it: a lost count update would
// queue it (or leave it referenced) wrongly.
func testConcurrentSharedBlob(t *testing.T, c catalog.Catalog) {
	mustCreateBucket(t, c, "b", "o")
	put(t, c, "b", blobObject("anchor", "S"))
	var failed atomic.Value
	parallel(writers, func(i int) {
		key := fmt.Sprintf("copy-%d", i)
		for range 10 {
			for _, o := range []*catalog.Object{blobObject(key, "S", fmt.Sprintf("own-%d", i)), nil} {
				err := c.UpdateObject(ctx, "b", key, func(*catalog.Object) (*catalog.Object, error) { return o, nil })
				if err != nil {
					failed.Store(err)
					return
				}
			}
		}
	})
	if err := failed.Load(); err != nil {
		t.Fatal(err)
	}
	if !referenced(t, c, "S") {
		t.Fatal("anchor's blob lost its reference")
	}
	if n := backlog(t, c); n != writers {
		t.Fatalf("GCBacklog = %d, want %d (each writer's own blob)", n, writers)
	}
	del(t, c, "b", "anchor")
	if referenced(t, c, "S") || backlog(t, c) != writers+1 {
		t.Fatal("shared blob not queued once its last reference went")
	}
}

// testConcurrentDeleteBucket races DeleteBucket against creates: an update
// must never commit into a bucket that a concurrent delete removed.
func testConcurrentDeleteBucket(t *testing.T, c catalog.Catalog) {
	for round := range 20 {
		name := fmt.Sprintf("race-%d", round)
		mustCreateBucket(t, c, name, "o")
		var putErr, delErr error
		parallel(2, func(i int) {
			jitter(round)
			if i == round%2 { // alternate which side starts first
				putErr = c.UpdateObject(ctx, name, "k", func(*catalog.Object) (*catalog.Object, error) {
					return blobObject("k", "blob-"+name), nil
				})
			} else {
				delErr = c.DeleteBucket(ctx, name)
			}
		})
		switch {
		case putErr == nil && delErr == nil:
			t.Fatal("both the put and the bucket delete succeeded")
		case putErr == nil && !errors.Is(delErr, catalog.ErrBucketNotEmpty):
			t.Fatalf("DeleteBucket: %v", delErr)
		case delErr == nil && !errors.Is(putErr, catalog.ErrNotFound):
			t.Fatalf("UpdateObject: %v", putErr)
		}
		if delErr == nil {
			if referenced(t, c, "blob-"+name) {
				t.Fatal("refused put left a reference")
			}
			mustCreateBucket(t, c, name, "o")
			checkNotFound(t, c, name, "k")
		}
	}
}

func testConfig(t *testing.T, c catalog.Catalog) {
	if _, err := c.GetConfig(ctx, "keyring"); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("GetConfig unset: %v, want ErrNotFound", err)
	}
	value := []byte("v1\x00\xff")
	if err := c.PutConfig(ctx, "keyring", value); err != nil {
		t.Fatal(err)
	}
	value[0] = 'X' // the catalog keeps its own copy
	got, err := c.GetConfig(ctx, "keyring")
	if err != nil || string(got) != "v1\x00\xff" {
		t.Fatalf("GetConfig = %q, %v", got, err)
	}
	got[0] = 'Y'
	if err := c.PutConfig(ctx, "keyring", []byte("v2")); err != nil {
		t.Fatal(err)
	}
	if err := c.PutConfig(ctx, "keyring2", nil); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"keyring": "v2", "keyring2": ""} {
		got, err := c.GetConfig(ctx, name)
		if err != nil || string(got) != want {
			t.Fatalf("GetConfig(%s) = %q, %v; want %q", name, got, err, want)
		}
	}
	if _, err := c.GetConfig(ctx, "keyring3"); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("GetConfig of a name sharing a prefix: %v, want ErrNotFound", err)
	}
}

func testClosed(t *testing.T, c catalog.Catalog) {
	mustCreateBucket(t, c, "b", "o")
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetBucket(ctx, "b"); !errors.Is(err, catalog.ErrClosed) {
		t.Fatalf("GetBucket after Close: %v, want ErrClosed", err)
	}
	err := c.UpdateObject(ctx, "b", "k", func(*catalog.Object) (*catalog.Object, error) {
		return inlineObject("k", "v"), nil
	})
	if !errors.Is(err, catalog.ErrClosed) {
		t.Fatalf("UpdateObject after Close: %v, want ErrClosed", err)
	}
}

// jitter yields a few times, varying with n, so two-sided races do not
// always resolve in spawn order.
func jitter(n int) {
	for range n % 3 {
		runtime.Gosched()
	}
}

// testConcurrentReadsSeeWholeRecords overwrites one key with records of
// different inline sizes and contents while readers get and list it: every
// read returns one whole version (its data matches its own ETag and size),
// never the metadata of one write with the bytes of another.
func testConcurrentReadsSeeWholeRecords(t *testing.T, c catalog.Catalog) {
	mustCreateBucket(t, c, "b", "o")
	version := func(v int) *catalog.Object {
		data := make([]byte, 100+v%7*1000)
		for i := range data {
			data[i] = byte(v)
		}
		o := &catalog.Object{Key: "k", ETag: strconv.Itoa(v), Size: int64(len(data))}
		// Split the bytes differently from version to version.
		cut := v % 3 * 50
		o.Extents = []catalog.Extent{{Inline: data[:cut]}, {Inline: data[cut:]}}
		if v%4 == 3 {
			o.Extents = append(o.Extents, catalog.Extent{BlobID: "blob-" + strconv.Itoa(v), Length: 10})
			o.Size += 10
		}
		return o
	}
	put(t, c, "b", version(0))
	var stop atomic.Bool
	var failed atomic.Value
	parallel(4, func(i int) {
		if i == 0 {
			defer stop.Store(true)
			for v := 1; v <= 300; v++ {
				err := c.UpdateObject(ctx, "b", "k", func(*catalog.Object) (*catalog.Object, error) { return version(v), nil })
				if err != nil {
					failed.Store(err)
					return
				}
			}
			return
		}
		for !stop.Load() {
			o, err := c.GetObject(ctx, "b", "k")
			if err != nil {
				failed.Store(err)
				return
			}
			v, _ := strconv.Atoi(o.ETag)
			if g, w := normalize(o), normalize(version(v)); !reflect.DeepEqual(g, w) {
				failed.Store(fmt.Errorf("read a torn record: got %d extents, size %d, for version %d", len(o.Extents), o.Size, v))
				return
			}
			p, err := c.ListObjects(ctx, catalog.ListQuery{Bucket: "b", Delimiter: "/", Limit: 10})
			if err != nil || len(p.Entries) != 1 {
				failed.Store(fmt.Errorf("list: %v, %v", p, err))
				return
			}
			lo := p.Entries[0].Object
			var n int64
			for _, e := range lo.Extents {
				n += e.Size()
			}
			if n != lo.Size {
				failed.Store(fmt.Errorf("listed record's extents sum to %d, size %d", n, lo.Size))
				return
			}
		}
	})
	if err := failed.Load(); err != nil {
		t.Fatal(err)
	}
}
