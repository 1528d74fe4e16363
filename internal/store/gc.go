package store

import (
	"context"
	"log/slog"
	"time"
)

// CollectOnce deletes blobs queued for GC at least GCDelay ago and returns
// how many it removed.
func (s *Store) CollectOnce(ctx context.Context) (int, error) {
	total := 0
	for {
		items, err := s.cat.PendingGC(ctx, s.opt.Now().Add(-s.opt.GCDelay), 512)
		if err != nil || len(items) == 0 {
			return total, err
		}
		ids := make([]string, 0, len(items))
		for _, it := range items {
			if err := s.blobs.Delete(ctx, it.BlobID); err != nil {
				return total, err
			}
			ids = append(ids, it.BlobID)
		}
		if err := s.cat.DoneGC(ctx, ids); err != nil {
			return total, err
		}
		total += len(ids)
	}
}

// SweepOnce removes blob files older than OrphanGrace that no record
// references: leftovers of writes that crashed between the blob sync and
// the catalog commit.
func (s *Store) SweepOnce(ctx context.Context) (int, error) {
	cutoff := s.opt.Now().Add(-s.opt.OrphanGrace)
	var orphans []string
	err := s.blobs.Walk(ctx, func(id string, mod time.Time) error {
		if mod.After(cutoff) {
			return nil
		}
		ref, err := s.cat.BlobReferenced(ctx, id)
		if err != nil {
			return err
		}
		if !ref {
			orphans = append(orphans, id)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, id := range orphans {
		if err := s.blobs.Delete(ctx, id); err != nil {
			return 0, err
		}
	}
	return len(orphans), nil
}

// RunGC collects queued blobs every interval and sweeps orphans every
// sweepEvery until ctx ends.
func (s *Store) RunGC(ctx context.Context, log *slog.Logger, interval, sweepEvery time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	lastSweep := time.Time{}
	for {
		if n, err := s.CollectOnce(ctx); err != nil && ctx.Err() == nil {
			log.Warn("blob gc failed", "err", err)
		} else if n > 0 {
			log.Debug("blob gc", "deleted", n)
		}
		if time.Since(lastSweep) >= sweepEvery {
			lastSweep = time.Now()
			if n, err := s.SweepOnce(ctx); err != nil && ctx.Err() == nil {
				log.Warn("orphan sweep failed", "err", err)
			} else if n > 0 {
				log.Info("orphan sweep removed unreferenced blobs", "count", n)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
