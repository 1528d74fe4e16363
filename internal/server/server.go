// Package server assembles a zonal server: it opens the data folder (lock,
// catalog, blobs, session key ring, root credentials, accounts), builds the
// HTTP handler chain (access log and metrics around the S3 and IAM/STS APIs,
// the /_zonal/ health, readiness and Prometheus endpoints, and the web
// console when it is on), serves over
// HTTP or TLS (HTTP/2, certificate reloaded by ReloadTLS), and shuts down
// gracefully.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/zonal-dev/zonal/internal/activity"
	"github.com/zonal-dev/zonal/internal/auth"
	"github.com/zonal-dev/zonal/internal/blob"
	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/console"
	"github.com/zonal-dev/zonal/internal/faults"
	"github.com/zonal-dev/zonal/internal/fsutil"
	"github.com/zonal-dev/zonal/internal/iam"
	"github.com/zonal-dev/zonal/internal/lease"
	"github.com/zonal-dev/zonal/internal/metrics"
	"github.com/zonal-dev/zonal/internal/netpeer"
	"github.com/zonal-dev/zonal/internal/s3api"
	"github.com/zonal-dev/zonal/internal/session"
	"github.com/zonal-dev/zonal/internal/store"
)

// Config is everything a server needs to start.
type Config struct {
	Addr       string
	Data       string
	Region     string
	Zones      []string
	SessionTTL time.Duration
	AccountID  string
	// RootAccessKey and RootSecretKey are the default account's root
	// credentials; when empty they are loaded from, or generated into, the
	// data folder.
	RootAccessKey, RootSecretKey string
	// Accounts are more accounts to create (or whose root key to set) at
	// start-up, from the configuration file.
	Accounts []Account
	// MasterKeyFile seals the identity store's secrets; empty means
	// $ZONAL_MASTER_KEY_FILE, else <data>/keys/master.key.
	MasterKeyFile string
	// SSEKeyFile is the key that encrypts object data at rest; empty means
	// <data>/keys/sse.key (config resolves --sse-key-file and
	// ZONAL_SSE_KEY_FILE: the server reads no environment).
	SSEKeyFile string
	// PlaintextAtRest stores new object data unencrypted (--encrypt-at-rest
	// false); see store.Options.PlaintextAtRest.
	PlaintextAtRest bool
	InlineMax       int64
	// Sendfile sends every unencrypted file range with sendfile(2); by
	// default ranges of mapFrom (2 MiB) or more are written from memory maps
	// (package mmapio says why).
	Sendfile bool

	// Catalog is a PostgreSQL connection string: the catalog is shared
	// with every node given the same one. Empty keeps the embedded Pebble
	// catalog in <data>/meta. CatalogMaxConns and CatalogTimeout tune it
	// (zero: the engine's defaults).
	Catalog         string
	CatalogMaxConns int
	CatalogTimeout  time.Duration
	CatalogRetries  int
	// BlobDir holds the blob files; empty means <data>/blobs.
	BlobDir string
	// Blob, when set (s3://BUCKET/PREFIX), keeps blobs in an S3-compatible
	// cluster at BlobEndpoint, signed for BlobRegion with the blob keys;
	// CacheDir and CacheSize then keep a node-local cache of them.
	Blob, BlobEndpoint, BlobRegion string
	BlobAccessKeyID, BlobSecretKey string
	CacheDir                       string
	CacheSize                      int64

	// TLSCert and TLSKey are PEM files to serve HTTPS with (ReloadTLS reads
	// them again); TLSSelfSigned instead uses a certificate generated once
	// into <data>/tls/.
	TLSCert, TLSKey string
	TLSSelfSigned   bool
	// Hostnames are the names clients use as the endpoint; the self-signed
	// certificate covers each and its subdomains (bucket hosts).
	Hostnames []string

	// AdminToken, when set, is the bearer token /_zonal/ endpoints require.
	AdminToken string
	// TrustedProxies are the reverse proxies whose forwarding headers say
	// who the client is (netpeer.Proxies.Resolve, before everything else).
	TrustedProxies netpeer.Proxies
	// Pprof serves net/http/pprof under /_zonal/debug/pprof/ (for profiling
	// a running server; behind AdminToken like the other endpoints).
	Pprof bool
	// Console serves the web console under /_zonal/console/. It signs
	// people in with their own access keys, so it is not behind
	// AdminToken.
	Console bool
	// Limits bound timeouts and in-flight requests; the zero value means
	// DefaultLimits().
	Limits Limits

	// Faults are the fault-injection rules of the --faults file (the
	// admin API and zonaltest add more at run time; see Server.Faults).
	Faults []faults.Rule

	// NoAccessLog turns off the per-request log line (5xx are still logged).
	NoAccessLog bool
	// ShuffleListing returns listing pages in random order (--list-order shuffled).
	ShuffleListing bool
	// LifecycleInterval and LifecycleDay shorten the lifecycle worker's
	// period and a rule's "day" for tests; zero means an hour and 24 hours.
	LifecycleInterval, LifecycleDay time.Duration
	// LeaseTTL is the background lease's lifetime; zero means 30 s.
	LeaseTTL time.Duration
	// GCInterval is the blob GC's period (zero: 10 s); GCDelay how long a
	// freed blob waits before deletion (zero: the store's default, or 15
	// minutes with a shared catalog). Tests shorten both.
	GCInterval, GCDelay time.Duration
	Logger              *slog.Logger
	// Version and Commit label zonal_build_info.
	Version, Commit string
}

