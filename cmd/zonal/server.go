package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/zonal-dev/zonal/internal/config"
	"github.com/zonal-dev/zonal/internal/faults"
	"github.com/zonal-dev/zonal/internal/server"
)

// runServer is `zonal server`: settings from flags, ZONAL_* variables and
// the --config file (in that order of precedence), then serve until
// SIGINT/SIGTERM; SIGHUP reloads the TLS certificate and the --faults file.
func runServer(args []string) error {
	// Signals first: SIGHUP's default action would end the process.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	// The live heap is small (Pebble's block cache is not on the Go heap)
	// while every request allocates 10-20 KB, so at the default GOGC=100
	// the collector runs many times a second: 8-10% of a 4 KiB GET's CPU
	// profile. 400 collects a quarter as often for some tens of MiB more
	// peak heap (A/B here: GET 4 KiB 36-46 -> 32-39 µs of CPU per request).
	// GOGC in the environment still decides.
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(400)
	}

	st, err := config.Load(args, os.LookupEnv, os.Stdout)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	// Log lines are written out in batches (see server.LogBuffer); the
	// deferred Close writes the last ones on every way out of here.
	logOut := server.NewLogBuffer(os.Stderr)
	defer logOut.Close()
	log, err := server.NewLogger(logOut, st.LogFormat, st.LogLevel)
	if err != nil {
		return err
	}
	if st.ConfigFile != "" {
		warnLooseConfig(log, st)
	}
	cfg := serverConfig(st, log)
	if cfg.Faults, err = readFaults(st.FaultsFile); err != nil {
		return err
	}
	srv, err := server.Open(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		srv.Shutdown(context.Background())
		return err
	}
	endpoint := srv.Scheme() + "://" + displayAddr(ln.Addr())
	ak, sk := srv.Credentials()
	attrs := []any{"endpoint", endpoint, "data", cfg.Data, "region", cfg.Region, "access_key", ak, "version", version}
	if st.ConfigFile != "" {
		attrs = append(attrs, "config", st.ConfigFile)
	}
	log.Info("zonal serving", attrs...)
	announce(os.Stdout, srv, cfg, endpoint, ak, sk, log)

	go func() {
		for range hup {
			_ = srv.ReloadTLS() // logs the outcome
			if st.FaultsFile != "" {
				reloadFaults(srv, st.FaultsFile, log)
			}
		}
	}()

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		srv.Shutdown(context.Background())
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: draining in-flight requests")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// readFaults reads the --faults file ("": no rules).
func readFaults(path string) ([]faults.Rule, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--faults: %w", err)
	}
	rules, err := faults.ParseFile(data)
	if err != nil {
		return nil, fmt.Errorf("--faults %s: %w", path, err)
	}
	return rules, nil
}

// reloadFaults replaces the file's rules with the file's new contents; a
// file that does not parse leaves the old rules in place.
func reloadFaults(srv *server.Server, path string, log *slog.Logger) {
	rules, err := readFaults(path)
	if err == nil {
		err = srv.Faults().Replace(faults.FromFile, rules)
	}
	if err != nil {
		log.Error("fault rules not reloaded; the previous ones stay", "file", path, "err", err)
		return
	}
	log.Info("fault rules reloaded", "file", path, "rules", len(rules))
}

