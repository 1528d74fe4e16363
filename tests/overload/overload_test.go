package overload

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/zonal-dev/zonal/tests/internal/zonalproc"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Overload parameters: 512 clients against a cap of 32 in-flight requests
// is 16 times what the server admits at once.
const (
	overloadClients     = 512
	overloadMaxInflight = 32
	objectSize          = 4 << 10
	// rssLimit bounds the server's peak resident memory under overload.
	rssLimit = 512 << 20
)

// clientStats is what one load client saw.
type clientStats struct {
	outcomes map[string]int  // "200 PutObject", "503 SlowDown", "error reset", ...
	admitted []time.Duration // latencies of requests the server admitted (not shed)
	shed     []time.Duration // latencies of 503 SlowDown answers
	keys     []string        // keys whose PUT was acknowledged
}

// body is the deterministic 4 KiB content of key.
func body(key string) []byte {
	b := bytes.Repeat([]byte(key+"|"), objectSize/(len(key)+1)+1)
	return b[:objectSize]
}

// classify names a transport error.
func classify(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "error reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "error eof"
	case errors.As(err, &ne) && ne.Timeout():
		return "error timeout"
	}
	msg := err.Error()
	if len(msg) > 60 {
		msg = msg[len(msg)-60:]
	}
	return "error other: " + msg
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[min(len(d)-1, int(float64(len(d))*p))]
}

// loadResult sums up one load phase.
type loadResult struct {
	elapsed  time.Duration
	outcomes map[string]int
	admitted []time.Duration // sorted
	shedLat  []time.Duration // sorted
	keys     []string        // acknowledged PUTs
	total    int             // requests counted
	shed     int             // 503 SlowDown
	errs     int             // transport errors
	peakRSS  int64           // sampled every 100 ms
	cpu      float64         // server CPU seconds used
}

