package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/zonal-dev/zonal/internal/catalog"
)

const bucketCols = "name, owner, region, zone, created_ns, policy, encryption, lifecycle, tags"

// scanBucket reads a row of bucketCols, then into more the columns a
// query selects after them (the object of getBucketAndObject).
func scanBucket(row pgx.Row, more ...any) (catalog.Bucket, error) {
	var b catalog.Bucket
	var name []byte
	var ns int64
	var tags []byte
	dest := append([]any{&name, &b.Owner, &b.Region, &b.Zone, &ns, &b.Policy, &b.Encryption, &b.Lifecycle, &tags}, more...)
	if err := row.Scan(dest...); err != nil {
		return catalog.Bucket{}, err
	}
	b.Name = string(name)
	b.CreatedAt = fromNanos(ns)
	b.Policy, b.Encryption, b.Lifecycle = emptyNil(b.Policy), emptyNil(b.Encryption), emptyNil(b.Lifecycle)
	var err error
	b.Tags, err = decodeTags(b.Name, tags)
	return b, err
}

// fromNanos and toNanos keep times to the nanosecond (timestamptz keeps
// microseconds); 0 is the zero time.
func fromNanos(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

func toNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func emptyNil(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// CreateBucket implements catalog.Catalog.
func (c *Catalog) CreateBucket(ctx context.Context, b catalog.Bucket) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	// Not retried once sent: after a lost connection, a second try could
	// find this very insert and report ErrExists.
	return c.do(ctx, false, func(ctx context.Context, conn *pgxpool.Conn) error {
		tag, err := conn.Exec(ctx, `INSERT INTO buckets (`+bucketCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT (name) DO NOTHING`,
			[]byte(b.Name), b.Owner, b.Region, b.Zone, toNanos(b.CreatedAt), emptyNil(b.Policy), emptyNil(b.Encryption), emptyNil(b.Lifecycle),
			encodeTags(b.Tags))
		if err != nil {
			return dbErr(err)
		}
		if tag.RowsAffected() == 0 {
			return catalog.ErrExists
		}
		return nil
	})
}

// GetBucket implements catalog.Catalog.
func (c *Catalog) GetBucket(ctx context.Context, name string) (catalog.Bucket, error) {
	if err := c.check(ctx); err != nil {
		return catalog.Bucket{}, err
	}
	if h := catalog.ObjectHintFor(ctx, name); h != nil {
		return c.getBucketAndObject(ctx, h)
	}
	var b catalog.Bucket
	err := c.read(ctx, func(ctx context.Context, conn *pgxpool.Conn) error {
		var err error
		b, err = scanBucket(conn.QueryRow(ctx, "SELECT "+bucketCols+" FROM buckets WHERE name = $1", []byte(name)))
		if errors.Is(err, pgx.ErrNoRows) {
			return catalog.ErrNotFound
		}
		return dbErr(err)
	})
	return b, err
}

// getBucketAndObject is GetBucket for a request that reads h's object
// next (catalog.ObjectHint): one query answers both, so a GetObject costs
// one round trip instead of two. The object is kept in h for GetObject.
func (c *Catalog) getBucketAndObject(ctx context.Context, h *catalog.ObjectHint) (catalog.Bucket, error) {
	var b catalog.Bucket
	var meta, data []byte
	err := c.read(ctx, func(ctx context.Context, conn *pgxpool.Conn) error {
		var err error
		b, err = scanBucket(conn.QueryRow(ctx, `SELECT b.name, b.owner, b.region, b.zone, b.created_ns, b.policy, b.encryption, b.lifecycle, b.tags, o.meta, o.data
			FROM buckets b LEFT JOIN objects o ON o.bucket = b.name AND o.key = $2 WHERE b.name = $1`,
			[]byte(h.Bucket), []byte(h.Key)), &meta, &data)
		if errors.Is(err, pgx.ErrNoRows) {
			return catalog.ErrNotFound
		}
		return dbErr(err)
	})
	if err != nil {
		return catalog.Bucket{}, err
	}
	if meta == nil {
		h.Keep(nil, catalog.ErrNotFound)
	} else {
		h.Keep(decodeObject(h.Key, meta, data, true))
	}
	return b, nil
}

// DeleteBucket implements catalog.Catalog. FOR UPDATE on the bucket row
// waits for every writer holding FOR KEY SHARE on it (object updates,
// upload creation) to finish, so the emptiness check sees their commits,
// and later writers find the row gone.
func (c *Catalog) DeleteBucket(ctx context.Context, name string) error {
	return c.inTx(ctx, pgx.TxOptions{}, func(ctx context.Context, tx pgx.Tx) error {
		var one int
		err := tx.QueryRow(ctx, "SELECT 1 FROM buckets WHERE name = $1 FOR UPDATE", []byte(name)).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return catalog.ErrNotFound
		}
		if err != nil {
			return dbErr(err)
		}
		var busy bool
		err = tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM objects WHERE bucket = $1)
			OR EXISTS (SELECT 1 FROM uploads WHERE bucket = $1)`, []byte(name)).Scan(&busy)
		if err != nil {
			return dbErr(err)
		}
		if busy {
			return catalog.ErrBucketNotEmpty
		}
		// CreateAccessPoint holds FOR KEY SHARE on the bucket row too.
		err = tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM access_points WHERE bucket = $1)", []byte(name)).Scan(&busy)
		if err != nil {
			return dbErr(err)
		}
		if busy {
			return catalog.ErrBucketHasAccessPoints
		}
		_, err = tx.Exec(ctx, "DELETE FROM buckets WHERE name = $1", []byte(name))
		return dbErr(err)
	})
}

