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

// keyStripes serialise UpdateObject per key while fn runs, outside the data
// lock, so fn may read the catalog (as it may with the durable engines).
const keyStripes = 256

// Catalog is an in-memory catalog. The zero value is not usable; call New.
type Catalog struct {
	seed     maphash.Seed
	keyLocks [keyStripes]sync.Mutex
	closed   atomic.Bool

	mu      sync.RWMutex // guards everything below
	buckets map[string]*bucket
	refs    map[string]int       // blob id -> records referencing it
	gc      map[string]time.Time // blob id -> queued at
	config  map[string][]byte
}

// bucket is a bucket's record and its objects: keys sorted for listing.
type bucket struct {
	info    catalog.Bucket
	keys    []string
	records map[string]*catalog.Object
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
	c.buckets[b.Name] = &bucket{info: b, records: make(map[string]*catalog.Object)}
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
	return b.info, nil
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
	if len(b.keys) > 0 {
		return catalog.ErrBucketNotEmpty
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
			out = append(out, b.info)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	if len(out) > limit {
		out = out[:max(limit, 0)]
	}
	return out, nil
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
	c.mu.Lock()
	defer c.mu.Unlock()
	c.config[name] = append([]byte{}, value...)
	return nil
}
