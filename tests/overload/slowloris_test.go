package overload

import (
	"bytes"
	"context"
	"fmt"
	"github.com/zonal-dev/zonal/tests/internal/zonalproc"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/sigv4"
)

// rawHeader is the HTTP/1.1 header block of a signed PUT declaring a body
// of length bytes (unsigned payload).
func rawHeader(addr, key string, length int) []byte {
	req, _ := http.NewRequest("PUT", "http://"+addr+"/"+bucket+"/"+key, nil)
	req.Header.Set("Content-Length", strconv.Itoa(length))
	signer().Sign(req, sigv4.UnsignedPayload, time.Now())
	var b bytes.Buffer
	fmt.Fprintf(&b, "PUT %s HTTP/1.1\r\nHost: %s\r\n", req.URL.RequestURI(), addr)
	req.Header.Write(&b)
	b.WriteString("\r\n")
	return b.Bytes()
}

// attack is one slow connection's outcome.
type attack struct {
	kind     string
	closedIn time.Duration // until the server closed the connection (0: never)
	status   string        // first response line, if any
}

// TestSlowloris opens 200 connections that send headers a byte at a time,
// stall their body, or trickle it below the minimum rate, while a normal
// client keeps storing and reading objects. Every slow connection must be
// closed by the server within its timeout (plus slack) and the normal
// client must not see a single failure.
func TestSlowloris(t *testing.T) {
	const timeout = 2 * time.Second
	srv := startServer(t, "--read-header-timeout", "2s", "--body-idle-timeout", "2s", "--body-min-rate", "500",
		"--write-idle-timeout", "2s", "--idle-timeout", "5s", "--access-log=false")
	srv.CreateBucket(t, bucket)
	baseGoroutines := metric(t, srv, "go_goroutines")

	kinds := []struct {
		name  string
		count int
		first func(i int) []byte // sent on connect
		drip  []byte             // sent every 300 ms (nil: nothing)
	}{
		{"slow headers", 70, func(i int) []byte {
			return []byte(fmt.Sprintf("PUT /%s/slow-%d HTTP/1.1\r\nHost: %s\r\nX-Slow: ", bucket, i, srv.Addr))
		}, []byte("a")},
		{"stalled body", 70, func(i int) []byte { return append(rawHeader(srv.Addr, fmt.Sprintf("stalled-%d", i), 1<<20), 'x') }, nil},
		{"trickled body", 60, func(i int) []byte { return rawHeader(srv.Addr, fmt.Sprintf("trickle-%d", i), 1<<20) }, []byte("y")},
	}
	var (
		mu      sync.Mutex
		results []attack
		wg      sync.WaitGroup
	)
	open := make(chan struct{}, 200)
	attackStart := time.Now()
	for _, k := range kinds {
		for i := range k.count {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res := attack{kind: k.name}
				defer func() {
					mu.Lock()
					results = append(results, res)
					mu.Unlock()
				}()
				conn, err := net.Dial("tcp", srv.Addr)
				if err != nil {
					res.status = "dial: " + err.Error()
					open <- struct{}{}
					return
				}
				defer conn.Close()
				start := time.Now()
				conn.Write(k.first(i))
				open <- struct{}{}
				closed := make(chan string, 1)
				go func() {
					b, _ := io.ReadAll(io.LimitReader(conn, 4096)) // until the server closes
					line, _, _ := strings.Cut(string(b), "\r\n")
					if _, rest, ok := bytes.Cut(b, []byte("<Code>")); ok {
						code, _, _ := bytes.Cut(rest, []byte("</Code>"))
						line += " " + string(code)
					}
					closed <- line
				}()
				tick := time.NewTicker(300 * time.Millisecond)
				defer tick.Stop()
				giveUp := time.After(20 * time.Second)
				for {
					select {
					case line := <-closed:
						res.closedIn, res.status = time.Since(start), line
						return
					case <-tick.C:
						if k.drip != nil {
							conn.Write(k.drip)
						}
					case <-giveUp:
						res.status = "still open after 20 s"
						return
					}
				}
			}()
		}
	}
	for range 200 {
		<-open
	}
	t.Logf("slowloris: 200 slow connections open after %v", time.Since(attackStart).Round(time.Millisecond))

	// The normal client: a PUT and a GET every 50 ms while the attack lasts
	// (at least 3 s).
	attackDone := make(chan struct{})
	go func() { wg.Wait(); close(attackDone) }()
	hc := &http.Client{Timeout: 10 * time.Second}
	sg := signer()
	var lat []time.Duration
	var failures []string
	normalStart := time.Now()
	for n := 0; ; n++ {
		select {
		case <-attackDone:
			if time.Since(normalStart) >= 3*time.Second {
				goto done
			}
		default:
		}
		key := fmt.Sprintf("normal/%04d", n)
		for _, method := range []string{"PUT", "GET"} {
			var payload []byte
			if method == "PUT" {
				payload = body(key)
			}
			t0 := time.Now()
			resp, err := hc.Do(zonalproc.NewRequest(context.Background(), sg, method, srv.Endpoint+"/"+bucket+"/"+key, payload))
			if err != nil {
				failures = append(failures, fmt.Sprintf("%s %s: %v", method, key, err))
				continue
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			lat = append(lat, time.Since(t0))
			if resp.StatusCode != 200 || (method == "GET" && !bytes.Equal(b, body(key))) {
				failures = append(failures, fmt.Sprintf("%s %s: %d %s", method, key, resp.StatusCode, zonalproc.ErrorCode(b)))
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
done:
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	t.Logf("  normal client during the attack: %d requests, %d failed, latency p50 %v p99 %v max %v",
		len(lat)+len(failures), len(failures), percentile(lat, .5).Round(time.Microsecond),
		percentile(lat, .99).Round(time.Microsecond), percentile(lat, 1).Round(time.Microsecond))
	for i, f := range failures {
		if i < 5 {
			t.Errorf("normal client: %s", f)
		}
	}

	byKind := map[string][]attack{}
	for _, r := range results {
		byKind[r.kind] = append(byKind[r.kind], r)
	}
	for _, k := range kinds {
		rs := byKind[k.name]
		sort.Slice(rs, func(i, j int) bool { return rs[i].closedIn < rs[j].closedIn })
		statuses := map[string]int{}
		for _, r := range rs {
			statuses[r.status]++
			// The header and idle deadlines are exact; the minimum rate is
			// judged after a window of waiting (the idle timeout), and every
			// deadline may fire up to an eighth early.
			if r.closedIn == 0 || r.closedIn > timeout+3*time.Second {
				t.Errorf("%s connection: closed after %v (%q), want about %v", k.name, r.closedIn, r.status, timeout)
			}
			if r.closedIn > 0 && r.closedIn < timeout*7/8-100*time.Millisecond {
				t.Errorf("%s connection: closed after %v, before the timeout", k.name, r.closedIn)
			}
			if k.name != "slow headers" && !strings.Contains(r.status, "400") {
				t.Errorf("%s connection: got %q, want 400 RequestTimeout", k.name, r.status)
			}
		}
		if len(rs) != k.count {
			t.Errorf("%s: %d results for %d connections", k.name, len(rs), k.count)
			continue
		}
		t.Logf("  %-13s x%d: closed by the server after %v .. %v; answers %v", k.name, k.count,
			rs[0].closedIn.Round(time.Millisecond), rs[len(rs)-1].closedIn.Round(time.Millisecond), statuses)
	}

	if !srv.Alive() {
		t.Fatalf("the server died:\n%s", srv.LogTail(40))
	}
	// Nothing is left holding server resources.
	waitUntil := time.Now().Add(5 * time.Second)
	for metric(t, srv, "zonal_requests_in_flight") != 0 && time.Now().Before(waitUntil) {
		time.Sleep(100 * time.Millisecond)
	}
	if v := metric(t, srv, "zonal_requests_in_flight"); v != 0 {
		t.Errorf("%v requests still in flight after the attack", v)
	}
	g := metric(t, srv, "go_goroutines")
	for g > baseGoroutines+20 && time.Now().Before(waitUntil) {
		time.Sleep(100 * time.Millisecond)
		g = metric(t, srv, "go_goroutines")
	}
	t.Logf("  server goroutines: %v before, %v after; VmHWM %d MiB", baseGoroutines, g, srv.ProcStatus("VmHWM")>>20)
	if g > baseGoroutines+20 {
		t.Errorf("%v goroutines after the attack, %v before", g, baseGoroutines)
	}
}
