package pebble

import (
	"context"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// Multipart uploads. An upload record lives under 'u' in (key, id) order;
// its parts under 'p', one record per part number. A part record counts
// as a reference to its blobs exactly like an object record, so a part's
// blob is live from PutPart until the upload completes (the object takes
// the reference over: net zero) or is aborted (released and queued).

// CreateUpload implements catalog.Catalog.
func (c *Catalog) CreateUpload(ctx context.Context, u catalog.Upload) error {
	if err := c.enter(ctx); err != nil {
		return err
	}
	defer c.exit()
	if err := catalog.CheckUpload(&u); err != nil {
		return err
	}
	bl := c.locks.bucket(u.Bucket)
	bl.RLock()
	defer bl.RUnlock()
	if err := c.bucketExists(u.Bucket); err != nil {
		return err
	}
	ul := c.locks.upload(u.Bucket, u.Key, u.ID)
	ul.Lock()
	defer ul.Unlock()
	uk := uploadKey(u.Bucket, u.Key, u.ID)
	if ok, err := c.has(uk); err != nil {
		return err
	} else if ok {
		return catalog.ErrExists
	}
	return c.db.Set(uk, encodeUpload(&u), pebble.Sync)
}

// GetUpload implements catalog.Catalog.
func (c *Catalog) GetUpload(ctx context.Context, bucket, key, id string) (*catalog.Upload, error) {
	if err := c.enter(ctx); err != nil {
		return nil, err
	}
	defer c.exit()
	return readUpload(c.db, bucket, key, id)
}

func readUpload(r pebble.Reader, bucket, key, id string) (*catalog.Upload, error) {
	v, ok, err := getFrom(r, uploadKey(bucket, key, id))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, catalog.ErrNotFound
	}
	return decodeUpload(bucket, key, id, v)
}

// PutPart implements catalog.Catalog. The upload's stripe is held shared
// from the existence check through the commit, so CompleteUpload and
// AbortUpload (exclusive) see every part either whole or not at all, and
// a part can never be stored for an upload that is gone.
func (c *Catalog) PutPart(ctx context.Context, bucket, key, id string, p catalog.Part) error {
	if err := c.enter(ctx); err != nil {
		return err
	}
	defer c.exit()
	if err := catalog.CheckPart(&p); err != nil {
		return err
	}
	ul := c.locks.upload(bucket, key, id)
	ul.RLock()
	defer ul.RUnlock()
	pl := c.locks.part(bucket, key, id, p.Number)
	pl.Lock()
	defer pl.Unlock()

	if ok, err := c.has(uploadKey(bucket, key, id)); err != nil {
		return err
	} else if !ok {
		return catalog.ErrNotFound
	}
	pk := partKey(partPrefix(bucket, key, id), uint32(p.Number))
	var oldIDs []string
	if v, ok, err := c.get(pk); err != nil {
		return err
	} else if ok {
		old, err := decodePart(p.Number, v)
		if err != nil {
			return err
		}
		oldIDs = catalog.PartBlobIDs(&old)
	}
	batch := c.db.NewBatch()
	defer batch.Close()
	if err := batch.Set(pk, encodePart(&p), nil); err != nil {
		return err
	}
	deltas := catalog.RefDeltas(oldIDs, catalog.PartBlobIDs(&p))
	if len(deltas) > 0 {
		unlock := c.locks.lockDeltas(deltas)
		defer unlock()
		if err := c.addRefChanges(batch, deltas, time.Now()); err != nil {
			return err
		}
	}
	return batch.Commit(pebble.Sync)
}

// ListParts implements catalog.Catalog from one snapshot, so the upload
// check and the parts agree.
func (c *Catalog) ListParts(ctx context.Context, bucket, key, id string, after, limit int) ([]catalog.Part, bool, error) {
	if err := c.enter(ctx); err != nil {
		return nil, false, err
	}
	defer c.exit()
	snap := c.db.NewSnapshot()
	defer snap.Close()
	if ok, err := hasIn(snap, uploadKey(bucket, key, id)); err != nil {
		return nil, false, err
	} else if !ok {
		return nil, false, catalog.ErrNotFound
	}
	if after >= catalog.MaxPartNumber {
		return nil, false, nil
	}
	prefix := partPrefix(bucket, key, id)
	start := uint32(max(after, 0)) + 1
	it, err := snap.NewIter(&pebble.IterOptions{LowerBound: partKey(prefix, start), UpperBound: prefixEnd(prefix)})
	if err != nil {
		return nil, false, err
	}
	var parts []catalog.Part
	more := false
	for ok := it.First(); ok; ok = it.Next() {
		if len(parts) >= limit {
			more = true
			break
		}
		p, err := decodeIterPart(it)
		if err != nil {
			it.Close()
			return nil, false, err
		}
		parts = append(parts, p)
	}
	err = it.Error()
	if cerr := it.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, false, err
	}
	return parts, more, nil
}

