package session

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/fsutil"
)

// Key states, Fernet-style: a staged key already validates tokens (so every
// node knows it before any node mints with it), the primary key mints, a
// retired key only validates until the longest session it minted has expired.
const (
	Staged  = "staged"
	Primary = "primary"
	Retired = "retired"
)

// RingName is the catalog config value holding the shared ring, sealed.
const RingName = "zonal/session-ring"

// Key is one AES-256 key of the ring.
type Key struct {
	ID      uint32    `json:"id"`
	Secret  []byte    `json:"secret"`
	State   string    `json:"state"`
	Created time.Time `json:"created"`
	Retired time.Time `json:"retired,omitempty"`

	aead cipher.AEAD
}

// Sealer seals and opens a named secret value kept in the catalog (the
// ring's keys), binding it to its name. iam.DB provides one under the
// master key every node is given.
type Sealer interface {
	Seal(name string, plain []byte) ([]byte, error)
	Open(name string, sealed []byte) ([]byte, error)
}

// Ring is the set of session keys.
//
// A ring opened with OpenRingIn is shared by every node through one
// catalog value, RingName, whose keys are sealed by a Sealer (the database
// never holds them in clear). Changes to it are catalog UpdateConfigs, so
// nodes creating or rotating it at once create or rotate it once, and
// each node follows the stored ring with Watch.
//
// Rotation needs no coordination beyond that because of the staged state:
// a key is staged (it validates, it never mints) one full rotation period
// (a day) before it becomes primary, so every node has loaded it, through
// Watch, long before any node mints with it. A node that was cut off from
// the catalog for longer still opens a token of a key it does not know:
// Open reloads the ring (at most once a second) before refusing.
//
// Mint and Open only read the in-memory ring under a read lock.
type Ring struct {
	path string          // file ring (OpenRing); "" otherwise
	cat  catalog.Catalog // shared ring (OpenRingIn); nil otherwise
	seal Sealer

	mu   sync.RWMutex
	keys []*Key // never modified once installed: changes build a new slice of new keys
	rev  uint64 // revision of the stored ring that keys come from

	pollMu     sync.Mutex // serialises Refresh
	cursor     uint64     // ConfigChanges cursor (guarded by pollMu)
	lastReload atomic.Int64
}

// storedRing is the catalog value: the ring's keys as JSON (ringFile),
// sealed; the revision, which grows with every write, in clear.
type storedRing struct {
	V      int    `json:"v"`
	Rev    uint64 `json:"rev"`
	Sealed []byte `json:"sealed"`
}

// ringFile is the JSON of the keys: the file of a file ring, the plain
// text of a stored ring.
type ringFile struct {
	Keys []*Key `json:"keys"`
}

// OpenRingIn opens the ring kept in cat. When the catalog holds none
// yet, the ring of legacyFile (the file ring of a single-node data folder)
// is imported if that file exists, so sessions minted before the upgrade
// stay valid, and the file is removed once the catalog holds its keys;
// otherwise a new ring with a primary and a staged key is created. If the
// catalog already holds a ring, keys of legacyFile it lacks are added as
// retired keys: they keep validating until rotation drops them.
func OpenRingIn(ctx context.Context, cat catalog.Catalog, seal Sealer, legacyFile string) (*Ring, error) {
	r := &Ring{cat: cat, seal: seal}
	// Taken before reading, so a change made meanwhile is polled again.
	_, cursor, err := cat.ConfigChanges(ctx, RingName, 0)
	if err != nil {
		return nil, fmt.Errorf("session key ring: %w", err)
	}
	var legacy []*Key
	if legacyFile != "" {
		if legacy, err = readRingFile(legacyFile); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	var keys []*Key
	var rev uint64
	err = cat.UpdateConfig(ctx, RingName, func(cur []byte) ([]byte, error) {
		now := time.Now().UTC()
		var err error
		switch {
		case cur != nil:
			if keys, rev, err = r.decode(cur); err != nil {
				return nil, err
			}
			merged, added := mergeRetired(keys, legacy, now)
			if !added {
				return nil, nil
			}
			keys, rev = merged, rev+1
		case legacy != nil:
			keys, rev = legacy, 1
		default:
			if keys, err = newRing(now); err != nil {
				return nil, err
			}
			rev = 1
		}
		return r.encode(keys, rev)
	})
	if err != nil {
		return nil, fmt.Errorf("session key ring: %w", err)
	}
	if legacy != nil {
		// The catalog holds these keys now (UpdateConfig returned after
		// the commit): the clear copy on disk has no purpose left.
		if err := os.Remove(legacyFile); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("session key ring imported into the catalog, but %s could not be removed: %w", legacyFile, err)
		}
	}
	r.install(keys, rev)
	r.cursor = cursor
	return r, nil
}

