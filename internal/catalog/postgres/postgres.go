package postgres

import (
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"net"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/zonal-dev/zonal/internal/catalog"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrateLockID is the advisory lock taken while migrating ("zonalmig").
const migrateLockID int64 = 0x7a6f6e616c6d6967

// Options tune Open. Zero fields take the defaults DefaultOptions shows.
type Options struct {
	// MaxConns bounds the pool. Default (and when not positive):
	// max(16, 4 × GOMAXPROCS). A request holds a connection mostly while
	// it waits for the network or a commit's fsync, not for CPU, so a few
	// per core keep the cores busy, and 16 at least lets 16 concurrent
	// writers share one fsync (group commit). Every zonal process sharing the database opens up
	// to this many: keep processes × MaxConns under the server's
	// max_connections (100 by default). Update callbacks must not read
	// the catalog (the store's do not): with every connection held by
	// a writer, such a read would wait for a connection until
	// AcquireTimeout.
	MaxConns int32
	// StatementTimeout is the server-side statement_timeout and
	// lock_timeout of every connection. Default 10 s; negative: none.
	// A statement or lock wait that runs out fails with
	// catalog.ErrUnavailable (the database is too busy to answer).
	StatementTimeout time.Duration
	// AcquireTimeout bounds the wait for a pooled connection and for
	// dialing a new one, and how long a call keeps retrying while
	// PostgreSQL cannot be reached before it fails with
	// catalog.ErrUnavailable. Default (and when not positive) 5 s.
	AcquireTimeout time.Duration
	// ConnectWait is how long Open keeps trying to reach an unreachable
	// server (one starting along with zonal, say). Default 30 s;
	// negative: one attempt.
	ConnectWait time.Duration
	// MaxRetries bounds the retries of a transaction that failed with a
	// serialization failure or deadlock. Default 100.
	MaxRetries int
	// SearchPath, when set, is the schema search_path of every connection
	// (tests give each catalog its own schema).
	SearchPath string
	// Tracer, when set, sees every query (tests count the rows a listing
	// reads, and round trips when it is also a pgx.BatchTracer).
	Tracer pgx.QueryTracer
}

// DefaultOptions returns the options Open uses for zero fields.
func DefaultOptions() Options {
	return Options{
		MaxConns:         int32(max(16, 4*runtime.GOMAXPROCS(0))),
		StatementTimeout: 10 * time.Second,
		AcquireTimeout:   5 * time.Second,
		ConnectWait:      30 * time.Second,
		MaxRetries:       100,
	}
}

// withDefaults fills o's zero fields from DefaultOptions.
func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if o.MaxConns <= 0 {
		o.MaxConns = d.MaxConns
	}
	if o.AcquireTimeout <= 0 {
		o.AcquireTimeout = d.AcquireTimeout // no wait at all would fail every call
	}
	o.StatementTimeout = cmp.Or(o.StatementTimeout, d.StatementTimeout)
	o.ConnectWait = cmp.Or(o.ConnectWait, d.ConnectWait)
	o.MaxRetries = cmp.Or(o.MaxRetries, d.MaxRetries)
	return o
}

// Catalog is a catalog.Catalog on PostgreSQL.
type Catalog struct {
	pool   *pgxpool.Pool
	opts   Options // with defaults
	closed atomic.Bool
	claims atomic.Uint64 // ClaimToken calls, to purge expired tokens now and then
}

var _ catalog.Catalog = (*Catalog)(nil)

// Open connects to dsn (a postgres:// URL or key=value string), applies
// pending migrations and returns the catalog. While the server cannot be
// reached it keeps trying for opts.ConnectWait, then fails with an error
// naming host, port and database (never the password) that is
// catalog.ErrUnavailable.
func Open(ctx context.Context, dsn string, opts Options) (*Catalog, error) {
	opts = opts.withDefaults()
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres catalog: %w", err) // pgx masks the password
	}
	cfg.MaxConns = opts.MaxConns
	cfg.ConnConfig.ConnectTimeout = opts.AcquireTimeout
	if opts.StatementTimeout > 0 {
		ms := strconv.FormatInt(opts.StatementTimeout.Milliseconds(), 10)
		cfg.ConnConfig.RuntimeParams["statement_timeout"] = ms
		cfg.ConnConfig.RuntimeParams["lock_timeout"] = ms
	}
	if opts.SearchPath != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = opts.SearchPath
	}
	if opts.Tracer != nil {
		cfg.ConnConfig.Tracer = opts.Tracer
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres catalog: %w", err)
	}
	c := &Catalog{pool: pool, opts: opts}
	if err := c.connect(ctx, cfg); err != nil {
		pool.Close()
		return nil, err
	}
	if err := c.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return c, nil
}

// connect waits until a connection succeeds, for up to ConnectWait.
func (c *Catalog) connect(ctx context.Context, cfg *pgxpool.Config) error {
	deadline := time.Now().Add(c.opts.ConnectWait)
	for wait := 50 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		err := c.Ping(ctx)
		if err == nil || !errors.Is(err, catalog.ErrUnavailable) {
			return err
		}
		remaining := time.Until(deadline)
		if ctx.Err() != nil || remaining <= 0 {
			cause := err
			var te txErr
			if errors.As(err, &te) {
				cause = te.err
			}
			cc := cfg.ConnConfig
			return connectErr{net.JoinHostPort(cc.Host, strconv.Itoa(int(cc.Port))), cc.Database, cause}
		}
		select {
		case <-time.After(min(wait, remaining)):
		case <-ctx.Done():
		}
	}
}

// connectErr is Open's failure to reach the server: catalog.ErrUnavailable.
type connectErr struct {
	addr, db string
	err      error
}

func (e connectErr) Error() string {
	return fmt.Sprintf("postgres catalog: cannot connect to %s/%s: %v", e.addr, e.db, e.err)
}
func (e connectErr) Unwrap() error        { return e.err }
func (e connectErr) Is(target error) bool { return target == catalog.ErrUnavailable }

// Ping checks that the database answers now (one attempt, bounded by
// AcquireTimeout), for readiness probes: nil, or an error that is
// catalog.ErrUnavailable (or ErrClosed).
func (c *Catalog) Ping(ctx context.Context) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.AcquireTimeout)
	defer cancel()
	err := c.attempt(ctx, true, func(ctx context.Context, conn *pgxpool.Conn) error {
		return dbErr(conn.Ping(ctx))
	})
	switch {
	case err == nil:
		return nil
	case c.closed.Load():
		return catalog.ErrClosed
	case unavailable(err):
		return unavailableErr{err}
	}
	return err
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
	// Another process may hold the lock for a long migration: wait for it
	// whatever lock_timeout says, and let the migration take its time.
	if _, err := conn.Exec(ctx, "SET lock_timeout = 0; SET statement_timeout = 0"); err != nil {
		return fmt.Errorf("catalog/postgres: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "RESET lock_timeout; RESET statement_timeout")
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

var readOnly = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}

// GetConfig implements catalog.Catalog.
func (c *Catalog) GetConfig(ctx context.Context, name string) ([]byte, error) {
	if err := c.check(ctx); err != nil {
		return nil, err
	}
	var v []byte
	err := c.read(ctx, func(ctx context.Context, conn *pgxpool.Conn) error {
		err := conn.QueryRow(ctx, "SELECT value FROM config WHERE name = $1", name).Scan(&v)
		if errors.Is(err, pgx.ErrNoRows) {
			return catalog.ErrNotFound
		}
		return dbErr(err)
	})
	if err != nil {
		return nil, err
	}
	if v == nil {
		v = []byte{}
	}
	return v, nil
}
