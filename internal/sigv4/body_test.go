package sigv4

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

type bodyCase struct {
	mode     string // payload hash mode
	data     []byte
	chunk    int
	trailers []Trailer
	teChunk  bool // send with Transfer-Encoding: chunked, no Content-Length
	declare  *int // x-amz-decoded-content-length override (nil: len(data))
	mutate   func([]byte) []byte
}

// buildBody signs a PUT carrying c's payload and returns the request as the
// server receives it, with the parsed and verified Auth and the key.
func buildBody(t testing.TB, c bodyCase) (*http.Request, *Auth, []byte) {
	t.Helper()
	s := newSigner()
	r := clientReq(t, "PUT", "http://h/bucket/key?x-id=PutObject", nil)
	streaming := strings.HasPrefix(c.mode, "STREAMING-")
	if streaming {
		r.Header.Set("Content-Encoding", "aws-chunked")
		n := len(c.data)
		if c.declare != nil {
			n = *c.declare
		}
		if n >= 0 {
			r.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(n))
		}
		var names []string
		for _, tr := range c.trailers {
			names = append(names, strings.ToLower(tr.Name))
		}
		if len(names) > 0 {
			r.Header.Set("X-Amz-Trailer", strings.Join(names, ","))
		}
	}
	hash := c.mode
	if hash == "sha256" {
		hash = HashPayload(c.data)
	}
	seed := s.Sign(r, hash, t0)
	body := c.data
	if streaming {
		body = s.ChunkedBody(c.mode, seed, t0, c.data, c.chunk, c.trailers)
	}
	if c.mutate != nil {
		body = c.mutate(bytes.Clone(body))
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	if len(body) == 0 && !c.teChunk {
		r.Body = http.NoBody
	}
	if c.teChunk {
		r.ContentLength = -1
	}
	sr := toWire(t, r)
	if c.teChunk && (len(sr.TransferEncoding) == 0 || sr.Header.Get("Content-Length") != "") {
		t.Fatalf("not sent chunked: %v", sr.TransferEncoding)
	}
	a := mustParse(t, sr)
	key := s.SigningKey(t0)
	if err := a.Verify(sr, key, t0); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return sr, a, key
}

