package cache

import (
	"os"

	"github.com/zonal-dev/zonal/internal/blob"
)

// writer tees a new blob into the backend's Writer and a local temp file.
// The backend is the store: its errors are the Writer's errors, while a
// failure of the temp file only means the blob is not cached.
type writer struct {
	c   *Cache
	bw  blob.Writer
	tmp *os.File // nil once the copy is given up
	n   int64    // bytes in tmp
}

func (w *writer) Write(p []byte) (int, error) {
	n, err := w.bw.Write(p)
	if w.tmp != nil && n > 0 {
		w.n += int64(n)
		if w.n > w.c.maxBlob {
			w.discard()
		} else if _, terr := w.tmp.Write(p[:n]); terr != nil {
			w.discard()
		}
	}
	return n, err
}

// Commit commits the backend's blob and, once that succeeded, makes the
// temp file the cached copy of the returned id. The copy is not synced:
// losing it costs a miss, never a wrong byte, since New empties the folder.
func (w *writer) Commit() (string, error) {
	id, err := w.bw.Commit()
	if err != nil {
		w.discard()
		return id, err
	}
	if w.tmp != nil {
		tmp := w.tmp
		w.tmp = nil
		path := w.c.newPath(id)
		if tmp.Close() == nil && os.Rename(tmp.Name(), path) == nil {
			w.c.add(id, path, w.n)
		} else {
			os.Remove(tmp.Name())
		}
	}
	return id, nil
}

// Abort aborts the backend's blob and drops the copy.
func (w *writer) Abort() error {
	err := w.bw.Abort()
	w.discard()
	return err
}

func (w *writer) discard() {
	if w.tmp != nil {
		w.tmp.Close()
		os.Remove(w.tmp.Name())
		w.tmp = nil
	}
}
