package checksum

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkHasher measures one-pass hashing of a 1 MiB body, written in
// 32 KiB pieces as an HTTP body copy would (MB/s is reported by SetBytes).
func BenchmarkHasher(b *testing.B) {
	data := randomBytes(rand.New(rand.NewPCG(1, 1)), 1<<20)
	for _, algs := range [][]Algorithm{{CRC32}, {CRC32C}, {CRC64NVME}, {SHA1}, {SHA256}, {CRC32, CRC64NVME}} {
		name := ""
		for i, a := range algs {
			if i > 0 {
				name += "+"
			}
			name += string(a)
		}
		b.Run(name, func(b *testing.B) {
			h := NewHasher(algs...)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				h.Reset()
				for off := 0; off < len(data); off += 32 << 10 {
					h.Write(data[off : off+32<<10])
				}
				_ = h.Sum(algs[0])
			}
		})
	}
}

func BenchmarkCombineCRC(b *testing.B) {
	for _, a := range []Algorithm{CRC32, CRC64NVME} {
		x, y := a.Sum([]byte("x")), a.Sum([]byte("y"))
		a.shape().operators() // tables are built once per process
		b.Run(string(a), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = CombineCRC(a, x, y, 5<<30+12345)
			}
		})
	}
}
