// Package fs is zonal's default blob.Store: one file per blob under
// <dir>/xx/<id>, where id is 32 random hex characters and xx its first two,
// spreading blobs over 256 shard folders so no directory grows huge.
//
// A blob is written straight to its final name (created O_EXCL, so it can
// never clobber another) and made durable by Commit: data fdatasynced, then
// the shard folder fsynced for the new entry. A crash before Commit leaves
// a file no record references; Walk reports it to the orphan sweeper.
package fs

import (
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"path/filepath"

	"github.com/zonal-dev/zonal/internal/blob"
)

// Option configures Open.
type Option func(*Store)

// WithFS makes the store use fsys instead of the OS filesystem.
func WithFS(fsys FS) Option { return func(s *Store) { s.fs = fsys } }

// Store is a blob store in a local directory.
type Store struct {
	dir string
	fs  FS
}

var _ blob.Store = (*Store)(nil)

// Open opens the store in dir, creating dir and its 256 shard folders (and
// syncing them once) so Commit only ever syncs one existing shard folder.
func Open(dir string, opts ...Option) (*Store, error) {
	s := &Store{dir: dir, fs: OS}
	for _, opt := range opts {
		opt(s)
	}
	if err := s.fs.MkdirAll(dir); err != nil {
		return nil, fmt.Errorf("blob/fs: %w", err)
	}
	if s.fs == OS {
		spreadSubdirs(dir)
	}
	for i := range 256 {
		if err := s.fs.MkdirAll(filepath.Join(dir, fmt.Sprintf("%02x", i))); err != nil {
			return nil, fmt.Errorf("blob/fs: %w", err)
		}
	}
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if err := s.fs.SyncDir(d); err != nil {
			return nil, fmt.Errorf("blob/fs: %w", err)
		}
	}
	return s, nil
}

func (s *Store) shardDir(id string) string { return filepath.Join(s.dir, id[:2]) }
func (s *Store) path(id string) string     { return filepath.Join(s.dir, id[:2], id) }

// Create implements blob.Store.
func (s *Store) Create(ctx context.Context) (blob.Writer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for {
		id := blob.NewID()
		f, err := s.fs.Create(s.path(id))
		if errors.Is(err, iofs.ErrExist) {
			continue // 2^-128 odds, but O_EXCL tells us, so just pick again
		}
		if err != nil {
			return nil, fmt.Errorf("blob/fs: create: %w", err)
		}
		return newWriter(s, id, f), nil
	}
}

// Open implements blob.Store.
func (s *Store) Open(ctx context.Context, id string) (blob.Reader, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !blob.ValidID(id) {
		return nil, blob.ErrNotFound
	}
	f, err := s.fs.Open(s.path(id))
	if errors.Is(err, iofs.ErrNotExist) {
		return nil, blob.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("blob/fs: open %s: %w", id, err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("blob/fs: open %s: %w", id, err)
	}
	return &reader{File: f, size: info.Size()}, nil
}

// reader is a committed blob open for ranged reads.
type reader struct {
	File
	size int64
}

func (r *reader) Size() int64 { return r.size }

var _ blob.FileSectioner = (*reader)(nil)

// FileSection implements blob.FileSectioner for OS files.
func (r *reader) FileSection(off, n int64) (*io.LimitedReader, bool) {
	f, ok := r.File.(osFile)
	if !ok {
		return nil, false
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return nil, false
	}
	return &io.LimitedReader{R: f.File, N: n}, true
}

// Delete implements blob.Store. The removal is not synced: should a crash
// undo it, the file is an unreferenced leftover the sweeper removes again.
func (s *Store) Delete(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !blob.ValidID(id) {
		return nil
	}
	if err := s.fs.Remove(s.path(id)); err != nil && !errors.Is(err, iofs.ErrNotExist) {
		return fmt.Errorf("blob/fs: delete %s: %w", id, err)
	}
	return nil
}
