package pebble

import (
	"hash/maphash"
	"slices"
	"sync"
)

// Lock striping. Pebble makes each commit atomic and durable; these locks
// make the read-modify-write around it atomic without a global mutex:
//
//   - bucket stripes (RW): UpdateObject holds one shared while it commits
//     into a bucket; CreateBucket and DeleteBucket hold it exclusively, so
//     a bucket cannot be deleted between an update's existence check and
//     its commit.
//   - key stripes: one UpdateObject per (bucket, key) at a time, held
//     across read, fn and commit.
//   - blob stripes: reference count read-modify-write (and GC queue entry)
//     of a blob shared between keys. Taken in ascending stripe order.
//
// Lock order is bucket -> key -> blobs; nothing holding a later lock waits
// for an earlier one, so there is no deadlock. A Pebble merge operator could
// count references without locks but cannot tell the writer that a count
// reached zero, which is exactly when the blob must be queued for GC.
const (
	bucketStripes = 64
	keyStripes    = 1024
	blobStripes   = 256
)

type locks struct {
	seed    maphash.Seed
	buckets [bucketStripes]sync.RWMutex
	keys    [keyStripes]sync.Mutex
	blobs   [blobStripes]sync.Mutex
}

func (l *locks) bucket(name string) *sync.RWMutex {
	return &l.buckets[maphash.String(l.seed, name)%bucketStripes]
}

func (l *locks) key(bucket, key string) *sync.Mutex {
	var h maphash.Hash
	h.SetSeed(l.seed)
	h.WriteString(bucket)
	h.WriteByte(0)
	h.WriteString(key)
	return &l.keys[h.Sum64()%keyStripes]
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
