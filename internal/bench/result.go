package bench

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// Latency is a latency summary in milliseconds.
type Latency struct {
	P50  float64 `json:"p50_ms"`
	P90  float64 `json:"p90_ms"`
	P99  float64 `json:"p99_ms"`
	P999 float64 `json:"p999_ms"`
	Max  float64 `json:"max_ms"`
	Mean float64 `json:"mean_ms"`
}

func summarize(h *Histogram) Latency {
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	return Latency{
		P50: ms(h.Percentile(50)), P90: ms(h.Percentile(90)), P99: ms(h.Percentile(99)),
		P999: ms(h.Percentile(99.9)), Max: ms(h.Max()), Mean: ms(h.Mean()),
	}
}

// OpStats is the breakdown of one request kind.
type OpStats struct {
	Ops       uint64  `json:"ops"`
	Errors    uint64  `json:"errors"`
	OpsPerSec float64 `json:"ops_per_sec"`
	Latency   Latency `json:"latency"`
}

// ProcStats is what /proc said about the server during the measured phase.
type ProcStats struct {
	PID            int     `json:"pid"`
	CPUSeconds     float64 `json:"cpu_seconds"`
	CPUPerOpMicros float64 `json:"cpu_us_per_op"`
	Cores          float64 `json:"cores"` // CPU seconds per wall second
	PeakRSSBytes   int64   `json:"peak_rss_bytes"`
	// PeakRSSLifetime is set when the peak could not be reset at the start
	// of the measured phase: it is then the process's lifetime peak.
	PeakRSSLifetime bool   `json:"peak_rss_lifetime,omitempty"`
	Error           string `json:"error,omitempty"`
}

// SystemStats is the CPU of everything the generator watched (servers,
// database, blob backend; not the generator) over the measured phase.
type SystemStats struct {
	CPUSeconds     float64 `json:"cpu_seconds"`
	CPUPerOpMicros float64 `json:"cpu_us_per_op"`
	Cores          float64 `json:"cores"`
	// OpsPerCPUSecond is operations per second of that CPU: the system's
	// efficiency, which compares clusters of different sizes on one
	// machine where throughput cannot grow.
	OpsPerCPUSecond float64 `json:"ops_per_cpu_second"`
	// Parts names what was summed: "server", "db", "backend".
	Parts []string `json:"parts"`
}

// sumProcs sums the CPU of several processes (the nodes of one cluster)
// into one ProcStats: CPU and cores add up, the peak RSS is the largest
// node's, and any process's error is the sum's.
func sumProcs(ps []*ProcStats, ops uint64, sec float64) *ProcStats {
	if len(ps) == 1 {
		return ps[0]
	}
	s := &ProcStats{}
	for _, p := range ps {
		if p.Error != "" && s.Error == "" {
			s.Error = fmt.Sprintf("pid %d: %s", p.PID, p.Error)
		}
		s.CPUSeconds += p.CPUSeconds
		s.PeakRSSBytes = max(s.PeakRSSBytes, p.PeakRSSBytes)
		s.PeakRSSLifetime = s.PeakRSSLifetime || p.PeakRSSLifetime
	}
	if ops > 0 {
		s.CPUPerOpMicros = s.CPUSeconds * 1e6 / float64(ops)
	}
	if sec > 0 {
		s.Cores = s.CPUSeconds / sec
	}
	return s
}

// systemStats sums the watched components (nil ones are skipped); nil
// when none was watched or one could not be read.
func systemStats(ops uint64, sec float64, server, db, backend *ProcStats) *SystemStats {
	s := &SystemStats{}
	for _, c := range []struct {
		name string
		p    *ProcStats
	}{{"server", server}, {"db", db}, {"backend", backend}} {
		if c.p == nil {
			continue
		}
		if c.p.Error != "" {
			return nil
		}
		s.CPUSeconds += c.p.CPUSeconds
		s.Parts = append(s.Parts, c.name)
	}
	if len(s.Parts) == 0 {
		return nil
	}
	if ops > 0 {
		s.CPUPerOpMicros = s.CPUSeconds * 1e6 / float64(ops)
	}
	if sec > 0 {
		s.Cores = s.CPUSeconds / sec
	}
	if s.CPUSeconds > 0 {
		s.OpsPerCPUSecond = float64(ops) / s.CPUSeconds
	}
	return s
}