// Account is an extra account: its id and root key.
type Account struct {
	ID, AccessKeyID, SecretAccessKey string
}

// Server is a running zonal instance.
type Server struct {
	cfg     Config
	log     *slog.Logger
	lock    *os.File
	cat     catalog.Catalog
	blobs   blob.Store
	store   *store.Store
	api     *s3api.Handler
	console *console.Console // nil unless Config.Console
	faults  *faults.Set
	ids     *iam.DB
	http    *http.Server
	metrics *metrics.Metrics
	ready   readiness

	limits    Limits
	admission admission
	disk      diskGuard

	certs        *certSource // nil without TLS
	selfSignedCA string

	// degraded says why the server runs read-only ("" when it does not):
	// it started on a disk too full to open the catalog for writing.
	degraded string

	// Generated reports that the root credentials were created at this start.
	Generated bool
	// rootExplicit says the root credentials came from the settings, not
	// from the data folder (which a shared catalog's own overrule).
	rootExplicit bool

	stopGC context.CancelFunc
	gcDone sync.WaitGroup
}

// Open prepares a server on cfg.Data without listening yet.
func Open(cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.AccountID == "" {
		cfg.AccountID = "000000000000"
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 5 * time.Minute
	}
	if err := fsutil.MkdirAll(cfg.Data); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	if err := privateDataDir(cfg.Data, cfg.Logger); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger, limits: cfg.Limits}
	if s.limits == (Limits{}) {
		s.limits = DefaultLimits()
	}
	s.admission.max = int64(s.limits.MaxInflight)
	s.ready.s = s
	s.metrics = metrics.New(metrics.BuildInfo{Version: cfg.Version, Commit: cfg.Commit})
	s.metrics.SetInflightLimit(s.limits.MaxInflight)
	ok := false
	defer func() {
		if !ok {
			s.closeStorage()
		}
	}()
	var err error
	if s.lock, err = lockDataDir(cfg.Data); err != nil {
		return nil, err
	}
	if err := s.openCatalog(); err != nil {
		return nil, err
	}
	if s.blobs, err = s.openBlobs(); err != nil {
		return nil, err
	}
	if err := s.setupDiskGuard(); err != nil {
		return nil, err
	}
	if err := s.rootCredentials(); err != nil {
		return nil, err
	}
	ids, err := s.openIdentities()
	if err != nil {
		return nil, err
	}
	// The session key ring lives in the catalog, sealed with the master
	// key, so every node sharing the catalog mints and opens the same
	// tokens; a ring file from an older single-node data folder is
	// imported once.
	ring, err := session.OpenRingIn(context.Background(), s.cat, ids.Sealer(), filepath.Join(cfg.Data, "keys", "ring.json"))
	if err != nil {
		return nil, err
	}

	// Object data is encrypted at rest (SSE-S3) as on AWS directory buckets.
	sseKeyPath := cfg.SSEKeyFile
	if sseKeyPath == "" {
		sseKeyPath = filepath.Join(cfg.Data, "keys", "sse.key")
	}
	keyring, err := s.openSSE(context.Background(), sseKeyPath)
	if err != nil {
		return nil, err
	}
	sopt := store.Options{InlineMax: cfg.InlineMax, SSE: keyring, PlaintextAtRest: cfg.PlaintextAtRest}
	if cfg.Catalog != "" {
		// A reader pins the blobs it streams only on its own node: another
		// node's GC must leave a replaced blob long enough for a slow GET
		// that loaded the old record to finish.
		sopt.GCDelay = sharedGCDelay
	}
	if cfg.GCDelay > 0 {
		sopt.GCDelay = cfg.GCDelay
	}
	s.store = store.New(s.cat, s.blobs, sopt)
	s.faults = &faults.Set{KnownOp: s3api.KnownOp, OnFire: s.metrics.FaultInjected}
	if err := s.faults.Replace(faults.FromFile, cfg.Faults); err != nil {
		return nil, fmt.Errorf("faults: %w", err)
	}
	s.api = s3api.New(s3api.Config{
		Region: cfg.Region, Zones: cfg.Zones, SessionTTL: cfg.SessionTTL,
		Store: s.store, Identities: ids, Policies: ids, Sessions: ring, Logger: s.log,
		ShuffleListing: cfg.ShuffleListing, PrefetchObjects: cfg.Catalog != "",
		Faults: s.faults,
	})
	ctx, cancel := context.WithCancel(context.Background())
	s.stopGC = cancel
	if cfg.Console {
		// The activity page's history: one gather of the registry every
		// 10 s, nothing on the request path.
		rec := activity.New(s.metrics.Registry(), 0, 0)
		s.gcDone.Add(1)
		go func() {
			defer s.gcDone.Done()
			rec.Run(ctx)
		}()
		// Its own Authority over the same identities and catalog: every
		// console action is decided as the S3 API decides it.
		s.console = console.New(console.Config{
			Region: cfg.Region, Zones: cfg.Zones, Store: s.store, Identities: ids, IAM: ids, Logger: s.log,
			Auth:            auth.New(auth.Config{Region: cfg.Region, Identities: ids, Policies: ids, Buckets: s.cat}),
			OperatorAccount: cfg.AccountID, Activity: rec,
			Refuse: s.consoleRefuse,
		})
	}
	active := func() bool { return true } // read-only, no lease: only sampling runs
	if s.degraded == "" {                 // the workers below write; read-only they would only fail
		// Background work runs on one node at a time among nodes sharing
		// the catalog: the holder of this lease (with Pebble, always this
		// process, once it took the lease at start).
		bg := lease.Keep(ctx, s.cat, "background", holderName(cfg), leaseTTL(cfg))
		active = bg.Held
		s.gcDone.Add(6)
		go func() {
			defer s.gcDone.Done()
			bg.Wait() // the release writes to the catalog: before it closes
		}()
		go func() {
			defer s.gcDone.Done()
			s.publishLease(ctx, bg)
		}()
		go func() {
			defer s.gcDone.Done()
			s.store.RunGC(ctx, s.log, gcInterval(cfg), time.Hour, bg.Held)
		}()
		go func() {
			defer s.gcDone.Done()
			opt := lifecycleOptions(cfg)
			opt.Active = bg.Held
			s.store.RunLifecycle(ctx, s.log, opt)
		}()
		go func() {
			defer s.gcDone.Done()
			// Inventory reports share the lifecycle worker's period and day.
			lo := lifecycleOptions(cfg)
			s.store.RunInventory(ctx, s.log, store.InventoryOptions{Interval: lo.Interval, Day: lo.Day, Active: bg.Held})
		}()
		go func() {
			defer s.gcDone.Done()
			rotateKeys(ctx, s.log, ring, cfg.SessionTTL)
		}()
	}
	// Identities and the key ring follow changes other nodes make: IAM
	// changes reach this node within a poll (the bound is 1 s).
	s.gcDone.Add(5)
	go func() {
		defer s.gcDone.Done()
		ids.Watch(ctx, configPoll)
	}()
	go func() {
		defer s.gcDone.Done()
		s.store.WatchMetricsConfigs(ctx, configPoll)
	}()
	go func() {
		defer s.gcDone.Done()
		ring.Watch(ctx, ringPoll)
	}()
	go func() {
		defer s.gcDone.Done()
		s.sampleStorage(ctx, active)
	}()
	go func() {
		defer s.gcDone.Done()
		s.watchDisk(ctx)
	}()
	s.http = &http.Server{
		Handler: s.Handler(),
		// A zero ReadHeaderTimeout would fall back to ReadTimeout (unset:
		// the body has its own idle deadline), so "off" is just off.
		ReadHeaderTimeout: s.limits.ReadHeaderTimeout,
		IdleTimeout:       s.limits.IdleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	if err := s.setupTLS(); err != nil {
		return nil, err
	}
	ok = true
	return s, nil
}

