package sigv4

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Credentials of AWS's published examples.
const (
	suiteAKID   = "AKIDEXAMPLE"
	suiteSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" // SigV4 test suite
	s3AKID      = "AKIAIOSFODNN7EXAMPLE"
	s3Secret    = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" // S3 SigV4 examples
)

// readRequest parses a raw HTTP/1.1 request the way the server does, so
// RequestURI, Host and the header map are what a handler sees. Header lines
// are separated by "\n" in head; body is appended as is.
func readRequest(t testing.TB, head string, body []byte) *http.Request {
	t.Helper()
	raw := strings.ReplaceAll(strings.TrimLeft(head, "\n"), "\n", "\r\n") + "\r\n"
	r, err := http.ReadRequest(bufio.NewReader(io.MultiReader(strings.NewReader(raw), bytes.NewReader(body))))
	if err != nil {
		t.Fatalf("ReadRequest: %v", err)
	}
	return r
}

func mustParse(t testing.TB, r *http.Request) *Auth {
	t.Helper()
	a, err := Parse(r)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return a
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("unexpected error %v", err)
		}
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want a sigv4 error for S3's %s", err, err, code)
	}
	if !slices.Contains(kindsOf[code], e.Kind) {
		t.Fatalf("error %v, want one of the kinds S3 answers with %s", err, code)
	}
}

// kindsOf lists the kinds the S3 front end answers with each code (its
// TestSigV4ErrorsOnTheWire pins the whole answer), so these tests keep
// naming faults by the code AWS documents.
var kindsOf = map[string][]Kind{
	"AuthorizationHeaderMalformed":      {MalformedHeader},
	"AuthorizationQueryParametersError": {MalformedQuery},
	"AccessDenied":                      {MissingDate, Expired, UnsignedHeader},
	"InvalidRequest":                    {UnsupportedMechanism, MissingPayloadHash, MalformedBody},
	"InvalidArgument":                   {MultipleMechanisms, UnknownScheme, InvalidPayloadHash, InvalidDecodedLength},
	"SignatureDoesNotMatch":             {BadSignature},
	"RequestTimeTooSkewed":              {Skewed},
	"XAmzContentSHA256Mismatch":         {PayloadMismatch},
	"IncompleteBody":                    {IncompleteBody},
	"EntityTooLarge":                    {ChunkTooLarge},
	"MalformedTrailerError":             {MalformedTrailer},
}

// asError returns err's *Error, failing the test when it has none.
func asError(t testing.TB, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a sigv4 error", err, err)
	}
	return e
}

