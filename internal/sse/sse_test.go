package sse

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestRoundTripAtAnyOffset(t *testing.T) {
	k, err := New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	key, sealed, err := k.NewDataKey()
	if err != nil {
		t.Fatal(err)
	}
	plain := make([]byte, 1000)
	rand.Read(plain)
	// Encrypted in two pieces, the way the store encrypts chunk by chunk.
	var ct bytes.Buffer
	enc, _ := Stream(key, 0)
	for _, part := range [][]byte{plain[:333], plain[333:]} {
		c := bytes.Clone(part)
		enc.XORKeyStream(c, c)
		ct.Write(c)
	}
	if bytes.Equal(ct.Bytes(), plain) {
		t.Fatal("not encrypted")
	}
	key2, err := k.Unseal(sealed)
	if err != nil || !bytes.Equal(key, key2) {
		t.Fatalf("unseal: %v", err)
	}
	for _, off := range []int64{0, 1, 15, 16, 17, 500, 999} {
		r, _ := Reader(bytes.NewReader(ct.Bytes()[off:]), key2, off)
		got, _ := io.ReadAll(r)
		if !bytes.Equal(got, plain[off:]) {
			t.Fatalf("offset %d: decrypted bytes differ", off)
		}
	}
}

func TestUnsealRefusesTamperingAndOtherKeys(t *testing.T) {
	k, _ := New(bytes.Repeat([]byte{1}, 32))
	other, _ := New(bytes.Repeat([]byte{2}, 32))
	_, sealed, _ := k.NewDataKey()
	if _, err := other.Unseal(sealed); err == nil {
		t.Fatal("another master key opened the data key")
	}
	for i := range sealed {
		bad := append([]byte(nil), sealed...)
		bad[i] ^= 1
		if _, err := k.Unseal(bad); err == nil {
			t.Fatalf("flipped byte %d accepted", i)
		}
	}
	if _, err := k.Unseal(sealed[:10]); err == nil {
		t.Fatal("short input accepted")
	}
}

func TestOpenCreatesAndReloadsKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "sse.key")
	k1, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode())
	}
	_, sealed, _ := k1.NewDataKey()
	k2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k2.Unseal(sealed); err != nil {
		t.Fatal("reloaded key cannot open data keys")
	}
}

func TestLoadCreateAndCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "sse.key")
	if _, err := Load(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load of a missing key: %v, want ErrNotExist", err)
	}
	k1, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(filepath.Dir(path)); fi.Mode().Perm() != 0o700 {
		t.Fatalf("key folder mode %v", fi.Mode().Perm())
	}
	// A second Create (another process racing) keeps the first key.
	k2, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	k3, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if k1.Check() != k2.Check() || k1.Check() != k3.Check() || len(k1.Check()) != 16 {
		t.Fatalf("checks %q %q %q: the key was replaced", k1.Check(), k2.Check(), k3.Check())
	}
	other, _ := New(bytes.Repeat([]byte{3}, 32))
	if other.Check() == k1.Check() {
		t.Fatal("two keys with one check value")
	}
}

func BenchmarkEncrypt4K(b *testing.B) { benchEncrypt(b, 4<<10) }
func BenchmarkEncrypt1M(b *testing.B) { benchEncrypt(b, 1<<20) }

func benchEncrypt(b *testing.B, n int) {
	k, _ := New(bytes.Repeat([]byte{7}, 32))
	buf := make([]byte, n)
	b.SetBytes(int64(n))
	for b.Loop() {
		key, _, _ := k.NewDataKey()
		s, _ := Stream(key, 0)
		s.XORKeyStream(buf, buf)
	}
}
