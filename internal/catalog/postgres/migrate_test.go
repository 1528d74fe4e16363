package postgres

import (
	"context"
	"strings"
	"sync"
	"testing"
)

// TestMigrateConcurrently: N catalogs opening one empty schema at once
// migrate it exactly once (the advisory lock), and all come up.
func TestMigrateConcurrently(t *testing.T) {
	c := openTest(t)
	schema := c.pool.Config().ConnConfig.RuntimeParams["search_path"]
	ctx := context.Background()
	// A second, empty schema opened by eight catalogs at once.
	fresh := schema + "_fresh"
	if _, err := c.pool.Exec(ctx, "CREATE SCHEMA "+fresh); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o, err := Open(ctx, testDSN, Options{SearchPath: fresh, MaxConns: 2})
			if err == nil {
				o.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
	}
	var n int
	if err := c.pool.QueryRow(ctx, "SELECT count(*) FROM "+fresh+".schema_migrations").Scan(&n); err != nil {
		t.Fatal(err)
	}
	steps, _ := migrationSteps()
	if n != len(steps) {
		t.Fatalf("%d migrations recorded, want %d", n, len(steps))
	}
}

// TestRefusesNewerSchema: a database migrated by a newer build is refused.
func TestRefusesNewerSchema(t *testing.T) {
	c := openTest(t)
	schema := c.pool.Config().ConnConfig.RuntimeParams["search_path"]
	if _, err := c.pool.Exec(context.Background(), "INSERT INTO schema_migrations (version) VALUES (9999)"); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), testDSN, Options{SearchPath: schema})
	if err == nil || !strings.Contains(err.Error(), "schema version 9999, newer") {
		t.Fatalf("Open against a newer schema: %v", err)
	}
}
