package postgres

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// tripCounter counts round trips: each statement sent on its own (BEGIN
// and COMMIT included) and each batch.
type tripCounter struct{ n atomic.Int64 }

func (r *tripCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	r.n.Add(1)
	return ctx
}
func (r *tripCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (r *tripCounter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	r.n.Add(1)
	return ctx
}
func (r *tripCounter) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (r *tripCounter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

// TestRoundTrips: the upload operations take no more round trips than
// UpdateObject does for a write that changes blob references (BEGIN, the
// lock-and-read batch, the writes with the count rows' lock, the new
// counts, COMMIT), however many parts are involved.
func TestRoundTrips(t *testing.T) {
	schema := newSchema(t)
	rc := &tripCounter{}
	c := openSchema(t, schema, Options{Tracer: rc})
	ctx := context.Background()
	if err := c.CreateBucket(ctx, catalog.Bucket{Name: "b", Owner: "o"}); err != nil {
		t.Fatal(err)
	}
	trips := func(name string, op func() error) int64 {
		t.Helper()
		before := rc.n.Load()
		if err := op(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		n := rc.n.Load() - before
		t.Logf("%s: %d round trips", name, n)
		return n
	}
	blob := func(id string) []catalog.Extent { return []catalog.Extent{{BlobID: id, Length: 1}} }
	limit := trips("UpdateObject", func() error {
		return c.UpdateObject(ctx, "b", "k", func(*catalog.Object) (*catalog.Object, error) {
			return &catalog.Object{Key: "k", Size: 1, Parts: 1, Extents: blob("x")}, nil
		})
	})
	if limit > 5 {
		t.Fatalf("UpdateObject with a blob took %d round trips, want 5", limit)
	}
	for _, id := range []string{"u1", "u2"} {
		if err := c.CreateUpload(ctx, catalog.Upload{Bucket: "b", Key: "k", ID: id}); err != nil {
			t.Fatal(err)
		}
		for n := 1; n <= 5; n++ {
			got := trips("PutPart", func() error {
				return c.PutPart(ctx, "b", "k", id, catalog.Part{Number: n, Size: 1, Extents: blob(id + string(rune('0'+n)))})
			})
			if got > limit {
				t.Fatalf("PutPart took %d round trips, UpdateObject %d", got, limit)
			}
		}
	}
	if got := trips("CompleteUpload", func() error {
		return c.CompleteUpload(ctx, "b", "k", "u1", func(u *catalog.Upload, parts []catalog.Part, cur *catalog.Object) (*catalog.Object, error) {
			return &catalog.Object{Key: "k", Size: 2, Parts: 2, Extents: append(parts[0].Extents, parts[1].Extents...)}, nil
		})
	}); got > limit {
		t.Fatalf("CompleteUpload took %d round trips, UpdateObject %d", got, limit)
	}
	if got := trips("AbortUpload", func() error { return c.AbortUpload(ctx, "b", "k", "u2", nil) }); got > limit {
		t.Fatalf("AbortUpload took %d round trips, UpdateObject %d", got, limit)
	}
	if err := checkConsistency(c); err != nil {
		t.Fatal(err)
	}
}

// TestObjectHint: a request that looks its bucket up and then reads one
// object (catalog.ObjectHint) costs one round trip, and reads what a plain
// GetObject reads: the record, or ErrNotFound for a missing key or bucket.
func TestObjectHint(t *testing.T) {
	schema := newSchema(t)
	rc := &tripCounter{}
	c := openSchema(t, schema, Options{Tracer: rc})
	ctx := context.Background()
	if err := c.CreateBucket(ctx, catalog.Bucket{Name: "b", Owner: "o"}); err != nil {
		t.Fatal(err)
	}
	want := &catalog.Object{Key: "k", Size: 3, ETag: "e", Parts: 1, Extents: []catalog.Extent{{Inline: []byte("abc"), Length: 3}}}
	if err := c.UpdateObject(ctx, "b", "k", func(*catalog.Object) (*catalog.Object, error) { return want, nil }); err != nil {
		t.Fatal(err)
	}
	type result struct {
		b          catalog.Bucket
		o          *catalog.Object
		berr, oerr error
		trips      int64
	}
	read := func(bucket, key string) result {
		hctx := catalog.WithObjectHint(ctx, bucket, key)
		before := rc.n.Load()
		var r result
		r.b, r.berr = c.GetBucket(hctx, bucket)
		r.o, r.oerr = c.GetObject(hctx, bucket, key)
		r.trips = rc.n.Load() - before
		return r
	}
	r := read("b", "k")
	b, berr, o, oerr, trips := r.b, r.berr, r.o, r.oerr, r.trips
	if berr != nil || b.Owner != "o" || oerr != nil || o == nil || string(o.Extents[0].Inline) != "abc" || o.ETag != "e" {
		t.Fatalf("hinted read: bucket %+v %v, object %+v %v", b, berr, o, oerr)
	}
	if trips != 1 {
		t.Fatalf("hinted GetBucket + GetObject took %d round trips, want 1", trips)
	}
	if r := read("b", "missing"); r.berr != nil || r.oerr != catalog.ErrNotFound {
		t.Fatalf("missing key: bucket %v, object %v; want the bucket and ErrNotFound", r.berr, r.oerr)
	}
	if r := read("nobucket", "k"); r.berr != catalog.ErrNotFound || r.oerr != catalog.ErrNotFound {
		t.Fatalf("missing bucket: %v, %v; want ErrNotFound twice", r.berr, r.oerr)
	}
	// The hint serves one GetObject: a second one reads again, and sees a
	// write made since.
	hctx := catalog.WithObjectHint(ctx, "b", "k")
	if _, err := c.GetBucket(hctx, "b"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetObject(hctx, "b", "k"); err != nil {
		t.Fatal(err)
	}
	if err := c.UpdateObject(ctx, "b", "k", func(*catalog.Object) (*catalog.Object, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetObject(hctx, "b", "k"); err != catalog.ErrNotFound {
		t.Fatalf("second GetObject under a used hint: %v, want ErrNotFound (deleted since)", err)
	}
}
