package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

type writeAttempt struct {
	sha   string
	size  int
	acked bool
}

// hotKey is a key that one writer overwrites again and again: after a crash
// it must hold the last acknowledged version or the one write in flight.
type hotKey struct {
	acked    *writeAttempt // last acknowledged (or observed durable) version; nil = never
	inflight *writeAttempt // started, not acknowledged
}

// TestDurabilityKill9 writes from 16 goroutines, kill -9s the server while
// writes are in flight, restarts it on the same data dir and checks that
// every acknowledged object is intact and no unacknowledged one is partial.
// Three kill/restart cycles. Not parallel: it wants the machine to itself.
func TestDurabilityKill9(t *testing.T) {
	testStart := time.Now()
	srv := startServer(t, serverOpts{Name: "durability"})
	setup, _ := newClient(t, srv)
	bucket := mustCreateBucket(t, setup, "durable")

	var mu sync.Mutex
	attempts := map[string]*writeAttempt{} // new keys
	hot := map[string]*hotKey{}            // overwritten keys
	sizes := []int{1 << 10, 100 << 10, 2 << 20}
	const writers = 16
	const cycles = 3

	for cycle := 0; cycle < cycles; cycle++ {
		if time.Since(testStart) > 45*time.Second {
			t.Errorf("durability test over budget after %d cycles (%v); stopping", cycle, time.Since(testStart))
			break
		}
		// One writer client per cycle, no retries: an error means not acknowledged.
		wc, _ := newClient(t, srv, func(o *s3.Options) { o.Retryer = aws.NopRetryer{} })
		if _, err := wc.HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err != nil {
			t.Fatalf("cycle %d: HeadBucket before writing: %s", cycle, describeErr(err))
		}

		stop := make(chan struct{})
		var killTime time.Time
		var killMu sync.Mutex
		var preKillErrs []string
		var wg sync.WaitGroup
		ackedThisCycle := 0
		for g := 0; g < writers; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				rng := mrand.New(mrand.NewPCG(uint64(cycle*1000+g), uint64(time.Now().UnixNano())))
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					var size int
					switch p := rng.IntN(100); {
					case p < 45:
						size = sizes[0]
					case p < 90:
						size = sizes[1]
					default:
						size = sizes[2]
					}
					data := randBytes(size)
					a := &writeAttempt{sha: sha(data), size: size}
					var key string
					var hk *hotKey
					if g%4 == 3 { // a quarter of the writers overwrite their own 4 keys
						key = fmt.Sprintf("hot/w%02d/%d", g, i%4)
						mu.Lock()
						if hot[key] == nil {
							hot[key] = &hotKey{}
						}
						hk = hot[key]
						hk.inflight = a
						mu.Unlock()
					} else {
						key = fmt.Sprintf("c%d/w%02d/%05d", cycle, g, i)
						mu.Lock()
						attempts[key] = a
						mu.Unlock()
					}
					ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
					_, err := wc.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data)})
					cancel()
					if err == nil {
						mu.Lock()
						a.acked = true
						ackedThisCycle++
						if hk != nil {
							hk.acked, hk.inflight = a, nil
						}
						mu.Unlock()
						continue
					}
					killMu.Lock()
					killed := !killTime.IsZero()
					if !killed && len(preKillErrs) < 10 {
						preKillErrs = append(preKillErrs, fmt.Sprintf("%s (%d bytes): %s", key, size, describeErr(err)))
					}
					killMu.Unlock()
					if killed {
						return
					}
				}
			}(g)
		}

		time.Sleep(2 * time.Second)
		killMu.Lock()
		killTime = time.Now()
		killMu.Unlock()
		srv.Kill()
		close(stop)
		wg.Wait()

		mu.Lock()
		inFlight := 0
		for k, a := range attempts {
			if strings.HasPrefix(k, fmt.Sprintf("c%d/", cycle)) && !a.acked {
				inFlight++
			}
		}
		acked := ackedThisCycle
		mu.Unlock()
		t.Logf("cycle %d: %d writes acknowledged, %d unacknowledged (in flight at kill)", cycle, acked, inFlight)
		if len(preKillErrs) > 0 {
			t.Errorf("cycle %d: PutObject failed before the kill:\n  %s", cycle, strings.Join(preKillErrs, "\n  "))
		}
		if acked == 0 {
			t.Errorf("cycle %d: no write was acknowledged in 2 s", cycle)
		}

		if err := srv.Restart(); err != nil {
			t.Fatalf("cycle %d: restart after kill -9: %v", cycle, err)
		}

		// A session issued before the crash must stay valid until its expiry (P12).
		if _, err := wc.HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err != nil {
			t.Errorf("cycle %d: session obtained before the restart is refused after it: %s", cycle, describeErr(err))
		}

		verifyDurable(t, srv, bucket, cycle, &mu, attempts, hot)
		if t.Failed() {
			t.Logf("stopping after cycle %d because of failures", cycle)
			break
		}
	}
	t.Logf("durability test took %v", time.Since(testStart))
}

