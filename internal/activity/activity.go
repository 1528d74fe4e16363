// Package activity keeps the last hour of a server's own metrics for the
// web console's activity page, so an operator sees request rates, errors,
// latency and sessions without running Prometheus.
//
// A Recorder gathers the server's Prometheus registry on a timer (every
// 10 seconds by default) and keeps, per interval, the change of each
// counter it cares about: requests by operation and status, the latency
// histogram's buckets, sessions minted and refused. Reading the registry
// rather than hooking the request path keeps the hot path as it is: the
// page costs one Gather per interval, whoever looks at it.
package activity

import (
	"context"
	"math"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Defaults of a Recorder.
const (
	DefaultEvery = 10 * time.Second
	DefaultKeep  = time.Hour
)

// The metric families read, as internal/metrics names them.
const (
	famRequests  = "zonal_requests_total"
	famDuration  = "zonal_request_duration_seconds"
	famMinted    = "zonal_sessions_minted_total"
	famRefused   = "zonal_sessions_refused_total"
	famBlobBytes = "zonal_blob_store_bytes"
	famBlobs     = "zonal_blob_store_blobs"
	famGC        = "zonal_gc_backlog"
	famCatalog   = "zonal_catalog_disk_bytes"
	famBuild     = "zonal_build_info"
	famStart     = "process_start_time_seconds"
	famInFlight  = "zonal_requests_in_flight"
)

// Point is what happened in one interval, ending At.
type Point struct {
	At       time.Time
	Seconds  float64 // the interval's length
	Requests float64 // requests finished
	Client   float64 // of which answered 4xx
	Server   float64 // of which answered 5xx
	// P50 and P99 are latency quantiles over the interval's requests, in
	// seconds, estimated from the histogram's buckets (NaN: no requests).
	P50, P99        float64
	SessionsMinted  float64
	SessionsRefused float64
}

// OpStatus is how many requests of one operation ended with one status
// over the kept window.
type OpStatus struct {
	Op     string
	Status int
	Count  float64
}

// Report is the kept window and the server's current state.
type Report struct {
	Points   []Point    // oldest first
	ByOp     []OpStatus // over the window, most requests first
	Version  string
	Commit   string
	Started  time.Time // zero when unknown
	InFlight float64
	// Storage is the last background storage sample (Have false before
	// the first one).
	Storage struct {
		Have                    bool
		BlobBytes, Blobs        float64
		GCBacklog, CatalogBytes float64
	}
}

// Recorder samples a registry. Its methods are safe for concurrent use.
type Recorder struct {
	g     prometheus.Gatherer
	every time.Duration
	keep  int // points kept

	mu     sync.Mutex
	prev   *snapshot // the last sample's cumulative values; nil before the first
	first  *snapshot // the oldest kept point's start, for ByOp
	starts []*snapshot
	points []Point
	last   Report // gauges of the last sample
}

// New returns a Recorder of g taking a point every interval and keeping
// window's worth (defaults when zero).
func New(g prometheus.Gatherer, every, window time.Duration) *Recorder {
	if every <= 0 {
		every = DefaultEvery
	}
	if window <= 0 {
		window = DefaultKeep
	}
	keep := int(window / every)
	if keep < 1 {
		keep = 1
	}
	return &Recorder{g: g, every: every, keep: keep}
}

// Run samples every interval until ctx ends, starting with one sample now
// so the first point has a base.
func (r *Recorder) Run(ctx context.Context) {
	r.Sample(time.Now())
	t := time.NewTicker(r.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			r.Sample(now)
		}
	}
}

// snapshot is the cumulative counters at one moment.
type snapshot struct {
	at      time.Time
	byOp    map[opStatus]float64
	buckets []float64 // cumulative counts per upper bound, all operations summed
	bounds  []float64
	minted  float64
	refused float64
}

type opStatus struct {
	op     string
	status int
}

