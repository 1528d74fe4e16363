package checksum

import (
	"encoding/binary"
	"strconv"
	"strings"
	"sync"
)

// CRC combination by the GF(2) matrix method (as in zlib's crc32_combine),
// generalised to 64-bit registers.
//
// For a reflected CRC whose init and xorout are equal (all ones for CRC32,
// CRC32C and CRC64NVME), with Z(n) the linear operator that feeds n zero bytes
// through the register:
//
//	crc(A||B) = Z(len(B))·crc(A) ⊕ crc(B)
//
// Z(1 bit) is the matrix of one shift of the reflected register; squaring it
// gives Z(2 bits), Z(4 bits), Z(1 byte), Z(2 bytes), ... Each algorithm keeps
// the 63 operators Z(2^k bytes), so combining costs at most 63 matrix-vector
// products whatever len(B) is.

// gf2Matrix is a square matrix over GF(2): column i (the image of bit i) is
// m[i]. Only the first width columns of a width-bit CRC are used.
type gf2Matrix [64]uint64

func (m *gf2Matrix) times(vec uint64) uint64 {
	var sum uint64
	for i := 0; vec != 0; i, vec = i+1, vec>>1 {
		if vec&1 != 0 {
			sum ^= m[i]
		}
	}
	return sum
}

// square sets d = m·m.
func (d *gf2Matrix) square(m *gf2Matrix, width int) {
	for i := range width {
		d[i] = m.times(m[i])
	}
}

type crcShape struct {
	width int
	poly  uint64 // reflected polynomial
	once  sync.Once
	zeros *[63]gf2Matrix // zeros[k] = Z(2^k bytes)
}

var (
	shapeCRC32     = &crcShape{width: 32, poly: 0xEDB88320}
	shapeCRC32C    = &crcShape{width: 32, poly: 0x82F63B78}
	shapeCRC64NVME = &crcShape{width: 64, poly: crc64NVMEReflected}
)

func (a Algorithm) shape() *crcShape {
	switch a {
	case CRC32:
		return shapeCRC32
	case CRC32C:
		return shapeCRC32C
	case CRC64NVME:
		return shapeCRC64NVME
	}
	return nil
}

func (s *crcShape) operators() *[63]gf2Matrix {
	s.once.Do(func() {
		var bit, two, four gf2Matrix
		// One zero bit: the low bit shifts out and, if set, folds the
		// polynomial back in; every other bit moves down by one.
		bit[0] = s.poly
		for i := 1; i < s.width; i++ {
			bit[i] = 1 << (i - 1)
		}
		two.square(&bit, s.width)
		four.square(&two, s.width)
		z := new([63]gf2Matrix)
		z[0].square(&four, s.width) // eight bits: one byte
		for k := 1; k < len(z); k++ {
			z[k].square(&z[k-1], s.width)
		}
		s.zeros = z
	})
	return s.zeros
}

// combine returns crc(A||B) from crcA = crc(A), crcB = crc(B) and n = len(B).
func (s *crcShape) combine(crcA, crcB uint64, n int64) uint64 {
	z := s.operators()
	for k := 0; n != 0; k, n = k+1, n>>1 {
		if n&1 != 0 {
			crcA = z[k].times(crcA)
		}
	}
	return crcA ^ crcB
}

// crcValue reads a big-endian CRC digest of a's size.
func crcValue(a Algorithm, sum []byte) (uint64, bool) {
	switch {
	case a.Size() == 4 && len(sum) == 4:
		return uint64(binary.BigEndian.Uint32(sum)), true
	case a.Size() == 8 && len(sum) == 8:
		return binary.BigEndian.Uint64(sum), true
	}
	return 0, false
}

func crcBytes(a Algorithm, v uint64) []byte {
	if a.Size() == 4 {
		return binary.BigEndian.AppendUint32(nil, uint32(v))
	}
	return binary.BigEndian.AppendUint64(nil, v)
}

// CombineCRC returns the raw (big-endian) CRC of A||B given crcA = CRC(A),
// crcB = CRC(B) and lenB = len(B), for CRC32, CRC32C and CRC64NVME. It serves
// FULL_OBJECT checksums of multipart uploads and of appends. It returns nil if
// a is not a CRC, a digest has the wrong length or lenB is negative.
func CombineCRC(a Algorithm, crcA []byte, crcB []byte, lenB int64) []byte {
	s := a.shape()
	x, okA := crcValue(a, crcA)
	y, okB := crcValue(a, crcB)
	if s == nil || !okA || !okB || lenB < 0 {
		return nil
	}
	return crcBytes(a, s.combine(x, y, lenB))
}

// Part is one piece of an object, in order: its raw digest and its length.
type Part struct {
	Sum  []byte
	Size int64
}

// FullObject returns the raw FULL_OBJECT checksum of an object made of parts
// (in order), i.e. the CRC of the whole object's bytes, computed from the
// parts' CRCs with CombineCRC. With no parts it is the CRC of nothing (zero).
// It returns nil if a is not a CRC or a part is malformed.
func FullObject(a Algorithm, parts []Part) []byte {
	s := a.shape()
	if s == nil {
		return nil
	}
	var crc uint64 // the CRC of the empty string is 0 for all three
	for _, p := range parts {
		v, ok := crcValue(a, p.Sum)
		if !ok || p.Size < 0 {
			return nil
		}
		crc = s.combine(crc, v, p.Size)
	}
	return crcBytes(a, crc)
}

// Composite returns S3's COMPOSITE checksum of a multipart object: base64 of
// a's digest of the concatenated raw part digests, then "-" and the number of
// parts, e.g. "sZ5vbw==-3". S3 does not allow COMPOSITE with CRC64NVME (see
// Algorithm.Supports); the value is computed anyway. It returns "" for an
// invalid algorithm.
func Composite(a Algorithm, partSums [][]byte) string {
	if !a.Valid() {
		return ""
	}
	h := a.New()
	for _, s := range partSums {
		h.Write(s)
	}
	return a.Encode(h.Sum(nil)) + "-" + strconv.Itoa(len(partSums))
}

// SplitComposite splits a composite value "<base64>-<parts>" into its digest
// and part count. ok is false if v has no "-<parts>" suffix with parts ≥ 1.
// Base64 never contains '-', so the split is unambiguous.
func SplitComposite(v string) (digest string, parts int, ok bool) {
	i := strings.LastIndexByte(v, '-')
	if i <= 0 || i == len(v)-1 {
		return "", 0, false
	}
	suffix := v[i+1:]
	for j := 0; j < len(suffix); j++ {
		if suffix[j] < '0' || suffix[j] > '9' {
			return "", 0, false
		}
	}
	n, err := strconv.Atoi(suffix)
	if err != nil || n < 1 {
		return "", 0, false
	}
	return v[:i], n, true
}
