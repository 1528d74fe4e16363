package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zonal-dev/zonal/internal/checksum"
	"github.com/zonal-dev/zonal/internal/sigv4"
)

// payload is one request body, with its precomputed x-amz-content-sha256
// and checksum header: hashing 1 MiB per request would cost the generator
// more than the rest of the request.
type payload struct {
	data []byte
	hash string
	hdr  [][2]string
}

// gen is one run of the generator.
type gen struct {
	cfg     *Config
	op      string // the workload's requests (the imitated one for the ceiling)
	ceiling bool
	ts      []target // one per endpoint; ts[0] takes CreateBucket and CreateSession
	tr      *http.Transport
	base    *sigv4.Signer // long-term keys
	sess    *Refresher    // express mode

	payloads   []payload
	sizeHeader []string // ceiling: the GET size

	keys         []string // get, mixed, put --keys: key paths ("/bench/...")
	putPrefix    string   // put: "/<prefix>put/<run>/"
	appendPrefix string
	mpuPrefix    string
	listQuery    string
	listWant     int

	kinds []opKind

	start       time.Time
	measureFrom int64 // ns after start; ops started earlier are warmup
	stopAt      atomic.Int64
	tickets     atomic.Int64
	workers     []*worker
}

func (g *gen) now() int64 { return int64(time.Since(g.start)) }

// signer returns the signer for data-plane requests: the current session's
// in express mode (an atomic load; refreshes swap it underneath), else the
// long-term key's.
func (g *gen) signer() *sigv4.Signer {
	if g.sess != nil {
		return g.sess.Current().signer
	}
	return g.base
}

func (g *gen) logf(format string, args ...any) {
	if g.cfg.Log != nil {
		fmt.Fprintf(g.cfg.Log, format+"\n", args...)
	}
}

// worker runs operations one after another on its own connection.
type worker struct {
	g   *gen
	id  int
	c   *client
	rng uint64

	keyBuf      []byte
	hdrBuf      [][2]string
	etags       []string
	uploadID    string
	seq         uint64
	appendKey   string
	appendOff   int64
	appendCount int
	appendGen   int

	measuring bool // the current operation counts

	// Totals of the measured phase: written by the worker only, read after
	// it has stopped.
	hist     Histogram
	kindHist []Histogram // per opKind, for workloads with several kinds
	kindOps  [numKinds]uint64
	kindErrs [numKinds]uint64
	ops      uint64
	errs     uint64
	bytes    uint64
	codes    map[string]uint64
	lastEnd  int64

	// The current second, for the progress line (under mu).
	mu     sync.Mutex
	ival   Histogram
	iOps   uint64
	iErrs  uint64
	iBytes uint64
}

func (g *gen) newWorker(id int) *worker {
	w := &worker{g: g, id: id, c: g.newClient(), codes: map[string]uint64{}}
	if id > 0 {
		// Worker i sends to endpoint i mod N on its own connection.
		w.c.t = &g.ts[id%len(g.ts)]
	}
	w.rng = uint64(id+1)*0x9E3779B97F4A7C15 ^ uint64(g.start.UnixNano())
	if w.rng == 0 {
		w.rng = 1
	}
	if len(g.kinds) > 0 {
		w.kindHist = make([]Histogram, numKinds)
	}
	return w
}

// rand is xorshift64*: a few cycles, no lock, no allocation.
func (w *worker) rand() uint64 {
	x := w.rng
	x ^= x >> 12
	x ^= x << 25
	x ^= x >> 27
	w.rng = x
	return x * 2685821657736338717
}

func (w *worker) recordKind(k opKind, start int64, code string) {
	if !w.measuring || w.kindHist == nil {
		return
	}
	if code != "" {
		w.kindErrs[k]++
		return
	}
	w.kindOps[k]++
	w.kindHist[k].Record(time.Duration(w.g.now() - start))
}

func (w *worker) run() {
	g := w.g
	for {
		t0 := g.now()
		if t0 >= g.stopAt.Load() {
			return
		}
		w.measuring = t0 >= g.measureFrom
		if w.measuring && g.cfg.Requests > 0 && g.tickets.Add(1) > g.cfg.Requests {
			return
		}
		n, code := w.op()
		t1 := g.now()
		d := time.Duration(t1 - t0)
		w.mu.Lock()
		if code == "" {
			w.ival.Record(d)
			w.iOps++
			w.iBytes += uint64(n)
		} else {
			w.iErrs++
		}
		w.mu.Unlock()
		if w.measuring {
			if code == "" {
				w.hist.Record(d)
				w.ops++
				w.bytes += uint64(n)
			} else {
				w.errs++
				w.codes[code]++
			}
			w.lastEnd = t1
		}
	}
}

