package store_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	blobmem "github.com/zonal-dev/zonal/internal/blob/mem"
	"github.com/zonal-dev/zonal/internal/catalog"
	catmem "github.com/zonal-dev/zonal/internal/catalog/mem"
	"github.com/zonal-dev/zonal/internal/store"
)

func ptr(s string) *string { return &s }

// TestMetricsConfigsLifecycle: configurations are added, replaced by id,
// limited to 1,000, deleted; the request path's cache follows each change;
// a bucket deleted and created again starts with none, even when its old
// value was left in the catalog.
func TestMetricsConfigsLifecycle(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, store.Options{})
	if s.BucketMetrics(ctx, bucket) != nil {
		t.Fatal("a bucket without configurations has a metrics set")
	}
	if err := s.PutMetricsConfig(ctx, bucket, store.MetricsConfig{ID: "a", Prefix: ptr("logs/")}); err != nil {
		t.Fatal(err)
	}
	set := s.BucketMetrics(ctx, bucket)
	if set == nil || len(set.Configs) != 1 || !set.Configs[0].Matches("logs/x", "") || set.Configs[0].Matches("other", "") {
		t.Fatalf("after a put, the cached set is %+v", set)
	}
	if err := s.PutMetricsConfig(ctx, bucket, store.MetricsConfig{ID: "a", Prefix: ptr("tmp/")}); err != nil {
		t.Fatal(err)
	}
	if set := s.BucketMetrics(ctx, bucket); len(set.Configs) != 1 || *set.Configs[0].Prefix != "tmp/" {
		t.Fatalf("after a replace: %+v", set)
	}
	for i := 1; i < store.MaxBucketConfigs; i++ {
		if err := s.PutMetricsConfig(ctx, bucket, store.MetricsConfig{ID: strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	err := s.PutMetricsConfig(ctx, bucket, store.MetricsConfig{ID: "over"})
	if !store.IsKind(err, store.TooManyConfigurations) {
		t.Fatalf("1,001st: %v", err)
	}
	if err := s.DeleteMetricsConfig(ctx, bucket, "nope"); !store.IsKind(err, store.NoSuchConfiguration) {
		t.Fatalf("delete of a missing id: %v", err)
	}
	if err := s.DeleteMetricsConfig(ctx, bucket, "a"); err != nil {
		t.Fatal(err)
	}
	if set := s.BucketMetrics(ctx, bucket); len(set.Configs) != store.MaxBucketConfigs-1 {
		t.Fatalf("after a delete: %d configurations", len(set.Configs))
	}

	// A new bucket of the name: none of the old configurations.
	cat := s.Catalog()
	stale, err := cat.GetConfig(ctx, "s3metrics/"+bucket)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteBucket(ctx, bucket); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateBucket(ctx, catalog.Bucket{Name: bucket, Owner: "000000000000", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := cat.PutConfig(ctx, "s3metrics/"+bucket, stale); err != nil { // as if DeleteBucket's clean-up had not run
		t.Fatal(err)
	}
	if got, err := s.MetricsConfigs(ctx, bucket); err != nil || len(got) != 0 {
		t.Fatalf("a new bucket inherits %d configurations (%v)", len(got), err)
	}
	if set := s.BucketMetrics(ctx, bucket); set != nil {
		t.Fatalf("the request path sees the old bucket's %d configurations", len(set.Configs))
	}
}

// TestMetricsConfigMatches: prefix, access point and both.
func TestMetricsConfigMatches(t *testing.T) {
	ap := "arn:aws:s3express:us-east-1:000000000000:accesspoint/ap--use1-az4--xa-s3"
	for _, c := range []struct {
		cfg         store.MetricsConfig
		key, via    string
		wantMatches bool
	}{
		{store.MetricsConfig{}, "anything", "", true},
		{store.MetricsConfig{Prefix: ptr("a/")}, "a/b", "", true},
		{store.MetricsConfig{Prefix: ptr("a/")}, "b/a/", "", false},
		{store.MetricsConfig{AccessPointARN: &ap}, "a/b", "", false},
		{store.MetricsConfig{AccessPointARN: &ap}, "a/b", ap, true},
		{store.MetricsConfig{Prefix: ptr("a/"), AccessPointARN: &ap, And: true}, "a/b", ap, true},
		{store.MetricsConfig{Prefix: ptr("a/"), AccessPointARN: &ap, And: true}, "c", ap, false},
	} {
		if got := c.cfg.Matches(c.key, c.via); got != c.wantMatches {
			t.Errorf("%+v on %q via %q: %v", c.cfg, c.key, c.via, got)
		}
	}
}

// TestInventoryPassSchedule: a report is due at once, then after a day
// (Daily) or seven (Weekly); disabled configurations write nothing.
func TestInventoryPassSchedule(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	s := newStore(t, store.Options{Now: func() time.Time { return now }})
	put(t, s, "k1", []byte("one"), 3)
	put(t, s, "k2", []byte("two!"), 4)
	for _, c := range []store.InventoryConfig{
		{ID: "daily", Enabled: true, DestinationARN: "arn:aws:s3:::" + bucket, DestinationBucket: bucket, DestinationPrefix: ptr("r/"),
			Format: "CSV", Versions: "Current", Fields: []string{"ETag", "Size"}, Frequency: "Daily", FilterPrefix: ptr("k")},
		{ID: "weekly", Enabled: true, DestinationARN: "arn:aws:s3:::" + bucket, DestinationBucket: bucket, DestinationPrefix: ptr("w"),
			Format: "CSV", Versions: "Current", Frequency: "Weekly", FilterPrefix: ptr("k")},
		{ID: "off", DestinationARN: "arn:aws:s3:::" + bucket, DestinationBucket: bucket, Format: "CSV", Versions: "Current", Frequency: "Daily"},
	} {
		if err := s.PutInventoryConfig(ctx, bucket, c); err != nil {
			t.Fatal(err)
		}
	}
	opt := store.InventoryOptions{Day: time.Hour}
	for _, step := range []struct {
		advance time.Duration
		want    int
	}{
		{0, 2},                // both due at once
		{30 * time.Minute, 0}, // neither
		{30 * time.Minute, 1}, // the daily one, a "day" (hour) on
		{6 * time.Hour, 2},    // the daily one, and the weekly one seven hours on
		{time.Hour, 1},        // the daily one only
	} {
		now = now.Add(step.advance)
		n, err := s.InventoryPass(ctx, opt)
		if err != nil {
			t.Fatal(err)
		}
		if n != step.want {
			t.Fatalf("after %v more: %d reports, want %d", step.advance, n, step.want)
		}
	}
	// The daily report's rows: filtered keys, fields in AWS's order.
	page, err := s.List(ctx, catalog.ListQuery{Bucket: bucket, Prefix: "r/" + bucket + "/daily/data/", Limit: 100})
	if err != nil || len(page.Entries) == 0 {
		t.Fatalf("data files: %v %v", page.Entries, err)
	}
	o := page.Entries[0].Object
	zr, err := gzip.NewReader(bytes.NewReader(read(t, s, o.Key, 0, o.Size)))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := io.ReadAll(zr)
	k1, _ := s.Head(ctx, bucket, "k1")
	if !strings.HasPrefix(string(rows), `"`+bucket+`","k1","3","`+k1.ETag+`"`+"\n") {
		t.Fatalf("rows:\n%s", rows)
	}
	mp, err := s.List(ctx, catalog.ListQuery{Bucket: bucket, Prefix: "r/" + bucket + "/daily/2026-12-06T10-00Z/", Limit: 10})
	if err != nil || len(mp.Entries) != 2 {
		t.Fatalf("first report's manifest folder: %d entries, %v", len(mp.Entries), err)
	}
	man := mp.Entries[1].Object // manifest.checksum sorts before manifest.json
	var m struct{ FileSchema string }
	if err := json.Unmarshal(read(t, s, man.Key, 0, man.Size), &m); err != nil || m.FileSchema != "Bucket, Key, Size, ETag" {
		t.Fatalf("%s: %+v %v", man.Key, m, err)
	}
}

// BenchmarkBucketMetrics is the request path's cost: a bucket without
// configurations (a map lookup) and one with ten whose filters are
// matched against the key.
func BenchmarkBucketMetrics(b *testing.B) {
	ctx := context.Background()
	s := store.New(catmem.New(), blobmem.New(), store.Options{})
	for _, name := range []string{"none--use1-az4--x-s3", "ten--use1-az4--x-s3"} {
		if err := s.CreateBucket(ctx, catalog.Bucket{Name: name, Owner: "000000000000", CreatedAt: time.Now()}); err != nil {
			b.Fatal(err)
		}
	}
	for i := range 10 {
		if err := s.PutMetricsConfig(ctx, "ten--use1-az4--x-s3", store.MetricsConfig{ID: strconv.Itoa(i), Prefix: ptr("p" + strconv.Itoa(i) + "/")}); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("none", func(b *testing.B) {
		for b.Loop() {
			if s.BucketMetrics(ctx, "none--use1-az4--x-s3") != nil {
				b.Fatal("set")
			}
		}
	})
	b.Run("ten", func(b *testing.B) {
		n := 0
		for b.Loop() {
			set := s.BucketMetrics(ctx, "ten--use1-az4--x-s3")
			for i := range set.Configs {
				if set.Configs[i].Matches("p3/object", "") {
					n++
				}
			}
		}
		if n == 0 {
			b.Fatal("no match")
		}
	})
}
