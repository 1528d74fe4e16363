// Package postgres is a catalog.Catalog on PostgreSQL (pgx/v5), so that
// several zonal processes can share one catalog (issue 13, scale-out).
//
// Semantics match the Pebble engine: every mutation is one transaction
// acknowledged only after COMMIT returned; read-modify-write operations
// lock what they read in a canonical order (object keys by transaction
// advisory locks sorted by lock id, then rows with SELECT ... FOR UPDATE),
// so concurrent multi-key updates cannot deadlock among themselves; blob
// reference counts and the GC queue change in the same transaction as the
// records; serialization failures, deadlocks and unique-index races are
// retried with the caller's function run again on fresh state.
//
// The schema lives in versioned migrations embedded in the binary and
// applied by Open under a session advisory lock, so N nodes starting at
// once migrate once; a database with a newer schema is refused.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/zonal-dev/zonal/internal/catalog"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrateLockID is the advisory lock taken while migrating ("zonalmig").
const migrateLockID int64 = 0x7a6f6e616c6d6967

// Options tune Open; the zero value is usable.
type Options struct {
	// MaxConns bounds the pool (default 64). Update callbacks may read the
	// catalog while their transaction holds a connection, so keep it above
	// the number of concurrent writers.
	MaxConns int32
	// MaxRetries bounds the retries of a transaction that failed with a
	// serialization failure or deadlock (default 100).
	MaxRetries int
	// SearchPath, when set, is the schema search_path of every connection
	// (tests give each catalog its own schema).
	SearchPath string
	// Tracer, when set, sees every query (tests count the rows a listing
	// reads).
	Tracer pgx.QueryTracer
}

// Catalog is a catalog.Catalog on PostgreSQL.
type Catalog struct {
	pool       *pgxpool.Pool
	maxRetries int
	closed     atomic.Bool
	claims     atomic.Uint64 // ClaimToken calls, to purge expired tokens now and then
}

var _ catalog.Catalog = (*Catalog)(nil)

// Open connects to dsn (a postgres:// URL or key=value string), applies
// pending migrations and returns the catalog.
func Open(ctx context.Context, dsn string, opts Options) (*Catalog, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("catalog/postgres: %w", err)
	}
	cfg.MaxConns = 64
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	if opts.SearchPath != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = opts.SearchPath
	}
	if opts.Tracer != nil {
		cfg.ConnConfig.Tracer = opts.Tracer
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("catalog/postgres: %w", err)
	}
	c := &Catalog{pool: pool, maxRetries: 100}
	if opts.MaxRetries > 0 {
		c.maxRetries = opts.MaxRetries
	}
	if err := c.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return c, nil
}

// migrate applies the embedded migrations not yet recorded in
// schema_migrations, each in its own transaction, holding a session
// advisory lock so concurrent starters wait instead of racing.
func (c *Catalog) migrate(ctx context.Context) error {
	conn, err := c.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("catalog/postgres: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrateLockID); err != nil {
		return fmt.Errorf("catalog/postgres: migration lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrateLockID)

	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("catalog/postgres: %w", err)
	}
	var current int
	if err := conn.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&current); err != nil {
		return fmt.Errorf("catalog/postgres: %w", err)
	}
	steps, err := migrationSteps()
	if err != nil {
		return err
	}
	latest := 0
	if len(steps) > 0 {
		latest = steps[len(steps)-1].version
	}
	if current > latest {
		return fmt.Errorf("catalog/postgres: the database has schema version %d, newer than this build's %d: upgrade zonal", current, latest)
	}
	for _, s := range steps {
		if s.version <= current {
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, s.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version) VALUES ($1)", s.version)
			return err
		})
		if err != nil {
			return fmt.Errorf("catalog/postgres: migration %d: %w", s.version, err)
		}
	}
	return nil
}

type migrationStep struct {
	version int
	sql     string
}

