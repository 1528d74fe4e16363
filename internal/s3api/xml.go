package s3api

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/zonal-dev/zonal/internal/s3err"
)

const s3NS = "http://s3.amazonaws.com/doc/2006-03-01/"

// xmlTime renders times as S3 does in XML bodies.
func xmlTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// writeXML sends v as an XML document with status 200.
func writeXML(w http.ResponseWriter, v any) error {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	if err := xml.NewEncoder(&b).Encode(v); err != nil {
		return s3err.InternalError.Wrap(err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b.Bytes())
	return nil
}

// maxXMLBody bounds request documents (CreateBucket configuration and the like).
const maxXMLBody = 1 << 20

// readXML decodes a request body into v; an empty body leaves v untouched
// and reports false.
func readXML(body io.Reader, v any) (bool, error) {
	data, err := io.ReadAll(io.LimitReader(body, maxXMLBody+1))
	if err != nil {
		return false, bodyError(err)
	}
	if len(data) > maxXMLBody {
		return false, s3err.MalformedXML.Msg("The XML document is too large.")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return false, nil
	}
	if err := xml.Unmarshal(data, v); err != nil {
		return false, s3err.MalformedXML
	}
	return true, nil
}

func bodyError(err error) error {
	if e, ok := err.(*s3err.Error); ok {
		return e
	}
	return s3err.IncompleteBody.Wrap(err)
}
