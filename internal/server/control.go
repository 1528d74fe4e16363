package server

import (
	"net/http"

	"github.com/zonal-dev/zonal/internal/s3api"
	"github.com/zonal-dev/zonal/internal/s3control"
)

// withControl routes S3 Control requests (/v20180820/..., classified at
// the edge) to their own API, with its own envelope for errors, and
// everything else to next (the S3 API). It sits beside the IAM split
// rather than inside s3api: the two APIs share authentication, request ids
// and the catalog, not routing or wire format.
func (s *Server) withControl(next http.Handler) http.Handler {
	api := s3control.New(s3control.Config{Region: s.cfg.Region, Store: s.store, Auth: s.api.Authority(),
		Logger: s.log, RequestID: s.api.RequestID})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s3api.Classified(r).Op != s3api.OpS3Control {
			next.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}