func decodeIterPart(it *pebble.Iterator) (catalog.Part, error) {
	n, err := partNumber(it.Key())
	if err != nil {
		return catalog.Part{}, err
	}
	v, err := it.ValueAndErr()
	if err != nil {
		return catalog.Part{}, err
	}
	return decodePart(n, append([]byte{}, v...))
}

// readParts returns every part of the upload whose part prefix is given,
// in number order.
func readParts(r pebble.Reader, prefix []byte) ([]catalog.Part, error) {
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return nil, err
	}
	var parts []catalog.Part
	for ok := it.First(); ok; ok = it.Next() {
		p, err := decodeIterPart(it)
		if err != nil {
			it.Close()
			return nil, err
		}
		parts = append(parts, p)
	}
	err = it.Error()
	if cerr := it.Close(); err == nil {
		err = cerr
	}
	return parts, err
}

// CompleteUpload implements catalog.Catalog. It holds the bucket stripe
// shared (it commits an object), the key's stripe (it replaces the key's
// record) and the upload's stripe exclusively (no part changes under it),
// reads everything, and commits the object, the removal of the upload and
// its parts (one range deletion, whatever their number) and the reference
// changes of the whole set in one batch.
func (c *Catalog) CompleteUpload(ctx context.Context, bucket, key, id string, fn func(u *catalog.Upload, parts []catalog.Part, cur *catalog.Object) (*catalog.Object, error)) error {
	if err := c.enter(ctx); err != nil {
		return err
	}
	defer c.exit()
	bl := c.locks.bucket(bucket)
	bl.RLock()
	defer bl.RUnlock()
	kl := c.locks.key(bucket, key)
	kl.Lock()
	defer kl.Unlock()
	ul := c.locks.upload(bucket, key, id)
	ul.Lock()
	defer ul.Unlock()

	// An upload implies its bucket: DeleteBucket refuses while one exists.
	u, err := readUpload(c.db, bucket, key, id)
	if err != nil {
		return err
	}
	prefix := partPrefix(bucket, key, id)
	parts, err := readParts(c.db, prefix)
	if err != nil {
		return err
	}
	// One reference per part record, plus the replaced object's.
	old := make([][]string, 0, len(parts)+1)
	for i := range parts {
		old = append(old, catalog.PartBlobIDs(&parts[i]))
	}
	cur, err := readLocked(c.db, bucket, key)
	if err != nil {
		return err
	}
	old = append(old, cur.blobIDs)

	next, err := fn(u, parts, cur.obj)
	if err != nil {
		return err
	}
	if next == nil {
		return fmt.Errorf("catalog: CompleteUpload(%q, %q): fn returned no object", key, id)
	}
	if err := catalog.CheckObject(next); err != nil {
		return err
	}

	batch := c.db.NewBatch()
	defer batch.Close()
	if err := c.putObject(batch, bucket, key, cur, next); err != nil {
		return err
	}
	if err := deleteUpload(batch, bucket, key, id, prefix); err != nil {
		return err
	}
	deltas := catalog.RefDeltasOf(old, [][]string{catalog.BlobIDs(next)})
	if len(deltas) > 0 {
		unlock := c.locks.lockDeltas(deltas)
		defer unlock()
		if err := c.addRefChanges(batch, deltas, time.Now()); err != nil {
			return err
		}
	}
	return batch.Commit(pebble.Sync)
}

// deleteUpload adds the removal of an upload and all its parts to batch.
func deleteUpload(batch *pebble.Batch, bucket, key, id string, partPrefix []byte) error {
	if err := batch.Delete(uploadKey(bucket, key, id), nil); err != nil {
		return err
	}
	return batch.DeleteRange(partPrefix, prefixEnd(partPrefix), nil)
}