// Sample gathers the registry once and, after the first call, adds the
// point since the previous sample. A gather error keeps what it could
// read (the registry reports partial results with it).
func (r *Recorder) Sample(now time.Time) {
	fams, _ := r.g.Gather()
	s := &snapshot{at: now, byOp: map[opStatus]float64{}}
	var rep Report
	for _, f := range fams {
		switch f.GetName() {
		case famRequests:
			for _, m := range f.GetMetric() {
				status, _ := strconv.Atoi(label(m, "status"))
				s.byOp[opStatus{label(m, "op"), status}] += m.GetCounter().GetValue()
			}
		case famDuration:
			for _, m := range f.GetMetric() {
				addBuckets(s, m.GetHistogram())
			}
		case famMinted:
			s.minted = sum(f)
		case famRefused:
			s.refused = sum(f)
		case famBlobBytes:
			rep.Storage.Have, rep.Storage.BlobBytes = true, sum(f)
		case famBlobs:
			rep.Storage.Blobs = sum(f)
		case famGC:
			rep.Storage.GCBacklog = sum(f)
		case famCatalog:
			rep.Storage.CatalogBytes = sum(f)
		case famInFlight:
			rep.InFlight = sum(f)
		case famStart:
			if v := sum(f); v > 0 {
				rep.Started = time.Unix(0, int64(v*1e9))
			}
		case famBuild:
			if ms := f.GetMetric(); len(ms) > 0 {
				rep.Version, rep.Commit = label(ms[0], "version"), label(ms[0], "commit")
			}
		}
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	r.last = rep
	if r.prev != nil {
		r.points = append(r.points, between(r.prev, s))
		r.starts = append(r.starts, r.prev)
		if len(r.points) > r.keep {
			r.points = r.points[len(r.points)-r.keep:]
			r.starts = r.starts[len(r.starts)-r.keep:]
		}
		r.first = r.starts[0]
	}
	r.prev = s
}

// Report returns the kept window and the last sample's gauges.
func (r *Recorder) Report() Report {
	r.mu.Lock()
	defer r.mu.Unlock()
	rep := r.last
	rep.Points = append([]Point(nil), r.points...)
	if r.first != nil && r.prev != nil {
		for k, v := range r.prev.byOp {
			if d := v - r.first.byOp[k]; d > 0 {
				rep.ByOp = append(rep.ByOp, OpStatus{Op: k.op, Status: k.status, Count: d})
			}
		}
	}
	sort.Slice(rep.ByOp, func(i, j int) bool {
		a, b := rep.ByOp[i], rep.ByOp[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		if a.Op != b.Op {
			return a.Op < b.Op
		}
		return a.Status < b.Status
	})
	return rep
}

// between is the point from a to b. A counter that went down (a restart
// of its process is the only way) counts from zero.
func between(a, b *snapshot) Point {
	p := Point{At: b.at, Seconds: b.at.Sub(a.at).Seconds()}
	for k, v := range b.byOp {
		d := delta(a.byOp[k], v)
		p.Requests += d
		switch {
		case k.status >= 500:
			p.Server += d
		case k.status >= 400:
			p.Client += d
		}
	}
	p.SessionsMinted = delta(a.minted, b.minted)
	p.SessionsRefused = delta(a.refused, b.refused)
	counts := make([]float64, len(b.buckets))
	for i := range b.buckets {
		var before float64
		if len(a.buckets) == len(b.buckets) {
			before = a.buckets[i]
		}
		counts[i] = delta(before, b.buckets[i])
	}
	p.P50 = quantile(0.50, b.bounds, counts)
	p.P99 = quantile(0.99, b.bounds, counts)
	return p
}

func delta(a, b float64) float64 {
	if b < a {
		return b
	}
	return b - a
}

// addBuckets sums a histogram's cumulative bucket counts into s, with
// its total count as a last bucket bounded by +Inf (the text format's
// implicit bucket). Every operation's histogram has the same bounds; one
// with others is left out rather than mixed in.
func addBuckets(s *snapshot, h *dto.Histogram) {
	bs := h.GetBucket()
	if s.bounds == nil {
		s.bounds = make([]float64, len(bs)+1)
		for i, b := range bs {
			s.bounds[i] = b.GetUpperBound()
		}
		s.bounds[len(bs)] = math.Inf(1)
		s.buckets = make([]float64, len(bs)+1)
	}
	if len(bs)+1 != len(s.bounds) {
		return
	}
	for i, b := range bs {
		if b.GetUpperBound() != s.bounds[i] {
			return
		}
	}
	for i, b := range bs {
		s.buckets[i] += float64(b.GetCumulativeCount())
	}
	s.buckets[len(bs)] += float64(h.GetSampleCount())
}

// quantile estimates the q-quantile from cumulative bucket counts (the
// last bounded by +Inf) by linear interpolation inside the bucket it
// falls in, as Prometheus's histogram_quantile does; in the +Inf bucket it
// answers the last finite bound. NaN when there are no observations.
func quantile(q float64, bounds, cum []float64) float64 {
	if len(cum) == 0 || cum[len(cum)-1] == 0 {
		return math.NaN()
	}
	rank := q * cum[len(cum)-1]
	for i, c := range cum {
		if c < rank {
			continue
		}
		if math.IsInf(bounds[i], 1) {
			if i == 0 {
				return math.NaN()
			}
			return bounds[i-1]
		}
		lo, below := 0.0, 0.0
		if i > 0 {
			lo, below = bounds[i-1], cum[i-1]
		}
		if c == below {
			return bounds[i]
		}
		return lo + (bounds[i]-lo)*(rank-below)/(c-below)
	}
	return math.NaN() // not reached: the last bucket holds every observation
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// sum adds a family's values (counters, gauges, untyped).
func sum(f *dto.MetricFamily) float64 {
	var t float64
	for _, m := range f.GetMetric() {
		switch {
		case m.Counter != nil:
			t += m.GetCounter().GetValue()
		case m.Gauge != nil:
			t += m.GetGauge().GetValue()
		case m.Untyped != nil:
			t += m.GetUntyped().GetValue()
		}
	}
	return t
}
