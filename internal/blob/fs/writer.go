package fs

import (
	"bufio"
	"errors"
	"fmt"
	"sync"
)

// bufSize batches small writes into few system calls; writes larger than
// the buffer go straight to the file.
const bufSize = 256 << 10

// Buffers are pooled: a store taking thousands of small PUTs a second
// should not allocate 256 KiB for each.
var bufPool = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, bufSize) }}

var errFinished = errors.New("blob/fs: writer already committed or aborted")

// writer writes a new blob at its final name.
type writer struct {
	s    *Store
	id   string
	f    File
	bw   *bufio.Writer
	done bool
}

func newWriter(s *Store, id string, f File) *writer {
	bw := bufPool.Get().(*bufio.Writer)
	bw.Reset(f)
	return &writer{s: s, id: id, f: f, bw: bw}
}

func (w *writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, errFinished
	}
	return w.bw.Write(p)
}

// Commit flushes, fdatasyncs and closes the file, then fsyncs its shard
// folder so the new name survives a crash. On any failure the file is
// removed and the error returned: the caller must not use the id.
func (w *writer) Commit() (string, error) {
	if w.done {
		return "", errFinished
	}
	w.done = true
	err := w.bw.Flush()
	w.release()
	if err == nil {
		err = w.f.Sync()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = w.s.fs.SyncDir(w.s.shardDir(w.id))
	}
	if err != nil {
		if rerr := w.s.fs.Remove(w.s.path(w.id)); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return "", fmt.Errorf("blob/fs: commit %s: %w", w.id, err)
	}
	return w.id, nil
}

// Abort discards the blob. Aborting after Commit or Abort does nothing.
func (w *writer) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	w.release()
	err := w.f.Close()
	if rerr := w.s.fs.Remove(w.s.path(w.id)); rerr != nil {
		err = errors.Join(err, rerr)
	}
	if err != nil {
		return fmt.Errorf("blob/fs: abort %s: %w", w.id, err)
	}
	return nil
}

func (w *writer) release() {
	w.bw.Reset(nil)
	bufPool.Put(w.bw)
	w.bw = nil
}
