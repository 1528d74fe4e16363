package mem

import (
	"cmp"
	"context"
	"fmt"
	"hash/maphash"
	"maps"
	"slices"
	"sync"

	"github.com/zonal-dev/zonal/internal/catalog"
)

func (c *Catalog) uploadLock(bucket, key, id string) *sync.RWMutex {
	return &c.uploadLocks[maphash.String(c.seed, bucket+"\x00"+key+"\x00"+id)%uploadStripes]
}

func compareUploads(a, b uploadRef) int {
	if r := cmp.Compare(a.key, b.key); r != 0 {
		return r
	}
	return cmp.Compare(a.id, b.id)
}

// CreateUpload implements catalog.Catalog.
func (c *Catalog) CreateUpload(ctx context.Context, u catalog.Upload) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	if err := catalog.CheckUpload(&u); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.buckets[u.Bucket]
	if !ok {
		return catalog.ErrNotFound
	}
	ref := uploadRef{u.Key, u.ID}
	if _, ok := b.upload[ref]; ok {
		return catalog.ErrExists
	}
	i, _ := slices.BinarySearchFunc(b.uploads, ref, compareUploads)
	b.uploads = slices.Insert(b.uploads, i, ref)
	b.upload[ref] = &upload{info: cloneUpload(&u), parts: make(map[int]*catalog.Part)}
	return nil
}

// findUpload returns the upload or nil; the caller holds c.mu.
func (c *Catalog) findUpload(bucketName, key, id string) (*bucket, *upload) {
	b, ok := c.buckets[bucketName]
	if !ok {
		return nil, nil
	}
	return b, b.upload[uploadRef{key, id}]
}

// GetUpload implements catalog.Catalog.
func (c *Catalog) GetUpload(ctx context.Context, bucket, key, id string) (*catalog.Upload, error) {
	if err := c.check(ctx); err != nil {
		return nil, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	_, u := c.findUpload(bucket, key, id)
	if u == nil {
		return nil, catalog.ErrNotFound
	}
	out := cloneUpload(&u.info)
	return &out, nil
}

// PutPart implements catalog.Catalog. The upload's stripe is held shared,
// so a CompleteUpload or AbortUpload (exclusive) between its read of the
// parts and its commit never sees a part appear.
func (c *Catalog) PutPart(ctx context.Context, bucket, key, id string, p catalog.Part) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	if err := catalog.CheckPart(&p); err != nil {
		return err
	}
	l := c.uploadLock(bucket, key, id)
	l.RLock()
	defer l.RUnlock()
	stored := clonePart(&p)
	stored.Extents = normalizeExtents(stored.Extents)
	c.mu.Lock()
	defer c.mu.Unlock()
	_, u := c.findUpload(bucket, key, id)
	if u == nil {
		return catalog.ErrNotFound
	}
	old := u.parts[p.Number]
	u.parts[p.Number] = &stored
	c.applyRefs(catalog.RefDeltas(catalog.PartBlobIDs(old), catalog.PartBlobIDs(&stored)))
	return nil
}

// sortedParts returns copies of u's parts in number order.
func sortedParts(u *upload) []catalog.Part {
	nums := slices.Sorted(maps.Keys(u.parts))
	parts := make([]catalog.Part, len(nums))
	for i, n := range nums {
		parts[i] = clonePart(u.parts[n])
	}
	return parts
}