func vectorTime(t testing.TB, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(amzDateLayout, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// The generic SigV4 test suite (aws-sig-v4-test-suite), service "service".
func TestSuiteVectors(t *testing.T) {
	const auth = "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=%s, Signature=%s\n"
	tests := []struct {
		name, requestLine, headers, signed, sig string
	}{
		{"get-vanilla", "GET / HTTP/1.1", "", "host;x-amz-date",
			"5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
		{"get-vanilla-query-order-key-case", "GET /?Param2=value2&Param1=value1 HTTP/1.1", "", "host;x-amz-date",
			"b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
		{"get-vanilla-empty-query-key", "GET /?Param1=value1 HTTP/1.1", "", "host;x-amz-date",
			"a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},
		{"get-vanilla-query-unreserved",
			"GET /?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz HTTP/1.1",
			"", "host;x-amz-date",
			"9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
		{"get-vanilla-utf8-query", "GET /?%E1%88%B4=bar HTTP/1.1", "", "host;x-amz-date",
			"2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
		{"post-vanilla", "POST / HTTP/1.1", "", "host;x-amz-date",
			"5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
		{"get-header-value-trim", "GET / HTTP/1.1", "My-Header1: value1\nMy-Header2: \"a   b   c\"\n",
			"host;my-header1;my-header2;x-amz-date",
			"acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
	}
	key := SigningKey(suiteSecret, "20150830", "us-east-1", "service")
	now := vectorTime(t, "20150830T123600Z")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			head := tc.requestLine + "\nHost: example.amazonaws.com\nX-Amz-Date: 20150830T123600Z\n" + tc.headers +
				strings.Replace(strings.Replace(auth, "%s", tc.signed, 1), "%s", tc.sig, 1)
			r := readRequest(t, head, nil)
			a := mustParse(t, r)
			if a.PayloadHash != "" {
				t.Fatalf("PayloadHash %q for a non-S3 service without the header", a.PayloadHash)
			}
			if err := a.Verify(r, key, now); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			// One changed byte in the signature must fail.
			a.Signature = a.Signature[:63] + string("01"[(a.Signature[63]-'0'+1)%2])
			wantCode(t, a.Verify(r, key, now), "SignatureDoesNotMatch")
		})
	}
}

// The examples of "Signature Calculations for the Authorization Header:
// Transferring Payload in a Single Chunk" and "Query String Authentication"
// (S3 API reference).
func TestS3Vectors(t *testing.T) {
	key := SigningKey(s3Secret, "20130524", "us-east-1", "s3")
	now := vectorTime(t, "20130524T000000Z")
	tests := []struct {
		name, head, body string
		now              time.Time
	}{
		{"GET object", `
GET /test.txt HTTP/1.1
Host: examplebucket.s3.amazonaws.com
Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41
Range: bytes=0-9
x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
x-amz-date: 20130524T000000Z
`, "", now},
		// The request line carries '$' unescaped; the canonical URI is
		// /test%24file.text.
		{"PUT object", `
PUT /test$file.text HTTP/1.1
Host: examplebucket.s3.amazonaws.com
Date: Fri, 24 May 2013 00:00:00 GMT
Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd
x-amz-date: 20130524T000000Z
x-amz-storage-class: REDUCED_REDUNDANCY
x-amz-content-sha256: 44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072
Content-Length: 21
`, "Welcome to Amazon S3.", now},
		{"PUT object, escaped path", `
PUT /test%24file.text HTTP/1.1
Host: examplebucket.s3.amazonaws.com
Date: Fri, 24 May 2013 00:00:00 GMT
Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd
x-amz-date: 20130524T000000Z
x-amz-storage-class: REDUCED_REDUNDANCY
x-amz-content-sha256: 44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072
Content-Length: 21
`, "Welcome to Amazon S3.", now},
		{"GET bucket lifecycle", `
GET /?lifecycle HTTP/1.1
Host: examplebucket.s3.amazonaws.com
Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543
x-amz-date: 20130524T000000Z
x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
`, "", now},
		{"GET bucket (list objects)", `
GET /?max-keys=2&prefix=J HTTP/1.1
Host: examplebucket.s3.amazonaws.com
Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7
x-amz-date: 20130524T000000Z
x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
`, "", now},
		{"presigned GET", `
GET /test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404 HTTP/1.1
Host: examplebucket.s3.amazonaws.com
`, "", now.Add(23 * time.Hour)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := readRequest(t, tc.head, []byte(tc.body))
			a := mustParse(t, r)
			if a.AccessKeyID != s3AKID || a.Region != "us-east-1" || a.Service != "s3" || a.Date != "20130524" {
				t.Fatalf("parsed %+v", a)
			}
			if err := a.Verify(r, key, tc.now); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			p, err := a.Body(r, key)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(p)
			if err != nil || string(got) != tc.body {
				t.Fatalf("body %q, %v", got, err)
			}
			// Any other key fails.
			other := SigningKey(s3Secret, "20130524", "us-east-2", "s3")
			wantCode(t, a.Verify(r, other, tc.now), "SignatureDoesNotMatch")
		})
	}
}

// "Signature Calculations for the Authorization Header: Transferring Payload
// in Multiple Chunks" (S3 API reference): the seed signature of the request
// and the three chunk signatures.
func TestS3ChunkedVector(t *testing.T) {
	const seed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
	body := chunkedExampleBody(t, []string{
		"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
		"0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
		"b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
	}, "\r\n")
	if len(body) != 66824 {
		t.Fatalf("framed length %d", len(body))
	}
	r := readRequest(t, `
PUT /examplebucket/chunkObject.txt HTTP/1.1
Host: s3.amazonaws.com
x-amz-date: 20130524T000000Z
x-amz-storage-class: REDUCED_REDUNDANCY
Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=`+seed+`
x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD
Content-Encoding: aws-chunked
x-amz-decoded-content-length: 66560
Content-Length: 66824
`, body)
	key := SigningKey(s3Secret, "20130524", "us-east-1", "s3")
	a := mustParse(t, r)
	if err := a.Verify(r, key, vectorTime(t, "20130524T000000Z")); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	p, err := a.Body(r, key)
	if err != nil {
		t.Fatal(err)
	}
	if p.Length() != 66560 {
		t.Fatalf("Length %d", p.Length())
	}
	got, err := io.ReadAll(p)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if !bytes.Equal(got, bytes.Repeat([]byte{'a'}, 66560)) {
		t.Fatalf("decoded %d bytes", len(got))
	}
	if ContentEncoding(r.Header) != "" {
		t.Fatalf("ContentEncoding %q", ContentEncoding(r.Header))
	}
}

// chunkedExampleBody frames 65536 + 1024 'a' bytes with the given chunk
// signatures, then tail after the final chunk line.
func chunkedExampleBody(t testing.TB, sigs []string, tail string) []byte {
	var b bytes.Buffer
	b.WriteString("10000;chunk-signature=" + sigs[0] + "\r\n")
	b.Write(bytes.Repeat([]byte{'a'}, 65536))
	b.WriteString("\r\n400;chunk-signature=" + sigs[1] + "\r\n")
	b.Write(bytes.Repeat([]byte{'a'}, 1024))
	b.WriteString("\r\n0;chunk-signature=" + sigs[2] + "\r\n" + tail)
	return b.Bytes()
}

// "Signature calculations for trailing headers (chunked uploads)": chunk
// signatures chained from the seed and the trailer signature.
func TestS3ChunkedTrailerVector(t *testing.T) {
	const seed = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
	body := chunkedExampleBody(t, []string{
		"b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
		"1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
		"2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
	}, "x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n")
	r := readRequest(t, `
PUT /examplebucket/chunkObject.txt HTTP/1.1
Host: s3.amazonaws.com
x-amz-date: 20130524T000000Z
x-amz-storage-class: REDUCED_REDUNDANCY
x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER
Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer,Signature=`+seed+`
Content-Encoding: aws-chunked
x-amz-decoded-content-length: 66560
x-amz-trailer: x-amz-checksum-crc32c
Content-Length: `+strconv.Itoa(len(body))+`
`, body)
	key := SigningKey(s3Secret, "20130524", "us-east-1", "s3")
	a := mustParse(t, r)
	if err := a.Verify(r, key, vectorTime(t, "20130524T000000Z")); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	p, err := a.Body(r, key)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(p)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if len(got) != 66560 {
		t.Fatalf("decoded %d bytes", len(got))
	}
	if v := p.Trailers().Get("X-Amz-Checksum-Crc32c"); v != "sOO8/Q==" {
		t.Fatalf("trailers %v", p.Trailers())
	}
	if p.Trailers().Get("X-Amz-Trailer-Signature") != "" {
		t.Fatal("trailer signature exposed as a trailer")
	}
}
