package server

import (
	"errors"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/zonal-dev/zonal/internal/mmapio"
	"github.com/zonal-dev/zonal/internal/s3api"
)

// Handler returns the server's full HTTP handler: the S3 and IAM/STS APIs
// inside these wrappers, outermost first. Each concern is one wrapper in a file
// of its own; the order is part of the behaviour:
//
//   - fromProxy: behind trusted proxies, the request's RemoteAddr becomes
//     the client's (netpeer), for everything below;
//   - adminSplit: /_zonal/ goes to the admin endpoints, which no limit
//     below applies to (a probe must answer under overload);
//   - classify: the request is read once (s3api.Request) for all below;
//   - admitDisk: uploads are refused below the disk reserve before they
//     take an in-flight slot;
//   - capInflight: over MaxInflight, 503 SlowDown at once, body unread;
//   - observe: metrics and the access log, from the first byte to the last;
//   - withDeadlines: body idle timeout, minimum rate, write idle timeout;
//   - recoverPanic: a panicking handler answers 500, the server lives on.
//
// The refusals of admitDisk and capInflight record their metrics
// themselves, without an access-log line (a line per shed request would add
// work exactly when there is none to spare).
func (s *Server) Handler() http.Handler {
	api := s.readOnlyGate(s.withIAM(s.withControl(s.api)))
	return chain(api,
		s.fromProxy,
		adminSplit(s.adminHandler()),
		s.classify,
		s.admitDisk,
		s.capInflight,
		s.observe,
		s.withDeadlines,
		s.recoverPanic,
	)
}

// fromProxy resolves the client behind trusted proxies (none listed: a
// no-op, not even a wrapper).
func (s *Server) fromProxy(next http.Handler) http.Handler {
	ps := s.cfg.TrustedProxies
	if len(ps) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, ps.Resolve(r))
	})
}

// chain wraps h in wrappers, the first outermost.
func chain(h http.Handler, wrappers ...func(http.Handler) http.Handler) http.Handler {
	for i := len(wrappers) - 1; i >= 0; i-- {
		h = wrappers[i](h)
	}
	return h
}

// reqState is what the wrappers keep for one request, in one allocation
// (classify makes it): the classified Request with the Info the handlers
// fill in, the response writer and request body that count bytes, and the
// deadlines. The wrappers inside classify find it through the response
// writer.
type reqState struct {
	req   s3api.Request
	rw    statusWriter
	body  countingBody
	dl    deadlines
	start time.Time
}

// stateFor returns the request state classify set up around w, or, for a
// wrapper used on its own, a new one: r classified, w and r's body wrapped.
func stateFor(w http.ResponseWriter, r *http.Request) (*reqState, http.ResponseWriter, *http.Request) {
	if sw, ok := w.(*statusWriter); ok && sw.st != nil {
		return sw.st, w, r
	}
	st := &reqState{start: time.Now()}
	st.rw.ResponseWriter, st.rw.st = w, st
	s3api.Classify(&st.req, r)
	r = r.WithContext(s3api.WithRequest(r.Context(), &st.req))
	st.countBody(r) // r is a copy of its own now
	return st, &st.rw, r
}

