// Package mem is an in-memory catalog.Catalog for tests. It keeps the same
// semantics as the durable engines (per-key serialised updates, blob
// reference counts, GC queue, shared listing logic) without durability.
package mem

import (
	"context"
	"hash/maphash"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// Stripes serialise the read-modify-write operations that call back into
// the caller while the data lock is not held, so fn may read the catalog
// (as it may with the durable engines): key stripes per object key (taken
// in ascending order by UpdateObjects), upload stripes per upload (PutPart
// shared; CompleteUpload and AbortUpload exclusive), config stripes per
// bucket for UpdateBucket. Order: config | key -> upload.
const (
	keyStripes    = 256
	uploadStripes = 64
	configStripes = 16
)

// Catalog is an in-memory catalog. The zero value is not usable; call New.
type Catalog struct {
	seed        maphash.Seed
	keyLocks    [keyStripes]sync.Mutex
	uploadLocks [uploadStripes]sync.RWMutex
	configLocks [configStripes]sync.Mutex
	closed      atomic.Bool
	configMu    sync.Mutex // serialises UpdateConfig
	changes     catalog.LocalChanges
	tokens      catalog.LocalTokens

	mu      sync.RWMutex // guards everything below
	buckets map[string]*bucket
	refs    map[string]int       // blob id -> records referencing it
	gc      map[string]time.Time // blob id -> queued at
	config  map[string][]byte
	aps     map[string]catalog.AccessPoint // by name
}

// bucket is a bucket's record, its objects (keys sorted for listing) and
// its uploads (sorted by key, then id).
type bucket struct {
	info    catalog.Bucket
	keys    []string
	records map[string]*catalog.Object
	uploads []uploadRef
	upload  map[uploadRef]*upload
}

type uploadRef struct{ key, id string }

type upload struct {
	info  catalog.Upload
	parts map[int]*catalog.Part
}

var _ catalog.Catalog = (*Catalog)(nil)

// New returns an empty catalog.
func New() *Catalog {
	return &Catalog{
		seed:    maphash.MakeSeed(),
		buckets: make(map[string]*bucket),
		refs:    make(map[string]int),
		gc:      make(map[string]time.Time),
		config:  make(map[string][]byte),
		aps:     make(map[string]catalog.AccessPoint),
	}
}

func (c *Catalog) check(ctx context.Context) error {
	if c.closed.Load() {
		return catalog.ErrClosed
	}
	return ctx.Err()
}

// Close marks the catalog closed; later calls return catalog.ErrClosed.
func (c *Catalog) Close() error {
	c.closed.Store(true)
	return nil
}

// CreateBucket implements catalog.Catalog.
func (c *Catalog) CreateBucket(ctx context.Context, b catalog.Bucket) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.buckets[b.Name]; ok {
		return catalog.ErrExists
	}
	b = cloneBucket(b)
	c.buckets[b.Name] = &bucket{info: b, records: make(map[string]*catalog.Object), upload: make(map[uploadRef]*upload)}
	return nil
}

// GetBucket implements catalog.Catalog.
func (c *Catalog) GetBucket(ctx context.Context, name string) (catalog.Bucket, error) {
	if err := c.check(ctx); err != nil {
		return catalog.Bucket{}, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	b, ok := c.buckets[name]
	if !ok {
		return catalog.Bucket{}, catalog.ErrNotFound
	}
	return cloneBucket(b.info), nil
}

// DeleteBucket implements catalog.Catalog.
func (c *Catalog) DeleteBucket(ctx context.Context, name string) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.buckets[name]
	if !ok {
		return catalog.ErrNotFound
	}
	if len(b.keys) > 0 || len(b.uploads) > 0 {
		return catalog.ErrBucketNotEmpty
	}
	for _, a := range c.aps {
		if a.Bucket == name {
			return catalog.ErrBucketHasAccessPoints
		}
	}
	delete(c.buckets, name)
	return nil
}

