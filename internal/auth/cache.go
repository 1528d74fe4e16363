package auth

import (
	"crypto/subtle"
	"sync"

	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/policy"
	"github.com/zonal-dev/zonal/internal/session"
	"github.com/zonal-dev/zonal/internal/sigv4"
)

// keyCache keeps derived SigV4 signing keys: a key is valid for one day,
// region and service, and deriving it costs four HMACs.
type keyCache struct {
	mu sync.Mutex
	m  map[keyID][]byte
}

// keyID is a struct, not a joined string, so a lookup allocates nothing.
type keyID struct{ akid, secret, date, region, service string }

func (kc *keyCache) get(akid, secret, date, region, service string) []byte {
	id := keyID{akid, secret, date, region, service}
	kc.mu.Lock()
	k, ok := kc.m[id]
	kc.mu.Unlock()
	if ok {
		return k
	}
	k = sigv4.SigningKey(secret, date, region, service)
	kc.mu.Lock()
	if kc.m == nil || len(kc.m) > 4096 {
		kc.m = map[keyID][]byte{}
	}
	kc.m[id] = k
	kc.mu.Unlock()
	return k
}

// tokenCache keeps opened session tokens: a client signs every request of
// a session with the same token, and opening it (base64 plus AES-GCM) on
// each request is wasted work. Entries are keyed by the token itself, so a
// tampered token never matches; the cache is dropped when it grows large.
type tokenCache struct {
	mu sync.Mutex
	m  map[string]*openSession
}

// openSession is an opened token with the access key id and secret that
// every request compares and signs with, encoded once: encoding them per
// request cost three allocations.
type openSession struct {
	*session.Session
	accessKeyID, secretKey string
}

func (o *openSession) matchesAccessKey(akid string) bool {
	return subtle.ConstantTimeCompare([]byte(o.accessKeyID), []byte(akid)) == 1
}

func (tc *tokenCache) open(ring *session.Ring, token string) (*openSession, error) {
	tc.mu.Lock()
	o, ok := tc.m[token]
	tc.mu.Unlock()
	if ok {
		return o, nil
	}
	s, err := ring.Open(token)
	if err != nil {
		return nil, err
	}
	o = &openSession{Session: s, accessKeyID: s.AccessKeyID(), secretKey: s.SecretKey()}
	tc.mu.Lock()
	if tc.m == nil || len(tc.m) > 8192 {
		tc.m = map[string]*openSession{}
	}
	tc.m[token] = o
	tc.mu.Unlock()
	return o, nil
}

// bucketPolicyCache keeps parsed bucket policies; an entry is reused while
// the stored document is unchanged.
type bucketPolicyCache struct {
	mu sync.Mutex
	m  map[string]cachedPolicy
}

type cachedPolicy struct {
	raw string
	pol *policy.Policy
}

func (bc *bucketPolicyCache) get(b *catalog.Bucket) (*policy.Policy, error) {
	if len(b.Policy) == 0 {
		return nil, nil
	}
	bc.mu.Lock()
	defer bc.mu.Unlock()
	if e, ok := bc.m[b.Name]; ok && e.raw == string(b.Policy) {
		return e.pol, nil
	}
	p, err := policy.Parse(b.Policy, policy.Resource, policy.Options{DirectoryBucket: true})
	if err != nil {
		return nil, err
	}
	// A public policy stored before PutBucketPolicy refused them grants
	// nothing to the public (Block Public Access is always on).
	p = p.WithoutPublic()
	if bc.m == nil || len(bc.m) > 10000 {
		bc.m = map[string]cachedPolicy{}
	}
	bc.m[b.Name] = cachedPolicy{string(b.Policy), p}
	return p, nil
}
