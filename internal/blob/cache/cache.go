// Package cache keeps node-local copies of the blobs of a slower blob.Store
// (a remote S3-compatible cluster) in a folder on local disk, and is itself
// a blob.Store wrapping that backend.
//
// Blob ids are never reused and committed blobs never change, so a local
// copy is valid for as long as it exists: nothing is ever invalidated.
// Writes go through to the backend and keep a copy of what they wrote;
// reads that miss copy the blob in whole before serving it. The least
// recently used copies are removed to keep the folder under a byte budget.
//
// The cache is disposable: copies are not fsynced, New empties the folder,
// and Delete, Walk and Usage go to the backend, which is the store.
package cache

import (
	"container/list"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zonal-dev/zonal/internal/blob"
)

// DefaultMaxBlob is the largest blob the cache copies unless WithMaxBlob
// says otherwise: a miss reads the whole blob before serving it, so this
// also bounds the latency a miss adds.
const DefaultMaxBlob = 64 << 20

// tmpPrefix starts the name of every file that is not (yet) a complete copy.
// Complete copies are named by hex, which never starts with 't'.
const tmpPrefix = "tmp-"

// Option configures New.
type Option func(*Cache)

// WithMaxBlob sets the size above which blobs are neither copied on a miss
// nor kept by write-through; they are read from the backend every time.
// Blobs larger than the cache's maxBytes are never cached whatever n is.
func WithMaxBlob(n int64) Option { return func(c *Cache) { c.maxBlob = n } }

// Stats are the cache's counters since New.
type Stats struct {
	Hits      int64 // Opens served from a local copy
	Misses    int64 // Opens that went to the backend
	Evictions int64 // copies removed to stay under the byte budget
	Bytes     int64 // disk space of the copies held now, in whole blocks (see cost)
	Blobs     int64 // copies held now
}

// Cache is a blob.Store keeping local copies of a backend's blobs. It is
// safe for concurrent use. Its mutex guards only the index; file I/O and
// backend calls happen outside it.
type Cache struct {
	backend  blob.Store
	dir      string
	maxBytes int64
	maxBlob  int64

	mu      sync.Mutex
	entries map[string]*list.Element // of *entry
	lru     *list.List               // most recently used at the front
	bytes   int64
	fills   map[string]*fill // misses being copied in, by id

	hits, misses, evictions, nbytes, nblobs atomic.Int64

	// onJoin, if set, is called when an Open waits for another's fill;
	// tests use it to know every goroutine is waiting.
	onJoin func()
}

var _ blob.Store = (*Cache)(nil)

// entry is one complete local copy.
type entry struct {
	id   string
	path string
	size int64
}

// fill is one miss copying a blob in; concurrent misses of the same id wait
// for it instead of reading the backend again.
type fill struct {
	done    chan struct{}
	path    string // the copy, once done; "" if the blob was not cached
	size    int64
	err     error
	dropped bool // Delete ran meanwhile: throw the copy away
}

// New returns a cache of backend's blobs in dir, holding at most maxBytes.
// It creates dir and removes everything in it: files left by an earlier
// run were never fsynced, so after a machine crash one could be short or
// hold zeros under a complete-looking name, and the cache cannot tell
// without reading the backend.
func New(backend blob.Store, dir string, maxBytes int64, opts ...Option) (*Cache, error) {
	if maxBytes < 0 {
		return nil, fmt.Errorf("blob/cache: negative size %d", maxBytes)
	}
	c := &Cache{
		backend:  backend,
		dir:      dir,
		maxBytes: maxBytes,
		maxBlob:  DefaultMaxBlob,
		entries:  make(map[string]*list.Element),
		lru:      list.New(),
		fills:    make(map[string]*fill),
	}
	for _, opt := range opts {
		opt(c)
	}
	c.maxBlob = min(c.maxBlob, maxBytes)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("blob/cache: %w", err)
	}
	old, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("blob/cache: %w", err)
	}
	for _, de := range old {
		if err := os.RemoveAll(filepath.Join(dir, de.Name())); err != nil {
			return nil, fmt.Errorf("blob/cache: emptying %s: %w", dir, err)
		}
	}
	return c, nil
}

// Stats returns the cache's counters.
func (c *Cache) Stats() Stats {
	return Stats{
		Hits:      c.hits.Load(),
		Misses:    c.misses.Load(),
		Evictions: c.evictions.Load(),
		Bytes:     c.nbytes.Load(),
		Blobs:     c.nblobs.Load(),
	}
}

