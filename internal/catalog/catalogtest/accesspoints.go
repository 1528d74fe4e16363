package catalogtest

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// testAccessPoints covers the access point records: creation needs the
// bucket and a free name, records round-trip and are copies, updates are
// atomic and touch only policy, scope and tags, listings filter by owner
// and bucket and page by name, and a bucket with an access point cannot be
// deleted.
func testAccessPoints(t *testing.T, c catalog.Catalog) {
	ap := catalog.AccessPoint{Name: "ap1--use1-az4--xa-s3", Bucket: "b1--use1-az4--x-s3", Owner: "acct", Region: "us-east-1",
		CreatedAt: time.Unix(1700000000, 123456789).UTC(), Policy: []byte(`{"Version":"2012-10-17"}`),
		Scope: &catalog.Scope{Permissions: []string{"GetObject", "PutObject"}, Prefixes: []string{"a/", "b/"}},
		Tags:  map[string]string{"team": "data"}}
	if err := c.CreateAccessPoint(ctx, ap); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("CreateAccessPoint without its bucket: %v, want ErrNotFound", err)
	}
	mustCreateBucket(t, c, ap.Bucket, "acct")
	mustCreateBucket(t, c, "b2--use1-az4--x-s3", "acct")
	mustCreateBucket(t, c, "b3--use1-az4--x-s3", "other")
	if err := c.CreateAccessPoint(ctx, ap); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateAccessPoint(ctx, ap); !errors.Is(err, catalog.ErrExists) {
		t.Fatalf("second CreateAccessPoint: %v, want ErrExists", err)
	}
	got, err := c.GetAccessPoint(ctx, ap.Name)
	if err != nil || !reflect.DeepEqual(got, ap) {
		t.Fatalf("GetAccessPoint = %+v, %v; want %+v", got, err, ap)
	}
	got.Scope.Prefixes[0], got.Tags["team"], got.Policy[0] = "x", "y", 'z' // callers own copies
	if again, _ := c.GetAccessPoint(ctx, ap.Name); !reflect.DeepEqual(again, ap) {
		t.Fatalf("a caller's change reached the record: %+v", again)
	}
	if _, err := c.GetAccessPoint(ctx, "nope--use1-az4--xa-s3"); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("GetAccessPoint of a missing name: %v", err)
	}

	// Concurrent updates all land; a scope can be removed.
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.UpdateAccessPoint(ctx, ap.Name, func(a *catalog.AccessPoint) error {
				a.Tags[fmt.Sprint("k", i)] = "v"
				return nil
			}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if err := c.UpdateAccessPoint(ctx, ap.Name, func(a *catalog.AccessPoint) error { a.Scope, a.Policy = nil, nil; return nil }); err != nil {
		t.Fatal(err)
	}
	got, _ = c.GetAccessPoint(ctx, ap.Name)
	if len(got.Tags) != 9 || got.Scope != nil || got.Policy != nil {
		t.Fatalf("after updates: %+v", got)
	}
	boom := errors.New("boom")
	if err := c.UpdateAccessPoint(ctx, ap.Name, func(a *catalog.AccessPoint) error { a.Tags = nil; return boom }); err != boom {
		t.Fatalf("UpdateAccessPoint's fn error: %v", err)
	}
	if err := c.UpdateAccessPoint(ctx, ap.Name, func(a *catalog.AccessPoint) error { a.Bucket = "b2--use1-az4--x-s3"; return nil }); err == nil {
		t.Fatal("UpdateAccessPoint moved the access point to another bucket")
	}
	if again, _ := c.GetAccessPoint(ctx, ap.Name); !reflect.DeepEqual(again, got) {
		t.Fatalf("a refused update changed the record: %+v", again)
	}
	if err := c.UpdateAccessPoint(ctx, "nope--use1-az4--xa-s3", func(*catalog.AccessPoint) error { return nil }); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("UpdateAccessPoint of a missing name: %v", err)
	}

	// Listing: by owner, by bucket, paged.
	for _, a := range []catalog.AccessPoint{
		{Name: "ap0--use1-az4--xa-s3", Bucket: "b2--use1-az4--x-s3", Owner: "acct"},
		{Name: "ap2--use1-az4--xa-s3", Bucket: ap.Bucket, Owner: "acct"},
		{Name: "ap3--use1-az4--xa-s3", Bucket: "b3--use1-az4--x-s3", Owner: "other"},
	} {
		if err := c.CreateAccessPoint(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	names := func(owner, bucket, after string, limit int) []string {
		t.Helper()
		aps, err := c.ListAccessPoints(ctx, owner, bucket, after, limit)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, a := range aps {
			out = append(out, a.Name)
		}
		return out
	}
	for _, tc := range []struct {
		owner, bucket, after string
		limit                int
		want                 []string
	}{
		{"acct", "", "", 10, []string{"ap0--use1-az4--xa-s3", "ap1--use1-az4--xa-s3", "ap2--use1-az4--xa-s3"}},
		{"acct", ap.Bucket, "", 10, []string{"ap1--use1-az4--xa-s3", "ap2--use1-az4--xa-s3"}},
		{"acct", "", "ap0--use1-az4--xa-s3", 1, []string{"ap1--use1-az4--xa-s3"}},
		{"acct", "", "ap2--use1-az4--xa-s3", 10, nil},
		{"other", "", "", 10, []string{"ap3--use1-az4--xa-s3"}},
		{"acct", "b3--use1-az4--x-s3", "", 10, nil},
	} {
		if got := names(tc.owner, tc.bucket, tc.after, tc.limit); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ListAccessPoints(%q, %q, %q, %d) = %q, want %q", tc.owner, tc.bucket, tc.after, tc.limit, got, tc.want)
		}
	}

	// A bucket with access points stays until they are gone.
	if err := c.DeleteBucket(ctx, ap.Bucket); !errors.Is(err, catalog.ErrBucketHasAccessPoints) {
		t.Fatalf("DeleteBucket with access points: %v", err)
	}
	for _, n := range []string{ap.Name, "ap2--use1-az4--xa-s3"} {
		if err := c.DeleteAccessPoint(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.DeleteAccessPoint(ctx, ap.Name); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("second DeleteAccessPoint: %v", err)
	}
	if err := c.DeleteBucket(ctx, ap.Bucket); err != nil {
		t.Fatalf("DeleteBucket once its access points are gone: %v", err)
	}
	if _, err := c.GetAccessPoint(ctx, ap.Name); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("deleted access point: %v", err)
	}
}

