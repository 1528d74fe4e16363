package bench

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/zonaltest"
)

// testConfig is a small bounded run: a request count, no warmup, no timing.
func testConfig(workload string) Config {
	return Config{
		Workload:    workload,
		Size:        4 << 10,
		Concurrency: 4,
		Requests:    200,
		Keys:        0,
		Timeout:     30 * time.Second,
	}
}

func checkRun(t *testing.T, res *Result, err error, want uint64) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if res.NotImplemented {
		t.Fatalf("not implemented: %s", res.Note)
	}
	if res.Errors != 0 || len(res.ErrorCodes) != 0 {
		t.Fatalf("%d errors: %v", res.Errors, res.ErrorCodes)
	}
	if res.Ops != want {
		t.Fatalf("%d ops, want %d", res.Ops, want)
	}
	if res.Latency.P50 <= 0 || res.Latency.Max < res.Latency.P99 || res.Latency.P99 < res.Latency.P50 {
		t.Fatalf("odd latency summary %+v", res.Latency)
	}
}

func TestCeilingWorkloads(t *testing.T) {
	for _, op := range []string{WorkloadPut, WorkloadGet, WorkloadMixed, WorkloadList, WorkloadAppend, WorkloadMultipart} {
		for _, mode := range []string{ModeExpress, ModePlain} {
			t.Run(op+"/"+mode, func(t *testing.T) {
				cfg := testConfig(WorkloadCeiling)
				cfg.CeilingOf, cfg.Mode = op, mode
				if op == WorkloadList {
					cfg.Requests = 50
				}
				res, err := Run(context.Background(), cfg)
				checkRun(t, res, err, uint64(cfg.Requests))
				if res.CeilingOf != op {
					t.Fatalf("ceiling_of %q", res.CeilingOf)
				}
				switch op {
				case WorkloadGet, WorkloadPut, WorkloadAppend:
					if res.Bytes != res.Ops*uint64(cfg.Size) {
						t.Fatalf("%d bytes for %d ops", res.Bytes, res.Ops)
					}
				case WorkloadMultipart:
					if res.Bytes != res.Ops*3*uint64(cfg.Size) {
						t.Fatalf("%d bytes for %d uploads", res.Bytes, res.Ops)
					}
					if res.ByOp["UploadPart"].Ops != 3*res.Ops {
						t.Fatalf("by request: %+v", res.ByOp)
					}
				case WorkloadMixed:
					if g, p := res.ByOp["GetObject"].Ops, res.ByOp["PutObject"].Ops; g+p != res.Ops {
						t.Fatalf("mixed: %d GETs + %d PUTs != %d", g, p, res.Ops)
					}
				case WorkloadList:
					if res.KeysPerSec <= 0 {
						t.Fatal("no keys/s")
					}
				}
				if mode == ModeExpress && res.Sessions < 1 {
					t.Fatal("no CreateSession in express mode")
				}
			})
		}
	}
}