// OpenRing loads the single-node ring file at path, creating it (mode
// 0600) with a primary and a staged key when it does not exist.
//
// Deprecated: nodes sharing a catalog use OpenRingIn, which also imports
// this file. Kept for benchmarks and single-process tools.
func OpenRing(path string) (*Ring, error) {
	keys, err := readRingFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if keys, err = newRing(time.Now().UTC()); err == nil {
			err = saveRingFile(path, keys)
		}
	}
	if err != nil {
		return nil, err
	}
	r := &Ring{path: path}
	r.install(keys, 0)
	return r, nil
}

// NewMemRing returns a ring that is never persisted (tests).
func NewMemRing() *Ring {
	k, err := newKey(1, Primary, time.Now())
	if err != nil {
		panic(err)
	}
	return &Ring{keys: []*Key{k}}
}

func readRingFile(path string) ([]*Key, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	keys, err := parseKeys(data)
	if err != nil {
		return nil, fmt.Errorf("session key ring %s: %w", path, err)
	}
	return keys, nil
}

func saveRingFile(path string, keys []*Key) error {
	data, err := json.MarshalIndent(ringFile{Keys: keys}, "", "  ")
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(path, data, 0o600)
}

// parseKeys reads the JSON of a ring and prepares its ciphers.
func parseKeys(data []byte) ([]*Key, error) {
	var f ringFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, err
	}
	primary := false
	for _, k := range f.Keys {
		if len(k.Secret) != 32 {
			return nil, fmt.Errorf("key %d has %d bytes, want 32", k.ID, len(k.Secret))
		}
		var err error
		if k.aead, err = newAEAD(k.Secret); err != nil {
			return nil, err
		}
		primary = primary || k.State == Primary
	}
	if !primary {
		return nil, errors.New("no primary key")
	}
	return f.Keys, nil
}

// decode opens a stored ring.
func (r *Ring) decode(data []byte) ([]*Key, uint64, error) {
	var s storedRing
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, 0, fmt.Errorf("stored ring is damaged: %w", err)
	}
	plain, err := r.seal.Open(RingName, s.Sealed)
	if err != nil {
		return nil, 0, err
	}
	keys, err := parseKeys(plain)
	if err != nil {
		return nil, 0, fmt.Errorf("stored ring: %w", err)
	}
	return keys, s.Rev, nil
}

// encode seals a ring for the catalog.
func (r *Ring) encode(keys []*Key, rev uint64) ([]byte, error) {
	plain, err := json.Marshal(ringFile{Keys: keys})
	if err != nil {
		return nil, err
	}
	sealed, err := r.seal.Seal(RingName, plain)
	if err != nil {
		return nil, err
	}
	return json.Marshal(storedRing{V: 1, Rev: rev, Sealed: sealed})
}

// install makes keys the ring, unless they are older than what it holds.
func (r *Ring) install(keys []*Key, rev uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.keys != nil && r.cat != nil && rev <= r.rev {
		return
	}
	r.keys, r.rev = keys, rev
}

