package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// keyState is what a key may hold once the load is over: one of bodies,
// or nothing when absent is allowed.
type keyState struct {
	bodies [][]byte
	absent bool
}

// certain says whether the key's content is known exactly: one body, or
// known to be gone.
func (k keyState) certain() bool {
	return len(k.bodies) == 1 && !k.absent || len(k.bodies) == 0 && k.absent
}

// ledger is the truth of a load run: every key any worker touched.
type ledger struct {
	mu    sync.Mutex
	keys  map[string]keyState
	acked map[string]int // acknowledged requests by operation
	lost  map[string]int // requests that failed, by operation and error code
}

func newLedger() *ledger {
	return &ledger{keys: map[string]keyState{}, acked: map[string]int{}, lost: map[string]int{}}
}

func (l *ledger) set(key string, st keyState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.keys[key] = st
}

func (l *ledger) count(op string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err == nil {
		l.acked[op]++
	} else {
		code := "no answer"
		if ae := (smithy.APIError)(nil); errors.As(err, &ae) {
			code = ae.ErrorCode()
		}
		l.lost[op+": "+code]++
	}
}

// check reads every key through cl and its listing, failing t on a key
// that holds something no writer sent or lacks an acknowledged write.
func (l *ledger) check(t *testing.T, ctx context.Context, bucket string, cls []*s3.Client) (intact, unsure int) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	listed, err := listAll(ctx, cls[0], bucket)
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(l.keys))
	for k := range l.keys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, key := range keys {
		st := l.keys[key]
		got, found, err := lookup(ctx, cls[i%len(cls)], bucket, key)
		switch {
		case err != nil:
			t.Errorf("%s: %v", key, err)
		case !found && !st.absent:
			t.Errorf("%s: gone, but it was acknowledged (%d possible bodies)", key, len(st.bodies))
		case found && oneOf(got, st.bodies...) < 0:
			t.Errorf("%s: holds %s, which no writer sent (want one of %d bodies, absent ok: %v)", key, describe(got), len(st.bodies), st.absent)
		}
		if o, ok := listed[key]; ok != found || ok && aws.ToInt64(o.Size) != int64(len(got)) {
			t.Errorf("%s: listed %v (%d bytes) but read found %v (%d bytes)", key, ok, aws.ToInt64(o.Size), found, len(got))
		}
		delete(listed, key)
		if st.certain() {
			intact++
		} else {
			unsure++
		}
	}
	for key := range listed {
		t.Errorf("%s: listed, but no worker wrote it", key)
	}
	return intact, unsure
}

