package checksum

import (
	"net/http"
	"slices"
	"testing"
)

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

// checkErr fails unless err is an *Error answered with the code and message
// (message "" = any). A zero code means no error is wanted.
func checkErr(t *testing.T, name string, err error, code, msg string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Errorf("%s: unexpected error %v", name, err)
		}
		return
	}
	gotCode, _, gotMsg, ok := wire(err)
	if !ok {
		t.Errorf("%s: error %v, want %s %q", name, err, code, msg)
		return
	}
	if gotCode != code || (msg != "" && gotMsg != msg) {
		t.Errorf("%s: got %s %q, want %s %q", name, gotCode, gotMsg, code, msg)
	}
}

const (
	crc32Hello  = "NhCmhg==" // CRC32("hello")
	crc32cCheck = "4waSgw=="
	crc64Check  = "rosUhgp5mIg="
	sha256Empty = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
	sha1ABC     = "qZk+NkcGgWq6PiVxeFDCbJzQ2J0="
)

const (
	ir  = "InvalidRequest"
	ni  = "NotImplemented"
	tnu = "The value specified in the x-amz-trailer header is not supported"
)

func TestFromRequest(t *testing.T) {
	tests := []struct {
		name string
		h    http.Header
		want *Expect
		code string
		msg  string
	}{
		{"nothing", hdr(), nil, "", ""},
		{"unrelated headers", hdr("Content-Type", "text/plain", "X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD"), nil, "", ""},
		{"mode only", hdr("x-amz-checksum-mode", "ENABLED"), nil, "", ""},
		{"crc32 header", hdr("x-amz-checksum-crc32", crc32Hello), &Expect{CRC32, crc32Hello, false}, "", ""},
		{"crc32 with sdk", hdr("x-amz-checksum-crc32", crc32Hello, "x-amz-sdk-checksum-algorithm", "CRC32"), &Expect{CRC32, crc32Hello, false}, "", ""},
		{"sdk case-insensitive", hdr("x-amz-checksum-crc32", crc32Hello, "x-amz-sdk-checksum-algorithm", "crc32"), &Expect{CRC32, crc32Hello, false}, "", ""},
		{"crc32c", hdr("x-amz-checksum-crc32c", crc32cCheck), &Expect{CRC32C, crc32cCheck, false}, "", ""},
		{"crc64nvme", hdr("x-amz-checksum-crc64nvme", crc64Check, "x-amz-sdk-checksum-algorithm", "CRC64NVME"), &Expect{CRC64NVME, crc64Check, false}, "", ""},
		{"sha1", hdr("x-amz-checksum-sha1", sha1ABC), &Expect{SHA1, sha1ABC, false}, "", ""},
		{"sha256 with sdk", hdr("x-amz-checksum-sha256", sha256Empty, "x-amz-sdk-checksum-algorithm", "SHA256"), &Expect{SHA256, sha256Empty, false}, "", ""},
		{"type and algorithm tolerated on a PUT", hdr("x-amz-checksum-crc32", crc32Hello, "x-amz-checksum-type", "COMPOSITE", "x-amz-checksum-algorithm", "sha1"), &Expect{CRC32, crc32Hello, false}, "", ""},

		{"two headers", hdr("x-amz-checksum-crc32", crc32Hello, "x-amz-checksum-crc32c", crc32cCheck), nil, ir, msgMultiple},
		{"two empty headers", hdr("x-amz-checksum-sha1", "", "x-amz-checksum-crc32", ""), nil, ir, msgMultiple},
		{"same header twice", hdr("x-amz-checksum-crc32", crc32Hello, "x-amz-checksum-crc32", crc32Hello), nil, ir, msgMultiple},
		{"repeats trump the sdk mismatch", hdr("x-amz-sdk-checksum-algorithm", "sha256", "x-amz-checksum-crc32", crc32Hello, "x-amz-checksum-crc32c", crc32cCheck), nil, ir, msgMultiple},
		{"unknown algorithm header", hdr("x-amz-checksum-bad", crc32Hello), nil, ir, msgUnknownHeader},
		{"unknown algorithm header beside a good one", hdr("x-amz-checksum-bad", crc32Hello, "x-amz-checksum-crc32", crc32Hello), nil, ir, msgUnknownHeader},
		{"sha512 not implemented", hdr("x-amz-checksum-sha512", "AAAA"), nil, ni, "The x-amz-checksum-sha512 algorithm is not supported."},
		{"unknown beats not implemented", hdr("x-amz-checksum-sha512", "AAAA", "x-amz-checksum-bad", "AAAA"), nil, ir, msgUnknownHeader},
		{"not implemented in sort order", hdr("x-amz-checksum-sha512", "AAAA", "x-amz-checksum-md5", "AAAA"), nil, ni, "The x-amz-checksum-md5 algorithm is not supported."},
		{"invalid value", hdr("x-amz-checksum-crc32", "bad"), nil, ir, "Value for x-amz-checksum-crc32 header is invalid."},
		{"empty value", hdr("x-amz-checksum-sha256", ""), nil, ir, "Value for x-amz-checksum-sha256 header is invalid."},
		{"value of another size", hdr("x-amz-checksum-crc32", crc64Check), nil, ir, "Value for x-amz-checksum-crc32 header is invalid."},
		{"crc64 value short", hdr("x-amz-checksum-crc64nvme", crc32Hello), nil, ir, "Value for x-amz-checksum-crc64nvme header is invalid."},
		{"unpadded value", hdr("x-amz-checksum-crc32", "NhCmhg"), nil, ir, "Value for x-amz-checksum-crc32 header is invalid."},
		{"invalid value beats sdk mismatch", hdr("x-amz-checksum-crc32", "bad", "x-amz-sdk-checksum-algorithm", "SHA1"), nil, ir, "Value for x-amz-checksum-crc32 header is invalid."},

		{"sdk alone", hdr("x-amz-sdk-checksum-algorithm", "CRC32"), nil, ir, msgSDKWithoutValue},
		{"unknown sdk alone", hdr("x-amz-sdk-checksum-algorithm", "MD5"), nil, ir, msgSDKWithoutValue},
		{"sdk with empty trailer", hdr("x-amz-sdk-checksum-algorithm", "CRC32", "x-amz-trailer", ""), nil, ir, msgSDKWithoutValue},
		{"sdk mismatch", hdr("x-amz-sdk-checksum-algorithm", "CRC32C", "x-amz-checksum-crc32", crc32Hello), nil, ir, msgSDKInvalid},
		{"sdk unknown with header", hdr("x-amz-sdk-checksum-algorithm", "FOO", "x-amz-checksum-crc32", crc32Hello), nil, ir, msgSDKInvalid},

		{"trailer", hdr("x-amz-trailer", "x-amz-checksum-crc32"), &Expect{CRC32, "", true}, "", ""},
		{"trailer with sdk", hdr("x-amz-trailer", "x-amz-checksum-sha256", "x-amz-sdk-checksum-algorithm", "SHA256"), &Expect{SHA256, "", true}, "", ""},
		{"trailer in canonical case", hdr("x-amz-trailer", "X-Amz-Checksum-Crc64nvme"), &Expect{CRC64NVME, "", true}, "", ""},
		{"trailer trailing comma", hdr("x-amz-trailer", "x-amz-checksum-crc32,"), &Expect{CRC32, "", true}, "", ""},
		{"trailer trailing commas", hdr("x-amz-trailer", "x-amz-checksum-crc32,,"), &Expect{CRC32, "", true}, "", ""},
		{"trailer comma space", hdr("x-amz-trailer", "x-amz-checksum-crc32, "), &Expect{CRC32, "", true}, "", ""},
		{"trailer leading comma", hdr("x-amz-trailer", ", x-amz-checksum-crc32"), nil, ir, tnu},
		{"trailer leading bare comma", hdr("x-amz-trailer", ",x-amz-checksum-crc32"), nil, ir, tnu},
		{"trailer empty element", hdr("x-amz-trailer", "x-amz-checksum-crc32, ,"), nil, ir, tnu},
		{"trailer unknown checksum", hdr("x-amz-trailer", "x-amz-checksum-bad"), nil, ir, tnu},
		{"trailer content sha", hdr("x-amz-trailer", "x-amz-content-sha256"), nil, ir, tnu},
		{"trailer foo", hdr("x-amz-trailer", "foo"), nil, ir, tnu},
		{"trailer content-md5", hdr("x-amz-trailer", "content-md5"), nil, ir, tnu},
		{"trailer checksum and foo", hdr("x-amz-trailer", "x-amz-checksum-crc32, x-amz-foo"), nil, ir, tnu},
		{"trailer sha512", hdr("x-amz-trailer", "x-amz-checksum-sha512"), nil, ni, ""},
		{"two trailers", hdr("x-amz-trailer", "x-amz-checksum-crc32, x-amz-checksum-sha256"), nil, ir, msgMultiple},
		{"same trailer twice", hdr("x-amz-sdk-checksum-algorithm", "sha256", "x-amz-checksum-crc32", crc32Hello, "x-amz-trailer", "x-amz-checksum-crc32, x-amz-checksum-crc32"), nil, ir, msgMultiple},
		{"trailer sdk mismatch", hdr("x-amz-trailer", "x-amz-checksum-crc64nvme", "x-amz-sdk-checksum-algorithm", "SHA1"), nil, ir, msgSDKInvalid},
		{"header and same trailer", hdr("x-amz-sdk-checksum-algorithm", "crc32", "x-amz-checksum-crc32", crc32Hello, "x-amz-trailer", "x-amz-checksum-crc32"), nil, ir, msgHeaderAndTrailer},
		{"header and other trailer", hdr("x-amz-checksum-crc32", crc32Hello, "x-amz-trailer", "x-amz-checksum-crc32c"), nil, ir, msgHeaderAndTrailer},
		{"header and two trailers", hdr("x-amz-checksum-crc32", crc32Hello, "x-amz-trailer", "x-amz-checksum-crc32, x-amz-checksum-crc32c"), nil, ir, msgMultiple},
		{"two headers and trailer", hdr("x-amz-checksum-crc32", crc32Hello, "x-amz-checksum-sha256", sha256Empty, "x-amz-trailer", "x-amz-checksum-crc32"), nil, ir, msgMultiple},
	}
	for _, tt := range tests {
		got, err := FromRequest(tt.h)
		checkErr(t, tt.name, err, tt.code, tt.msg)
		if err != nil {
			if got != nil {
				t.Errorf("%s: expectation %+v returned with an error", tt.name, got)
			}
			if _, status, _, ok := wire(err); ok && status != 400 && status != 501 {
				t.Errorf("%s: status %d", tt.name, status)
			}
			continue
		}
		switch {
		case tt.want == nil && got != nil:
			t.Errorf("%s: got %+v, want none", tt.name, got)
		case tt.want != nil && (got == nil || *got != *tt.want):
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestFromCreateMultipartRequest(t *testing.T) {
	tests := []struct {
		name string
		h    http.Header
		alg  Algorithm
		typ  Type
		code string
		msg  string
	}{
		{"nothing", hdr(), "", "", "", ""},
		{"crc32 default composite", hdr("x-amz-checksum-algorithm", "CRC32"), CRC32, TypeComposite, "", ""},
		{"sha256 default composite", hdr("x-amz-checksum-algorithm", "sha256"), SHA256, TypeComposite, "", ""},
		{"crc64nvme default full", hdr("x-amz-checksum-algorithm", "CRC64NVME"), CRC64NVME, TypeFullObject, "", ""},
		{"crc32c full object", hdr("x-amz-checksum-algorithm", "CRC32C", "x-amz-checksum-type", "FULL_OBJECT"), CRC32C, TypeFullObject, "", ""},
		{"crc32 composite lower", hdr("x-amz-checksum-algorithm", "crc32", "x-amz-checksum-type", "composite"), CRC32, TypeComposite, "", ""},
		{"unknown algorithm", hdr("x-amz-checksum-algorithm", "MD5"), "", "", ir, msgAlgorithmUnsupp},
		{"unknown algorithm beats type", hdr("x-amz-checksum-algorithm", "FOO", "x-amz-checksum-type", "BAR"), "", "", ir, msgAlgorithmUnsupp},
		{"type without algorithm", hdr("x-amz-checksum-type", "FULL_OBJECT"), "", "", ir, msgTypeWithoutAlg},
		{"invalid type", hdr("x-amz-checksum-algorithm", "CRC32", "x-amz-checksum-type", "PARTIAL"), "", "", ir, msgTypeInvalid},
		{"full object sha1", hdr("x-amz-checksum-algorithm", "SHA1", "x-amz-checksum-type", "FULL_OBJECT"), "", "", ir, "The FULL_OBJECT checksum type cannot be used with the SHA1 checksum algorithm."},
		{"full object sha256", hdr("x-amz-checksum-algorithm", "sha256", "x-amz-checksum-type", "FULL_OBJECT"), "", "", ir, "The FULL_OBJECT checksum type cannot be used with the SHA256 checksum algorithm."},
		{"composite crc64", hdr("x-amz-checksum-algorithm", "CRC64NVME", "x-amz-checksum-type", "COMPOSITE"), "", "", ir, "The COMPOSITE checksum type cannot be used with the CRC64NVME checksum algorithm."},
	}
	for _, tt := range tests {
		a, typ, err := FromCreateMultipartRequest(tt.h)
		checkErr(t, tt.name, err, tt.code, tt.msg)
		if a != tt.alg || typ != tt.typ {
			t.Errorf("%s: got %q %q, want %q %q", tt.name, a, typ, tt.alg, tt.typ)
		}
	}
}

func TestFromCopyRequest(t *testing.T) {
	if a, err := FromCopyRequest(hdr()); a != "" || err != nil {
		t.Errorf("none: %q %v", a, err)
	}
	if a, err := FromCopyRequest(hdr("x-amz-checksum-algorithm", "crc32c")); a != CRC32C || err != nil {
		t.Errorf("crc32c: %q %v", a, err)
	}
	a, err := FromCopyRequest(hdr("x-amz-checksum-algorithm", "SHA512"))
	checkErr(t, "sha512", err, ir, msgAlgorithmUnsupp)
	if a != "" {
		t.Errorf("sha512: %q", a)
	}
}

func TestFromCompleteRequest(t *testing.T) {
	tests := []struct {
		name string
		h    http.Header
		want *Declared
		code string
		msg  string
	}{
		{"nothing", hdr(), nil, "", ""},
		{"sdk and algorithm ignored", hdr("x-amz-sdk-checksum-algorithm", "CRC32", "x-amz-checksum-algorithm", "SHA1"), nil, "", ""},
		{"full object", hdr("x-amz-checksum-crc64nvme", crc64Check, "x-amz-checksum-type", "FULL_OBJECT"), &Declared{CRC64NVME, crc64Check, TypeFullObject}, "", ""},
		{"composite", hdr("x-amz-checksum-sha256", sha256Empty+"-3"), &Declared{SHA256, sha256Empty + "-3", ""}, "", ""},
		{"type only", hdr("x-amz-checksum-type", "composite"), &Declared{Type: TypeComposite}, "", ""},
		{"bad type", hdr("x-amz-checksum-type", "BOTH"), nil, ir, msgTypeInvalid},
		{"two values", hdr("x-amz-checksum-crc32", crc32Hello, "x-amz-checksum-sha1", sha1ABC), nil, ir, msgMultiple},
		{"unknown", hdr("x-amz-checksum-foo", crc32Hello), nil, ir, msgUnknownHeader},
		{"bad digest part", hdr("x-amz-checksum-crc32", "abc-3"), nil, ir, "Value for x-amz-checksum-crc32 header is invalid."},
		{"bad suffix", hdr("x-amz-checksum-crc32", crc32Hello+"-x"), nil, ir, "Value for x-amz-checksum-crc32 header is invalid."},
		{"zero parts", hdr("x-amz-checksum-crc32", crc32Hello+"-0"), nil, ir, "Value for x-amz-checksum-crc32 header is invalid."},
	}
	for _, tt := range tests {
		got, err := FromCompleteRequest(tt.h)
		checkErr(t, tt.name, err, tt.code, tt.msg)
		switch {
		case tt.want == nil && got != nil:
			t.Errorf("%s: got %+v, want none", tt.name, got)
		case tt.want != nil && (got == nil || *got != *tt.want):
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestMatch(t *testing.T) {
	sums := [][]byte{CRC32.Sum([]byte("a")), CRC32.Sum([]byte("b"))}
	comp := Composite(CRC32, sums)
	digest, _, _ := SplitComposite(comp)
	full := CRC32.Encode(FullObject(CRC32, []Part{{sums[0], 1}, {sums[1], 1}}))
	if full != CRC32.Encode(CRC32.Sum([]byte("ab"))) {
		t.Fatal("full object of a, b is not CRC32(ab)")
	}
	tests := []struct {
		name               string
		declared, computed string
		ok                 bool
	}{
		{"composite equal", comp, comp, true},
		{"composite without suffix", digest, comp, true},
		{"composite wrong count", digest + "-3", comp, false},
		{"full equal", full, full, true},
		{"full vs composite", full, comp, false},
		{"composite declared, full computed", comp, full, false},
		{"garbage", "zzz", full, false},
	}
	for _, tt := range tests {
		err := Match(CRC32, tt.declared, tt.computed)
		if tt.ok {
			checkErr(t, tt.name, err, "", "")
		} else {
			checkErr(t, tt.name, err, "BadDigest", "The CRC32 you specified did not match the calculated checksum.")
		}
	}
}

// TestTrailerNames pins the one split of x-amz-trailer that the checksum
// declaration and the aws-chunked decoder share.
func TestTrailerNames(t *testing.T) {
	for _, tc := range []struct {
		lines []string
		want  []string
	}{
		{nil, nil},
		{[]string{"  "}, nil},
		{[]string{"x-amz-checksum-crc32"}, []string{"x-amz-checksum-crc32"}},
		{[]string{"x-amz-checksum-crc32,"}, []string{"x-amz-checksum-crc32"}},
		{[]string{", X-Amz-Checksum-Crc32"}, []string{"", "X-Amz-Checksum-Crc32"}},
		{[]string{"x-amz-checksum-crc32, ,"}, []string{"x-amz-checksum-crc32", ""}},
		{[]string{"a ", " b"}, []string{"a", "b"}},
	} {
		h := Header{}
		if tc.lines != nil {
			h["X-Amz-Trailer"] = tc.lines
		}
		if got := TrailerNames(h); !slices.Equal(got, tc.want) {
			t.Errorf("TrailerNames(%q) = %q, want %q", tc.lines, got, tc.want)
		}
	}
}
