package checksum

import (
	"encoding/binary"
	"hash"
)

// CRC-64/NVME: width 64, polynomial 0xAD93D23594C93659, reflected input and
// output, init and xorout all ones; check("123456789") = 0xAE8B14860A799888.
// (The polynomial is sometimes misquoted as 0xAD93D23594C935A9; that one does
// not give the check value.)
//
// hash/crc64 computes it with MakeTable(crc64NVMEReflected), but for any
// polynomial other than ISO and ECMA it rebuilds its slicing tables on every
// call of 2 KiB or more and falls back to a byte at a time below that. This
// file keeps precomputed slicing-by-16 tables instead (32 KiB; about 1.4x the
// speed of slicing-by-8 on amd64).
const (
	crc64NVMEPoly      = 0xAD93D23594C93659
	crc64NVMEReflected = 0x9A6C9329AC4BC9B5 // crc64NVMEPoly bit-reversed
)

var crc64Tables = makeCRC64Tables(crc64NVMEReflected)

func makeCRC64Tables(poly uint64) *[16][256]uint64 {
	t := new([16][256]uint64)
	for i := range 256 {
		crc := uint64(i)
		for range 8 {
			if crc&1 == 1 {
				crc = crc>>1 ^ poly
			} else {
				crc >>= 1
			}
		}
		t[0][i] = crc
	}
	for i := range 256 {
		crc := t[0][i]
		for k := 1; k < 16; k++ {
			crc = t[0][crc&0xff] ^ crc>>8
			t[k][i] = crc
		}
	}
	return t
}

// UpdateCRC64NVME returns the CRC-64/NVME of the data whose CRC-64/NVME is
// crc followed by p. Start with 0 for a new checksum.
func UpdateCRC64NVME(crc uint64, p []byte) uint64 {
	t := crc64Tables
	crc = ^crc
	for len(p) >= 16 {
		a := crc ^ binary.LittleEndian.Uint64(p)
		b := binary.LittleEndian.Uint64(p[8:])
		crc = t[15][a&0xff] ^ t[14][a>>8&0xff] ^ t[13][a>>16&0xff] ^ t[12][a>>24&0xff] ^
			t[11][a>>32&0xff] ^ t[10][a>>40&0xff] ^ t[9][a>>48&0xff] ^ t[8][a>>56] ^
			t[7][b&0xff] ^ t[6][b>>8&0xff] ^ t[5][b>>16&0xff] ^ t[4][b>>24&0xff] ^
			t[3][b>>32&0xff] ^ t[2][b>>40&0xff] ^ t[1][b>>48&0xff] ^ t[0][b>>56]
		p = p[16:]
	}
	for _, b := range p {
		crc = t[0][byte(crc)^b] ^ crc>>8
	}
	return ^crc
}

// crc64nvme is the hash.Hash64 of CRC-64/NVME.
type crc64nvme struct{ crc uint64 }

// NewCRC64NVME returns a hash computing CRC-64/NVME; Sum appends the
// big-endian digest.
func NewCRC64NVME() hash.Hash64 { return new(crc64nvme) }

func (d *crc64nvme) Write(p []byte) (int, error) {
	d.crc = UpdateCRC64NVME(d.crc, p)
	return len(p), nil
}
func (d *crc64nvme) Sum(in []byte) []byte { return binary.BigEndian.AppendUint64(in, d.crc) }
func (d *crc64nvme) Sum64() uint64        { return d.crc }
func (d *crc64nvme) Reset()               { d.crc = 0 }
func (d *crc64nvme) Size() int            { return 8 }
func (d *crc64nvme) BlockSize() int       { return 1 }
