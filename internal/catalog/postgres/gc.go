package postgres

import (
	"context"
	"time"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// BlobReferenced implements catalog.Catalog.
func (c *Catalog) BlobReferenced(ctx context.Context, blobID string) (bool, error) {
	if err := c.check(ctx); err != nil {
		return false, err
	}
	var ok bool
	err := c.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM blob_refs WHERE blob_id = $1)", []byte(blobID)).Scan(&ok)
	return ok, c.wrap(err)
}

// PendingGC implements catalog.Catalog: oldest first, ties by blob id
// (an index scan of gc_queue_order).
func (c *Catalog) PendingGC(ctx context.Context, before time.Time, limit int) ([]catalog.GCItem, error) {
	if err := c.check(ctx); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	rows, err := c.pool.Query(ctx, `SELECT blob_id, queued_ns FROM gc_queue WHERE queued_ns <= $1
		ORDER BY queued_ns, blob_id LIMIT $2`, before.UnixNano(), limit)
	if err != nil {
		return nil, c.wrap(err)
	}
	defer rows.Close()
	var items []catalog.GCItem
	for rows.Next() {
		var id []byte
		var ns int64
		if err := rows.Scan(&id, &ns); err != nil {
			return nil, c.wrap(err)
		}
		items = append(items, catalog.GCItem{BlobID: string(id), QueuedAt: time.Unix(0, ns)})
	}
	return items, c.wrap(rows.Err())
}

// DoneGC implements catalog.Catalog.
func (c *Catalog) DoneGC(ctx context.Context, blobIDs []string) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	ids := make([][]byte, len(blobIDs))
	for i, id := range blobIDs {
		ids[i] = []byte(id)
	}
	_, err := c.pool.Exec(ctx, "DELETE FROM gc_queue WHERE blob_id = ANY($1)", ids)
	return c.wrap(err)
}

// GCBacklog implements catalog.Catalog.
func (c *Catalog) GCBacklog(ctx context.Context) (int, error) {
	if err := c.check(ctx); err != nil {
		return 0, err
	}
	var n int
	err := c.pool.QueryRow(ctx, "SELECT count(*) FROM gc_queue").Scan(&n)
	return n, c.wrap(err)
}
