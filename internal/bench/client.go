package bench

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/zonal-dev/zonal/internal/sigv4"
)

// newTransport returns the one http.Transport all workers share. Every
// worker runs one request at a time, so with MaxIdleConnsPerHost above the
// worker count each keeps its own keep-alive connection for the whole run.
func newTransport(c *Config, conns int) *http.Transport {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	dial := d.DialContext
	if c.ConnectTo != "" {
		to := c.ConnectTo
		dial = func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, to)
		}
	}
	// HTTP/1.1 only, as S3 clients speak it (and no h2c on plain http).
	var protos http.Protocols
	protos.SetHTTP1(true)
	return &http.Transport{
		DialContext:           dial,
		MaxIdleConns:          conns,
		MaxIdleConnsPerHost:   conns,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: c.Timeout,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true, // no Accept-Encoding: gzip, bodies arrive as sent
		Protocols:             &protos,
		TLSClientConfig:       &tls.Config{InsecureSkipVerify: c.InsecureTLS},
		// 64 KiB buffers: the headers and body of a small PUT leave in one
		// write, and large bodies move in few system calls.
		WriteBufferSize: 64 << 10,
		ReadBufferSize:  64 << 10,
	}
}

// newBody returns a request body for payload b. It must be (a NopCloser
// around) a *bytes.Reader: net/http recognises it as in-memory and writes
// the headers and the body into its buffer together, where any other
// reader type makes it flush the headers first, costing a system call and
// a TCP segment per request (net/http isKnownInMemoryReader). It is
// allocated per request, never reused: the transport may still hold the
// previous one when a response arrives before the body was fully written.
// It never copies the payload.
func newBody(b []byte) io.ReadCloser { return io.NopCloser(bytes.NewReader(b)) }

// request is one S3 request of an operation.
type request struct {
	method  string
	path    string // escaped key path ("/key"), or "" for the bucket itself
	query   string // raw query, already escaped
	body    []byte
	hash    string        // x-amz-content-sha256; "" = empty body
	hdr     [][2]string   // extra headers, names in canonical form
	keep    bool          // keep the response body in client.resp
	expect  int64         // expected response body length, -1 = any
	signer  *sigv4.Signer // nil = the run's signer (session or long-term)
	control bool          // send to the control endpoint (CreateBucket)
}

// outcome is what came back.
type outcome struct {
	status int
	n      int64  // response body bytes
	code   string // "" on success; S3 error code or error class otherwise
	header http.Header
}

// client makes requests for one worker (or for setup code); it is not safe
// for concurrent use. Its read buffer is reused for every response.
type client struct {
	g    *gen
	t    *target // where its requests go
	buf  []byte  // scratch for discarded response bodies
	resp []byte  // the last kept response body
}

// newClient returns a client that sends to the first endpoint.
func (g *gen) newClient() *client { return &client{g: g, t: &g.ts[0], buf: make([]byte, 64<<10)} }

func (cl *client) do(rq *request) outcome {
	g, t := cl.g, cl.t
	host, path := t.host, t.pathPrefix+rq.path
	if rq.control {
		host, path = t.controlHost, t.controlPath
	}
	if path == "" {
		path = "/"
	}
	// Keys and prefixes are checked to hold only unreserved characters
	// and '/', so URL.Path is also its escaped form: EscapedPath (what
	// net/http sends and what Signer signs) is Path, no RawPath needed.
	u := &url.URL{Scheme: t.scheme, Host: host, Path: path, RawQuery: rq.query}
	req := &http.Request{
		Method:     rq.method,
		URL:        u,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     make(http.Header, 8+len(rq.hdr)),
		Host:       host,
	}
	if len(rq.body) > 0 {
		body := rq.body
		req.Body = newBody(body)
		// Lets the transport resend the body when it retries a request
		// whose keep-alive connection the server had just closed.
		req.GetBody = func() (io.ReadCloser, error) { return newBody(body), nil }
		req.ContentLength = int64(len(rq.body))
	} else if rq.method == http.MethodPut || rq.method == http.MethodPost {
		req.Body = http.NoBody
	}
	for _, h := range rq.hdr {
		req.Header[h[0]] = []string{h[1]}
	}
	s := rq.signer
	if s == nil {
		s = g.signer()
	}
	s.Sign(req, rq.hash, time.Now())
	if g.ceiling && rq.method == http.MethodGet && rq.expect >= 0 {
		req.Header[SizeHeader] = g.sizeHeader
	}
	resp, err := g.tr.RoundTrip(req)
	if err != nil {
		return outcome{code: TransportErrorClass(err)}
	}
	o := outcome{status: resp.StatusCode, header: resp.Header}
	failed := resp.StatusCode >= 300
	if rq.keep || failed {
		cl.resp = cl.resp[:0]
		for {
			if len(cl.resp) == cap(cl.resp) {
				cl.resp = append(cl.resp, 0)[:len(cl.resp)]
			}
			m, rerr := resp.Body.Read(cl.resp[len(cl.resp):cap(cl.resp)])
			cl.resp = cl.resp[:len(cl.resp)+m]
			if rerr != nil {
				err = rerr
				break
			}
		}
		o.n = int64(len(cl.resp))
	} else {
		for {
			m, rerr := resp.Body.Read(cl.buf)
			o.n += int64(m)
			if rerr != nil {
				err = rerr
				break
			}
		}
	}
	resp.Body.Close()
	if err != io.EOF {
		o.code = TransportErrorClass(err)
		return o
	}
	if failed {
		if o.code = ErrorCode(cl.resp); o.code == "" {
			o.code = statusCode(resp.StatusCode)
		}
		return o
	}
	if rq.expect >= 0 && o.n != rq.expect {
		o.code = ErrClassShortBody
	}
	return o
}