// newGen prepares a run: target, transport, signer, payloads, key names.
func newGen(cfg *Config) (*gen, error) {
	ts, err := resolveTargets(cfg)
	if err != nil {
		return nil, err
	}
	g := &gen{
		cfg:     cfg,
		op:      cfg.workloadOp(),
		ceiling: cfg.Workload == WorkloadCeiling,
		ts:      ts,
		tr:      newTransport(cfg, cfg.Concurrency+8),
		base: &sigv4.Signer{AccessKeyID: cfg.AccessKey, SecretAccessKey: cfg.SecretKey,
			Region: cfg.Region, Service: cfg.Service},
		start: time.Now(),
	}
	g.kinds = kindsOf(g.op)
	g.sizeHeader = []string{strconv.FormatInt(cfg.Size, 10)}
	g.payloads = makePayloads(cfg)

	run := strconv.FormatInt(time.Now().UnixMilli(), 36)
	p := "/" + cfg.Prefix
	g.putPrefix = p + "put/" + run + "/"
	g.appendPrefix = p + "append/" + run + "/"
	g.mpuPrefix = p + "multipart/" + run + "/"
	n := cfg.keyCount()
	switch g.op {
	case WorkloadGet, WorkloadMixed, WorkloadPut:
		if n > 0 {
			g.keys = make([]string, n)
			for i := range g.keys {
				g.keys[i] = fmt.Sprintf("%sobj-%s/%08d", p, FormatSize(cfg.Size), i)
			}
		}
	case WorkloadList:
		g.keys = make([]string, n)
		for i := range g.keys {
			g.keys[i] = fmt.Sprintf("%slist/%08d", p, i)
		}
		g.listWant = min(n, 1000)
		g.listQuery = "list-type=2&max-keys=1000&prefix=" + queryEscape(cfg.Prefix+"list/")
		if g.ceiling {
			// The trivial server's page has max-keys keys: make it as
			// long as the real one.
			g.listQuery = "list-type=2&max-keys=" + strconv.Itoa(g.listWant) + "&prefix=" + queryEscape(cfg.Prefix+"list/")
		}
	}
	return g, nil
}

// makePayloads builds the request bodies: one fixed body, or with
// RandomPayload up to 64 distinct random bodies (64 MiB at most) picked at
// random per request, so that content-based shortcuts (deduplication,
// compression) cannot help while hashes are still computed only once.
func makePayloads(cfg *Config) []payload {
	n := 1
	seed1, seed2 := uint64(1), uint64(2) // fixed
	if cfg.RandomPayload {
		n = int(max(1, min(64, (64<<20)/max(cfg.Size, 1))))
		seed1, seed2 = mrand.Uint64(), mrand.Uint64()
	}
	src := mrand.NewChaCha8([32]byte{byte(seed1), byte(seed1 >> 8), byte(seed1 >> 16), byte(seed1 >> 24), byte(seed2), byte(seed2 >> 8), byte(seed2 >> 16), byte(seed2 >> 24)})
	ps := make([]payload, n)
	for i := range ps {
		d := make([]byte, cfg.Size)
		src.Read(d)
		ps[i].data = d
		switch {
		case cfg.Size == 0:
			ps[i].hash = ""
		case cfg.Unsigned:
			ps[i].hash = sigv4.UnsignedPayload
		default:
			ps[i].hash = sigv4.HashPayload(d)
		}
		if cfg.Checksum != "" {
			a := checksum.Algorithm(cfg.Checksum)
			ps[i].hdr = [][2]string{{http.CanonicalHeaderKey(a.Header()), a.Encode(a.Sum(d))}}
		}
	}
	return ps
}

// setup makes the bucket and the session and prepares the workload's data.
func (g *gen) setup(ctx context.Context) error {
	cfg := g.cfg
	cl := g.newClient()
	if cfg.CreateBucket {
		if err := g.createBucket(cl); err != nil {
			return err
		}
	}
	if cfg.Mode == ModeExpress {
		g.sess = &Refresher{
			Fetch: g.sessionFetcher(),
			OnError: func(err error) {
				g.logf("session refresh failed (retrying in 1s): %v", err)
			},
		}
		if err := g.sess.Start(ctx); err != nil {
			return err
		}
	}
	switch g.op {
	case WorkloadGet, WorkloadMixed, WorkloadList:
		if !g.ceiling {
			if err := g.populate(ctx, g.keys); err != nil {
				return err
			}
		}
	case WorkloadAppend, WorkloadMultipart:
		return g.probe()
	}
	return nil
}

// errNotImplemented reports a workload the server does not support yet.
type errNotImplemented struct{ code string }

func (e errNotImplemented) Error() string { return "server answered " + e.code }

