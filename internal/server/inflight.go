package server

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zonal-dev/zonal/internal/s3err"
)

// capInflight serves at most Limits.MaxInflight requests at once; one more
// is answered 503 SlowDown at once, its body unread (see shed), so SDKs
// back off instead of queueing behind a saturated disk.
func (s *Server) capInflight(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.admission.admit() {
			s.shed(w, r)
			return
		}
		defer s.admission.done()
		next.ServeHTTP(w, r)
	})
}

// admission counts in-flight API requests against Limits.MaxInflight.
type admission struct {
	max      int64 // 0: no cap
	inflight atomic.Int64

	// Shedding is logged at most once per shedLogEvery, with a count,
	// rather than once per request: under overload, a log line per shed
	// request would add work exactly when there is none to spare.
	mu        sync.Mutex
	lastLog   time.Time
	shedSince int64
}

const shedLogEvery = 10 * time.Second

// admit takes an in-flight slot; false means the request must be shed.
func (a *admission) admit() bool {
	n := a.inflight.Add(1)
	if a.max > 0 && n > a.max {
		a.inflight.Add(-1)
		return false
	}
	return true
}

func (a *admission) done() { a.inflight.Add(-1) }

// shed answers a request over the in-flight cap: 503 SlowDown with request
// ids, its body unread.
func (s *Server) shed(w http.ResponseWriter, r *http.Request) {
	s.metrics.Shed()
	if r.ProtoMajor == 1 && (r.ContentLength < 0 || r.ContentLength > shedDrainMax) {
		w.Header().Set("Connection", "close")
	} else if r.ContentLength != 0 && s.limits.BodyIdleTimeout > 0 {
		// net/http drains the small body after the response; a client
		// that stalls it is cut off like any other.
		_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(s.limits.BodyIdleTimeout))
	}
	if s.limits.WriteIdleTimeout > 0 {
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(s.limits.WriteIdleTimeout))
	}
	start := time.Now()
	st, w, r := stateFor(w, r)
	s.metrics.Start()
	s.api.Refuse(w, r, s3err.SlowDown, &st.req.Info)
	s.finish(r, st, start, false)

	a := &s.admission
	a.mu.Lock()
	a.shedSince++
	if time.Since(a.lastLog) >= shedLogEvery {
		s.log.Warn("shedding load: in-flight request cap reached, answering 503 SlowDown",
			"max_inflight", a.max, "shed", a.shedSince, "since", a.lastLog.Format(time.RFC3339))
		a.lastLog, a.shedSince = time.Now(), 0
	}
	a.mu.Unlock()
}
