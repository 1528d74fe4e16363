package lease

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/catalog/mem"
)

const ttl = 300 * time.Millisecond

// flaky is a node's view of a shared catalog whose UpdateConfig fails on
// demand, as when the node loses its connection to the database.
type flaky struct {
	*mem.Catalog
	down atomic.Bool
}

func (f *flaky) UpdateConfig(ctx context.Context, name string, fn func([]byte) ([]byte, error)) error {
	if f.down.Load() {
		return catalog.ErrUnavailable
	}
	return f.Catalog.UpdateConfig(ctx, name, fn)
}

// keep starts a Lease whose context ends with the test, or with the
// returned stop; the test waits for its goroutine either way.
func keep(t *testing.T, cat catalog.Catalog, name, holder string, ttl time.Duration) (*Lease, context.CancelFunc) {
	ctx, stop := context.WithCancel(context.Background())
	l := Keep(ctx, cat, name, holder, ttl)
	t.Cleanup(func() { stop(); l.Wait() })
	return l, stop
}

// waitHeld waits up to d for l.Held() to become want.
func waitHeld(t *testing.T, l *Lease, want bool, d time.Duration, what string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for l.Held() != want {
		if time.Now().After(deadline) {
			t.Fatalf("%s: Held() not %v within %v", what, want, d)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// sample checks Held on both leases for d and fails if both ever hold;
// it returns how many samples found exactly one holder, out of how many.
func sample(t *testing.T, a, b *Lease, d time.Duration) (one, total int) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(time.Millisecond) {
		ha, hb := a.Held(), b.Held()
		if ha && hb {
			t.Fatal("both nodes hold the lease")
		}
		if ha != hb {
			one++
		}
		total++
	}
	return one, total
}

func TestOneHolderAtATime(t *testing.T) {
	cat := mem.New()
	a, _ := keep(t, cat, "gc", "node-a", ttl)
	b, _ := keep(t, cat, "gc", "node-a", ttl) // same holder name: still two claims
	c, _ := keep(t, cat, "lifecycle", "node-b", ttl)
	deadline := time.Now().Add(time.Second)
	for !a.Held() && !b.Held() {
		if time.Now().After(deadline) {
			t.Fatal("nobody took a free lease")
		}
		time.Sleep(time.Millisecond)
	}
	one, total := sample(t, a, b, 3*ttl)
	// Renewals keep the holder's margin at ttl/3 or more; allow for a
	// scheduler stall on a loaded machine, not for a lease left idle.
	if one < total*9/10 {
		t.Fatalf("exactly one holder in %d of %d samples", one, total)
	}
	// Another name is a separate lease.
	waitHeld(t, c, true, time.Second, "lease of another name")
}

func TestTakeoverWhenHolderStops(t *testing.T) {
	cat := mem.New()
	a, stopA := keep(t, cat, "gc", "node-a", ttl)
	waitHeld(t, a, true, time.Second, "first holder")
	b, _ := keep(t, cat, "gc", "node-b", ttl)
	if _, total := sample(t, a, b, ttl); b.Held() || total == 0 {
		t.Fatal("the second node took a held lease")
	}
	stopA()
	a.Wait()
	if a.Held() {
		t.Fatal("a stopped holder still holds")
	}
	// Released, so b takes it at its next try (ttl/3), well within ttl.
	waitHeld(t, b, true, ttl, "takeover after release")
}

func TestHolderCutOffFromCatalogStops(t *testing.T) {
	shared := mem.New()
	fa := &flaky{Catalog: shared}
	a, _ := keep(t, fa, "gc", "node-a", ttl)
	waitHeld(t, a, true, time.Second, "first holder")
	b, _ := keep(t, shared, "gc", "node-b", ttl)

	fa.down.Store(true)
	// a notices at its next renewal, before its lease runs out...
	waitHeld(t, a, false, ttl/3+ttl/6, "holder whose renewals fail")
	// ...and b takes over once it has expired, never overlapping.
	deadline := time.Now().Add(2 * ttl)
	for !b.Held() {
		if a.Held() {
			t.Fatal("cut-off holder holds again")
		}
		if time.Now().After(deadline) {
			t.Fatal("lease of a dead holder never moved")
		}
		time.Sleep(time.Millisecond)
	}
	// a back online finds b's current lease and stays out.
	fa.down.Store(false)
	sample(t, a, b, ttl)
	if a.Held() || !b.Held() {
		t.Fatalf("after recovery: a %v, b %v", a.Held(), b.Held())
	}
}

func TestReleaseWritesExpiredValue(t *testing.T) {
	cat := mem.New()
	l, stop := keep(t, cat, "gc", "node-a", time.Hour)
	waitHeld(t, l, true, time.Second, "holder")
	stop()
	l.Wait()
	raw, err := cat.GetConfig(context.Background(), Prefix+"gc")
	if err != nil {
		t.Fatal(err)
	}
	r, ok := parse(raw)
	if !ok || r.Holder != "node-a" || r.Expires.After(time.Now().Add(-time.Hour)) {
		t.Fatalf("released lease = %s", raw)
	}
	// A stopped Lease with an hour-long ttl is taken at once by another.
	l2, _ := keep(t, cat, "gc", "node-b", time.Hour)
	waitHeld(t, l2, true, time.Second, "taking a released lease")
}
