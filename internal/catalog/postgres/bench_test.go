package postgres

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// Catalog-level benchmarks of the hot paths, one client (c1) and sixteen
// (c16), on the harness's server (fsync on, same machine).

// clients runs op b.N times from exactly conc goroutines (RunParallel
// would start a multiple of GOMAXPROCS).
func clients(b *testing.B, conc int, op func(i int64) error) {
	var n atomic.Int64
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := n.Add(1)
				if i > int64(b.N) {
					return
				}
				if err := op(i); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func benchObject(i int64) *catalog.Object {
	data := make([]byte, 4096)
	return &catalog.Object{Key: "k", Size: 4096, ETag: fmt.Sprint(i), Parts: 1, Extents: []catalog.Extent{{Inline: data}}}
}

func BenchmarkUpdateObjectInline4K(b *testing.B) {
	for _, conc := range []int{1, 16} {
		b.Run(fmt.Sprintf("c%d", conc), func(b *testing.B) {
			c := openTest(b)
			ctx := context.Background()
			if err := c.CreateBucket(ctx, catalog.Bucket{Name: "b", Owner: "o"}); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			clients(b, conc, func(i int64) error {
				return c.UpdateObject(ctx, "b", fmt.Sprintf("k%d", i), func(*catalog.Object) (*catalog.Object, error) {
					return benchObject(i), nil
				})
			})
		})
	}
}

func BenchmarkGetObjectInline4K(b *testing.B) {
	for _, conc := range []int{1, 16} {
		b.Run(fmt.Sprintf("c%d", conc), func(b *testing.B) {
			c := openTest(b)
			ctx := context.Background()
			if err := c.CreateBucket(ctx, catalog.Bucket{Name: "b", Owner: "o"}); err != nil {
				b.Fatal(err)
			}
			for i := range 100 {
				key := fmt.Sprintf("k%d", i)
				if err := c.UpdateObject(ctx, "b", key, func(*catalog.Object) (*catalog.Object, error) {
					return benchObject(int64(i)), nil
				}); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			clients(b, conc, func(i int64) error {
				_, err := c.GetObject(ctx, "b", fmt.Sprintf("k%d", i%100))
				return err
			})
		})
	}
}

// BenchmarkMultipart is one whole multipart upload of four blob parts:
// CreateUpload, four PutPart, CompleteUpload (six transactions).
func BenchmarkMultipart(b *testing.B) {
	c := openTest(b)
	ctx := context.Background()
	if err := c.CreateBucket(ctx, catalog.Bucket{Name: "b", Owner: "o"}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		id := fmt.Sprint("u", i)
		if err := c.CreateUpload(ctx, catalog.Upload{Bucket: "b", Key: "k", ID: id}); err != nil {
			b.Fatal(err)
		}
		for n := 1; n <= 4; n++ {
			p := catalog.Part{Number: n, Size: 1 << 20, ETag: "e", Extents: []catalog.Extent{{BlobID: fmt.Sprint(id, "-", n), Length: 1 << 20}}}
			if err := c.PutPart(ctx, "b", "k", id, p); err != nil {
				b.Fatal(err)
			}
		}
		err := c.CompleteUpload(ctx, "b", "k", id, func(_ *catalog.Upload, parts []catalog.Part, _ *catalog.Object) (*catalog.Object, error) {
			o := &catalog.Object{Key: "k", Size: 4 << 20, ETag: id, Parts: len(parts)}
			for _, p := range parts {
				o.Extents = append(o.Extents, p.Extents...)
			}
			return o, nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
