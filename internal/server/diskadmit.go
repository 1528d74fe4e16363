package server

import "net/http"

// admitDisk refuses an upload (503 ServiceUnavailable, body unread) when
// the data folder's free space is under the reserve or the upload's
// declared size would take it there, and holds that size reserved while
// the request runs (see diskGuard). It comes before the in-flight cap: a
// refused upload takes no slot.
func (s *Server) admitDisk(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok, release := s.disk.admitUpload(r)
		if !ok {
			s.refuseUpload(w, r)
			return
		}
		if release != nil {
			defer release()
		}
		next.ServeHTTP(w, r)
	})
}
