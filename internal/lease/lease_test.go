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

func first(a, b *Lease) (holder, other *Lease) {
	if a.Held() {
		return a, b
	}
	return b, a
}

func TestOneHolderAtATime(t *testing.T) {
	cat := mem.New()
	ctx, cancel := context.WithCancel(context.Background())
	a := Keep(ctx, cat, "gc", "node-a", ttl)
	b := Keep(ctx, cat, "gc", "node-a", ttl) // same holder name: still two claims
	c := Keep(ctx, cat, "lifecycle", "node-b", ttl)
	defer func() { cancel(); a.Wait(); b.Wait(); c.Wait() }()
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
	ctxA, stopA := context.WithCancel(context.Background())
	ctxB, stopB := context.WithCancel(context.Background())
	a := Keep(ctxA, cat, "gc", "node-a", ttl)
	var b *Lease
	defer func() {
		stopA()
		stopB()
		a.Wait()
		if b != nil {
			b.Wait()
		}
	}()
	waitHeld(t, a, true, time.Second, "first holder")
	b = Keep(ctxB, cat, "gc", "node-b", ttl)
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
	ctx, cancel := context.WithCancel(context.Background())
	a := Keep(ctx, fa, "gc", "node-a", ttl)
	var b *Lease
	defer func() {
		cancel()
		a.Wait()
		if b != nil {
			b.Wait()
		}
	}()
	waitHeld(t, a, true, time.Second, "first holder")
	b = Keep(ctx, shared, "gc", "node-b", ttl)

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
	ctx, cancel := context.WithCancel(context.Background())
	l := Keep(ctx, cat, "gc", "node-a", time.Hour)
	defer func() { cancel(); l.Wait() }()
	waitHeld(t, l, true, time.Second, "holder")
	cancel()
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
	ctx2, cancel2 := context.WithCancel(context.Background())
	l2 := Keep(ctx2, cat, "gc", "node-b", time.Hour)
	defer func() { cancel2(); l2.Wait() }()
	waitHeld(t, l2, true, time.Second, "taking a released lease")
}
