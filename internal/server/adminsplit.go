package server

import (
	"net/http"
	"strings"
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

// bucketHost reports whether host names a bucket virtual-hosted style
// (first label ending in --x-s3), where /_zonal/... is an object key.
func bucketHost(host string) bool {
	label, _, ok := strings.Cut(host, ".")
	return ok && strings.HasSuffix(label, "--x-s3")
}