// TestKillOneNodeUnderMixedLoad: workers on all three nodes PUT small and
// large objects, run multipart uploads, append, copy and delete while one
// node is killed with SIGKILL. Afterwards the other two nodes serve every
// acknowledged write exactly, and an unacknowledged one either did not
// happen or happened whole.
func TestKillOneNodeUnderMixedLoad(t *testing.T) {
	c := newWeedCluster(t, 3, clusterOpts{Cache: []int{0, 1, 2}}, "--lease-ttl", "2s")
	ctx := ctxT(t)
	cls := c.clients()
	bucket := createBucket(t, cls[0], "kill")
	// The node holding the background lease dies: its work must move too.
	victim, held := 1, false
	within(10*time.Second, func() bool {
		for i, n := range c.nodes {
			if leaseHeld(n) {
				victim, held = i, true
			}
		}
		return held
	})
	const workers, maxOps = 6, 150
	l := newLedger()
	var (
		killed    atomic.Bool
		stop      atomic.Bool
		ops       atomic.Int64
		liveFails sync.Map // errors but from the victim after the kill
		refused   atomic.Int64
		inflight  atomic.Int64 // the victim's workers in an operation
		wg        sync.WaitGroup
	)
	for w := range workers {
		node := w % 3
		cl := cls[node]
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []string           // this worker's keys whose content is certain
			have := map[string][]byte{} // and that content
			refusedHere := 0            // the victim's workers stop after a few
			idle := func() {
				if node == victim {
					inflight.Add(-1)
				}
			}
			for i := 0; i < maxOps && !stop.Load() && refusedHere < 5; i++ {
				ops.Add(1)
				if node == victim {
					inflight.Add(1)
				}
				key := fmt.Sprintf("w%d/%03d", w, i)
				var op string
				var err error
				switch i % 6 {
				case 0, 1: // PUT, small then large
					op = "put"
					body := randBody(key, []int{200, 100 << 10}[i%2])
					l.set(key, keyState{bodies: [][]byte{body}, absent: true})
					if _, err = put(ctx, cl, bucket, key, body); err == nil {
						l.set(key, keyState{bodies: [][]byte{body}})
						mine, have[key] = append(mine, key), body
					}
				case 2: // multipart of one part
					op = "multipart"
					body := randBody(key, 80<<10)
					l.set(key, keyState{bodies: [][]byte{body}, absent: true})
					if _, err = multipart(ctx, cl, bucket, key, body); err == nil {
						l.set(key, keyState{bodies: [][]byte{body}})
						mine, have[key] = append(mine, key), body
					}
				case 3: // append to the newest key of ours
					if len(mine) == 0 {
						idle()
						continue
					}
					op, key = "append", mine[len(mine)-1]
					old := have[key]
					add := randBody(key+"+", []int{300, 70 << 10}[i%2])
					both := append(append([]byte(nil), old...), add...)
					l.set(key, keyState{bodies: [][]byte{old, both}})
					_, err = cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
						Body: bytes.NewReader(add), WriteOffsetBytes: aws.Int64(int64(len(old)))})
					if err == nil {
						l.set(key, keyState{bodies: [][]byte{both}})
						have[key] = both
					} else {
						mine = mine[:len(mine)-1]
					}
				case 4: // copy the newest key of ours to a new one
					if len(mine) == 0 {
						idle()
						continue
					}
					op = "copy"
					src := mine[len(mine)-1]
					l.set(key, keyState{bodies: [][]byte{have[src]}, absent: true})
					_, err = cl.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), CopySource: aws.String(bucket + "/" + src)})
					if err == nil {
						l.set(key, keyState{bodies: [][]byte{have[src]}})
						mine, have[key] = append(mine, key), have[src]
					}
				case 5: // delete the oldest key of ours
					if len(mine) == 0 {
						idle()
						continue
					}
					op, key = "delete", mine[0]
					mine = mine[1:]
					l.set(key, keyState{bodies: [][]byte{have[key]}, absent: true})
					if _, err = cl.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err == nil {
						l.set(key, keyState{absent: true})
					}
				}
				idle()
				l.count(op, err)
				if err != nil {
					if node != victim || !killed.Load() {
						liveFails.Store(fmt.Sprintf("node %d %s %s", node, op, key), err)
					} else {
						refused.Add(1)
						refusedHere++
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}
	// Kill once the load is under way, then let it run on.
	if _, ok := within(20*time.Second, func() bool { return ops.Load() >= workers*maxOps/4 }); !ok {
		t.Errorf("only %d operations in 20 s before the kill", ops.Load())
	}
	killed.Store(true)
	opsAtKill, inflightAtKill := ops.Load(), inflight.Load()
	c.nodes[victim].Kill()
	time.Sleep(2 * time.Second)
	stop.Store(true)
	wg.Wait()

	liveFails.Range(func(k, v any) bool {
		t.Errorf("%s failed, not because of the kill: %v", k, v)
		return true
	})
	var survivors []*s3.Client
	for i, cl := range cls {
		if i != victim {
			survivors = append(survivors, cl)
		}
	}
	intact, unsure := l.check(t, ctx, bucket, survivors)
	t.Logf("killed node %d (the lease holder: %v) after %d operations, %d of its workers in one; %d operations in all; acknowledged %v; failed %v; %d keys exactly as acknowledged, %d unacknowledged ones whole or absent",
		victim, held, opsAtKill, inflightAtKill, ops.Load(), l.acked, l.lost, intact, unsure)
	if refused.Load() == 0 {
		t.Error("no request to the killed node failed: the kill was not under load")
	}
}