// probe runs one untimed operation of the append and multipart workloads,
// which servers are the most likely not to support: a 501 skips the run.
func (g *gen) probe() error {
	w := g.newWorker(-1)
	_, code := w.op()
	switch code {
	case "":
		return nil
	case "NotImplemented", "HTTP501":
		return errNotImplemented{code}
	}
	return fmt.Errorf("%s probe failed: %s", g.op, code)
}

const createBucketBody = `<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Location><Type>AvailabilityZone</Type><Name>%s</Name></Location><Bucket><DataRedundancy>SingleAvailabilityZone</DataRedundancy><Type>Directory</Type></Bucket></CreateBucketConfiguration>`

// createBucket creates the bucket unless it exists, signed with the
// long-term keys (as against AWS's control endpoint).
func (g *gen) createBucket(cl *client) error {
	cfg := g.cfg
	var body []byte
	if strings.HasSuffix(cfg.Bucket, "--x-s3") {
		body = fmt.Appendf(nil, createBucketBody, cfg.Zone)
	} else if cfg.Region != "us-east-1" {
		body = fmt.Appendf(nil, `<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>%s</LocationConstraint></CreateBucketConfiguration>`, cfg.Region)
	}
	hash := ""
	if len(body) > 0 {
		hash = sigv4.HashPayload(body)
	}
	o := cl.do(&request{method: http.MethodPut, control: true, body: body, hash: hash, signer: g.base, expect: -1})
	switch o.code {
	case "":
		g.logf("bucket %s ready", cfg.Bucket)
		return nil
	case "BucketAlreadyOwnedByYou", "BucketAlreadyExists":
		return nil
	}
	return fmt.Errorf("CreateBucket %s: %s", cfg.Bucket, o.code)
}

// sessionFetcher returns the CreateSession call the refresher makes: base
// credentials, no session token, GET /<bucket>?session.
func (g *gen) sessionFetcher() func(context.Context) (Credentials, error) {
	cl := g.newClient() // used by one goroutine at a time: Start, then the refresh loop
	return func(ctx context.Context) (Credentials, error) {
		o := cl.do(&request{method: http.MethodGet, query: "session=", keep: true, signer: g.base, expect: -1})
		if o.code != "" {
			return Credentials{}, fmt.Errorf("CreateSession %s: %s", g.cfg.Bucket, o.code)
		}
		c, err := ParseCreateSession(cl.resp)
		if err != nil {
			return c, err
		}
		c.signer = &sigv4.Signer{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey,
			Region: g.cfg.Region, Service: g.cfg.Service, SessionToken: c.SessionToken}
		return c, nil
	}
}

