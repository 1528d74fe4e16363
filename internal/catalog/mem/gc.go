package mem

import (
	"context"
	"sort"
	"time"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// BlobReferenced implements catalog.Catalog.
func (c *Catalog) BlobReferenced(ctx context.Context, blobID string) (bool, error) {
	if err := c.check(ctx); err != nil {
		return false, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.refs[blobID] > 0, nil
}

// PendingGC implements catalog.Catalog: oldest first, ties by blob id.
func (c *Catalog) PendingGC(ctx context.Context, before time.Time, limit int) ([]catalog.GCItem, error) {
	if err := c.check(ctx); err != nil {
		return nil, err
	}
	c.mu.RLock()
	var items []catalog.GCItem
	for id, t := range c.gc {
		if !t.After(before) {
			items = append(items, catalog.GCItem{BlobID: id, QueuedAt: t})
		}
	}
	c.mu.RUnlock()
	sort.Slice(items, func(i, j int) bool {
		if !items[i].QueuedAt.Equal(items[j].QueuedAt) {
			return items[i].QueuedAt.Before(items[j].QueuedAt)
		}
		return items[i].BlobID < items[j].BlobID
	})
	if len(items) > limit {
		items = items[:max(limit, 0)]
	}
	return items, nil
}

// DoneGC implements catalog.Catalog.
func (c *Catalog) DoneGC(ctx context.Context, blobIDs []string) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range blobIDs {
		delete(c.gc, id)
	}
	return nil
}

// GCBacklog implements catalog.Catalog.
func (c *Catalog) GCBacklog(ctx context.Context) (int, error) {
	if err := c.check(ctx); err != nil {
		return 0, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.gc), nil
}
