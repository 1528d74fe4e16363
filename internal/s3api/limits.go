package s3api

import (
	"net/http"
	"strconv"

	"github.com/zonal-dev/zonal/internal/s3err"
)

// maxHeaderSection is S3's limit on a request's header section: "The PUT
// request header is limited to 8 KB in size" (S3 User Guide, object
// metadata). It is applied to every S3 request, measured as the header
// lines would be sent over HTTP/1.1 ("Name: value\r\n", Host included,
// request line excluded). net/http itself refuses much larger headers
// (the server's hard cap) before this check runs.
const maxHeaderSection = 8 << 10

// checkHeaderSize answers RequestHeaderSectionTooLarge for headers over
// maxHeaderSection.
func checkHeaderSize(r *http.Request) error {
	n := len("Host: \r\n") + len(r.Host)
	for name, vals := range r.Header {
		for _, v := range vals {
			n += len(name) + len(v) + len(": \r\n")
		}
	}
	if n > maxHeaderSection {
		return s3err.RequestHeaderSectionTooLarge.
			With("MaxSizeAllowed", strconv.Itoa(maxHeaderSection)).With("Size", strconv.Itoa(n))
	}
	return nil
}

// Refuse answers r with e before any work is done on it, as the server's
// load shedding does: request ids are assigned and the operation is named
// (for the log and metrics, in info when it is not nil) but nothing is
// authenticated and the body is left unread.
func (h *Handler) Refuse(w http.ResponseWriter, r *http.Request, e *s3err.Error, info *Info) {
	if info == nil {
		info = &Info{}
	}
	id := h.reqID.next()
	hdr := w.Header()
	hdr["X-Amz-Request-Id"] = []string{id}
	hdr["X-Amz-Id-2"] = []string{h.reqID.host}
	hdr["Server"] = []string{"zonal"}
	t := Classified(r)
	info.RequestID, info.Op, info.Bucket, info.Key, info.ErrCode = id, t.Op, t.Bucket, t.Key, e.Code
	s3err.Write(w, r, e, r.URL.Path, id, h.reqID.host)
}