// Create implements blob.Store: the Writer writes to the backend and keeps
// a copy of the bytes, cached under the id once the backend commits.
func (c *Cache) Create(ctx context.Context) (blob.Writer, error) {
	bw, err := c.backend.Create(ctx)
	if err != nil {
		return nil, err
	}
	w := &writer{c: c, bw: bw}
	if c.maxBlob > 0 {
		// Without a temp file the blob is simply not cached.
		w.tmp, _ = os.CreateTemp(c.dir, tmpPrefix+"*")
	}
	return w, nil
}

// Open implements blob.Store. A local copy is served as a file (its Reader
// implements blob.FileSectioner). On a miss the whole blob is copied into
// a temp file first, and renamed into the cache once its size is right;
// this costs a miss the time of one full read, but makes a partial copy
// impossible to serve and keeps one simple kind of Reader. Concurrent
// misses of one id share that one backend read. Blobs over the size limit
// are served straight from the backend.
func (c *Cache) Open(ctx context.Context, id string) (blob.Reader, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if r := c.openLocal(id); r != nil {
		c.hits.Add(1)
		return r, nil
	}
	c.misses.Add(1)

	c.mu.Lock()
	if _, ok := c.entries[id]; ok {
		// Another miss finished the copy since openLocal looked.
		c.mu.Unlock()
		if r := c.openLocal(id); r != nil {
			return r, nil
		}
		return c.backend.Open(ctx, id)
	}
	f, joined := c.fills[id]
	if !joined {
		f = &fill{done: make(chan struct{})}
		c.fills[id] = f
	}
	c.mu.Unlock()
	if !joined {
		return c.fill(ctx, id, f)
	}
	if c.onJoin != nil {
		c.onJoin()
	}
	select {
	case <-f.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if f.err != nil {
		if errors.Is(f.err, context.Canceled) || errors.Is(f.err, context.DeadlineExceeded) {
			return c.Open(ctx, id) // the first miss's ctx, not ours
		}
		return nil, f.err
	}
	if f.path != "" {
		if file, err := os.Open(f.path); err == nil {
			return &fileReader{File: file, size: f.size}, nil
		}
		// Evicted already: read the backend rather than fill again.
	}
	return c.backend.Open(ctx, id)
}

// openLocal opens id's local copy, or returns nil if there is none. Eviction
// can remove the file between the lookup and the open; that is a miss.
func (c *Cache) openLocal(id string) blob.Reader {
	c.mu.Lock()
	el, ok := c.entries[id]
	if ok {
		c.lru.MoveToFront(el)
	}
	c.mu.Unlock()
	if !ok {
		return nil
	}
	e := el.Value.(*entry)
	f, err := os.Open(e.path)
	if err != nil {
		return nil
	}
	return &fileReader{File: f, size: e.size}
}

// fill reads id from the backend into a local copy and returns a Reader of
// it, then tells the misses waiting on f. The fill runs under the first
// miss's ctx; should that be cancelled, the waiters still live try again.
func (c *Cache) fill(ctx context.Context, id string, f *fill) (r blob.Reader, err error) {
	var tmp *os.File
	defer func() {
		f.err = err
		if tmp != nil && err == nil {
			f.path, f.size = c.newPath(id), r.Size()
			if os.Rename(tmp.Name(), f.path) != nil {
				f.path = ""
				os.Remove(tmp.Name()) // r keeps reading the open file
			}
		} else if tmp != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
		c.settle(id, f)
		close(f.done)
	}()

	br, err := c.backend.Open(ctx, id)
	if err != nil {
		return nil, err
	}
	size := br.Size()
	if size > c.maxBlob {
		return br, nil
	}
	tmp, err = os.CreateTemp(c.dir, tmpPrefix+"*")
	if err != nil {
		tmp = nil
		return br, nil // no room or no folder: serve the read uncached
	}
	defer br.Close()
	if err := copyIn(tmp, br, size); err != nil {
		return nil, fmt.Errorf("blob/cache: reading %s: %w", id, err)
	}
	// The renamed file stays the same open file, so this Reader keeps
	// working even if the copy is evicted before the caller reads.
	return &fileReader{File: tmp, size: size}, nil
}

// fillChunk is the most a fill asks the backend for at once. Each ReadAt
// may be one ranged GET on a remote backend, so chunks are large: io.Copy's
// 32 KiB would make a 64 MiB blob two thousand requests.
const fillChunk = 4 << 20

// copyIn copies the size bytes of r into f.
func copyIn(f *os.File, r blob.Reader, size int64) error {
	buf := make([]byte, min(size, fillChunk))
	for off := int64(0); off < size; {
		p := buf[:min(int64(len(buf)), size-off)]
		n, err := r.ReadAt(p, off)
		if n < len(p) {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF // shorter than its Size
			}
			return err
		}
		if _, err := f.Write(p); err != nil {
			return err
		}
		off += int64(n)
	}
	return nil
}

