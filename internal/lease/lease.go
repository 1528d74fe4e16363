// Package lease lets background work (blob GC, the orphan sweep,
// lifecycle, usage sampling) run on one node at a time among nodes sharing
// a catalog, under a lease that moves to another node when its holder
// stops or dies.
//
// A lease is the catalog config value zonal/lease/<name>: its holder and
// an expiry time. It is taken, renewed and released with UpdateConfig, so
// two nodes never both succeed in taking it. The holder renews it every
// ttl/3 and considers itself the holder (Held) only while more than ttl/3
// of its lease remains, measured on its own monotonic clock from before
// the renewal was sent: a holder that cannot reach the catalog stops
// working at least ttl/3 before the lease expires and another node may
// take it.
//
// Assumption: the expiry is wall-clock time, compared by other nodes with
// their own clocks. Their skew must stay well below ttl/3 (NTP keeps it to
// milliseconds; leases use tens of seconds). The work itself must be safe
// to repeat, since a holder may be cut off in the middle of it.
package lease

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"sync/atomic"
	"time"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// Prefix is the catalog config name prefix of leases.
const Prefix = "zonal/lease/"

// Lease is one node's claim on a named lease, kept by a goroutine that
// Keep starts.
type Lease struct {
	cat    catalog.Catalog
	name   string // config value name
	holder string
	id     string // tells this Lease from another with the same holder name
	ttl    time.Duration

	base  time.Time    // monotonic origin of until
	until atomic.Int64 // held until base+until (ns); 0 when not held
	done  chan struct{}
}

// record is the stored value.
type record struct {
	Holder  string    `json:"holder"`
	ID      string    `json:"id"`
	Expires time.Time `json:"expires"`
}

// Keep starts a goroutine that takes the lease `name` whenever it is free
// or expired, and renews it every ttl/3 while held. holder names this node
// in the stored value (for operators); two Keep calls never share a lease
// even with the same holder. When ctx ends the lease is released (an
// expired value is written, so another node takes it at its next try) and
// the goroutine ends; see Wait. ttl must be positive.
func Keep(ctx context.Context, cat catalog.Catalog, name, holder string, ttl time.Duration) *Lease {
	if ttl <= 0 {
		panic("lease: ttl must be positive")
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	l := &Lease{cat: cat, name: Prefix + name, holder: holder, id: hex.EncodeToString(b[:]), ttl: ttl,
		base: time.Now(), done: make(chan struct{})}
	go l.run(ctx)
	return l
}

// Held reports whether this node holds the lease with more than ttl/3 of
// it left. It turns false as soon as a renewal fails, and by itself when
// renewals stall; work should check it before each step.
func (l *Lease) Held() bool {
	u := l.until.Load()
	return u != 0 && int64(time.Since(l.base)) < u-int64(l.ttl/3)
}

// Wait returns once the goroutine of Keep has released the lease and ended.
func (l *Lease) Wait() { <-l.done }

func (l *Lease) run(ctx context.Context) {
	defer close(l.done)
	t := time.NewTicker(l.ttl / 3)
	defer t.Stop()
	for {
		l.renew(ctx)
		select {
		case <-ctx.Done():
			l.release()
			return
		case <-t.C:
		}
	}
}

// renew takes or renews the lease.
func (l *Lease) renew(ctx context.Context) {
	// The lease is counted from before the request: whenever the catalog
	// commits it, this node's idea of its end is never later than the
	// stored one.
	sent := time.Since(l.base)
	expires := time.Now().Add(l.ttl)
	held := false
	err := l.cat.UpdateConfig(ctx, l.name, func(cur []byte) ([]byte, error) {
		held = false
		if r, ok := parse(cur); ok && r.ID != l.id && time.Now().Before(r.Expires) {
			return nil, nil // another node's, and current
		}
		held = true
		return json.Marshal(record{Holder: l.holder, ID: l.id, Expires: expires})
	})
	if err != nil || !held {
		l.until.Store(0)
		return
	}
	l.until.Store(int64(sent + l.ttl))
}

// release gives the lease up if this node holds it, writing an expiry in
// the distant past so no clock skew keeps it alive.
func (l *Lease) release() {
	l.until.Store(0)
	ctx, cancel := context.WithTimeout(context.Background(), l.ttl/3)
	defer cancel()
	_ = l.cat.UpdateConfig(ctx, l.name, func(cur []byte) ([]byte, error) {
		if r, ok := parse(cur); !ok || r.ID != l.id {
			return nil, nil
		}
		return json.Marshal(record{Holder: l.holder, ID: l.id})
	})
}

// parse reads a stored lease; a missing or unreadable value is free.
func parse(cur []byte) (record, bool) {
	var r record
	if cur == nil || json.Unmarshal(cur, &r) != nil {
		return record{}, false
	}
	return r, true
}
