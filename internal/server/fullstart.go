package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/zonal-dev/zonal/internal/catalog/pebble"
	"github.com/zonal-dev/zonal/internal/catalog/postgres"
	"github.com/zonal-dev/zonal/internal/s3api"
	"github.com/zonal-dev/zonal/internal/s3err"
)

// Starting on a full disk. A writable Pebble open first writes the log
// left by the last run out to a new table (Pebble does not do it on
// Close), and when that write fails with ENOSPC Pebble retries it at once,
// for ever, inside Open: the process would never serve and never exit,
// logging about 1,800 errors a second. So before opening, the free space
// is compared with what that flush needs: the size of the logs plus
// flushHeadroom for the manifest, the options file and the next log. When
// it falls short, the catalog is opened read-only (the logs are replayed
// into memory, nothing is written), reads are served, every other request
// gets 503, and /_zonal/ready says why. Writable service takes a restart
// once space was freed: swapping the catalog under a running store is not
// worth its risk. Should the estimate be wrong and the flush fail anyway,
// the Pebble logger ends the process with one message (pebbleLogger).
const flushHeadroom = 16 << 20

// openCatalog opens the shared catalog of Config.Catalog, or else
// <data>/meta, read-only when the disk is too full to open it for writing;
// s.degraded then says why.
func (s *Server) openCatalog() error {
	if s.cfg.Catalog != "" {
		return s.openSharedCatalog()
	}
	dir := filepath.Join(s.cfg.Data, "meta")
	pl := newPebbleLogger(s.log)
	free, need, err := catalogSpace(dir)
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	if need > 0 && free < need {
		s.degraded = fmt.Sprintf("the disk holding the data folder was full at start (%d MiB free, %d MiB needed to open the catalog for writing), so zonal runs read-only: reads work, everything else gets 503 until it is restarted with space free",
			free>>20, (need+1<<20-1)>>20)
		s.log.Error(s.degraded)
		if s.cat, err = pebble.OpenReadOnly(dir, pebble.WithPrivateFiles(), pebble.WithLogger(pl)); err != nil {
			return fmt.Errorf("catalog: %w", err)
		}
		return nil
	}
	pl.st.opening.Store(true)
	defer pl.st.opening.Store(false)
	if s.cat, err = pebble.Open(dir, pebble.WithPrivateFiles(), pebble.WithLogger(pl)); err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	return nil
}

// openSharedCatalog connects to the PostgreSQL catalog. Its errors name
// the host and database, never the password (pgx leaves it out).
func (s *Server) openSharedCatalog() error {
	// One --catalog-timeout bounds both waits a request can meet: for a
	// connection (PostgreSQL unreachable) and for a statement or lock.
	opts := postgres.Options{MaxConns: int32(s.cfg.CatalogMaxConns),
		StatementTimeout: s.cfg.CatalogTimeout, AcquireTimeout: s.cfg.CatalogTimeout, MaxRetries: s.cfg.CatalogRetries}
	c, err := postgres.Open(context.Background(), s.cfg.Catalog, opts)
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	s.cat = c
	return nil
}

// catalogSpace returns the free space of the catalog's filesystem and the
// space a writable open needs: 0 for a new catalog (creating one fails
// cleanly on a full disk; only replaying a log can hang).
func catalogSpace(dir string) (free, need int64, err error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	var logs int64
	exists := false
	for _, e := range ents {
		switch name := e.Name(); {
		case strings.HasPrefix(name, "MANIFEST-"):
			exists = true
		case strings.HasSuffix(name, ".log"):
			if fi, err := e.Info(); err == nil {
				logs += fi.Size()
			}
		}
	}
	if !exists {
		return 0, 0, nil
	}
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, 0, fmt.Errorf("statfs %s: %w", dir, err)
	}
	return int64(uint64(st.Bavail) * uint64(st.Bsize)), logs + flushHeadroom, nil
}

// readOnlyGate answers every request but GET and HEAD with 503 while the
// server runs read-only (a read-only catalog would fail them with 500).
func (s *Server) readOnlyGate(next http.Handler) http.Handler {
	if s.degraded == "" {
		return next
	}
	e := s3err.ServiceUnavailable.Msg("%s", s.degraded)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		if r.ContentLength != 0 {
			w.Header().Set("Connection", "close") // the body is not read
		}
		s.api.Refuse(w, r, e, s3api.InfoFrom(r.Context()))
	})
}
