package server

import (
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/zonal-dev/zonal/internal/metrics"
	"github.com/zonal-dev/zonal/internal/s3api"
)

// observe measures each request from admission to its last byte: the
// in-flight gauge, the per-operation metrics and the access log. It counts
// the body read and the response written into the request's state, whose
// Info the handlers fill in; the metrics and the log line are built from
// it.
//
// Its deferred finish also runs while a handler's http.ErrAbortHandler
// unwinds (recoverPanic lets that one through), so an aborted response is
// still counted and logged.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		s.metrics.Start()
		st, w, r := stateFor(w, r)
		st.start = start
		st.countBody(r) // r is classify's copy: ours to change
		defer s.finish(r, st, start, true)
		next.ServeHTTP(w, r)
	})
}

// finish records the request's metrics and (when log is set) its
// access-log line.
func (s *Server) finish(r *http.Request, st *reqState, start time.Time, log bool) {
	d := time.Since(start)
	status := st.rw.status
	if !st.rw.wrote {
		status = http.StatusOK // nothing written: net/http sends 200
	}
	op := string(st.req.Info.Op)
	if op == "" {
		op = string(s3api.OpUnknown)
	}
	s.disk.sawError(st.req.Info.Err)
	mr := metrics.Request{Op: op, Status: status, ErrCode: st.req.Info.ErrCode,
		BytesIn: st.body.n, BytesOut: st.rw.bytes, Duration: d}
	s.metrics.Observe(&mr)
	s.countBucketMetrics(r.Context(), st, &mr)
	if log {
		s.accessLog(r, st, status, d)
	}
}

// accessLog writes one line per request at info level (error for 500s).
// It names the access key id and the principal but never a secret, a
// signature or a session token: it is built only from the request's Info,
// never from headers or the query string.
func (s *Server) accessLog(r *http.Request, st *reqState, status int, d time.Duration) {
	level := slog.LevelInfo
	if status == http.StatusInternalServerError {
		level = slog.LevelError
	} else if s.cfg.NoAccessLog {
		return
	}
	if !s.log.Enabled(r.Context(), level) {
		return
	}
	info := &st.req.Info
	remote, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		remote = r.RemoteAddr
	}
	attrs := make([]slog.Attr, 0, 14)
	attrs = append(attrs,
		slog.String("request_id", info.RequestID),
		slog.String("principal", info.Principal),
		slog.String("access_key", info.AccessKey),
		slog.String("op", string(info.Op)),
		slog.String("bucket", info.Bucket),
		slog.String("key", info.Key),
		slog.Int("status", status),
		slog.Int64("bytes_in", st.body.n),
		slog.Int64("bytes_out", st.rw.bytes),
		slog.Duration("duration", d),
		slog.String("remote", remote),
	)
	if info.ErrCode != "" {
		// A refused or unsupported call says what was asked, so an
		// operator can tell which feature a client wanted. Query names
		// only: values may hold signatures or session tokens.
		attrs = append(attrs, slog.String("error_code", info.ErrCode),
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.String("query", queryNames(r.URL.RawQuery)))
	}
	if rule := st.req.Fault(); rule != "" {
		attrs = append(attrs, slog.String("fault", rule))
	}
	if info.Err != nil {
		attrs = append(attrs, slog.String("err", info.Err.Error()))
	}
	s.log.LogAttrs(r.Context(), level, "request", attrs...)
}

// queryNames lists the names of a raw query, comma-separated and without
// values, in the order sent.
func queryNames(raw string) string {
	var b strings.Builder
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		name, _, _ := strings.Cut(part, "=")
		if name == "" {
			continue
		}
		if u, err := url.QueryUnescape(name); err == nil {
			name = u
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(name)
	}
	return b.String()
}
