// Package zonaltest starts an in-process zonal server for Go tests, so code
// written for S3 Express One Zone can be tested with `go test` alone:
//
//	srv := zonaltest.Start(t)
//	cfg, _ := config.LoadDefaultConfig(ctx,
//		config.WithRegion(srv.Region),
//		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(srv.AccessKey, srv.SecretKey, "")))
//	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint = aws.String(srv.Endpoint) })
//
// The server listens on a free 127.0.0.1 port with its data in a temporary
// folder, and stops when the test ends.
package zonaltest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/server"
)

// Server is a running test server.
type Server struct {
	Endpoint  string // http://127.0.0.1:port
	AccessKey string
	SecretKey string
	Region    string
	AccountID string
	DataDir   string

	srv *server.Server
	t   testing.TB
}

// Option adjusts a test server.
type Option func(*server.Config)

// WithSessionTTL sets the CreateSession credential lifetime.
func WithSessionTTL(d time.Duration) Option { return func(c *server.Config) { c.SessionTTL = d } }

// WithRegion sets the region the server reports.
func WithRegion(r string) Option { return func(c *server.Config) { c.Region = r } }

// WithLogger sends the server's logs to l (they are discarded by default).
func WithLogger(l *slog.Logger) Option { return func(c *server.Config) { c.Logger = l } }

// WithLifecycle runs the lifecycle worker every interval with a rule's
// "day" lasting day, so tests of lifecycle rules take seconds.
func WithLifecycle(interval, day time.Duration) Option {
	return func(c *server.Config) { c.LifecycleInterval, c.LifecycleDay = interval, day }
}

// Start runs a server for the duration of t.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	cfg := server.Config{
		Data:          t.TempDir(),
		Region:        "us-east-1",
		AccountID:     "000000000000",
		RootAccessKey: "AKIAZONALTEST0000001",
		RootSecretKey: "zonaltestsecretzonaltestsecretzonaltest0",
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := server.Open(cfg)
	if err != nil {
		t.Fatalf("zonaltest: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Shutdown(context.Background())
		t.Fatalf("zonaltest: %v", err)
	}
	go srv.Serve(ln)
	s := &Server{
		Endpoint:  "http://" + ln.Addr().String(),
		AccessKey: cfg.RootAccessKey,
		SecretKey: cfg.RootSecretKey,
		Region:    cfg.Region,
		AccountID: cfg.AccountID,
		DataDir:   cfg.Data,
		srv:       srv,
		t:         t,
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return s
}
