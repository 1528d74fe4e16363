package s3api

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/zonal-dev/zonal/internal/s3err"
	"github.com/zonal-dev/zonal/internal/store"
)

const s3NS = "http://s3.amazonaws.com/doc/2006-03-01/"

// xmlTime renders times as S3 does in XML bodies.
func xmlTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// writeXML sends v as an XML document with status 200.
func writeXML(w http.ResponseWriter, v any) error {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	if err := xml.NewEncoder(&b).Encode(v); err != nil {
		return internalError(err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b.Bytes())
	return nil
}

// Caps on request documents. Documents are decoded as they stream in, so a
// cap bounds the bytes read and parsed per request (the decoded values are
// all that is kept), derived from AWS's limits with room for whitespace.
const (
	// maxXMLBody: configuration documents (CreateBucket, encryption,
	// lifecycle: at most 1,000 rules). AWS's documents are far smaller.
	maxXMLBody = 1 << 20

	// maxCompleteBody: CompleteMultipartUpload lists at most 10,000 parts.
	// The longest meaningful <Part> has a 5-digit PartNumber (30 bytes with
	// its tags), an ETag of 32 hex digits whose quotes are escaped as
	// &quot; (57) and all five checksums, CRC32 (39), CRC32C (41),
	// CRC64NVME (51), SHA1 (57) and SHA256 (77), plus <Part></Part> (13):
	// 365 bytes. aws-sdk-go-v2 writes about 140 (one CRC32). 512 per part
	// leaves room for indentation: 10,000 x 512 + 1 KiB = 5,121,024 bytes.
	maxCompleteBody = store.MaxParts*512 + 1<<10

	// maxDeleteBody: DeleteObjects names at most 1,000 keys of at most
	// 1,024 bytes, and escaping makes one key byte at most 6 (" is
	// &quot;): 6,144 bytes of key. The rest of an <Object> (Object, Key,
	// ETag, LastModifiedTime, Size and VersionId with their values) is
	// under 300 bytes; allow 512. 1,000 x (6,144 + 512) + 1 KiB for
	// <Delete> and <Quiet> = 6,657,024 bytes.
	maxDeleteBody = maxDeleteKeys*(6*store.MaxKeyLength+512) + 1<<10
)

// readXML decodes a configuration document into v; an empty body leaves v
// untouched and reports false.
func readXML(body io.Reader, v any) (bool, error) {
	return decodeXML(body, maxXMLBody, v)
}

// decodeXML decodes the document in body into v, reading at most limit
// bytes: a longer body is refused (400 MalformedXML) however it parses.
// The whole body is read, since a payload verifies its hash, signatures
// and trailers at EOF. A body of only whitespace reports false. Read
// errors come first, then the size, then the syntax (s3err.MalformedXML
// itself, so callers can tell it from the others).
func decodeXML(body io.Reader, limit int64, v any) (bool, error) {
	r := &docReader{r: &io.LimitedReader{R: body, N: limit + 1}}
	derr := xml.NewDecoder(r).Decode(v)
	if _, err := io.Copy(io.Discard, r); err != nil && r.err == nil {
		r.err = err
	}
	switch {
	case r.err != nil:
		return false, bodyError(r.err)
	case r.n > limit:
		return false, s3err.MalformedXML.Msg("The XML document is too large.")
	case !r.nonBlank:
		return false, nil
	case derr != nil:
		return false, s3err.MalformedXML
	}
	return true, nil
}

// docReader passes a document through, keeping its first read error
// apart from the decoder's syntax errors, its length, and whether it held
// anything but whitespace.
type docReader struct {
	r        io.Reader
	n        int64
	err      error
	nonBlank bool
}

func (d *docReader) Read(b []byte) (int, error) {
	n, err := d.r.Read(b)
	d.n += int64(n)
	if !d.nonBlank && len(bytes.TrimSpace(b[:n])) > 0 {
		d.nonBlank = true
	}
	if err != nil && err != io.EOF && d.err == nil {
		d.err = err
	}
	return n, err
}

func bodyError(err error) error {
	if e, ok := err.(*s3err.Error); ok {
		return e
	}
	return s3err.IncompleteBody.Wrap(err)
}
