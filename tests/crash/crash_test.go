package crash

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Knobs (environment variables):
//
//	ZONAL_CRASH_CYCLES  kill/restart cycles (default 4, 2 with -short); 50 for a long run
//	ZONAL_CRASH_SEED    seed of the load and the kill moments (default: the clock; logged)
//	ZONAL_CRASH_WORKERS concurrent workers (default 6)
const (
	defaultCycles  = 4
	defaultWorkers = 6
	keysPerWorker  = 8
	killMin        = 300 * time.Millisecond
	killMax        = 1500 * time.Millisecond
	cleanLoad      = 700 * time.Millisecond // the last stretch of load, ended by a graceful stop
	ciBudget       = 110 * time.Second      // the default run must stay under two minutes
)

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// TestCrashConsistency runs the built zonal binary under a mixed concurrent
// load — PutObject small (inline) and large (blob), multipart uploads (a
// 5 MiB part and a tail, FULL_OBJECT or COMPOSITE CRC32, some completed
// with If-None-Match: *), appends (WriteOffsetBytes), RenameObject,
// DeleteObject, conditional writes (If-None-Match: *, If-Match with the
// current and with a stale ETag) — from workers that each own a set of
// keys, so the model of every key is exact. It kills the server with
// SIGKILL at a random moment 0.3–1.5 s into the load, restarts it on the
// same data folder and checks:
//
//   - every acknowledged write is present byte for byte (SHA-256 of a GET);
//   - every acknowledged delete or rename-away is absent;
//   - the keys of the operation each worker had in flight are all in their
//     before or all in their after state: never torn, never half a rename;
//   - every stored checksum verifies: the SDK validates FULL_OBJECT ones
//     (checksum mode on) and the test compares both kinds with its own;
//   - ListObjectsV2 shows exactly the present keys, with their sizes;
//   - conditional writes the model says must fail get 412 and change
//     nothing.
//
// After the last cycle a stretch of load ends with a graceful stop, and the
// data folder is checked offline (offlineCheck): references and blob
// files agree, and the store's own orphan sweeper, run with its grace
// period elapsed, leaves no unreferenced blob behind. A final restart
// verifies the model once more.
func TestCrashConsistency(t *testing.T) {
	started := time.Now()
	cycles := defaultCycles
	if testing.Short() {
		cycles = 2
	}
	explicit := os.Getenv("ZONAL_CRASH_CYCLES") != ""
	cycles = envInt(t, "ZONAL_CRASH_CYCLES", cycles)
	nworkers := envInt(t, "ZONAL_CRASH_WORKERS", defaultWorkers)
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("ZONAL_CRASH_SEED"); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("ZONAL_CRASH_SEED=%q: %v", v, err)
		}
		seed = s
	}
	t.Logf("crash test: %d cycle(s), %d workers × %d keys, seed %d (ZONAL_CRASH_SEED=%d reproduces the choices, not the timing)",
		cycles, nworkers, keysPerWorker, seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0x6b696c6c))
	contentPool()

	dir := t.TempDir()
	srv := startServer(t, dir)
	bucket := fmt.Sprintf("crash-%06x--%s--x-s3", rng.IntN(1<<24), testAZ)
	{
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := createBucket(ctx, newClient(srv), bucket)
		cancel()
		if err != nil {
			t.Fatalf("CreateBucket %s: %s", bucket, describe(err))
		}
	}
	workers := make([]*worker, nworkers)
	for i := range workers {
		workers[i] = newWorker(i, keysPerWorker, seed+uint64(i)*7919)
	}
	stats := newOpStats()
	var vs verifyStats
	var inflightPerKill []int
	lastRestart := started

	runLoad := func(d time.Duration, kill bool) *loadRun {
		r := &loadRun{c: newClient(srv), bucket: bucket, stats: stats, stop: make(chan struct{}), mpuSem: make(chan struct{}, 2)}
		var wg sync.WaitGroup
		for _, w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w.loop(r)
			}()
		}
		time.Sleep(d)
		if kill {
			r.killedAt.Store(time.Now().UnixNano())
			srv.Kill()
		}
		close(r.stop)
		wg.Wait()
		return r
	}
	report := func(what string, r *loadRun) {
		if len(r.problems) > 0 {
			t.Errorf("%s: problems during the load:\n  %s", what, strings.Join(r.problems, "\n  "))
		}
	}

	for cycle := 1; cycle <= cycles; cycle++ {
		if !explicit && time.Since(started) > ciBudget {
			t.Errorf("over the CI budget (%v) after %d cycle(s); stopping", ciBudget, cycle-1)
			break
		}
		killAfter := killMin + time.Duration(rng.Int64N(int64(killMax-killMin)))
		ackedBefore := sumOf(stats.acked)
		r := runLoad(killAfter, true)
		cut := 0
		var kinds []string
		for _, w := range workers {
			if w.pending != nil {
				cut++
				kinds = append(kinds, w.pending.kind)
			}
		}
		inflightPerKill = append(inflightPerKill, cut)
		report(fmt.Sprintf("cycle %d", cycle), r)
		if err := srv.Restart(); err != nil {
			t.Fatalf("cycle %d: restart after SIGKILL: %v", cycle, err)
		}
		lastRestart = time.Now()
		problems := verify(newClient(srv), bucket, workers, stats, &vs)
		t.Logf("cycle %d: killed at +%v: %d operation(s) acknowledged, %d in flight at the kill %v; verified %d keys",
			cycle, killAfter.Round(time.Millisecond), sumOf(stats.acked)-ackedBefore, cut, kinds, len(workers)*keysPerWorker)
		if len(problems) > 0 {
			t.Errorf("cycle %d: after SIGKILL and restart, %d violation(s):\n  %s", cycle, len(problems), strings.Join(problems, "\n  "))
		}
		if t.Failed() {
			t.Logf("stopping after cycle %d because of failures (server log: %s)", cycle, srv.LogPath)
			break
		}
	}

	if !t.Failed() {
		// A last stretch of load with no kill, a graceful stop, the offline
		// check of the data folder with the orphan sweeper, and a restart.
		r := runLoad(cleanLoad, false)
		report("final load (no kill)", r)
		for _, w := range workers {
			if w.pending != nil {
				t.Errorf("final load: worker %d's %s on %v got no answer without a kill", w.id, w.pending.kind, w.pending.keys)
			}
		}
		if problems := verify(newClient(srv), bucket, workers, stats, &vs); len(problems) > 0 {
			t.Errorf("after the final load: %d violation(s):\n  %s", len(problems), strings.Join(problems, "\n  "))
		}
		if err := srv.Stop(); err != nil {
			t.Fatalf("graceful stop: %v", err)
		}
		rep := offlineCheck(t, srv.DataDir, lastRestart)
		t.Logf("offline check: %s", rep)
		if err := srv.Restart(); err != nil {
			t.Fatalf("restart after the offline check: %v", err)
		}
		if problems := verify(newClient(srv), bucket, workers, stats, &vs); len(problems) > 0 {
			t.Errorf("after the orphan sweep and a restart: %d violation(s):\n  %s", len(problems), strings.Join(problems, "\n  "))
		}
		if lines := srv.LogGrep(10, "level=ERROR", "panic"); len(lines) > 0 {
			t.Errorf("server logged errors:\n  %s", strings.Join(lines, "\n  "))
		}
	}

	cutTotal := 0
	for _, n := range inflightPerKill {
		cutTotal += n
	}
	t.Logf("summary: %d crash point(s) (SIGKILLs), %d operation(s) in flight across them (per kill %v); %d acknowledged operation(s): %s",
		len(inflightPerKill), cutTotal, inflightPerKill, sumOf(stats.acked), fmtCounts(stats.acked))
	t.Logf("summary: refused as predicted (412): %s; in flight at a kill: %s; of those found applied: %s, not applied: %s; %d multipart upload(s) abandoned before Complete",
		fmtCounts(stats.refused), fmtCounts(stats.inflight), fmtCounts(stats.wentPost), fmtCounts(stats.wentPre), stats.abandon)
	t.Logf("summary: %d key checks, %d present objects read back; checksums verified: %d FULL_OBJECT CRC32, %d COMPOSITE CRC32, %d without a checksum; took %v",
		vs.keys, vs.present, vs.checksumsFull, vs.checksumsComposite, vs.noChecksum, time.Since(started).Round(time.Millisecond))
}
