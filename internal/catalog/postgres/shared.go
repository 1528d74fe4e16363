package postgres

import (
	"context"
	"errors"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// State shared by the processes of one catalog: config values with a
// commit-ordered version (UpdateConfig, ConfigChanges) and idempotency
// tokens (ClaimToken). Lock order of a config write: the name's
// transaction advisory lock, then its config row, then config_clock's
// row, which is taken by the write's last statement so it is held only
// until COMMIT.

// configLockClass is the first key of the two-int advisory locks on
// config names ("zc"). Two-int advisory keys are a separate space from
// the bigint keys lockID makes for object keys, so the two never collide.
const configLockClass int32 = 0x7a63

// configLockKey is the second key: FNV-1a of the name, 32 bits. A
// collision only serialises writers of two names.
func configLockKey(name string) int32 {
	h := fnv.New32a()
	h.Write([]byte(name))
	return int32(h.Sum32())
}

// writeConfigSQL stores a value stamped with the next config_clock
// version. The clock's row lock, taken here, serialises config writers
// until they commit, so versions become visible in increasing order.
const writeConfigSQL = `WITH clock AS (UPDATE config_clock SET v = v + 1 RETURNING v)
	INSERT INTO config (name, value, version) SELECT $1, $2, v FROM clock
	ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, version = EXCLUDED.version`

// PutConfig implements catalog.Catalog. It takes the name's advisory lock
// so that it cannot interleave with an UpdateConfig of the same name.
func (c *Catalog) PutConfig(ctx context.Context, name string, value []byte) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	if value == nil {
		value = []byte{}
	}
	return c.inTx(ctx, pgx.TxOptions{}, func(ctx context.Context, tx pgx.Tx) error {
		batch := &pgx.Batch{}
		batch.Queue("SELECT pg_advisory_xact_lock($1, $2)", configLockClass, configLockKey(name))
		batch.Queue(writeConfigSQL, name, value)
		return dbErr(tx.SendBatch(ctx, batch).Close())
	})
}

// UpdateConfig implements catalog.Catalog. The name's advisory lock
// serialises updaters even while the name has no row (a row lock cannot
// lock an absent row, and a placeholder row would be visible to
// GetConfig); the row itself is then read FOR UPDATE. fn runs inside the
// transaction and runs again when it is retried (serialization failure,
// deadlock, lost connection), so it must not have side effects beyond
// computing its result.
func (c *Catalog) UpdateConfig(ctx context.Context, name string, fn func(cur []byte) ([]byte, error)) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	return c.inTx(ctx, pgx.TxOptions{}, func(ctx context.Context, tx pgx.Tx) error {
		batch := &pgx.Batch{}
		batch.Queue("SELECT pg_advisory_xact_lock($1, $2)", configLockClass, configLockKey(name))
		batch.Queue("SELECT value FROM config WHERE name = $1 FOR UPDATE", name)
		br := tx.SendBatch(ctx, batch)
		var cur []byte
		if _, err := br.Exec(); err != nil {
			br.Close()
			return dbErr(err)
		}
		err := br.QueryRow().Scan(&cur)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			br.Close()
			return dbErr(err)
		}
		if err := br.Close(); err != nil {
			return dbErr(err)
		}
		if err == nil && cur == nil {
			cur = []byte{} // set to empty, which is not unset
		}
		next, err := fn(cur)
		if err != nil || next == nil {
			return err
		}
		_, err = tx.Exec(ctx, writeConfigSQL, name, next)
		return dbErr(err)
	})
}

