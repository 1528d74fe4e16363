package server

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/zonal-dev/zonal/internal/s3api"
	"github.com/zonal-dev/zonal/internal/s3err"
)

// middleware routes /_zonal/ to the admin mux and everything else to the S3
// API, with panic recovery and an access log around both.
func (s *Server) middleware(api http.Handler, admin http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/_zonal/") {
			admin.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		info := &s3api.Info{}
		rw := &statusWriter{ResponseWriter: w}
		r = r.WithContext(s3api.WithInfo(r.Context(), info))
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("panic serving request", "panic", p, "request_id", info.RequestID, "op", info.Op)
				if !rw.wrote {
					s3err.Write(rw, r, s3err.InternalError, r.URL.Path, info.RequestID, "")
				}
			}
			s.accessLog(r, rw, info, time.Since(start))
		}()
		api.ServeHTTP(rw, r)
	})
}

// accessLog writes one line per request. It names the access key id but
// never a secret, a signature or a session token.
func (s *Server) accessLog(r *http.Request, rw *statusWriter, info *s3api.Info, d time.Duration) {
	level := slog.LevelDebug
	if rw.status == http.StatusInternalServerError {
		level = slog.LevelError
	}
	if !s.log.Enabled(r.Context(), level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("request_id", info.RequestID),
		slog.String("op", string(info.Op)),
		slog.String("bucket", info.Bucket),
		slog.String("key", info.Key),
		slog.String("principal", info.Principal),
		slog.String("access_key", info.AccessKey),
		slog.Int("status", rw.status),
		slog.Int64("bytes_out", rw.bytes),
		slog.Int64("bytes_in", r.ContentLength),
		slog.Duration("duration", d),
	}
	if info.ErrCode != "" {
		attrs = append(attrs, slog.String("error_code", info.ErrCode))
	}
	if info.Err != nil {
		attrs = append(attrs, slog.String("err", info.Err.Error()))
	}
	s.log.LogAttrs(r.Context(), level, "request", attrs...)
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