// Shared-catalog timings. configPoll bounds how stale this node's view of
// identities can be (one indexed query per poll: cheap); the ring changes
// once a day and a key is staged a day before it mints, so its poll can be
// slow; sharedGCDelay covers a GET served by another node.
const (
	configPoll    = 250 * time.Millisecond
	ringPoll      = 5 * time.Second
	sharedGCDelay = 15 * time.Minute
)

// gcInterval is how often the blob GC looks for freed blobs.
func gcInterval(cfg Config) time.Duration {
	if cfg.GCInterval > 0 {
		return cfg.GCInterval
	}
	return 10 * time.Second
}

// blobDir is the folder of the blob files.
func (s *Server) blobDir() string {
	if s.cfg.BlobDir != "" {
		return s.cfg.BlobDir
	}
	return filepath.Join(s.cfg.Data, "blobs")
}

// leaseTTL is the background lease's lifetime: a dead holder's work
// resumes on another node within it.
func leaseTTL(cfg Config) time.Duration {
	if cfg.LeaseTTL > 0 {
		return cfg.LeaseTTL
	}
	return 30 * time.Second
}

// holderName names this node in the lease record, for operators.
func holderName(cfg Config) string {
	host, _ := os.Hostname()
	return host + " " + cfg.Addr
}

// publishLease keeps zonal_background_lease_held current.
func (s *Server) publishLease(ctx context.Context, bg *lease.Lease) {
	t := time.NewTicker(min(time.Second, leaseTTL(s.cfg)/4))
	defer t.Stop()
	for {
		s.metrics.SetLeaseHeld(bg.Held())
		select {
		case <-ctx.Done():
			s.metrics.SetLeaseHeld(false)
			return
		case <-t.C:
		}
	}
}

