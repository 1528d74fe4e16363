package store

import (
	"context"
	"log/slog"
	"time"
)

// CollectOnce deletes blobs queued for GC at least GCDelay ago and returns
// how many it removed. A blob a reader still holds (see readerPins) stays
// queued for a later pass.
func (s *Store) CollectOnce(ctx context.Context) (int, error) {
	const batch = 512
	total, limit := 0, batch
	for {
		items, err := s.cat.PendingGC(ctx, s.opt.Now().Add(-s.opt.GCDelay), limit)
		if err != nil || len(items) == 0 {
			return total, err
		}
		ids := make([]string, 0, len(items))
		held := 0
		for _, it := range items {
			if s.pins.pinned(it.BlobID) {
				held++
				continue
			}
			if err := s.blobs.Delete(ctx, it.BlobID); err != nil {
				return total, err
			}
			ids = append(ids, it.BlobID)
		}
		if len(ids) > 0 {
			if err := s.cat.DoneGC(ctx, ids); err != nil {
				return total, err
			}
			total += len(ids)
		}
		if len(items) < limit {
			return total, nil // the whole queue was seen
		}
		// The queue returns the oldest items first, held ones included:
		// ask for that many more so they cannot crowd the rest out.
		limit = held + batch
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
	n := 0
	for _, id := range orphans {
		if s.pins.pinned(id) {
			continue // a reader of a since-deleted record still holds it
		}
		if err := s.blobs.Delete(ctx, id); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// RunGC collects queued blobs every interval and sweeps orphans every
// sweepEvery until ctx ends. When active is set, a pass runs only while it
// reports true (nodes sharing a catalog and a blob store leave the work to
// the holder of the background lease; a pass is still safe to run twice:
// deleting a deleted blob and DoneGC of a finished item change nothing).
func (s *Store) RunGC(ctx context.Context, log *slog.Logger, interval, sweepEvery time.Duration, active func() bool) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	lastSweep := time.Time{}
	for {
		if active != nil && !active() {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				continue
			}
		}
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
