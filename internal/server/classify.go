package server

import (
	"net/http"

	"github.com/zonal-dev/zonal/internal/s3api"
)

// classify reads each API request once, right after the admin split: host,
// bucket, key, operation, signing service and query go into the request's
// s3api.Request, which everything inside reads (the disk guard, the IAM/S3
// split, metrics, the access log, routing and the handlers). It makes the
// request's state, the Request included, in one allocation, carries the
// Request in the context and puts the state's counting writer in front of
// w, through which the wrappers inside find the state (stateFor).
func (s *Server) classify(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := &reqState{}
		st.rw.ResponseWriter, st.rw.st, st.rw.maps = w, st, !s.cfg.Sendfile
		s3api.Classify(&st.req, r)
		next.ServeHTTP(&st.rw, r.WithContext(s3api.WithRequest(r.Context(), &st.req)))
	})
}
