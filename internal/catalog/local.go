package catalog

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"
	"time"
)

// LocalChanges is ConfigChanges for an engine private to one process
// (Pebble, mem): every write goes through this process, so a change log
// kept in memory since the engine was opened is the whole story. It keeps
// the latest change of each name, which is all a reader needs.
type LocalChanges struct {
	mu     sync.Mutex
	cursor uint64                 // the last write's stamp; see now
	latest map[string]localChange // name -> its last write
}

type localChange struct {
	at    uint64
	value []byte
}

// Record notes that name was set to value (call it after the write is durable).
func (l *LocalChanges) Record(name string, value []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.latest == nil {
		l.latest = make(map[string]localChange)
	}
	l.cursor = l.now() + 1
	l.latest[name] = localChange{at: l.cursor, value: append([]byte(nil), value...)}
}

// Since implements ConfigChanges over the recorded writes.
func (l *LocalChanges) Since(prefix string, cursor uint64) ([]ConfigValue, uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if cursor == 0 {
		return nil, l.now()
	}
	type hit struct {
		at uint64
		v  ConfigValue
	}
	var hits []hit
	for name, c := range l.latest {
		if c.at > cursor && strings.HasPrefix(name, prefix) {
			hits = append(hits, hit{c.at, ConfigValue{Name: name, Value: append([]byte(nil), c.value...)}})
		}
	}
	// Write order: a reader applying them in turn ends on the latest state.
	slices.SortFunc(hits, func(a, b hit) int { return cmp.Compare(a.at, b.at) })
	out := make([]ConfigValue, len(hits))
	for i, h := range hits {
		out[i] = h.v
	}
	return out, l.now()
}

// now is the current cursor. It is never 0, which asks for the cursor:
// a reader that took its cursor before the first write would otherwise
// pass 0 again and miss that write.
func (l *LocalChanges) now() uint64 { return max(l.cursor, 1) }

// LocalTokens is ClaimToken for an engine private to one process. Tokens
// live in memory: they serve client retries, which a restart ends anyway.
type LocalTokens struct {
	mu sync.Mutex
	m  map[string]localToken
}

type localToken struct {
	value   []byte
	expires time.Time
}

// maxLocalTokens bounds the memory tokens take; past it, expired tokens
// are dropped, and if none had expired the oldest half goes.
const maxLocalTokens = 100000

// Claim implements ClaimToken.
func (l *LocalTokens) Claim(scope, token string, value []byte, ttl time.Duration, now time.Time) []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = make(map[string]localToken)
	}
	k := scope + "\x00" + token
	if t, ok := l.m[k]; ok && now.Before(t.expires) {
		return append([]byte(nil), t.value...)
	}
	if len(l.m) >= maxLocalTokens {
		l.prune(now)
	}
	l.m[k] = localToken{value: append([]byte(nil), value...), expires: now.Add(ttl)}
	return value
}

func (l *LocalTokens) prune(now time.Time) {
	for k, t := range l.m {
		if !now.Before(t.expires) {
			delete(l.m, k)
		}
	}
	if len(l.m) < maxLocalTokens {
		return
	}
	expiries := make([]time.Time, 0, len(l.m))
	for _, t := range l.m {
		expiries = append(expiries, t.expires)
	}
	slices.SortFunc(expiries, time.Time.Compare)
	cut := expiries[len(expiries)/2]
	for k, t := range l.m {
		if t.expires.Before(cut) {
			delete(l.m, k)
		}
	}
}

// Poll calls refresh every `every` until ctx ends: how a process follows
// what other processes sharing the catalog change (ConfigChanges behind
// refresh). A failed refresh is simply tried again at the next tick, so
// refresh must only advance its cursor past changes it applied.
func Poll(ctx context.Context, every time.Duration, refresh func(context.Context) error) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = refresh(ctx)
		}
	}
}
