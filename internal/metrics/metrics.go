// Package metrics keeps zonal's Prometheus metrics: requests by operation
// and status, latency histograms, bytes in and out, requests shed by the
// in-flight cap, sessions minted and refused, authentication failures by
// reason, storage sizes sampled in the background, and the Go runtime and
// process collectors.
//
// Observe is on every request's path, so it costs a map lookup in an
// immutable, atomically published map of pre-resolved label children and
// a few atomic adds: no allocation once an (operation, status) pair has
// been seen. Label sets are bounded: after maxSeries distinct pairs, new
// operations are counted as "other".
package metrics

import (
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// AuthFailureCodes are the error codes counted as authentication failures
// (zonal_auth_failures_total{reason}). S3 and IAM/STS codes are both here.
var AuthFailureCodes = []string{
	"AccessDenied",
	"AuthorizationHeaderMalformed",
	"AuthorizationQueryParametersError",
	"ExpiredToken",
	"IncompleteSignature",
	"InvalidAccessKeyId",
	"InvalidClientTokenId",
	"InvalidToken",
	"MissingAuthenticationToken",
	"MissingSecurityHeader",
	"RequestTimeTooSkewed",
	"SignatureDoesNotMatch",
}

// CreateSessionOp is the operation name whose outcomes count as sessions
// minted (status 200) or refused (anything else, by error code).
const CreateSessionOp = "CreateSession"

// maxSeries bounds the (operation, status) pairs and session-refusal codes.
const maxSeries = 512

// DurationBuckets are the latency histogram's bucket bounds, in seconds:
// sub-millisecond metadata operations up to minute-long uploads.
var DurationBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// Request is what Observe records about one request.
type Request struct {
	Op       string
	Status   int
	ErrCode  string
	BytesIn  int64
	BytesOut int64
	Duration time.Duration
}

// BuildInfo labels zonal_build_info.
type BuildInfo struct{ Version, Commit string }

// Metrics is a registry with zonal's metrics. Its methods are safe for
// concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	requests        *prometheus.CounterVec
	duration        *prometheus.HistogramVec
	bytesIn         *prometheus.CounterVec
	bytesOut        *prometheus.CounterVec
	inFlight        prometheus.Gauge
	inFlightLimit   prometheus.Gauge
	leaseHeld       prometheus.Gauge
	shed            prometheus.Counter
	sessionsMinted  prometheus.Counter
	sessionsRefused *prometheus.CounterVec
	authFailures    map[string]prometheus.Counter // fixed at New: read without a lock
	faults          *prometheus.CounterVec
	faultNames      map[string]bool // rule names given a series of their own (under mu)

	mu      sync.Mutex // serialises additions to the published maps
	series  atomic.Pointer[map[seriesKey]*series]
	refused atomic.Pointer[map[string]prometheus.Counter]

	storage storageCollector
	configs configCounters // per metrics configuration (bucketconfig.go)
}

type seriesKey struct {
	op     string
	status int
}

// series are the pre-resolved children for one (operation, status).
type series struct {
	requests prometheus.Counter
	duration prometheus.Observer
	bytesIn  prometheus.Counter
	bytesOut prometheus.Counter
}

