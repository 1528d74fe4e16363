// Package pebble is zonal's default catalog.Catalog, on the Pebble v2
// key-value engine. Every mutation is one Pebble batch committed with
// pebble.Sync, so a nil error means the change is in the fsynced WAL.
// Pebble group-commits concurrent synced batches, so writers are only ever
// serialised per object key, per upload and per shared blob, never
// globally. keys.go describes the key layout, record.go the record formats,
// locks.go the lock striping.
package pebble

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// Defaults for Open's options.
const (
	DefaultCacheSize       = 128 << 20
	DefaultValueSeparation = 1 << 10
)

// Option configures Open.
type Option func(*options)

type options struct {
	cacheSize int64
	fs        vfs.FS
	logger    pebble.Logger
	valueSep  int // separate values of at least this many bytes; 0: off
}

// WithCacheSize sets Pebble's block cache size in bytes.
func WithCacheSize(bytes int64) Option { return func(o *options) { o.cacheSize = bytes } }

// WithFS makes Pebble keep its files in fs instead of the OS filesystem
// (tests pass vfs.NewMem or vfs.NewCrashableMem).
func WithFS(fs vfs.FS) Option { return func(o *options) { o.fs = fs } }

// WithValueSeparation makes Pebble keep values of at least minBytes (the
// inline data records of small objects) in separate blob files, which
// compactions move by reference instead of rewriting; 0 turns it off. In
// benchmarks this about doubles synced PUT throughput of inline objects.
func WithValueSeparation(minBytes int) Option { return func(o *options) { o.valueSep = minBytes } }

// WithLogger sets Pebble's logger (default: the standard log package).
func WithLogger(l pebble.Logger) Option { return func(o *options) { o.logger = l } }

// Catalog is the Pebble catalog engine.
type Catalog struct {
	db    *pebble.DB
	locks locks
	// live holds names of buckets known to exist, so the existence check
	// every object write makes (a Pebble point read, about 5% of a 4 KiB
	// PUT's CPU) is a map lookup. Writers check it with the bucket's
	// stripe held shared; DeleteBucket removes the name with the stripe
	// held exclusively, after its commit, so no check can see a deleted
	// bucket as live.
	live sync.Map // bucket name -> struct{}
	// records caches decoded bucket records for GetBucket, which every
	// session-signed request makes (to check the session's bucket
	// incarnation). An entry is filled with the bucket stripe held shared
	// and the config stripe held, and dropped by UpdateBucket (config
	// stripe) and Create/DeleteBucket (bucket stripe exclusive) before they
	// return, so a cached record is never older than the last write that
	// returned. Callers must not modify the returned slices.
	records sync.Map // bucket name -> catalog.Bucket
	// hot caches object records for GetObject (see hotObjects).
	hot hotObjects

	// Operations count themselves in inflight; Close sets closed and waits
	// for them to drain, so no call ever touches a closed DB. A counter,
	// unlike an RWMutex, lets an UpdateObject fn call back into the catalog
	// while Close waits.
	inflight atomic.Int64
	closed   atomic.Bool

	configMu sync.Mutex // serialises PutConfig and UpdateConfig
	changes  catalog.LocalChanges
	tokens   catalog.LocalTokens
}

var _ catalog.Catalog = (*Catalog)(nil)

// Open opens (creating if needed) the catalog database in dir.
func Open(dir string, opts ...Option) (*Catalog, error) {
	o := options{cacheSize: DefaultCacheSize, valueSep: DefaultValueSeparation}
	for _, opt := range opts {
		opt(&o)
	}
	db, err := pebble.Open(dir, pebbleOptions(o))
	if err != nil {
		return nil, fmt.Errorf("catalog/pebble: open %s: %w", dir, err)
	}
	c := &Catalog{db: db}
	c.locks.seed = maphash.MakeSeed()
	if err := c.checkSchema(); err != nil {
		db.Close()
		return nil, err
	}
	return c, nil
}