// TestCeilingServer checks the trivial server's canned answers.
func TestCeilingServer(t *testing.T) {
	srv, err := StartCeiling("127.0.0.1:0", 1000)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	get := func(path string, hdr ...string) (*http.Response, string) {
		req, _ := http.NewRequest("GET", "http://"+srv.Addr+path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, string(b)
	}
	if _, body := get("/b/k"); len(body) != 1000 {
		t.Fatalf("default GET size %d", len(body))
	}
	if _, body := get("/b/k", SizeHeader, "77"); len(body) != 77 {
		t.Fatalf("GET size %d, want 77", len(body))
	}
	_, body := get("/b?session=")
	if c, err := ParseCreateSession([]byte(body)); err != nil || !c.Expiration.After(time.Now()) {
		t.Fatalf("CreateSession: %v %+v", err, c)
	}
	_, body = get("/b?list-type=2&max-keys=10&prefix=d%2F")
	if xmlText([]byte(body), "KeyCount") != "10" || strings.Count(body, "<Key>d/") != 10 {
		t.Fatalf("list page: %s", body)
	}
}

func TestZonal(t *testing.T) {
	srv := zonaltest.Start(t)
	base := func(workload, mode string) Config {
		cfg := testConfig(workload)
		cfg.Mode = mode
		cfg.Endpoint = srv.Endpoint
		cfg.AccessKey, cfg.SecretKey, cfg.Region = srv.AccessKey, srv.SecretKey, srv.Region
		cfg.CreateBucket = true
		return cfg
	}
	for _, w := range []string{WorkloadPut, WorkloadGet, WorkloadMixed, WorkloadList, WorkloadAppend, WorkloadMultipart} {
		for _, mode := range []string{ModeExpress, ModePlain} {
			t.Run(w+"/"+mode, func(t *testing.T) {
				cfg := base(w, mode)
				switch w {
				case WorkloadGet, WorkloadMixed:
					cfg.Keys = 50
				case WorkloadList:
					cfg.Keys = 1001 // more than a page
					cfg.Requests = 20
				case WorkloadMultipart:
					cfg.Parts = 1 // parts but the last must be >= 5 MiB
				}
				res, err := Run(context.Background(), cfg)
				if err == nil && res.NotImplemented {
					t.Logf("%s/%s: %s", w, mode, res.Note)
					return
				}
				checkRun(t, res, err, uint64(cfg.Requests))
				if mode == ModeExpress && res.Sessions != 1 {
					t.Fatalf("%d sessions", res.Sessions)
				}
				if mode == ModePlain && res.Service != "s3" {
					t.Fatalf("plain mode signs for %q", res.Service)
				}
			})
		}
	}
	t.Run("compare-ceiling", func(t *testing.T) {
		cfg := base(WorkloadPut, ModeExpress)
		cfg.CompareCeiling = true
		res, err := Run(context.Background(), cfg)
		checkRun(t, res, err, 200)
		if res.Ceiling == nil || res.Ceiling.Ops != 200 || res.RatioOps <= 0 {
			t.Fatalf("ceiling %+v, ratio %v", res.Ceiling, res.RatioOps)
		}
	})
	t.Run("put-keys", func(t *testing.T) {
		cfg := base(WorkloadPut, ModeExpress)
		cfg.Keys = 10
		cfg.RandomPayload = true
		cfg.Checksum = "crc32"
		res, err := Run(context.Background(), cfg)
		checkRun(t, res, err, 200)
	})
	t.Run("bad-credentials", func(t *testing.T) {
		cfg := base(WorkloadPut, ModePlain)
		cfg.SecretKey = "wrongwrongwrongwrongwrongwrongwrongwrong"
		cfg.CreateBucket = false
		cfg.Requests = 20
		res, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if res.Ops != 0 || res.Errors != 20 || res.ErrorCodes["SignatureDoesNotMatch"] != 20 {
			t.Fatalf("ops %d, errors %v", res.Ops, res.ErrorCodes)
		}
	})
}

// TestZonalSessionRefresh runs against a server whose sessions last 3s for
// longer than that: the background refresh must keep every request valid.
func TestZonalSessionRefresh(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds")
	}
	srv := zonaltest.Start(t, zonaltest.WithSessionTTL(3*time.Second))
	cfg := testConfig(WorkloadGet)
	cfg.Endpoint, cfg.AccessKey, cfg.SecretKey, cfg.Region = srv.Endpoint, srv.AccessKey, srv.SecretKey, srv.Region
	cfg.CreateBucket = true
	cfg.Keys = 20
	cfg.Requests = 0
	cfg.Duration = 4 * time.Second
	cfg.Concurrency = 2
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 0 {
		t.Fatalf("errors across session refreshes: %v", res.ErrorCodes)
	}
	t.Logf("%d ops, %d CreateSession calls", res.Ops, res.Sessions)
}
