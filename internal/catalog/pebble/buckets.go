package pebble

import (
	"context"

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
	return batch.Commit(pebble.Sync)
}

// GetBucket implements catalog.Catalog.
func (c *Catalog) GetBucket(ctx context.Context, name string) (catalog.Bucket, error) {
	if err := c.enter(ctx); err != nil {
		return catalog.Bucket{}, err
	}
	defer c.exit()
	return c.readBucket(name)
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
	prefix := objectPrefix(name)
	it, err := c.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return err
	}
	nonEmpty := it.First()
	err = it.Error()
	if cerr := it.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if nonEmpty {
		return catalog.ErrBucketNotEmpty
	}
	batch := c.db.NewBatch()
	defer batch.Close()
	if err := batch.Delete(bucketKey(name), nil); err != nil {
		return err
	}
	if err := batch.Delete(ownerKey(b.Owner, name), nil); err != nil {
		return err
	}
	return batch.Commit(pebble.Sync)
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
		b, derr := decodeBucket(name, it.Value())
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
