package session

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/catalog/mem"
)

// testSealer is an AES-GCM Sealer like iam's (which cannot be imported
// here: iam imports session).
type testSealer struct{ aead cipher.AEAD }

func newTestSealer(t testing.TB) testSealer {
	block, err := aes.NewCipher(bytes.Repeat([]byte{5}, 32))
	if err != nil {
		t.Fatal(err)
	}
	aead, _ := cipher.NewGCM(block)
	return testSealer{aead}
}

func (s testSealer) Seal(name string, plain []byte) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize())
	rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, plain, []byte(name)), nil
}

func (s testSealer) Open(name string, sealed []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("short")
	}
	return s.aead.Open(nil, sealed[:n], sealed[n:], []byte(name))
}

var bg = context.Background()

func sharedRing(t testing.TB, cat *mem.Catalog, legacy string) *Ring {
	t.Helper()
	r, err := OpenRingIn(bg, cat, newTestSealer(t), legacy)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func primaryID(r *Ring) uint32 { return r.primary().ID }

func TestSharedRingTokensOpenOnEitherNode(t *testing.T) {
	cat := mem.New()
	a := sharedRing(t, cat, "")
	b := sharedRing(t, cat, "")
	if primaryID(a) != primaryID(b) || len(a.snapshot()) != 2 {
		t.Fatalf("two rings on one catalog: primaries %d and %d, %d keys", primaryID(a), primaryID(b), len(a.snapshot()))
	}
	_, tok := mint(t, a)
	if _, err := b.Open(tok); err != nil {
		t.Fatalf("token of one node on the other: %v", err)
	}
	// The stored value holds no key in clear.
	raw, err := cat.GetConfig(bg, RingName)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range a.snapshot() {
		if bytes.Contains(raw, k.Secret) || bytes.Contains(raw, []byte(base64.StdEncoding.EncodeToString(k.Secret))) {
			t.Fatalf("stored ring holds key %d in clear", k.ID)
		}
	}
}

func TestSharedRingCreatedOnceByConcurrentNodes(t *testing.T) {
	cat := mem.New()
	rings := make([]*Ring, 4)
	var wg sync.WaitGroup
	for i := range rings {
		wg.Add(1)
		go func() { defer wg.Done(); rings[i] = sharedRing(t, cat, "") }()
	}
	wg.Wait()
	for _, r := range rings[1:] {
		if primaryID(r) != primaryID(rings[0]) {
			t.Fatal("nodes starting at once ended with different rings")
		}
	}
}

func TestSharedRingRotatesOnce(t *testing.T) {
	cat := mem.New()
	a := sharedRing(t, cat, "")
	b := sharedRing(t, cat, "")
	_, oldTok := mint(t, a)
	staged := a.snapshot()[1].ID
	later := time.Now().Add(25 * time.Hour)
	var wg sync.WaitGroup
	var mu sync.Mutex
	rotations := 0
	for _, r := range []*Ring{a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			changed, err := r.Rotate(bg, later, 24*time.Hour, 5*time.Minute)
			if err != nil {
				t.Error(err)
			}
			if changed {
				mu.Lock()
				rotations++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if rotations != 1 {
		t.Fatalf("%d rotations, want 1", rotations)
	}
	if primaryID(a) != staged || primaryID(b) != staged || len(a.snapshot()) != 3 {
		t.Fatalf("after rotation: primaries %d/%d, want the staged %d; %d keys", primaryID(a), primaryID(b), staged, len(a.snapshot()))
	}
	if _, err := b.Open(oldTok); err != nil {
		t.Fatalf("token of the retired key: %v", err)
	}
}

func TestSharedRingFollowsOtherNodesRotation(t *testing.T) {
	cat := mem.New()
	a := sharedRing(t, cat, "")
	b := sharedRing(t, cat, "")
	// Two rotations on a: its primary is a key b has never seen.
	now := time.Now()
	for _, d := range []time.Duration{25 * time.Hour, 50 * time.Hour} {
		if changed, err := a.Rotate(bg, now.Add(d), 24*time.Hour, 5*time.Minute); err != nil || !changed {
			t.Fatalf("rotate: %v %v", changed, err)
		}
	}
	if primaryID(b) == primaryID(a) {
		t.Fatal("b changed without a Refresh")
	}
	if err := b.Refresh(bg); err != nil {
		t.Fatal(err)
	}
	if primaryID(b) != primaryID(a) || len(b.snapshot()) != len(a.snapshot()) {
		t.Fatalf("after Refresh b mints with %d, a with %d", primaryID(b), primaryID(a))
	}
}

func TestSharedRingWatch(t *testing.T) {
	cat := mem.New()
	a := sharedRing(t, cat, "")
	b := sharedRing(t, cat, "")
	ctx, cancel := context.WithCancel(bg)
	done := make(chan struct{})
	go func() { defer close(done); b.Watch(ctx, 10*time.Millisecond) }()
	defer func() { cancel(); <-done }()
	if _, err := a.Rotate(bg, time.Now().Add(25*time.Hour), 24*time.Hour, 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Second)
	for primaryID(b) != primaryID(a) {
		if time.Now().After(deadline) {
			t.Fatal("watching ring did not follow the rotation within 1s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestOpenReloadsForUnknownKey(t *testing.T) {
	cat := mem.New()
	a := sharedRing(t, cat, "")
	b := sharedRing(t, cat, "")
	now := time.Now()
	for _, d := range []time.Duration{25 * time.Hour, 50 * time.Hour} {
		if _, err := a.Rotate(bg, now.Add(d), 24*time.Hour, 5*time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	_, tok := mint(t, a)
	if _, err := b.Open(tok); err != nil {
		t.Fatalf("token of a key b had not loaded: %v", err)
	}
	// Reloads are rate-limited: a second unknown key within the interval
	// is refused without asking the catalog.
	if _, err := a.Rotate(bg, now.Add(75*time.Hour), 24*time.Hour, 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Rotate(bg, now.Add(100*time.Hour), 24*time.Hour, 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	_, tok2 := mint(t, a)
	if _, err := b.Open(tok2); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("second reload within %v: %v", reloadInterval, err)
	}
}

func TestSharedRingImportsLegacyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "ring.json")
	old, err := OpenRing(path)
	if err != nil {
		t.Fatal(err)
	}
	_, tok := mint(t, old)
	cat := mem.New()
	r := sharedRing(t, cat, path)
	if _, err := r.Open(tok); err != nil {
		t.Fatalf("token minted before the upgrade: %v", err)
	}
	if primaryID(r) != primaryID(old) {
		t.Fatal("the imported ring has another primary")
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("legacy ring file still there: %v", err)
	}
	// Another node (without the file) and a restart see the same ring.
	if _, err := sharedRing(t, cat, path).Open(tok); err != nil {
		t.Fatalf("after restart: %v", err)
	}

	// A legacy file meeting a catalog that already has a ring: its keys
	// join as retired keys, so its tokens still open but it never mints.
	path2 := filepath.Join(t.TempDir(), "ring.json")
	other, _ := OpenRing(path2)
	_, tok3 := mint(t, other)
	r2 := sharedRing(t, cat, path2)
	if _, err := r2.Open(tok3); err != nil {
		t.Fatalf("token of a merged legacy key: %v", err)
	}
	if primaryID(r2) != primaryID(r) {
		t.Fatal("a merged legacy file changed the primary")
	}
	if _, err := os.Stat(path2); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("merged legacy ring file still there: %v", err)
	}
}

func TestSharedRingRefusesWrongSealer(t *testing.T) {
	cat := mem.New()
	sharedRing(t, cat, "")
	block, _ := aes.NewCipher(bytes.Repeat([]byte{6}, 32))
	aead, _ := cipher.NewGCM(block)
	if _, err := OpenRingIn(bg, cat, testSealer{aead}, ""); err == nil {
		t.Fatal("ring opened under another key")
	}
}

// A forged key id is refused, and so is an unknown key on a ring that is
// not shared (nothing to reload).
func TestUnknownKeyRefused(t *testing.T) {
	r := NewMemRing()
	_, tok := mint(t, r)
	raw, _ := base64.RawURLEncoding.DecodeString(tok)
	binary.BigEndian.PutUint32(raw[1:5], r.primary().ID+1)
	if _, err := r.Open(base64.RawURLEncoding.EncodeToString(raw)); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("unknown key: %v", err)
	}
}
