package sigv4

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"testing"
)

// sdkPutObject is a PutObject as the Go SDK sends it to a directory bucket
// over http (session auth, CRC32 header, SHA-256 payload): 8 signed headers.
func sdkPutObject(b testing.TB, body []byte) *http.Request {
	s := newSigner()
	s.AccessKeyID, s.SecretAccessKey = "SESSIONAKID", secrets["SESSIONAKID"]
	s.SessionToken = "AQoDYXdzEJr1K2EXAMPLEsessiontokenAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="
	r := clientReq(b, "PUT", "http://127.0.0.1:9000/mybucket--usw2-az1--x-s3/dir/sub/object-000123.bin?x-id=PutObject", body)
	r.Header.Set("Content-Length", strconv.Itoa(len(body)))
	r.Header.Set("Content-Type", "application/octet-stream")
	r.Header.Set("X-Amz-Checksum-Crc32", "NhCmhg==")
	r.Header.Set("X-Amz-Sdk-Checksum-Algorithm", "CRC32")
	r.Header.Set("User-Agent", "aws-sdk-go-v2/1.48.0 ua/2.1 os/linux lang/go#1.26.8 md/GOOS#linux md/GOARCH#amd64 api/s3#1.114.10 m/E,Z,g")
	r.Header.Set("Amz-Sdk-Invocation-Id", "3c5e8a3e-7d1c-4f57-9a9e-0f0c2d1e2f3a")
	s.Sign(r, HashPayload(body), t0)
	sr := toWire(b, r)
	if n := len(mustParse(b, sr).SignedHeaders); n != 9 {
		b.Fatalf("%d signed headers", n)
	}
	return sr
}

func BenchmarkVerify(b *testing.B) {
	r := sdkPutObject(b, []byte("hello"))
	a := mustParse(b, r)
	key := SigningKey(secrets["SESSIONAKID"], a.Date, a.Region, a.Service)
	if err := a.Verify(r, key, t0); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := a.Verify(r, key, t0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseVerify(b *testing.B) {
	r := sdkPutObject(b, []byte("hello"))
	key := SigningKey(secrets["SESSIONAKID"], "20250607", "us-west-2", "s3express")
	b.ReportAllocs()
	for b.Loop() {
		a, err := Parse(r)
		if err != nil {
			b.Fatal(err)
		}
		if err := a.Verify(r, key, t0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPresignedVerify(b *testing.B) {
	s := newSigner()
	s.SessionToken = "TOKEN"
	c := clientReq(b, "GET", "http://127.0.0.1:9000/mybucket--usw2-az1--x-s3/dir/object.bin?x-id=GetObject", nil)
	s.Presign(c, 300e9, t0)
	r := toWire(b, c)
	key := s.SigningKey(t0)
	b.ReportAllocs()
	for b.Loop() {
		a, err := Parse(r)
		if err != nil {
			b.Fatal(err)
		}
		if err := a.Verify(r, key, t0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSigningKey(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		SigningKey("SECRET", "20250607", "us-west-2", "s3express")
	}
}

func benchBody(b *testing.B, mode string) {
	data := bytes.Repeat([]byte("x"), 1<<20)
	c := bodyCase{mode: mode, data: data, chunk: 64 << 10}
	if mode == StreamingUnsignedPayloadTrailer || mode == StreamingPayloadTrailer {
		c.trailers = crcTrailer
	}
	r, a, key := buildBody(b, c)
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		b.Fatal(err)
	}
	rd := bytes.NewReader(raw)
	r.Body = io.NopCloser(rd)
	buf := make([]byte, 32<<10)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(raw)
		p, err := a.Body(r, key)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{p}, buf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBodySHA256(b *testing.B)          { benchBody(b, "sha256") }
func BenchmarkBodyUnsignedTrailer(b *testing.B) { benchBody(b, StreamingUnsignedPayloadTrailer) }
func BenchmarkBodySignedChunks(b *testing.B)    { benchBody(b, StreamingPayload) }

func BenchmarkParse(b *testing.B) {
	r := sdkPutObject(b, []byte("hello"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(r); err != nil {
			b.Fatal(err)
		}
	}
}
