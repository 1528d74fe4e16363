package pebble

import (
	"context"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// GetObject implements catalog.Catalog.
func (c *Catalog) GetObject(ctx context.Context, bucket, key string) (*catalog.Object, error) {
	if err := c.enter(ctx); err != nil {
		return nil, err
	}
	defer c.exit()
	o, err := c.readObject(bucket, key)
	if err != nil {
		return nil, err
	}
	if o == nil {
		// A missing bucket and a missing key look the same to callers
		// reading one object; the store checks the bucket when it matters.
		return nil, catalog.ErrNotFound
	}
	return o, nil
}

// readObject returns the record of key, or nil when there is none.
func (c *Catalog) readObject(bucket, key string) (*catalog.Object, error) {
	v, ok, err := c.get(objectKey(bucket, key))
	if err != nil || !ok {
		return nil, err
	}
	return decodeObject(key, v)
}

// UpdateObject implements catalog.Catalog. The key's stripe lock is held
// from the read through the synced commit; Pebble group-commits the
// batches of concurrent updates of different keys.
func (c *Catalog) UpdateObject(ctx context.Context, bucket, key string, fn catalog.ObjectUpdate) error {
	if err := c.enter(ctx); err != nil {
		return err
	}
	defer c.exit()

	bl := c.locks.bucket(bucket)
	bl.RLock()
	defer bl.RUnlock()
	if ok, err := c.has(bucketKey(bucket)); err != nil {
		return err
	} else if !ok {
		return catalog.ErrNotFound
	}

	kl := c.locks.key(bucket, key)
	kl.Lock()
	defer kl.Unlock()

	cur, err := c.readObject(bucket, key)
	if err != nil {
		return err
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

	batch := c.db.NewBatch()
	defer batch.Close()
	okey := objectKey(bucket, key)
	if next == nil {
		err = batch.Delete(okey, nil)
	} else {
		err = batch.Set(okey, encodeObject(next), nil)
	}
	if err != nil {
		return err
	}

	deltas := catalog.RefDeltas(oldIDs, catalog.BlobIDs(next))
	if len(deltas) > 0 {
		ids := make([]string, len(deltas))
		for i, d := range deltas {
			ids[i] = d.BlobID
		}
		unlock := c.locks.lockBlobs(ids)
		defer unlock()
		if err := c.addRefChanges(batch, deltas, time.Now()); err != nil {
			return err
		}
	}
	return batch.Commit(pebble.Sync)
}

// ListObjects implements catalog.Catalog with the shared catalog.List over
// a Pebble iterator bounded to the bucket and prefix. The iterator reads one
// consistent snapshot.
func (c *Catalog) ListObjects(ctx context.Context, q catalog.ListQuery) (catalog.ListPage, error) {
	if err := c.enter(ctx); err != nil {
		return catalog.ListPage{}, err
	}
	defer c.exit()
	if ok, err := c.has(bucketKey(q.Bucket)); err != nil {
		return catalog.ListPage{}, err
	} else if !ok {
		return catalog.ListPage{}, catalog.ErrNotFound
	}
	bucketPrefix := objectPrefix(q.Bucket)
	lower := append(append([]byte{}, bucketPrefix...), q.Prefix...)
	it, err := c.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: lower, UpperBound: prefixEnd(lower)})
	if err != nil {
		return catalog.ListPage{}, err
	}
	page, err := catalog.List(&listIter{it: it, prefix: bucketPrefix}, q)
	if cerr := it.Close(); err == nil {
		err = cerr
	}
	return page, err
}

// listIter adapts a Pebble iterator over one bucket's object keys.
type listIter struct {
	it     *pebble.Iterator
	prefix []byte // the bucket's object key prefix
}

func (l *listIter) SeekGE(key string) bool {
	k := make([]byte, 0, len(l.prefix)+len(key))
	return l.it.SeekGE(append(append(k, l.prefix...), key...))
}

func (l *listIter) Next() bool  { return l.it.Next() }
func (l *listIter) Key() string { return string(l.it.Key()[len(l.prefix):]) }
func (l *listIter) Err() error  { return l.it.Error() }

func (l *listIter) Object() (*catalog.Object, error) {
	v, err := l.it.ValueAndErr()
	if err != nil {
		return nil, err
	}
	return decodeObject(l.Key(), append([]byte{}, v...))
}
