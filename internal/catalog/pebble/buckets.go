package pebble

import (
	"context"
	"slices"

	"github.com/cockroachdb/pebble/v2"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// CreateBucket implements catalog.Catalog. The record is written twice, by
// name and under its owner, so ListBuckets for an account is a range scan.
func (c *Catalog) CreateBucket(ctx context.Context, b catalog.Bucket) error {
	if err := c.enter(ctx); err != nil {
		return err
	}
	defer c.exit()
	l := c.locks.bucket(b.Name)
	l.Lock()
	defer l.Unlock()
	bk := bucketKey(b.Name)
	if ok, err := c.has(bk); err != nil {
		return err
	} else if ok {
		return catalog.ErrExists
	}
	rec := encodeBucket(b)
	batch := c.db.NewBatch()
	defer batch.Close()
	if err := batch.Set(bk, rec, nil); err != nil {
		return err
	}
	if err := batch.Set(ownerKey(b.Owner, b.Name), rec, nil); err != nil {
		return err
	}
	err := batch.Commit(pebble.Sync)
	c.records.Delete(b.Name)
	return err
}

// GetBucket implements catalog.Catalog.
func (c *Catalog) GetBucket(ctx context.Context, name string) (catalog.Bucket, error) {
	if err := c.enter(ctx); err != nil {
		return catalog.Bucket{}, err
	}
	defer c.exit()
	if v, ok := c.records.Load(name); ok {
		return ownCopy(v.(catalog.Bucket)), nil
	}
	defer c.lockConfig(name)()
	b, err := c.readBucket(name)
	if err != nil {
		return b, err
	}
	c.records.Store(name, b)
	return ownCopy(b), nil
}

// ownCopy gives the caller its own copy of b's documents (most buckets
// have none, so the common case allocates nothing).
func ownCopy(b catalog.Bucket) catalog.Bucket {
	b.Policy, b.Encryption, b.Lifecycle = cloneNonEmpty(b.Policy), cloneNonEmpty(b.Encryption), cloneNonEmpty(b.Lifecycle)
	b.Tags = catalog.CloneTags(b.Tags)
	return b
}

func cloneNonEmpty(b []byte) []byte {
	if len(b) == 0 {
		return b
	}
	return slices.Clone(b)
}

// lockConfig takes name's bucket stripe shared and its config stripe
// exclusively (the order every holder of both uses) and returns the
// unlock.
func (c *Catalog) lockConfig(name string) (unlock func()) {
	bl, cl := c.locks.bucket(name), c.locks.config(name)
	bl.RLock()
	cl.Lock()
	return func() { cl.Unlock(); bl.RUnlock() }
}

func (c *Catalog) readBucket(name string) (catalog.Bucket, error) {
	v, ok, err := c.get(bucketKey(name))
	if err != nil {
		return catalog.Bucket{}, err
	}
	if !ok {
		return catalog.Bucket{}, catalog.ErrNotFound
	}
	return decodeBucket(name, v)
}

// DeleteBucket implements catalog.Catalog. Holding the bucket's stripe
// exclusively keeps updates out between the emptiness check and the commit.
func (c *Catalog) DeleteBucket(ctx context.Context, name string) error {
	if err := c.enter(ctx); err != nil {
		return err
	}
	defer c.exit()
	l := c.locks.bucket(name)
	l.Lock()
	defer l.Unlock()
	b, err := c.readBucket(name)
	if err != nil {
		return err
	}
	// Objects and uploads are only created under the bucket's stripe held
	// shared, so with it held exclusively neither table can gain a key.
	for _, prefix := range [][]byte{objectPrefix(name), uploadPrefix(name)} {
		if nonEmpty, err := c.anyKey(ctx, prefix); err != nil {
			return err
		} else if nonEmpty {
			return catalog.ErrBucketNotEmpty
		}
	}
	// Access points are created under the bucket's stripe held shared too.
	if attached, err := c.anyKey(ctx, bucketTablePrefix(tableBucketAP, name)); err != nil {
		return err
	} else if attached {
		return catalog.ErrBucketHasAccessPoints
	}
	batch := c.db.NewBatch()
	defer batch.Close()
	if err := batch.Delete(bucketKey(name), nil); err != nil {
		return err
	}
	if err := batch.Delete(ownerKey(b.Owner, name), nil); err != nil {
		return err
	}
	if err := batch.Commit(pebble.Sync); err != nil {
		return err
	}
	c.live.Delete(name)
	c.records.Delete(name)
	return nil
}

// anyKey reports whether any key starts with prefix.
func (c *Catalog) anyKey(ctx context.Context, prefix []byte) (bool, error) {
	it, err := c.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return false, err
	}
	found := it.First()
	err = it.Error()
	if cerr := it.Close(); err == nil {
		err = cerr
	}
	return found, err
}

// UpdateBucket implements catalog.Catalog. The bucket's stripe is held
// shared (DeleteBucket and CreateBucket cannot run meanwhile, object
// updates can) and its config stripe exclusively; both copies of the record
// (by name and by owner) are rewritten in one batch.
func (c *Catalog) UpdateBucket(ctx context.Context, name string, fn func(b *catalog.Bucket) error) error {
	if err := c.enter(ctx); err != nil {
		return err
	}
	defer c.exit()
	defer c.lockConfig(name)()
	old, err := c.readBucket(name)
	if err != nil {
		return err
	}
	b := old
	b.Policy = slices.Clone(old.Policy)
	b.Encryption = slices.Clone(old.Encryption)
	b.Lifecycle = slices.Clone(old.Lifecycle)
	b.Tags = catalog.CloneTags(old.Tags)
	if err := fn(&b); err != nil {
		return err
	}
	if err := catalog.CheckBucketUpdate(old, b); err != nil {
		return err
	}
	rec := encodeBucket(b)
	batch := c.db.NewBatch()
	defer batch.Close()
	if err := batch.Set(bucketKey(name), rec, nil); err != nil {
		return err
	}
	if err := batch.Set(ownerKey(b.Owner, name), rec, nil); err != nil {
		return err
	}
	err = batch.Commit(pebble.Sync)
	c.records.Delete(name)
	return err
}

// ListBuckets implements catalog.Catalog. An empty owner lists every bucket.
func (c *Catalog) ListBuckets(ctx context.Context, owner, after string, limit int) ([]catalog.Bucket, error) {
	if err := c.enter(ctx); err != nil {
		return nil, err
	}
	defer c.exit()
	if limit <= 0 {
		return nil, nil
	}
	prefix := []byte{tableBucket}
	if owner != "" {
		prefix = ownerPrefix(owner)
	}
	it, err := c.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return nil, err
	}
	var out []catalog.Bucket
	start := append(append([]byte{}, prefix...), after...)
	for ok := it.SeekGE(start); ok && len(out) < limit; ok = it.Next() {
		name := string(it.Key()[len(prefix):])
		if name == after {
			continue
		}
		b, derr := decodeBucket(name, append([]byte{}, it.Value()...))
		if derr != nil {
			it.Close()
			return nil, derr
		}
		out = append(out, b)
	}
	err = it.Error()
	if cerr := it.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}
