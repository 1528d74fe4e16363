package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// Upload locking: the upload's row is the lock. PutPart holds it FOR
// SHARE (parts of one upload go in concurrently) plus an advisory lock
// per part number (two writers of one number serialise, even when the
// part has no row yet); CompleteUpload and AbortUpload hold it FOR UPDATE,
// so they wait for in-flight parts and later parts find the upload gone.
// Order: bucket row | key advisory lock -> upload row -> part lock.

// CreateUpload implements catalog.Catalog.
func (c *Catalog) CreateUpload(ctx context.Context, u catalog.Upload) error {
	if err := catalog.CheckUpload(&u); err != nil {
		return err
	}
	info, err := encodeUpload(&u)
	if err != nil {
		return err
	}
	return c.inTx(ctx, pgx.TxOptions{}, func(ctx context.Context, tx pgx.Tx) error {
		if err := lockBuckets(ctx, tx, []string{u.Bucket}); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO uploads (bucket, key, id, info) VALUES ($1, $2, $3, $4)
			ON CONFLICT DO NOTHING`, []byte(u.Bucket), []byte(u.Key), []byte(u.ID), info)
		if err != nil {
			return dbErr(err)
		}
		if tag.RowsAffected() == 0 {
			return catalog.ErrExists
		}
		return nil
	})
}

// lockUpload reads the upload with the given row lock ("" for none).
func lockUpload(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, bucket, key, id, lock string) (*catalog.Upload, error) {
	var info []byte
	err := q.QueryRow(ctx, "SELECT info FROM uploads WHERE bucket = $1 AND key = $2 AND id = $3 "+lock,
		[]byte(bucket), []byte(key), []byte(id)).Scan(&info)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, catalog.ErrNotFound
	}
	if err != nil {
		return nil, dbErr(err)
	}
	return decodeUpload(bucket, key, id, info)
}

// GetUpload implements catalog.Catalog.
func (c *Catalog) GetUpload(ctx context.Context, bucket, key, id string) (*catalog.Upload, error) {
	if err := c.check(ctx); err != nil {
		return nil, err
	}
	var u *catalog.Upload
	err := c.read(ctx, func(ctx context.Context, conn *pgxpool.Conn) error {
		var err error
		u, err = lockUpload(ctx, conn, bucket, key, id, "")
		return err
	})
	return u, err
}

// PutPart implements catalog.Catalog.
func (c *Catalog) PutPart(ctx context.Context, bucket, key, id string, p catalog.Part) error {
	if err := catalog.CheckPart(&p); err != nil {
		return err
	}
	info, err := encodePart(&p)
	if err != nil {
		return err
	}
	b, k, i := []byte(bucket), []byte(key), []byte(id)
	return c.inTx(ctx, pgx.TxOptions{}, func(ctx context.Context, tx pgx.Tx) error {
		// One round trip: the upload row (shared), the part number's
		// lock, then the part it replaces.
		batch := &pgx.Batch{}
		batch.Queue("SELECT 1 FROM uploads WHERE bucket = $1 AND key = $2 AND id = $3 FOR SHARE", b, k, i)
		batch.Queue("SELECT pg_advisory_xact_lock($1)", lockID(bucket, key, id, strconv.Itoa(p.Number)))
		batch.Queue("SELECT info FROM parts WHERE bucket = $1 AND key = $2 AND id = $3 AND number = $4", b, k, i, p.Number)
		br := tx.SendBatch(ctx, batch)
		var one int
		if err := br.QueryRow().Scan(&one); err != nil {
			br.Close()
			if errors.Is(err, pgx.ErrNoRows) {
				return catalog.ErrNotFound
			}
			return dbErr(err)
		}
		if _, err := br.Exec(); err != nil {
			br.Close()
			return dbErr(err)
		}
		var oldInfo []byte
		err := br.QueryRow().Scan(&oldInfo)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			br.Close()
			return dbErr(err)
		}
		if err := br.Close(); err != nil {
			return dbErr(err)
		}
		var oldIDs []string
		if oldInfo != nil {
			old, err := decodePart(p.Number, oldInfo)
			if err != nil {
				return err
			}
			oldIDs = catalog.PartBlobIDs(&old)
		}
		writes := &pgx.Batch{}
		writes.Queue(`INSERT INTO parts (bucket, key, id, number, info) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (bucket, key, id, number) DO UPDATE SET info = EXCLUDED.info`, b, k, i, p.Number, info)
		return applyRefs(ctx, tx, writes, catalog.RefDeltas(oldIDs, catalog.PartBlobIDs(&p)))
	})
}

const partsSQL = `SELECT number, info FROM parts WHERE bucket = $1 AND key = $2 AND id = $3 AND number > $4
	ORDER BY number LIMIT $5`

func readParts(ctx context.Context, tx pgx.Tx, bucket, key, id string, after, limit int) ([]catalog.Part, error) {
	return scanParts(tx.Query(ctx, partsSQL, []byte(bucket), []byte(key), []byte(id), after, limit))
}

// scanParts reads the rows of partsSQL.
func scanParts(rows pgx.Rows, err error) ([]catalog.Part, error) {
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	var parts []catalog.Part
	for rows.Next() {
		var n int
		var info []byte
		if err := rows.Scan(&n, &info); err != nil {
			return nil, dbErr(err)
		}
		p, err := decodePart(n, info)
		if err != nil {
			return nil, err
		}
		parts = append(parts, p)
	}
	return parts, dbErr(rows.Err())
}

// ListParts implements catalog.Catalog.
func (c *Catalog) ListParts(ctx context.Context, bucket, key, id string, after, limit int) ([]catalog.Part, bool, error) {
	var parts []catalog.Part
	var more bool
	err := c.inTx(ctx, readOnly, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := lockUpload(ctx, tx, bucket, key, id, ""); err != nil {
			return err
		}
		if limit <= 0 {
			err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM parts WHERE bucket = $1 AND key = $2 AND id = $3 AND number > $4)",
				[]byte(bucket), []byte(key), []byte(id), after).Scan(&more)
			return dbErr(err)
		}
		var err error
		parts, err = readParts(ctx, tx, bucket, key, id, after, limit+1)
		if more = len(parts) > limit; more {
			parts = parts[:limit]
		}
		return err
	})
	return parts, more, err
}

// CompleteUpload implements catalog.Catalog.
func (c *Catalog) CompleteUpload(ctx context.Context, bucket, key, id string, fn func(u *catalog.Upload, parts []catalog.Part, cur *catalog.Object) (*catalog.Object, error)) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	return c.inTx(ctx, pgx.TxOptions{}, func(ctx context.Context, tx pgx.Tx) error {
		// One round trip: the key's lock, the upload row (exclusive: it
		// waits for parts in flight), its parts and the key's record.
		// The bucket cannot go while the upload exists (DeleteBucket
		// refuses), so the upload row lock stands for it.
		b, k := []byte(bucket), []byte(key)
		batch := &pgx.Batch{}
		batch.Queue("SELECT pg_advisory_xact_lock($1)", lockID(bucket, key))
		queueUploadRead(batch, bucket, key, id)
		batch.Queue("SELECT meta, data FROM objects WHERE bucket = $1 AND key = $2 FOR UPDATE", b, k)
		br := tx.SendBatch(ctx, batch)
		defer br.Close()
		if _, err := br.Exec(); err != nil {
			return dbErr(err)
		}
		u, parts, err := readUpload(br, bucket, key, id)
		if err != nil {
			return err
		}
		var cur *catalog.Object
		var meta, data []byte
		switch err := br.QueryRow().Scan(&meta, &data); {
		case err == nil:
			if cur, err = decodeObject(key, meta, data, true); err != nil {
				return err
			}
		case !errors.Is(err, pgx.ErrNoRows):
			return dbErr(err)
		}
		if err := br.Close(); err != nil {
			return dbErr(err)
		}
		old := make([][]string, 0, len(parts)+1)
		for i := range parts {
			old = append(old, catalog.PartBlobIDs(&parts[i]))
		}
		old = append(old, catalog.BlobIDs(cur))
		next, err := fn(u, parts, cur)
		if err != nil {
			return err
		}
		if next == nil {
			return fmt.Errorf("catalog: CompleteUpload(%q, %q): fn returned no object", key, id)
		}
		if err := catalog.CheckObject(next); err != nil {
			return err
		}
		writes := &pgx.Batch{}
		if err := queuePut(writes, bucket, key, next, cur != nil); err != nil {
			return err
		}
		queueDeleteUpload(writes, bucket, key, id)
		return applyRefs(ctx, tx, writes, catalog.RefDeltasOf(old, [][]string{catalog.BlobIDs(next)}))
	})
}

// queueUploadRead queues the reads readUpload takes: the upload's row FOR
// UPDATE and all its parts in number order.
func queueUploadRead(batch *pgx.Batch, bucket, key, id string) {
	b, k, i := []byte(bucket), []byte(key), []byte(id)
	batch.Queue("SELECT info FROM uploads WHERE bucket = $1 AND key = $2 AND id = $3 FOR UPDATE", b, k, i)
	batch.Queue(partsSQL, b, k, i, 0, 1<<30)
}

// readUpload reads queueUploadRead's results: ErrNotFound when the
// upload is gone.
func readUpload(br pgx.BatchResults, bucket, key, id string) (*catalog.Upload, []catalog.Part, error) {
	var info []byte
	if err := br.QueryRow().Scan(&info); errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, catalog.ErrNotFound
	} else if err != nil {
		return nil, nil, dbErr(err)
	}
	u, err := decodeUpload(bucket, key, id, info)
	if err != nil {
		return nil, nil, err
	}
	parts, err := scanParts(br.Query())
	return u, parts, err
}

// queueDeleteUpload queues the removal of an upload and its parts.
func queueDeleteUpload(batch *pgx.Batch, bucket, key, id string) {
	b, k, i := []byte(bucket), []byte(key), []byte(id)
	batch.Queue("DELETE FROM parts WHERE bucket = $1 AND key = $2 AND id = $3", b, k, i)
	batch.Queue("DELETE FROM uploads WHERE bucket = $1 AND key = $2 AND id = $3", b, k, i)
}

// AbortUpload implements catalog.Catalog.
func (c *Catalog) AbortUpload(ctx context.Context, bucket, key, id string, fn func(u *catalog.Upload) error) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	return c.inTx(ctx, pgx.TxOptions{}, func(ctx context.Context, tx pgx.Tx) error {
		batch := &pgx.Batch{}
		queueUploadRead(batch, bucket, key, id)
		br := tx.SendBatch(ctx, batch)
		u, parts, err := readUpload(br, bucket, key, id)
		if cerr := br.Close(); err == nil && cerr != nil {
			err = dbErr(cerr)
		}
		if err != nil {
			return err
		}
		if fn != nil {
			if err := fn(u); err != nil {
				return err
			}
		}
		old := make([][]string, 0, len(parts))
		for i := range parts {
			old = append(old, catalog.PartBlobIDs(&parts[i]))
		}
		writes := &pgx.Batch{}
		queueDeleteUpload(writes, bucket, key, id)
		return applyRefs(ctx, tx, writes, catalog.RefDeltasOf(old, nil))
	})
}
