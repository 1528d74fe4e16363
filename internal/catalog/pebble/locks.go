package pebble

import (
	"encoding/binary"
	"hash/maphash"
	"slices"
	"sync"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// Lock striping. Pebble makes each commit atomic and durable; these locks
// make the read-modify-write around it atomic without a global mutex:
//
//   - bucket stripes (RW): every operation that commits an object or an
//     upload into a bucket (UpdateObject(s), CompleteUpload, CreateUpload,
//     UpdateBucket) holds the stripe shared; CreateBucket and DeleteBucket
//     hold it exclusively, so a bucket cannot be deleted between an
//     update's existence check and its commit.
//   - config stripes: one UpdateBucket per bucket at a time.
//   - key stripes: one update per (bucket, key) at a time, held across
//     read, fn and commit. UpdateObjects takes several in ascending stripe
//     order (the canonical order), so opposing multi-key updates cannot
//     deadlock; CompleteUpload takes its key's stripe.
//   - upload stripes (RW): PutPart holds its upload's stripe shared (parts
//     of one upload upload in parallel), CompleteUpload and AbortUpload
//     exclusively, so no part lands between their read of the parts and
//     their commit, and none lands after: PutPart checks the upload exists
//     under the stripe. CreateUpload holds it exclusively to check the id.
//   - part stripes: one PutPart per (upload, number) at a time, so a
//     replaced part's references are released exactly once.
//   - blob stripes: reference count read-modify-write (and GC queue entry)
//     of a blob shared between records. Taken in ascending stripe order.
//
// Lock order is bucket -> config | key -> upload -> part -> blobs; each
// class is taken in ascending stripe order and nothing holding a later
// lock waits for an earlier one, so there is no deadlock. A Pebble merge
// operator could count references without locks but cannot tell the writer
// that a count reached zero, which is exactly when the blob must be queued
// for GC.
const (
	bucketStripes = 64
	configStripes = 64
	keyStripes    = 1024
	uploadStripes = 256
	partStripes   = 256
	blobStripes   = 256
)

type locks struct {
	seed    maphash.Seed
	buckets [bucketStripes]sync.RWMutex
	configs [configStripes]sync.Mutex
	keys    [keyStripes]sync.Mutex
	uploads [uploadStripes]sync.RWMutex
	parts   [partStripes]sync.Mutex
	blobs   [blobStripes]sync.Mutex
}

func (l *locks) bucketStripe(name string) uint64 {
	return maphash.String(l.seed, name) % bucketStripes
}

func (l *locks) bucket(name string) *sync.RWMutex { return &l.buckets[l.bucketStripe(name)] }

func (l *locks) config(name string) *sync.Mutex {
	return &l.configs[maphash.String(l.seed, name)%configStripes]
}

func (l *locks) keyStripe(bucket, key string) uint64 {
	var h maphash.Hash
	h.SetSeed(l.seed)
	h.WriteString(bucket)
	h.WriteByte(0)
	h.WriteString(key)
	return h.Sum64() % keyStripes
}

func (l *locks) key(bucket, key string) *sync.Mutex { return &l.keys[l.keyStripe(bucket, key)] }

func (l *locks) uploadHash(bucket, key, id string) *maphash.Hash {
	var h maphash.Hash
	h.SetSeed(l.seed)
	for _, s := range []string{bucket, key, id} {
		h.WriteString(s)
		h.WriteByte(0)
	}
	return &h
}

func (l *locks) upload(bucket, key, id string) *sync.RWMutex {
	return &l.uploads[l.uploadHash(bucket, key, id).Sum64()%uploadStripes]
}

func (l *locks) part(bucket, key, id string, number int) *sync.Mutex {
	h := l.uploadHash(bucket, key, id)
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(number))
	h.Write(n[:])
	return &l.parts[h.Sum64()%partStripes]
}

// rlockBuckets read-locks the stripes of the buckets of refs in ascending
// order and returns the unlock function.
func (l *locks) rlockBuckets(refs []catalog.ObjectRef) (unlock func()) {
	stripes := make([]uint64, len(refs))
	for i, r := range refs {
		stripes[i] = l.bucketStripe(r.Bucket)
	}
	slices.Sort(stripes)
	stripes = slices.Compact(stripes)
	for _, s := range stripes {
		l.buckets[s].RLock()
	}
	return func() {
		for _, s := range stripes {
			l.buckets[s].RUnlock()
		}
	}
}

// lockKeys locks the key stripes of refs in ascending order (the canonical
// order of multi-key updates) and returns the unlock function.
func (l *locks) lockKeys(refs []catalog.ObjectRef) (unlock func()) {
	stripes := make([]uint64, len(refs))
	for i, r := range refs {
		stripes[i] = l.keyStripe(r.Bucket, r.Key)
	}
	slices.Sort(stripes)
	stripes = slices.Compact(stripes)
	for _, s := range stripes {
		l.keys[s].Lock()
	}
	return func() {
		for _, s := range stripes {
			l.keys[s].Unlock()
		}
	}
}

// lockBlobs locks the stripes of ids in ascending order and returns the
// unlock function.
func (l *locks) lockBlobs(ids []string) (unlock func()) {
	if len(ids) == 0 {
		return func() {}
	}
	stripes := make([]uint64, len(ids))
	for i, id := range ids {
		stripes[i] = maphash.String(l.seed, id) % blobStripes
	}
	slices.Sort(stripes)
	stripes = slices.Compact(stripes)
	for _, s := range stripes {
		l.blobs[s].Lock()
	}
	return func() {
		for _, s := range stripes {
			l.blobs[s].Unlock()
		}
	}
}

// lockDeltas locks the blob stripes of deltas.
func (l *locks) lockDeltas(deltas []catalog.RefDelta) (unlock func()) {
	ids := make([]string, len(deltas))
	for i, d := range deltas {
		ids[i] = d.BlobID
	}
	return l.lockBlobs(ids)
}