// measure runs the timed phase (after warmup) and returns its result.
func (g *gen) measure(ctx context.Context) *Result {
	cfg := g.cfg
	g.workers = make([]*worker, cfg.Concurrency)
	for i := range g.workers {
		g.workers[i] = g.newWorker(i)
	}
	g.start = time.Now()
	g.measureFrom = int64(cfg.Warmup)
	stop := int64(math.MaxInt64)
	if cfg.Requests <= 0 {
		stop = int64(cfg.Warmup + cfg.Duration)
	}
	g.stopAt.Store(stop)

	var srvs []*procWatch
	var db, backend *procWatch
	if !g.ceiling {
		for _, pid := range cfg.ServerPIDs {
			srvs = append(srvs, newProcWatch(pid))
		}
		if cfg.DBPID > 0 {
			db = newTreeWatch(cfg.DBPID)
		}
		if cfg.BackendPID > 0 {
			backend = newTreeWatch(cfg.BackendPID)
		}
	}
	watches := append(slices.Clip(srvs), db, backend)
	var cpu0 time.Duration
	var profDone chan error
	snap := func() {
		if cfg.ServerProfile != "" && !g.ceiling && cfg.Duration > 0 {
			profDone = make(chan error, 1)
			go func() { profDone <- g.fetchProfile(ctx, cfg.ServerProfile, cfg.Duration) }()
		}
		cpu0 = processCPU()
		for _, p := range watches {
			if p != nil {
				p.begin()
			}
		}
	}
	if cfg.Warmup == 0 {
		snap()
	}

	var wg sync.WaitGroup
	for _, w := range g.workers {
		wg.Add(1)
		go func() { defer wg.Done(); w.run() }()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	// The controller: takes the CPU snapshot when warmup ends, prints the
	// progress line every second, and stops the workers on cancellation.
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var warm <-chan time.Time
	if cfg.Warmup > 0 {
		warm = time.After(cfg.Warmup)
	}
	var scratch Histogram
loop:
	for {
		select {
		case <-done:
			break loop
		case <-ctx.Done():
			g.stopAt.Store(0)
			<-done
			break loop
		case <-warm:
			snap()
		case <-tick.C:
			g.progress(&scratch)
		}
	}
	end := g.now()
	cpu := processCPU() - cpu0
	for _, p := range watches {
		if p != nil {
			p.end()
		}
	}
	g.tr.CloseIdleConnections()
	if profDone != nil {
		if err := <-profDone; err != nil {
			g.logf("server profile: %v", err)
		} else {
			g.logf("server profile in %s", cfg.ServerProfile)
		}
	}
	return g.result(end, cpu, srvs, db, backend)
}

// progress prints the last second: ops/s, MiB/s, errors, p50/p99.
func (g *gen) progress(h *Histogram) {
	h.Reset()
	var ops, errs, bytes uint64
	for _, w := range g.workers {
		w.mu.Lock()
		h.Merge(&w.ival)
		ops, errs, bytes = ops+w.iOps, errs+w.iErrs, bytes+w.iBytes
		w.ival.Reset()
		w.iOps, w.iErrs, w.iBytes = 0, 0, 0
		w.mu.Unlock()
	}
	if g.cfg.Progress == nil {
		return
	}
	now := time.Duration(g.now())
	phase := ""
	if int64(now) < g.measureFrom {
		phase = " (warmup)"
	}
	what := g.cfg.Workload
	if g.ceiling {
		what = "ceiling:" + g.op
	}
	fmt.Fprintf(g.cfg.Progress, "%5.0fs %-12s %8.0f ops/s %9.1f MiB/s  errors %-4d p50 %s  p99 %s%s\n",
		now.Seconds(), what, float64(ops), float64(bytes)/(1<<20), errs,
		fmtDur(h.Percentile(50)), fmtDur(h.Percentile(99)), phase)
}

func fmtDur(d time.Duration) string {
	switch {
	case d == 0:
		return "-"
	case d < time.Millisecond:
		return strconv.FormatFloat(float64(d)/1e3, 'f', 0, 64) + "µs"
	case d < time.Second:
		return strconv.FormatFloat(float64(d)/1e6, 'f', 2, 64) + "ms"
	}
	return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + "s"
}

// Run runs the benchmark cfg describes. With CompareCeiling it first runs
// the ceiling workload with the same settings and reports both.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	if cfg.CompareCeiling && cfg.Workload != WorkloadCeiling {
		cc := cfg
		cc.Workload, cc.CeilingOf = WorkloadCeiling, cfg.Workload
		cc.CompareCeiling = false
		cres, err := runOne(ctx, &cc)
		if err != nil {
			return nil, fmt.Errorf("ceiling: %w", err)
		}
		res, err := runOne(ctx, &cfg)
		if err != nil {
			return nil, err
		}
		res.setCeiling(cres)
		return res, nil
	}
	return runOne(ctx, &cfg)
}

func runOne(ctx context.Context, cfg *Config) (*Result, error) {
	if cfg.Workload == WorkloadCeiling {
		c := *cfg
		addr := cfg.CeilingAddr
		if addr == "" {
			srv, err := StartCeiling("127.0.0.1:0", cfg.Size)
			if err != nil {
				return nil, err
			}
			defer srv.Close()
			addr = srv.Addr
		}
		c.Endpoint, c.Addressing, c.ConnectTo = "http://"+addr, "path", ""
		c.ServerPIDs, c.DBPID, c.BackendPID = nil, 0, 0
		cfg = &c
	}
	g, err := newGen(cfg)
	if err != nil {
		return nil, err
	}
	defer g.tr.CloseIdleConnections()
	if err := g.setup(ctx); err != nil {
		if g.sess != nil {
			g.sess.Stop()
		}
		var ni errNotImplemented
		if errors.As(err, &ni) {
			r := g.baseResult()
			r.NotImplemented = true
			r.Note = fmt.Sprintf("not measurable yet: the server answered %s to the %s workload's first request", ni.code, g.op)
			return r, nil
		}
		return nil, err
	}
	res := g.measure(ctx)
	if g.sess != nil {
		g.sess.Stop()
		res.Sessions = 1 + g.sess.Refreshes()
		res.SessionFailures = g.sess.Failures()
	}
	return res, ctx.Err()
}

// ProfilePath is where zonal serves its CPU profile (with --pprof).
const ProfilePath = "/_zonal/debug/pprof/profile"

// fetchProfile saves a CPU profile of the first endpoint's server, taken
// over d, in file.
func (g *gen) fetchProfile(ctx context.Context, file string, d time.Duration) error {
	t := g.ts[0]
	secs := max(1, int(d.Round(time.Second)/time.Second))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		t.scheme+"://"+t.host+ProfilePath+"?seconds="+strconv.Itoa(secs), nil)
	if err != nil {
		return err
	}
	// Its own client: the workers' transport times out sooner than a
	// profile takes.
	resp, err := (&http.Client{Timeout: d + 30*time.Second}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s (is the server running with --pprof?)", ProfilePath, resp.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
