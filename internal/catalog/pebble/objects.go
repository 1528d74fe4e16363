package pebble

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// GetObject implements catalog.Catalog: one point read for the metadata
// and, for an object with inline bytes, one for the data.
func (c *Catalog) GetObject(ctx context.Context, bucket, key string) (*catalog.Object, error) {
	if err := c.enter(ctx); err != nil {
		return nil, err
	}
	defer c.exit()
	stripe := c.locks.keyStripe(bucket, key)
	if o := c.hot.get(stripe, bucket, key); o != nil {
		return cloneObject(o), nil
	}
	// With the key's stripe held, no write of the key is between its read
	// and its commit, so what is read may be cached (see hotObjects).
	// (Tests that write between the two reads need the lock-free path:
	// they set testHookBetweenReads.)
	kl := &c.locks.keys[stripe]
	fill := testHookBetweenReads == nil && kl.TryLock()
	if fill {
		defer kl.Unlock()
	}
	s, err := readObject(c.db, bucket, key)
	if errors.Is(err, errTorn) {
		// An update of the key committed between the two reads: read
		// both again from one snapshot.
		snap := c.db.NewSnapshot()
		s, err = readObject(snap, bucket, key)
		snap.Close()
		if errors.Is(err, errTorn) {
			err = fmt.Errorf("%w: object %q: inline data does not match its record", errCorrupt, key)
		}
	}
	if err != nil {
		return nil, err
	}
	if s.obj == nil {
		// A missing bucket and a missing key look the same to callers
		// reading one object; the store checks the bucket when it matters.
		return nil, catalog.ErrNotFound
	}
	if fill && c.hot.put(stripe, bucket, key, s.obj) {
		return cloneObject(s.obj), nil
	}
	return s.obj, nil
}

// stored is an object as read: the record (nil when the key has none),
// whether it has a data record, and, when read for an update, its blob ids,
// taken before fn may change the record.
type stored struct {
	obj     *catalog.Object
	hasData bool
	blobIDs []string
}

// readObject reads key's record with its inline data from r. errTorn
// means the data record is missing or belongs to another version than the
// metadata; with r a snapshot, or with the key's stripe held, that is
// corruption.
func readObject(r pebble.Reader, bucket, key string) (stored, error) {
	okey := objectKey(bucket, key)
	v, ok, err := getFrom(r, okey)
	if err != nil || !ok {
		return stored{}, err
	}
	m, err := decodeObject(key, v)
	if err != nil {
		return stored{}, err
	}
	var data []byte
	if m.dataBytes > 0 {
		if testHookBetweenReads != nil {
			testHookBetweenReads()
		}
		if data, ok, err = getFrom(r, dataKeyOf(okey)); err != nil {
			return stored{}, err
		} else if !ok {
			// Deleted (or replaced by an object without inline bytes)
			// since the metadata read, unless the data is lost.
			return stored{}, errTorn
		}
	}
	if err := attachData(m, data); err != nil {
		return stored{}, err
	}
	return stored{obj: m.obj, hasData: m.dataBytes > 0}, nil
}

// testHookBetweenReads, when set by a test, runs between the metadata and
// the data read of readObject.
var testHookBetweenReads func()

// readLocked is readObject under the key's stripe, where nothing can
// tear the two reads apart, for an update: it also notes the record's blob
// ids (plain reads skip that allocation).
func readLocked(r pebble.Reader, bucket, key string) (stored, error) {
	s, err := readObject(r, bucket, key)
	if errors.Is(err, errTorn) {
		err = fmt.Errorf("%w: object %q: inline data does not match its record", errCorrupt, key)
	}
	s.blobIDs = catalog.BlobIDs(s.obj)
	return s, err
}

// putObject adds to batch the writes that replace cur with next (either
// may be nil): the metadata record, and the data record when next has
// inline bytes (deleted when only cur had them). The caller holds the key's
// stripe until after the commit; the key's cached record is dropped now.
func (c *Catalog) putObject(batch *pebble.Batch, bucket, key string, cur stored, next *catalog.Object) error {
	c.hot.drop(c.locks.keyStripe(bucket, key), bucket, key)
	okey := objectKey(bucket, key)
	if next == nil {
		if err := batch.Delete(okey, nil); err != nil {
			return err
		}
	} else {
		tag := rand.Uint64()
		if err := batch.Set(okey, encodeMeta(next, tag), nil); err != nil {
			return err
		}
		if n := inlineBytes(next.Extents); n > 0 {
			// Encoded straight into the batch: the bytes are copied once.
			op := batch.SetDeferred(len(okey), dataRecordSize(n))
			copy(op.Key, okey)
			op.Key[0] = tableData
			fillData(op.Value, next, tag)
			return op.Finish()
		}
	}
	if cur.hasData {
		return batch.Delete(dataKeyOf(okey), nil)
	}
	return nil
}

