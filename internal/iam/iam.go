// Package iam owns zonal's identities: accounts and their root access keys,
// IAM users, their access keys, inline user policies and customer managed
// policies. For the request path it answers two questions: which principal
// owns this access key and what is its secret (Directory.LookupKey), and
// which identity policies apply to a principal (DB.IdentityPolicies).
//
// DB is the persistent store, kept in the catalog with secrets sealed under
// a master key; Static is a small in-memory Directory of root keys for
// tests.
package iam

import (
	"context"
	"crypto/subtle"
	"errors"
	"sync"
)

// ErrNoSuchKey is returned for an access key id nobody owns.
var ErrNoSuchKey = errors.New("iam: no such access key")

// Principal is an authenticated caller.
type Principal struct {
	Account string // 12-digit account id
	User    string // IAM user name; empty for the account root
}

// ARN is the principal's IAM ARN.
func (p Principal) ARN() string {
	if p.User == "" {
		return "arn:aws:iam::" + p.Account + ":root"
	}
	return "arn:aws:iam::" + p.Account + ":user/" + p.User
}

// IsRoot reports whether the principal is an account's root.
func (p Principal) IsRoot() bool { return p.User == "" }

// Directory resolves access keys.
type Directory interface {
	// LookupKey returns the owner and secret of an active access key, or ErrNoSuchKey.
	LookupKey(ctx context.Context, accessKeyID string) (Principal, string, error)
}

// Static is a Directory held in memory: the accounts' root keys.
type Static struct {
	mu   sync.RWMutex
	keys map[string]staticKey
}

type staticKey struct {
	p      Principal
	secret string
}

// NewStatic returns an empty Static directory.
func NewStatic() *Static { return &Static{keys: map[string]staticKey{}} }

// AddRoot registers an account's root access key.
func (s *Static) AddRoot(account, accessKeyID, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[accessKeyID] = staticKey{Principal{Account: account}, secret}
}

// LookupKey implements Directory.
func (s *Static) LookupKey(_ context.Context, akid string) (Principal, string, error) {
	s.mu.RLock()
	k, ok := s.keys[akid]
	s.mu.RUnlock()
	// The map lookup is not constant time, but key ids are not secret; the
	// secret itself is only ever used through HMAC verification.
	if !ok || subtle.ConstantTimeEq(int32(len(k.secret)), 0) == 1 {
		return Principal{}, "", ErrNoSuchKey
	}
	return k.p, k.secret, nil
}
