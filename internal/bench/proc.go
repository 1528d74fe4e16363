package bench

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// procWatch reads another process's CPU time and peak RSS from Linux's
// /proc, to report the server's cost next to the generator's.
type procWatch struct {
	pid       int
	tree      bool // count the process's descendants too (a database server)
	cpu0      float64
	lifetime  bool
	err       error
	cpu, peak int64
}

// clockTicks is USER_HZ, the unit of utime/stime in /proc/<pid>/stat; it is
// 100 on every Linux architecture Go supports.
const clockTicks = 100

func newProcWatch(pid int) *procWatch { return &procWatch{pid: pid} }

// newTreeWatch watches pid and its descendants: PostgreSQL serves each
// connection from a child of its postmaster.
func newTreeWatch(pid int) *procWatch { return &procWatch{pid: pid, tree: true} }

// cpuNow is the watched CPU time so far, in seconds.
func (p *procWatch) cpuNow() (float64, error) {
	if p.tree {
		return treeCPU(p.pid)
	}
	return procCPU(p.pid)
}

// begin records the CPU time so far and resets the peak RSS (writing 5 to
// clear_refs resets VmHWM to the current RSS).
func (p *procWatch) begin() {
	c, err := p.cpuNow()
	if err != nil {
		p.err = err
		return
	}
	p.cpu0 = c
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", p.pid), []byte("5"), 0); err != nil {
		p.lifetime = true
	}
}

func (p *procWatch) end() {
	if p.err != nil {
		return
	}
	c, err := p.cpuNow()
	if err != nil {
		p.err = err
		return
	}
	p.cpu = int64((c - p.cpu0) * 1e9)
	p.peak, p.err = procHWM(p.pid)
}

func (p *procWatch) stats(ops uint64, sec float64) *ProcStats {
	s := &ProcStats{PID: p.pid, PeakRSSLifetime: p.lifetime}
	if p.err != nil {
		s.Error = p.err.Error()
		return s
	}
	s.CPUSeconds = float64(p.cpu) / 1e9
	if ops > 0 {
		s.CPUPerOpMicros = s.CPUSeconds * 1e6 / float64(ops)
	}
	s.Cores = s.CPUSeconds / sec
	s.PeakRSSBytes = p.peak
	return s
}

// procCPU returns utime+stime of pid in seconds.
func procCPU(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(b)
}

// treeCPU returns the CPU time of pid and its descendants in seconds: each
// live process's utime+stime, plus the root's cutime+cstime, which holds
// the time of children it has already reaped (a connection that closed
// during the run). Children reaped by a descendant other than the root are
// counted in that descendant's cutime, read too.
func treeCPU(pid int) (float64, error) {
	total := 0.0
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p))
		if err != nil {
			if p == pid {
				return 0, err
			}
			continue // exited meanwhile: its time is in its parent's cutime
		}
		c, err := parseStatCPU(b)
		if err != nil {
			return 0, err
		}
		cc, err := parseStatChildCPU(b)
		if err != nil {
			return 0, err
		}
		total += c + cc
		// Each thread lists the children it forked: read them all (a Go
		// process forks from whichever thread runs).
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", p))
		for _, tf := range tasks {
			kids, err := os.ReadFile(tf)
			if err != nil {
				continue
			}
			for _, f := range bytes.Fields(kids) {
				if k, err := strconv.Atoi(string(f)); err == nil {
					queue = append(queue, k)
				}
			}
		}
	}
	return total, nil
}

// parseStatChildCPU reads fields 16 (cutime) and 17 (cstime): the CPU of
// reaped children.
func parseStatChildCPU(b []byte) (float64, error) { return statTicks(b, 16) }

// parseStatCPU reads fields 14 (utime) and 15 (stime) of a /proc/<pid>/stat
// line.
func parseStatCPU(b []byte) (float64, error) { return statTicks(b, 14) }

// statTicks sums fields n and n+1 (1-based, as proc(5) numbers them) of a
// /proc/<pid>/stat line, in seconds. The command name (field 2) may hold
// spaces and parentheses, so fields are counted from the last ')'.
func statTicks(b []byte, n int) (float64, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed /proc stat")
	}
	f := bytes.Fields(b[i+1:]) // f[0] is field 3 (state)
	if len(f) < n-1 {
		return 0, fmt.Errorf("malformed /proc stat")
	}
	a, err1 := strconv.ParseInt(string(f[n-3]), 10, 64)
	c, err2 := strconv.ParseInt(string(f[n-2]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("malformed /proc stat")
	}
	return float64(a+c) / clockTicks, nil
}

// procHWM returns VmHWM (peak resident set) of pid in bytes.
func procHWM(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range bytes.Lines(b) {
		if v, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			f := bytes.Fields(v)
			if len(f) >= 1 {
				kb, err := strconv.ParseInt(string(f[0]), 10, 64)
				if err == nil {
					return kb << 10, nil
				}
			}
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}
