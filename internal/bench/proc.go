package bench

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// procWatch reads another process's CPU time and peak RSS from Linux's
// /proc, to report the server's cost next to the generator's.
type procWatch struct {
	pid       int
	cpu0      float64
	lifetime  bool
	err       error
	cpu, peak int64
}

// clockTicks is USER_HZ, the unit of utime/stime in /proc/<pid>/stat; it is
// 100 on every Linux architecture Go supports.
const clockTicks = 100

func newProcWatch(pid int) *procWatch { return &procWatch{pid: pid} }

// begin records the CPU time so far and resets the peak RSS (writing 5 to
// clear_refs resets VmHWM to the current RSS).
func (p *procWatch) begin() {
	c, err := procCPU(p.pid)
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
	c, err := procCPU(p.pid)
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

// parseStatCPU reads fields 14 (utime) and 15 (stime) of a /proc/<pid>/stat
// line; the command name (field 2) may hold spaces and parentheses, so
// fields are counted from the last ')'.
func parseStatCPU(b []byte) (float64, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed /proc stat")
	}
	f := bytes.Fields(b[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, fmt.Errorf("malformed /proc stat")
	}
	ut, err1 := strconv.ParseInt(string(f[11]), 10, 64)
	st, err2 := strconv.ParseInt(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("malformed /proc stat")
	}
	return float64(ut+st) / clockTicks, nil
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
