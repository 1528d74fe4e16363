package bench

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// nearestRank is the reference percentile: the smallest sample with at
// least p% of the samples at or below it.
func nearestRank(sorted []int64, p float64) int64 {
	r := int(math.Ceil(p / 100 * float64(len(sorted))))
	if r < 1 {
		r = 1
	}
	return sorted[r-1]
}

func TestHistogramPercentiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	dists := map[string]func() int64{
		"uniform-us":   func() int64 { return rng.Int64N(1_000_000) },
		"exp-300us":    func() int64 { return int64(rng.ExpFloat64() * 300e3) },
		"lognormal":    func() int64 { return int64(math.Exp(rng.NormFloat64()*1.5 + 13)) },
		"small-exact":  func() int64 { return rng.Int64N(300) },
		"bimodal-tail": func() int64 { return []int64{200e3, 40e6}[rng.IntN(100)/99] + rng.Int64N(1000) },
		"huge":         func() int64 { return rng.Int64N(int64(time.Hour)) },
	}
	for name, gen := range dists {
		t.Run(name, func(t *testing.T) {
			for _, n := range []int{1, 2, 10, 999, 100_000} {
				var h Histogram
				vals := make([]int64, n)
				for i := range vals {
					vals[i] = gen()
					h.Record(time.Duration(vals[i]))
				}
				slices.Sort(vals)
				if h.Count() != uint64(n) {
					t.Fatalf("count %d, want %d", h.Count(), n)
				}
				if h.Max() != time.Duration(vals[n-1]) || h.Min() != time.Duration(vals[0]) {
					t.Fatalf("min/max %v/%v, want %v/%v", h.Min(), h.Max(), vals[0], vals[n-1])
				}
				for _, p := range []float64{0.1, 1, 25, 50, 90, 99, 99.9, 99.99, 100} {
					want := nearestRank(vals, p)
					got := int64(h.Percentile(p))
					// Buckets are at most 1/128 of their values wide; values
					// beyond the tracked range share the last bucket.
					tol := want/128 + 1
					if want >= 1<<(subBits+maxShift) {
						tol = want
					}
					if d := got - want; d > tol || d < -tol {
						t.Errorf("n=%d p%v = %d, want %d ±%d", n, p, got, want, tol)
					}
				}
			}
		})
	}
}

func TestHistogramMergeAndMean(t *testing.T) {
	var a, b, all Histogram
	for i := int64(1); i <= 10_000; i++ {
		d := time.Duration(i * 997)
		all.Record(d)
		if i%3 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
	}
	var m Histogram
	m.Merge(&a)
	m.Merge(&b)
	m.Merge(&Histogram{})
	if m != all {
		t.Fatal("merge of parts differs from the whole")
	}
	if want := time.Duration(997 * 10_001 / 2); m.Mean() != want {
		t.Fatalf("mean %v, want %v", m.Mean(), want)
	}
	m.Reset()
	if m.Count() != 0 || m.Percentile(50) != 0 {
		t.Fatal("reset histogram not empty")
	}
}

func TestHistogramBuckets(t *testing.T) {
	// Every value lies inside the range of its bucket, and indexes grow
	// with values.
	prev := -1
	for _, v := range []int64{0, 1, 255, 256, 257, 511, 512, 1000, 1 << 20, 1<<30 + 12345, 1<<41 - 1, 1 << 41, math.MaxInt64} {
		i := bucketOf(v)
		if i < prev || i >= histBuckets {
			t.Fatalf("bucketOf(%d) = %d after %d", v, i, prev)
		}
		prev = i
		lo, hi := bucketRange(i)
		if i < histBuckets-1 && (v < lo || v > hi) {
			t.Fatalf("%d not in bucket %d [%d, %d]", v, i, lo, hi)
		}
	}
	for i := 1; i < histBuckets; i++ {
		_, hiPrev := bucketRange(i - 1)
		lo, _ := bucketRange(i)
		if lo != hiPrev+1 {
			t.Fatalf("bucket %d starts at %d, previous ends at %d", i, lo, hiPrev)
		}
	}
}

func TestHistogramRecordDoesNotAllocate(t *testing.T) {
	var h Histogram
	n := testing.AllocsPerRun(1000, func() { h.Record(1234567) })
	if n != 0 {
		t.Fatalf("Record allocates %v times", n)
	}
}

func BenchmarkHistogramRecord(b *testing.B) {
	var h Histogram
	d := time.Duration(0)
	for b.Loop() {
		d += 997
		h.Record(d & (1<<30 - 1))
	}
}
