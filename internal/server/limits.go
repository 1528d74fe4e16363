package server

import (
	"errors"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zonal-dev/zonal/internal/s3err"
)

// Limits bound what slow, stalled or too many clients can take from the
// server: connections, goroutines and memory.
//
// The zero Limits means DefaultLimits(). Otherwise every field is taken as
// given, and a zero field turns that limit off.
type Limits struct {
	// ReadHeaderTimeout is the time a client has to send a request's
	// headers (slowloris headers).
	ReadHeaderTimeout time.Duration
	// IdleTimeout closes keep-alive connections idle this long.
	IdleTimeout time.Duration
	// BodyIdleTimeout fails a request whose body sends no byte for this
	// long with 400 RequestTimeout. The deadline is pushed forward as bytes
	// arrive (at most every eighth of it, so a stall of 7/8 of it may
	// already fail), so large honest uploads are never cut.
	BodyIdleTimeout time.Duration
	// BodyMinRate is the slowest request body accepted, in bytes per
	// second, measured over the time spent waiting for the client (not the
	// time the server spends storing what it got) in windows of
	// BodyIdleTimeout (30 s when that is off). A trickle slower than this
	// fails with 400 RequestTimeout.
	BodyMinRate int64
	// WriteIdleTimeout cuts a response the client does not read for this
	// long (the connection is closed): a stalled reader cannot hold a
	// goroutine, a buffer and an in-flight slot forever. Like the body
	// deadline it is pushed forward as the response is written.
	WriteIdleTimeout time.Duration
	// MaxInflight is the number of S3 and IAM/STS requests served at once;
	// more are answered 503 SlowDown at once, without reading their body.
	// The /_zonal/ endpoints are exempt.
	MaxInflight int
	// MinFreeDisk is the free space (bytes) the data folder keeps: below
	// it, uploads are refused with 503 ServiceUnavailable (see diskGuard).
	MinFreeDisk int64
}

// DefaultMaxInflight is the default in-flight request cap. An admitted
// request holds at most about 0.5 MiB of buffers (a 256 KiB body copy
// buffer and a pooled 256 KiB blob write buffer for a large PUT; far less
// for small objects and reads), so 512 of them stay within a few hundred
// MiB, and on a small machine the disk and CPU are saturated well before
// 512 concurrent requests (tests/overload): queueing more only adds
// latency, while an immediate 503 SlowDown makes SDKs back off and retry.
const DefaultMaxInflight = 512

// DefaultLimits are the limits of a server whose Config sets none; they
// match the defaults of `zonal server`.
func DefaultLimits() Limits {
	return Limits{
		ReadHeaderTimeout: 15 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BodyIdleTimeout:   30 * time.Second,
		BodyMinRate:       500,
		WriteIdleTimeout:  30 * time.Second,
		MaxInflight:       DefaultMaxInflight,
		MinFreeDisk:       DefaultMinFreeDisk,
	}
}

// maxHeaderBytes is the hard cap on a request's header section that
// net/http enforces before any handler runs (it answers 431 beyond it).
// The S3 limit, 8 KiB, is checked by the S3 API, which answers with AWS's
// error (RequestHeaderSectionTooLarge); this one only bounds memory.
const maxHeaderBytes = 64 << 10

// shedDrainMax is the largest declared body of a shed request after which
// the connection is kept: net/http discards that little without buffering
// it, which is cheaper for both sides than a new connection (or TLS
// handshake) per retry. Larger or unknown-length bodies get
// "Connection: close" and are never read.
const shedDrainMax = 64 << 10

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
	st := &reqState{}
	st.rw.ResponseWriter = w
	s.metrics.Start()
	s.api.Refuse(&st.rw, r, s3err.SlowDown, &st.info)
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

// deadlines pushes a request's read and write deadlines forward as bytes
// move, through http.ResponseController (HTTP/1.1 and HTTP/2 alike).
type deadlines struct {
	rc        *http.ResponseController
	readIdle  time.Duration
	writeIdle time.Duration
	readSet   time.Time // when the read deadline was last pushed
	writeSet  time.Time // likewise for writes
}

// pushRead moves the read deadline to now+readIdle unless it was moved
// within the last eighth of readIdle (each move costs a timer update, or
// on HTTP/2 a message to the connection's goroutine).
func (d *deadlines) pushRead(now time.Time) {
	if d.readIdle > 0 && now.Sub(d.readSet) >= d.readIdle/8 {
		d.readSet = now
		_ = d.rc.SetReadDeadline(now.Add(d.readIdle))
	}
}

// clearRead removes the read deadline once the body is fully read:
// net/http then watches the connection for the client going away, and a
// deadline firing during a long commit would cancel the request.
func (d *deadlines) clearRead() {
	if d.readIdle > 0 && !d.readSet.IsZero() {
		d.readSet = time.Time{}
		_ = d.rc.SetReadDeadline(time.Time{})
	}
}

// expireRead ends reading at once, after the body failed: net/http then
// skips draining the rest of it (which a trickling client would drag out
// until the next deadline), sends the error and closes the connection.
func (d *deadlines) expireRead() {
	d.readSet = time.Time{}
	_ = d.rc.SetReadDeadline(time.Unix(1, 0))
}

// pushWriteFor gives the next write k times the write idle time, for a
// write of k units at once (a sendfile piece).
func (d *deadlines) pushWriteFor(now time.Time, k int) {
	if d.writeIdle > 0 {
		d.writeSet = now
		_ = d.rc.SetWriteDeadline(now.Add(time.Duration(k) * d.writeIdle))
	}
}

func (d *deadlines) pushWrite(now time.Time) {
	if d.writeIdle > 0 && now.Sub(d.writeSet) >= d.writeIdle/8 {
		d.writeSet = now
		_ = d.rc.SetWriteDeadline(now.Add(d.writeIdle))
	}
}

// countingBody counts the request body bytes the handler reads and, when
// the limits ask for it, enforces the body idle timeout and minimum rate:
// a stalled or trickling body fails with RequestTimeout, an S3 error the
// handler passes on to the client.
type countingBody struct {
	io.ReadCloser
	n int64

	dl      *deadlines // nil: no deadline, no rate
	minRate int64
	window  time.Duration
	waited  time.Duration // time blocked in Read in the current window
	got     int64         // bytes received in the current window
	err     error         // sticky RequestTimeout
}

func (b *countingBody) Read(p []byte) (int, error) {
	if b.dl == nil {
		n, err := b.ReadCloser.Read(p)
		b.n += int64(n)
		return n, err
	}
	if b.err != nil {
		return 0, b.err
	}
	t0 := time.Now()
	b.dl.pushRead(t0)
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	switch {
	case err == io.EOF:
		b.dl.clearRead()
		return n, err
	case err != nil:
		if errors.Is(err, os.ErrDeadlineExceeded) {
			b.err = s3err.RequestTimeout.Wrap(err)
			b.dl.expireRead()
			return n, b.err
		}
		return n, err
	}
	if b.minRate > 0 {
		b.waited += time.Since(t0)
		b.got += int64(n)
		if b.waited >= b.window {
			if float64(b.got) < float64(b.minRate)*b.waited.Seconds() {
				b.err = s3err.RequestTimeout.Wrap(errors.New("request body slower than the minimum rate"))
				b.dl.expireRead()
				return n, b.err
			}
			b.waited, b.got = 0, 0
		}
	}
	return n, nil
}
