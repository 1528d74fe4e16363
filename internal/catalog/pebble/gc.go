package pebble

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// addRefChanges adds deltas' reference count changes to batch: a count
// reaching zero is deleted and the blob queued for GC; a blob gaining its
// first reference leaves the queue (it is no longer garbage). The caller
// holds the blob stripes of every delta until batch commits.
func (c *Catalog) addRefChanges(batch *pebble.Batch, deltas []catalog.RefDelta, now time.Time) error {
	for _, d := range deltas {
		rk := refKey(d.BlobID)
		v, ok, err := c.get(rk)
		if err != nil {
			return err
		}
		var n int64
		if ok {
			u, read := binary.Uvarint(v)
			if read <= 0 || u == 0 || u > math.MaxInt32 {
				return fmt.Errorf("%w: reference count of blob %s", errCorrupt, d.BlobID)
			}
			n = int64(u)
		}
		switch next := n + int64(d.Delta); {
		case next > 0:
			if n == 0 {
				if err := c.unqueue(batch, d.BlobID); err != nil {
					return err
				}
			}
			err = batch.Set(rk, binary.AppendUvarint(nil, uint64(next)), nil)
		default:
			// Below zero would mean a record's reference was never
			// counted; the blob is garbage either way.
			err = c.queue(batch, d.BlobID, now)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// queue drops the blob's count and puts it in the GC queue (replacing an
// older queue entry, should one exist).
func (c *Catalog) queue(batch *pebble.Batch, blobID string, now time.Time) error {
	if err := c.unqueue(batch, blobID); err != nil {
		return err
	}
	at := uint64(now.UnixNano())
	if err := batch.Delete(refKey(blobID), nil); err != nil {
		return err
	}
	if err := batch.Set(gcKey(at, blobID), nil, nil); err != nil {
		return err
	}
	return batch.Set(gcIndexKey(blobID), binary.BigEndian.AppendUint64(nil, at), nil)
}

// unqueue removes the blob's GC queue entry, if any.
func (c *Catalog) unqueue(batch *pebble.Batch, blobID string) error {
	ik := gcIndexKey(blobID)
	v, ok, err := c.get(ik)
	if err != nil || !ok {
		return err
	}
	if len(v) != 8 {
		return fmt.Errorf("%w: GC index of blob %s", errCorrupt, blobID)
	}
	if err := batch.Delete(gcKey(binary.BigEndian.Uint64(v), blobID), nil); err != nil {
		return err
	}
	return batch.Delete(ik, nil)
}

// BlobReferenced implements catalog.Catalog.
func (c *Catalog) BlobReferenced(ctx context.Context, blobID string) (bool, error) {
	if err := c.enter(ctx); err != nil {
		return false, err
	}
	defer c.exit()
	return c.has(refKey(blobID))
}

// PendingGC implements catalog.Catalog: a range scan of the time-ordered
// queue up to `before`.
func (c *Catalog) PendingGC(ctx context.Context, before time.Time, limit int) ([]catalog.GCItem, error) {
	if err := c.enter(ctx); err != nil {
		return nil, err
	}
	defer c.exit()
	ns := before.UnixNano()
	if ns < 0 || limit <= 0 {
		return nil, nil
	}
	it, err := c.db.NewIterWithContext(ctx, &pebble.IterOptions{
		LowerBound: []byte{tableGC},
		UpperBound: gcKey(uint64(ns)+1, ""),
	})
	if err != nil {
		return nil, err
	}
	var items []catalog.GCItem
	for ok := it.First(); ok && len(items) < limit; ok = it.Next() {
		k := it.Key()
		if len(k) < 9 {
			it.Close()
			return nil, fmt.Errorf("%w: GC queue key %q", errCorrupt, k)
		}
		items = append(items, catalog.GCItem{
			BlobID:   string(k[9:]),
			QueuedAt: time.Unix(0, int64(binary.BigEndian.Uint64(k[1:9]))).UTC(),
		})
	}
	err = it.Error()
	if cerr := it.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return items, nil
}

// DoneGC implements catalog.Catalog.
func (c *Catalog) DoneGC(ctx context.Context, blobIDs []string) error {
	if err := c.enter(ctx); err != nil {
		return err
	}
	defer c.exit()
	unlock := c.locks.lockBlobs(blobIDs)
	defer unlock()
	batch := c.db.NewBatch()
	defer batch.Close()
	for _, id := range blobIDs {
		if err := c.unqueue(batch, id); err != nil {
			return err
		}
	}
	if batch.Empty() {
		return nil
	}
	return batch.Commit(pebble.Sync)
}

// GCBacklog implements catalog.Catalog by counting the queue's index. The
// queue is short in steady state, and a count kept in a key would need a
// global lock on every update that queues a blob.
func (c *Catalog) GCBacklog(ctx context.Context) (int, error) {
	if err := c.enter(ctx); err != nil {
		return 0, err
	}
	defer c.exit()
	it, err := c.db.NewIterWithContext(ctx, &pebble.IterOptions{
		LowerBound: []byte{tableGCIndex},
		UpperBound: []byte{tableGCIndex + 1},
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		n++
	}
	err = it.Error()
	if cerr := it.Close(); err == nil {
		err = cerr
	}
	return n, err
}