// readBody reads p with a small, odd buffer size to exercise every boundary.
func readBody(p *Payload, bufSize int) ([]byte, error) {
	var out []byte
	buf := make([]byte, bufSize)
	for {
		n, err := p.Read(buf)
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

func decode(t testing.TB, c bodyCase, bufSize int) (*Payload, []byte, error) {
	t.Helper()
	r, a, key := buildBody(t, c)
	p, err := a.Body(r, key)
	if err != nil {
		return nil, nil, err
	}
	got, err := readBody(p, bufSize)
	return p, got, err
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

var crcTrailer = []Trailer{{"x-amz-checksum-crc32", "NhCmhg=="}}

func TestBodyModes(t *testing.T) {
	modes := []string{"sha256", UnsignedPayload, StreamingUnsignedPayloadTrailer, StreamingPayload, StreamingPayloadTrailer}
	for _, mode := range modes {
		for _, size := range []int{0, 1, 100, 65536 + 7} {
			for _, chunk := range []int{1000, 8192, 65536} {
				for _, te := range []bool{false, true} {
					var trailers []Trailer
					if strings.HasSuffix(mode, "TRAILER") {
						trailers = crcTrailer
						if size == 100 {
							trailers = append(trailers, Trailer{"X-Amz-Meta-Second", " v2 "})
						}
					}
					name := fmt.Sprintf("%s/%d/%d/te=%v", mode, size, chunk, te)
					c := bodyCase{mode: mode, data: pattern(size), chunk: chunk, trailers: trailers, teChunk: te}
					for _, bufSize := range []int{7, 32 << 10} {
						p, got, err := decode(t, c, bufSize)
						if err != nil {
							t.Fatalf("%s: %v", name, err)
						}
						if !bytes.Equal(got, c.data) {
							t.Fatalf("%s: decoded %d bytes, want %d", name, len(got), size)
						}
						wantLen := int64(size)
						if te && !strings.HasPrefix(mode, "STREAMING-") {
							wantLen = -1
						}
						if p.Length() != wantLen {
							t.Fatalf("%s: Length %d want %d", name, p.Length(), wantLen)
						}
						tr := p.Trailers()
						if len(tr) != len(trailers) || len(trailers) > 0 && tr.Get("X-Amz-Checksum-Crc32") != "NhCmhg==" {
							t.Fatalf("%s: trailers %v", name, tr)
						}
						if len(trailers) > 1 && tr.Get("X-Amz-Meta-Second") != "v2" {
							t.Fatalf("%s: trailers %v", name, tr)
						}
						// Reads after EOF keep returning EOF.
						if n, err := p.Read(make([]byte, 10)); n != 0 || err != io.EOF {
							t.Fatalf("%s: read after EOF: %d %v", name, n, err)
						}
					}
				}
			}
		}
	}
}

// rawBody decodes body for a hand-written aws-chunked request.
func rawBody(t testing.TB, mode string, body string, headers ...string) (*Payload, []byte, error) {
	t.Helper()
	r := &http.Request{Method: "PUT", URL: &url.URL{Path: "/b/k"}, Header: http.Header{},
		Body: io.NopCloser(strings.NewReader(body)), ContentLength: -1}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		r.Header.Add(k, strings.TrimSpace(v))
	}
	a := &Auth{PayloadHash: mode, Time: t0, Date: "20250607", Region: "us-west-2", Service: "s3express", Signature: strings.Repeat("0", 64)}
	p, err := a.Body(r, newSigner().SigningKey(t0))
	if err != nil {
		return nil, nil, err
	}
	got, err := readBody(p, 3)
	return p, got, err
}

func TestUnsignedTrailerWireForms(t *testing.T) {
	for name, body := range map[string]string{
		"go sdk":                    "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n",
		"no final blank line":       "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n",
		"blank line before trailer": "5\r\nhello\r\n0\r\n\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n",
		"chunk extension":           "5;foo=bar\r\nhello\r\n0;x=y\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n",
		"split chunks, upper hex":   "2\r\nhe\r\n3\r\nllo\r\n0\r\nx-amz-checksum-crc32: NhCmhg== \r\n\r\n",
		"lf only lines":             "5\nhello\r\n0\nx-amz-checksum-crc32:NhCmhg==\n\n",
		"ignored signature":         "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\nx-amz-trailer-signature:00\r\n\r\n",
	} {
		p, got, err := rawBody(t, StreamingUnsignedPayloadTrailer, body,
			"X-Amz-Decoded-Content-Length: 5", "X-Amz-Trailer: x-amz-checksum-crc32")
		if err != nil || string(got) != "hello" {
			t.Errorf("%s: %q %v", name, got, err)
			continue
		}
		if tr := p.Trailers(); len(tr) != 1 || tr.Get("x-amz-checksum-crc32") != "NhCmhg==" {
			t.Errorf("%s: trailers %v", name, tr)
		}
	}
	// Without x-amz-trailer and without trailers.
	if _, got, err := rawBody(t, StreamingUnsignedPayloadTrailer, "A\r\n0123456789\r\n0\r\n\r\n"); err != nil || string(got) != "0123456789" {
		t.Errorf("no trailers: %q %v", got, err)
	}
}

func TestBodyErrors(t *testing.T) {
	ten := 10
	eleven := 11
	nine := 9
	data := pattern(10)
	flip := func(at func(b []byte) int) func([]byte) []byte {
		return func(b []byte) []byte {
			i := at(b)
			if b[i] == '0' {
				b[i] = '1'
			} else {
				b[i] = '0'
			}
			return b
		}
	}
	sigAt := func(n int) func(b []byte) int { // n-th chunk-signature's first hex digit
		return func(b []byte) int {
			i := 0
			for range n + 1 {
				i += bytes.Index(b[i:], []byte("chunk-signature=")) + len("chunk-signature=")
			}
			return i
		}
	}
	tests := []struct {
		name string
		c    bodyCase
		code string
	}{
		{"sha256 mismatch", bodyCase{mode: "sha256", data: data, mutate: func(b []byte) []byte { b[3]++; return b }}, "XAmzContentSHA256Mismatch"},
		{"sha256 short body", bodyCase{mode: "sha256", data: data, teChunk: true, mutate: func(b []byte) []byte { return b[:5] }}, "XAmzContentSHA256Mismatch"},
		{"first chunk signature", bodyCase{mode: StreamingPayload, data: data, chunk: 4, mutate: flip(sigAt(0))}, "SignatureDoesNotMatch"},
		{"middle chunk signature", bodyCase{mode: StreamingPayload, data: data, chunk: 4, mutate: flip(sigAt(1))}, "SignatureDoesNotMatch"},
		{"final chunk signature", bodyCase{mode: StreamingPayload, data: data, chunk: 4, mutate: flip(sigAt(3))}, "SignatureDoesNotMatch"},
		{"chunk data", bodyCase{mode: StreamingPayload, data: data, chunk: 4, mutate: func(b []byte) []byte {
			b[bytes.Index(b, []byte("\r\n"))+3] ^= 1
			return b
		}}, "SignatureDoesNotMatch"},
		{"chunks swapped", bodyCase{mode: StreamingPayload, data: []byte("aaaabbbb"), chunk: 4, mutate: func(b []byte) []byte {
			i := bytes.Index(b, []byte("aaaa"))
			j := bytes.Index(b, []byte("bbbb"))
			copy(b[i:], "bbbb")
			copy(b[j:], "aaaa")
			return b
		}}, "SignatureDoesNotMatch"},
		{"chunk signature missing", bodyCase{mode: StreamingPayload, data: data, chunk: 4, mutate: func(b []byte) []byte {
			return bytes.Replace(b, []byte(";chunk-signature="), []byte(";chunk-signaturX="), 1)
		}}, "SignatureDoesNotMatch"},
		{"trailer signature", bodyCase{mode: StreamingPayloadTrailer, data: data, chunk: 4, trailers: crcTrailer,
			mutate: flip(func(b []byte) int { return bytes.Index(b, []byte("x-amz-trailer-signature:")) + 24 })}, "SignatureDoesNotMatch"},
		{"trailer value", bodyCase{mode: StreamingPayloadTrailer, data: data, chunk: 4, trailers: crcTrailer,
			mutate: func(b []byte) []byte { return bytes.Replace(b, []byte("NhCmhg=="), []byte("AAAAAA=="), 1) }}, "SignatureDoesNotMatch"},
		{"trailer signature missing", bodyCase{mode: StreamingPayloadTrailer, data: data, chunk: 4, trailers: crcTrailer,
			mutate: func(b []byte) []byte {
				i := bytes.Index(b, []byte("x-amz-trailer-signature:"))
				return append(b[:i], "\r\n"...)
			}}, "SignatureDoesNotMatch"},
		{"trailer injected", bodyCase{mode: StreamingPayloadTrailer, data: data, chunk: 4, trailers: crcTrailer,
			mutate: func(b []byte) []byte {
				return bytes.Replace(b, []byte("x-amz-trailer-signature:"), []byte("x-amz-meta-evil:1\r\nx-amz-trailer-signature:"), 1)
			}}, "SignatureDoesNotMatch"},
		{"trailer after signature", bodyCase{mode: StreamingPayloadTrailer, data: data, chunk: 4, trailers: crcTrailer,
			mutate: func(b []byte) []byte { return append(b[:len(b)-2], "x-amz-meta-evil:1\r\n\r\n"...) }}, "MalformedTrailerError"},
		{"declared trailer missing", bodyCase{mode: StreamingUnsignedPayloadTrailer, data: data, chunk: 4, trailers: crcTrailer,
			mutate: func(b []byte) []byte { return bytes.Replace(b, []byte("x-amz-checksum-crc32:NhCmhg==\r\n"), nil, 1) }}, "MalformedTrailerError"},
		{"bad trailer line", bodyCase{mode: StreamingUnsignedPayloadTrailer, data: data, chunk: 4, trailers: crcTrailer,
			mutate: func(b []byte) []byte {
				return bytes.Replace(b, []byte("x-amz-checksum-crc32:"), []byte("x-amz-checksum-crc32 "), 1)
			}}, "MalformedTrailerError"},
		{"decoded length larger", bodyCase{mode: StreamingPayload, data: data, chunk: 4, declare: &eleven}, "IncompleteBody"},
		{"decoded length smaller", bodyCase{mode: StreamingPayload, data: data, chunk: 4, declare: &nine}, "IncompleteBody"},
		{"decoded length smaller, unsigned", bodyCase{mode: StreamingUnsignedPayloadTrailer, data: data, chunk: 4, declare: &nine, teChunk: true}, "IncompleteBody"},
		{"decoded length exact", bodyCase{mode: StreamingPayload, data: data, chunk: 4, declare: &ten}, ""},
		{"data not followed by CRLF", bodyCase{mode: StreamingUnsignedPayloadTrailer, data: data, chunk: 4,
			mutate: func(b []byte) []byte { return bytes.Replace(b, []byte("\r\n4\r\n"), []byte("\r\r4\r\n"), 1) }}, "InvalidRequest"},
		{"data after the end", bodyCase{mode: StreamingPayload, data: data, chunk: 4,
			mutate: func(b []byte) []byte { return append(b, "junk"...) }}, "InvalidRequest"},
		{"data after the blank line", bodyCase{mode: StreamingUnsignedPayloadTrailer, data: data, chunk: 4, trailers: crcTrailer,
			mutate: func(b []byte) []byte { return append(b, "x"...) }}, "InvalidRequest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, got, err := decode(t, tc.c, 5)
			wantCode(t, err, tc.code)
			if err == nil {
				if !bytes.Equal(got, tc.c.data) {
					t.Fatalf("decoded %q", got)
				}
				return
			}
			if p != nil && p.Trailers() != nil {
				t.Fatal("trailers exposed after an error")
			}
			// The error is sticky.
			if _, err2 := p.Read(make([]byte, 4)); err2 != err {
				t.Fatalf("second read: %v, first %v", err2, err)
			}
		})
	}
}

func TestSHA256MismatchDetails(t *testing.T) {
	c := bodyCase{mode: "sha256", data: []byte("abc"), mutate: func(b []byte) []byte { return []byte("abd") }}
	_, _, err := decode(t, c, 100)
	e := asError(t, err)
	if e.Kind != PayloadMismatch || e.Value != HashPayload([]byte("abc")) || e.Computed != HashPayload([]byte("abd")) {
		t.Fatalf("%v %+v", e, e)
	}
}

// Cutting a body anywhere must give an error, except cutting only the final
// blank line (tolerated) -- never silently shorter data.
func TestTruncation(t *testing.T) {
	for _, mode := range []string{StreamingPayload, StreamingPayloadTrailer, StreamingUnsignedPayloadTrailer} {
		var trailers []Trailer
		if mode != StreamingPayload {
			trailers = crcTrailer
		}
		s := newSigner()
		data := pattern(20)
		seed := strings.Repeat("ab", 32)
		full := s.ChunkedBody(mode, seed, t0, data, 8, trailers)
		for cut := 0; cut <= len(full); cut++ {
			for _, declared := range []bool{false, true} {
				r := &http.Request{Method: "PUT", URL: &url.URL{Path: "/"}, Header: http.Header{},
					Body: io.NopCloser(bytes.NewReader(full[:cut])), ContentLength: -1}
				if declared {
					r.Header.Set("X-Amz-Decoded-Content-Length", "20")
				}
				if trailers != nil {
					r.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
				}
				a := &Auth{PayloadHash: mode, Time: t0, Date: "20250607", Region: "us-west-2", Service: "s3express", Signature: seed}
				p, err := a.Body(r, s.SigningKey(t0))
				if err != nil {
					t.Fatal(err)
				}
				got, err := readBody(p, 3)
				ok := cut == len(full) || cut == len(full)-2
				if ok && (err != nil || !bytes.Equal(got, data)) {
					t.Fatalf("%s cut %d/%d: %v", mode, cut, len(full), err)
				}
				if !ok {
					var e *Error
					if err == nil || !errors.As(err, &e) {
						t.Fatalf("%s cut %d/%d: err %v, got %d bytes", mode, cut, len(full), err, len(got))
					}
				}
			}
		}
	}
}

func TestFramingErrors(t *testing.T) {
	long := strings.Repeat("a", 5000)
	for _, tc := range []struct {
		name, mode, body, code string
	}{
		{"chunk too large", StreamingUnsignedPayloadTrailer, "140000001\r\nxx", "EntityTooLarge"},
		{"17 hex digits", StreamingUnsignedPayloadTrailer, "00000000000000001\r\nx\r\n0\r\n\r\n", "InvalidRequest"},
		{"max hex", StreamingUnsignedPayloadTrailer, "ffffffffffffffff\r\n", "EntityTooLarge"},
		{"non-hex size", StreamingUnsignedPayloadTrailer, "5g\r\nhello\r\n", "InvalidRequest"},
		{"empty size", StreamingUnsignedPayloadTrailer, ";x\r\nhello\r\n", "InvalidRequest"},
		{"negative size", StreamingUnsignedPayloadTrailer, "-5\r\nhello\r\n", "InvalidRequest"},
		{"line too long", StreamingUnsignedPayloadTrailer, "5;" + long + "\r\nhello\r\n0\r\n\r\n", "InvalidRequest"},
		{"trailer too long", StreamingUnsignedPayloadTrailer, "0\r\nx-amz-meta-a:" + long + "\r\n\r\n", "InvalidRequest"},
		{"too many trailers", StreamingUnsignedPayloadTrailer, "0\r\n" + strings.Repeat("x-amz-meta-a:1\r\n", 40) + "\r\n", "MalformedTrailerError"},
		{"trailer bytes", StreamingUnsignedPayloadTrailer, "0\r\n" + strings.Repeat("x-amz-meta-a:"+strings.Repeat("v", 1000)+"\r\n", 20) + "\r\n", "MalformedTrailerError"},
		{"empty body", StreamingUnsignedPayloadTrailer, "", "IncompleteBody"},
		{"cut in size line", StreamingUnsignedPayloadTrailer, "5", "IncompleteBody"},
		{"cut in data", StreamingUnsignedPayloadTrailer, "5\r\nhel", "IncompleteBody"},
		{"cut after data", StreamingUnsignedPayloadTrailer, "5\r\nhello", "IncompleteBody"},
		{"cut in trailer", StreamingUnsignedPayloadTrailer, "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:Nh", "IncompleteBody"},
		{"trailers in non-trailer mode", StreamingPayload, "0;chunk-signature=" + strings.Repeat("0", 64) + "\r\nx:y\r\n\r\n", "SignatureDoesNotMatch"},
		{"signed without signature", StreamingPayload, "5\r\nhello\r\n", "SignatureDoesNotMatch"},
		{"signed short signature", StreamingPayload, "5;chunk-signature=abc\r\nhello\r\n", "SignatureDoesNotMatch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := rawBody(t, tc.mode, tc.body)
			wantCode(t, err, tc.code)
		})
	}
}

