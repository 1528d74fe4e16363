package pebble

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// TestCrashUploadsAndMoves crashes the filesystem while writers run
// multipart uploads (create, parts, complete or abort), renames across
// buckets (UpdateObjects moving a record with inline bytes and a blob) and
// copies sharing a blob. After each crash the reopened catalog must hold
// every acknowledged step of every flow (later, unacknowledged steps may or
// may not have landed, but each whole) and pass the consistency checker:
// reference counts recomputed from the object and part records equal the
// stored ones, nothing referenced is queued, and every blob a flow
// certainly referenced is referenced or queued. The reopened catalog then
// runs more flows and crashes again.
func TestCrashUploadsAndMoves(t *testing.T) {
	for _, unsynced := range []int{0, 50} {
		t.Run(fmt.Sprintf("unsynced%d", unsynced), func(t *testing.T) {
			fs := vfs.NewCrashableMem()
			c, err := Open("db", WithFS(fs), WithCacheSize(8<<20), WithLogger(quietLogger{}))
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			for _, b := range []string{"b", "b2"} {
				if err := c.CreateBucket(ctx, catalog.Bucket{Name: b, Owner: "o"}); err != nil {
					t.Fatal(err)
				}
			}
			rng := rand.New(rand.NewPCG(uint64(unsynced), 7))
			var known []string
			for gen := range 3 {
				var crashed *vfs.MemFS
				runFlows(t, c, gen, func() {
					crashed = fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: unsynced, RNG: rng})
				}, func(acked map[string]int) {
					r, err := Open("db", WithFS(crashed), WithCacheSize(8<<20), WithLogger(quietLogger{}))
					if err != nil {
						t.Fatalf("reopen after crash %d: %v", gen, err)
					}
					known = append(known, knownAcked(acked)...)
					checkConsistency(t, r, known)
					checkFlows(t, r, acked)
					c.Close()
					c, fs = r, crashed
				})
			}
			c.Close()
		})
	}
}

// Flow steps. Each flow advances through its steps in order; acked[flow]
// is the last step acknowledged before the crash.
const (
	upCreated = 1 // + n: n parts stored (1..3)
	upDone    = 5 // completed (even id) or aborted (odd id)

	mvPut   = 1
	mvMoved = 2

	cpPut     = 1
	cpCopied  = 2
	cpSrcGone = 3
)

func flowName(kind string, gen, w, i int) string { return fmt.Sprintf("%s-%d-%d-%d", kind, gen, w, i) }

// runFlows runs writers until some steps are acknowledged, calls crash
// with the writers mid-flight, stops them, and hands the steps
// acknowledged before the crash to after.
func runFlows(t *testing.T, c *Catalog, gen int, crash func(), after func(acked map[string]int)) {
	ctx := context.Background()
	const writers = 6
	var (
		mu    sync.Mutex
		acked = map[string]int{}
		stop  atomic.Bool
		steps atomic.Int64
		wg    sync.WaitGroup
	)
	ack := func(flow string, step int) {
		mu.Lock()
		acked[flow] = step
		mu.Unlock()
		steps.Add(1)
	}
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				var err error
				switch i % 3 {
				case 0:
					err = uploadFlow(ctx, c, flowName("up", gen, w, i), ack)
				case 1:
					err = moveFlow(ctx, c, flowName("mv", gen, w, i), ack)
				case 2:
					err = copyFlow(ctx, c, flowName("cp", gen, w, i), ack)
				}
				if err != nil && !errors.Is(err, catalog.ErrClosed) {
					t.Error(err)
					return
				}
			}
		}()
	}
	for steps.Load() < 150 && !t.Failed() {
		time.Sleep(time.Millisecond)
	}
	mu.Lock()
	before := make(map[string]int, len(acked))
	for k, v := range acked {
		before[k] = v
	}
	mu.Unlock()
	crash()
	time.Sleep(5 * time.Millisecond) // let writers run past the crash point
	stop.Store(true)
	wg.Wait()
	t.Logf("generation %d: %d flows acknowledged before the crash, %d steps in all", gen, len(before), steps.Load())
	after(before)
}

