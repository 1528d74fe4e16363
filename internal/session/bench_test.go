package session

import (
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkOpenToken validates a session token as the server does on a
// token-cache miss: decode and open the sealed token, then check the
// request's access key id and the expiry. The ring is a persisted one
// (primary and staged key) like the server's.
func BenchmarkOpenToken(b *testing.B) {
	r, err := OpenRing(filepath.Join(b.TempDir(), "ring.json"))
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	s := &Session{Mode: ReadWrite, Bucket: "bench--use1-az4--x-s3", Account: "000000000000", User: "alice"}
	tok, err := r.Mint(s, now, 5*time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	akid := s.AccessKeyID()
	b.ReportAllocs()
	for b.Loop() {
		got, err := r.Open(tok)
		if err != nil {
			b.Fatal(err)
		}
		if !got.MatchesAccessKey(akid) || !now.Before(got.Expires) {
			b.Fatal("opened token does not match its session")
		}
	}
}