// pebbleOptions tunes Pebble for small records written with a synced batch
// each: durability comes from the per-batch WAL sync (group-committed), not
// from any background setting.
func pebbleOptions(o options) *pebble.Options {
	po := &pebble.Options{
		FS:                 o.fs,
		CacheSize:          o.cacheSize,
		Logger:             o.logger,
		FormatMajorVersion: pebble.FormatNewest,
		// Inline object bytes make data records up to tens of KiB: a
		// larger memtable flushes less often and absorbs overwrites of
		// hot keys.
		MemTableSize:                32 << 20,
		MemTableStopWritesThreshold: 4,
		// Compact L0 early and let compactions run in parallel so write
		// bursts do not stall on read amplification.
		L0CompactionThreshold: 2,
		L0StopWritesThreshold: 36,
		CompactionConcurrencyRange: func() (int, int) {
			return 1, max(1, min(4, runtime.NumCPU()/2))
		},
	}
	if o.valueSep > 0 {
		// Inline object bytes (table 'd') dominate the database; without
		// separation every compaction rewrites them. Garbage from overwritten objects
		// is reclaimed by rewriting blob files once 20% of one is dead.
		po.Experimental.ValueSeparationPolicy = func() pebble.ValueSeparationPolicy {
			return pebble.ValueSeparationPolicy{
				Enabled:               true,
				MinimumSize:           o.valueSep,
				MaxBlobReferenceDepth: 10,
				RewriteMinimumAge:     5 * time.Minute,
				TargetGarbageRatio:    0.2,
			}
		}
	}
	// Every GET, HEAD and PUT does point lookups (object, bucket, refcount):
	// bloom filters let them skip tables that cannot hold the key.
	for i := range po.Levels {
		po.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	return po
}

// checkSchema stamps a new database with the key layout version and refuses
// one written with a layout this code does not know.
func (c *Catalog) checkSchema() error {
	v, ok, err := c.get(schemaKey)
	if err != nil {
		return err
	}
	if !ok {
		return c.db.Set(schemaKey, []byte{schemaVersion}, pebble.Sync)
	}
	if len(v) != 1 || v[0] != schemaVersion {
		// Version 1 (inline bytes inside object records, no uploads) was
		// never released: there is nothing to migrate, and guessing at a
		// layout would corrupt data, so refuse.
		return fmt.Errorf("catalog/pebble: database schema version %v, this build reads only version %d", v, schemaVersion)
	}
	return nil
}

// enter admits an operation unless the catalog is closed or ctx is done;
// each successful enter must be paired with exit.
func (c *Catalog) enter(ctx context.Context) error {
	c.inflight.Add(1)
	if c.closed.Load() {
		c.inflight.Add(-1)
		return catalog.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		c.inflight.Add(-1)
		return err
	}
	return nil
}

func (c *Catalog) exit() { c.inflight.Add(-1) }

// Close waits for running operations and closes the database. Later calls
// return catalog.ErrClosed.
func (c *Catalog) Close() error {
	if c.closed.Swap(true) {
		return catalog.ErrClosed
	}
	for c.inflight.Load() > 0 {
		time.Sleep(time.Millisecond)
	}
	return c.db.Close()
}

// get returns a copy of key's value; ok is false when the key is absent.
func (c *Catalog) get(key []byte) (value []byte, ok bool, err error) {
	return getFrom(c.db, key)
}

// getFrom is get on any Pebble reader (the DB or a snapshot).
func getFrom(r pebble.Reader, key []byte) (value []byte, ok bool, err error) {
	v, closer, err := r.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	value = append(make([]byte, 0, len(v)), v...)
	return value, true, closer.Close()
}

// has reports whether key exists.
func (c *Catalog) has(key []byte) (bool, error) { return hasIn(c.db, key) }

// hasIn is has on any Pebble reader.
func hasIn(r pebble.Reader, key []byte) (bool, error) {
	_, closer, err := r.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, closer.Close()
}

// GetConfig implements catalog.Catalog.
func (c *Catalog) GetConfig(ctx context.Context, name string) ([]byte, error) {
	if err := c.enter(ctx); err != nil {
		return nil, err
	}
	defer c.exit()
	v, ok, err := c.get(configKey(name))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, catalog.ErrNotFound
	}
	return v, nil
}

// PutConfig implements catalog.Catalog.
func (c *Catalog) PutConfig(ctx context.Context, name string, value []byte) error {
	if err := c.enter(ctx); err != nil {
		return err
	}
	defer c.exit()
	c.configMu.Lock()
	defer c.configMu.Unlock()
	if err := c.db.Set(configKey(name), value, pebble.Sync); err != nil {
		return err
	}
	c.changes.Record(name, value)
	return nil
}

// UpdateConfig implements catalog.Catalog. One process owns a Pebble
// catalog, so a mutex is the whole of the serialisation.
func (c *Catalog) UpdateConfig(ctx context.Context, name string, fn func(cur []byte) ([]byte, error)) error {
	if err := c.enter(ctx); err != nil {
		return err
	}
	defer c.exit()
	c.configMu.Lock()
	defer c.configMu.Unlock()
	cur, _, err := c.get(configKey(name))
	if err != nil {
		return err
	}
	next, err := fn(cur)
	if err != nil || next == nil {
		return err
	}
	if err := c.db.Set(configKey(name), next, pebble.Sync); err != nil {
		return err
	}
	c.changes.Record(name, next)
	return nil
}

// ConfigChanges implements catalog.Catalog with the changes made since Open.
func (c *Catalog) ConfigChanges(ctx context.Context, prefix string, cursor uint64) ([]catalog.ConfigValue, uint64, error) {
	if err := c.enter(ctx); err != nil {
		return nil, 0, err
	}
	defer c.exit()
	vs, next := c.changes.Since(prefix, cursor)
	return vs, next, nil
}

// ClaimToken implements catalog.Catalog. Tokens are kept in memory: they
// serve client retries, which a restart of the only process ends anyway.
func (c *Catalog) ClaimToken(ctx context.Context, scope, token string, value []byte, ttl time.Duration) ([]byte, error) {
	if err := c.enter(ctx); err != nil {
		return nil, err
	}
	defer c.exit()
	return c.tokens.Claim(scope, token, value, ttl, time.Now()), nil
}
