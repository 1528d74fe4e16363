package server

import (
	"net/http"

	"github.com/zonal-dev/zonal/internal/s3api"
	"github.com/zonal-dev/zonal/internal/s3err"
)

// recoverPanic turns a panicking handler into 500 InternalError (when no
// response was started) and an error log line, so one bad request does
// not take the server down. http.ErrAbortHandler, the way a handler cuts
// a response on purpose, goes on up to net/http, which closes the
// connection quietly.
func (s *Server) recoverPanic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, w, r := stateFor(w, r)
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p)
			}
			info := &st.req.Info
			if i := s3api.InfoFrom(r.Context()); i != nil {
				info = i
			}
			s.log.Error("panic serving request", "panic", p, "request_id", info.RequestID, "op", info.Op)
			if !st.rw.wrote {
				s3err.Write(w, r, s3err.InternalError, r.URL.Path, info.RequestID, "")
			}
		}()
		next.ServeHTTP(w, r)
	})
}
