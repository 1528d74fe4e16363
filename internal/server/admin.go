package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zonal-dev/zonal/internal/blob"
	"github.com/zonal-dev/zonal/internal/console"
	"github.com/zonal-dev/zonal/internal/metrics"
)

// The operator endpoints, under /_zonal/ (not a valid bucket name).
const (
	HealthPath  = "/_zonal/health"
	ReadyPath   = "/_zonal/ready"
	MetricsPath = "/_zonal/metrics"
	PprofPath   = "/_zonal/debug/pprof/"
	FaultsPath  = "/_zonal/faults"
)

// adminHandler serves everything under /_zonal/: the web console (when
// on), which signs people in with their own access keys and so is not
// behind the admin token, and the operator endpoints, which are.
//
// The console takes uploads and streams downloads, so unlike the probes it
// keeps the API's body and write deadlines (a stalled or trickling client
// cannot hold a connection and its buffers) and its panic recovery. It is
// neither counted in the API's metrics nor shed by --max-inflight: its
// requests are people clicking, and the console logs the changes they make.
func (s *Server) adminHandler() http.Handler {
	ops := s.operatorHandler()
	if s.console == nil {
		return ops
	}
	con := chain(s.console, s.withDeadlines, s.recoverPanic)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == strings.TrimSuffix(console.Prefix, "/"):
			http.Redirect(w, r, console.Prefix, http.StatusMovedPermanently)
		case strings.HasPrefix(r.URL.Path, console.Prefix):
			con.ServeHTTP(w, r)
		default:
			ops.ServeHTTP(w, r)
		}
	})
}

// consoleRefuse tells the console when to refuse a change, as the API's
// wrappers refuse it (readOnlyGate, admitDisk), which the console, served
// beside the API, does not pass through.
func (s *Server) consoleRefuse(upload bool) string {
	if s.degraded != "" {
		return s.degraded
	}
	if upload && s.disk.low() {
		return "the data folder is nearly full (under its --min-free-disk reserve)"
	}
	return ""
}

// operatorHandler serves the operator endpoints, behind the bearer token
// when one is configured.
func (s *Server) operatorHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+HealthPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET "+ReadyPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err := s.ready.check(r.Context()); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "not ready: %v\n", err)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	mux.Handle("GET "+MetricsPath, s.metrics.Handler())
	s.faultsAPI(mux)
	if s.cfg.Pprof {
		// pprof.Index finds named profiles under /debug/pprof/ only.
		mux.Handle(PprofPath, http.StripPrefix("/_zonal", http.HandlerFunc(pprof.Index)))
		mux.HandleFunc(PprofPath+"cmdline", pprof.Cmdline)
		mux.HandleFunc(PprofPath+"profile", pprof.Profile)
		mux.HandleFunc(PprofPath+"symbol", pprof.Symbol)
		mux.HandleFunc(PprofPath+"trace", pprof.Trace)
	}
	if s.cfg.AdminToken == "" {
		return mux
	}
	want := sha256.Sum256([]byte("Bearer " + s.cfg.AdminToken))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Hashing first makes the comparison constant-time in the token's
		// length too.
		got := sha256.Sum256([]byte(r.Header.Get("Authorization")))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="zonal"`)
			http.Error(w, "a bearer token is required (Authorization: Bearer <admin-token>)", http.StatusUnauthorized)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// readiness answers /_zonal/ready: the server is not draining and its
// storage takes a synced write. A probe result is kept for readyCacheFor
// so frequent probes cost nothing.
type readiness struct {
	s *Server

	mu       sync.Mutex
	at       time.Time
	err      error
	draining bool
}

const readyCacheFor = 2 * time.Second

func (r *readiness) check(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.draining {
		return errors.New("shutting down")
	}
	if r.s.degraded != "" {
		return errors.New("degraded: " + r.s.degraded)
	}
	if g := &r.s.disk; g.low() {
		return fmt.Errorf("data folder nearly full: %d MiB free, under the %d MiB reserve (--min-free-disk); uploads are refused",
			g.free.Load()>>20, g.min.Load()>>20)
	}
	if !r.at.IsZero() && time.Since(r.at) < readyCacheFor {
		return r.err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	r.err = r.s.probeStorage(ctx)
	r.at = time.Now()
	if r.err != nil {
		r.s.log.Warn("readiness probe failed", "err", r.err)
	}
	return r.err
}

func (r *readiness) drain() {
	r.mu.Lock()
	r.draining = true
	r.mu.Unlock()
}

// probeStorage writes and syncs a small file in the data folder and a
// small value in the catalog.
func (s *Server) probeStorage(ctx context.Context) error {
	stamp := []byte(strconv.FormatInt(time.Now().UnixNano(), 10) + "\n")
	path := filepath.Join(s.cfg.Data, ".ready-probe")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("data folder not writable: %w", err)
	}
	_, err = f.Write(stamp)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("data folder write failed: %w", err)
	}
	if err := s.cat.PutConfig(ctx, "zonal/ready-probe", stamp); err != nil {
		return fmt.Errorf("catalog write failed: %w", err)
	}
	if s.cfg.Blob != "" {
		// A remote blob store answers a read of a blob that cannot exist
		// (ids are random; this one is all zeros) with "not found" while
		// it is reachable.
		r, err := s.blobs.Open(ctx, strings.Repeat("0", blob.IDLen))
		if err == nil {
			r.Close()
		} else if !errors.Is(err, blob.ErrNotFound) {
			return fmt.Errorf("blob store unreachable: %w", err)
		}
	}
	return nil
}

// Storage sampling: blob usage and the GC backlog cost time proportional
// to the data, so they are measured in the background, at most every
// sampleEvery (longer when a sample itself is slow), never per scrape.
const sampleEvery = 30 * time.Second

func (s *Server) sampleStorage(ctx context.Context, active func() bool) {
	for {
		wait := time.Second // until this node holds the background lease
		if active() {
			smp := s.takeSample(ctx)
			if ctx.Err() != nil {
				return
			}
			s.metrics.SetStorage(smp)
			if smp.Err != nil {
				s.log.Warn("storage metrics sample incomplete", "err", smp.Err)
			}
			wait = max(sampleEvery, 10*smp.Took)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

func (s *Server) takeSample(ctx context.Context) metrics.StorageSample {
	start := time.Now()
	var smp metrics.StorageSample
	var errs []error
	var err error
	if smp.BlobBytes, smp.Blobs, err = s.blobs.Usage(ctx); err != nil {
		errs = append(errs, fmt.Errorf("blob usage: %w", err))
	}
	n, err := s.cat.GCBacklog(ctx)
	if err != nil {
		errs = append(errs, fmt.Errorf("gc backlog: %w", err))
	}
	smp.GCBacklog = int64(n)
	if s.cfg.Catalog == "" { // a shared catalog's size is the database's to report
		smp.CatalogBytes, err = dirBytes(filepath.Join(s.cfg.Data, "meta"))
		if err != nil {
			errs = append(errs, fmt.Errorf("catalog size: %w", err))
		}
	}
	smp.Err = errors.Join(errs...)
	smp.At, smp.Took = time.Now(), time.Since(start)
	return smp
}

// dirBytes sums the sizes of the regular files under dir.
func dirBytes(dir string) (int64, error) {
	var total int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed while walking (compaction)
			}
			return err
		}
		if d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				total += fi.Size()
			}
		}
		return nil
	})
	return total, err
}
