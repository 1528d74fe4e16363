package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zonal-dev/zonal/internal/s3api"
	"github.com/zonal-dev/zonal/internal/s3err"
)

// DefaultMinFreeDisk is the free space the data folder keeps by default:
// enough for Pebble to flush every memtable it may hold (4 x 32 MiB) and
// start a new write-ahead log, with room to spare.
const DefaultMinFreeDisk = 256 << 20

// diskGuard keeps a reserve of free space in the data folder. A full disk
// is not survivable for the catalog: Pebble treats a failed write to its
// write-ahead log as fatal (its commit pipeline cannot go on) and the
// process exits. Blob writes fail cleanly (500 InternalError, nothing
// left behind), but small objects live in the catalog, so on a full disk a
// few small PUTs would stop the server. The guard measures the free space
// every 250 ms (and at once after a write failed with ENOSPC) and, below
// the reserve, refuses uploads (and any upload
// larger than the space above the reserve) with 503 ServiceUnavailable.
// Reads, deletes (the way out), renames and completing or aborting
// multipart uploads still work.
type diskGuard struct {
	min  atomic.Int64 // bytes; 0: no reserve
	dirs []string     // the blob and catalog folders (they may be mounts of their own)
	free atomic.Int64
	// pending is the declared size of the uploads in progress: each upload
	// is checked against the space the others may still take (the free
	// space measured already counts what they wrote, so this errs on the
	// safe side).
	pending atomic.Int64

	mu      sync.Mutex
	wasLow  bool // for logging transitions
	refused int64
	lastLog time.Time
}

// diskCheckEvery is how often the free space is measured (a statfs call,
// about a microsecond); a write that fails with ENOSPC also measures at once.
const diskCheckEvery = 250 * time.Millisecond

// measure updates the free space: the least of the watched folders.
func (g *diskGuard) measure() error {
	free := int64(-1)
	for _, d := range g.dirs {
		var st unix.Statfs_t
		if err := unix.Statfs(d, &st); err != nil {
			return fmt.Errorf("statfs %s: %w", d, err)
		}
		f := int64(uint64(st.Bavail) * uint64(st.Bsize))
		if free < 0 || f < free {
			free = f
		}
	}
	g.free.Store(free)
	return nil
}

// watchDisk measures the free space until ctx ends, logging when the
// reserve is reached and when space returns.
func (s *Server) watchDisk(ctx context.Context) {
	g := &s.disk
	t := time.NewTicker(diskCheckEvery)
	defer t.Stop()
	for {
		if err := g.measure(); err != nil {
			s.log.Warn("disk space check failed", "err", err)
		}
		free := g.free.Load()
		g.mu.Lock()
		if low := g.low(); low != g.wasLow {
			g.wasLow = low
			if low {
				s.log.Warn("data folder nearly full: refusing uploads with 503 ServiceUnavailable until space returns",
					"free_bytes", free, "min_free_disk", g.min.Load())
			} else {
				s.log.Info("data folder has space again: accepting uploads", "free_bytes", free, "refused", g.refused)
				g.refused = 0
			}
		}
		g.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// admitUpload decides whether r may go on. Requests that add data — PUT
// (objects, parts, copies, bucket documents) and POST ?uploads, except
// RenameObject — are refused when the free space is under the reserve or
// their declared body (plus the other uploads in progress) would take it
// there. An admitted upload's size is reserved until release is called.
func (g *diskGuard) admitUpload(r *http.Request) (ok bool, release func()) {
	if !g.addsData(r) {
		return true, nil
	}
	n := uploadSize(r)
	if g.free.Load()-g.pending.Add(n) < g.min.Load() {
		g.pending.Add(-n)
		return false, nil
	}
	if n == 0 {
		return true, nil
	}
	return true, func() { g.pending.Add(-n) }
}

// undeclaredBody is what an upload that declares no length is charged:
// the S3 layer answers 411 MissingContentLength to objects and parts
// without one, so such a body can only be a configuration document, which
// it reads up to 1 MiB (s3api's maxXMLBody).
const undeclaredBody = 1 << 20

// uploadSize is the most r can add to the disk: its Content-Length, else
// (an aws-chunked body sent with Transfer-Encoding: chunked) its
// x-amz-decoded-content-length, which the payload decoder enforces.
func uploadSize(r *http.Request) int64 {
	if r.ContentLength >= 0 {
		return r.ContentLength
	}
	if v := r.Header["X-Amz-Decoded-Content-Length"]; len(v) == 1 {
		if n, err := strconv.ParseInt(v[0], 10, 64); err == nil && n >= 0 {
			return n
		}
	}
	return undeclaredBody
}

// addsData reports whether the guard applies to r.
func (g *diskGuard) addsData(r *http.Request) bool {
	if g.min.Load() <= 0 {
		return false
	}
	q := s3api.Classified(r).Query
	switch r.Method {
	case http.MethodPut:
		if q.Has("renameObject") {
			return false
		}
	case http.MethodPost:
		if !q.Has("uploads") {
			return false
		}
	default:
		return false
	}
	return true
}

// low reports whether the free space is under the reserve.
func (g *diskGuard) low() bool {
	min := g.min.Load()
	return min > 0 && g.free.Load() < min
}

// sawError re-measures at once when a request failed for lack of space:
// the disk may have been filled from outside since the last measurement.
func (g *diskGuard) sawError(err error) {
	if err != nil && errors.Is(err, syscall.ENOSPC) {
		_ = g.measure()
	}
}

// refuseUpload answers an upload refused for lack of disk space.
func (s *Server) refuseUpload(w http.ResponseWriter, r *http.Request) {
	g := &s.disk
	free := g.free.Load()
	if r.ContentLength != 0 {
		w.Header().Set("Connection", "close") // the body is not read
	}
	start := time.Now()
	st, w, r := stateFor(w, r)
	s.metrics.Start()
	e := s3err.ServiceUnavailable.Msg("zonal is refusing uploads: its disk is nearly full (%d MiB free, %d MiB kept in reserve). Delete objects or add space.",
		free>>20, g.min.Load()>>20)
	s.api.Refuse(w, r, e, &st.req.Info)
	s.finish(r, st, start, false)
	g.mu.Lock()
	g.refused++
	if time.Since(g.lastLog) >= shedLogEvery {
		s.log.Warn("refusing uploads: data folder nearly full", "free_bytes", free, "min_free_disk", g.min.Load(), "refused", g.refused)
		g.lastLog = time.Now()
	}
	g.mu.Unlock()
}

// setupDiskGuard prepares the guard over the blob and catalog folders.
func (s *Server) setupDiskGuard() error {
	s.disk.min.Store(s.limits.MinFreeDisk)
	s.disk.dirs = []string{s.blobDir()}
	if s.cfg.Blob != "" { // the cluster's disks are its own to watch
		s.disk.dirs = []string{s.cfg.Data}
	}
	if s.cfg.Catalog == "" { // a shared catalog's disk is the database server's to watch
		s.disk.dirs = append(s.disk.dirs, filepath.Join(s.cfg.Data, "meta"))
	}
	return s.disk.measure()
}
