package auth

import (
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/session"
)

func benchToken(b *testing.B) (*session.Ring, string, string) {
	b.Helper()
	r := session.NewMemRing()
	s := &session.Session{Mode: session.ReadWrite, Bucket: "bench--use1-az4--x-s3", Account: "000000000000", User: "alice"}
	tok, err := r.Mint(s, time.Now(), 5*time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	return r, tok, s.AccessKeyID()
}

// BenchmarkTokenCacheHit opens a session token that the cache already
// holds: the per-request cost for every request of a session but its first.
func BenchmarkTokenCacheHit(b *testing.B) {
	r, tok, _ := benchToken(b)
	var tc tokenCache
	if _, err := tc.open(r, tok); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tc.open(r, tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSessionKeyCached is the session branch of authentication up to
// the signature check, with both caches warm: open the token, match the
// access key id, and fetch the derived signing key.
func BenchmarkSessionKeyCached(b *testing.B) {
	r, tok, akid := benchToken(b)
	var (
		tc tokenCache
		kc keyCache
	)
	get := func() []byte {
		s, err := tc.open(r, tok)
		if err != nil {
			b.Fatal(err)
		}
		if !s.matchesAccessKey(akid) {
			b.Fatal("token does not match its access key id")
		}
		return kc.get(akid, s.secretKey, "20260101", "us-east-1", "s3express")
	}
	if len(get()) != 32 {
		b.Fatal("signing key is not 32 bytes")
	}
	b.ReportAllocs()
	for b.Loop() {
		get()
	}
}

// BenchmarkAuthenticateSession is the whole authentication of a
// session-signed request with warm caches: sigv4.Parse's allocations and
// none of auth's own.
func BenchmarkAuthenticateSession(b *testing.B) {
	f := newFixture(b, nil)
	sg := f.sessionSigner(b, &session.Session{Mode: session.ReadWrite, Bucket: bucket, Account: acct})
	r := signedReq(b, sg)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.a.Authenticate(r, s3Opts); err != nil {
			b.Fatal(err)
		}
	}
}
