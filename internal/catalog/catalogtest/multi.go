package catalogtest

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/catalog"
)

func refs(pairs ...string) []catalog.ObjectRef {
	var out []catalog.ObjectRef
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, catalog.ObjectRef{Bucket: pairs[i], Key: pairs[i+1]})
	}
	return out
}

// move returns an UpdateObjects callback that moves refs[0]'s record to
// refs[1] (RenameObject), or fails with errCondition when there is none.
func move(dstKey string) catalog.ObjectsUpdate {
	return func(cur []*catalog.Object) ([]*catalog.Object, error) {
		if cur[0] == nil {
			return nil, errCondition
		}
		moved := *cur[0]
		moved.Key = dstKey
		return []*catalog.Object{nil, &moved}, nil
	}
}

func testUpdateObjectsMove(t *testing.T, c catalog.Catalog) {
	mustCreateBucket(t, c, "b", "o")
	mustCreateBucket(t, c, "b2", "o")
	src := blobObject("src", "S1", "S2")
	src.Meta = map[string]string{"m": "v"}
	put(t, c, "b", src)
	put(t, c, "b", blobObject("dst", "D")) // replaced by the move

	if err := c.UpdateObjects(ctx, refs("b", "src", "b", "dst"), move("dst")); err != nil {
		t.Fatal(err)
	}
	checkNotFound(t, c, "b", "src")
	want := blobObject("dst", "S1", "S2")
	want.Meta = src.Meta
	checkObject(t, getObject(t, c, "b", "dst"), want)
	if !referenced(t, c, "S1") || !referenced(t, c, "S2") {
		t.Fatal("moved blobs lost their reference")
	}
	if got := pending(t, c); len(got) != 1 || got[0] != "D" {
		t.Fatalf("GC queue after move = %q, want only the replaced [D]", got)
	}

	// Across buckets, and an inline object keeps its bytes.
	put(t, c, "b", inlineObject("small", "inline bytes"))
	if err := c.UpdateObjects(ctx, refs("b", "small", "b2", "moved/small"), move("moved/small")); err != nil {
		t.Fatal(err)
	}
	checkNotFound(t, c, "b", "small")
	checkObject(t, getObject(t, c, "b2", "moved/small"), inlineObject("moved/small", "inline bytes"))
	if err := c.UpdateObjects(ctx, refs("b", "dst", "b2", "x"), move("x")); err != nil {
		t.Fatal(err)
	}
	if !referenced(t, c, "S1") || backlog(t, c) != 1 {
		t.Fatal("cross-bucket move changed references")
	}
	// The moved object's blobs are released once, when it is deleted.
	del(t, c, "b2", "x")
	if referenced(t, c, "S1") || referenced(t, c, "S2") || backlog(t, c) != 3 {
		t.Fatalf("after deleting the moved object: backlog %d", backlog(t, c))
	}
	// A move to a key that is then moved back leaves everything as it was.
	put(t, c, "b", blobObject("p", "P"))
	for range 3 {
		if err := c.UpdateObjects(ctx, refs("b", "p", "b", "q"), move("q")); err != nil {
			t.Fatal(err)
		}
		if err := c.UpdateObjects(ctx, refs("b", "q", "b", "p"), move("p")); err != nil {
			t.Fatal(err)
		}
	}
	checkObject(t, getObject(t, c, "b", "p"), blobObject("p", "P"))
	if !referenced(t, c, "P") || backlog(t, c) != 3 {
		t.Fatal("round trips of a move changed references")
	}
}

