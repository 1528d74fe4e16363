package postgres

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// checkConsistency reads the whole catalog in one snapshot and checks the
// invariants the engine keeps across rows:
//
//   - reference counts recomputed from every object and part record (one
//     per record per distinct blob) equal blob_refs exactly;
//   - no queued blob is referenced;
//   - every record decodes, and an object's inline bytes are exactly as
//     long as its inline extents;
//   - every object and upload has its bucket, every part its upload.
func checkConsistency(c *Catalog) error {
	ctx := context.Background()
	var problems []string
	fail := func(format string, args ...any) {
		if len(problems) < 20 {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	err := pgx.BeginTxFunc(ctx, c.pool, readOnly, func(tx pgx.Tx) error {
		counts := map[string]int64{}
		rows, err := tx.Query(ctx, "SELECT bucket, key, meta, data FROM objects")
		if err != nil {
			return err
		}
		for rows.Next() {
			var b, k, meta, data []byte
			if err := rows.Scan(&b, &k, &meta, &data); err != nil {
				return err
			}
			o, err := decodeObject(string(k), meta, data, true)
			if err != nil {
				fail("object %q/%q: %v", b, k, err)
				continue
			}
			var inline int64
			for _, e := range o.Extents {
				if e.BlobID == "" {
					inline += e.Length
				}
			}
			if inline != int64(len(data)) {
				fail("object %q/%q: %d inline bytes for extents of %d", b, k, len(data), inline)
			}
			for _, id := range catalog.BlobIDs(o) {
				counts[id]++
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, "SELECT id, number, info FROM parts")
		if err != nil {
			return err
		}
		for rows.Next() {
			var id, info []byte
			var n int
			if err := rows.Scan(&id, &n, &info); err != nil {
				return err
			}
			p, err := decodePart(n, info)
			if err != nil {
				fail("upload %q part %d: %v", id, n, err)
				continue
			}
			for _, b := range catalog.PartBlobIDs(&p) {
				counts[b]++
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		stored := map[string]int64{}
		rows, err = tx.Query(ctx, "SELECT blob_id, refs FROM blob_refs")
		if err != nil {
			return err
		}
		for rows.Next() {
			var id []byte
			var n int64
			if err := rows.Scan(&id, &n); err != nil {
				return err
			}
			stored[string(id)] = n
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for id, n := range counts {
			if stored[id] != n {
				fail("blob %s: %d records reference it, stored count %d", id, n, stored[id])
			}
		}
		for id, n := range stored {
			if _, ok := counts[id]; !ok {
				fail("blob %s: no record references it, stored count %d", id, n)
			}
		}
		for _, q := range []struct{ what, sql string }{
			{"referenced blobs queued for GC", "SELECT count(*) FROM gc_queue g JOIN blob_refs r USING (blob_id)"},
			{"objects without a bucket", "SELECT count(*) FROM objects o WHERE NOT EXISTS (SELECT 1 FROM buckets b WHERE b.name = o.bucket)"},
			{"uploads without a bucket", "SELECT count(*) FROM uploads u WHERE NOT EXISTS (SELECT 1 FROM buckets b WHERE b.name = u.bucket)"},
			{"parts without an upload", `SELECT count(*) FROM parts p WHERE NOT EXISTS
				(SELECT 1 FROM uploads u WHERE u.bucket = p.bucket AND u.key = p.key AND u.id = p.id)`},
		} {
			var n int
			if err := tx.QueryRow(ctx, q.sql).Scan(&n); err != nil {
				return err
			}
			if n != 0 {
				fail("%d %s", n, q.what)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return fmt.Errorf("catalog inconsistent:\n  %s", strings.Join(problems, "\n  "))
	}
	return nil
}

// checkOnCleanup checks c when a test that did not fail ends.
func checkOnCleanup(t *testing.T, c *Catalog) {
	t.Cleanup(func() {
		if t.Failed() || c.closed.Load() {
			return
		}
		if err := checkConsistency(c); err != nil {
			t.Error(err)
		}
	})
}

// TestConsistencyCheckerCatches: the checker is not vacuous.
func TestConsistencyCheckerCatches(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()
	if err := c.CreateBucket(ctx, catalog.Bucket{Name: "b", Owner: "o"}); err != nil {
		t.Fatal(err)
	}
	err := c.UpdateObject(ctx, "b", "k", func(*catalog.Object) (*catalog.Object, error) {
		return &catalog.Object{Key: "k", Size: 10, Extents: []catalog.Extent{{BlobID: "blob1", Length: 10}}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := checkConsistency(c); err != nil {
		t.Fatalf("consistent catalog reported: %v", err)
	}
	for _, tc := range []struct{ corrupt, want string }{
		{"UPDATE blob_refs SET refs = 2", "stored count 2"},
		{"INSERT INTO gc_queue VALUES ('blob1', 1)", "referenced blobs queued"},
		{"UPDATE objects SET data = '\\x00'", "1 inline bytes"},
	} {
		if _, err := c.pool.Exec(ctx, tc.corrupt); err != nil {
			t.Fatal(err)
		}
		if err := checkConsistency(c); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("after %q: %v, want %q", tc.corrupt, err, tc.want)
		}
	}
}
