package zonalproc

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestMain(m *testing.M) { Main(m) }

// TestLifecycle: a server answers after Launch, keeps its address and data
// over Kill and Restart, and logs a marker for each start and exit.
func TestLifecycle(t *testing.T) {
	dir := t.TempDir()
	s, err := Launch(Options{Name: "lifecycle", Data: filepath.Join(dir, "data"), LogPath: filepath.Join(dir, "zonal.log"),
		AccessKey: "AKIAZONALPROC0000001", SecretKey: "zonalprocSecretKey0000000000000000000001"})
	if err != nil {
		t.Fatal(err)
	}
	s.StopAtEnd(t)
	s.CreateBucket(t, "proc--use1-az4--x-s3")
	addr, pid := s.Addr, s.PID()
	s.Kill()
	if s.Alive() || s.PID() != 0 {
		t.Fatalf("after Kill: alive %v, pid %d", s.Alive(), s.PID())
	}
	s.Opts.Args = append(s.Opts.Args, "--log-level", "debug")
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if s.Addr != addr || s.PID() == pid || !s.Alive() {
		t.Fatalf("after Restart: addr %s (was %s), pid %d (was %d)", s.Addr, addr, s.PID(), pid)
	}
	if got := strings.Join(s.LogGrep(10, "start #2", "exited: signal: killed"), "\n"); !strings.Contains(got, "start #2") || !strings.Contains(got, "killed") {
		t.Fatalf("log markers:\n%s", s.Log())
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if s.Alive() {
		t.Fatal("alive after Stop")
	}
}
