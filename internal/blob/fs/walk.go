package fs

import (
	"context"
	"errors"
	"fmt"
	iofs "io/fs"
	"path/filepath"
	"time"

	"github.com/zonal-dev/zonal/internal/blob"
)

// Walk implements blob.Store. It lists every file with a blob name in its
// right shard, including blobs being written (the sweeper's grace period
// covers those); other files are ignored.
func (s *Store) Walk(ctx context.Context, fn func(id string, modTime time.Time) error) error {
	return s.walk(ctx, func(id string, info iofs.FileInfo) error {
		return fn(id, info.ModTime())
	})
}

// Usage implements blob.Store by walking every blob.
func (s *Store) Usage(ctx context.Context) (bytes, count int64, err error) {
	err = s.walk(ctx, func(_ string, info iofs.FileInfo) error {
		bytes += info.Size()
		count++
		return nil
	})
	return bytes, count, err
}

func (s *Store) walk(ctx context.Context, fn func(id string, info iofs.FileInfo) error) error {
	for i := range 256 {
		if err := ctx.Err(); err != nil {
			return err
		}
		shard := fmt.Sprintf("%02x", i)
		entries, err := s.fs.ReadDir(filepath.Join(s.dir, shard))
		if errors.Is(err, iofs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("blob/fs: walk: %w", err)
		}
		for _, e := range entries {
			id := e.Name()
			if !blob.ValidID(id) || id[:2] != shard || !e.Type().IsRegular() {
				continue
			}
			info, err := e.Info()
			if errors.Is(err, iofs.ErrNotExist) {
				continue // deleted since ReadDir
			}
			if err != nil {
				return fmt.Errorf("blob/fs: walk: %w", err)
			}
			if err := fn(id, info); err != nil {
				return err
			}
		}
	}
	return nil
}
