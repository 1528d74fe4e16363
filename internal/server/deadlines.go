package server

import (
	"errors"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/zonal-dev/zonal/internal/s3err"
)

// withDeadlines bounds what a slow client can hold: a request body that
// stalls for BodyIdleTimeout or trickles under BodyMinRate fails with 400
// RequestTimeout, and a response not read for WriteIdleTimeout is cut.
// Both deadlines move forward as bytes move (http.ResponseController, so
// HTTP/1.1 and HTTP/2 alike), so large honest transfers are never cut.
func (s *Server) withDeadlines(next http.Handler) http.Handler {
	lim := s.limits
	if lim.BodyIdleTimeout <= 0 && lim.BodyMinRate <= 0 && lim.WriteIdleTimeout <= 0 {
		return next
	}
	window := lim.BodyIdleTimeout
	if window <= 0 {
		window = 30 * time.Second
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, w, r := stateFor(w, r)
		st.dl = deadlines{rc: http.NewResponseController(w), readIdle: lim.BodyIdleTimeout, writeIdle: lim.WriteIdleTimeout}
		st.rw.dl = &st.dl
		if r.ProtoMajor == 1 && lim.WriteIdleTimeout > 0 {
			// A keep-alive connection still carries the previous
			// response's write deadline, which would fail this one's
			// "100 Continue" or first write.
			_ = st.dl.rc.SetWriteDeadline(time.Time{})
		}
		if st.body.ReadCloser != nil && (lim.BodyIdleTimeout > 0 || lim.BodyMinRate > 0) {
			st.body.dl, st.body.minRate, st.body.window = &st.dl, lim.BodyMinRate, window
			// Set now, not at the first Read: a handler that never reads
			// the body still has net/http drain it after the response.
			st.dl.pushRead(st.start)
		}
		next.ServeHTTP(w, r)
		// net/http flushes the buffered end of the response after the
		// handler returns; bound that write too. (Not on a panic: an
		// aborted response needs no more time.)
		st.dl.pushWrite(time.Now())
	})
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
