package server

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/sigv4"
)

// chunkedHeader is the header block of a PUT whose body is aws-chunked
// (STREAMING-UNSIGNED-PAYLOAD-TRAILER) with Transfer-Encoding: chunked,
// declaring decoded bytes.
func chunkedHeader(t *testing.T, c *rawClient, path string, decoded int64) []byte {
	req, err := http.NewRequest("PUT", "http://"+c.addr+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Encoding", "aws-chunked")
	req.Header.Set("X-Amz-Decoded-Content-Length", strconv.FormatInt(decoded, 10))
	req.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
	c.signer.Sign(req, sigv4.StreamingUnsignedPayloadTrailer, time.Now())
	req.Header.Set("Transfer-Encoding", "chunked")
	var b bytes.Buffer
	fmt.Fprintf(&b, "PUT %s HTTP/1.1\r\nHost: %s\r\n", req.URL.RequestURI(), c.addr)
	req.Header.Write(&b)
	b.WriteString("\r\n")
	return b.Bytes()
}

// TestDiskReserveWithoutContentLength: an aws-chunked upload sent with
// Transfer-Encoding: chunked (no Content-Length, as the JS SDK streams)
// is charged its x-amz-decoded-content-length against the reserve while
// it runs, and a PUT that declares no length at all is answered 411
// MissingContentLength with nothing stored.
func TestDiskReserveWithoutContentLength(t *testing.T) {
	srv, c := startLimited(t, DefaultLimits())
	srv.disk.min.Store(0)
	srv.disk.measure()
	srv.disk.min.Store(srv.disk.free.Load() - 100<<20)
	defer srv.disk.min.Store(0)

	first := c.dial()
	first.Write(chunkedHeader(t, c, "/"+limitsBucket+"/chunked-80m", 80<<20))
	waitFor(t, func() bool { return srv.disk.pending.Load() == 80<<20 })
	second := c.dial()
	second.Write(c.rawHeader("PUT", "/"+limitsBucket+"/second-40m", 40<<20, nil))
	if resp, b := readResponse(t, second, 10*time.Second); resp.StatusCode != 503 || errorCode(b) != "ServiceUnavailable" {
		t.Errorf("40 MiB PUT while an 80 MiB chunked one holds the space: %d %s", resp.StatusCode, b)
	}
	first.Close()
	waitFor(t, func() bool { return srv.disk.pending.Load() == 0 })

	conn := c.dial()
	conn.Write(append(c.rawHeader("PUT", "/"+limitsBucket+"/no-length", -1, nil), "4\r\ndata\r\n0\r\n\r\n"...))
	if resp, b := readResponse(t, conn, 10*time.Second); resp.StatusCode != 411 || errorCode(b) != "MissingContentLength" {
		t.Errorf("PUT without a length: %d %s, want 411 MissingContentLength", resp.StatusCode, b)
	}
	if resp, b := c.do("GET", "/"+limitsBucket+"/no-length", nil, nil); resp.StatusCode != 404 {
		t.Errorf("GET after the refused PUT: %d %s", resp.StatusCode, b)
	}
	waitFor(t, func() bool { return srv.disk.pending.Load() == 0 })
}