// countBody makes r's body count into st (once).
func (st *reqState) countBody(r *http.Request) {
	if st.body.ReadCloser == nil && r.Body != nil && r.Body != http.NoBody {
		st.body.ReadCloser = r.Body
		r.Body = &st.body
	}
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
	wrote  bool
	// maps: file sections of mapFrom bytes or more go out from memory maps
	// (sendMapped); false: always sendfile.
	maps bool
	dl   *deadlines // nil: no write deadline
	st   *reqState  // the state this writer is part of (nil in refusals)
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote && code >= 200 {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	if w.dl != nil {
		w.dl.pushWrite(time.Now())
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// sendPiece is what one ReadFrom call on the connection may send. A whole
// 1 MiB object in one call measured 5.6-7.2k GETs/s against 5.0k with
// 256 KiB calls (same server CPU budget; larger objects did not care).
// Deadlines: the write idle deadline bounds each call, and a Write of a
// writeUnit (the copy buffer) must finish within writeIdle, so a piece gets
// sendPiece/writeUnit times as long: the slowest reader accepted is the
// same on both paths.
const (
	sendPiece = 1 << 20
	writeUnit = 256 << 10
)

// ReadFrom passes file sections (the *io.LimitedReader the store returns
// for unencrypted blob ranges) on to net/http's ReadFrom, which uses
// sendfile on plain TCP connections: no copy through user space, about
// a third of a 1 MiB GET's server CPU. Other readers are copied through
// Write.
func (w *statusWriter) ReadFrom(src io.Reader) (int64, error) {
	rf, ok := w.ResponseWriter.(io.ReaderFrom)
	lr, isSection := src.(*io.LimitedReader)
	if !ok || !isSection {
		return io.Copy(writerOnly{w}, src)
	}
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	var total int64
	if f, ok := lr.R.(*os.File); ok && w.maps && lr.N >= mapFrom {
		n, err := w.sendMapped(f, lr)
		total += n
		if !errors.Is(err, mmapio.ErrUnsupported) {
			return total, err
		}
		// Not mappable (some filesystems): sendfile the rest.
	}
	for lr.N > 0 {
		if w.dl != nil {
			w.dl.pushWriteFor(time.Now(), sendPiece/writeUnit)
		}
		n, err := rf.ReadFrom(&io.LimitedReader{R: lr.R, N: min(lr.N, sendPiece)})
		lr.N -= n
		total += n
		w.bytes += n
		if err != nil || n == 0 {
			return total, err
		}
	}
	return total, nil
}

// mapFrom is the smallest file section sent from memory maps. Measured
// here with a trivial server over loopback, each size spread over 200 MiB
// or more of cached files: sendfile against maps, 1 MiB GETs 3,835
// against 3,558 MiB/s, 2 MiB 3,708 against 3,886, 4 MiB 3,100 against
// 3,754, 16 MiB 3,064 against 3,788.
const mapFrom = 2 << 20

// mapWindow is how much of a file section is mapped at a time: with one
// 16 MiB file, 4 MiB windows sent 4,460 MiB/s, 1 MiB windows 3,950
// (each map and unmap costs tens of µs, more in a VM, where the unmap's
// TLB shootdown is an interprocessor interrupt) and the whole object
// mapped 5,040, which puts up to 16 MiB of page cache per client in the
// process's resident set.
const mapWindow = 4 << 20

// sendMapped writes the file section lr (R is f, positioned at the start)
// from read-only maps of mapWindow bytes; see package mmapio for why this
// beats sendfile for large ranges. It returns mmapio.ErrUnsupported,
// having sent nothing more, where f cannot be mapped.
func (w *statusWriter) sendMapped(f *os.File, lr *io.LimitedReader) (int64, error) {
	off, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, err
	}
	var total int64
	for lr.N > 0 {
		k := min(lr.N, mapWindow)
		m, err := mmapio.Open(f, off, int(k))
		if testHookMapped != nil && err == nil {
			testHookMapped(k)
		}
		if err != nil {
			// Leave f where sendfile would go on from.
			if _, serr := f.Seek(off, io.SeekStart); serr != nil {
				return total, serr
			}
			return total, err
		}
		// In sendfile's pieces, with its deadline for each: straight to
		// net/http's writer, as statusWriter.Write would give a piece
		// only one writeUnit's time.
		for b := m.Bytes(); len(b) > 0 && err == nil; {
			if w.dl != nil {
				w.dl.pushWriteFor(time.Now(), sendPiece/writeUnit)
			}
			var n int
			n, err = mmapio.Write(w.ResponseWriter, b[:min(len(b), sendPiece)])
			b = b[n:]
			off += int64(n)
			lr.N -= int64(n)
			total += int64(n)
			w.bytes += int64(n)
		}
		m.Close()
		if err != nil {
			return total, err
		}
	}
	_, err = f.Seek(off, io.SeekStart)
	return total, err
}

// testHookMapped, when set by a test, is told the size of every window
// sendMapped maps.
var testHookMapped func(n int64)

// writerOnly hides ReadFrom, so io.Copy does not call back into it.
type writerOnly struct{ io.Writer }

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