func TestBodySetupErrors(t *testing.T) {
	r := &http.Request{Method: "PUT", URL: &url.URL{Path: "/"}, Header: http.Header{}}
	for _, ph := range []string{"nope", "STREAMING-UNSIGNED-PAYLOAD", strings.Repeat("x", 64)} {
		_, err := (&Auth{PayloadHash: ph}).Body(r, nil)
		wantCode(t, err, "InvalidArgument")
	}
	r.Header.Set("X-Amz-Decoded-Content-Length", "-1")
	_, err := (&Auth{PayloadHash: StreamingUnsignedPayloadTrailer}).Body(r, nil)
	wantCode(t, err, "InvalidArgument")
	r.Header.Del("X-Amz-Decoded-Content-Length")
	_, err = (&Auth{PayloadHash: StreamingPayload, Signature: "short"}).Body(r, nil)
	wantCode(t, err, "SignatureDoesNotMatch")
	// Nil body and empty payload hash (a non-S3 service): the empty payload.
	p, err := (&Auth{}).Body(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(p); err != nil || len(b) != 0 {
		t.Fatalf("%q %v", b, err)
	}
}

type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }

func TestBodyReadErrors(t *testing.T) {
	boom := errors.New("boom")
	for _, ph := range []string{UnsignedPayload, EmptySHA256, StreamingUnsignedPayloadTrailer} {
		for _, cause := range []error{boom, io.ErrUnexpectedEOF} {
			r := &http.Request{Method: "PUT", URL: &url.URL{Path: "/"}, Header: http.Header{}, Body: io.NopCloser(failingReader{cause})}
			p, err := (&Auth{PayloadHash: ph}).Body(r, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = io.ReadAll(p)
			wantCode(t, err, "IncompleteBody")
			if cause == boom && !errors.Is(err, boom) {
				t.Fatalf("%s: cause lost: %v", ph, err)
			}
		}
	}
}

func TestTrailersBeforeEOF(t *testing.T) {
	r, a, key := buildBody(t, bodyCase{mode: StreamingUnsignedPayloadTrailer, data: pattern(100), chunk: 10, trailers: crcTrailer})
	p, err := a.Body(r, key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(p, make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	if p.Trailers() != nil {
		t.Fatal("trailers before EOF")
	}
	if _, err := io.ReadAll(p); err != nil {
		t.Fatal(err)
	}
	if p.Trailers() == nil {
		t.Fatal("no trailers after EOF")
	}
}

func TestContentEncoding(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "aws-chunked": "", "aws-chunked,gzip": "gzip", "gzip, aws-chunked": "gzip", "gzip,br": "gzip,br", "AWS-CHUNKED": "",
	} {
		h := http.Header{}
		if in != "" {
			h.Set("Content-Encoding", in)
		}
		if got := ContentEncoding(h); got != want {
			t.Errorf("%q: %q want %q", in, got, want)
		}
	}
}
