package activity

import (
	"math"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/metrics"
)

// The recorder reads internal/metrics' registry by metric name: driving
// the real Metrics keeps the two in step.
func TestRecorderPointsFromServerMetrics(t *testing.T) {
	m := metrics.New(metrics.BuildInfo{Version: "v9.9.9", Commit: "abc123"})
	r := New(m.Registry(), time.Second, 3*time.Second)
	t0 := time.Unix(1_700_000_000, 0)
	r.Sample(t0)
	if got := r.Report().Points; len(got) != 0 {
		t.Fatalf("points after the first sample = %d, want 0 (it is the base)", len(got))
	}

	// Interval 1: 98 GETs of 2 ms, one 404 and one 503 of 40 ms, a
	// session minted and one refused.
	for range 98 {
		m.Observe(&metrics.Request{Op: "GetObject", Status: 200, Duration: 2 * time.Millisecond})
	}
	m.Observe(&metrics.Request{Op: "GetObject", Status: 404, ErrCode: "NoSuchKey", Duration: 40 * time.Millisecond})
	m.Observe(&metrics.Request{Op: "PutObject", Status: 503, ErrCode: "SlowDown", Duration: 40 * time.Millisecond})
	m.Observe(&metrics.Request{Op: metrics.CreateSessionOp, Status: 200, Duration: time.Millisecond})
	m.Observe(&metrics.Request{Op: metrics.CreateSessionOp, Status: 403, ErrCode: "AccessDenied", Duration: time.Millisecond})
	m.SetStorage(metrics.StorageSample{BlobBytes: 4096, Blobs: 2, GCBacklog: 7, At: t0})
	r.Sample(t0.Add(time.Second))

	rep := r.Report()
	if len(rep.Points) != 1 {
		t.Fatalf("points = %d, want 1", len(rep.Points))
	}
	p := rep.Points[0]
	if p.Requests != 102 || p.Client != 2 || p.Server != 1 {
		t.Errorf("requests/4xx/5xx = %v/%v/%v, want 102/2/1", p.Requests, p.Client, p.Server)
	}
	if p.SessionsMinted != 1 || p.SessionsRefused != 1 {
		t.Errorf("sessions minted/refused = %v/%v, want 1/1", p.SessionsMinted, p.SessionsRefused)
	}
	if p.Seconds != 1 {
		t.Errorf("interval = %vs, want 1", p.Seconds)
	}
	// 100 of 102 requests took at most 2.5 ms: the median is in the
	// (1 ms, 2.5 ms] bucket, the 99th percentile in (25 ms, 50 ms].
	if p.P50 <= 0.001 || p.P50 > 0.0025 {
		t.Errorf("p50 = %v, want within (0.001, 0.0025]", p.P50)
	}
	if p.P99 <= 0.025 || p.P99 > 0.05 {
		t.Errorf("p99 = %v, want within (0.025, 0.05]", p.P99)
	}
	if rep.Version != "v9.9.9" || rep.Commit != "abc123" {
		t.Errorf("build = %q %q", rep.Version, rep.Commit)
	}
	if !rep.Storage.Have || rep.Storage.BlobBytes != 4096 || rep.Storage.GCBacklog != 7 {
		t.Errorf("storage = %+v", rep.Storage)
	}
	if rep.Started.IsZero() {
		t.Error("no process start time")
	}
	if len(rep.ByOp) == 0 || rep.ByOp[0] != (OpStatus{Op: "GetObject", Status: 200, Count: 98}) {
		t.Errorf("ByOp = %+v, want GetObject 200 x98 first", rep.ByOp)
	}

	// An idle interval: zero requests, no latency.
	r.Sample(t0.Add(2 * time.Second))
	idle := r.Report().Points[1]
	if idle.Requests != 0 || !math.IsNaN(idle.P50) {
		t.Errorf("idle point = %+v, want 0 requests and NaN p50", idle)
	}

	// The window keeps 3 points; older ones and their requests leave it.
	for i := 3; i <= 5; i++ {
		m.Observe(&metrics.Request{Op: "HeadObject", Status: 200, Duration: time.Millisecond})
		r.Sample(t0.Add(time.Duration(i) * time.Second))
	}
	rep = r.Report()
	if len(rep.Points) != 3 || !rep.Points[2].At.Equal(t0.Add(5*time.Second)) {
		t.Fatalf("window = %d points ending %v, want 3 ending at +5s", len(rep.Points), rep.Points[len(rep.Points)-1].At)
	}
	if len(rep.ByOp) != 1 || rep.ByOp[0] != (OpStatus{Op: "HeadObject", Status: 200, Count: 3}) {
		t.Errorf("ByOp over the window = %+v, want only HeadObject 200 x3", rep.ByOp)
	}
}

func TestQuantile(t *testing.T) {
	inf := math.Inf(1)
	bounds := []float64{1, 2, 4, inf}
	for _, c := range []struct {
		q    float64
		cum  []float64
		want float64
	}{
		{0.5, []float64{0, 10, 10, 10}, 1.5},  // all in (1,2]: the middle
		{0.5, []float64{10, 10, 10, 10}, 0.5}, // all in (0,1]
		{0.99, []float64{0, 0, 0, 10}, 4},     // all above the last bound
		{0.5, []float64{5, 5, 5, 10}, 1},      // the rank ends the first bucket
	} {
		if got := quantile(c.q, bounds, c.cum); got != c.want {
			t.Errorf("quantile(%v, %v) = %v, want %v", c.q, c.cum, got, c.want)
		}
	}
	if got := quantile(0.5, bounds, []float64{0, 0, 0, 0}); !math.IsNaN(got) {
		t.Errorf("quantile of nothing = %v, want NaN", got)
	}
}

// A counter that restarts from zero (another process) is not a negative
// rate.
func TestCounterResetCountsFromZero(t *testing.T) {
	a := &snapshot{byOp: map[opStatus]float64{{"GetObject", 200}: 50}, minted: 9}
	b := &snapshot{at: time.Unix(10, 0), byOp: map[opStatus]float64{{"GetObject", 200}: 4}, minted: 2}
	p := between(a, b)
	if p.Requests != 4 || p.SessionsMinted != 2 {
		t.Errorf("after a reset = %+v, want 4 requests and 2 sessions", p)
	}
}