// bucketExists checks the bucket record. The caller holds the bucket's
// stripe (shared is enough), which makes caching the answer in live safe.
func (c *Catalog) bucketExists(bucket string) error {
	if _, ok := c.live.Load(bucket); ok {
		return nil
	}
	if ok, err := c.has(bucketKey(bucket)); err != nil {
		return err
	} else if !ok {
		return catalog.ErrNotFound
	}
	c.live.Store(bucket, struct{}{})
	return nil
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
	if err := c.bucketExists(bucket); err != nil {
		return err
	}

	kl := c.locks.key(bucket, key)
	kl.Lock()
	defer kl.Unlock()

	cur, err := readLocked(c.db, bucket, key)
	if err != nil {
		return err
	}
	next, err := fn(cur.obj)
	if err != nil {
		return err
	}
	if next == nil && cur.obj == nil {
		return nil
	}
	if err := catalog.CheckObject(next); err != nil {
		return err
	}

	batch := c.db.NewBatch()
	defer batch.Close()
	if err := c.putObject(batch, bucket, key, cur, next); err != nil {
		return err
	}
	deltas := catalog.RefDeltas(cur.blobIDs, catalog.BlobIDs(next))
	if len(deltas) > 0 {
		unlock := c.locks.lockDeltas(deltas)
		defer unlock()
		if err := c.addRefChanges(batch, deltas, time.Now()); err != nil {
			return err
		}
	}
	return batch.Commit(pebble.Sync)
}

// UpdateObjects implements catalog.Catalog: bucket stripes shared, then the
// key stripes in ascending order, then one batch for every record and the
// reference changes of the whole set.
func (c *Catalog) UpdateObjects(ctx context.Context, refs []catalog.ObjectRef, fn catalog.ObjectsUpdate) error {
	if err := c.enter(ctx); err != nil {
		return err
	}
	defer c.exit()
	if err := catalog.CheckRefs(refs); err != nil {
		return err
	}

	unlockBuckets := c.locks.rlockBuckets(refs)
	defer unlockBuckets()
	for _, r := range refs {
		if err := c.bucketExists(r.Bucket); err != nil {
			return err
		}
	}
	unlockKeys := c.locks.lockKeys(refs)
	defer unlockKeys()

	curs := make([]stored, len(refs))
	objs := make([]*catalog.Object, len(refs))
	for i, r := range refs {
		s, err := readLocked(c.db, r.Bucket, r.Key)
		if err != nil {
			return err
		}
		curs[i], objs[i] = s, s.obj
	}
	next, err := fn(objs)
	if err != nil {
		return err
	}
	if len(next) != len(refs) {
		return fmt.Errorf("catalog: UpdateObjects: fn returned %d records for %d keys", len(next), len(refs))
	}
	for _, o := range next {
		if err := catalog.CheckObject(o); err != nil {
			return err
		}
	}

	batch := c.db.NewBatch()
	defer batch.Close()
	oldIDs := make([][]string, len(refs))
	newIDs := make([][]string, len(refs))
	for i, r := range refs {
		oldIDs[i], newIDs[i] = curs[i].blobIDs, catalog.BlobIDs(next[i])
		if curs[i].obj == nil && next[i] == nil {
			continue
		}
		if err := c.putObject(batch, r.Bucket, r.Key, curs[i], next[i]); err != nil {
			return err
		}
	}
	deltas := catalog.RefDeltasOf(oldIDs, newIDs)
	if len(deltas) > 0 {
		unlock := c.locks.lockDeltas(deltas)
		defer unlock()
		if err := c.addRefChanges(batch, deltas, time.Now()); err != nil {
			return err
		}
	}
	if batch.Empty() {
		return nil
	}
	return batch.Commit(pebble.Sync)
}

// ListObjects implements catalog.Catalog with the shared catalog.List over
// a Pebble iterator bounded to the bucket and prefix. It reads only the
// metadata table: inline bytes stay in their own table, unread. With a
// delimiter, a second iterator over the bucket's uploads (from the same
// snapshot) contributes the directories that only uploads create.
func (c *Catalog) ListObjects(ctx context.Context, q catalog.ListQuery) (catalog.ListPage, error) {
	if err := c.enter(ctx); err != nil {
		return catalog.ListPage{}, err
	}
	defer c.exit()
	var r pebble.Reader = c.db
	if q.Delimiter != "" {
		snap := c.db.NewSnapshot()
		defer snap.Close()
		r = snap
	}
	if ok, err := hasIn(r, bucketKey(q.Bucket)); err != nil {
		return catalog.ListPage{}, err
	} else if !ok {
		return catalog.ListPage{}, catalog.ErrNotFound
	}
	bucketPrefix := objectPrefix(q.Bucket)
	lower := append(append([]byte{}, bucketPrefix...), q.Prefix...)
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: prefixEnd(lower)})
	if err != nil {
		return catalog.ListPage{}, err
	}
	objects := &listIter{it: it, prefix: bucketPrefix}
	var page catalog.ListPage
	if q.Delimiter == "" {
		page, err = catalog.List(objects, q)
	} else {
		var ui *uploadIter
		if ui, err = newUploadIter(r, q.Bucket, q.Prefix); err == nil {
			page, err = catalog.ListWithUploads(objects, ui.keys(), q)
			if cerr := ui.close(); err == nil {
				err = cerr
			}
		}
	}
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

// Object decodes the metadata record: inline extents with their Length
// and no bytes.
func (l *listIter) Object() (*catalog.Object, error) {
	v, err := l.it.ValueAndErr()
	if err != nil {
		return nil, err
	}
	m, err := decodeObject(l.Key(), append([]byte{}, v...))
	if err != nil {
		return nil, err
	}
	return m.obj, nil
}