// TestSeaweedFSRestartUnderLoad stops SeaweedFS while all three nodes take
// blob writes and two of them reads: requests get 503 or the exact body
// (or a body cut short, when the store went away after the 200) and
// nothing else, within a bound; every node's readiness turns 503 naming
// the blob store; when SeaweedFS is back writes resume without restarting
// zonal, and every acknowledged write reads back from SeaweedFS (through
// nodes without a cache).
func TestSeaweedFSRestartUnderLoad(t *testing.T) {
	c := newWeedCluster(t, 3, clusterOpts{Cache: []int{0}})
	t.Cleanup(func() {
		if err := weed.Start(); err != nil { // for the tests after this one
			t.Errorf("SeaweedFS did not come back: %v", err)
		}
	})
	// SeaweedFS's stop and start alone take about 30 s: more than ctxT's
	// minute would leave for the checks on a slow machine.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cls := c.clients()
	bucket := createBucket(t, cls[0], "weedout")
	l := startWrites(t, ctx, c, bucket, 6, func(seq int64) int { return 80<<10 + int(seq%1000) })
	// Readers of acknowledged blobs through the cacheless nodes: 503 or
	// the exact body, never a missing object or another error.
	var mu sync.Mutex
	reads := map[string]int{} // answers by code ("" for exact bodies)
	for r := range 2 {
		l.goLoop(func(i int) {
			key, want, ok := l.pick(i*7919 + r)
			if !ok {
				time.Sleep(10 * time.Millisecond)
				return
			}
			rctx, cancel := context.WithTimeout(ctx, 45*time.Second)
			start := time.Now()
			got, err := getBytes(rctx, cls[1+r], bucket, key)
			l.observe(time.Since(start))
			cancel()
			code := errCode(err)
			switch {
			case err == nil && !bytes.Equal(got, want):
				code = "wrong body"
			case errors.Is(err, io.ErrUnexpectedEOF):
				// The 200 went out, then the blob store went away: the
				// body can only be cut short (and the SDK sees it).
				code = "cut short"
			}
			mu.Lock()
			reads[code]++
			mu.Unlock()
			if err != nil {
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
	before := l.ackedCount()
	stopStart := time.Now()
	if err := weed.Stop(); err != nil {
		l.finish()
		t.Fatal(err)
	}
	t.Logf("SeaweedFS stopped in %v", time.Since(stopStart))
	l.expectReadiness(http.StatusServiceUnavailable, "blob store", 20*time.Second)
	time.Sleep(time.Second)
	during := l.ackedCount()
	restart := time.Now()
	if err := weed.Start(); err != nil {
		l.finish()
		t.Fatal(err)
	}
	t.Logf("SeaweedFS took %v to start again", time.Since(restart))
	l.expectResumed("SeaweedFS was up again", 30*time.Second)
	l.expectReadiness(http.StatusOK, "", 15*time.Second)
	l.finish()

	t.Logf("%d writes acknowledged before the outage, %d by its end", before, during)
	// weed's graceful stop (15 s) plus zonal's bounded retries.
	l.expectOnly503s("SeaweedFS", 30*time.Second)
	t.Logf("reads of acknowledged keys by answer (\"\" exact): %v", reads)
	if reads[""] == 0 || reads["ServiceUnavailable"]+reads["SlowDown"] == 0 {
		t.Error("the readers saw no exact body, or no 503 during the outage")
	}
	for code, n := range reads {
		if code != "" && code != "ServiceUnavailable" && code != "SlowDown" && code != "cut short" {
			t.Errorf("%d reads of acknowledged keys got %q: only the body, 503 or a body cut short are right", n, code)
		}
	}
	// Nodes 1 and 2 have no cache: what they read comes from SeaweedFS.
	l.expectAllAcked(1, 2)
}