// migrationSteps reads migrations/NNNN_name.sql in version order.
func migrationSteps() ([]migrationStep, error) {
	entries, err := fs.ReadDir(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	var steps []migrationStep
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("catalog/postgres: bad migration name %q", e.Name())
		}
		b, err := migrations.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		steps = append(steps, migrationStep{v, string(b)})
	}
	sort.Slice(steps, func(i, j int) bool { return steps[i].version < steps[j].version })
	return steps, nil
}

// Close closes the pool; later calls return catalog.ErrClosed.
func (c *Catalog) Close() error {
	if !c.closed.Swap(true) {
		c.pool.Close()
	}
	return nil
}

func (c *Catalog) check(ctx context.Context) error {
	if c.closed.Load() {
		return catalog.ErrClosed
	}
	return ctx.Err()
}

// retryable reports a failure that running the transaction again can fix:
// serialization failure, deadlock, or a unique-index race between two
// inserts of a key that was absent when both looked.
func retryable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "40001", "40P01", "23505":
			return true
		}
	}
	return false
}

// txErr wraps an error that came from the database (not from a caller's
// function, which is returned unchanged).
type txErr struct{ err error }

func (e txErr) Error() string { return "catalog/postgres: " + e.err.Error() }
func (e txErr) Unwrap() error { return e.err }

// inTx runs fn in a transaction and commits, retrying retryable failures
// with a short randomized backoff. fn's own errors (caller conditions,
// catalog errors) abort without retry and are returned unchanged.
func (c *Catalog) inTx(ctx context.Context, opts pgx.TxOptions, fn func(tx pgx.Tx) error) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		err := c.tryTx(ctx, opts, fn)
		if err == nil || !retryable(err) || attempt >= c.maxRetries {
			if c.closed.Load() && err != nil {
				return catalog.ErrClosed
			}
			return err
		}
		d := time.Duration(rand.Int64N(int64(time.Millisecond) << min(attempt, 6)))
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (c *Catalog) tryTx(ctx context.Context, opts pgx.TxOptions, fn func(tx pgx.Tx) error) (err error) {
	tx, err := c.pool.BeginTx(ctx, opts)
	if err != nil {
		return txErr{err}
	}
	defer func() {
		if err != nil {
			tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return txErr{err}
	}
	return nil
}

// dbErr marks an error from a statement so callers can tell it from fn's.
func dbErr(err error) error {
	if err == nil {
		return nil
	}
	var te txErr
	if errors.As(err, &te) {
		return err
	}
	return txErr{err}
}

// lockID is the transaction advisory lock id of a name made of parts
// (bucket and key, or an upload's part): FNV-1a, 64 bits. A collision
// only serialises two unrelated updates.
func lockID(parts ...string) int64 {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return int64(h.Sum64())
}

// lockIDs takes the transaction advisory locks ids in ascending order (the
// canonical order that keeps concurrent multi-key updates deadlock-free).
func lockIDs(ctx context.Context, tx pgx.Tx, ids []int64) error {
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for i, id := range ids {
		if i > 0 && id == ids[i-1] {
			continue
		}
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", id); err != nil {
			return dbErr(err)
		}
	}
	return nil
}

var readOnly = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}

// GetConfig implements catalog.Catalog.
func (c *Catalog) GetConfig(ctx context.Context, name string) ([]byte, error) {
	if err := c.check(ctx); err != nil {
		return nil, err
	}
	var v []byte
	err := c.pool.QueryRow(ctx, "SELECT value FROM config WHERE name = $1", name).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, catalog.ErrNotFound
	}
	if err != nil {
		return nil, c.wrap(err)
	}
	if v == nil {
		v = []byte{}
	}
	return v, nil
}

// wrap turns a pool error into catalog.ErrClosed after Close.
func (c *Catalog) wrap(err error) error {
	if err == nil {
		return nil
	}
	if c.closed.Load() {
		return catalog.ErrClosed
	}
	return dbErr(err)
}
