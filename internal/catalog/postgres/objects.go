package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// GetObject implements catalog.Catalog: one row holds the metadata and the
// inline bytes, so a read never mixes two versions.
func (c *Catalog) GetObject(ctx context.Context, bucket, key string) (*catalog.Object, error) {
	if err := c.check(ctx); err != nil {
		return nil, err
	}
	if obj, ok, err := catalog.TakeObject(ctx, bucket, key); ok {
		return obj, err // read along with the bucket (getBucketAndObject)
	}
	var meta, data []byte
	err := c.read(ctx, func(ctx context.Context, conn *pgxpool.Conn) error {
		err := conn.QueryRow(ctx, "SELECT meta, data FROM objects WHERE bucket = $1 AND key = $2",
			[]byte(bucket), []byte(key)).Scan(&meta, &data)
		if errors.Is(err, pgx.ErrNoRows) {
			// Absent bucket and absent key both read as not found.
			return catalog.ErrNotFound
		}
		return dbErr(err)
	})
	if err != nil {
		return nil, err
	}
	return decodeObject(key, meta, data, true)
}

// UpdateObject implements catalog.Catalog.
func (c *Catalog) UpdateObject(ctx context.Context, bucket, key string, fn catalog.ObjectUpdate) error {
	return c.UpdateObjects(ctx, []catalog.ObjectRef{{Bucket: bucket, Key: key}}, catalog.UpdateOne(fn))
}

// UpdateObjects implements catalog.Catalog. Order of locks, always the
// same: the buckets' rows FOR KEY SHARE (by name), then one transaction
// advisory lock per key (by lock id), then the rows that exist FOR
// UPDATE. The advisory lock also covers keys that have no row yet, which
// row locks cannot, so two conditional creates of one key serialise
// instead of racing to the unique index.
func (c *Catalog) UpdateObjects(ctx context.Context, refs []catalog.ObjectRef, fn catalog.ObjectsUpdate) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	if err := catalog.CheckRefs(refs); err != nil {
		return err
	}
	return c.inTx(ctx, pgx.TxOptions{}, func(ctx context.Context, tx pgx.Tx) error {
		cur, err := lockAndRead(ctx, tx, refs)
		if err != nil {
			return err
		}
		oldIDs := make([][]string, len(refs))
		for i, o := range cur {
			// Taken before fn, which may modify cur and hand it back.
			oldIDs[i] = catalog.BlobIDs(o)
		}
		next, err := fn(slices.Clone(cur))
		if err != nil {
			return err
		}
		if len(next) != len(refs) {
			return fmt.Errorf("catalog: UpdateObjects: fn returned %d records for %d keys", len(next), len(refs))
		}
		newIDs := make([][]string, len(refs))
		for i, o := range next {
			if err := catalog.CheckObject(o); err != nil {
				return err
			}
			newIDs[i] = catalog.BlobIDs(o)
		}
		writes := &pgx.Batch{}
		for i, r := range refs {
			if err := queuePut(writes, r.Bucket, r.Key, next[i], cur[i] != nil); err != nil {
				return err
			}
		}
		return applyRefs(ctx, tx, writes, catalog.RefDeltasOf(oldIDs, newIDs))
	})
}

// lockAndRead takes UpdateObjects' locks and reads the current records in
// one round trip: the statements of a batch run in order, so the lock
// order is the order they are queued in.
func lockAndRead(ctx context.Context, tx pgx.Tx, refs []catalog.ObjectRef) ([]*catalog.Object, error) {
	var buckets []string
	ids := make([]int64, len(refs))
	for i, r := range refs {
		buckets = append(buckets, r.Bucket)
		ids[i] = lockID(r.Bucket, r.Key)
	}
	slices.Sort(buckets)
	buckets = slices.Compact(buckets)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	batch := &pgx.Batch{}
	for _, b := range buckets {
		batch.Queue("SELECT 1 FROM buckets WHERE name = $1 FOR KEY SHARE", []byte(b))
	}
	for _, id := range ids {
		batch.Queue("SELECT pg_advisory_xact_lock($1)", id)
	}
	for _, r := range refs {
		batch.Queue("SELECT meta, data FROM objects WHERE bucket = $1 AND key = $2 FOR UPDATE", []byte(r.Bucket), []byte(r.Key))
	}
	br := tx.SendBatch(ctx, batch)
	defer br.Close()
	for range buckets {
		var one int
		if err := br.QueryRow().Scan(&one); errors.Is(err, pgx.ErrNoRows) {
			return nil, catalog.ErrNotFound
		} else if err != nil {
			return nil, dbErr(err)
		}
	}
	for range ids {
		if _, err := br.Exec(); err != nil {
			return nil, dbErr(err)
		}
	}
	cur := make([]*catalog.Object, len(refs))
	for i, r := range refs {
		var meta, data []byte
		err := br.QueryRow().Scan(&meta, &data)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, dbErr(err)
		}
		if cur[i], err = decodeObject(r.Key, meta, data, true); err != nil {
			return nil, err
		}
	}
	return cur, dbErr(br.Close())
}

