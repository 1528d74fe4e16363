package metrics

import (
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestObserveCounts(t *testing.T) {
	m := New(BuildInfo{Version: "v1.2.3", Commit: "abc"})
	obs := func(op string, status int, code string, in, out int64) {
		m.Start()
		m.Observe(&Request{Op: op, Status: status, ErrCode: code, BytesIn: in, BytesOut: out, Duration: 3 * time.Millisecond})
	}
	obs("PutObject", 200, "", 100, 0)
	obs("PutObject", 200, "", 50, 0)
	obs("GetObject", 404, "NoSuchKey", 0, 300)
	obs("CreateSession", 200, "", 0, 900)
	obs("CreateSession", 403, "SignatureDoesNotMatch", 0, 400)
	obs("CreateSession", 403, "AccessDenied", 0, 400)
	obs("ListObjectsV2", 403, "InvalidToken", 0, 400)

	check := func(name string, got, want float64) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("put 200", testutil.ToFloat64(m.requests.WithLabelValues("PutObject", "200")), 2)
	check("get 404", testutil.ToFloat64(m.requests.WithLabelValues("GetObject", "404")), 1)
	check("bytes in put", testutil.ToFloat64(m.bytesIn.WithLabelValues("PutObject")), 150)
	check("bytes out get", testutil.ToFloat64(m.bytesOut.WithLabelValues("GetObject")), 300)
	check("minted", testutil.ToFloat64(m.sessionsMinted), 1)
	check("refused sig", testutil.ToFloat64(m.sessionsRefused.WithLabelValues("SignatureDoesNotMatch")), 1)
	check("refused denied", testutil.ToFloat64(m.sessionsRefused.WithLabelValues("AccessDenied")), 1)
	check("auth sig", testutil.ToFloat64(m.authFailures["SignatureDoesNotMatch"]), 1)
	check("auth token", testutil.ToFloat64(m.authFailures["InvalidToken"]), 1)
	check("auth nosuchkey", float64(len(m.authFailures)), float64(len(AuthFailureCodes)))
	check("in flight", testutil.ToFloat64(m.inFlight), 0)

	m.SetStorage(StorageSample{BlobBytes: 4096, Blobs: 2, GCBacklog: 1, CatalogBytes: 77, At: time.Unix(1700000000, 0)})
	m.SetStorage(StorageSample{BlobBytes: 8192, Blobs: 3, GCBacklog: 0, CatalogBytes: 77, At: time.Unix(1700000030, 0), Err: errors.New("partial")})

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/_zonal/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`zonal_requests_total{op="PutObject",status="200"} 2`,
		`zonal_request_duration_seconds_count{op="PutObject"} 2`,
		`zonal_auth_failures_total{reason="RequestTimeTooSkewed"} 0`,
		`zonal_blob_store_bytes 8192`,
		`zonal_blob_store_blobs 3`,
		`zonal_gc_backlog 0`,
		`zonal_catalog_disk_bytes 77`,
		`zonal_storage_sample_errors_total 1`,
		`zonal_build_info{commit="abc",goversion="go`,
		"go_goroutines ",
		"process_open_fds ",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("exposition lacks %q", want)
		}
	}
}

func TestSeriesBounded(t *testing.T) {
	m := New(BuildInfo{})
	for i := 0; i < maxSeries+50; i++ {
		m.Start()
		m.Observe(&Request{Op: "iam:Action" + string(rune('A'+i%26)) + strings.Repeat("x", i/26), Status: 400})
	}
	if n := testutil.CollectAndCount(m.requests); n > maxSeries+1 {
		t.Fatalf("%d request series, want at most %d", n, maxSeries+1)
	}
	if v := testutil.ToFloat64(m.requests.WithLabelValues("other", "400")); v != 50 {
		t.Fatalf("other = %v, want 50", v)
	}
}