// runLoad runs clients that each PUT a new 4 KiB object or GET one of the
// objects it stored (half and half), retrying at once on 503, for dur.
func runLoad(srv *zonalproc.Server, hc *http.Client, clients int, dur time.Duration, prefix string) *loadResult {
	ctx, cancel := context.WithTimeout(context.Background(), dur)
	defer cancel()
	res := &loadResult{outcomes: map[string]int{}}
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			res.peakRSS = max(res.peakRSS, srv.ProcStatus("VmRSS"))
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	stats := make([]*clientStats, clients)
	var wg sync.WaitGroup
	cpu0 := srv.CPUSeconds()
	start := time.Now()
	for c := range clients {
		st := &clientStats{outcomes: map[string]int{}}
		stats[c] = st
		wg.Add(1)
		go func() {
			defer wg.Done()
			sg := signer()
			rng := rand.New(rand.NewPCG(uint64(c), 7))
			seq := 0
			for ctx.Err() == nil {
				var method, key, op string
				var payload []byte
				if len(st.keys) == 0 || rng.IntN(2) == 0 {
					method, op = "PUT", "PutObject"
					key = fmt.Sprintf("%s/c%03d/%06d", prefix, c, seq)
					seq++
					payload = body(key)
				} else {
					method, op = "GET", "GetObject"
					key = st.keys[rng.IntN(len(st.keys))]
				}
				t0 := time.Now()
				resp, err := hc.Do(zonalproc.NewRequest(ctx, sg, method, srv.Endpoint+"/"+bucket+"/"+key, payload))
				var b []byte
				if err == nil {
					b, err = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				el := time.Since(t0)
				if ctx.Err() != nil {
					return // cut by the end of the run: not counted
				}
				if err != nil {
					st.outcomes[classify(err)]++
					continue
				}
				switch {
				case resp.StatusCode == http.StatusServiceUnavailable:
					st.outcomes["503 "+zonalproc.ErrorCode(b)]++
					st.shed = append(st.shed, el)
				case resp.StatusCode == http.StatusOK:
					st.outcomes["200 "+op]++
					st.admitted = append(st.admitted, el)
					if method == "PUT" {
						st.keys = append(st.keys, key)
					} else if !bytes.Equal(b, body(key)) {
						st.outcomes["GET wrong body"]++
					}
				default:
					st.outcomes[fmt.Sprintf("%d %s %s", resp.StatusCode, op, zonalproc.ErrorCode(b))]++
					st.admitted = append(st.admitted, el)
				}
			}
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.cpu = srv.CPUSeconds() - cpu0
	<-sampled
	for _, st := range stats {
		for k, v := range st.outcomes {
			res.outcomes[k] += v
			res.total += v
			if strings.HasPrefix(k, "error ") {
				res.errs += v
			}
		}
		res.admitted = append(res.admitted, st.admitted...)
		res.shedLat = append(res.shedLat, st.shed...)
		res.keys = append(res.keys, st.keys...)
	}
	res.shed = res.outcomes["503 SlowDown"]
	sort.Slice(res.admitted, func(i, j int) bool { return res.admitted[i] < res.admitted[j] })
	sort.Slice(res.shedLat, func(i, j int) bool { return res.shedLat[i] < res.shedLat[j] })
	return res
}

// report logs a phase's figures.
func (r *loadResult) report(t *testing.T, name string, clients int) {
	t.Logf("%s: %d clients, %v: %d requests (%.0f/s); admitted %d (%.0f ops/s), shed %d (%.1f%%), connection errors %d",
		name, clients, r.elapsed.Round(time.Millisecond), r.total, float64(r.total)/r.elapsed.Seconds(),
		len(r.admitted), float64(len(r.admitted))/r.elapsed.Seconds(),
		r.shed, 100*float64(r.shed)/float64(max(r.total, 1)), r.errs)
	t.Logf("  server CPU %.2f cores (of %d); admitted latency p50 %v p99 %v max %v; 503 latency p50 %v p99 %v; peak RSS sampled %d MiB",
		r.cpu/r.elapsed.Seconds(), runtime.NumCPU(),
		percentile(r.admitted, .5).Round(time.Microsecond), percentile(r.admitted, .99).Round(time.Microsecond),
		percentile(r.admitted, 1).Round(time.Microsecond),
		percentile(r.shedLat, .5).Round(time.Microsecond), percentile(r.shedLat, .99).Round(time.Microsecond),
		r.peakRSS>>20)
	var names []string
	for k := range r.outcomes {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		t.Logf("    %-28s %8d  %5.1f%%", k, r.outcomes[k], 100*float64(r.outcomes[k])/float64(max(r.total, 1)))
	}
}

// TestOverload measures the server at its cap (32 clients for 32
// in-flight slots, 3 s), then drives it with 512 clients (16 times the
// cap) for 10 s, and checks how it copes.
func TestOverload(t *testing.T) {
	dur := 10 * time.Second
	if v, err := strconv.Atoi(os.Getenv("ZONAL_OVERLOAD_SECONDS")); err == nil && v > 0 {
		dur = time.Duration(v) * time.Second
	}
	srv := startServer(t, "--max-inflight", strconv.Itoa(overloadMaxInflight), "--access-log=false")
	srv.CreateBucket(t, bucket)
	baseRSS := srv.ProcStatus("VmRSS")
	tr := &http.Transport{Proxy: nil, MaxIdleConns: overloadClients, MaxIdleConnsPerHost: overloadClients,
		IdleConnTimeout: time.Minute, DisableCompression: true}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}

	base := runLoad(srv, hc, overloadMaxInflight, 3*time.Second, "base")
	base.report(t, "at the cap", overloadMaxInflight)
	res := runLoad(srv, hc, overloadClients, dur, "over")
	res.report(t, "overload", overloadClients)
	hwm := srv.ProcStatus("VmHWM")
	t.Logf("  server RSS: idle %d MiB, VmHWM %d MiB (limit %d MiB)", baseRSS>>20, hwm>>20, rssLimit>>20)
	outcomes, shed, errs, total, admitted := res.outcomes, res.shed, res.errs, res.total, res.admitted
	keys := append(base.keys, res.keys...)

	if !srv.Alive() {
		t.Fatalf("the server died under load:\n%s", srv.LogTail(40))
	}
	if resp, err := http.Get(srv.Endpoint + "/_zonal/health"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("health after the load: %v %v", resp, err)
	}
	for k, v := range outcomes {
		if strings.HasPrefix(k, "5") && k != "503 SlowDown" {
			t.Errorf("%d responses %q: only 503 SlowDown is acceptable", v, k)
		}
		if k == "GET wrong body" {
			t.Errorf("%d GETs returned the wrong content", v)
		}
	}
	for k, v := range base.outcomes {
		if k != "200 PutObject" && k != "200 GetObject" && k != "503 SlowDown" {
			t.Errorf("at the cap: %d outcomes %q", v, k)
		}
	}
	if shed == 0 || len(admitted) == 0 {
		t.Errorf("admitted %d, shed %d: the run did not overload the server", len(admitted), shed)
	}
	if errs > total/100 {
		t.Errorf("%d connection errors out of %d requests (more than 1%%)", errs, total)
	}
	if hwm > rssLimit {
		t.Errorf("peak RSS %d MiB is over %d MiB", hwm>>20, rssLimit>>20)
	}
	if got := metric(t, srv, "zonal_requests_shed_total"); got < float64(shed) {
		t.Errorf("zonal_requests_shed_total = %v, clients saw %d", got, shed)
	}

	// Every acknowledged PUT is readable, with its content. Handlers of
	// requests cut at the end of the run finish first.
	for deadline := time.Now().Add(10 * time.Second); metric(t, srv, "zonal_requests_in_flight") > 0 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	verifyStart := time.Now()
	var mu sync.Mutex
	bad := 0
	work := make(chan string)
	var vwg sync.WaitGroup
	for range 16 {
		vwg.Add(1)
		go func() {
			defer vwg.Done()
			sg := signer()
			for key := range work {
				var ok bool
				var err error
				for attempt := range 20 {
					var resp *http.Response
					resp, err = hc.Do(zonalproc.NewRequest(context.Background(), sg, "GET", srv.Endpoint+"/"+bucket+"/"+key, nil))
					if err != nil {
						break
					}
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode == http.StatusServiceUnavailable {
						// Requests of the load phase may still hold slots: back
						// off and retry, as an SDK does.
						time.Sleep(time.Duration(attempt+1) * 10 * time.Millisecond)
						continue
					}
					ok = resp.StatusCode == 200 && bytes.Equal(b, body(key))
					if !ok {
						err = fmt.Errorf("%d %s", resp.StatusCode, zonalproc.ErrorCode(b))
					}
					break
				}
				if !ok && err == nil {
					err = errors.New("503 SlowDown 20 times")
				}
				if !ok {
					mu.Lock()
					if bad++; bad <= 5 {
						t.Errorf("acknowledged PUT %s not readable: %v", key, err)
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, k := range keys {
		work <- k
	}
	close(work)
	vwg.Wait()
	t.Logf("  verified %d acknowledged PUTs in %v: %d unreadable", len(keys), time.Since(verifyStart).Round(time.Millisecond), bad)
}
