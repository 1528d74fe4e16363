package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// BlobReferenced implements catalog.Catalog.
func (c *Catalog) BlobReferenced(ctx context.Context, blobID string) (bool, error) {
	if err := c.check(ctx); err != nil {
		return false, err
	}
	var ok bool
	err := c.read(ctx, func(ctx context.Context, conn *pgxpool.Conn) error {
		return dbErr(conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM blob_refs WHERE blob_id = $1)", []byte(blobID)).Scan(&ok))
	})
	return ok, err
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
	var items []catalog.GCItem
	err := c.read(ctx, func(ctx context.Context, conn *pgxpool.Conn) error {
		items = nil
		rows, err := conn.Query(ctx, `SELECT blob_id, queued_ns FROM gc_queue WHERE queued_ns <= $1
			ORDER BY queued_ns, blob_id LIMIT $2`, before.UnixNano(), limit)
		if err != nil {
			return dbErr(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id []byte
			var ns int64
			if err := rows.Scan(&id, &ns); err != nil {
				return dbErr(err)
			}
			items = append(items, catalog.GCItem{BlobID: string(id), QueuedAt: time.Unix(0, ns)})
		}
		return dbErr(rows.Err())
	})
	return items, err
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
	// Deleting twice is harmless, so it is retried like a read.
	return c.read(ctx, func(ctx context.Context, conn *pgxpool.Conn) error {
		_, err := conn.Exec(ctx, "DELETE FROM gc_queue WHERE blob_id = ANY($1)", ids)
		return dbErr(err)
	})
}

// GCBacklog implements catalog.Catalog.
func (c *Catalog) GCBacklog(ctx context.Context) (int, error) {
	if err := c.check(ctx); err != nil {
		return 0, err
	}
	var n int
	err := c.read(ctx, func(ctx context.Context, conn *pgxpool.Conn) error {
		return dbErr(conn.QueryRow(ctx, "SELECT count(*) FROM gc_queue").Scan(&n))
	})
	return n, err
}
