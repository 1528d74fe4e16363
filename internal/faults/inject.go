package faults

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Header names the fired rule on the response, so a client's log tells an
// injected fault from a real one.
const Header = "X-Zonal-Fault"

// ErrInjected is what a handler's writes and body reads return once a
// fault has cut the connection or ended the body.
var ErrInjected = errors.New("injected fault")

// Wait sleeps the latency before the first byte, or until ctx ends.
func (f *Fault) Wait(ctx context.Context) error {
	if l := f.r.Latency; l != nil && l.First > 0 {
		return sleep(ctx, time.Duration(l.First))
	}
	return nil
}

// Wrap applies the fault's transport effects (reset, truncation,
// throttle, latency over the body) to w and r's body, and names the rule
// in the response header. Without such effects it only sets the header.
func (f *Fault) Wrap(w http.ResponseWriter, r *http.Request) (http.ResponseWriter, *http.Request) {
	w.Header().Set(Header, f.Rule)
	rule := f.r
	if rule.Reset == nil && rule.Truncate == nil && rule.Throttle == nil && (rule.Latency == nil || rule.Latency.Body == 0) {
		return w, r
	}
	fw := &writer{ResponseWriter: w, rule: rule, ctx: r.Context(), total: -1}
	if x := rule.Reset; x != nil && x.AfterRequestBytes > 0 && r.Body != nil && r.Body != http.NoBody {
		r2 := *r
		r2.Body = &body{ReadCloser: r.Body, w: fw, left: x.AfterRequestBytes}
		r = &r2
	}
	return fw, r
}

// writer applies a fault to a response.
type writer struct {
	http.ResponseWriter
	rule    *Rule
	ctx     context.Context
	total   int64 // the response's Content-Length, -1 when unknown
	sent    int64 // body bytes passed on
	started bool  // headers written
	dead    bool  // reset or truncated: everything else is dropped
	t0      time.Time
}

func (w *writer) resetsResponse() bool {
	return w.rule.Reset != nil && w.rule.Reset.AfterRequestBytes == 0
}

func (w *writer) WriteHeader(code int) {
	if w.dead || w.started {
		return
	}
	if w.resetsResponse() && w.rule.Reset.AfterResponseBytes == 0 {
		w.reset()
		return
	}
	w.started = true
	if n, err := strconv.ParseInt(w.Header().Get("Content-Length"), 10, 64); err == nil {
		w.total = n
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *writer) Write(p []byte) (int, error) {
	if !w.started {
		w.WriteHeader(http.StatusOK)
	}
	if w.dead {
		return 0, ErrInjected
	}
	if l := w.rule.Latency; l != nil && l.Body > 0 {
		d := time.Duration(l.Body)
		if w.total > 0 {
			d = time.Duration(float64(d) * float64(len(p)) / float64(w.total))
		} else if w.sent > 0 {
			d = 0 // unknown length: all of it before the first byte
		}
		if err := sleep(w.ctx, d); err != nil {
			return 0, err
		}
	}
	limit, cut := int64(len(p)), false
	if x := w.rule.Truncate; x != nil && w.sent+limit >= x.AfterBytes {
		limit, cut = x.AfterBytes-w.sent, true
	}
	if w.resetsResponse() && w.sent+limit >= w.rule.Reset.AfterResponseBytes {
		limit, cut = w.rule.Reset.AfterResponseBytes-w.sent, true
	}
	n, err := w.send(p[:limit])
	if err != nil || !cut {
		return n, err
	}
	if w.rule.Reset != nil {
		w.reset()
	} else {
		w.dead = true // truncated: the handler returns, net/http closes the short response
	}
	return n, ErrInjected
}

// send writes p, at the throttle's rate when there is one.
func (w *writer) send(p []byte) (int, error) {
	t := w.rule.Throttle
	if t == nil {
		n, err := w.ResponseWriter.Write(p)
		w.sent += int64(n)
		return n, err
	}
	if w.t0.IsZero() {
		w.t0 = time.Now()
	}
	piece := max(t.BytesPerSecond/10, 1) // ten writes a second keep it smooth
	done := 0
	for done < len(p) {
		k := min(int64(len(p)-done), piece)
		// A piece leaves when the rate allows its last byte, so no byte
		// arrives early.
		due := w.t0.Add(time.Duration(float64(w.sent+k) / float64(t.BytesPerSecond) * float64(time.Second)))
		if err := sleep(w.ctx, time.Until(due)); err != nil {
			return done, err
		}
		n, err := w.ResponseWriter.Write(p[done : done+int(k)])
		done += n
		w.sent += int64(n)
		if err != nil {
			return done, err
		}
		_ = http.NewResponseController(w.ResponseWriter).Flush()
	}
	return done, nil
}

// reset cuts the connection: over HTTP/1.1 the socket is closed with
// SO_LINGER 0, which sends a TCP RST after what was already written; over
// HTTP/2 (which cannot be hijacked) the handler aborts, and net/http
// resets the stream.
func (w *writer) reset() {
	w.dead = true
	rc := http.NewResponseController(w.ResponseWriter)
	if w.started {
		_ = rc.Flush() // the bytes before the cut go out first (a flush would start a response otherwise)
	}
	conn, _, err := rc.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	raw := conn
	if tc, ok := conn.(*tls.Conn); ok {
		raw = tc.NetConn()
	}
	// Any TCP connection, wrapped or not (the server's coalescing
	// connection embeds *net.TCPConn).
	if tcp, ok := raw.(interface{ SetLinger(sec int) error }); ok {
		_ = tcp.SetLinger(0)
	}
	_ = raw.Close()
}

func (w *writer) Flush() {
	if !w.dead {
		_ = http.NewResponseController(w.ResponseWriter).Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (w *writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// body resets the connection once left request bytes have been read.
type body struct {
	io.ReadCloser
	w    *writer
	left int64
}

func (b *body) Read(p []byte) (int, error) {
	if b.w.dead {
		return 0, ErrInjected
	}
	if b.left <= 0 {
		b.w.reset()
		return 0, ErrInjected
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