// AbortUpload implements catalog.Catalog.
func (c *Catalog) AbortUpload(ctx context.Context, bucket, key, id string, fn func(u *catalog.Upload) error) error {
	if err := c.enter(ctx); err != nil {
		return err
	}
	defer c.exit()
	ul := c.locks.upload(bucket, key, id)
	ul.Lock()
	defer ul.Unlock()

	u, err := readUpload(c.db, bucket, key, id)
	if err != nil {
		return err
	}
	if fn != nil {
		if err := fn(u); err != nil {
			return err
		}
	}
	prefix := partPrefix(bucket, key, id)
	parts, err := readParts(c.db, prefix)
	if err != nil {
		return err
	}
	old := make([][]string, len(parts))
	for i := range parts {
		old[i] = catalog.PartBlobIDs(&parts[i])
	}
	batch := c.db.NewBatch()
	defer batch.Close()
	if err := deleteUpload(batch, bucket, key, id, prefix); err != nil {
		return err
	}
	deltas := catalog.RefDeltasOf(old, nil)
	if len(deltas) > 0 {
		unlock := c.locks.lockDeltas(deltas)
		defer unlock()
		if err := c.addRefChanges(batch, deltas, time.Now()); err != nil {
			return err
		}
	}
	return batch.Commit(pebble.Sync)
}

// ListUploads implements catalog.Catalog with the shared catalog.ListUploads.
func (c *Catalog) ListUploads(ctx context.Context, q catalog.ListQuery) (catalog.UploadPage, error) {
	if err := c.enter(ctx); err != nil {
		return catalog.UploadPage{}, err
	}
	defer c.exit()
	bl := c.locks.bucket(q.Bucket)
	bl.RLock()
	err := c.bucketExists(q.Bucket)
	bl.RUnlock()
	if err != nil {
		return catalog.UploadPage{}, err
	}
	it, err := newUploadIter(c.db, q.Bucket, q.Prefix)
	if err != nil {
		return catalog.UploadPage{}, err
	}
	page, err := catalog.ListUploads(it, q)
	if cerr := it.close(); err == nil {
		err = cerr
	}
	return page, err
}

// uploadIter walks a bucket's uploads whose keys start with a prefix, in
// (key, id) order. It is a catalog.UploadIterator, and through keys() a
// catalog.KeyIterator over the upload keys.
type uploadIter struct {
	it      *pebble.Iterator
	bucket  string
	prefix  []byte // uploadPrefix(bucket)
	key, id string // decoded current position
	err     error
}

func newUploadIter(r pebble.Reader, bucket, keyPrefix string) (*uploadIter, error) {
	lower := uploadKeyPrefix(bucket, keyPrefix)
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: prefixEnd(lower)})
	if err != nil {
		return nil, err
	}
	return &uploadIter{it: it, bucket: bucket, prefix: uploadPrefix(bucket)}, nil
}

func (u *uploadIter) SeekGE(key, id string) bool {
	return u.load(u.it.SeekGE(uploadKey(u.bucket, key, id)))
}

func (u *uploadIter) Next() bool { return u.load(u.it.Next()) }

func (u *uploadIter) load(ok bool) bool {
	if !ok {
		return false
	}
	u.key, u.id, u.err = parseUploadKey(u.it.Key()[len(u.prefix):])
	return u.err == nil
}

func (u *uploadIter) Key() string { return u.key }

func (u *uploadIter) Upload() (*catalog.Upload, error) {
	v, err := u.it.ValueAndErr()
	if err != nil {
		return nil, err
	}
	return decodeUpload(u.bucket, u.key, u.id, append([]byte{}, v...))
}

func (u *uploadIter) Err() error {
	if u.err != nil {
		return u.err
	}
	return u.it.Error()
}

func (u *uploadIter) close() error { return u.it.Close() }

// keys returns the iterator as a catalog.KeyIterator over upload keys.
func (u *uploadIter) keys() uploadKeys { return uploadKeys{u} }

type uploadKeys struct{ *uploadIter }

func (k uploadKeys) SeekGE(key string) bool { return k.uploadIter.SeekGE(key, "") }