// TestObserveDoesNotAllocate: the per-request cost once a series exists.
func TestObserveDoesNotAllocate(t *testing.T) {
	m := New(BuildInfo{})
	r := &Request{Op: "GetObject", Status: 200, BytesOut: 4096, Duration: time.Millisecond}
	m.Start()
	m.Observe(r)
	allocs := testing.AllocsPerRun(1000, func() {
		m.Start()
		m.Observe(r)
	})
	if allocs != 0 {
		t.Fatalf("Observe allocates %v times per request", allocs)
	}
	cs := &Request{Op: "CreateSession", Status: 403, ErrCode: "SignatureDoesNotMatch"}
	m.Start()
	m.Observe(cs)
	if a := testing.AllocsPerRun(1000, func() { m.Start(); m.Observe(cs) }); a != 0 {
		t.Fatalf("Observe of a refused session allocates %v times", a)
	}
}

func BenchmarkObserve(b *testing.B) {
	m := New(BuildInfo{})
	r := &Request{Op: "PutObject", Status: 200, BytesIn: 4096, Duration: time.Millisecond}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Start()
			m.Observe(r)
		}
	})
}

func TestBlobCacheMetrics(t *testing.T) {
	m := New(BuildInfo{})
	stats := CacheStats{Hits: 7, Misses: 3, Evictions: 2, Bytes: 8192, Blobs: 2, CapacityBytes: 1 << 20}
	m.RegisterBlobCache(func() CacheStats { return stats })
	scrape := func() string {
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/_zonal/metrics", nil))
		return rec.Body.String()
	}
	body := scrape()
	for _, want := range []string{
		"zonal_blob_cache_hits_total 7", "zonal_blob_cache_misses_total 3", "zonal_blob_cache_evictions_total 2",
		"zonal_blob_cache_bytes 8192", "zonal_blob_cache_blobs 2", "zonal_blob_cache_capacity_bytes 1.048576e+06",
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("metrics lack %q", want)
		}
	}
	// Read at each scrape, not copied once.
	stats.Hits = 8
	if body := scrape(); !strings.Contains(body, "zonal_blob_cache_hits_total 8\n") {
		t.Error("a later scrape still reports the old hit count")
	}
}

// BenchmarkConfigRequest is one counted request of a configuration whose
// series exists: a map lookup and three atomic adds.
func BenchmarkConfigRequest(b *testing.B) {
	m := New(BuildInfo{})
	m.ConfigRequest("b--use1-az4--x-s3", "logs", "Put", 1, 1)
	b.ReportAllocs()
	for b.Loop() {
		m.ConfigRequest("b--use1-az4--x-s3", "logs", "Put", 100, 0)
	}
}

// TestConfigRequestCounts: the series carry bucket, config and op_class,
// bytes are added, and OpClass leaves out what is not an object request.
func TestConfigRequestCounts(t *testing.T) {
	m := New(BuildInfo{})
	m.ConfigRequest("b", "logs", "Put", 10, 0)
	m.ConfigRequest("b", "logs", "Put", 5, 0)
	m.ConfigRequest("b", "logs", "Get", 0, 7)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	text := rec.Body.String()
	for _, line := range []string{
		`zonal_bucket_metrics_requests_total{bucket="b",config="logs",op_class="Put"} 2`,
		`zonal_bucket_metrics_bytes_uploaded_total{bucket="b",config="logs",op_class="Put"} 15`,
		`zonal_bucket_metrics_bytes_downloaded_total{bucket="b",config="logs",op_class="Get"} 7`,
	} {
		if !strings.Contains(text, line+"\n") {
			t.Errorf("no %s", line)
		}
	}
	if _, ok := OpClass("PutBucketMetricsConfiguration"); ok {
		t.Error("a configuration operation is counted")
	}
	if c, ok := OpClass("CompleteMultipartUpload"); !ok || c != "Post" {
		t.Errorf("CompleteMultipartUpload: %q %v", c, ok)
	}
}
