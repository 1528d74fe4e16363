package checksum

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"hash/crc64"
	"math/bits"
	"math/rand/v2"
	"testing"
)

const check = "123456789"

func TestCheckValues(t *testing.T) {
	tests := []struct {
		a    Algorithm
		data string
		hex  string
	}{
		{CRC32, check, "cbf43926"},
		{CRC32C, check, "e3069283"},
		{CRC64NVME, check, "ae8b14860a799888"},
		{SHA1, "abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
		{SHA256, "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{SHA1, "", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
		{SHA256, "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{CRC32, "", "00000000"},
		{CRC32C, "", "00000000"},
		{CRC64NVME, "", "0000000000000000"},
	}
	for _, tt := range tests {
		want, _ := hex.DecodeString(tt.hex)
		if got := tt.a.Sum([]byte(tt.data)); !bytes.Equal(got, want) {
			t.Errorf("%s(%q) via New = %x, want %s", tt.a, tt.data, got, tt.hex)
		}
		h := NewHasher(tt.a)
		h.Write([]byte(tt.data))
		if got := h.Digest(tt.a); !bytes.Equal(got, want) {
			t.Errorf("%s(%q) via Hasher = %x, want %s", tt.a, tt.data, got, tt.hex)
		}
		if got, wantB64 := h.Sum(tt.a), base64.StdEncoding.EncodeToString(want); got != wantB64 {
			t.Errorf("%s(%q) Sum = %q, want %q", tt.a, tt.data, got, wantB64)
		}
		if len(want) != tt.a.Size() || tt.a.New().Size() != tt.a.Size() {
			t.Errorf("%s: Size %d, digest %d bytes", tt.a, tt.a.Size(), len(want))
		}
	}
}

func TestWireValues(t *testing.T) {
	// Values seen on the wire: the aws-chunked example of the SDK notes
	// ("hello" → NhCmhg==), AWS's answer for "hello\n", and the check values.
	tests := []struct {
		a    Algorithm
		data string
		want string
	}{
		{CRC32, "hello", "NhCmhg=="},
		{CRC32, "hello\n", "NjowIA=="},
		{CRC32, check, "y/Q5Jg=="},
		{CRC32C, check, "4waSgw=="},
		{CRC64NVME, check, "rosUhgp5mIg="},
		{CRC64NVME, "", "AAAAAAAAAAA="},
		{SHA256, "", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="},
	}
	for _, tt := range tests {
		h := NewHasher(tt.a)
		h.Write([]byte(tt.data))
		if got := h.Sum(tt.a); got != tt.want {
			t.Errorf("%s(%q) = %q, want %q", tt.a, tt.data, got, tt.want)
		}
		raw, ok := tt.a.Decode(tt.want)
		if !ok || tt.a.Encode(raw) != tt.want {
			t.Errorf("%s: Decode(%q) = %x, %v", tt.a, tt.want, raw, ok)
		}
	}
}

// The CRC64NVME tables must agree with hash/crc64 on the same reflected
// polynomial, for every length around the 8-byte stride and for chunked input.
func TestCRC64NVMEAgainstStdlib(t *testing.T) {
	tab := crc64.MakeTable(crc64NVMEReflected)
	r := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 5000)
	for i := range buf {
		buf[i] = byte(r.Uint32())
	}
	for n := 0; n <= len(buf); n += 1 + n/7 {
		want := crc64.Checksum(buf[:n], tab)
		if got := UpdateCRC64NVME(0, buf[:n]); got != want {
			t.Fatalf("len %d: %#x, want %#x", n, got, want)
		}
		// split at a random point: incremental updates give the same result
		k := r.IntN(n + 1)
		if got := UpdateCRC64NVME(UpdateCRC64NVME(0, buf[:k]), buf[k:n]); got != want {
			t.Fatalf("len %d split %d: %#x, want %#x", n, k, got, want)
		}
	}
	if bits.Reverse64(crc64NVMEPoly) != crc64NVMEReflected {
		t.Fatalf("reflected polynomial %#x is not the bit reversal of %#x", uint64(crc64NVMEReflected), uint64(crc64NVMEPoly))
	}
	h := NewCRC64NVME()
	h.Write([]byte(check))
	if h.Sum64() != 0xAE8B14860A799888 || binary.BigEndian.Uint64(h.Sum(nil)) != 0xAE8B14860A799888 {
		t.Fatalf("hash.Hash64: %#x", h.Sum64())
	}
	h.Reset()
	if h.Sum64() != 0 {
		t.Fatal("Reset kept state")
	}
}

func TestParseAndNames(t *testing.T) {
	tests := []struct {
		in                   string
		want                 Algorithm
		header, xml          string
		size                 int
		crc, full, composite bool
		deflt                Type
	}{
		{"CRC32", CRC32, "x-amz-checksum-crc32", "ChecksumCRC32", 4, true, true, true, TypeComposite},
		{"crc32c", CRC32C, "x-amz-checksum-crc32c", "ChecksumCRC32C", 4, true, true, true, TypeComposite},
		{"Crc64Nvme", CRC64NVME, "x-amz-checksum-crc64nvme", "ChecksumCRC64NVME", 8, true, true, false, TypeFullObject},
		{"sha1", SHA1, "x-amz-checksum-sha1", "ChecksumSHA1", 20, false, false, true, TypeComposite},
		{"SHA256", SHA256, "x-amz-checksum-sha256", "ChecksumSHA256", 32, false, false, true, TypeComposite},
	}
	for _, tt := range tests {
		a, ok := Parse(tt.in)
		if !ok || a != tt.want {
			t.Errorf("Parse(%q) = %q, %v", tt.in, a, ok)
			continue
		}
		if a.Header() != tt.header || a.XMLName() != tt.xml || a.Size() != tt.size || a.IsCRC() != tt.crc {
			t.Errorf("%s: header %q xml %q size %d crc %v", a, a.Header(), a.XMLName(), a.Size(), a.IsCRC())
		}
		if a.Supports(TypeFullObject) != tt.full || a.Supports(TypeComposite) != tt.composite || a.DefaultType() != tt.deflt {
			t.Errorf("%s: full %v composite %v default %s", a, a.Supports(TypeFullObject), a.Supports(TypeComposite), a.DefaultType())
		}
		if b, ok := ParseHeader(tt.header); !ok || b != a {
			t.Errorf("ParseHeader(%q) = %q, %v", tt.header, b, ok)
		}
		if b, ok := ParseHeader("X-Amz-Checksum-" + tt.in); !ok || b != a {
			t.Errorf("ParseHeader canonical form of %q = %q, %v", tt.in, b, ok)
		}
	}
	for _, bad := range []string{"", "crc", "CRC-32", "md5", "SHA512", "crc32 ", "x-amz-checksum-crc32"} {
		if a, ok := Parse(bad); ok {
			t.Errorf("Parse(%q) = %q, want failure", bad, a)
		}
	}
	for _, bad := range []string{"", "x-amz-checksum-", "x-amz-checksum-md5", "x-amz-checksum-type", "x-amz-checksum-algorithm", "crc32", "x-amz-checksumcrc32"} {
		if a, ok := ParseHeader(bad); ok {
			t.Errorf("ParseHeader(%q) = %q, want failure", bad, a)
		}
	}
	var invalid Algorithm = "MD5"
	if invalid.Valid() || invalid.Header() != "" || invalid.Size() != 0 || invalid.Supports(TypeComposite) || invalid.XMLName() != "" {
		t.Error("invalid algorithm reported as usable")
	}
	if len(Algorithms()) != 5 {
		t.Errorf("Algorithms() = %v", Algorithms())
	}
	for _, s := range []string{"FULL_OBJECT", "full_object", "COMPOSITE", "Composite"} {
		if _, ok := ParseType(s); !ok {
			t.Errorf("ParseType(%q) failed", s)
		}
	}
	for _, s := range []string{"", "FULL", "COMPOSITE ", "FULLOBJECT"} {
		if _, ok := ParseType(s); ok {
			t.Errorf("ParseType(%q) succeeded", s)
		}
	}
}

func TestDecode(t *testing.T) {
	good := map[Algorithm]string{
		CRC32:     "NhCmhg==",
		CRC64NVME: "rosUhgp5mIg=",
		SHA1:      "qZk+NkcGgWq6PiVxeFDCbJzQ2J0=",
		SHA256:    "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=",
	}
	for a, v := range good {
		raw, ok := a.Decode(v)
		if !ok || len(raw) != a.Size() {
			t.Errorf("%s: Decode(%q) failed", a, v)
		}
	}
	bad := []struct {
		a Algorithm
		v string
	}{
		{CRC32, ""},
		{CRC32, "bad"},
		{CRC32, "NhCmhg="},      // short padding
		{CRC32, "NhCmhg"},       // unpadded
		{CRC32, "NhCmhg==="},    // long
		{CRC32, "NhCm hg="},     // space
		{CRC32, "NhCm\nhg="},    // newline skipped by the decoder
		{CRC32, "NhCm-_=="},     // URL alphabet
		{CRC32, "rosUhgp5mIg="}, // a CRC64 value
		{CRC64NVME, "NhCmhg=="}, // a CRC32 value
		{SHA256, "qZk+NkcGgWq6PiVxeFDCbJzQ2J0="},
		{Algorithm("MD5"), "1B2M2Y8AsgTpgAmY7PhCfg=="},
	}
	for _, tt := range bad {
		if raw, ok := tt.a.Decode(tt.v); ok {
			t.Errorf("%s: Decode(%q) = %x, want failure", tt.a, tt.v, raw)
		}
	}
}

func TestNewPanicsOnInvalid(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("New of an invalid algorithm did not panic")
		}
	}()
	Algorithm("MD5").New()
}
