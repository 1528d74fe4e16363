package bench

import (
	"math"
	"math/bits"
	"time"
)

// Histogram records latencies in nanoseconds into fixed log-linear buckets,
// the HDR-histogram layout: values below 2^subBits are counted exactly, and
// every power-of-two range above is split into 2^(subBits-1) equal
// sub-buckets. With subBits = 8 a bucket is at most 1/128 of its values wide,
// so a percentile read back is within 0.8% of the true sample. Recording is
// an index computation and an increment: no allocation, no lock (each worker
// owns its histograms; they are merged when read).
type Histogram struct {
	counts [histBuckets]uint64
	n      uint64
	sum    uint64 // nanoseconds; overflows after ~584 years of latency
	min    int64
	max    int64
}

const (
	subBits = 8
	subHalf = 1 << (subBits - 1) // sub-buckets per power of two (128)
	// maxShift bounds the tracked range to 2^(subBits+maxShift) ns (about
	// 2^41 ns = 37 minutes); longer values land in the last bucket (max is
	// still exact).
	maxShift    = 33
	histBuckets = (maxShift+1)*subHalf + subHalf
)

// bucketOf returns the bucket index of v >= 0. For v < 256 it is v itself;
// above, shift is how many low bits are dropped so that v>>shift lies in
// [128, 256), and each shift owns 128 consecutive indexes.
func bucketOf(v int64) int {
	if v < 0 {
		v = 0
	}
	shift := bits.Len64(uint64(v)) - subBits
	if shift <= 0 {
		return int(v)
	}
	if shift > maxShift {
		return histBuckets - 1
	}
	return shift*subHalf + int(uint64(v)>>uint(shift))
}

// bucketRange returns the smallest and largest value of bucket i.
func bucketRange(i int) (lo, hi int64) {
	if i < 2*subHalf {
		return int64(i), int64(i)
	}
	shift := i/subHalf - 1
	sub := int64(i - shift*subHalf)
	return sub << uint(shift), (sub+1)<<uint(shift) - 1
}

// Record adds one latency.
func (h *Histogram) Record(d time.Duration) {
	v := int64(d)
	if v < 0 {
		v = 0
	}
	h.counts[bucketOf(v)]++
	if h.n == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.n++
	h.sum += uint64(v)
}

// Count is the number of values recorded.
func (h *Histogram) Count() uint64 { return h.n }

// Max is the largest value recorded (exact).
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) }

// Min is the smallest value recorded (exact).
func (h *Histogram) Min() time.Duration { return time.Duration(h.min) }

// Mean is the exact average.
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.sum / h.n)
}

// Merge adds o's values to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	h.n += o.n
	h.sum += o.sum
}

// Reset empties h.
func (h *Histogram) Reset() { *h = Histogram{} }

// Percentile returns the nearest-rank p-th percentile (0 < p <= 100): the
// value below or at which p% of the recorded values lie, to within the
// bucket's width; it is clamped to the exact min and max. p <= 0 gives the
// minimum.
func (h *Histogram) Percentile(p float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	if p <= 0 {
		return time.Duration(h.min)
	}
	if p >= 100 {
		return time.Duration(h.max)
	}
	rank := uint64(math.Ceil(p / 100 * float64(h.n)))
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			lo, hi := bucketRange(i)
			v := lo + (hi-lo)/2
			return time.Duration(min(max(v, h.min), h.max))
		}
	}
	return time.Duration(h.max)
}
