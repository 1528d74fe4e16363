package pebble

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/blob/fs"
	"github.com/zonal-dev/zonal/internal/catalog"
)

// benchParallel runs op from about `writers` goroutines (op gets the
// goroutine number and its own op count) and reports throughput and the
// median and 99th percentile latency.
func benchParallel(b *testing.B, writers int, op func(g, i int) error) {
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((writers + procs - 1) / procs)
	var (
		mu   sync.Mutex
		lats []time.Duration
		gid  atomic.Int64
	)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		g := int(gid.Add(1))
		local := make([]time.Duration, 0, 1024)
		for i := 0; pb.Next(); i++ {
			t0 := time.Now()
			if err := op(g, i); err != nil {
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

// benchCatalog opens a catalog on disk with one bucket. ZONAL_BENCH_VALSEP
// overrides the value separation threshold (0 turns it off) to compare.
func benchCatalog(b *testing.B, dir string) *Catalog {
	var opts []Option
	if v := os.Getenv("ZONAL_BENCH_VALSEP"); v != "" {
		n, _ := strconv.Atoi(v)
		opts = append(opts, WithValueSeparation(n))
	}
	c := openTestDir(b, dir, opts...)
	if err := c.CreateBucket(context.Background(), catalog.Bucket{Name: "bench", Owner: "o"}); err != nil {
		b.Fatal(err)
	}
	return c
}

func inlineRecord(data []byte) *catalog.Object {
	return &catalog.Object{
		Size: int64(len(data)), ETag: "d41d8cd98f00b204e9800998ecf8427e", LastModified: time.Now(),
		ContentType: "application/octet-stream", Parts: 1,
		Checksums: map[string]string{"CRC64NVME": "AAAAAAAAAAA="}, ChecksumType: "FULL_OBJECT",
		Extents: []catalog.Extent{{Inline: data}},
	}
}

// BenchmarkUpdateObjectInline: synced PUTs of 4 KiB objects held inline,
// from 32 writers on a real disk.
func BenchmarkUpdateObjectInline(b *testing.B) {
	c := benchCatalog(b, b.TempDir())
	data := make([]byte, 4<<10)
	ctx := context.Background()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	benchParallel(b, 32, func(g, i int) error {
		rec := inlineRecord(data)
		return c.UpdateObject(ctx, "bench", fmt.Sprintf("w%03d/%08d", g, i), func(*catalog.Object) (*catalog.Object, error) {
			return rec, nil
		})
	})
}

// BenchmarkInlineVsBlob compares, at 16 writers, storing an object's bytes
// in its synced catalog record with writing them to a synced blob file
// followed by a small synced record: the data behind the inline threshold.
func BenchmarkInlineVsBlob(b *testing.B) {
	ctx := context.Background()
	for _, size := range []int{4 << 10, 16 << 10, 64 << 10, 128 << 10, 256 << 10} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(i * 7)
		}
		name := fmt.Sprintf("%dK", size>>10)
		b.Run("inline/"+name, func(b *testing.B) {
			c := benchCatalog(b, filepath.Join(b.TempDir(), "meta"))
			b.SetBytes(int64(size))
			b.ReportAllocs()
			benchParallel(b, 16, func(g, i int) error {
				rec := inlineRecord(data)
				return c.UpdateObject(ctx, "bench", fmt.Sprintf("w%03d/%08d", g, i), func(*catalog.Object) (*catalog.Object, error) {
					return rec, nil
				})
			})
		})
		b.Run("blob/"+name, func(b *testing.B) {
			dir := b.TempDir()
			c := benchCatalog(b, filepath.Join(dir, "meta"))
			blobs, err := fs.Open(filepath.Join(dir, "blobs"))
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			benchParallel(b, 16, func(g, i int) error {
				w, err := blobs.Create(ctx)
				if err != nil {
					return err
				}
				if _, err := w.Write(data); err != nil {
					w.Abort()
					return err
				}
				id, err := w.Commit()
				if err != nil {
					return err
				}
				rec := inlineRecord(nil)
				rec.Size = int64(size)
				rec.Extents = []catalog.Extent{{BlobID: id, Length: int64(size)}}
				return c.UpdateObject(ctx, "bench", fmt.Sprintf("w%03d/%08d", g, i), func(*catalog.Object) (*catalog.Object, error) {
					return rec, nil
				})
			})
		})
	}
}

// BenchmarkListObjects1000 lists pages of 1,000 keys of a bucket holding
// 20,000 objects of 4 KiB kept inline, flushed to sstables: the cost of a
// ListObjectsV2 page, which reads object metadata only. Reports pages/s.
func BenchmarkListObjects1000(b *testing.B) {
	const objects, page = 20000, 1000
	c := benchCatalog(b, b.TempDir())
	ctx := context.Background()
	data := make([]byte, 4<<10)
	for i := range data {
		data[i] = byte(i * 31)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < objects; i = int(next.Add(1)) - 1 {
				rec := inlineRecord(data)
				err := c.UpdateObject(ctx, "bench", fmt.Sprintf("dir/%08d", i), func(*catalog.Object) (*catalog.Object, error) {
					return rec, nil
				})
				if err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := c.db.Flush(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; b.Loop(); i++ {
		after := ""
		if first := i * page % objects; first > 0 {
			after = fmt.Sprintf("dir/%08d", first-1)
		}
		p, err := c.ListObjects(ctx, catalog.ListQuery{Bucket: "bench", Prefix: "dir/", After: after, Limit: page})
		if err != nil {
			b.Fatal(err)
		}
		if len(p.Entries) != page {
			b.Fatalf("page of %d entries", len(p.Entries))
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "pages/s")
}

// BenchmarkGetObject reads one object record by key from a bucket of
// 10,000 objects flushed to sstables: the catalog side of a GET or HEAD.
// inline-4K objects keep their bytes in the catalog (two point reads);
// blob objects have a blob extent (one point read).
func BenchmarkGetObject(b *testing.B) {
	const objects, batch = 10000, 1000
	data := make([]byte, 4<<10)
	for i := range data {
		data[i] = byte(i * 31)
	}
	for _, tc := range []struct {
		name string
		rec  func() *catalog.Object
	}{
		{"inline-4K", func() *catalog.Object { return inlineRecord(data) }},
		{"blob", func() *catalog.Object {
			rec := inlineRecord(nil)
			rec.Size = 1 << 20
			rec.Extents = []catalog.Extent{{BlobID: "0123456789abcdef0123456789abcdef", Length: 1 << 20}}
			return rec
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			c := benchCatalog(b, b.TempDir())
			ctx := context.Background()
			keys := make([]string, objects)
			for i := range keys {
				keys[i] = fmt.Sprintf("dir/sub/object-%08d.bin", i)
			}
			// Loaded in batches of one synced commit each, to keep the
			// setup short.
			for lo := 0; lo < objects; lo += batch {
				refs := make([]catalog.ObjectRef, 0, batch)
				for _, k := range keys[lo : lo+batch] {
					refs = append(refs, catalog.ObjectRef{Bucket: "bench", Key: k})
				}
				err := c.UpdateObjects(ctx, refs, func(cur []*catalog.Object) ([]*catalog.Object, error) {
					next := make([]*catalog.Object, len(cur))
					for i := range next {
						next[i] = tc.rec()
					}
					return next, nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			if err := c.db.Flush(); err != nil {
				b.Fatal(err)
			}
			want := tc.rec().Size
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				// A stride coprime with the key count visits every key
				// in an order unrelated to the key order.
				o, err := c.GetObject(ctx, "bench", keys[i*7919%objects])
				if err != nil {
					b.Fatal(err)
				}
				if o.Size != want {
					b.Fatalf("object of %d bytes, want %d", o.Size, want)
				}
			}
		})
	}
}
