// Package session mints and opens CreateSession credentials.
//
// A session token is self-contained: the session's bucket, mode, principal,
// expiry and secret are sealed inside it with AES-256-GCM under a key from the
// server's key ring. Any node holding the ring can open a token, so there is
// no session store to keep or replicate. The key id, format version and nonce
// travel in the clear and are bound to the ciphertext as associated data.
package session

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"time"
)

// Mode is a session's access mode.
type Mode uint8

const (
	ReadWrite Mode = 1
	ReadOnly  Mode = 2
	// ControlOnly is zonal's own mode for the session the SDKs create
	// before a control-plane call (CreateBucket, PutBucketPolicy, ...) when
	// they talk to a custom endpoint. It grants no data access; each
	// control-plane request is still decided by the caller's identity
	// policies, as on AWS where these calls use no session at all.
	ControlOnly Mode = 3
)

func (m Mode) String() string {
	switch m {
	case ReadWrite:
		return "ReadWrite"
	case ReadOnly:
		return "ReadOnly"
	case ControlOnly:
		return "ControlOnly"
	}
	return "Unknown"
}

// ParseMode reads the x-amz-create-session-mode header value; "" means ReadWrite.
func ParseMode(s string) (Mode, bool) {
	switch s {
	case "", "ReadWrite":
		return ReadWrite, true
	case "ReadOnly":
		return ReadOnly, true
	}
	return 0, false
}

// Session is what a token carries.
type Session struct {
	ID      [16]byte
	Issued  time.Time
	Expires time.Time
	Mode    Mode
	// Bucket is the name the session was minted for: a bucket's, or an
	// access point's (base--zone--xa-s3): its requests go through that
	// access point, limited by its scope as it is at each request.
	Bucket string
	// BucketOwner and BucketCreated name the bucket incarnation the session
	// was minted for (owner account, creation time in Unix nanoseconds).
	// Both are empty when the bucket did not exist yet: the SDKs create a
	// session before CreateBucket. See s3api's sessionFits for how they are
	// checked on use.
	BucketOwner   string
	BucketCreated int64
	Account       string // account id of the principal that created the session
	User          string // IAM user name; empty for the account root
	Secret        [30]byte
	// SSE defaults captured at creation (x-amz-server-side-encryption and key id).
	SSE      string
	SSEKeyID string
}

// AccessKeyID is the session's public key id, derived from its id so logs
// can correlate requests of one session without ever holding the token.
func (s *Session) AccessKeyID() string {
	return "ASIAZ" + akidEncoding.EncodeToString(s.ID[:10])
}

// SecretKey is the session's secret access key as handed to the client.
func (s *Session) SecretKey() string { return base64.StdEncoding.EncodeToString(s.Secret[:]) }

var akidEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// Errors from Open.
var (
	ErrMalformed  = errors.New("session: malformed token")
	ErrExpired    = errors.New("session: token expired")
	ErrUnknownKey = errors.New("session: token key not in ring")
)

// tokenVersion 2 added the bucket incarnation; version 1 tokens (at most
// one session TTL old at an upgrade) no longer open, so clients mint anew.
const tokenVersion = 2

// header: version(1) | key id(4) | nonce(12)
const headerLen = 1 + 4 + 12

// Mint fills in the id, times and secret of s and returns its sealed token.
func (r *Ring) Mint(s *Session, now time.Time, ttl time.Duration) (string, error) {
	k := r.primary()
	if k == nil {
		return "", errors.New("session: no primary key")
	}
	if _, err := rand.Read(s.ID[:]); err != nil {
		return "", err
	}
	if _, err := rand.Read(s.Secret[:]); err != nil {
		return "", err
	}
	s.Issued = now.UTC().Truncate(time.Second)
	s.Expires = s.Issued.Add(ttl)

	buf := make([]byte, headerLen, headerLen+144+len(s.Bucket)+len(s.BucketOwner)+len(s.Account)+len(s.User))
	buf[0] = tokenVersion
	binary.BigEndian.PutUint32(buf[1:5], k.ID)
	if _, err := rand.Read(buf[5:headerLen]); err != nil {
		return "", err
	}
	plain := encodeSession(nil, s)
	sealed := k.aead.Seal(buf, buf[5:headerLen], plain, buf[:headerLen])
	return base64.RawURLEncoding.EncodeToString(sealed), nil
}

// Open authenticates and decodes a token. It does not check expiry; callers
// compare Expires with their clock so they can return the right error.
func (r *Ring) Open(token string) (*Session, error) {
	if len(token) > 4096 {
		return nil, ErrMalformed
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) < headerLen+16 || raw[0] != tokenVersion {
		return nil, ErrMalformed
	}
	id := binary.BigEndian.Uint32(raw[1:5])
	k := r.lookup(id)
	if k == nil {
		// A node cut off from the catalog for a while may not know a key
		// yet; reload once (rate-limited) before refusing.
		if !r.reloadForUnknownKey() {
			return nil, ErrUnknownKey
		}
		if k = r.lookup(id); k == nil {
			return nil, ErrUnknownKey
		}
	}
	plain, err := k.aead.Open(nil, raw[5:headerLen], raw[headerLen:], raw[:headerLen])
	if err != nil {
		return nil, ErrMalformed
	}
	s, ok := decodeSession(plain)
	if !ok {
		return nil, ErrMalformed
	}
	return s, nil
}

// MatchesAccessKey reports, in constant time, whether akid is this session's key id.
func (s *Session) MatchesAccessKey(akid string) bool {
	return subtle.ConstantTimeCompare([]byte(s.AccessKeyID()), []byte(akid)) == 1
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func encodeSession(b []byte, s *Session) []byte {
	b = append(b, s.ID[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(s.Issued.Unix()))
	b = binary.BigEndian.AppendUint64(b, uint64(s.Expires.Unix()))
	b = append(b, byte(s.Mode))
	b = append(b, s.Secret[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(s.BucketCreated))
	for _, f := range []string{s.Bucket, s.BucketOwner, s.Account, s.User, s.SSE, s.SSEKeyID} {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	return b
}

func decodeSession(b []byte) (*Session, bool) {
	const fixed = 16 + 8 + 8 + 1 + 30 + 8
	if len(b) < fixed {
		return nil, false
	}
	s := &Session{}
	copy(s.ID[:], b[:16])
	s.Issued = time.Unix(int64(binary.BigEndian.Uint64(b[16:24])), 0).UTC()
	s.Expires = time.Unix(int64(binary.BigEndian.Uint64(b[24:32])), 0).UTC()
	s.Mode = Mode(b[32])
	copy(s.Secret[:], b[33:63])
	s.BucketCreated = int64(binary.BigEndian.Uint64(b[63:71]))
	b = b[fixed:]
	fields := []*string{&s.Bucket, &s.BucketOwner, &s.Account, &s.User, &s.SSE, &s.SSEKeyID}
	for _, f := range fields {
		n, w := binary.Uvarint(b)
		// Only minimal varints are accepted, so a token has one encoding.
		if w <= 0 || w != uvarintLen(n) || n > uint64(len(b)-w) {
			return nil, false
		}
		*f = string(b[w : w+int(n)])
		b = b[w+int(n):]
	}
	if len(b) != 0 || (s.Mode != ReadWrite && s.Mode != ReadOnly && s.Mode != ControlOnly) {
		return nil, false
	}
	return s, true
}

func uvarintLen(n uint64) int {
	var b [binary.MaxVarintLen64]byte
	return binary.PutUvarint(b[:], n)
}
