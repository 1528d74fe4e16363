package mem

import (
	"context"
	"hash/maphash"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// GetObject implements catalog.Catalog.
func (c *Catalog) GetObject(ctx context.Context, bucketName, key string) (*catalog.Object, error) {
	if err := c.check(ctx); err != nil {
		return nil, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	b, ok := c.buckets[bucketName]
	if !ok {
		return nil, catalog.ErrNotFound
	}
	o, ok := b.records[key]
	if !ok {
		return nil, catalog.ErrNotFound
	}
	return clone(o), nil
}

// UpdateObject implements catalog.Catalog.
func (c *Catalog) UpdateObject(ctx context.Context, bucketName, key string, fn catalog.ObjectUpdate) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	lock := &c.keyLocks[maphash.String(c.seed, bucketName+"\x00"+key)%keyStripes]
	lock.Lock()
	defer lock.Unlock()

	c.mu.RLock()
	b, ok := c.buckets[bucketName]
	var cur *catalog.Object
	if ok {
		cur = clone(b.records[key])
	}
	c.mu.RUnlock()
	if !ok {
		return catalog.ErrNotFound
	}

	// Taken before fn, which may modify cur and hand it back.
	oldIDs := catalog.BlobIDs(cur)
	next, err := fn(cur)
	if err != nil {
		return err
	}
	if next == nil && cur == nil {
		return nil
	}
	next = clone(next)
	if next != nil {
		next.Key = key
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.buckets[bucketName] != b {
		return catalog.ErrNotFound // deleted while fn ran
	}
	b.put(key, next)
	now := time.Now()
	for _, d := range catalog.RefDeltas(oldIDs, catalog.BlobIDs(next)) {
		n := c.refs[d.BlobID] + d.Delta
		switch {
		case n > 0:
			c.refs[d.BlobID] = n
			delete(c.gc, d.BlobID) // referenced again: not garbage
		default:
			delete(c.refs, d.BlobID)
			c.gc[d.BlobID] = now
		}
	}
	return nil
}

// put stores o under key, or deletes key when o is nil, keeping keys sorted.
func (b *bucket) put(key string, o *catalog.Object) {
	i, found := slices.BinarySearch(b.keys, key)
	switch {
	case o == nil && found:
		b.keys = slices.Delete(b.keys, i, i+1)
		delete(b.records, key)
	case o != nil && !found:
		b.keys = slices.Insert(b.keys, i, key)
		b.records[key] = o
	case o != nil:
		b.records[key] = o
	}
}

// ListObjects implements catalog.Catalog.
func (c *Catalog) ListObjects(ctx context.Context, q catalog.ListQuery) (catalog.ListPage, error) {
	if err := c.check(ctx); err != nil {
		return catalog.ListPage{}, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	b, ok := c.buckets[q.Bucket]
	if !ok {
		return catalog.ListPage{}, catalog.ErrNotFound
	}
	return catalog.List(&iter{b: b, i: -1}, q)
}

// iter walks a bucket's sorted keys for catalog.List.
type iter struct {
	b *bucket
	i int
}

func (it *iter) SeekGE(key string) bool {
	it.i = sort.SearchStrings(it.b.keys, key)
	return it.i < len(it.b.keys)
}

func (it *iter) Next() bool {
	it.i++
	return it.i < len(it.b.keys)
}

func (it *iter) Key() string { return it.b.keys[it.i] }

func (it *iter) Object() (*catalog.Object, error) {
	return clone(it.b.records[it.b.keys[it.i]]), nil
}

func (it *iter) Err() error { return nil }

// clone deep-copies o so callers never share memory with the store.
func clone(o *catalog.Object) *catalog.Object {
	if o == nil {
		return nil
	}
	c := *o
	c.Headers = maps.Clone(o.Headers)
	c.Meta = maps.Clone(o.Meta)
	c.Checksums = maps.Clone(o.Checksums)
	if o.Extents != nil {
		c.Extents = make([]catalog.Extent, len(o.Extents))
		for i, e := range o.Extents {
			if e.Inline != nil {
				e.Inline = append([]byte{}, e.Inline...)
			}
			c.Extents[i] = e
		}
	}
	return &c
}
