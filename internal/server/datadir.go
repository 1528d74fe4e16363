package server

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/zonal-dev/zonal/internal/fsutil"
)

// lockDataDir takes an exclusive flock on <data>/LOCK so two processes never
// open one data folder. The lock dies with the process, even on SIGKILL.
func lockDataDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("data folder %s is in use by another zonal process", dir)
		}
		return nil, fmt.Errorf("locking data folder: %w", err)
	}
	return f, nil
}

type rootFile struct {
	AccessKeyID     string `json:"access_key_id"`
	SecretAccessKey string `json:"secret_access_key"`
}

// rootCredentials settles the default account's root keys: given in the
// config, else loaded from the data folder, else generated and kept there.
func (s *Server) rootCredentials() error {
	if s.cfg.RootAccessKey != "" || s.cfg.RootSecretKey != "" {
		if s.cfg.RootAccessKey == "" || s.cfg.RootSecretKey == "" {
			return errors.New("set both ZONAL_ROOT_ACCESS_KEY and ZONAL_ROOT_SECRET_KEY, or neither")
		}
		return nil
	}
	path := filepath.Join(s.cfg.Data, "root-credentials.json")
	data, err := os.ReadFile(path)
	if err == nil {
		var rf rootFile
		if err := json.Unmarshal(data, &rf); err != nil || rf.AccessKeyID == "" || rf.SecretAccessKey == "" {
			return fmt.Errorf("%s is damaged; remove it to generate new root credentials", path)
		}
		s.cfg.RootAccessKey, s.cfg.RootSecretKey = rf.AccessKeyID, rf.SecretAccessKey
		return nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	rf := rootFile{AccessKeyID: "AKIA" + randomString(16, upperAlnum), SecretAccessKey: randomString(40, secretChars)}
	data, _ = json.MarshalIndent(rf, "", "  ")
	if err := fsutil.WriteFileAtomic(path, data, 0o600); err != nil {
		return err
	}
	s.cfg.RootAccessKey, s.cfg.RootSecretKey = rf.AccessKeyID, rf.SecretAccessKey
	s.Generated = true
	return nil
}

const (
	upperAlnum  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	secretChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

// randomString draws n characters uniformly from an alphabet of 32 or 64.
func randomString(n int, alphabet string) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
