// Package mem is an in-memory blob.Store for tests.
package mem

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"time"

	"github.com/zonal-dev/zonal/internal/blob"
)

// Store keeps committed blobs in a map. The zero value is not usable; call New.
type Store struct {
	mu    sync.RWMutex
	blobs map[string]stored
}

type stored struct {
	data    []byte
	modTime time.Time
}

var _ blob.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store { return &Store{blobs: make(map[string]stored)} }

// Create implements blob.Store.
func (s *Store) Create(ctx context.Context) (blob.Writer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return &writer{s: s}, nil
}

// Open implements blob.Store.
func (s *Store) Open(ctx context.Context, id string) (blob.Reader, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	b, ok := s.blobs[id]
	s.mu.RUnlock()
	if !ok {
		return nil, blob.ErrNotFound
	}
	// Stored bytes are never modified, so readers share them.
	return reader{bytes.NewReader(b.data)}, nil
}

type reader struct{ *bytes.Reader }

func (reader) Close() error { return nil }

// Delete implements blob.Store.
func (s *Store) Delete(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.blobs, id)
	s.mu.Unlock()
	return nil
}

// Walk implements blob.Store. It sees committed blobs only: memory has no
// crash leftovers.
func (s *Store) Walk(ctx context.Context, fn func(id string, modTime time.Time) error) error {
	s.mu.RLock()
	all := make(map[string]time.Time, len(s.blobs))
	for id, b := range s.blobs {
		all[id] = b.modTime
	}
	s.mu.RUnlock()
	for id, t := range all {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(id, t); err != nil {
			return err
		}
	}
	return nil
}

// Usage implements blob.Store.
func (s *Store) Usage(ctx context.Context) (bytes, count int64, err error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, b := range s.blobs {
		bytes += int64(len(b.data))
	}
	return bytes, int64(len(s.blobs)), nil
}

var errFinished = errors.New("blob/mem: writer already committed or aborted")

type writer struct {
	s    *Store
	buf  bytes.Buffer
	done bool
}

func (w *writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, errFinished
	}
	return w.buf.Write(p)
}

func (w *writer) Commit() (string, error) {
	if w.done {
		return "", errFinished
	}
	w.done = true
	var b [16]byte
	rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	w.s.mu.Lock()
	w.s.blobs[id] = stored{data: w.buf.Bytes(), modTime: time.Now()}
	w.s.mu.Unlock()
	return id, nil
}

func (w *writer) Abort() error {
	w.done = true
	w.buf = bytes.Buffer{}
	return nil
}