// ListBuckets implements catalog.Catalog. An empty owner lists every bucket.
func (c *Catalog) ListBuckets(ctx context.Context, owner, after string, limit int) ([]catalog.Bucket, error) {
	if err := c.check(ctx); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	var out []catalog.Bucket
	err := c.read(ctx, func(ctx context.Context, conn *pgxpool.Conn) error {
		out = nil
		rows, err := conn.Query(ctx, "SELECT "+bucketCols+` FROM buckets
			WHERE ($1 = '' OR owner = $1) AND name > $2 ORDER BY name LIMIT $3`, owner, []byte(after), limit)
		if err != nil {
			return dbErr(err)
		}
		defer rows.Close()
		for rows.Next() {
			b, err := scanBucket(rows)
			if err != nil {
				return dbErr(err)
			}
			out = append(out, b)
		}
		return dbErr(rows.Err())
	})
	return out, err
}

// UpdateBucket implements catalog.Catalog. FOR NO KEY UPDATE serialises
// configuration updates without blocking object writers (FOR KEY SHARE).
func (c *Catalog) UpdateBucket(ctx context.Context, name string, fn func(b *catalog.Bucket) error) error {
	return c.inTx(ctx, pgx.TxOptions{}, func(ctx context.Context, tx pgx.Tx) error {
		old, err := scanBucket(tx.QueryRow(ctx, "SELECT "+bucketCols+" FROM buckets WHERE name = $1 FOR NO KEY UPDATE", []byte(name)))
		if errors.Is(err, pgx.ErrNoRows) {
			return catalog.ErrNotFound
		}
		if err != nil {
			return dbErr(err)
		}
		next := old
		next.Policy, next.Encryption, next.Lifecycle = clone(old.Policy), clone(old.Encryption), clone(old.Lifecycle)
		next.Tags = catalog.CloneTags(old.Tags)
		if err := fn(&next); err != nil {
			return err
		}
		if err := catalog.CheckBucketUpdate(old, next); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "UPDATE buckets SET policy = $2, encryption = $3, lifecycle = $4, tags = $5 WHERE name = $1",
			[]byte(name), emptyNil(next.Policy), emptyNil(next.Encryption), emptyNil(next.Lifecycle), encodeTags(next.Tags))
		return dbErr(err)
	})
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

// lockBuckets takes FOR KEY SHARE on each bucket row (names sorted and
// distinct): the buckets cannot be deleted until the transaction ends.
// ErrNotFound when one is missing.
func lockBuckets(ctx context.Context, tx pgx.Tx, names []string) error {
	for _, n := range names {
		var one int
		err := tx.QueryRow(ctx, "SELECT 1 FROM buckets WHERE name = $1 FOR KEY SHARE", []byte(n)).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return catalog.ErrNotFound
		}
		if err != nil {
			return dbErr(err)
		}
	}
	return nil
}