// serverConfig maps resolved settings onto the server's configuration.
func serverConfig(st *config.Settings, log *slog.Logger) server.Config {
	cfg := server.Config{
		Addr:              st.Addr,
		Data:              st.Data,
		Region:            st.Region,
		Zones:             st.Zones,
		SessionTTL:        st.SessionTTL,
		AccountID:         st.AccountID,
		RootAccessKey:     st.RootAccessKey,
		RootSecretKey:     st.RootSecretKey,
		MasterKeyFile:     st.MasterKeyFile,
		SSEKeyFile:        st.SSEKeyFile,
		Catalog:           st.Catalog,
		CatalogMaxConns:   st.CatalogMaxConns,
		CatalogTimeout:    st.CatalogTimeout,
		CatalogRetries:    st.CatalogRetries,
		BlobDir:           st.BlobDir,
		Blob:              st.Blob,
		BlobEndpoint:      st.BlobEndpoint,
		BlobRegion:        st.BlobRegion,
		BlobAccessKeyID:   st.BlobAccessKeyID,
		BlobSecretKey:     st.BlobSecretKey,
		CacheDir:          st.CacheDir,
		CacheSize:         st.CacheSize,
		PlaintextAtRest:   !st.EncryptAtRest,
		Sendfile:          st.Sendfile,
		TLSCert:           st.TLSCert,
		TLSKey:            st.TLSKey,
		TLSSelfSigned:     st.TLSSelfSigned,
		Hostnames:         st.Hostnames,
		AdminToken:        st.AdminToken,
		TrustedProxies:    st.TrustedProxies,
		Pprof:             st.Pprof,
		Console:           st.Console,
		NoAccessLog:       !st.AccessLog,
		ShuffleListing:    st.ListOrder == "shuffled",
		LifecycleInterval: st.LifecycleInterval,
		LifecycleDay:      st.LifecycleDay,
		LeaseTTL:          st.LeaseTTL,
		GCInterval:        st.GCInterval,
		GCDelay:           st.GCDelay,
		Logger:            log,
		Version:           version,
		Commit:            buildCommit(),
	}
	cfg.Limits = server.Limits{
		ReadHeaderTimeout: st.ReadHeaderTimeout,
		IdleTimeout:       st.IdleTimeout,
		BodyIdleTimeout:   st.BodyIdleTimeout,
		BodyMinRate:       st.BodyMinRate,
		WriteIdleTimeout:  st.WriteIdleTimeout,
		MaxInflight:       st.MaxInflight,
		MinFreeDisk:       st.MinFreeDisk,
	}
	for _, a := range st.Accounts {
		cfg.Accounts = append(cfg.Accounts, server.Account{ID: a.ID, AccessKeyID: a.AccessKeyID, SecretAccessKey: a.SecretAccessKey})
	}
	return cfg
}

// warnLooseConfig warns when a configuration file holding secrets can be
// read by every user (group-readable is fine: root:zonal 0640).
func warnLooseConfig(log *slog.Logger, st *config.Settings) {
	if st.RootSecretKey == "" && st.AdminToken == "" && len(st.Accounts) == 0 && !hasPassword(st.Catalog) && st.BlobSecretKey == "" {
		return
	}
	if fi, err := os.Stat(st.ConfigFile); err == nil && fi.Mode().Perm()&0o004 != 0 {
		log.Warn("the configuration file holds secrets and every user can read it; chmod o-r it",
			"config", st.ConfigFile, "mode", fi.Mode().Perm().String())
	}
}

// hasPassword reports whether a catalog URL carries a password.
func hasPassword(dsn string) bool {
	u, err := url.Parse(dsn)
	if err != nil {
		return strings.Contains(dsn, "password")
	}
	_, set := u.User.Password()
	return set || u.Query().Has("password")
}

// displayAddr turns a wildcard listen address into one a client can use.
func displayAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return a.String()
	}
	return net.JoinHostPort("127.0.0.1", fmt.Sprint(tcp.Port))
}

// announce prints what a person starting the server needs: generated
// credentials (only on a terminal, so they do not end up in log files or
// the journal) and how to trust a self-signed certificate.
func announce(w io.Writer, srv *server.Server, cfg server.Config, endpoint, ak, sk string, log *slog.Logger) {
	terminal := server.IsTerminal(w)
	if srv.Generated {
		credFile := filepath.Join(cfg.Data, "root-credentials.json")
		if terminal {
			fmt.Fprintf(w, `
zonal generated root credentials for account %s (kept in %s).
Point an AWS SDK or CLI at this server with:

  export AWS_ENDPOINT_URL_S3=%s
  export AWS_ACCESS_KEY_ID=%s
  export AWS_SECRET_ACCESS_KEY=%s
  export AWS_REGION=%s

`, cfg.AccountID, credFile, endpoint, ak, sk, cfg.Region)
		} else {
			log.Info("generated root credentials; the secret is in the credentials file", "account", cfg.AccountID, "access_key", ak, "file", credFile)
		}
	}
	if ca := srv.SelfSignedCert(); ca != "" {
		if abs, err := filepath.Abs(ca); err == nil {
			ca = abs
		}
		log.Info("serving HTTPS with a self-signed certificate", "ca_cert", ca)
		fmt.Fprintf(w, `
zonal serves %s with a self-signed certificate. Trust it with:

  AWS SDKs and CLI:  export AWS_CA_BUNDLE=%s
  rclone:            --ca-cert %s
  Node.js:           export NODE_EXTRA_CA_CERTS=%s
  curl:              --cacert %s

`, endpoint, ca, ca, ca, ca)
	}
}