// settle ends fill f of id: the copy at f.path, if any, joins the index
// unless Delete dropped it meanwhile.
func (c *Cache) settle(id string, f *fill) {
	c.mu.Lock()
	delete(c.fills, id)
	var victims []string
	if f.path != "" {
		if f.dropped {
			victims = append(victims, f.path)
		} else {
			victims = c.addLocked(id, f.path, f.size)
		}
	}
	c.mu.Unlock()
	c.remove(victims)
}

// add puts a complete copy into the index, evicting what no longer fits.
func (c *Cache) add(id, path string, size int64) {
	c.mu.Lock()
	victims := c.addLocked(id, path, size)
	c.mu.Unlock()
	c.remove(victims)
}

// addLocked is add with c.mu held; the caller removes the files returned.
func (c *Cache) addLocked(id, path string, size int64) (victims []string) {
	if _, ok := c.entries[id]; ok || size > c.maxBlob || cost(size) > c.maxBytes {
		return []string{path}
	}
	c.entries[id] = c.lru.PushFront(&entry{id: id, path: path, size: size})
	c.bytes += cost(size)
	c.nblobs.Add(1)
	for c.bytes > c.maxBytes {
		e := c.lru.Remove(c.lru.Back()).(*entry)
		c.forgetLocked(e)
		victims = append(victims, e.path)
		c.evictions.Add(1)
	}
	c.nbytes.Store(c.bytes)
	return victims
}

func (c *Cache) forgetLocked(e *entry) {
	delete(c.entries, e.id)
	c.bytes -= cost(e.size)
	c.nblobs.Add(-1)
	c.nbytes.Store(c.bytes)
}

// block is the unit in which copies are charged to the byte budget.
const block = 4096

// cost is what a copy of size bytes is charged: the disk blocks it takes,
// and one for an empty copy, whose inode is not free either. Without that,
// empty blobs could fill the folder with files the budget never counts.
func cost(size int64) int64 { return max(block, (size+block-1)/block*block) }

// remove unlinks files outside the lock. Readers that have a removed file
// open keep reading it: on Linux (and POSIX generally) an unlinked file
// lives until its last descriptor closes. Each copy has a name of its own
// (newPath), so a late remove can never hit a newer copy of the same id.
func (c *Cache) remove(paths []string) {
	for _, p := range paths {
		os.Remove(p)
	}
}

// newPath names a new copy of id: the id in hex (ids from any backend are
// then safe file names) and a random suffix.
func (c *Cache) newPath(id string) string {
	var b [8]byte
	rand.Read(b[:])
	return filepath.Join(c.dir, hex.EncodeToString([]byte(id))+"."+hex.EncodeToString(b[:]))
}

// Delete implements blob.Store: the blob goes from the backend, then from
// the cache. Dropping the copy after the backend delete means a miss that
// read the blob before it went cannot cache it afterwards.
func (c *Cache) Delete(ctx context.Context, id string) error {
	err := c.backend.Delete(ctx, id)
	c.mu.Lock()
	var victims []string
	if el, ok := c.entries[id]; ok {
		e := c.lru.Remove(el).(*entry)
		c.forgetLocked(e)
		victims = append(victims, e.path)
	}
	if f, ok := c.fills[id]; ok {
		f.dropped = true
	}
	c.mu.Unlock()
	c.remove(victims)
	return err
}

// Walk implements blob.Store with the backend's blobs: the cache is not
// the store.
func (c *Cache) Walk(ctx context.Context, fn func(id string, modTime time.Time) error) error {
	return c.backend.Walk(ctx, fn)
}

// Usage implements blob.Store with the backend's usage.
func (c *Cache) Usage(ctx context.Context) (bytes int64, count int64, err error) {
	return c.backend.Usage(ctx)
}

// fileReader reads a local copy.
type fileReader struct {
	*os.File
	size int64
}

var _ blob.FileSectioner = (*fileReader)(nil)

func (r *fileReader) Size() int64 { return r.size }

// FileSection implements blob.FileSectioner.
func (r *fileReader) FileSection(off, n int64) (*io.LimitedReader, bool) {
	if _, err := r.Seek(off, io.SeekStart); err != nil {
		return nil, false
	}
	return &io.LimitedReader{R: r.File, N: n}, true
}
