package checksum

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"testing"
)

// Writing in random pieces gives the same digests as each algorithm's own
// hash over the whole body, for every algorithm at once.
func TestHasherAllAlgorithmsOnePass(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	data := randomBytes(r, 100003)
	h := NewHasher(Algorithms()...)
	for rest := data; len(rest) > 0; {
		n := min(1+r.IntN(9000), len(rest))
		if k, err := h.Write(rest[:n]); k != n || err != nil {
			t.Fatalf("Write = %d, %v", k, err)
		}
		rest = rest[n:]
	}
	if h.Len() != int64(len(data)) {
		t.Errorf("Len = %d", h.Len())
	}
	for _, a := range Algorithms() {
		if got, want := h.Digest(a), a.Sum(data); !bytes.Equal(got, want) {
			t.Errorf("%s: %x, want %x", a, got, want)
		}
		// Digest must not disturb the state: ask twice.
		if got, want := h.Sum(a), a.Encode(a.Sum(data)); got != want {
			t.Errorf("%s: second Sum %q, want %q", a, got, want)
		}
	}
	h.Reset()
	for _, a := range Algorithms() {
		if got, want := h.Digest(a), a.Sum(nil); !bytes.Equal(got, want) || h.Len() != 0 {
			t.Errorf("%s after Reset: %x, want %x", a, got, want)
		}
	}
}

func TestHasherSubset(t *testing.T) {
	h := NewHasher(CRC32, CRC32, SHA256, Algorithm("MD5"))
	if got := h.Algorithms(); len(got) != 2 || got[0] != CRC32 || got[1] != SHA256 {
		t.Errorf("Algorithms = %v", got)
	}
	io.WriteString(h, "hello")
	if h.Sum(CRC32) != "NhCmhg==" {
		t.Errorf("CRC32 = %q", h.Sum(CRC32))
	}
	if h.Has(CRC32C) || h.Digest(CRC32C) != nil || h.Sum(SHA1) != "" || h.Has("MD5") {
		t.Error("Hasher reports an algorithm it was not asked for")
	}
	if len(NewHasher().Algorithms()) != 0 {
		t.Error("empty hasher computes something")
	}
}

func hashOf(a Algorithm, body string) *Hasher {
	h := NewHasher(a)
	io.WriteString(h, body)
	return h
}

func TestVerifyHeader(t *testing.T) {
	for _, a := range Algorithms() {
		good := a.Encode(a.Sum([]byte("the body")))
		bad := a.Encode(a.Sum([]byte("not the body")))
		h := NewHasher(Algorithms()...)
		io.WriteString(h, "the body")
		checkErr(t, string(a)+" match", h.Verify(&Expect{Algorithm: a, Value: good}, nil), "", "")
		checkErr(t, string(a)+" mismatch", h.Verify(&Expect{Algorithm: a, Value: bad}, nil),
			"BadDigest", "The "+string(a)+" you specified did not match the calculated checksum.")
		checkErr(t, string(a)+" malformed", h.Verify(&Expect{Algorithm: a, Value: "x"}, nil),
			"InvalidRequest", "Value for "+a.Header()+" header is invalid.")
	}
	h := hashOf(CRC32, "hello")
	checkErr(t, "nil expect", h.Verify(nil, nil), "", "")
	checkErr(t, "not computed", h.Verify(&Expect{Algorithm: SHA1, Value: sha1ABC}, nil), "InternalError", "")

	// End to end: what FromRequest accepts, Verify checks.
	e, err := FromRequest(hdr("x-amz-checksum-crc32", "NhCmhg==", "x-amz-sdk-checksum-algorithm", "CRC32"))
	if err != nil {
		t.Fatal(err)
	}
	checkErr(t, "hello", hashOf(CRC32, "hello").Verify(e, nil), "", "")
	checkErr(t, "hello\\n", hashOf(CRC32, "hello\n").Verify(e, nil), "BadDigest", "The CRC32 you specified did not match the calculated checksum.")
}

func TestVerifyTrailer(t *testing.T) {
	e := &Expect{Algorithm: CRC32, Trailer: true}
	h := hashOf(CRC32, "hello")
	tests := []struct {
		name     string
		trailers http.Header
		code     string
		msg      string
	}{
		{"present", http.Header{"X-Amz-Checksum-Crc32": {"NhCmhg=="}}, "", ""},
		{"lower-case key", http.Header{"x-amz-checksum-crc32": {"NhCmhg=="}}, "", ""},
		{"value with spaces", http.Header{"X-Amz-Checksum-Crc32": {" NhCmhg== "}}, "", ""},
		{"with trailer signature", http.Header{"X-Amz-Checksum-Crc32": {"NhCmhg=="}, "X-Amz-Trailer-Signature": {"abc"}}, "", ""},
		{"bad then good: last wins", http.Header{"X-Amz-Checksum-Crc32": {"NjowIA==", "NhCmhg=="}}, "", ""},
		{"good then bad: last wins", http.Header{"X-Amz-Checksum-Crc32": {"NhCmhg==", "NjowIA=="}}, "BadDigest", "The CRC32 you specified did not match the calculated checksum."},
		{"mismatch", http.Header{"X-Amz-Checksum-Crc32": {"NjowIA=="}}, "BadDigest", "The CRC32 you specified did not match the calculated checksum."},
		{"missing: nil", nil, "MalformedTrailerError", msgMalformedTrailer},
		{"missing: empty", http.Header{}, "MalformedTrailerError", msgMalformedTrailer},
		{"missing: only signature", http.Header{"X-Amz-Trailer-Signature": {"abc"}}, "MalformedTrailerError", msgMalformedTrailer},
		{"missing: no values", http.Header{"X-Amz-Checksum-Crc32": {}}, "MalformedTrailerError", msgMalformedTrailer},
		{"other checksum instead", http.Header{"X-Amz-Checksum-Crc32c": {crc32cCheck}}, "MalformedTrailerError", msgMalformedTrailer},
		{"extra field", http.Header{"X-Amz-Checksum-Crc32": {"NhCmhg=="}, "Bonus": {"trailer"}}, "MalformedTrailerError", msgMalformedTrailer},
		{"invalid value", http.Header{"X-Amz-Checksum-Crc32": {"not=base-64"}}, "InvalidRequest", "Value for x-amz-checksum-crc32 trailing header is invalid."},
		{"empty value", http.Header{"X-Amz-Checksum-Crc32": {""}}, "InvalidRequest", "Value for x-amz-checksum-crc32 trailing header is invalid."},
	}
	for _, tt := range tests {
		checkErr(t, tt.name, h.Verify(e, tt.trailers), tt.code, tt.msg)
	}

	// The error values carry the statuses the HTTP layer sends.
	err := h.Verify(e, nil)
	if _, status, _, ok := wire(err); !ok || status != 400 {
		t.Errorf("missing trailer: %v", err)
	}
	if !errors.Is(h.Verify(&Expect{Algorithm: CRC32, Value: "NjowIA=="}, nil), &Error{Kind: Mismatch}) {
		t.Error("mismatch is not a Mismatch")
	}

	// SHA256 trailer declared by the header set, end to end.
	e, err = FromRequest(hdr("x-amz-trailer", "x-amz-checksum-sha256", "x-amz-sdk-checksum-algorithm", "SHA256"))
	if err != nil {
		t.Fatal(err)
	}
	checkErr(t, "sha256 trailer", hashOf(SHA256, "").Verify(e, http.Header{"X-Amz-Checksum-Sha256": {sha256Empty}}), "", "")
}
