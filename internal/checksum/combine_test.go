package checksum

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"hash/crc32"
	"math/rand/v2"
	"regexp"
	"strconv"
	"testing"
)

var crcs = []Algorithm{CRC32, CRC32C, CRC64NVME}

func randomBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// CombineCRC(CRC(A), CRC(B), len(B)) must equal CRC(A||B) computed directly,
// for many random splits, including empty A or B.
func TestCombineCRCRandomSplits(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	data := randomBytes(r, 70000)
	for _, a := range crcs {
		for i := range 300 {
			n := r.IntN(len(data) + 1)
			if i < 40 {
				n = i // short inputs, every split
			}
			k := r.IntN(n + 1)
			switch i % 10 {
			case 0:
				k = 0 // A empty
			case 1:
				k = n // B empty: lenB = 0
			}
			whole := a.Sum(data[:n])
			got := CombineCRC(a, a.Sum(data[:k]), a.Sum(data[k:n]), int64(n-k))
			if !bytes.Equal(got, whole) {
				t.Fatalf("%s: n=%d k=%d: combined %x, direct %x", a, n, k, got, whole)
			}
		}
	}
}

// A multipart-sized split computed with real data: 5 MiB + 1 byte, either way.
func TestCombineCRCMultipartSized(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const mib = 1 << 20
	data := randomBytes(r, 10*mib+2)
	for _, a := range crcs {
		for _, k := range []int{5*mib + 1, 5 * mib, 1, len(data) - 1} {
			whole := a.Sum(data)
			got := CombineCRC(a, a.Sum(data[:k]), a.Sum(data[k:]), int64(len(data)-k))
			if !bytes.Equal(got, whole) {
				t.Errorf("%s: split at %d: combined %x, direct %x", a, k, got, whole)
			}
		}
	}
}

// Large lengths without large data: B made of zero bytes has a CRC that real
// hashing gives for a moderate size, and for sizes far beyond memory the
// operators must compose: combining in two steps equals one step.
func TestCombineCRCLargeLengths(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	zeros := make([]byte, 48<<20+3) // 48 MiB + 3: many bits of lenB set
	prefix := randomBytes(r, 1000)
	for _, a := range crcs {
		whole := a.New()
		whole.Write(prefix)
		whole.Write(zeros)
		got := CombineCRC(a, a.Sum(prefix), a.Sum(zeros), int64(len(zeros)))
		if want := whole.Sum(nil); !bytes.Equal(got, want) {
			t.Errorf("%s: 48 MiB zeros: combined %x, direct %x", a, got, want)
		}
	}
	lengths := []int64{0, 1, 7, 1 << 32, 5 << 30, 5<<40 + 12345, 1<<62 + 1<<61 + 77, 1<<63 - 1}
	for _, a := range crcs {
		for i := range 50 {
			x, y, z := randomBytes(r, a.Size()), randomBytes(r, a.Size()), randomBytes(r, a.Size())
			m, n := lengths[i%len(lengths)], lengths[(i*3+1)%len(lengths)]
			if m > 1<<62 || n > 1<<62 {
				m, n = m/2, n/2 // keep m+n in range
			}
			// (x·y)·z = x·(y·z), with len(y) = m, len(z) = n
			left := CombineCRC(a, CombineCRC(a, x, y, m), z, n)
			right := CombineCRC(a, x, CombineCRC(a, y, z, n), m+n)
			if !bytes.Equal(left, right) {
				t.Fatalf("%s: m=%d n=%d: (xy)z %x != x(yz) %x", a, m, n, left, right)
			}
		}
		// combining with the CRC of the empty string (0) is the identity
		x := randomBytes(r, a.Size())
		zero := make([]byte, a.Size())
		if got := CombineCRC(a, x, zero, 0); !bytes.Equal(got, x) {
			t.Errorf("%s: x·empty = %x, want %x", a, got, x)
		}
		if got := CombineCRC(a, zero, x, 1<<40); !bytes.Equal(got, x) {
			t.Errorf("%s: empty·x = %x, want %x", a, got, x)
		}
	}
}

func TestCombineCRCInvalid(t *testing.T) {
	four, eight := make([]byte, 4), make([]byte, 8)
	cases := []struct {
		a    Algorithm
		x, y []byte
		n    int64
	}{
		{SHA256, make([]byte, 32), make([]byte, 32), 1},
		{CRC32, eight, four, 1},
		{CRC32, four, eight, 1},
		{CRC64NVME, four, four, 1},
		{CRC32C, four, four, -1},
		{Algorithm("X"), four, four, 1},
	}
	for _, c := range cases {
		if got := CombineCRC(c.a, c.x, c.y, c.n); got != nil {
			t.Errorf("CombineCRC(%s, %d bytes, %d bytes, %d) = %x, want nil", c.a, len(c.x), len(c.y), c.n, got)
		}
	}
}