// New returns a Metrics with its own registry (Go runtime and process
// collectors included).
func New(build BuildInfo) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "zonal_requests_total", Help: "Requests served, by operation and HTTP status.",
	}, []string{"op", "status"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "zonal_request_duration_seconds", Help: "Time from the request's arrival to the end of its response, by operation.",
		Buckets: DurationBuckets,
	}, []string{"op"})
	m.bytesIn = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "zonal_bytes_in_total", Help: "Request body bytes read (as sent on the wire, aws-chunked framing included), by operation.",
	}, []string{"op"})
	m.bytesOut = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "zonal_bytes_out_total", Help: "Response body bytes written, by operation.",
	}, []string{"op"})
	m.inFlight = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "zonal_requests_in_flight", Help: "Requests being served.",
	})
	m.inFlightLimit = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "zonal_requests_inflight_limit", Help: "The in-flight request cap (--max-inflight; 0: none).",
	})
	m.leaseHeld = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "zonal_background_lease_held", Help: "1 while this node holds the background-work lease (GC, orphan sweep, lifecycle, storage sampling), else 0.",
	})
	m.shed = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "zonal_requests_shed_total", Help: "Requests answered 503 SlowDown at once because the in-flight cap was reached (also counted in zonal_requests_total).",
	})
	m.sessionsMinted = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "zonal_sessions_minted_total", Help: "CreateSession requests that returned credentials.",
	})
	m.sessionsRefused = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "zonal_sessions_refused_total", Help: "CreateSession requests refused, by S3 error code.",
	}, []string{"code"})
	authFailures := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "zonal_auth_failures_total", Help: "Requests refused for authentication or authorization, by error code.",
	}, []string{"reason"})
	m.authFailures = make(map[string]prometheus.Counter, len(AuthFailureCodes))
	for _, c := range AuthFailureCodes {
		m.authFailures[c] = authFailures.WithLabelValues(c)
	}
	m.faults = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "zonal_faults_injected_total", Help: "Faults injected on purpose (--faults, /_zonal/faults), by rule name.",
	}, []string{"rule"})
	m.faultNames = map[string]bool{}
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "zonal_build_info", Help: "Always 1; labels name the running build.",
		ConstLabels: prometheus.Labels{"version": build.Version, "commit": build.Commit, "goversion": runtime.Version()},
	})
	buildInfo.Set(1)
	empty := map[seriesKey]*series{}
	m.series.Store(&empty)
	noCodes := map[string]prometheus.Counter{}
	m.refused.Store(&noCodes)
	m.configs.init(m.reg)
	m.reg.MustRegister(m.requests, m.duration, m.bytesIn, m.bytesOut, m.inFlight, m.inFlightLimit, m.leaseHeld, m.shed,
		m.sessionsMinted, m.sessionsRefused, authFailures, m.faults, buildInfo, &m.storage,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// maxFaultSeries bounds zonal_faults_injected_total's label set: rules
// come and go at run time (tests add and remove them), so names past this
// many share the series "_other" (rule names start with a letter or digit).
const maxFaultSeries = 256

// FaultInjected counts one fault injected by the named rule.
func (m *Metrics) FaultInjected(rule string) {
	m.mu.Lock()
	if !m.faultNames[rule] {
		if len(m.faultNames) >= maxFaultSeries {
			rule = "_other"
		} else {
			m.faultNames[rule] = true
		}
	}
	m.mu.Unlock()
	m.faults.WithLabelValues(rule).Inc()
}

// Registry returns the registry, to add collectors or gather in tests.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Start counts a request in flight; call Observe when it ends.
func (m *Metrics) Start() { m.inFlight.Inc() }

// Shed counts a request refused because the in-flight cap was reached.
func (m *Metrics) Shed() { m.shed.Inc() }

// SetInflightLimit publishes the in-flight request cap (0: none).
func (m *Metrics) SetInflightLimit(n int) { m.inFlightLimit.Set(float64(n)) }

// SetLeaseHeld publishes whether this node holds the background lease.
func (m *Metrics) SetLeaseHeld(held bool) {
	v := 0.0
	if held {
		v = 1
	}
	m.leaseHeld.Set(v)
}

// Observe records a finished request (started with Start).
func (m *Metrics) Observe(r *Request) {
	m.inFlight.Dec()
	s := m.seriesFor(r.Op, r.Status)
	s.requests.Inc()
	s.duration.Observe(r.Duration.Seconds())
	if r.BytesIn > 0 {
		s.bytesIn.Add(float64(r.BytesIn))
	}
	if r.BytesOut > 0 {
		s.bytesOut.Add(float64(r.BytesOut))
	}
	if r.ErrCode != "" {
		if c, ok := m.authFailures[r.ErrCode]; ok {
			c.Inc()
		}
	}
	if r.Op == CreateSessionOp {
		if r.Status == http.StatusOK {
			m.sessionsMinted.Inc()
		} else {
			code := r.ErrCode
			if code == "" {
				code = strconv.Itoa(r.Status)
			}
			m.refusedFor(code).Inc()
		}
	}
}

func (m *Metrics) seriesFor(op string, status int) *series {
	k := seriesKey{op, status}
	if s, ok := (*m.series.Load())[k]; ok {
		return s
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur := *m.series.Load()
	if s, ok := cur[k]; ok {
		return s
	}
	if len(cur) >= maxSeries {
		k.op = "other"
		if s, ok := cur[k]; ok {
			return s
		}
	}
	st := strconv.Itoa(k.status)
	s := &series{
		requests: m.requests.WithLabelValues(k.op, st),
		duration: m.duration.WithLabelValues(k.op),
		bytesIn:  m.bytesIn.WithLabelValues(k.op),
		bytesOut: m.bytesOut.WithLabelValues(k.op),
	}
	next := make(map[seriesKey]*series, len(cur)+1)
	for kk, v := range cur {
		next[kk] = v
	}
	next[k] = s // an overflowing op is looked up under the lock each time
	m.series.Store(&next)
	return s
}

func (m *Metrics) refusedFor(code string) prometheus.Counter {
	if c, ok := (*m.refused.Load())[code]; ok {
		return c
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur := *m.refused.Load()
	if c, ok := cur[code]; ok {
		return c
	}
	if len(cur) >= maxSeries {
		return m.sessionsRefused.WithLabelValues("other")
	}
	c := m.sessionsRefused.WithLabelValues(code)
	next := make(map[string]prometheus.Counter, len(cur)+1)
	for k, v := range cur {
		next[k] = v
	}
	next[code] = c
	m.refused.Store(&next)
	return c
}
