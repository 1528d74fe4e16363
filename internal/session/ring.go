package session

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

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

// Key is one AES-256 key of the ring.
type Key struct {
	ID      uint32    `json:"id"`
	Secret  []byte    `json:"secret"`
	State   string    `json:"state"`
	Created time.Time `json:"created"`
	Retired time.Time `json:"retired,omitempty"`

	aead cipher.AEAD
}

// Ring is the set of session keys, persisted in one file (mode 0600).
type Ring struct {
	path string

	mu   sync.RWMutex
	keys []*Key
}

type ringFile struct {
	Keys []*Key `json:"keys"`
}

// OpenRing loads the ring at path, creating it with a primary and a staged
// key when the file does not exist.
func OpenRing(path string) (*Ring, error) {
	r := &Ring{path: path}
	data, err := os.ReadFile(path)
	switch {
	case os.IsNotExist(err):
		now := time.Now().UTC()
		for _, st := range []string{Primary, Staged} {
			k, err := newKey(r.nextID(), st, now)
			if err != nil {
				return nil, err
			}
			r.keys = append(r.keys, k)
		}
		if err := r.save(); err != nil {
			return nil, err
		}
		return r, nil
	case err != nil:
		return nil, err
	}
	var f ringFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("session key ring %s: %w", path, err)
	}
	for _, k := range f.Keys {
		if len(k.Secret) != 32 {
			return nil, fmt.Errorf("session key ring %s: key %d has %d bytes, want 32", path, k.ID, len(k.Secret))
		}
		if k.aead, err = newAEAD(k.Secret); err != nil {
			return nil, err
		}
	}
	r.keys = f.Keys
	if r.primary() == nil {
		return nil, fmt.Errorf("session key ring %s: no primary key", path)
	}
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

func newKey(id uint32, state string, now time.Time) (*Key, error) {
	k := &Key{ID: id, Secret: make([]byte, 32), State: state, Created: now}
	if _, err := rand.Read(k.Secret); err != nil {
		return nil, err
	}
	var err error
	k.aead, err = newAEAD(k.Secret)
	return k, err
}

func (r *Ring) nextID() uint32 {
	var b [4]byte
	for {
		_, _ = rand.Read(b[:])
		id := binary.BigEndian.Uint32(b[:])
		if id != 0 && r.lookupLocked(id) == nil {
			return id
		}
	}
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
	return r.lookupLocked(id)
}

func (r *Ring) lookupLocked(id uint32) *Key {
	for _, k := range r.keys {
		if k.ID == id {
			return k
		}
	}
	return nil
}

// Rotate advances the ring when the primary key is older than every: the
// staged key becomes primary, the old primary retires, a new key is staged,
// and retired keys older than maxTTL (no token they minted is still valid)
// are dropped. It reports whether anything changed.
func (r *Ring) Rotate(now time.Time, every, maxTTL time.Duration) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	changed := false
	var keep []*Key
	for _, k := range r.keys {
		if k.State == Retired && now.Sub(k.Retired) > maxTTL+time.Minute {
			changed = true
			continue
		}
		keep = append(keep, k)
	}
	r.keys = keep
	var primary, staged *Key
	for _, k := range r.keys {
		switch k.State {
		case Primary:
			primary = k
		case Staged:
			staged = k
		}
	}
	if primary != nil && now.Sub(primary.Created) >= every && staged != nil {
		primary.State, primary.Retired = Retired, now
		staged.State, staged.Created = Primary, now
		k, err := newKey(r.nextID(), Staged, now)
		if err != nil {
			return false, err
		}
		r.keys = append(r.keys, k)
		changed = true
	}
	if !changed {
		return false, nil
	}
	return true, r.saveLocked()
}

func (r *Ring) save() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.saveLocked()
}

// saveLocked writes the ring atomically and durably.
func (r *Ring) saveLocked() error {
	if r.path == "" {
		return nil
	}
	data, err := json.MarshalIndent(ringFile{Keys: r.keys}, "", "  ")
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(r.path, data, 0o600)
}

// Sealer seals and opens a named secret value kept in the catalog (the
// ring's keys), binding it to its name. iam.DB provides one under the
// master key every node is given.
type Sealer interface {
	Seal(name string, plain []byte) ([]byte, error)
	Open(name string, sealed []byte) ([]byte, error)
}
