package postgres

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zonal-dev/zonal/internal/catalog/postgres/pgtest"
)

// The package's tests share one throwaway server (pgtest) and give each
// catalog its own schema, so every subtest starts empty without the cost
// of CREATE DATABASE. With ZONAL_TEST_POSTGRES the schemas zt<run>_<n> are
// left behind in that server.

var (
	server    *pgtest.Server
	serverErr error // why there is no server
	testDSN   string
	schemaSeq atomic.Int64
	runID     = time.Now().UnixNano() % 1e9 // keeps schemas of runs apart on a shared server
)

func TestMain(m *testing.M) {
	server, serverErr = pgtest.Start(pgtest.Options{
		Bin:      os.Getenv("ZONAL_PG_BIN"),
		Existing: os.Getenv("ZONAL_TEST_POSTGRES"),
		Required: os.Getenv("ZONAL_REQUIRE_POSTGRES") == "1",
	})
	if serverErr == nil {
		testDSN = server.DSN("")
	}
	code := m.Run()
	if server != nil {
		server.Close()
	}
	os.Exit(code)
}

// needPostgres skips t when PostgreSQL is not installed and fails it when
// the server could not start.
func needPostgres(t testing.TB) {
	t.Helper()
	pgtest.Need(t, serverErr)
}

// newSchema creates an empty schema on the test server and returns its name.
func newSchema(t testing.TB) string {
	t.Helper()
	needPostgres(t)
	schema := fmt.Sprintf("zt%d_%d", runID, schemaSeq.Add(1))
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, testDSN)
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(ctx, "CREATE SCHEMA "+schema)
	conn.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return schema
}

// openSchema opens a catalog on schema, closed when t ends.
func openSchema(t testing.TB, schema string, opts Options) *Catalog {
	t.Helper()
	return openSchemaOpts(t, testDSN, schema, opts)
}

// openSchemaDSN is openSchema through another DSN of the test server.
func openSchemaDSN(t testing.TB, dsn, schema string) *Catalog {
	t.Helper()
	return openSchemaOpts(t, dsn, schema, Options{})
}

func openSchemaOpts(t testing.TB, dsn, schema string, opts Options) *Catalog {
	t.Helper()
	opts.SearchPath = schema
	c, err := Open(context.Background(), dsn, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// openTest returns a catalog on a fresh schema of the test server.
func openTest(t testing.TB) *Catalog {
	t.Helper()
	return openSchema(t, newSchema(t), Options{})
}
