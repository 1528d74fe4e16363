package iam

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/zonal-dev/zonal/internal/fsutil"
	"github.com/zonal-dev/zonal/internal/session"
)

// MasterKeyEnv names the environment variable that gives the path of the
// master key file. See [Options.MasterKeyFile].
const MasterKeyEnv = "ZONAL_MASTER_KEY_FILE"

// sealer seals and opens secret access keys with AES-256-GCM under the
// master key.
//
// What this protects: the catalog (the data folder's metadata store, its
// backups and copies) holds secret access keys only as ciphertext, so a
// copy of the catalog without the master key gives away no secret. That
// holds when the master key lives outside the data folder
// (ZONAL_MASTER_KEY_FILE on another volume, a secrets mount, ...). With the
// default location, <data>/keys/master.key, a copy of the whole data folder
// carries the key with it, and sealing only keeps secrets out of catalog
// dumps, logs of the metadata engine and partial copies.
//
// What it does not protect: SigV4 is an HMAC keyed by the secret, so the
// server must hold every secret in plain text while it runs (hashing, as
// for passwords, is impossible). Whoever can read the server's memory, or
// read both the catalog and the master key, has the secrets; deactivating
// or deleting the key is the remedy then. Each ciphertext is bound (as
// GCM additional data) to its account and access key id, so sealed values
// cannot be swapped between keys without detection.
type sealer struct {
	aead  cipher.AEAD
	check string // key check value kept in the index to detect a wrong key
}

const sealPrefix = "v1:"

func newSealer(key []byte) (*sealer, error) {
	if len(key) != 32 {
		return nil, errors.New("iam: master key must be 32 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("zonal iam master key check"))
	return &sealer{aead: aead, check: hex.EncodeToString(m.Sum(nil)[:8])}, nil
}

func sealAD(account, akid string) []byte {
	return []byte("zonal-iam-secret\x00" + account + "\x00" + akid)
}

// seal encrypts secret for (account, akid).
func (s *sealer) seal(account, akid, secret string) string {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(secret)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	out := s.aead.Seal(nonce, nonce, []byte(secret), sealAD(account, akid))
	return sealPrefix + base64.RawStdEncoding.EncodeToString(out)
}

// open decrypts a sealed secret of (account, akid).
func (s *sealer) open(account, akid, sealed string) (string, error) {
	b64, ok := strings.CutPrefix(sealed, sealPrefix)
	if !ok {
		return "", fmt.Errorf("iam: secret of %s: unknown sealing format", akid)
	}
	raw, err := base64.RawStdEncoding.DecodeString(b64)
	if err != nil || len(raw) < s.aead.NonceSize() {
		return "", fmt.Errorf("iam: secret of %s: damaged", akid)
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], sealAD(account, akid))
	if err != nil {
		return "", fmt.Errorf("iam: secret of %s: cannot be unsealed with this master key", akid)
	}
	return string(plain), nil
}

// loadMasterKey reads the master key file. It accepts 32 raw bytes, or 64
// hex digits, or the base64 of 32 bytes (surrounding whitespace ignored).
// A missing file is generated (32 random bytes, mode 0600) when create is
// set. It reports whether the key was generated.
func loadMasterKey(path string, create bool) ([]byte, bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && create {
		key, err := generateKeyFile(path)
		return key, err == nil, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("iam: master key: %w", err)
	}
	key, err := decodeMasterKey(data)
	if err != nil {
		return nil, false, fmt.Errorf("iam: master key %s: %w", path, err)
	}
	return key, false, nil
}

func decodeMasterKey(data []byte) ([]byte, error) {
	if len(data) == 32 {
		return data, nil
	}
	t := string(bytes.TrimSpace(data))
	if len(t) == 64 {
		if k, err := hex.DecodeString(t); err == nil {
			return k, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(t); err == nil && len(k) == 32 {
			return k, nil
		}
	}
	return nil, errors.New("must hold 32 bytes (raw, 64 hex digits, or base64)")
}

// generateKeyFile writes a new random key to path without ever replacing
// an existing file. If another process created the file first, its key is
// used.
func generateKeyFile(path string) ([]byte, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := fsutil.WriteFileExclusive(path, key, 0o600); err != nil {
		if errors.Is(err, os.ErrExist) {
			k, _, err := loadMasterKey(path, false)
			return k, err
		}
		return nil, fmt.Errorf("iam: master key: %w", err)
	}
	return key, nil
}

// Sealer returns a sealer of named configuration values under the master
// key (AES-256-GCM), for secrets other packages keep in the catalog such
// as the session key ring. Each value is bound to its name as additional
// data, and to a purpose distinct from the access key secrets', so no
// sealed value can stand in for another.
func (db *DB) Sealer() session.Sealer { return configSealer{db.seal} }

type configSealer struct{ s *sealer }

// configSealVersion leads every sealed config value, so the format can change.
const configSealVersion = 1

func configAD(name string) []byte { return []byte("zonal-config-value\x00" + name) }

// Seal implements session.Sealer: version | nonce | ciphertext and tag.
func (c configSealer) Seal(name string, plain []byte) ([]byte, error) {
	a := c.s.aead
	out := make([]byte, 1+a.NonceSize(), 1+a.NonceSize()+len(plain)+a.Overhead())
	out[0] = configSealVersion
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, err
	}
	return a.Seal(out, out[1:], plain, configAD(name)), nil
}

// Open implements session.Sealer.
func (c configSealer) Open(name string, sealed []byte) ([]byte, error) {
	a := c.s.aead
	if len(sealed) < 1+a.NonceSize()+a.Overhead() || sealed[0] != configSealVersion {
		return nil, fmt.Errorf("iam: sealed value %s: unknown format", name)
	}
	n := 1 + a.NonceSize()
	plain, err := a.Open(nil, sealed[1:n], sealed[n:], configAD(name))
	if err != nil {
		return nil, fmt.Errorf("iam: sealed value %s cannot be opened with this master key", name)
	}
	return plain, nil
}
