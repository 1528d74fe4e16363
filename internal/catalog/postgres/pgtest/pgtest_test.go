package pgtest

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestNotInstalled(t *testing.T) {
	_, err := Start(Options{Bin: t.TempDir()})
	if !errors.Is(err, ErrNotInstalled) || !strings.Contains(err.Error(), "apt-get install postgresql-15") {
		t.Fatalf("Start without binaries: %v", err)
	}
}

func TestWithDatabase(t *testing.T) {
	for dsn, want := range map[string]string{
		"postgres://u:p@h:5/old?sslmode=disable": "postgres://u:p@h:5/new%20db?sslmode=disable",
		"host=h port=5 dbname=old":               "host=h port=5 dbname=old dbname='new db'",
	} {
		if got := withDatabase(dsn, "new db"); got != want {
			t.Errorf("withDatabase(%q) = %q, want %q", dsn, got, want)
		}
	}
}

// TestLifecycle: a database survives Stop/Start and Kill/Start (crash
// recovery with fsync on), and Close leaves no folder behind.
func TestLifecycle(t *testing.T) {
	if os.Getenv("ZONAL_TEST_POSTGRES") != "" {
		t.Skip("ZONAL_TEST_POSTGRES names a server: these tests start none")
	}
	s, err := Start(Options{Bin: os.Getenv("ZONAL_PG_BIN"), Settings: []string{"max_connections=20"}})
	Need(t, err)
	defer s.Close()
	ctx := context.Background()
	dsn, err := s.CreateDatabase(ctx, "zonal one")
	if err != nil {
		t.Fatal(err)
	}
	exec := func(sql string) {
		t.Helper()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	count := func() int {
		t.Helper()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	exec("CREATE TABLE t (x int); INSERT INTO t VALUES (1)")
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if conn, err := pgx.Connect(ctx, dsn); err == nil {
		conn.Close(ctx)
		t.Fatal("connected to a stopped server")
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	exec("INSERT INTO t VALUES (2)")
	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 2 {
		t.Fatalf("%d rows after a restart and a crash, want 2", n)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("folder left after Close: %v", err)
	}
}
