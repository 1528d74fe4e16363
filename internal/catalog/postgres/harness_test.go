package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The harness starts one throwaway PostgreSQL 15 for the package's tests
// (TestMain) and gives each catalog its own schema, so every subtest starts
// empty without the cost of CREATE DATABASE. The server runs from
// Debian's postgresql-15 binaries as an unprivileged user (initdb refuses
// root), with fsync on, on a random free port of 127.0.0.1 and its unix
// socket in the temp folder; it never touches a PostgreSQL already running
// on the machine. ZONAL_TEST_POSTGRES=<dsn> uses a given server instead
// (schemas zt<run>_<n> are created in it and left behind).

// pgBin holds initdb and postgres (ZONAL_PG_BIN overrides Debian's path).
var pgBin = cmp.Or(os.Getenv("ZONAL_PG_BIN"), "/usr/lib/postgresql/15/bin")

var (
	testDSN   string // empty when no server is available
	noServer  string // why not
	mustSkip  bool   // PostgreSQL is not installed: skip rather than fail
	schemaSeq atomic.Int64
	runID     = time.Now().UnixNano() % 1e9 // keeps schemas of runs apart on a shared server
)

// errNotInstalled: the binaries are missing, which skips the tests; any
// other failure to start the server fails them.
var errNotInstalled = errors.New("PostgreSQL 15 is not installed (no " + pgBin + "/initdb): apt-get install postgresql-15 to run these tests")

func TestMain(m *testing.M) {
	var stop func()
	if dsn := os.Getenv("ZONAL_TEST_POSTGRES"); dsn != "" {
		testDSN = dsn
	} else {
		var err error
		stop, err = startPostgres()
		if err != nil {
			noServer, mustSkip = err.Error(), errors.Is(err, errNotInstalled)
		}
	}
	code := m.Run()
	if stop != nil {
		stop()
	}
	os.Exit(code)
}

// needPostgres skips t when no test server is running.
func needPostgres(t testing.TB) {
	t.Helper()
	if testDSN == "" && mustSkip {
		t.Skip(noServer)
	}
	if testDSN == "" {
		t.Fatalf("no test PostgreSQL: %s", noServer)
	}
}

// openTest returns a catalog on a fresh schema of the test server.
func openTest(t testing.TB) *Catalog {
	t.Helper()
	needPostgres(t)
	schema := fmt.Sprintf("zt%d_%d", runID, schemaSeq.Add(1))
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, testDSN)
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(ctx, "CREATE SCHEMA "+schema)
	conn.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Open(ctx, testDSN, Options{SearchPath: schema})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// startPostgres initdbs and starts a server; stop shuts it down (by pid)
// and removes its folder.
func startPostgres() (stop func(), err error) {
	initdb := filepath.Join(pgBin, "initdb")
	if _, err := os.Stat(initdb); err != nil {
		return nil, errNotInstalled
	}
	dir, err := os.MkdirTemp("", "zonal-pg-")
	if err != nil {
		return nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	// initdb and postgres refuse to run as root: run them as the postgres
	// system user, switching uid/gid in the child only.
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			cleanup()
			return nil, fmt.Errorf("running as root and no postgres user to run PostgreSQL as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			cleanup()
			return nil, err
		}
	}
	command := func(name string, args ...string) *exec.Cmd {
		cmd := exec.Command(filepath.Join(pgBin, name), args...)
		cmd.Dir = dir
		cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C", "HOME=" + dir}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true}
		return cmd
	}
	data := filepath.Join(dir, "data")
	if out, err := command("initdb", "-D", data, "-U", "zonal", "--auth=trust", "-E", "UTF8", "--locale=C").CombinedOutput(); err != nil {
		cleanup()
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	for attempt := 0; ; attempt++ {
		port, err := freePort()
		if err != nil {
			cleanup()
			return nil, err
		}
		logf, err := os.Create(filepath.Join(dir, "postgres.log"))
		if err != nil {
			cleanup()
			return nil, err
		}
		cmd := command("postgres", "-D", data, "-p", strconv.Itoa(port), "-k", dir,
			"-c", "listen_addresses=127.0.0.1", "-c", "fsync=on", "-c", "max_connections=300",
			"-c", "shared_buffers=64MB", "-c", "deadlock_timeout=100ms")
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			logf.Close()
			cleanup()
			return nil, err
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		stop = func() {
			// SIGINT is PostgreSQL's fast shutdown; the pid is the
			// postmaster itself (no wrapper process).
			cmd.Process.Signal(syscall.SIGINT)
			select {
			case <-exited:
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				<-exited
			}
			logf.Close()
			cleanup()
		}
		dsn := fmt.Sprintf("postgres://zonal@127.0.0.1:%d/postgres?sslmode=disable", port)
		if err := waitReady(dsn, exited); err == nil {
			testDSN = dsn
			return stop, nil
		}
		stop = nil
		select {
		case <-exited:
		default:
			cmd.Process.Kill()
			<-exited
		}
		logf.Close()
		log, _ := os.ReadFile(filepath.Join(dir, "postgres.log"))
		if attempt < 2 && strings.Contains(string(log), "Address already in use") {
			continue // lost the port race; try another
		}
		cleanup()
		return nil, fmt.Errorf("PostgreSQL did not start:\n%s", log)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitReady(dsn string, exited <-chan struct{}) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, dsn)
		cancel()
		if err == nil {
			conn.Close(context.Background())
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("postgres exited")
		default:
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}
