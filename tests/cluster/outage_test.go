package cluster

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/tests/internal/zonalproc"
)

// outageLoad is the write load the outage tests keep up while a dependency
// (PostgreSQL, the blob store) goes away and comes back: writers on every
// node, each PUT of a fresh key, recording what was acknowledged and how
// the rest failed.
type outageLoad struct {
	t      *testing.T
	ctx    context.Context
	c      *cluster
	bucket string

	mu        sync.Mutex
	acked     map[string][]byte
	ackedKeys []string       // in acknowledgement order, for readers
	perNode   []int          // acknowledged writes by node
	codes     map[string]int // failed writes by error code
	slowest   time.Duration

	stop atomic.Bool
	wg   sync.WaitGroup
	seq  atomic.Int64
}

// startWrites starts writers workers, worker w writing through node w mod
// len(c.nodes) bodies of size(seq) bytes, and waits for the first
// acknowledgement (failing the test when none comes within a second).
func startWrites(t *testing.T, ctx context.Context, c *cluster, bucket string, writers int, size func(seq int64) int) *outageLoad {
	l := &outageLoad{t: t, ctx: ctx, c: c, bucket: bucket, acked: map[string][]byte{},
		perNode: make([]int, len(c.nodes)), codes: map[string]int{}}
	cls := c.clients()
	for w := range writers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			node := w % len(cls)
			for !l.stop.Load() {
				seq := l.seq.Add(1)
				key := fmt.Sprintf("w%d/%06d", w, seq)
				body := randBody(key, size(seq))
				rctx, cancel := context.WithTimeout(ctx, 45*time.Second)
				start := time.Now()
				_, err := put(rctx, cls[node], bucket, key, body)
				took := time.Since(start)
				cancel()
				l.mu.Lock()
				l.slowest = max(l.slowest, took)
				if err == nil {
					l.acked[key] = body
					l.ackedKeys = append(l.ackedKeys, key)
					l.perNode[node]++
				} else {
					l.codes[errCode(err)]++
				}
				l.mu.Unlock()
				if err != nil {
					time.Sleep(50 * time.Millisecond)
				}
			}
		}()
	}
	time.Sleep(time.Second)
	if l.ackedCount() == 0 {
		l.finish()
		t.Fatalf("no write succeeded before the outage: %v", l.codes)
	}
	return l
}

// go runs fn beside the writers until finish (readers of acked keys).
func (l *outageLoad) goLoop(fn func(i int)) {
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		for i := 0; !l.stop.Load(); i++ {
			fn(i)
		}
	}()
}

// pick returns the i-th acknowledged key (cycling) and its body, or false
// before the first acknowledgement.
func (l *outageLoad) pick(i int) (string, []byte, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.ackedKeys) == 0 {
		return "", nil, false
	}
	key := l.ackedKeys[i%len(l.ackedKeys)]
	return key, l.acked[key], true
}

func (l *outageLoad) observe(took time.Duration) {
	l.mu.Lock()
	l.slowest = max(l.slowest, took)
	l.mu.Unlock()
}

func (l *outageLoad) ackedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

// finish stops the load and waits for it.
func (l *outageLoad) finish() {
	l.stop.Store(true)
	l.wg.Wait()
}

// expectReadiness waits until every live node's /_zonal/ready answers
// status, and for a 503 checks that its reason mentions reason.
func (l *outageLoad) expectReadiness(status int, reason string, limit time.Duration) {
	for i, n := range l.c.nodes {
		var st int
		var body string
		if _, ok := within(limit, func() bool { st, body = ready(n); return st == status }); !ok {
			l.t.Errorf("node %d ready: %d %q, want %d", i, st, body, status)
		} else if status != http.StatusOK && !strings.Contains(body, reason) {
			l.t.Errorf("node %d ready says %q: no reason naming the %s", i, body, reason)
		}
	}
}

// expectResumed waits until every node acknowledged a few more writes
// than at the call, which is when the dependency came back.
func (l *outageLoad) expectResumed(what string, limit time.Duration) {
	l.mu.Lock()
	atStart := append([]int(nil), l.perNode...)
	l.mu.Unlock()
	d, ok := within(limit, func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		for i := range l.perNode {
			if l.perNode[i] < atStart[i]+3 {
				return false
			}
		}
		return true
	})
	if !ok {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.t.Errorf("writes did not resume on every node within %v of %s (%v, were %v)", d, what, l.perNode, atStart)
		return
	}
	l.t.Logf("writes resumed on every node %v after %s", d, what)
}

// expectOnly503s checks, after finish, that writes failed only with 503s,
// that some did, and that none took longer than bound.
func (l *outageLoad) expectOnly503s(what string, bound time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.t.Logf("acknowledged %d writes, per node %v; failures by code %v; slowest request %v", len(l.acked), l.perNode, l.codes, l.slowest)
	if l.codes["ServiceUnavailable"]+l.codes["SlowDown"] == 0 {
		l.t.Errorf("no request got 503 while %s was down", what)
	}
	for code, n := range l.codes {
		if code != "ServiceUnavailable" && code != "SlowDown" {
			l.t.Errorf("%d requests failed with %q while %s was down: only 503s are right", n, code, what)
			for i, n := range l.c.nodes {
				for _, line := range n.LogGrep(5, `"status":500`) {
					l.t.Logf("node %d: %s", i, line)
				}
			}
		}
	}
	if l.slowest > bound {
		l.t.Errorf("a request took %v while %s was down, more than %v", l.slowest, what, bound)
	}
}

// expectAllAcked reads every acknowledged write back, spreading the reads
// over readers (by node index), after finish.
func (l *outageLoad) expectAllAcked(readers ...int) {
	l.mu.Lock()
	keys := make([]string, 0, len(l.acked))
	for k := range l.acked {
		keys = append(keys, k)
	}
	l.mu.Unlock()
	sort.Strings(keys)
	cls := l.c.clients()
	for i, key := range keys {
		n := readers[i%len(readers)]
		if got, err := getBytes(l.ctx, cls[n], l.bucket, key); err != nil || !bytes.Equal(got, l.acked[key]) {
			l.t.Fatalf("acknowledged %s read on node %d: %s, %v", key, n, describe(got), err)
		}
	}
}

// leaseHeld reads zonal_background_lease_held from a node's metrics.
func leaseHeld(n *zonalproc.Server) bool {
	return metricValue(n, "zonal_background_lease_held") == "1"
}

// metricValue is a node's value of an unlabelled metric ("" when absent).
func metricValue(n *zonalproc.Server, name string) string {
	resp, err := http.Get(n.Endpoint + "/_zonal/metrics")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	for _, line := range strings.Split(buf.String(), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
	}
	return ""
}
