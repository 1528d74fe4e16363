package fs

import (
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

// benchCommit writes and commits blobs of size bytes from 32 writers on a
// real disk, reporting throughput and median and 99th percentile latency.
func benchCommit(b *testing.B, size int) {
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i * 7)
	}
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((32 + procs - 1) / procs)
	b.SetBytes(int64(size))
	var (
		mu   sync.Mutex
		lats []time.Duration
	)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var local []time.Duration
		for pb.Next() {
			t0 := time.Now()
			w, err := s.Create(ctx)
			if err != nil {
				b.Error(err)
				return
			}
			w.Write(data)
			if _, err := w.Commit(); err != nil {
				b.Error(err)
				return
			}
			local = append(local, time.Since(t0))
		}
		mu.Lock()
		lats = append(lats, local...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if len(lats) == 0 {
		return
	}
	slices.Sort(lats)
	b.ReportMetric(float64(len(lats))/elapsed.Seconds(), "ops/s")
	b.ReportMetric(float64(lats[len(lats)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lats[len(lats)*99/100].Microseconds())/1000, "p99-ms")
}

func BenchmarkBlobCommit4K(b *testing.B)  { benchCommit(b, 4<<10) }
func BenchmarkBlobCommit64K(b *testing.B) { benchCommit(b, 64<<10) }
func BenchmarkBlobCommit1M(b *testing.B)  { benchCommit(b, 1<<20) }
