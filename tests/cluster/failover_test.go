package cluster

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/zonal-dev/zonal/tests/internal/zonalproc"
)

// TestPostgresRestartUnderLoad stops PostgreSQL while both nodes take
// writes: requests get 503 (never another error, never a hang past the
// catalog timeout), readiness turns 503 with the reason, and when
// PostgreSQL is back both nodes serve again without a restart, with every
// acknowledged write readable.
func TestPostgresRestartUnderLoad(t *testing.T) {
	if pg != nil && pg.External() {
		t.Skip("ZONAL_TEST_POSTGRES: the server is not ours to stop")
	}
	c := newCluster(t, 2, "--catalog-timeout", "2s")
	ctx := ctxT(t)
	bucket := createBucket(t, s3Client(t, c.nodes[0]), "outage")
	clients := []*s3.Client{s3Client(t, c.nodes[0], noRetries), s3Client(t, c.nodes[1], noRetries)}

	var (
		mu       sync.Mutex
		acked    = map[string][]byte{}
		codes    = map[string]int{}
		slowest  time.Duration
		stop     atomic.Bool
		wg       sync.WaitGroup
		sequence atomic.Int64
	)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				key := fmt.Sprintf("w%d/%06d", w, sequence.Add(1))
				body := bytes.Repeat([]byte(key), 100)
				start := time.Now()
				_, err := clients[w%2].PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
				took := time.Since(start)
				mu.Lock()
				slowest = max(slowest, took)
				if err == nil {
					acked[key] = body
				} else {
					codes[errCode(err)]++
				}
				mu.Unlock()
				if err != nil {
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}
	ackedNow := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	time.Sleep(time.Second)
	before := ackedNow()
	if before == 0 {
		stop.Store(true)
		wg.Wait()
		t.Fatalf("no write succeeded before the outage: %v", codes)
	}
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	// Both nodes report the outage on /_zonal/ready.
	for i, n := range c.nodes {
		var st int
		var body string
		if _, ok := within(15*time.Second, func() bool { st, body = ready(n); return st == http.StatusServiceUnavailable }); !ok {
			t.Errorf("node %d ready: %d %q during the outage, want 503", i, st, body)
		} else if !strings.Contains(body, "catalog") {
			t.Errorf("node %d ready says %q: no reason naming the catalog", i, body)
		}
	}
	time.Sleep(2 * time.Second)
	during := ackedNow()
	if err := pg.Start(); err != nil {
		stop.Store(true)
		wg.Wait()
		t.Fatal(err)
	}
	// Service comes back without restarting zonal.
	if d, ok := within(30*time.Second, func() bool { return ackedNow() > during+10 }); !ok {
		t.Errorf("writes did not resume within %v of PostgreSQL's restart", d)
	} else {
		t.Logf("writes resumed %v after PostgreSQL restarted", d)
	}
	for i, n := range c.nodes {
		if _, ok := within(15*time.Second, func() bool { st, _ := ready(n); return st == http.StatusOK }); !ok {
			st, body := ready(n)
			t.Errorf("node %d ready after recovery: %d %q", i, st, body)
		}
	}
	time.Sleep(500 * time.Millisecond)
	stop.Store(true)
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	t.Logf("acknowledged %d writes (%d before the outage, %d by its end); failures by code %v; slowest request %v",
		len(acked), before, during, codes, slowest)
	if codes["ServiceUnavailable"]+codes["SlowDown"] == 0 {
		t.Error("no request got 503 while PostgreSQL was down")
	}
	for code, n := range codes {
		if code != "ServiceUnavailable" && code != "SlowDown" {
			t.Errorf("%d requests failed with %q during the outage: only 503s are right", n, code)
			for i, n := range c.nodes {
				for _, line := range n.LogGrep(5, `"status":500`) {
					t.Logf("node %d: %s", i, line)
				}
			}
		}
	}
	if slowest > 15*time.Second {
		t.Errorf("a request took %v during the outage: the catalog timeout (2s) should bound it", slowest)
	}
	// Every acknowledged write is there, on both nodes.
	for key, body := range acked {
		for i, cl := range clients {
			got, err := getBytes(ctx, cl, bucket, key)
			if err != nil || !bytes.Equal(got, body) {
				t.Fatalf("acknowledged %s read on node %d: %d bytes, %v", key, i, len(got), err)
			}
		}
	}
}

// TestBackgroundLeaseMoves: exactly one node holds the background lease;
// when it dies another takes over.
func TestBackgroundLeaseMoves(t *testing.T) {
	c := newCluster(t, 3, "--lease-ttl", "2s")
	holders := func() []int {
		var hs []int
		for i, n := range c.nodes {
			if n.Alive() && leaseHeld(n) {
				hs = append(hs, i)
			}
		}
		return hs
	}
	var hs []int
	if _, ok := within(10*time.Second, func() bool { hs = holders(); return len(hs) == 1 }); !ok {
		t.Fatalf("lease holders %v, want exactly one", hs)
	}
	first := hs[0]
	for range 20 { // stays put while its holder lives
		if hs = holders(); len(hs) > 1 {
			t.Fatalf("two holders at once: %v", hs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.nodes[first].Kill()
	d, ok := within(15*time.Second, func() bool { hs = holders(); return len(hs) == 1 && hs[0] != first })
	if !ok {
		t.Fatalf("after node %d died the holders are %v", first, hs)
	}
	t.Logf("node %d took the lease %v after node %d was killed", hs[0], d, first)
}

// leaseHeld reads zonal_background_lease_held from a node's metrics.
func leaseHeld(n *zonalproc.Server) bool {
	resp, err := http.Get(n.Endpoint + "/_zonal/metrics")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "zonal_background_lease_held ") {
			return strings.TrimPrefix(line, "zonal_background_lease_held ") == "1"
		}
	}
	return false
}
