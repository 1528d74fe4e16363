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
	return c.inTx(ctx, pgx.TxOptions{}, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := lockUpload(ctx, tx, bucket, key, id, "FOR SHARE"); err != nil {
			return err
		}
		if err := lockIDs(ctx, tx, []int64{lockID(bucket, key, id, strconv.Itoa(p.Number))}); err != nil {
			return err
		}
		var oldInfo []byte
		err := tx.QueryRow(ctx, "SELECT info FROM parts WHERE bucket = $1 AND key = $2 AND id = $3 AND number = $4",
			[]byte(bucket), []byte(key), []byte(id), p.Number).Scan(&oldInfo)
		var oldIDs []string
		switch {
		case err == nil:
			old, err := decodePart(p.Number, oldInfo)
			if err != nil {
				return err
			}
			oldIDs = catalog.PartBlobIDs(&old)
		case !errors.Is(err, pgx.ErrNoRows):
			return dbErr(err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO parts (bucket, key, id, number, info) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (bucket, key, id, number) DO UPDATE SET info = EXCLUDED.info`,
			[]byte(bucket), []byte(key), []byte(id), p.Number, info)
		if err != nil {
			return dbErr(err)
		}
		return applyRefs(ctx, tx, catalog.RefDeltas(oldIDs, catalog.PartBlobIDs(&p)))
	})
}

func readParts(ctx context.Context, tx pgx.Tx, bucket, key, id string, after, limit int) ([]catalog.Part, error) {
	rows, err := tx.Query(ctx, `SELECT number, info FROM parts WHERE bucket = $1 AND key = $2 AND id = $3 AND number > $4
		ORDER BY number LIMIT $5`, []byte(bucket), []byte(key), []byte(id), after, limit)
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
		// The bucket cannot go while the upload exists (DeleteBucket
		// refuses), so the upload row lock stands for it.
		if err := lockIDs(ctx, tx, []int64{lockID(bucket, key)}); err != nil {
			return err
		}
		u, err := lockUpload(ctx, tx, bucket, key, id, "FOR UPDATE")
		if err != nil {
			return err
		}
		parts, err := readParts(ctx, tx, bucket, key, id, 0, 1<<30)
		if err != nil {
			return err
		}
		cur, err := selectForUpdate(ctx, tx, bucket, key)
		if err != nil {
			return err
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
		if err := putObject(ctx, tx, bucket, key, next, cur != nil); err != nil {
			return err
		}
		if err := deleteUpload(ctx, tx, bucket, key, id); err != nil {
			return err
		}
		return applyRefs(ctx, tx, catalog.RefDeltasOf(old, [][]string{catalog.BlobIDs(next)}))
	})
}

func deleteUpload(ctx context.Context, tx pgx.Tx, bucket, key, id string) error {
	if _, err := tx.Exec(ctx, "DELETE FROM parts WHERE bucket = $1 AND key = $2 AND id = $3",
		[]byte(bucket), []byte(key), []byte(id)); err != nil {
		return dbErr(err)
	}
	_, err := tx.Exec(ctx, "DELETE FROM uploads WHERE bucket = $1 AND key = $2 AND id = $3",
		[]byte(bucket), []byte(key), []byte(id))
	return dbErr(err)
}

// AbortUpload implements catalog.Catalog.
func (c *Catalog) AbortUpload(ctx context.Context, bucket, key, id string, fn func(u *catalog.Upload) error) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	return c.inTx(ctx, pgx.TxOptions{}, func(ctx context.Context, tx pgx.Tx) error {
		u, err := lockUpload(ctx, tx, bucket, key, id, "FOR UPDATE")
		if err != nil {
			return err
		}
		if fn != nil {
			if err := fn(u); err != nil {
				return err
			}
		}
		parts, err := readParts(ctx, tx, bucket, key, id, 0, 1<<30)
		if err != nil {
			return err
		}
		old := make([][]string, 0, len(parts))
		for i := range parts {
			old = append(old, catalog.PartBlobIDs(&parts[i]))
		}
		if err := deleteUpload(ctx, tx, bucket, key, id); err != nil {
			return err
		}
		return applyRefs(ctx, tx, catalog.RefDeltasOf(old, nil))
	})
}
