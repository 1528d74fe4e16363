package mem

import (
	"context"
	"fmt"
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
	return clone(o, true), nil
}

func (c *Catalog) keyStripe(bucket, key string) int {
	return int(maphash.String(c.seed, bucket+"\x00"+key) % keyStripes)
}

// UpdateObject implements catalog.Catalog.
func (c *Catalog) UpdateObject(ctx context.Context, bucketName, key string, fn catalog.ObjectUpdate) error {
	return c.UpdateObjects(ctx, []catalog.ObjectRef{{Bucket: bucketName, Key: key}}, catalog.UpdateOne(fn))
}

// UpdateObjects implements catalog.Catalog: the key stripes are taken in
// ascending order and held while fn runs outside the data lock.
func (c *Catalog) UpdateObjects(ctx context.Context, refs []catalog.ObjectRef, fn catalog.ObjectsUpdate) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	if err := catalog.CheckRefs(refs); err != nil {
		return err
	}
	stripes := make([]int, len(refs))
	for i, r := range refs {
		stripes[i] = c.keyStripe(r.Bucket, r.Key)
	}
	slices.Sort(stripes)
	stripes = slices.Compact(stripes)
	for _, s := range stripes {
		c.keyLocks[s].Lock()
	}
	defer func() {
		for _, s := range stripes {
			c.keyLocks[s].Unlock()
		}
	}()

	buckets := make([]*bucket, len(refs))
	cur := make([]*catalog.Object, len(refs))
	oldIDs := make([][]string, len(refs))
	c.mu.RLock()
	for i, r := range refs {
		b, ok := c.buckets[r.Bucket]
		if !ok {
			c.mu.RUnlock()
			return catalog.ErrNotFound
		}
		buckets[i] = b
		cur[i] = clone(b.records[r.Key], true)
		// Taken before fn, which may modify cur and hand it back.
		oldIDs[i] = catalog.BlobIDs(cur[i])
	}
	c.mu.RUnlock()

	next, err := fn(slices.Clone(cur))
	if err != nil {
		return err
	}
	if len(next) != len(refs) {
		return fmt.Errorf("catalog: UpdateObjects: fn returned %d records for %d keys", len(next), len(refs))
	}
	newIDs := make([][]string, len(refs))
	stored := make([]*catalog.Object, len(refs))
	for i, o := range next {
		if err := catalog.CheckObject(o); err != nil {
			return err
		}
		stored[i] = normalized(o, refs[i].Key)
		newIDs[i] = catalog.BlobIDs(stored[i])
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	for i, r := range refs {
		if c.buckets[r.Bucket] != buckets[i] {
			return catalog.ErrNotFound // deleted while fn ran
		}
	}
	for i, r := range refs {
		if stored[i] != nil || cur[i] != nil {
			buckets[i].put(r.Key, stored[i])
		}
	}
	c.applyRefs(catalog.RefDeltasOf(oldIDs, newIDs))
	return nil
}

// applyRefs applies reference changes; the caller holds c.mu.
func (c *Catalog) applyRefs(deltas []catalog.RefDelta) {
	now := time.Now()
	for _, d := range deltas {
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
	return catalog.ListWithUploads(&iter{b: b, i: -1}, &uploadKeys{uploadIter{b: b, i: -1}}, q)
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

// Object returns the record without its inline bytes, as a listing must.
func (it *iter) Object() (*catalog.Object, error) {
	return clone(it.b.records[it.b.keys[it.i]], false), nil
}

func (it *iter) Err() error { return nil }

// normalized returns the copy of o the catalog keeps: its own memory,
// stored under key, in the canonical form the durable engines read back
// (inline extents with Length set and non-nil bytes, empty optional fields
// nil), so both engines return identical records.
func normalized(o *catalog.Object, key string) *catalog.Object {
	if o == nil {
		return nil
	}
	n := clone(o, true)
	n.Key = key
	n.Headers, n.Meta, n.Checksums = emptyNil(n.Headers), emptyNil(n.Meta), emptyNil(n.Checksums)
	if len(n.PartList) == 0 {
		n.PartList = nil
	}
	n.WrappedKey = cloneBytes(n.WrappedKey)
	if len(n.Extents) == 0 {
		n.Extents = nil
	}
	n.Extents = normalizeExtents(n.Extents)
	return n
}

func normalizeExtents(extents []catalog.Extent) []catalog.Extent {
	for i := range extents {
		e := &extents[i]
		if e.BlobID == "" {
			if e.Inline == nil {
				e.Inline = []byte{}
			}
			e.Length = int64(len(e.Inline))
		} else {
			e.Inline = nil
		}
		e.IV = cloneBytes(e.IV)
	}
	return extents
}

func emptyNil(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

// clone deep-copies o so callers never share memory with the store; with
// data false, inline extents keep their Length but not their bytes.
func clone(o *catalog.Object, data bool) *catalog.Object {
	if o == nil {
		return nil
	}
	c := *o
	c.Headers = maps.Clone(o.Headers)
	c.Meta = maps.Clone(o.Meta)
	c.Checksums = maps.Clone(o.Checksums)
	c.PartList = slices.Clone(o.PartList)
	c.WrappedKey = slices.Clone(o.WrappedKey)
	c.Extents = cloneExtents(o.Extents, data)
	return &c
}

func cloneExtents(extents []catalog.Extent, data bool) []catalog.Extent {
	if extents == nil {
		return nil
	}
	out := make([]catalog.Extent, len(extents))
	for i, e := range extents {
		switch {
		case !data:
			e.Inline = nil
		case e.Inline != nil:
			e.Inline = append([]byte{}, e.Inline...)
		}
		e.IV = slices.Clone(e.IV)
		out[i] = e
	}
	return out
}
