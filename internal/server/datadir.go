package server

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
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
		s.rootExplicit = true
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
	s.cfg.RootAccessKey, s.cfg.RootSecretKey = "AKIA"+randomString(16, upperAlnum), randomString(40, secretChars)
	if err := s.writeRootFile(); err != nil {
		return err
	}
	s.Generated = true
	return nil
}

const (
	upperAlnum  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	secretChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

// writeRootFile keeps the default account's root credentials in the data
// folder (mode 0600), where an operator finds them.
func (s *Server) writeRootFile() error {
	data, _ := json.MarshalIndent(rootFile{AccessKeyID: s.cfg.RootAccessKey, SecretAccessKey: s.cfg.RootSecretKey}, "", "  ")
	return fsutil.WriteFileAtomic(filepath.Join(s.cfg.Data, "root-credentials.json"), data, 0o600)
}

// randomString draws n characters uniformly from an alphabet of 32 or 64.
func randomString(n int, alphabet string) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// privateDataDir makes the data folder and what it holds private to the
// server's user: folders 0700, files 0600, whatever the umask or an
// earlier setup left (files created later get those modes themselves:
// Pebble's through pebble.WithPrivateFiles, blobs by blob/fs, keys and
// credentials by fsutil). The walk skips the blob shards, which may hold
// millions of files, all created 0600 by blob/fs; symbolic links are left
// alone (their targets are not the data folder's).
//
// A data folder owned by another user (a bind mount made writable for
// zonal) cannot be chmodded; that only earns a warning, as what zonal
// keeps inside is still private.
func privateDataDir(dir string, log *slog.Logger) error {
	if err := os.Chmod(dir, 0o700); errors.Is(err, fs.ErrPermission) {
		log.Warn("cannot make the data folder private (mode 0700): zonal is not its owner", "data", dir, "err", err)
	} else if err != nil {
		return fmt.Errorf("data folder: %w", err)
	}
	blobs := filepath.Join(dir, "blobs")
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		var want fs.FileMode
		switch {
		case d.IsDir():
			want = 0o700
		case d.Type().IsRegular():
			want = 0o600
		default:
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if fi.Mode().Perm() != want {
			if err := os.Chmod(p, want); err != nil {
				return err
			}
		}
		if d.IsDir() && filepath.Dir(p) == blobs {
			return filepath.SkipDir
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("data folder: making it private: %w", err)
	}
	return nil
}