// queuePut queues the statement writing o under key, or deleting the
// key when o is nil (none for deleting an absent key).
func queuePut(batch *pgx.Batch, bucket, key string, o *catalog.Object, existed bool) error {
	if o == nil {
		if existed {
			batch.Queue("DELETE FROM objects WHERE bucket = $1 AND key = $2", []byte(bucket), []byte(key))
		}
		return nil
	}
	meta, data, err := encodeObject(o)
	if err != nil {
		return err
	}
	batch.Queue(`INSERT INTO objects (bucket, key, meta, data) VALUES ($1, $2, $3, $4)
		ON CONFLICT (bucket, key) DO UPDATE SET meta = EXCLUDED.meta, data = EXCLUDED.data`,
		[]byte(bucket), []byte(key), meta, data)
	return nil
}

// applyRefs sends writes (the record changes, in the order queued) and
// applies the reference changes they make, in as few round trips as the
// locking allows: one when no blob count changes, else two. The first
// carries the writes and locks the existing count rows of every changed
// blob in blob-id order (ORDER BY under FOR UPDATE locks rows in that
// order: the canonical order, so two transactions sharing blobs cannot
// deadlock on them). The second writes the new counts: a blob whose count
// reaches zero loses its row and joins the GC queue; one referenced again
// leaves the queue. A blob without a row is created with an upsert, in
// case another transaction creates it first.
func applyRefs(ctx context.Context, tx pgx.Tx, writes *pgx.Batch, deltas []catalog.RefDelta) error {
	nw := writes.Len()
	ids := make([][]byte, len(deltas))
	for i, d := range deltas {
		ids[i] = []byte(d.BlobID)
	}
	if len(deltas) > 0 {
		writes.Queue("SELECT blob_id, refs FROM blob_refs WHERE blob_id = ANY($1) ORDER BY blob_id FOR UPDATE", ids)
	}
	if writes.Len() == 0 {
		return nil
	}
	br := tx.SendBatch(ctx, writes)
	defer br.Close()
	for range nw {
		if _, err := br.Exec(); err != nil {
			return dbErr(err)
		}
	}
	if len(deltas) == 0 {
		return dbErr(br.Close())
	}
	rows, err := br.Query()
	if err != nil {
		return dbErr(err)
	}
	counts := make(map[string]int64, len(deltas))
	for rows.Next() {
		var id []byte
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			rows.Close()
			return dbErr(err)
		}
		counts[string(id)] = n
	}
	if err := rows.Err(); err != nil {
		return dbErr(err)
	}
	if err := br.Close(); err != nil {
		return dbErr(err)
	}
	sort.Slice(deltas, func(i, j int) bool { return deltas[i].BlobID < deltas[j].BlobID })
	now := time.Now().UnixNano()
	batch := &pgx.Batch{}
	for _, d := range deltas {
		id := []byte(d.BlobID)
		old, exists := counts[d.BlobID]
		switch n := old + int64(d.Delta); {
		case n > 0 && exists:
			batch.Queue("UPDATE blob_refs SET refs = $2 WHERE blob_id = $1", id, n)
			batch.Queue("DELETE FROM gc_queue WHERE blob_id = $1", id)
		case n > 0:
			batch.Queue(`INSERT INTO blob_refs AS r (blob_id, refs) VALUES ($1, $2)
				ON CONFLICT (blob_id) DO UPDATE SET refs = r.refs + EXCLUDED.refs`, id, int64(d.Delta))
			batch.Queue("DELETE FROM gc_queue WHERE blob_id = $1", id)
		default:
			// At zero (or below, which a consistent catalog never reaches).
			if exists {
				batch.Queue("DELETE FROM blob_refs WHERE blob_id = $1", id)
			}
			batch.Queue(`INSERT INTO gc_queue (blob_id, queued_ns) VALUES ($1, $2)
				ON CONFLICT (blob_id) DO UPDATE SET queued_ns = EXCLUDED.queued_ns`, id, now)
		}
	}
	return dbErr(tx.SendBatch(ctx, batch).Close())
}