// ListParts implements catalog.Catalog.
func (c *Catalog) ListParts(ctx context.Context, bucket, key, id string, after, limit int) ([]catalog.Part, bool, error) {
	if err := c.check(ctx); err != nil {
		return nil, false, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	_, u := c.findUpload(bucket, key, id)
	if u == nil {
		return nil, false, catalog.ErrNotFound
	}
	var nums []int
	for n := range u.parts {
		if n > after {
			nums = append(nums, n)
		}
	}
	slices.Sort(nums)
	more := len(nums) > max(limit, 0)
	if more {
		nums = nums[:max(limit, 0)]
	}
	var parts []catalog.Part
	for _, n := range nums {
		parts = append(parts, clonePart(u.parts[n]))
	}
	return parts, more, nil
}

// CompleteUpload implements catalog.Catalog: the key's stripe, then the
// upload's stripe exclusively, are held while fn runs outside the data lock.
func (c *Catalog) CompleteUpload(ctx context.Context, bucketName, key, id string, fn func(u *catalog.Upload, parts []catalog.Part, cur *catalog.Object) (*catalog.Object, error)) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	kl := &c.keyLocks[c.keyStripe(bucketName, key)]
	kl.Lock()
	defer kl.Unlock()
	ul := c.uploadLock(bucketName, key, id)
	ul.Lock()
	defer ul.Unlock()

	c.mu.RLock()
	b, u := c.findUpload(bucketName, key, id)
	if u == nil {
		c.mu.RUnlock()
		return catalog.ErrNotFound
	}
	info := cloneUpload(&u.info)
	parts := sortedParts(u)
	cur := clone(b.records[key], true)
	c.mu.RUnlock()
	old := make([][]string, 0, len(parts)+1)
	for i := range parts {
		old = append(old, catalog.PartBlobIDs(&parts[i]))
	}
	old = append(old, catalog.BlobIDs(cur))

	next, err := fn(&info, parts, cur)
	if err != nil {
		return err
	}
	if next == nil {
		return fmt.Errorf("catalog: CompleteUpload(%q, %q): fn returned no object", key, id)
	}
	if err := catalog.CheckObject(next); err != nil {
		return err
	}
	stored := normalized(next, key)

	c.mu.Lock()
	defer c.mu.Unlock()
	// The upload is still there (removing it takes its stripe), and so is
	// the bucket (DeleteBucket refuses while an upload remains).
	b.put(key, stored)
	b.removeUpload(uploadRef{key, id})
	c.applyRefs(catalog.RefDeltasOf(old, [][]string{catalog.BlobIDs(stored)}))
	return nil
}

func (b *bucket) removeUpload(ref uploadRef) {
	if i, found := slices.BinarySearchFunc(b.uploads, ref, compareUploads); found {
		b.uploads = slices.Delete(b.uploads, i, i+1)
	}
	delete(b.upload, ref)
}

// AbortUpload implements catalog.Catalog.
func (c *Catalog) AbortUpload(ctx context.Context, bucketName, key, id string, fn func(u *catalog.Upload) error) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	ul := c.uploadLock(bucketName, key, id)
	ul.Lock()
	defer ul.Unlock()
	c.mu.RLock()
	_, u := c.findUpload(bucketName, key, id)
	var info catalog.Upload
	if u != nil {
		info = cloneUpload(&u.info)
	}
	c.mu.RUnlock()
	if u == nil {
		return catalog.ErrNotFound
	}
	if fn != nil {
		if err := fn(&info); err != nil {
			return err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	b, u := c.findUpload(bucketName, key, id)
	old := make([][]string, 0, len(u.parts))
	for _, p := range u.parts {
		old = append(old, catalog.PartBlobIDs(p))
	}
	b.removeUpload(uploadRef{key, id})
	c.applyRefs(catalog.RefDeltasOf(old, nil))
	return nil
}

// ListUploads implements catalog.Catalog.
func (c *Catalog) ListUploads(ctx context.Context, q catalog.ListQuery) (catalog.UploadPage, error) {
	if err := c.check(ctx); err != nil {
		return catalog.UploadPage{}, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	b, ok := c.buckets[q.Bucket]
	if !ok {
		return catalog.UploadPage{}, catalog.ErrNotFound
	}
	return catalog.ListUploads(&uploadIter{b: b, i: -1}, q)
}

// uploadIter walks a bucket's sorted uploads.
type uploadIter struct {
	b *bucket
	i int
}

func (it *uploadIter) SeekGE(key, id string) bool {
	it.i, _ = slices.BinarySearchFunc(it.b.uploads, uploadRef{key, id}, compareUploads)
	return it.i < len(it.b.uploads)
}

func (it *uploadIter) Next() bool {
	it.i++
	return it.i < len(it.b.uploads)
}

func (it *uploadIter) Key() string { return it.b.uploads[it.i].key }

func (it *uploadIter) Upload() (*catalog.Upload, error) {
	u := cloneUpload(&it.b.upload[it.b.uploads[it.i]].info)
	return &u, nil
}

func (it *uploadIter) Err() error { return nil }

// uploadKeys is uploadIter as a catalog.KeyIterator over upload keys.
type uploadKeys struct{ uploadIter }

func (k *uploadKeys) SeekGE(key string) bool { return k.uploadIter.SeekGE(key, "") }

func cloneUpload(u *catalog.Upload) catalog.Upload {
	out := *u
	out.Headers = emptyNil(maps.Clone(u.Headers))
	out.Meta = emptyNil(maps.Clone(u.Meta))
	return out
}

func clonePart(p *catalog.Part) catalog.Part {
	out := *p
	out.Extents = cloneExtents(p.Extents, true)
	return out
}
