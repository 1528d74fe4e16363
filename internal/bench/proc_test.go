package bench

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestSumProcs(t *testing.T) {
	cases := []struct {
		name     string
		in       []*ProcStats
		ops      uint64
		sec      float64
		cpu, us  float64
		cores    float64
		peak     int64
		lifetime bool
		err      bool
	}{
		{"one node is itself", []*ProcStats{{PID: 7, CPUSeconds: 1, CPUPerOpMicros: 100, Cores: 0.5, PeakRSSBytes: 10}}, 10000, 2, 1, 100, 0.5, 10, false, false},
		{"three nodes add up, peak is the largest", []*ProcStats{
			{PID: 1, CPUSeconds: 1, PeakRSSBytes: 30},
			{PID: 2, CPUSeconds: 0.5, PeakRSSBytes: 50},
			{PID: 3, CPUSeconds: 0.5, PeakRSSBytes: 20, PeakRSSLifetime: true},
		}, 1000, 4, 2, 2000, 0.5, 50, true, false},
		{"no ops", []*ProcStats{{PID: 1, CPUSeconds: 1}, {PID: 2, CPUSeconds: 1}}, 0, 1, 2, 0, 2, 0, false, false},
		{"an unreadable node", []*ProcStats{{PID: 1, CPUSeconds: 1}, {PID: 2, Error: "gone"}}, 10, 1, 1, 1e5, 1, 0, false, true},
	}
	for _, c := range cases {
		s := sumProcs(c.in, c.ops, c.sec)
		if !near(s.CPUSeconds, c.cpu) || !near(s.CPUPerOpMicros, c.us) || !near(s.Cores, c.cores) ||
			s.PeakRSSBytes != c.peak || s.PeakRSSLifetime != c.lifetime || (s.Error != "") != c.err {
			t.Errorf("%s: got %+v", c.name, s)
		}
	}
}

func TestSystemStats(t *testing.T) {
	srv := &ProcStats{CPUSeconds: 1}
	db := &ProcStats{CPUSeconds: 0.5}
	be := &ProcStats{CPUSeconds: 0.5}
	cases := []struct {
		name               string
		server, db, back   *ProcStats
		ops                uint64
		sec                float64
		nilWant            bool
		us, cores, perCPUs float64
		parts              []string
	}{
		{"nothing watched", nil, nil, nil, 100, 1, true, 0, 0, 0, nil},
		{"server only", srv, nil, nil, 1000, 2, false, 1000, 0.5, 1000, []string{"server"}},
		{"server, db and backend", srv, db, be, 4000, 4, false, 500, 0.5, 2000, []string{"server", "db", "backend"}},
		{"server and backend", srv, nil, be, 3000, 1, false, 500, 1.5, 2000, []string{"server", "backend"}},
		{"an unreadable part", srv, &ProcStats{Error: "gone"}, nil, 100, 1, true, 0, 0, 0, nil},
	}
	for _, c := range cases {
		s := systemStats(c.ops, c.sec, c.server, c.db, c.back)
		if c.nilWant {
			if s != nil {
				t.Errorf("%s: got %+v, want nil", c.name, s)
			}
			continue
		}
		if s == nil || !near(s.CPUPerOpMicros, c.us) || !near(s.Cores, c.cores) || !near(s.OpsPerCPUSecond, c.perCPUs) || !slices.Equal(s.Parts, c.parts) {
			t.Errorf("%s: got %+v", c.name, s)
		}
	}
}

func TestStatTicks(t *testing.T) {
	// Fields 14-17 are utime, stime, cutime, cstime; the name has a
	// space and a parenthesis.
	line := []byte("42 (weird) name) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 30 20 20 0 8 0 1000 0 0")
	cpu, err := parseStatCPU(line)
	if err != nil || !near(cpu, 3) {
		t.Errorf("parseStatCPU = %v, %v; want 3", cpu, err)
	}
	child, err := parseStatChildCPU(line)
	if err != nil || !near(child, 0.5) {
		t.Errorf("parseStatChildCPU = %v, %v; want 0.5", child, err)
	}
	if _, err := parseStatCPU([]byte("42 (x) S 1")); err == nil {
		t.Error("a short line parsed")
	}
}

// Against three servers, each worker's requests go to its own endpoint and
// the watched pids (this process, three times) are summed.
func TestEndpointsAndServerPIDs(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	var hits [3]atomic.Int64
	var eps []string
	for i := range hits {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits[i].Add(1) }))
		defer s.Close()
		eps = append(eps, s.URL)
	}
	pid := os.Getpid()
	res, err := Run(context.Background(), Config{
		Workload: WorkloadPut, Mode: ModePlain, Endpoint: eps[0] + "," + eps[1] + "," + eps[2],
		AccessKey: "AK", SecretKey: "SK", Size: 16, Concurrency: 6, Duration: 300 * time.Millisecond,
		Warmup: 50 * time.Millisecond, ServerPIDs: []int{pid, pid, pid}, BackendPID: pid,
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range hits {
		if hits[i].Load() < 10 {
			t.Errorf("endpoint %d got %d requests", i, hits[i].Load())
		}
	}
	if len(res.Nodes) != 3 || res.Server == nil || res.Backend == nil || res.System == nil {
		t.Fatalf("nodes %d, server %v, backend %v, system %v", len(res.Nodes), res.Server, res.Backend, res.System)
	}
	sum := 0.0
	for _, n := range res.Nodes {
		sum += n.CPUSeconds
	}
	if !near(res.Server.CPUSeconds, sum) {
		t.Errorf("server CPU %v is not the nodes' sum", res.Server.CPUSeconds)
	}
	if res.System.CPUSeconds < res.Server.CPUSeconds || !slices.Equal(res.System.Parts, []string{"server", "backend"}) {
		t.Errorf("system %+v, server %+v", res.System, res.Server)
	}
	if res.Endpoint != eps[0]+","+eps[1]+","+eps[2] {
		t.Errorf("endpoint %q", res.Endpoint)
	}
}

func TestServerProfile(t *testing.T) {
	var asked atomic.Value
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == ProfilePath {
			asked.Store(r.URL.RawQuery)
			w.Write([]byte("profile bytes"))
		}
	}))
	defer s.Close()
	file := t.TempDir() + "/cpu.pprof"
	_, err := Run(context.Background(), Config{Workload: WorkloadPut, Mode: ModePlain, Endpoint: s.URL,
		AccessKey: "AK", SecretKey: "SK", Size: 16, Concurrency: 2, Duration: 200 * time.Millisecond, ServerProfile: file})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(file)
	if err != nil || string(b) != "profile bytes" || asked.Load() != "seconds=1" {
		t.Errorf("profile %q, %v; asked %v", b, err, asked.Load())
	}
}
