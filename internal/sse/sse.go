// Package sse encrypts object data at rest (SSE-S3, "AES256").
//
// Every extent of object data (an inline byte string or a blob) gets its
// own random 256-bit data key. The data is encrypted with AES-256 in
// counter mode, which lets a ranged read start anywhere, and the data key
// is sealed with AES-256-GCM under the server's master key and kept with
// the extent. Extents are immutable and shared by copies, parts and
// appends, so a key never encrypts two different streams, the IV can start
// at zero, and sharing data between objects never needs re-encryption.
//
// The master key lives in a file (mode 0600), by default in the data
// folder; keeping it elsewhere (ZONAL_SSE_KEY_FILE) means a copy of the data
// folder alone does not reveal object data.
package sse

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/zonal-dev/zonal/internal/fsutil"
)

// Algorithm is the x-amz-server-side-encryption value of SSE-S3.
const Algorithm = "AES256"

// sealed data key: version(1) | nonce(12) | sealed key (32+16)
const (
	sealVersion = 1
	sealedLen   = 1 + 12 + 32 + 16
)

// Keyring holds the master key.
type Keyring struct {
	aead  cipher.AEAD
	check string
}

// Open loads the master key at path, generating it when the file does not
// exist yet. A server must not call it blindly: generating a key when the
// old one was lost makes every object it encrypted unreadable (see Load).
func Open(path string) (*Keyring, error) {
	k, err := Load(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Create(path)
	}
	return k, err
}

// Load loads the master key at path; a missing file is an error matching
// fs.ErrNotExist.
func Load(path string) (*Keyring, error) {
	key, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("sse master key %s: %d bytes, want 32", path, len(key))
	}
	return New(key)
}

// Create generates a master key into path, durably (the file and its
// folder are fsynced: a key whose directory entry is lost in a power
// failure takes every object with it). An existing file is never
// replaced: if one appeared meanwhile, its key is loaded instead.
func Create(path string) (*Keyring, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := fsutil.WriteFileExclusive(path, key, 0o600); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return Load(path)
		}
		return nil, err
	}
	return New(key)
}

// New returns a keyring for a 32-byte master key.
func New(master []byte) (*Keyring, error) {
	block, err := aes.NewCipher(master)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, master)
	m.Write([]byte("zonal sse master key check"))
	return &Keyring{aead: aead, check: hex.EncodeToString(m.Sum(nil)[:8])}, nil
}

// Check is a key check value: it tells master keys apart without
// revealing them, so the catalog can record which key its objects need.
func (k *Keyring) Check() string { return k.check }

// NewDataKey returns a fresh data key and its sealed form.
func (k *Keyring) NewDataKey() (key, sealed []byte, err error) {
	key = make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, nil, err
	}
	sealed = make([]byte, 13, sealedLen)
	sealed[0] = sealVersion
	if _, err := rand.Read(sealed[1:13]); err != nil {
		return nil, nil, err
	}
	sealed = k.aead.Seal(sealed, sealed[1:13], key, sealed[:1])
	return key, sealed, nil
}

// Unseal opens a sealed data key.
func (k *Keyring) Unseal(sealed []byte) ([]byte, error) {
	if len(sealed) != sealedLen || sealed[0] != sealVersion {
		return nil, errors.New("sse: malformed sealed data key")
	}
	key, err := k.aead.Open(nil, sealed[1:13], sealed[13:], sealed[:1])
	if err != nil {
		return nil, errors.New("sse: data key does not open with this master key")
	}
	return key, nil
}

// Stream returns the keystream of key positioned at byte offset pos of the
// extent's plaintext.
func Stream(key []byte, pos int64) (cipher.Stream, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	var iv [16]byte
	binary.BigEndian.PutUint64(iv[8:], uint64(pos/16))
	s := cipher.NewCTR(block, iv[:])
	if skip := pos % 16; skip > 0 {
		var discard [16]byte
		s.XORKeyStream(discard[:skip], discard[:skip])
	}
	return s, nil
}

// Reader decrypts r, whose first byte is at position pos of the extent.
func Reader(r io.Reader, key []byte, pos int64) (io.Reader, error) {
	s, err := Stream(key, pos)
	if err != nil {
		return nil, err
	}
	return &cipher.StreamReader{S: s, R: r}, nil
}
