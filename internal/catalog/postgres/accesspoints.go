package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// CreateAccessPoint implements catalog.AccessPoints. FOR KEY SHARE on the
// bucket row keeps DeleteBucket (FOR UPDATE) out until the insert commits,
// so DeleteBucket's check sees it.
func (c *Catalog) CreateAccessPoint(ctx context.Context, a catalog.AccessPoint) error {
	return c.inTx(ctx, pgx.TxOptions{}, func(ctx context.Context, tx pgx.Tx) error {
		if err := lockBuckets(ctx, tx, []string{a.Bucket}); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO access_points (name, bucket, owner, record) VALUES ($1, $2, $3, $4)
			ON CONFLICT (name) DO NOTHING`, []byte(a.Name), []byte(a.Bucket), a.Owner, catalog.EncodeAccessPoint(a))
		if err != nil {
			return dbErr(err)
		}
		if tag.RowsAffected() == 0 {
			return catalog.ErrExists
		}
		return nil
	})
}

// GetAccessPoint implements catalog.AccessPoints.
func (c *Catalog) GetAccessPoint(ctx context.Context, name string) (catalog.AccessPoint, error) {
	if err := c.check(ctx); err != nil {
		return catalog.AccessPoint{}, err
	}
	var rec []byte
	err := c.read(ctx, func(ctx context.Context, conn *pgxpool.Conn) error {
		err := conn.QueryRow(ctx, "SELECT record FROM access_points WHERE name = $1", []byte(name)).Scan(&rec)
		if errors.Is(err, pgx.ErrNoRows) {
			return catalog.ErrNotFound
		}
		return dbErr(err)
	})
	if err != nil {
		return catalog.AccessPoint{}, err
	}
	return catalog.DecodeAccessPoint(name, rec)
}

// UpdateAccessPoint implements catalog.AccessPoints.
func (c *Catalog) UpdateAccessPoint(ctx context.Context, name string, fn func(a *catalog.AccessPoint) error) error {
	return c.inTx(ctx, pgx.TxOptions{}, func(ctx context.Context, tx pgx.Tx) error {
		var rec []byte
		err := tx.QueryRow(ctx, "SELECT record FROM access_points WHERE name = $1 FOR UPDATE", []byte(name)).Scan(&rec)
		if errors.Is(err, pgx.ErrNoRows) {
			return catalog.ErrNotFound
		}
		if err != nil {
			return dbErr(err)
		}
		old, err := catalog.DecodeAccessPoint(name, rec)
		if err != nil {
			return err
		}
		next, err := catalog.UpdatedAccessPoint(old, fn)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "UPDATE access_points SET record = $2 WHERE name = $1", []byte(name), catalog.EncodeAccessPoint(next))
		return dbErr(err)
	})
}

// DeleteAccessPoint implements catalog.AccessPoints.
func (c *Catalog) DeleteAccessPoint(ctx context.Context, name string) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	// Not retried once sent: a second try would find nothing to delete.
	return c.do(ctx, false, func(ctx context.Context, conn *pgxpool.Conn) error {
		tag, err := conn.Exec(ctx, "DELETE FROM access_points WHERE name = $1", []byte(name))
		if err != nil {
			return dbErr(err)
		}
		if tag.RowsAffected() == 0 {
			return catalog.ErrNotFound
		}
		return nil
	})
}

// ListAccessPoints implements catalog.AccessPoints.
func (c *Catalog) ListAccessPoints(ctx context.Context, owner, bucket, after string, limit int) ([]catalog.AccessPoint, error) {
	if err := c.check(ctx); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	var out []catalog.AccessPoint
	err := c.read(ctx, func(ctx context.Context, conn *pgxpool.Conn) error {
		out = nil
		rows, err := conn.Query(ctx, `SELECT name, record FROM access_points
			WHERE owner = $1 AND ($2 = ''::bytea OR bucket = $2) AND name > $3 ORDER BY name LIMIT $4`,
			owner, []byte(bucket), []byte(after), limit)
		if err != nil {
			return dbErr(err)
		}
		defer rows.Close()
		for rows.Next() {
			var name, rec []byte
			if err := rows.Scan(&name, &rec); err != nil {
				return dbErr(err)
			}
			a, err := catalog.DecodeAccessPoint(string(name), rec)
			if err != nil {
				return err
			}
			out = append(out, a)
		}
		return dbErr(rows.Err())
	})
	return out, err
}