// testConcurrentAccessPointDeleteBucket races CreateAccessPoint with
// DeleteBucket: either the bucket is gone and the access point was
// refused, or the access point exists and the bucket stayed.
func testConcurrentAccessPointDeleteBucket(t *testing.T, c catalog.Catalog) {
	for i := range 20 {
		b := fmt.Sprintf("race%d--use1-az4--x-s3", i)
		mustCreateBucket(t, c, b, "acct")
		ap := catalog.AccessPoint{Name: fmt.Sprintf("race%d--use1-az4--xa-s3", i), Bucket: b, Owner: "acct"}
		var createErr, deleteErr error
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); createErr = c.CreateAccessPoint(ctx, ap) }()
		go func() { defer wg.Done(); deleteErr = c.DeleteBucket(ctx, b) }()
		wg.Wait()
		_, getErr := c.GetBucket(ctx, b)
		switch {
		case createErr == nil && errors.Is(deleteErr, catalog.ErrBucketHasAccessPoints) && getErr == nil:
		case errors.Is(createErr, catalog.ErrNotFound) && deleteErr == nil && errors.Is(getErr, catalog.ErrNotFound):
		default:
			t.Fatalf("race %d: create %v, delete %v, bucket %v", i, createErr, deleteErr, getErr)
		}
	}
}