// FULL_OBJECT of a multipart object = CRC of all its bytes.
func TestFullObject(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	data := randomBytes(r, 200000)
	for _, a := range crcs {
		for range 20 {
			var parts []Part
			for off := 0; off < len(data); {
				n := min(r.IntN(40000), len(data)-off)
				if r.IntN(8) == 0 {
					n = 0 // empty parts are harmless
				}
				parts = append(parts, Part{Sum: a.Sum(data[off : off+n]), Size: int64(n)})
				off += n
			}
			if got, want := FullObject(a, parts), a.Sum(data); !bytes.Equal(got, want) {
				t.Fatalf("%s: %d parts: %x, want %x", a, len(parts), got, want)
			}
		}
		if got := FullObject(a, nil); !bytes.Equal(got, make([]byte, a.Size())) {
			t.Errorf("%s: no parts = %x, want zero", a, got)
		}
		if got := FullObject(a, []Part{{Sum: []byte{1}, Size: 1}}); got != nil {
			t.Errorf("%s: malformed part accepted: %x", a, got)
		}
		if got := FullObject(a, []Part{{Sum: a.Sum(nil), Size: -1}}); got != nil {
			t.Errorf("%s: negative size accepted: %x", a, got)
		}
	}
	if got := FullObject(SHA256, []Part{{Sum: SHA256.Sum(nil), Size: 0}}); got != nil {
		t.Errorf("FULL_OBJECT of SHA256 = %x, want nil", got)
	}
}

var compositeForm = regexp.MustCompile(`^[A-Za-z0-9+/]+={0,2}-[1-9][0-9]*$`)

func TestComposite(t *testing.T) {
	parts := [][]byte{[]byte("part one"), []byte("part two"), []byte("three")}
	// CRC32 composite computed independently with hash/crc32.
	var concat []byte
	for _, p := range parts {
		c := crc32.ChecksumIEEE(p)
		concat = append(concat, byte(c>>24), byte(c>>16), byte(c>>8), byte(c))
	}
	c := crc32.ChecksumIEEE(concat)
	want := base64.StdEncoding.EncodeToString([]byte{byte(c >> 24), byte(c >> 16), byte(c >> 8), byte(c)}) + "-3"
	var sums [][]byte
	for _, p := range parts {
		sums = append(sums, CRC32.Sum(p))
	}
	if got := Composite(CRC32, sums); got != want {
		t.Errorf("CRC32 composite = %q, want %q", got, want)
	}

	// SHA256 composite = sha256(sha256(p1)||sha256(p2)||...)
	outer := sha256.New()
	sums = nil
	for _, p := range parts {
		s := sha256.Sum256(p)
		outer.Write(s[:])
		sums = append(sums, s[:])
	}
	want = base64.StdEncoding.EncodeToString(outer.Sum(nil)) + "-3"
	if got := Composite(SHA256, sums); got != want {
		t.Errorf("SHA256 composite = %q, want %q", got, want)
	}

	for _, a := range Algorithms() {
		var sums [][]byte
		for i := range 12 {
			sums = append(sums, a.Sum([]byte(strconv.Itoa(i))))
		}
		v := Composite(a, sums)
		if !compositeForm.MatchString(v) {
			t.Errorf("%s: composite %q not of the form <base64>-<n>", a, v)
		}
		d, n, ok := SplitComposite(v)
		if !ok || n != 12 {
			t.Errorf("%s: SplitComposite(%q) = %q, %d, %v", a, v, d, n, ok)
		}
		if _, ok := a.Decode(d); !ok {
			t.Errorf("%s: composite digest %q is not a %s value", a, d, a)
		}
	}
	if Composite(Algorithm("MD5"), nil) != "" {
		t.Error("composite of invalid algorithm")
	}
}

func TestSplitComposite(t *testing.T) {
	tests := []struct {
		in     string
		digest string
		parts  int
		ok     bool
	}{
		{"abcd==-3", "abcd==", 3, true},
		{"NhCmhg==-10000", "NhCmhg==", 10000, true},
		{"NhCmhg==", "", 0, false},
		{"NhCmhg==-", "", 0, false},
		{"-3", "", 0, false},
		{"NhCmhg==-0", "", 0, false},
		{"NhCmhg==-x", "", 0, false},
		{"NhCmhg==--3", "NhCmhg==-", 3, true}, // digest then fails Decode
		{"NhCmhg==-+3", "", 0, false},
		{"NhCmhg==-99999999999999999999999", "", 0, false},
	}
	for _, tt := range tests {
		d, n, ok := SplitComposite(tt.in)
		if d != tt.digest || n != tt.parts || ok != tt.ok {
			t.Errorf("SplitComposite(%q) = %q, %d, %v; want %q, %d, %v", tt.in, d, n, ok, tt.digest, tt.parts, tt.ok)
		}
	}
}