// ConfigChanges implements catalog.Catalog. One statement reads the clock
// and the rows, so both come from one snapshot: every write stamped at or
// below the clock value it sees is visible in it (writers commit in
// version order), and every later one will be stamped above it.
func (c *Catalog) ConfigChanges(ctx context.Context, prefix string, cursor uint64) ([]catalog.ConfigValue, uint64, error) {
	if err := c.check(ctx); err != nil {
		return nil, 0, err
	}
	var clock int64
	var out []catalog.ConfigValue
	err := c.read(ctx, func(ctx context.Context, conn *pgxpool.Conn) error {
		if cursor == 0 {
			return dbErr(conn.QueryRow(ctx, "SELECT v FROM config_clock").Scan(&clock))
		}
		out = nil
		// Few config rows exist, so starts_with need not use an index;
		// the version index finds the changed rows.
		rows, err := conn.Query(ctx, `SELECT k.v, c.name, c.value FROM config_clock k
			LEFT JOIN config c ON c.version > $1 AND starts_with(c.name, $2)
			ORDER BY c.version`, int64(cursor), prefix)
		if err != nil {
			return dbErr(err)
		}
		defer rows.Close()
		for rows.Next() {
			var name *string
			var value []byte
			if err := rows.Scan(&clock, &name, &value); err != nil {
				return dbErr(err)
			}
			if name != nil {
				if value == nil {
					value = []byte{}
				}
				out = append(out, catalog.ConfigValue{Name: *name, Value: value})
			}
		}
		return dbErr(rows.Err())
	})
	if err != nil {
		return nil, 0, err
	}
	return out, uint64(clock), nil
}

// nowNS is the database clock in Unix nanoseconds: token expiry is judged
// by one clock for every process.
const nowNS = `(extract(epoch FROM statement_timestamp()) * 1000000000)::bigint`

// claimSQL inserts a token, or keeps the stored one while it is unexpired
// and replaces it once expired. The upsert locks an existing row, so two
// claimants of one token serialise and the second sees the first's value;
// RETURNING gives whichever value the row holds afterwards. A repeated
// claim of a live token rewrites the row unchanged, which costs a tuple
// but keeps the claim one atomic statement; repeats are client retries.
const claimSQL = `INSERT INTO client_tokens AS t (scope, token, value, expires_ns)
	VALUES ($1, $2, $3, ` + nowNS + ` + $4)
	ON CONFLICT (scope, token) DO UPDATE SET
		value = CASE WHEN t.expires_ns <= ` + nowNS + ` THEN EXCLUDED.value ELSE t.value END,
		expires_ns = CASE WHEN t.expires_ns <= ` + nowNS + ` THEN EXCLUDED.expires_ns ELSE t.expires_ns END
	RETURNING value`

// purgeEvery is how many claims (by this handle) pass between purges of
// expired tokens, and purgeBatch the most rows one purge deletes: the
// table stays near its live size without a background job.
const (
	purgeEvery = 256
	purgeBatch = 1000
)

// ClaimToken implements catalog.Catalog.
func (c *Catalog) ClaimToken(ctx context.Context, scope, token string, value []byte, ttl time.Duration) ([]byte, error) {
	if err := c.check(ctx); err != nil {
		return nil, err
	}
	if value == nil {
		value = []byte{}
	}
	var got []byte
	// One autocommit statement, so not retried once sent: a second try
	// would find the first's claim and report it as someone else's.
	err := c.do(ctx, false, func(ctx context.Context, conn *pgxpool.Conn) error {
		return dbErr(conn.QueryRow(ctx, claimSQL, []byte(scope), []byte(token), value, ttl.Nanoseconds()).Scan(&got))
	})
	if err != nil {
		return nil, err
	}
	if c.claims.Add(1)%purgeEvery == 0 {
		// A failed purge leaves rows for the next one; the claim stands.
		c.purgeTokens(ctx)
	}
	return got, nil
}

// purgeTokens deletes up to purgeBatch expired tokens.
func (c *Catalog) purgeTokens(ctx context.Context) error {
	return c.read(ctx, func(ctx context.Context, conn *pgxpool.Conn) error {
		_, err := conn.Exec(ctx, `DELETE FROM client_tokens WHERE (scope, token) IN (
			SELECT scope, token FROM client_tokens WHERE expires_ns <= `+nowNS+`
			ORDER BY expires_ns LIMIT $1)`, purgeBatch)
		return dbErr(err)
	})
}