// Result is the outcome of one run.
type Result struct {
	Workload    string  `json:"workload"`
	CeilingOf   string  `json:"ceiling_of,omitempty"`
	Mode        string  `json:"mode"`
	Service     string  `json:"service"`
	Endpoint    string  `json:"endpoint"`
	Bucket      string  `json:"bucket"`
	Size        int64   `json:"size_bytes"`
	Concurrency int     `json:"concurrency"`
	Keys        int     `json:"keys,omitempty"`
	Warmup      float64 `json:"warmup_s"`
	Elapsed     float64 `json:"elapsed_s"`

	Ops        uint64  `json:"ops"`
	Errors     uint64  `json:"errors"`
	Bytes      uint64  `json:"bytes"`
	OpsPerSec  float64 `json:"ops_per_sec"`
	MiBPerSec  float64 `json:"mib_per_sec"`
	KeysPerSec float64 `json:"keys_per_sec,omitempty"` // list
	Latency    Latency `json:"latency"`

	ByOp       map[string]OpStats `json:"by_request,omitempty"`
	ErrorCodes map[string]uint64  `json:"error_codes"`

	// ClientCPU is this process's user+system CPU time over the measured
	// phase; for an in-process ceiling run it includes the trivial server.
	ClientCPUSeconds     float64 `json:"client_cpu_seconds"`
	ClientCPUPerOpMicros float64 `json:"client_cpu_us_per_op"`
	ClientCPUIncludes    string  `json:"client_cpu_includes,omitempty"`
	// Server is the server's cost; with several server processes (nodes)
	// their sum, each one in Nodes.
	Server *ProcStats   `json:"server,omitempty"`
	Nodes  []*ProcStats `json:"nodes,omitempty"`
	// DB is the database server's cost (its process tree), when watched.
	DB *ProcStats `json:"db,omitempty"`
	// Backend is the blob store's cost (its process tree), when watched.
	Backend *ProcStats `json:"backend,omitempty"`
	// System sums Server, DB and Backend.
	System *SystemStats `json:"system,omitempty"`

	Sessions        int64 `json:"sessions,omitempty"` // CreateSession calls (express)
	SessionFailures int64 `json:"session_refresh_failures,omitempty"`

	NotImplemented bool   `json:"not_implemented,omitempty"`
	Note           string `json:"note,omitempty"`

	Ceiling   *Result `json:"ceiling,omitempty"`
	RatioOps  float64 `json:"ratio_ops,omitempty"` // OpsPerSec / Ceiling.OpsPerSec
	RatioMiBs float64 `json:"ratio_mibs,omitempty"`
}

func (g *gen) baseResult() *Result {
	cfg := g.cfg
	r := &Result{
		Workload: cfg.Workload, Mode: cfg.Mode, Service: cfg.Service,
		Endpoint: g.endpoints(), Bucket: cfg.Bucket,
		Size: cfg.Size, Concurrency: cfg.Concurrency, Keys: len(g.keys),
		Warmup: cfg.Warmup.Seconds(), ErrorCodes: map[string]uint64{},
	}
	if g.ceiling {
		r.CeilingOf = g.op
	}
	return r
}

// endpoints lists the targets' URLs, comma-separated.
func (g *gen) endpoints() string {
	var b strings.Builder
	for i, t := range g.ts {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(t.scheme + "://" + t.host)
	}
	return b.String()
}