// rotateKeys rotates the session key ring daily.
func rotateKeys(ctx context.Context, log *slog.Logger, ring *session.Ring, ttl time.Duration) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		if _, err := ring.Rotate(ctx, time.Now(), 24*time.Hour, ttl); err != nil {
			log.Error("session key rotation failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Credentials returns the default account's root access key and secret.
func (s *Server) Credentials() (string, string) { return s.cfg.RootAccessKey, s.cfg.RootSecretKey }

// Store exposes the object store (tests and tools).
func (s *Server) Store() *store.Store { return s.store }

// Metrics returns the server's metrics registry.
func (s *Server) Metrics() *metrics.Metrics { return s.metrics }

// Serve answers requests on ln until Shutdown, over TLS (HTTP/2 and
// HTTP/1.1) when the server has a certificate.
func (s *Server) Serve(ln net.Listener) error {
	var err error
	if s.certs != nil {
		err = s.http.ServeTLS(ln, "", "")
	} else {
		err = s.http.Serve(coalescingListener{ln})
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting requests, waits for in-flight ones (until ctx
// ends), then closes the storage.
func (s *Server) Shutdown(ctx context.Context) error {
	s.ready.drain()
	err := s.http.Shutdown(ctx)
	s.closeStorage()
	return err
}

func (s *Server) closeStorage() {
	if s.stopGC != nil {
		s.stopGC()
		s.gcDone.Wait()
		s.stopGC = nil
	}
	if s.cat != nil {
		if err := s.cat.Close(); err != nil {
			s.log.Error("closing catalog", "err", err)
		}
		s.cat = nil
	}
	if s.lock != nil {
		s.lock.Close()
		s.lock = nil
	}
}

// lifecycleOptions bounds the lifecycle worker; tests shorten its period
// and a rule's day (Config.LifecycleInterval, LifecycleDay).
func lifecycleOptions(cfg Config) store.LifecycleOptions {
	opt := store.LifecycleOptions{Interval: time.Hour, Day: 24 * time.Hour, MaxWork: 10000}
	if cfg.LifecycleInterval > 0 {
		opt.Interval = cfg.LifecycleInterval
	}
	if cfg.LifecycleDay > 0 {
		opt.Day = cfg.LifecycleDay
	}
	return opt
}
