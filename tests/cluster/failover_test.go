package cluster

import (
	"net/http"
	"testing"
	"time"
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
	l := startWrites(t, ctx, c, bucket, 4, func(int64) int { return 1200 })
	before := l.ackedCount()
	if err := pg.Stop(); err != nil {
		l.finish()
		t.Fatal(err)
	}
	l.expectReadiness(http.StatusServiceUnavailable, "catalog", 15*time.Second)
	time.Sleep(2 * time.Second)
	during := l.ackedCount()
	if err := pg.Start(); err != nil {
		l.finish()
		t.Fatal(err)
	}
	l.expectResumed("PostgreSQL restarted", 30*time.Second)
	l.expectReadiness(http.StatusOK, "", 15*time.Second)
	time.Sleep(500 * time.Millisecond)
	l.finish()
	t.Logf("%d writes acknowledged before the outage, %d by its end", before, during)
	l.expectOnly503s("PostgreSQL", 15*time.Second) // the catalog timeout (2s) bounds them
	l.expectAllAcked(0, 1)
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