func upKey(flow string) string           { return "up/" + flow }
func partBlob(flow string, n int) string { return fmt.Sprintf("%s-p%d", flow, n) }

// completes says whether an upload flow completes (or aborts): half do.
func completes(flow string) bool {
	h := fnv.New32a()
	h.Write([]byte(flow))
	return h.Sum32()%2 == 0
}

func uploadFlow(ctx context.Context, c *Catalog, flow string, ack func(string, int)) error {
	if err := c.CreateUpload(ctx, catalog.Upload{Bucket: "b", Key: upKey(flow), ID: flow, Owner: "o"}); err != nil {
		return err
	}
	ack(flow, upCreated)
	for n := 1; n <= 3; n++ {
		p := catalog.Part{Number: n, Size: 10, ETag: "e", Extents: []catalog.Extent{{BlobID: partBlob(flow, n), Length: 10}}}
		if n == 3 {
			p.Extents = append(p.Extents, catalog.Extent{Inline: []byte("tail")})
		}
		if err := c.PutPart(ctx, "b", upKey(flow), flow, p); err != nil {
			return err
		}
		ack(flow, upCreated+n)
	}
	var err error
	if completes(flow) {
		err = c.CompleteUpload(ctx, "b", upKey(flow), flow, func(u *catalog.Upload, parts []catalog.Part, cur *catalog.Object) (*catalog.Object, error) {
			if len(parts) != 3 {
				return nil, fmt.Errorf("%s: complete saw %d parts", flow, len(parts))
			}
			o := &catalog.Object{ETag: flow, Parts: 2}
			for _, p := range parts[:2] {
				o.Extents = append(o.Extents, p.Extents...)
				o.Size += p.Size
			}
			return o, nil
		})
	} else {
		err = c.AbortUpload(ctx, "b", upKey(flow), flow, nil)
	}
	if err != nil {
		return err
	}
	ack(flow, upDone)
	return nil
}

func mvSrc(flow string) string { return "mv/" + flow }
func mvDst(flow string) string { return "moved/" + flow }

func movedRecord(flow string) *catalog.Object {
	return &catalog.Object{ETag: flow, Size: 10 + int64(len(flow)), Extents: []catalog.Extent{
		{Inline: []byte(flow)}, {BlobID: flow, Length: 10},
	}}
}

func moveFlow(ctx context.Context, c *Catalog, flow string, ack func(string, int)) error {
	if err := c.UpdateObject(ctx, "b", mvSrc(flow), set(movedRecord(flow))); err != nil {
		return err
	}
	ack(flow, mvPut)
	err := c.UpdateObjects(ctx, []catalog.ObjectRef{{Bucket: "b", Key: mvSrc(flow)}, {Bucket: "b2", Key: mvDst(flow)}},
		func(cur []*catalog.Object) ([]*catalog.Object, error) {
			return []*catalog.Object{nil, cur[0]}, nil
		})
	if err != nil {
		return err
	}
	ack(flow, mvMoved)
	return nil
}

func cpSrc(flow string) string { return "cp/" + flow }
func cpDst(flow string) string { return "copy/" + flow }

func copyFlow(ctx context.Context, c *Catalog, flow string, ack func(string, int)) error {
	rec := &catalog.Object{ETag: flow, Size: 10, Extents: []catalog.Extent{{BlobID: flow, Length: 10}}}
	if err := c.UpdateObject(ctx, "b", cpSrc(flow), set(rec)); err != nil {
		return err
	}
	ack(flow, cpPut)
	err := c.UpdateObjects(ctx, []catalog.ObjectRef{{Bucket: "b", Key: cpSrc(flow)}, {Bucket: "b", Key: cpDst(flow)}},
		func(cur []*catalog.Object) ([]*catalog.Object, error) {
			cp := *cur[0]
			return []*catalog.Object{cur[0], &cp}, nil
		})
	if err != nil {
		return err
	}
	ack(flow, cpCopied)
	if err := c.UpdateObject(ctx, "b", cpSrc(flow), set(nil)); err != nil {
		return err
	}
	ack(flow, cpSrcGone)
	return nil
}