// newRing returns a fresh ring: a primary and a staged key.
func newRing(now time.Time) ([]*Key, error) {
	var keys []*Key
	for _, st := range []string{Primary, Staged} {
		k, err := newKey(nextID(keys), st, now)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func newKey(id uint32, state string, now time.Time) (*Key, error) {
	k := &Key{ID: id, Secret: make([]byte, 32), State: state, Created: now}
	if _, err := rand.Read(k.Secret); err != nil {
		return nil, err
	}
	var err error
	k.aead, err = newAEAD(k.Secret)
	return k, err
}

// nextID returns a random key id, non-zero and not in keys.
func nextID(keys []*Key) uint32 {
	var b [4]byte
	for {
		_, _ = rand.Read(b[:])
		id := binary.BigEndian.Uint32(b[:])
		if id != 0 && find(keys, id) == nil {
			return id
		}
	}
}

func find(keys []*Key, id uint32) *Key {
	for _, k := range keys {
		if k.ID == id {
			return k
		}
	}
	return nil
}

// mergeRetired returns keys plus those of extra it lacks, as retired keys
// (a retired key keeps its retirement time; others retire now).
func mergeRetired(keys, extra []*Key, now time.Time) ([]*Key, bool) {
	out := keys
	for _, e := range extra {
		if find(keys, e.ID) != nil {
			continue
		}
		c := *e
		if c.State != Retired {
			c.State, c.Retired = Retired, now
		}
		out = append(out[:len(out):len(out)], &c)
	}
	return out, len(out) != len(keys)
}

func (r *Ring) primary() *Key {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, k := range r.keys {
		if k.State == Primary {
			return k
		}
	}
	return nil
}

func (r *Ring) lookup(id uint32) *Key {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return find(r.keys, id)
}

func (r *Ring) snapshot() []*Key {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.keys
}

// rotate applies the rotation rules to a copy of keys: when the primary
// is older than every, the staged key becomes primary, the old primary
// retires and a new key is staged; retired keys older than maxTTL (no token
// they minted is still valid) are dropped. It reports whether anything
// changed.
func rotate(keys []*Key, now time.Time, every, maxTTL time.Duration) ([]*Key, bool, error) {
	changed := false
	var next []*Key
	var primary, staged *Key
	for _, k := range keys {
		if k.State == Retired && now.Sub(k.Retired) > maxTTL+time.Minute {
			changed = true
			continue
		}
		c := *k
		next = append(next, &c)
		switch c.State {
		case Primary:
			primary = &c
		case Staged:
			staged = &c
		}
	}
	if primary != nil && now.Sub(primary.Created) >= every && staged != nil {
		primary.State, primary.Retired = Retired, now
		staged.State, staged.Created = Primary, now
		k, err := newKey(nextID(next), Staged, now)
		if err != nil {
			return nil, false, err
		}
		next = append(next, k)
		changed = true
	}
	return next, changed, nil
}

// Rotate advances the ring when its primary key is older than every (see
// rotate for the rules) and reports whether it changed. A shared ring is
// rotated in the catalog, inside one UpdateConfig: nodes rotating at once
// rotate it once, and afterwards this ring is the stored one. When this
// node's copy needs no rotation the catalog is not asked: the stored ring
// is never older than a node's copy, so it needs none either.
func (r *Ring) Rotate(ctx context.Context, now time.Time, every, maxTTL time.Duration) (bool, error) {
	next, changed, err := rotate(r.snapshot(), now, every, maxTTL)
	if err != nil || !changed {
		return false, err
	}
	if r.cat == nil {
		if r.path != "" {
			if err := saveRingFile(r.path, next); err != nil {
				return false, err
			}
		}
		r.install(next, 0)
		return true, nil
	}
	var keys []*Key
	var rev uint64
	err = r.cat.UpdateConfig(ctx, RingName, func(cur []byte) ([]byte, error) {
		if cur == nil {
			return nil, errors.New("the catalog holds no ring")
		}
		stored, srev, err := r.decode(cur)
		if err != nil {
			return nil, err
		}
		keys, rev, changed = stored, srev, false
		next, ch, err := rotate(stored, now, every, maxTTL)
		if err != nil || !ch {
			return nil, err
		}
		keys, rev, changed = next, srev+1, true
		return r.encode(keys, rev)
	})
	if err != nil {
		return false, fmt.Errorf("session key rotation: %w", err)
	}
	r.install(keys, rev)
	return changed, nil
}

// Refresh loads the stored ring if another node changed it since the
// last Refresh (or OpenRingIn). It does nothing for a ring that is not
// shared. After an error the change is fetched again next time.
func (r *Ring) Refresh(ctx context.Context) error {
	if r.cat == nil {
		return nil
	}
	r.pollMu.Lock()
	defer r.pollMu.Unlock()
	if r.cursor == 0 {
		// No change was recorded when the cursor was taken, and cursor 0
		// asks only for the cursor: read the ring itself instead.
		_, cursor, err := r.cat.ConfigChanges(ctx, RingName, 0)
		if err != nil {
			return fmt.Errorf("session key ring: %w", err)
		}
		data, err := r.cat.GetConfig(ctx, RingName)
		if err != nil {
			return fmt.Errorf("session key ring: %w", err)
		}
		if err := r.load(data); err != nil {
			return err
		}
		r.cursor = cursor
		return nil
	}
	vals, cursor, err := r.cat.ConfigChanges(ctx, RingName, r.cursor)
	if err != nil {
		return fmt.Errorf("session key ring: %w", err)
	}
	for _, v := range vals {
		if v.Name != RingName { // a name that merely starts with it
			continue
		}
		if err := r.load(v.Value); err != nil {
			return err
		}
	}
	r.cursor = cursor
	return nil
}

func (r *Ring) load(data []byte) error {
	keys, rev, err := r.decode(data)
	if err != nil {
		return fmt.Errorf("session key ring: %w", err)
	}
	r.install(keys, rev)
	return nil
}

// Watch keeps a shared ring up to date, calling Refresh every `every`
// until ctx ends. A failed poll is retried at the next tick; the cursor
// only advances past changes that were loaded.
func (r *Ring) Watch(ctx context.Context, every time.Duration) {
	catalog.Poll(ctx, every, r.Refresh)
}

// reloadInterval bounds how often a token of an unknown key makes Open
// reload the ring: such tokens may be forged at will.
const reloadInterval = time.Second

// reloadForUnknownKey refreshes a shared ring for Open, at most once per
// reloadInterval, and reports whether it did.
func (r *Ring) reloadForUnknownKey() bool {
	if r.cat == nil {
		return false
	}
	now := time.Now().UnixNano()
	last := r.lastReload.Load()
	if now-last < int64(reloadInterval) || !r.lastReload.CompareAndSwap(last, now) {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return r.Refresh(ctx) == nil
}