func testUpdateObjectsCopy(t *testing.T, c catalog.Catalog) {
	mustCreateBucket(t, c, "b", "o")
	put(t, c, "b", blobObject("src", "S"))
	share := func(cur []*catalog.Object) ([]*catalog.Object, error) {
		cp := *cur[0]
		return []*catalog.Object{cur[0], &cp}, nil
	}
	if err := c.UpdateObjects(ctx, refs("b", "src", "b", "dst"), share); err != nil {
		t.Fatal(err)
	}
	checkObject(t, getObject(t, c, "b", "dst"), blobObject("dst", "S"))
	// Two records now reference S: dropping one keeps it.
	del(t, c, "b", "src")
	if !referenced(t, c, "S") || backlog(t, c) != 0 {
		t.Fatal("shared blob queued while the copy still references it")
	}
	del(t, c, "b", "dst")
	if referenced(t, c, "S") || backlog(t, c) != 1 {
		t.Fatal("shared blob not queued once both records are gone")
	}

	// A swap moves no counts at all.
	put(t, c, "b", blobObject("x", "X"))
	put(t, c, "b", blobObject("y", "Y"))
	err := c.UpdateObjects(ctx, refs("b", "x", "b", "y"), func(cur []*catalog.Object) ([]*catalog.Object, error) {
		return []*catalog.Object{cur[1], cur[0]}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	checkObject(t, getObject(t, c, "b", "x"), blobObject("x", "Y"))
	checkObject(t, getObject(t, c, "b", "y"), blobObject("y", "X"))
	if backlog(t, c) != 1 || !referenced(t, c, "X") || !referenced(t, c, "Y") {
		t.Fatal("swap changed references")
	}
	// Three keys: one blob referenced by all three, then by one.
	err = c.UpdateObjects(ctx, refs("b", "x", "b", "y", "b", "z"), func(cur []*catalog.Object) ([]*catalog.Object, error) {
		return []*catalog.Object{blobObject("x", "T"), blobObject("y", "T"), blobObject("z", "T", "X")}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := pending(t, c); len(got) != 2 || got[1] != "Y" {
		t.Fatalf("GC queue = %q, want [S Y]", got)
	}
	err = c.UpdateObjects(ctx, refs("b", "x", "b", "y"), func(cur []*catalog.Object) ([]*catalog.Object, error) {
		return []*catalog.Object{nil, nil}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !referenced(t, c, "T") || !referenced(t, c, "X") || backlog(t, c) != 2 {
		t.Fatal("blob referenced by a third record lost its reference")
	}
	del(t, c, "b", "z")
	if referenced(t, c, "T") || referenced(t, c, "X") || backlog(t, c) != 4 {
		t.Fatal("references not released")
	}
}

func testUpdateObjectsAborts(t *testing.T, c catalog.Catalog) {
	mustCreateBucket(t, c, "b", "o")
	put(t, c, "b", blobObject("a", "A"))
	put(t, c, "b", inlineObject("b", "bee"))

	// fn sees the records in refs order, nil for absent keys.
	var seen []*catalog.Object
	err := c.UpdateObjects(ctx, refs("b", "b", "b", "none", "b", "a"), func(cur []*catalog.Object) ([]*catalog.Object, error) {
		seen = cur
		cur[0].ETag = "changed"
		return []*catalog.Object{cur[0], blobObject("none", "N"), nil}, errCondition
	})
	if !errors.Is(err, errCondition) {
		t.Fatalf("UpdateObjects = %v, want fn's error", err)
	}
	if len(seen) != 3 || seen[1] != nil {
		t.Fatalf("fn saw %v", seen)
	}
	checkObject(t, seen[2], blobObject("a", "A"))
	checkObject(t, getObject(t, c, "b", "a"), blobObject("a", "A"))
	checkObject(t, getObject(t, c, "b", "b"), inlineObject("b", "bee"))
	checkNotFound(t, c, "b", "none")
	if !referenced(t, c, "A") || referenced(t, c, "N") || backlog(t, c) != 0 {
		t.Fatal("aborted update changed references")
	}

	// A bad record among good ones aborts everything.
	err = c.UpdateObjects(ctx, refs("b", "a", "b", "b"), func(cur []*catalog.Object) ([]*catalog.Object, error) {
		return []*catalog.Object{nil, {Key: "b", Extents: []catalog.Extent{{Length: 3}}}}, nil
	})
	if err == nil {
		t.Fatal("UpdateObjects stored an inline extent without bytes")
	}
	checkObject(t, getObject(t, c, "b", "a"), blobObject("a", "A"))

	called := false
	fn := func(cur []*catalog.Object) ([]*catalog.Object, error) {
		called = true
		return make([]*catalog.Object, len(cur)), nil
	}
	if err := c.UpdateObjects(ctx, refs("b", "a", "nope", "a"), fn); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("UpdateObjects with a missing bucket: %v", err)
	}
	if err := c.UpdateObjects(ctx, refs("b", "a", "b", "b", "b", "a"), fn); err == nil {
		t.Fatal("UpdateObjects accepted a key twice")
	}
	if called {
		t.Fatal("fn called for an invalid update")
	}
	err = c.UpdateObjects(ctx, refs("b", "a", "b", "b"), func(cur []*catalog.Object) ([]*catalog.Object, error) {
		return []*catalog.Object{nil}, nil
	})
	if err == nil {
		t.Fatal("UpdateObjects accepted fewer records than keys")
	}
	checkObject(t, getObject(t, c, "b", "a"), blobObject("a", "A"))
	// The same key in two buckets is two keys.
	mustCreateBucket(t, c, "b2", "o")
	if err := c.UpdateObjects(ctx, refs("b", "a", "b2", "a"), move("a")); err != nil {
		t.Fatal(err)
	}
	checkNotFound(t, c, "b", "a")
	checkObject(t, getObject(t, c, "b2", "a"), blobObject("a", "A"))
}

// testUpdateObjectsOpposing runs moves A->B and B->A (given in both orders)
// and multi-key updates over overlapping random key sets concurrently: they
// must neither deadlock nor lose or duplicate the moved record.
func testUpdateObjectsOpposing(t *testing.T, c catalog.Catalog) {
	mustCreateBucket(t, c, "b", "o")
	const pairs = 4
	for p := range pairs {
		put(t, c, "b", blobObject(fmt.Sprintf("a%d", p), fmt.Sprintf("blob-%d", p)))
	}
	var moves atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		parallel(writers, func(i int) {
			for j := range 30 {
				p := (i + j) % pairs
				a, b := fmt.Sprintf("a%d", p), fmt.Sprintf("b%d", p)
				if i%2 == 1 {
					a, b = b, a
				}
				err := c.UpdateObjects(ctx, refs("b", a, "b", b), move(b))
				switch {
				case err == nil:
					moves.Add(1)
				case !errors.Is(err, errCondition):
					t.Error(err)
					return
				}
				// A wide update over many keys, in a scrambled order,
				// contending with the moves on the stripes.
				var rs []catalog.ObjectRef
				for k := range 40 {
					rs = append(rs, catalog.ObjectRef{Bucket: "b", Key: fmt.Sprintf("wide-%d", (k*7+i*13+j)%40)})
				}
				rs = append(rs, catalog.ObjectRef{Bucket: "b", Key: b})
				err = c.UpdateObjects(ctx, rs, func(cur []*catalog.Object) ([]*catalog.Object, error) {
					return cur, nil // rewrite every record unchanged
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("opposing multi-key updates deadlocked")
	}
	if moves.Load() == 0 {
		t.Fatal("no move succeeded")
	}
	for p := range pairs {
		var found int
		for _, k := range []string{fmt.Sprintf("a%d", p), fmt.Sprintf("b%d", p)} {
			if o, err := c.GetObject(ctx, "b", k); err == nil {
				found++
				if o.Extents[0].BlobID != fmt.Sprintf("blob-%d", p) {
					t.Fatalf("%s holds %+v", k, o)
				}
			}
		}
		if found != 1 {
			t.Fatalf("pair %d: record found under %d keys, want exactly 1", p, found)
		}
		if !referenced(t, c, fmt.Sprintf("blob-%d", p)) {
			t.Fatalf("blob-%d lost its reference", p)
		}
	}
	if n := backlog(t, c); n != 0 {
		t.Fatalf("GC backlog %d after moves and unchanged rewrites", n)
	}
}
