package pebble

import (
	"context"

	"github.com/cockroachdb/pebble/v2"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// Access points live in 'a' by name, with an empty 'A' entry under their
// bucket that DeleteBucket checks. An access point's own changes are
// serialised by a config stripe of its name (the prefix keeps it apart
// from bucket names, which never start with a 0 byte); creation also holds
// its bucket's stripe shared, so it cannot race DeleteBucket.

func apKey(name string) []byte { return simpleKey(tableAP, name) }

func bucketAPKey(bucket, name string) []byte {
	return append(bucketTablePrefix(tableBucketAP, bucket), name...)
}

func (c *Catalog) lockAP(name string) (unlock func()) {
	l := c.locks.config("\x00ap:" + name)
	l.Lock()
	return l.Unlock
}

// CreateAccessPoint implements catalog.AccessPoints.
func (c *Catalog) CreateAccessPoint(ctx context.Context, a catalog.AccessPoint) error {
	if err := c.enter(ctx); err != nil {
		return err
	}
	defer c.exit()
	bl := c.locks.bucket(a.Bucket)
	bl.RLock()
	defer bl.RUnlock()
	defer c.lockAP(a.Name)()
	if ok, err := c.has(bucketKey(a.Bucket)); err != nil {
		return err
	} else if !ok {
		return catalog.ErrNotFound
	}
	if ok, err := c.has(apKey(a.Name)); err != nil {
		return err
	} else if ok {
		return catalog.ErrExists
	}
	batch := c.db.NewBatch()
	defer batch.Close()
	if err := batch.Set(apKey(a.Name), catalog.EncodeAccessPoint(a), nil); err != nil {
		return err
	}
	if err := batch.Set(bucketAPKey(a.Bucket, a.Name), nil, nil); err != nil {
		return err
	}
	return batch.Commit(pebble.Sync)
}

func (c *Catalog) readAP(name string) (catalog.AccessPoint, error) {
	v, ok, err := c.get(apKey(name))
	if err != nil {
		return catalog.AccessPoint{}, err
	}
	if !ok {
		return catalog.AccessPoint{}, catalog.ErrNotFound
	}
	return catalog.DecodeAccessPoint(name, v)
}

// GetAccessPoint implements catalog.AccessPoints.
func (c *Catalog) GetAccessPoint(ctx context.Context, name string) (catalog.AccessPoint, error) {
	if err := c.enter(ctx); err != nil {
		return catalog.AccessPoint{}, err
	}
	defer c.exit()
	return c.readAP(name)
}

// UpdateAccessPoint implements catalog.AccessPoints.
func (c *Catalog) UpdateAccessPoint(ctx context.Context, name string, fn func(a *catalog.AccessPoint) error) error {
	if err := c.enter(ctx); err != nil {
		return err
	}
	defer c.exit()
	defer c.lockAP(name)()
	old, err := c.readAP(name)
	if err != nil {
		return err
	}
	next, err := catalog.UpdatedAccessPoint(old, fn)
	if err != nil {
		return err
	}
	return c.db.Set(apKey(name), catalog.EncodeAccessPoint(next), pebble.Sync)
}

// DeleteAccessPoint implements catalog.AccessPoints.
func (c *Catalog) DeleteAccessPoint(ctx context.Context, name string) error {
	if err := c.enter(ctx); err != nil {
		return err
	}
	defer c.exit()
	defer c.lockAP(name)()
	a, err := c.readAP(name)
	if err != nil {
		return err
	}
	batch := c.db.NewBatch()
	defer batch.Close()
	if err := batch.Delete(apKey(name), nil); err != nil {
		return err
	}
	if err := batch.Delete(bucketAPKey(a.Bucket, name), nil); err != nil {
		return err
	}
	return batch.Commit(pebble.Sync)
}

// ListAccessPoints implements catalog.AccessPoints. It scans every access
// point of the catalog: AWS allows 10,000 per account and region, and the
// listing is a rare control-plane call.
func (c *Catalog) ListAccessPoints(ctx context.Context, owner, bucket, after string, limit int) ([]catalog.AccessPoint, error) {
	if err := c.enter(ctx); err != nil {
		return nil, err
	}
	defer c.exit()
	if limit <= 0 {
		return nil, nil
	}
	prefix := []byte{tableAP}
	it, err := c.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: append(prefix, after...), UpperBound: prefixEnd(prefix)})
	if err != nil {
		return nil, err
	}
	var out []catalog.AccessPoint
	for ok := it.First(); ok && len(out) <= limit; ok = it.Next() {
		name := string(it.Key()[1:])
		if name <= after {
			continue
		}
		a, derr := catalog.DecodeAccessPoint(name, append([]byte{}, it.Value()...))
		if derr != nil {
			it.Close()
			return nil, derr
		}
		if a.Owner == owner && (bucket == "" || a.Bucket == bucket) {
			out = append(out, a)
		}
	}
	err = it.Error()
	if cerr := it.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return catalog.SortAccessPoints(out, after, limit), nil
}