// knownAcked lists the blobs that acknowledged steps gave a reference.
func knownAcked(acked map[string]int) []string {
	var ids []string
	for flow, step := range acked {
		switch flow[:2] {
		case "up":
			for n := 1; n <= min(step-upCreated, 3); n++ {
				ids = append(ids, partBlob(flow, n))
			}
		default:
			ids = append(ids, flow)
		}
	}
	return ids
}

// checkFlows checks each flow's state after the crash is a whole step at
// or after the last acknowledged one.
func checkFlows(t *testing.T, r *Catalog, acked map[string]int) {
	t.Helper()
	ctx := context.Background()
	exists := func(bucket, key string) (*catalog.Object, bool) {
		o, err := r.GetObject(ctx, bucket, key)
		if err != nil && !errors.Is(err, catalog.ErrNotFound) {
			t.Fatal(err)
		}
		return o, err == nil
	}
	finished := map[bool]int{}
	for flow, want := range acked {
		var got int
		switch flow[:2] {
		case "up":
			obj, hasObj := exists("b", upKey(flow))
			_, err := r.GetUpload(ctx, "b", upKey(flow), flow)
			hasUpload := err == nil
			switch {
			case hasObj && hasUpload:
				t.Fatalf("%s: both the upload and its completed object exist", flow)
			case hasObj:
				got = upDone
				if len(obj.Extents) != 2 || obj.Extents[1].BlobID != partBlob(flow, 2) || !completes(flow) {
					t.Fatalf("%s: completed object %+v", flow, obj)
				}
			case hasUpload:
				parts, _, err := r.ListParts(ctx, "b", upKey(flow), flow, 0, 10)
				if err != nil {
					t.Fatal(err)
				}
				for i, p := range parts {
					if p.Number != i+1 || p.Extents[0].BlobID != partBlob(flow, i+1) {
						t.Fatalf("%s: parts %+v", flow, parts)
					}
				}
				if len(parts) == 3 && string(parts[2].Extents[1].Inline) != "tail" {
					t.Fatalf("%s: inline part data lost: %+v", flow, parts[2])
				}
				got = upCreated + len(parts)
			case !completes(flow) && want >= upCreated:
				got = upDone // aborted (it existed, so it was not "never created")
			}
		case "mv":
			src, hasSrc := exists("b", mvSrc(flow))
			dst, hasDst := exists("b2", mvDst(flow))
			switch {
			case hasSrc && hasDst:
				t.Fatalf("%s: the moved record exists under both keys", flow)
			case hasDst:
				got, src = mvMoved, dst
			case hasSrc:
				got = mvPut
			}
			if src != nil && (string(src.Extents[0].Inline) != flow || src.Extents[1].BlobID != flow) {
				t.Fatalf("%s: record %+v", flow, src)
			}
		case "cp":
			_, hasSrc := exists("b", cpSrc(flow))
			dst, hasDst := exists("b", cpDst(flow))
			switch {
			case hasSrc && hasDst:
				got = cpCopied
			case hasDst:
				got = cpSrcGone
			case hasSrc:
				got = cpPut
			}
			if hasDst && dst.Extents[0].BlobID != flow {
				t.Fatalf("%s: copy %+v", flow, dst)
			}
		}
		if got < want {
			t.Fatalf("%s: step %d was acknowledged before the crash, found step %d after it", flow, want, got)
		}
		if flow[:2] == "up" && want == upDone {
			finished[completes(flow)]++
		}
	}
	t.Logf("uploads finished before the crash: %d completed, %d aborted", finished[true], finished[false])
}