func verifyDurable(t *testing.T, srv *zonalServer, bucket string, cycle int, mu *sync.Mutex, attempts map[string]*writeAttempt, hot map[string]*hotKey) {
	t.Helper()
	vc, _ := newClient(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()

	mu.Lock()
	keys := make([]string, 0, len(attempts))
	for k := range attempts {
		keys = append(keys, k)
	}
	mu.Unlock()
	sort.Strings(keys)

	jobs := make(chan string)
	var rmu sync.Mutex
	var problems []string
	lost, partial, presentUnacked := 0, 0, 0
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range jobs {
				a := attempts[k]
				out, err := vc.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)})
				var prob string
				if err != nil {
					ei := inspectErr(err)
					if ei.Code == "NoSuchKey" && ei.Status == 404 {
						if a.acked {
							prob = fmt.Sprintf("LOST acknowledged object %s (%d bytes): NoSuchKey", k, a.size)
							rmu.Lock()
							lost++
							rmu.Unlock()
						}
					} else {
						prob = fmt.Sprintf("GetObject %s: %s", k, describeErr(err))
					}
				} else {
					data, rerr := io.ReadAll(out.Body)
					out.Body.Close()
					switch {
					case rerr != nil:
						prob = fmt.Sprintf("GetObject %s: reading body: %v", k, rerr)
					case len(data) != a.size || sha(data) != a.sha:
						prob = fmt.Sprintf("CORRUPT/PARTIAL %s (acked=%v): want %d bytes sha %s…, got %d bytes sha %s…", k, a.acked, a.size, a.sha[:12], len(data), sha(data)[:12])
						rmu.Lock()
						partial++
						rmu.Unlock()
					case !a.acked:
						rmu.Lock()
						presentUnacked++
						rmu.Unlock()
					}
				}
				if prob != "" {
					rmu.Lock()
					problems = append(problems, prob)
					rmu.Unlock()
				}
			}
		}()
	}
	for _, k := range keys {
		jobs <- k
	}
	close(jobs)
	wg.Wait()

	// Overwritten keys: the last acknowledged version or the in-flight one, never a mix.
	hotNames := make([]string, 0, len(hot))
	for k := range hot {
		hotNames = append(hotNames, k)
	}
	sort.Strings(hotNames)
	hotOld, hotNew := 0, 0
	for _, k := range hotNames {
		h := hot[k]
		out, err := vc.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)})
		if err != nil {
			ei := inspectErr(err)
			switch {
			case ei.Code == "NoSuchKey" && h.acked == nil:
			case ei.Code == "NoSuchKey":
				problems = append(problems, fmt.Sprintf("LOST overwritten key %s: NoSuchKey, but a version was acknowledged", k))
			default:
				problems = append(problems, fmt.Sprintf("GetObject %s: %s", k, describeErr(err)))
			}
			continue
		}
		data, rerr := io.ReadAll(out.Body)
		out.Body.Close()
		if rerr != nil {
			problems = append(problems, fmt.Sprintf("GetObject %s: reading body: %v", k, rerr))
			continue
		}
		got := sha(data)
		switch {
		case h.acked != nil && got == h.acked.sha:
			hotOld++
		case h.inflight != nil && got == h.inflight.sha:
			hotNew++
			h.acked = h.inflight // that version is now the durable one
		default:
			problems = append(problems, fmt.Sprintf("CORRUPT overwritten key %s: %d bytes sha %s… is neither the acknowledged nor the in-flight version", k, len(data), got[:12]))
		}
		h.inflight = nil
	}
	t.Logf("cycle %d verify: %d overwritten keys: %d hold the last acknowledged version, %d the in-flight one", cycle, len(hotNames), hotOld, hotNew)

	// The listing agrees: every acknowledged key is listed, nothing unknown is.
	listed := map[string]int64{}
	p := s3.NewListObjectsV2Paginator(vc, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			problems = append(problems, "ListObjectsV2: "+describeErr(err))
			break
		}
		for _, o := range page.Contents {
			listed[aws.ToString(o.Key)] = aws.ToInt64(o.Size)
		}
	}
	for _, k := range keys {
		a := attempts[k]
		sz, ok := listed[k]
		if a.acked && !ok {
			problems = append(problems, fmt.Sprintf("acknowledged %s missing from ListObjectsV2", k))
		}
		if ok && sz != int64(a.size) {
			problems = append(problems, fmt.Sprintf("ListObjectsV2 size of %s: %d, want %d", k, sz, a.size))
		}
	}
	for _, k := range hotNames {
		if _, ok := listed[k]; hot[k].acked != nil && !ok {
			problems = append(problems, fmt.Sprintf("overwritten key %s missing from ListObjectsV2", k))
		}
	}
	for k := range listed {
		if _, ok := hot[k]; ok {
			continue
		}
		if _, ok := attempts[k]; !ok {
			problems = append(problems, fmt.Sprintf("ListObjectsV2 shows unknown key %s", k))
		}
	}

	sort.Strings(problems)
	t.Logf("cycle %d verify: %d keys checked, %d unacknowledged writes present (complete), %d lost, %d corrupt/partial", cycle, len(keys), presentUnacked, lost, partial)
	if len(problems) > 0 {
		if len(problems) > 25 {
			problems = append(problems[:25], fmt.Sprintf("... and %d more", len(problems)-25))
		}
		t.Errorf("cycle %d: durability violations after kill -9 + restart:\n  %s", cycle, strings.Join(problems, "\n  "))
	}
}