func (g *gen) result(end int64, cpu time.Duration, srvs []*procWatch, db, backend *procWatch) *Result {
	r := g.baseResult()
	var h Histogram
	var last int64
	kinds := make([]Histogram, numKinds)
	var kOps, kErrs [numKinds]uint64
	for _, w := range g.workers {
		h.Merge(&w.hist)
		r.Ops += w.ops
		r.Errors += w.errs
		r.Bytes += w.bytes
		for c, n := range w.codes {
			r.ErrorCodes[c] += n
		}
		last = max(last, w.lastEnd)
		for _, k := range g.kinds {
			kinds[k].Merge(&w.kindHist[k])
			kOps[k] += w.kindOps[k]
			kErrs[k] += w.kindErrs[k]
		}
	}
	if last == 0 {
		last = end
	}
	elapsed := time.Duration(last - g.measureFrom)
	if elapsed <= 0 {
		elapsed = time.Nanosecond
	}
	sec := elapsed.Seconds()
	r.Elapsed = sec
	r.OpsPerSec = float64(r.Ops) / sec
	r.MiBPerSec = float64(r.Bytes) / (1 << 20) / sec
	if g.op == WorkloadList {
		r.KeysPerSec = r.OpsPerSec * float64(g.listWant)
	}
	r.Latency = summarize(&h)
	if len(g.kinds) > 0 {
		r.ByOp = map[string]OpStats{}
		for _, k := range g.kinds {
			r.ByOp[kindNames[k]] = OpStats{Ops: kOps[k], Errors: kErrs[k], OpsPerSec: float64(kOps[k]) / sec, Latency: summarize(&kinds[k])}
		}
	}
	r.ClientCPUSeconds = cpu.Seconds()
	if n := r.Ops + r.Errors; n > 0 {
		r.ClientCPUPerOpMicros = cpu.Seconds() * 1e6 / float64(n)
	}
	if g.ceiling && g.cfg.CeilingAddr == "" {
		r.ClientCPUIncludes = "generator and in-process ceiling server"
	}
	n := r.Ops + r.Errors
	if len(srvs) > 0 {
		var ps []*ProcStats
		for _, p := range srvs {
			ps = append(ps, p.stats(n, sec))
		}
		r.Server = sumProcs(ps, n, sec)
		if len(ps) > 1 {
			r.Nodes = ps
		}
	}
	if db != nil {
		r.DB = db.stats(n, sec)
		r.DB.PeakRSSBytes = 0 // the root's peak says nothing of the tree
	}
	if backend != nil {
		r.Backend = backend.stats(n, sec)
		r.Backend.PeakRSSBytes = 0
	}
	r.System = systemStats(n, sec, r.Server, r.DB, r.Backend)
	return r
}

func (r *Result) setCeiling(c *Result) {
	r.Ceiling = c
	if c.OpsPerSec > 0 {
		r.RatioOps = r.OpsPerSec / c.OpsPerSec
	}
	if c.MiBPerSec > 0 {
		r.RatioMiBs = r.MiBPerSec / c.MiBPerSec
	}
}

