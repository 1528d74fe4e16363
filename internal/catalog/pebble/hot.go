package pebble

import (
	"bytes"
	"maps"
	"slices"
	"sync"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// hotObjects keeps the records GetObject decoded most recently, inline
// bytes included. A small GET otherwise makes two Pebble point reads (the
// record and its inline data) and decodes them: 12-14% of a 4 KiB GET's
// server CPU, most of it memtable skiplist searches. A cached record costs
// a hash and a map lookup.
//
// It is safe because this process is the only writer of the database (the
// data folder is locked) and because both sides go through the key's
// stripe lock, which every object write holds from its read until after its
// commit (putObject runs under it):
//   - putObject drops the key's entry, so from then on readers miss;
//   - a reader fills an entry only while holding the stripe itself, so no
//     write of the key is between its read and its commit;
//   - a reader that cannot take the stripe at once (a write of some key of
//     the stripe is in progress) reads Pebble and fills nothing, rather
//     than waiting behind a synced commit.
//
// A read that hits the cache while a write of the key is being committed
// returns the record from before the write, as a read that finished just
// before the write began would: reads concurrent with a write may see
// either, and a read that begins after UpdateObject returns cannot hit the
// dropped entry.
//
// Callers get deep copies (cloneObject), as the catalog.Catalog contract
// promises: a 4 KiB record copies in well under a microsecond, against
// about five for the two reads and the decoding.
type hotObjects struct {
	shards [hotShards]hotShard
}

const (
	hotShards = 16
	// hotBytes bounds the estimated memory of cached records, all shards
	// together: with 4 KiB objects, about 7,000 of them.
	hotBytes = 32 << 20
	// hotRecordMax is the largest record cached. Larger inline objects
	// gain less (their copy, not the lookup, is most of the cost) and
	// weigh on the heap: caching 64 KiB records took a GET 64 KiB run's
	// peak RSS from 166 to 506 MiB (GOGC=400 lets the heap grow to five
	// times the live data, and each hit's copy is 64 KiB of garbage).
	hotRecordMax = 16 << 10
)

type hotShard struct {
	mu    sync.Mutex
	m     map[hotKey]*catalog.Object
	bytes int64
}

type hotKey struct{ bucket, key string }

// shard picks the shard of the key whose stripe is stripe.
func (h *hotObjects) shard(stripe uint64) *hotShard { return &h.shards[stripe%hotShards] }

func (h *hotObjects) get(stripe uint64, bucket, key string) *catalog.Object {
	s := h.shard(stripe)
	s.mu.Lock()
	o := s.m[hotKey{bucket, key}]
	s.mu.Unlock()
	return o
}

// put caches o, unless it is too large, and reports whether it did. The
// caller holds the key's stripe.
func (h *hotObjects) put(stripe uint64, bucket, key string, o *catalog.Object) bool {
	size := recordSize(bucket, key, o)
	if size > hotRecordMax {
		return false
	}
	s := h.shard(stripe)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[hotKey]*catalog.Object)
	}
	k := hotKey{bucket, key}
	if old, ok := s.m[k]; ok {
		s.bytes -= recordSize(bucket, key, old)
	}
	s.m[k] = o
	s.bytes += size
	// Over budget: drop entries in map order, which Go randomises, until
	// a tenth of the shard is free. Random eviction keeps no bookkeeping
	// on the read path; an LRU list would cost every hit a write.
	if limit := int64(hotBytes / hotShards); s.bytes > limit {
		for k2, o2 := range s.m {
			if s.bytes <= limit*9/10 {
				break
			}
			if k2 != k {
				s.bytes -= recordSize(k2.bucket, k2.key, o2)
				delete(s.m, k2)
			}
		}
	}
	return true
}

// drop forgets bucket/key. The caller holds the key's stripe.
func (h *hotObjects) drop(stripe uint64, bucket, key string) {
	s := h.shard(stripe)
	s.mu.Lock()
	k := hotKey{bucket, key}
	if o, ok := s.m[k]; ok {
		s.bytes -= recordSize(bucket, key, o)
		delete(s.m, k)
	}
	s.mu.Unlock()
}

// recordSize estimates the memory a cached record holds.
func recordSize(bucket, key string, o *catalog.Object) int64 {
	n := 512 + len(bucket) + 2*len(key) + len(o.ETag) + len(o.ContentType) + len(o.WrappedKey) +
		len(o.RenameToken) + len(o.RenameSource) + 40*len(o.PartList) + 96*len(o.Extents)
	for _, e := range o.Extents {
		n += len(e.Inline) + len(e.BlobID) + len(e.IV)
	}
	for _, m := range []map[string]string{o.Headers, o.Meta, o.Checksums} {
		for k, v := range m {
			n += 48 + len(k) + len(v)
		}
	}
	return int64(n)
}

// cloneObject deep-copies a record, keeping nil and empty apart.
func cloneObject(o *catalog.Object) *catalog.Object {
	cp := *o
	cp.Headers, cp.Meta, cp.Checksums = maps.Clone(o.Headers), maps.Clone(o.Meta), maps.Clone(o.Checksums)
	cp.PartList = slices.Clone(o.PartList)
	cp.WrappedKey = bytes.Clone(o.WrappedKey)
	cp.Extents = slices.Clone(o.Extents)
	for i := range cp.Extents {
		e := &cp.Extents[i]
		e.Inline, e.IV = bytes.Clone(e.Inline), bytes.Clone(e.IV)
	}
	return &cp
}
