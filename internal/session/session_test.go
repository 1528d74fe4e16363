package session

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func mint(t *testing.T, r *Ring) (*Session, string) {
	t.Helper()
	s := &Session{Mode: ReadOnly, Bucket: "b--use1-az4--x-s3", BucketOwner: "111122223333", BucketCreated: 1700000000123456789,
		Account: "000000000000", User: "alice", SSE: "AES256"}
	tok, err := r.Mint(s, time.Now(), 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return s, tok
}

func TestMintOpenRoundTrip(t *testing.T) {
	r := NewMemRing()
	s, tok := mint(t, r)
	got, err := r.Open(tok)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != s.ID || got.Secret != s.Secret || got.Mode != ReadOnly || got.Bucket != s.Bucket ||
		got.Account != s.Account || got.User != "alice" || got.SSE != "AES256" || !got.Expires.Equal(s.Expires) ||
		got.BucketOwner != "111122223333" || got.BucketCreated != 1700000000123456789 {
		t.Fatalf("round trip mismatch: %+v vs %+v", got, s)
	}
	if got.Expires.Sub(got.Issued) != 5*time.Minute {
		t.Fatalf("ttl = %v", got.Expires.Sub(got.Issued))
	}
	if !got.MatchesAccessKey(s.AccessKeyID()) || got.MatchesAccessKey("ASIAZOTHER") {
		t.Fatal("access key id match broken")
	}
	if len(s.SecretKey()) != 40 {
		t.Fatalf("secret key length %d", len(s.SecretKey()))
	}
}

func TestOpenRejectsTampering(t *testing.T) {
	r := NewMemRing()
	_, tok := mint(t, r)
	raw, _ := base64.RawURLEncoding.DecodeString(tok)
	for i := range raw {
		bad := append([]byte(nil), raw...)
		bad[i] ^= 0x01
		if _, err := r.Open(base64.RawURLEncoding.EncodeToString(bad)); err == nil {
			t.Fatalf("flipped bit in byte %d accepted", i)
		}
	}
	for _, s := range []string{"", "!!!", tok[:len(tok)-3], tok + "AA"} {
		if _, err := r.Open(s); err == nil {
			t.Fatalf("token %q accepted", s)
		}
	}
	if _, err := NewMemRing().Open(tok); err == nil {
		t.Fatal("token opened by another ring")
	}
}

func TestRingPersistAndRotate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "ring.json")
	r, err := OpenRing(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("ring file mode: %v %v", st, err)
	}
	_, tok := mint(t, r)
	r2, err := OpenRing(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r2.Open(tok); err != nil {
		t.Fatalf("reopened ring cannot open token: %v", err)
	}
	now := time.Now().Add(48 * time.Hour)
	changed, err := r2.Rotate(context.Background(), now, 24*time.Hour, 5*time.Minute)
	if err != nil || !changed {
		t.Fatalf("rotate: %v %v", changed, err)
	}
	if _, err := r2.Open(tok); err != nil {
		t.Fatalf("retired key no longer validates: %v", err)
	}
	_, tok2 := mint(t, r2)
	// Much later the retired key is dropped: old tokens no longer open, new ones do.
	if _, err := r2.Rotate(context.Background(), now.Add(10*time.Minute), 24*time.Hour, 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	r3, _ := OpenRing(path)
	if _, err := r3.Open(tok); err == nil {
		t.Fatal("token of dropped key still opens")
	}
	if _, err := r3.Open(tok2); err != nil {
		t.Fatalf("token of current primary: %v", err)
	}
}

func FuzzOpen(f *testing.F) {
	r := NewMemRing()
	s := &Session{Mode: ReadWrite, Bucket: "b--use1-az4--x-s3", Account: "1"}
	tok, _ := r.Mint(s, time.Now(), time.Minute)
	f.Add(tok)
	f.Add("")
	f.Add("AQAAAAE")
	f.Fuzz(func(t *testing.T, tok string) {
		_, _ = r.Open(tok)
	})
}

func FuzzDecodeSession(f *testing.F) {
	f.Add(encodeSession(nil, &Session{Mode: ReadWrite, Bucket: "x"}))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, ok := decodeSession(b)
		if ok {
			if got := encodeSession(nil, s); string(got) != string(b) {
				// Decoding must be the exact inverse of encoding for accepted input.
				t.Fatalf("re-encode differs")
			}
		}
	})
}