// WriteText prints the report for people.
func (r *Result) WriteText(w io.Writer) {
	what := r.Workload
	if r.CeilingOf != "" {
		what = "ceiling (" + r.CeilingOf + " against the trivial server)"
	}
	fmt.Fprintf(w, "zonal bench: %s, %s, %s mode (service %s), concurrency %d, against %s (bucket %s)\n",
		what, FormatSize(r.Size), r.Mode, r.Service, r.Concurrency, r.Endpoint, r.Bucket)
	if r.NotImplemented {
		fmt.Fprintf(w, "  %s\n", r.Note)
		return
	}
	unit := "ops/s"
	if r.Workload == WorkloadList || r.CeilingOf == WorkloadList {
		unit = "pages/s"
	}
	fmt.Fprintf(w, "  throughput:  %.0f %s, %.1f MiB/s (%d ops in %.2fs after %.1fs warmup)\n",
		r.OpsPerSec, unit, r.MiBPerSec, r.Ops, r.Elapsed, r.Warmup)
	if r.KeysPerSec > 0 {
		fmt.Fprintf(w, "               %.0f keys/s listed\n", r.KeysPerSec)
	}
	l := r.Latency
	fmt.Fprintf(w, "  latency:     p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  (mean %s)\n",
		ms(l.P50), ms(l.P90), ms(l.P99), ms(l.P999), ms(l.Max), ms(l.Mean))
	for _, k := range slices.Sorted(maps.Keys(r.ByOp)) {
		s := r.ByOp[k]
		fmt.Fprintf(w, "    %-24s %8d ok %4d errors  %8.0f/s  p50 %s  p99 %s  max %s\n",
			k, s.Ops, s.Errors, s.OpsPerSec, ms(s.Latency.P50), ms(s.Latency.P99), ms(s.Latency.Max))
	}
	if r.Errors == 0 {
		fmt.Fprintf(w, "  errors:      none\n")
	} else {
		var parts []string
		for _, c := range slices.Sorted(maps.Keys(r.ErrorCodes)) {
			parts = append(parts, fmt.Sprintf("%s %d", c, r.ErrorCodes[c]))
		}
		fmt.Fprintf(w, "  errors:      %d (%s)\n", r.Errors, strings.Join(parts, ", "))
	}
	inc := ""
	if r.ClientCPUIncludes != "" {
		inc = ", " + r.ClientCPUIncludes
	}
	fmt.Fprintf(w, "  client CPU:  %.1f µs/op (%.2f cores%s)\n", r.ClientCPUPerOpMicros, r.ClientCPUSeconds/max(r.Elapsed, 1e-9), inc)
	if s := r.Server; s != nil {
		if s.Error != "" {
			fmt.Fprintf(w, "  server:      pid %d: %s\n", s.PID, s.Error)
		} else {
			peak := "peak RSS"
			if s.PeakRSSLifetime {
				peak = "lifetime peak RSS"
			}
			nodes := ""
			if len(r.Nodes) > 1 {
				nodes, peak = fmt.Sprintf(" (%d nodes summed)", len(r.Nodes)), "largest node's "+peak
			}
			fmt.Fprintf(w, "  server:      %.1f µs CPU/op (%.2f cores)%s, %s %.1f MiB\n",
				s.CPUPerOpMicros, s.Cores, nodes, peak, float64(s.PeakRSSBytes)/(1<<20))
			for _, p := range r.Nodes {
				fmt.Fprintf(w, "    pid %-8d %.1f µs CPU/op (%.2f cores), peak RSS %.1f MiB\n",
					p.PID, p.CPUPerOpMicros, p.Cores, float64(p.PeakRSSBytes)/(1<<20))
			}
		}
	}
	if s := r.DB; s != nil {
		if s.Error != "" {
			fmt.Fprintf(w, "  database:    pid %d: %s\n", s.PID, s.Error)
		} else {
			fmt.Fprintf(w, "  database:    %.1f µs CPU/op (%.2f cores, process tree)\n", s.CPUPerOpMicros, s.Cores)
		}
	}
	if s := r.Backend; s != nil {
		if s.Error != "" {
			fmt.Fprintf(w, "  backend:     pid %d: %s\n", s.PID, s.Error)
		} else {
			fmt.Fprintf(w, "  backend:     %.1f µs CPU/op (%.2f cores, process tree)\n", s.CPUPerOpMicros, s.Cores)
		}
	}
	if s := r.System; s != nil {
		fmt.Fprintf(w, "  system:      %.1f µs CPU/op (%.2f cores; %s), %.0f ops per CPU-second\n",
			s.CPUPerOpMicros, s.Cores, strings.Join(s.Parts, " + "), s.OpsPerCPUSecond)
	}
	if r.Sessions > 0 {
		fmt.Fprintf(w, "  sessions:    %d CreateSession (%d refresh failures)\n", r.Sessions, r.SessionFailures)
	}
	if c := r.Ceiling; c != nil {
		fmt.Fprintf(w, "  ceiling:     %.0f %s, %.1f MiB/s, p50 %s, p99 %s, client CPU %.1f µs/op\n",
			c.OpsPerSec, unit, c.MiBPerSec, ms(c.Latency.P50), ms(c.Latency.P99), c.ClientCPUPerOpMicros)
		fmt.Fprintf(w, "  ratio:       %.3f x ceiling (ops/s)\n", r.RatioOps)
	}
}

func ms(v float64) string {
	switch {
	case v == 0:
		return "-"
	case v < 1:
		return fmt.Sprintf("%.0fµs", v*1000)
	case v < 1000:
		return fmt.Sprintf("%.2fms", v)
	}
	return fmt.Sprintf("%.2fs", v/1000)
}
