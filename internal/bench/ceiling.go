package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// SizeHeader tells the ceiling server how many bytes a GET should return.
// Only the ceiling workload sends it (unsigned, after signing); a real
// server ignores it anyway.
const SizeHeader = "X-Zonal-Bench-Size"

// CeilingServer is the trivial HTTP server the ceiling workload runs
// against: it drains PUT and POST bodies, answers GET with N bytes, and does
// no authentication and no storage. Whatever rate the generator reaches
// against it is what this machine (and this generator) can do at most, so
// real results are stated as a ratio to it.
//
// It understands just enough of the S3 surface for every workload to run
// unchanged: CreateSession (canned credentials), ListObjectsV2 (a canned
// page of max-keys keys under the prefix), CreateMultipartUpload and
// CompleteMultipartUpload (canned results), appends (x-amz-object-size).
type CeilingServer struct {
	// DefaultSize is the GET body size when the request does not say.
	DefaultSize int64
	// Addr is the address it listens on (host:port).
	Addr string

	srv   *http.Server
	bufs  sync.Pool
	pages sync.Map // raw query -> []byte list page
	clens sync.Map // int64 -> []string Content-Length value
}

var (
	hdrOctet   = []string{"application/octet-stream"}
	hdrXML     = []string{"application/xml"}
	hdrETag    = []string{`"0123456789abcdef0123456789abcdef"`}
	zeroBuffer = make([]byte, 256<<10)
)

// StartCeiling listens on addr ("127.0.0.1:0" for any port) and serves
// until Close.
func StartCeiling(addr string, defaultSize int64) (*CeilingServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	c := &CeilingServer{DefaultSize: defaultSize, Addr: ln.Addr().String()}
	c.bufs.New = func() any { b := make([]byte, 64<<10); return &b }
	c.srv = &http.Server{Handler: c, ReadHeaderTimeout: time.Minute, IdleTimeout: 5 * time.Minute}
	go c.srv.Serve(ln)
	return c, nil
}

// Close stops the server.
func (c *CeilingServer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := c.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		return c.srv.Close()
	}
	return err
}

func (c *CeilingServer) contentLength(n int64) []string {
	if v, ok := c.clens.Load(n); ok {
		return v.([]string)
	}
	v := []string{strconv.FormatInt(n, 10)}
	c.clens.Store(n, v)
	return v
}

// drain reads and discards the request body, returning its length.
func (c *CeilingServer) drain(r *http.Request) (int64, error) {
	bp := c.bufs.Get().(*[]byte)
	defer c.bufs.Put(bp)
	var n int64
	for {
		m, err := r.Body.Read(*bp)
		n += int64(m)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return n, nil
			}
			return n, err
		}
	}
}

func (c *CeilingServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	q := r.URL.RawQuery
	switch r.Method {
	case http.MethodPut:
		n, err := c.drain(r)
		if err != nil {
			return
		}
		if v := r.Header["X-Amz-Write-Offset-Bytes"]; len(v) == 1 {
			off, _ := strconv.ParseInt(v[0], 10, 64)
			h["X-Amz-Object-Size"] = []string{strconv.FormatInt(off+n, 10)}
		}
		h["Etag"] = hdrETag
		h["Content-Length"] = c.contentLength(0)
		w.WriteHeader(http.StatusOK)
	case http.MethodPost:
		if _, err := c.drain(r); err != nil {
			return
		}
		key := strings.TrimPrefix(r.URL.Path, "/")
		var body string
		switch {
		case hasQueryKey(q, "uploads"):
			body = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
				`<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>ceiling</Bucket><Key>` +
				key + `</Key><UploadId>ceiling-upload-id</UploadId></InitiateMultipartUploadResult>`
		case hasQueryKey(q, "uploadId"):
			body = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
				`<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Location>/` + key +
				`</Location><Bucket>ceiling</Bucket><Key>` + key + `</Key><ETag>"0123456789abcdef-1"</ETag></CompleteMultipartUploadResult>`
		}
		h["Content-Type"] = hdrXML
		h["Content-Length"] = c.contentLength(int64(len(body)))
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(body))
	case http.MethodGet, http.MethodHead:
		var body []byte
		switch {
		case hasQueryKey(q, "session"):
			body = []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
				`<CreateSessionResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Credentials>` +
				`<SessionToken>ceiling-session-token</SessionToken><SecretAccessKey>ceilingsecretceilingsecretceilingsecret0</SecretAccessKey>` +
				`<AccessKeyId>ceilingsessionkey</AccessKeyId><Expiration>` +
				time.Now().Add(5*time.Minute).UTC().Format("2006-01-02T15:04:05Z") +
				`</Expiration></Credentials></CreateSessionResult>`)
		case hasQueryKey(q, "list-type"):
			body = c.listPage(r)
		}
		if body != nil {
			h["Content-Type"] = hdrXML
			h["Content-Length"] = c.contentLength(int64(len(body)))
			w.WriteHeader(http.StatusOK)
			if r.Method == http.MethodGet {
				w.Write(body)
			}
			return
		}
		n := c.DefaultSize
		if v := r.Header[SizeHeader]; len(v) == 1 {
			if s, err := strconv.ParseInt(v[0], 10, 64); err == nil && s >= 0 {
				n = s
			}
		}
		// An explicit Content-Type also spares net/http from sniffing the
		// first 512 bytes of every response.
		h["Content-Type"] = hdrOctet
		h["Content-Length"] = c.contentLength(n)
		h["Etag"] = hdrETag
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodHead {
			return
		}
		for n > 0 {
			m := min(n, int64(len(zeroBuffer)))
			if _, err := w.Write(zeroBuffer[:m]); err != nil {
				return
			}
			n -= m
		}
	case http.MethodDelete:
		w.WriteHeader(http.StatusNoContent)
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

// listPage returns a ListBucketResult of max-keys keys (default 1000) under
// the request's prefix, shaped like a real page, built once per query.
func (c *CeilingServer) listPage(r *http.Request) []byte {
	if v, ok := c.pages.Load(r.URL.RawQuery); ok {
		return v.([]byte)
	}
	q := r.URL.Query()
	prefix := q.Get("prefix")
	n := 1000
	if m, err := strconv.Atoi(q.Get("max-keys")); err == nil && m >= 0 && m < n {
		n = m
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>ceiling</Name><Prefix>`)
	b.WriteString(prefix)
	fmt.Fprintf(&b, `</Prefix><KeyCount>%d</KeyCount><MaxKeys>%d</MaxKeys><IsTruncated>false</IsTruncated>`, n, n)
	for i := range n {
		fmt.Fprintf(&b, `<Contents><Key>%s%08d</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>"0123456789abcdef0123456789abcdef"</ETag><Size>4096</Size><StorageClass>EXPRESS_ONEZONE</StorageClass></Contents>`, prefix, i)
	}
	b.WriteString(`</ListBucketResult>`)
	page := []byte(b.String())
	c.pages.Store(r.URL.RawQuery, page)
	return page
}

// hasQueryKey reports whether raw (a URL's raw query) has the parameter k,
// with or without a value, without parsing the query into a map.
func hasQueryKey(raw, k string) bool {
	for raw != "" {
		var p string
		p, raw, _ = strings.Cut(raw, "&")
		name, _, _ := strings.Cut(p, "=")
		if name == k {
			return true
		}
		if strings.IndexByte(name, '%') >= 0 {
			if u, err := url.QueryUnescape(name); err == nil && u == k {
				return true
			}
		}
	}
	return false
}
