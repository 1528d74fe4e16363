package sigv4

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

var fuzzKey = SigningKey("SECRET", "20250607", "us-west-2", "s3express")

func isS3Error(err error) bool {
	var e *Error
	return errors.As(err, &e)
}

// FuzzParse feeds arbitrary Authorization headers, query strings, dates and
// payload hashes to Parse (and, when it accepts them, to Verify and Body).
// Seeds: testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add(goodHeader, "x-id=GetObject", "20250102T030405Z", UnsignedPayload)
	f.Add("", presignQuery(nil), "", "")
	f.Fuzz(func(t *testing.T, auth, query, date, sha string) {
		r := &http.Request{Method: "PUT", URL: &url.URL{Path: "/b/k", RawQuery: query}, Host: "h",
			Header: http.Header{}, RequestURI: "/b/k?" + query, Body: io.NopCloser(strings.NewReader("0\r\n\r\n"))}
		if auth != "" {
			r.Header["Authorization"] = []string{auth}
		}
		if date != "" {
			r.Header["X-Amz-Date"] = []string{date}
		}
		if sha != "" {
			r.Header["X-Amz-Content-Sha256"] = []string{sha}
		}
		a, err := Parse(r)
		if err != nil {
			if a != nil {
				t.Fatal("Auth with an error")
			}
			if err != ErrNoAuth && !isS3Error(err) {
				t.Fatalf("not an S3 error: %v", err)
			}
			return
		}
		if a.AccessKeyID == "" || len(a.Date) != 8 || a.Region == "" || a.Service == "" || a.Signature == "" ||
			len(a.SignedHeaders) == 0 || a.Time.IsZero() || !sameDay(a.Date, a.Time) {
			t.Fatalf("accepted incomplete auth %+v", a)
		}
		if a.Presigned && (a.Expires <= 0 || a.Expires > MaxExpires) {
			t.Fatalf("expires %v", a.Expires)
		}
		if err := a.Verify(r, fuzzKey, a.Time); err == nil || !isS3Error(err) {
			// A random signature cannot verify.
			t.Fatalf("Verify: %v", err)
		}
		p, err := a.Body(r, fuzzKey)
		if err != nil {
			if !isS3Error(err) {
				t.Fatalf("Body: %v", err)
			}
			return
		}
		if _, err := io.Copy(io.Discard, p); err != nil && !isS3Error(err) {
			t.Fatalf("read: %v", err)
		}
	})
}

// FuzzChunkedDecoder feeds arbitrary bodies to the aws-chunked decoder in
// each streaming mode (mode%3: unsigned+trailer, signed, signed+trailer).
// Seeds: testdata/fuzz/FuzzChunkedDecoder.
func FuzzChunkedDecoder(f *testing.F) {
	f.Add(byte(0), "5", []byte("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n"))
	f.Fuzz(func(t *testing.T, mode byte, declared string, body []byte) {
		modes := []string{StreamingUnsignedPayloadTrailer, StreamingPayload, StreamingPayloadTrailer}
		ph := modes[int(mode)%len(modes)]
		r := &http.Request{Method: "PUT", URL: &url.URL{Path: "/"}, Header: http.Header{},
			Body: io.NopCloser(bytes.NewReader(body)), ContentLength: -1}
		if declared != "" {
			r.Header.Set("X-Amz-Decoded-Content-Length", declared)
		}
		if mode&0x80 != 0 {
			r.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
		}
		a := &Auth{PayloadHash: ph, Time: time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC), Date: "20250607",
			Region: "us-west-2", Service: "s3express", Signature: fuzzSeed}
		p, err := a.Body(r, fuzzKey)
		if err != nil {
			if !isS3Error(err) {
				t.Fatalf("Body: %v", err)
			}
			return
		}
		var out []byte
		buf := make([]byte, 1+int(mode)%61)
		for {
			n, err := p.Read(buf)
			out = append(out, buf[:n]...)
			if len(out) > len(body) {
				t.Fatalf("decoded %d bytes from %d", len(out), len(body))
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				if !isS3Error(err) {
					t.Fatalf("read: %v", err)
				}
				if p.Trailers() != nil {
					t.Fatal("trailers after an error")
				}
				return
			}
		}
		if p.Length() >= 0 && int64(len(out)) != p.Length() {
			t.Fatalf("decoded %d, declared %d", len(out), p.Length())
		}
		// Accepted bodies re-encode to something that decodes the same.
		if ph == StreamingUnsignedPayloadTrailer {
			var trs []Trailer
			for k, v := range p.Trailers() {
				trs = append(trs, Trailer{k, v[0]})
			}
			again := (&Signer{}).ChunkedBody(ph, "", a.Time, out, 7, trs)
			r2 := &http.Request{Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(again)), ContentLength: -1}
			p2, err := a.Body(r2, fuzzKey)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(p2)
			if err != nil || !bytes.Equal(got, out) {
				t.Fatalf("re-decode: %v", err)
			}
		}
	})
}

const fuzzSeed = "5e0d1e6fd3bdf8c0d0f4e8b46e54b1b0c6f3bb29c1e1f0ad1bc14a2b2d2e0e8f"

// A huge declared chunk does not make the decoder allocate.
func TestHugeChunkNoAlloc(t *testing.T) {
	body := []byte("13fffffff;chunk-signature=" + strings.Repeat("0", 64) + "\r\n" + strings.Repeat("x", 100))
	a := &Auth{PayloadHash: StreamingPayload, Time: t0, Date: "20250607", Region: "us-west-2", Service: "s3express", Signature: fuzzSeed}
	buf := make([]byte, 64)
	rd := bytes.NewReader(body)
	r := &http.Request{Header: http.Header{}, Body: io.NopCloser(rd), ContentLength: -1}
	allocs := testing.AllocsPerRun(20, func() {
		rd.Reset(body)
		p, err := a.Body(r, fuzzKey)
		if err != nil {
			t.Fatal(err)
		}
		for {
			if _, err := p.Read(buf); err != nil {
				wantCode(t, err, "IncompleteBody")
				return
			}
		}
	})
	if allocs > 10 {
		t.Fatalf("%v allocations", allocs)
	}
}
