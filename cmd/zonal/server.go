package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/zonal-dev/zonal/internal/server"
)

// envFlag registers a flag whose default comes from ZONAL_<NAME> when set,
// so every setting works as a flag or an environment variable (flags win).
type flagSet struct {
	*flag.FlagSet
	envErr error
}

func envName(flagName string) string {
	return "ZONAL_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func (fs *flagSet) str(name, def, usage string) *string {
	if v, ok := os.LookupEnv(envName(name)); ok {
		def = v
	}
	return fs.String(name, def, usage+" (env "+envName(name)+")")
}

func (fs *flagSet) dur(name string, def time.Duration, usage string) *time.Duration {
	if v, ok := os.LookupEnv(envName(name)); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			fs.envErr = fmt.Errorf("%s: %v", envName(name), err)
		} else {
			def = d
		}
	}
	return fs.Duration(name, def, usage+" (env "+envName(name)+")")
}

func runServer(args []string) error {
	fs := &flagSet{FlagSet: flag.NewFlagSet("zonal server", flag.ContinueOnError)}
	addr := fs.str("addr", "127.0.0.1:9000", "listen address")
	data := fs.str("data", "./zonal-data", "data folder")
	region := fs.str("region", "us-east-1", "region reported for buckets")
	zones := fs.str("zones", "", "comma-separated AZ ids buckets may use (default: any well-formed id)")
	ttl := fs.dur("session-ttl", 5*time.Minute, "CreateSession credential lifetime (SDKs refresh in the last minute: keep well above 1m outside tests)")
	logLevel := fs.str("log-level", "info", "log level: debug, info, warn, error")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.envErr != nil {
		return fs.envErr
	}
	if *ttl < time.Second {
		return fmt.Errorf("--session-ttl must be at least 1s, got %v", *ttl)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %v", err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	cfg := server.Config{
		Addr:          *addr,
		Data:          *data,
		Region:        *region,
		SessionTTL:    *ttl,
		AccountID:     envOr("ZONAL_ACCOUNT_ID", "000000000000"),
		RootAccessKey: os.Getenv("ZONAL_ROOT_ACCESS_KEY"),
		RootSecretKey: os.Getenv("ZONAL_ROOT_SECRET_KEY"),
		Logger:        log,
	}
	for _, z := range strings.Split(*zones, ",") {
		if z = strings.TrimSpace(z); z != "" {
			cfg.Zones = append(cfg.Zones, z)
		}
	}
	if len(cfg.AccountID) != 12 || strings.Trim(cfg.AccountID, "0123456789") != "" {
		return fmt.Errorf("ZONAL_ACCOUNT_ID must be 12 digits, got %q", cfg.AccountID)
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
	endpoint := "http://" + ln.Addr().String()
	ak, sk := srv.Credentials()
	log.Info("zonal serving", "endpoint", endpoint, "data", cfg.Data, "region", cfg.Region, "access_key", ak)
	if srv.Generated {
		// Printed once, on the start that generated them, so a new user can
		// talk to the server at once. They are kept in the data folder.
		fmt.Printf(`
zonal generated root credentials for account %s (kept in %s/root-credentials.json).
Point an AWS SDK or CLI at this server with:

  export AWS_ENDPOINT_URL_S3=%s
  export AWS_ACCESS_KEY_ID=%s
  export AWS_SECRET_ACCESS_KEY=%s
  export AWS_REGION=%s

`, cfg.AccountID, cfg.Data, endpoint, ak, sk, cfg.Region)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
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

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