// ListBuckets implements catalog.Catalog. An empty owner lists every bucket.
func (c *Catalog) ListBuckets(ctx context.Context, owner, after string, limit int) ([]catalog.Bucket, error) {
	if err := c.check(ctx); err != nil {
		return nil, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []catalog.Bucket
	for _, b := range c.buckets {
		if (owner == "" || b.info.Owner == owner) && b.info.Name > after {
			out = append(out, cloneBucket(b.info))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	if len(out) > limit {
		out = out[:max(limit, 0)]
	}
	return out, nil
}

// UpdateBucket implements catalog.Catalog: fn runs outside the data lock
// under the bucket's config stripe; the commit checks the bucket was not
// deleted (or deleted and re-created) meanwhile.
func (c *Catalog) UpdateBucket(ctx context.Context, name string, fn func(b *catalog.Bucket) error) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	lock := &c.configLocks[maphash.String(c.seed, name)%configStripes]
	lock.Lock()
	defer lock.Unlock()
	c.mu.RLock()
	b, ok := c.buckets[name]
	var old catalog.Bucket
	if ok {
		old = cloneBucket(b.info)
	}
	c.mu.RUnlock()
	if !ok {
		return catalog.ErrNotFound
	}
	next := cloneBucket(old)
	if err := fn(&next); err != nil {
		return err
	}
	if err := catalog.CheckBucketUpdate(old, next); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.buckets[name] != b {
		return catalog.ErrNotFound
	}
	b.info = cloneBucket(next)
	return nil
}

func cloneBucket(b catalog.Bucket) catalog.Bucket {
	b.Policy = cloneBytes(b.Policy)
	b.Encryption = cloneBytes(b.Encryption)
	b.Lifecycle = cloneBytes(b.Lifecycle)
	b.Tags = catalog.CloneTags(b.Tags)
	return b
}

// cloneBytes copies b; empty reads back as nil, as with the durable engines.
func cloneBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte{}, b...)
}

// GetConfig implements catalog.Catalog.
func (c *Catalog) GetConfig(ctx context.Context, name string) ([]byte, error) {
	if err := c.check(ctx); err != nil {
		return nil, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := c.config[name]
	if !ok {
		return nil, catalog.ErrNotFound
	}
	return append([]byte{}, v...), nil
}

// PutConfig implements catalog.Catalog.
func (c *Catalog) PutConfig(ctx context.Context, name string, value []byte) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	c.configMu.Lock()
	defer c.configMu.Unlock()
	c.mu.Lock()
	c.config[name] = append([]byte{}, value...)
	c.mu.Unlock()
	c.changes.Record(name, value)
	return nil
}

// UpdateConfig implements catalog.Catalog.
func (c *Catalog) UpdateConfig(ctx context.Context, name string, fn func(cur []byte) ([]byte, error)) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	c.configMu.Lock() // serialises updaters; readers only wait for the store below
	defer c.configMu.Unlock()
	c.mu.RLock()
	cur, ok := c.config[name]
	c.mu.RUnlock()
	var in []byte
	if ok {
		in = append([]byte{}, cur...)
	}
	next, err := fn(in)
	if err != nil || next == nil {
		return err
	}
	c.mu.Lock()
	c.config[name] = append([]byte{}, next...)
	c.mu.Unlock()
	c.changes.Record(name, next)
	return nil
}

// ConfigChanges implements catalog.Catalog.
func (c *Catalog) ConfigChanges(ctx context.Context, prefix string, cursor uint64) ([]catalog.ConfigValue, uint64, error) {
	if err := c.check(ctx); err != nil {
		return nil, 0, err
	}
	vs, next := c.changes.Since(prefix, cursor)
	return vs, next, nil
}

// ClaimToken implements catalog.Catalog.
func (c *Catalog) ClaimToken(ctx context.Context, scope, token string, value []byte, ttl time.Duration) ([]byte, error) {
	if err := c.check(ctx); err != nil {
		return nil, err
	}
	return c.tokens.Claim(scope, token, value, ttl, time.Now()), nil
}
