package zonaltest_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/sigv4"
	"github.com/zonal-dev/zonal/zonaltest"
)

// BenchmarkServerPut4K and BenchmarkServerGet4K measure the whole request
// path in one process (client signing included), for profiling:
//
//	go test ./zonaltest -run '^$' -bench Server -cpuprofile cpu.out
func BenchmarkServerPut4K(b *testing.B) { benchServer(b, http.MethodPut, 4<<10) }
func BenchmarkServerGet4K(b *testing.B) { benchServer(b, http.MethodGet, 4<<10) }

func benchServer(b *testing.B, method string, size int) {
	srv := zonaltest.Start(b)
	c := client(b, srv, nil)
	bucket := "bench--use1-az4--x-s3"
	createBucket(b, c, bucket)
	signer := &sigv4.Signer{AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey, Region: srv.Region, Service: "s3express"}
	body := bytes.Repeat([]byte("z"), size)
	hash := sigv4.HashPayload(body)
	tr := &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}
	hc := &http.Client{Transport: tr}
	do := func(method, key string) error {
		var rd io.Reader
		ph := sigv4.EmptySHA256
		if method == http.MethodPut {
			rd, ph = bytes.NewReader(body), hash
		}
		req, _ := http.NewRequestWithContext(context.Background(), method, srv.Endpoint+"/"+bucket+"/"+key, rd)
		signer.Sign(req, ph, time.Now())
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("%s %s: %s", method, key, resp.Status)
		}
		return nil
	}
	for i := 0; i < 64; i++ {
		if err := do(http.MethodPut, fmt.Sprintf("k%d", i)); err != nil {
			b.Fatal(err)
		}
	}
	var n atomic.Int64
	b.SetBytes(int64(size))
	b.SetParallelism(8)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			if err := do(method, fmt.Sprintf("k%d", i%64)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
