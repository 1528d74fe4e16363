package catalogtest

import (
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// testPutPartRacesFinish races PutPart with CompleteUpload and with
// AbortUpload. Whatever the interleaving, a PutPart that succeeded stored a
// part the finisher saw (its blob ends in the object, or queued by the
// abort), and a PutPart refused with ErrNotFound left no reference and no
// queue entry behind: its caller deletes the blob itself.
func testPutPartRacesFinish(t *testing.T, c catalog.Catalog) {
	mustCreateBucket(t, c, "b", "o")
	for _, finish := range []string{"complete", "abort"} {
		stored, refused := 0, 0
		defer func() { t.Logf("%s: %d parts stored before it, %d refused after it", finish, stored, refused) }()
		for round := range 15 {
			id := fmt.Sprintf("%s-%d", finish, round)
			key := "race/" + id
			mustCreateUpload(t, c, "b", key, id)
			mustPutPart(t, c, "b", key, id, blobPart(1, id+"-p1"))
			const putters, perPutter = 8, 4
			const parts = 1 + putters*perPutter
			ok := make([]bool, parts+1)
			ok[1] = true
			var finishErr error
			var seen []catalog.Part
			start := make(chan struct{})
			done := make(chan struct{})
			go func() {
				defer close(done)
				parallel(putters+1, func(i int) {
					<-start
					if i == putters {
						// Finish somewhere in the middle of the puts.
						for range round * 3 {
							runtime.Gosched()
						}
						if finish == "complete" {
							finishErr = c.CompleteUpload(ctx, "b", key, id, assembleAll(&seen))
						} else {
							finishErr = c.AbortUpload(ctx, "b", key, id, nil)
						}
						return
					}
					for j := range perPutter {
						n := 2 + i + j*putters
						err := c.PutPart(ctx, "b", key, id, blobPart(n, fmt.Sprintf("%s-p%d", id, n)))
						switch {
						case err == nil:
							ok[n] = true
						case !errors.Is(err, catalog.ErrNotFound):
							t.Errorf("PutPart: %v", err)
						}
					}
				})
			}()
			close(start)
			<-done
			if finishErr != nil {
				t.Fatalf("%s: %v", finish, finishErr)
			}
			uploadGone(t, c, "b", key, id)
			for _, v := range ok[2:] {
				if v {
					stored++
				} else {
					refused++
				}
			}
			if finish == "complete" {
				used := map[int]bool{}
				for _, p := range seen {
					used[p.Number] = true
				}
				for n := 1; n <= parts; n++ {
					if used[n] != ok[n] {
						t.Fatalf("%s: part %d stored=%v but seen by CompleteUpload=%v", id, n, ok[n], used[n])
					}
				}
			}
			queued := map[string]bool{}
			for _, b := range pending(t, c) {
				queued[b] = true
			}
			for n := 1; n <= parts; n++ {
				blob := fmt.Sprintf("%s-p%d", id, n)
				ref := referenced(t, c, blob)
				switch {
				case !ok[n] && (ref || queued[blob]):
					t.Fatalf("%s: refused part %d left its blob referenced=%v queued=%v", id, n, ref, queued[blob])
				case ok[n] && finish == "complete" && (!ref || queued[blob]):
					t.Fatalf("%s: completed part %d's blob referenced=%v queued=%v", id, n, ref, queued[blob])
				case ok[n] && finish == "abort" && (ref || !queued[blob]):
					t.Fatalf("%s: aborted part %d's blob referenced=%v queued=%v", id, n, ref, queued[blob])
				}
			}
		}
	}
}

// testConcurrentFinish: of many CompleteUpload and AbortUpload calls on one
// upload exactly one succeeds; the others find it gone.
func testConcurrentFinish(t *testing.T, c catalog.Catalog) {
	mustCreateBucket(t, c, "b", "o")
	for round := range 10 {
		id := fmt.Sprint("u", round)
		mustCreateUpload(t, c, "b", "k", id)
		mustPutPart(t, c, "b", "k", id, blobPart(1, "blob-"+id))
		var wins, completes atomic.Int32
		parallel(writers, func(i int) {
			var err error
			// Every round has completers; odd rounds abort too.
			if round%2 == 1 && i%4 == 0 {
				err = c.AbortUpload(ctx, "b", "k", id, nil)
			} else {
				err = c.CompleteUpload(ctx, "b", "k", id, assembleAll(nil))
				if err == nil {
					completes.Add(1)
				}
			}
			switch {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, catalog.ErrNotFound):
				t.Errorf("finish: %v", err)
			}
		})
		if n := wins.Load(); n != 1 {
			t.Fatalf("round %d: %d finishes succeeded, want exactly 1", round, n)
		}
		uploadGone(t, c, "b", "k", id)
		if ref := referenced(t, c, "blob-"+id); ref != (completes.Load() == 1) {
			t.Fatalf("round %d: blob referenced=%v after completes=%d", round, ref, completes.Load())
		}
	}
}

