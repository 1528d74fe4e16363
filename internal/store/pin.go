package store

import "sync"

// readerPins counts, per blob id, the readers (GETs, copies) holding the
// blob: the collector and the orphan sweeper leave a pinned blob alone, so
// an object deleted or replaced while it is being read still reads to its
// end. Open pins every blob of the range before opening the first, because
// extents are opened lazily and a multipart object has one blob per part.
// GCDelay covers the gap between loading a record and pinning its blobs
// (microseconds, normally); pins cover the read, however long.
//
// The table is sharded so concurrent GETs rarely share a lock; an entry
// exists only while a blob is pinned.
type readerPins struct {
	shards [pinShards]pinShard
}

const pinShards = 64

type pinShard struct {
	mu sync.Mutex
	n  map[string]int32
	_  [48]byte // keep shards on separate cache lines
}

func (p *readerPins) shard(id string) *pinShard {
	// Blob ids are random hex: a few bytes spread them evenly.
	h := uint(0)
	for i := 0; i < len(id) && i < 4; i++ {
		h = h*31 + uint(id[i])
	}
	return &p.shards[h%pinShards]
}

func (p *readerPins) pin(id string) {
	s := p.shard(id)
	s.mu.Lock()
	if s.n == nil {
		s.n = make(map[string]int32)
	}
	s.n[id]++
	s.mu.Unlock()
}

func (p *readerPins) unpin(id string) {
	s := p.shard(id)
	s.mu.Lock()
	if c := s.n[id] - 1; c > 0 {
		s.n[id] = c
	} else {
		delete(s.n, id)
	}
	s.mu.Unlock()
}

func (p *readerPins) pinned(id string) bool {
	s := p.shard(id)
	s.mu.Lock()
	_, ok := s.n[id]
	s.mu.Unlock()
	return ok
}
