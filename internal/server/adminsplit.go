package server

import (
	"net/http"
	"strings"

	"github.com/zonal-dev/zonal/internal/s3api"
)

// adminSplit sends the operator endpoints (/_zonal/...) to admin and
// everything else on. It is the outermost wrapper: health, readiness and
// metrics must answer while the API sheds load or the disk is full, and
// are neither counted nor logged as API requests.
func adminSplit(admin http.Handler) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/_zonal/") && !bucketHost(r.Host) {
				admin.ServeHTTP(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// bucketHost reports whether host names a bucket virtual-hosted style,
// where /_zonal/... is an object key: routing's own rule, so the two never
// disagree.
func bucketHost(host string) bool {
	_, ok := s3api.HostBucket(host)
	return ok
}