// testConcurrentReplacePart replaces one part number from many writers:
// exactly the surviving part's blob stays referenced, every other queued.
func testConcurrentReplacePart(t *testing.T, c catalog.Catalog) {
	mustCreateBucket(t, c, "b", "o")
	mustCreateUpload(t, c, "b", "k", "u")
	const rounds = 5
	parallel(writers, func(i int) {
		for j := range rounds {
			if err := c.PutPart(ctx, "b", "k", "u", blobPart(1, fmt.Sprintf("w%d-%d", i, j))); err != nil {
				t.Error(err)
				return
			}
		}
	})
	parts, _ := listParts(t, c, "b", "k", "u", 0, 10)
	if len(parts) != 1 {
		t.Fatalf("%d parts", len(parts))
	}
	live := parts[0].Extents[0].BlobID
	refs := 0
	for i := range writers {
		for j := range rounds {
			if referenced(t, c, fmt.Sprintf("w%d-%d", i, j)) {
				refs++
			}
		}
	}
	if refs != 1 || !referenced(t, c, live) {
		t.Fatalf("%d blobs referenced, want only the surviving part's %s", refs, live)
	}
	if n := backlog(t, c); n != writers*rounds-1 {
		t.Fatalf("GC backlog %d, want %d", n, writers*rounds-1)
	}
}

// testConcurrentCompleteAndUpdate races CompleteUpload with UpdateObject
// and UpdateObjects moves on the same key: the key's updates are
// serialised, so every blob ends up either referenced by the final record
// or queued, never both or neither.
func testConcurrentCompleteAndUpdate(t *testing.T, c catalog.Catalog) {
	mustCreateBucket(t, c, "b", "o")
	for round := range 10 {
		id := fmt.Sprint("u", round)
		mustCreateUpload(t, c, "b", "k", id)
		mustPutPart(t, c, "b", "k", id, blobPart(1, "mpu-"+id))
		parallel(3, func(i int) {
			var err error
			switch i {
			case 0:
				err = c.CompleteUpload(ctx, "b", "k", id, assembleAll(nil))
			case 1:
				err = c.UpdateObject(ctx, "b", "k", func(*catalog.Object) (*catalog.Object, error) {
					return blobObject("k", "put-"+id), nil
				})
			case 2:
				err = c.UpdateObjects(ctx, refs("b", "k", "b", "moved-"+id), move("moved-"+id))
				if errors.Is(err, errCondition) {
					err = nil
				}
			}
			if err != nil {
				t.Error(err)
			}
		})
		blobs := []string{"mpu-" + id, "put-" + id}
		live := map[string]bool{}
		for _, k := range []string{"k", "moved-" + id} {
			if o, err := c.GetObject(ctx, "b", k); err == nil {
				for _, e := range o.Extents {
					live[e.BlobID] = true
				}
			}
		}
		queued := map[string]bool{}
		for _, b := range pending(t, c) {
			queued[b] = true
		}
		for _, b := range blobs {
			if ref := referenced(t, c, b); ref != live[b] || queued[b] == live[b] {
				t.Fatalf("round %d: %s live=%v referenced=%v queued=%v", round, b, live[b], ref, queued[b])
			}
		}
	}
}
