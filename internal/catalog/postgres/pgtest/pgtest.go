// Package pgtest runs a throwaway PostgreSQL 15 server for tests: the
// catalog/postgres package's own, tests/e2e and multi-process suites,
// usually from TestMain.
//
// The server runs from Debian's postgresql-15 binaries in a temporary
// folder, as the unprivileged postgres user when the tests run as root
// (initdb refuses root), with fsync on, listening on a random free port of
// 127.0.0.1 and its unix socket in that folder: it never touches a
// PostgreSQL already running on the machine. Options.Existing names an
// existing server to use instead; it cannot be stopped or killed
// (ErrExternal).
//
// Only internal/config, cmd/zonal and tests/ read the environment
// (internal/guardrails), so callers pass the variables the project's
// tests honour themselves, in TestMain:
//
//	srv, err := pgtest.Start(pgtest.Options{
//		Bin:      os.Getenv("ZONAL_PG_BIN"),        // default /usr/lib/postgresql/15/bin
//		Existing: os.Getenv("ZONAL_TEST_POSTGRES"), // a DSN: use that server
//		Required: os.Getenv("ZONAL_REQUIRE_POSTGRES") == "1", // CI: fail, never skip
//	})
//	code := m.Run()
//	if srv != nil {
//		srv.Close()
//	}
//
// and in each test pgtest.Need(t, err), which skips when PostgreSQL is not
// installed and fails on any other start error, so CI cannot pass by
// skipping a broken setup.
package pgtest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNotInstalled is returned (wrapped) by Start when the PostgreSQL
// binaries are missing; its message says how to install them.
var ErrNotInstalled = errors.New("PostgreSQL 15 is not installed: apt-get install postgresql-15 to run these tests")

// ErrExternal is returned by Stop, Start and Kill of an existing server
// (Options.Existing), which this package does not control.
var ErrExternal = errors.New("pgtest: the server is external (Options.Existing): it cannot be stopped or started here")

// Options configure Start; the zero value is the usual server.
type Options struct {
	// Bin is the folder holding initdb and postgres (default
	// /usr/lib/postgresql/15/bin, where Debian's postgresql-15 puts them).
	Bin string
	// Existing, when set, is the DSN of a server to use instead of
	// starting one (tests then create databases or schemas in it and
	// leave them behind).
	Existing string
	// Settings are extra "name=value" server settings (postgres -c),
	// applied after the defaults, e.g. "max_connections=20".
	Settings []string
	// Required makes missing binaries an ordinary error, which Need
	// fails on instead of skipping: CI sets ZONAL_REQUIRE_POSTGRES=1 and
	// test harnesses pass it here, since a skipped suite there would pass
	// without testing anything.
	Required bool
}

// Server is a running (or stopped) test server.
type Server struct {
	base     string // DSN of database "postgres", with {db} standing for the database
	external bool

	bin      string
	dir      string // temp folder: data/, the socket, postgres.log
	port     int
	settings []string
	cred     *syscall.Credential

	mu     sync.Mutex
	cmd    *exec.Cmd     // nil while stopped
	exited chan struct{} // closed when cmd has been waited for
	logf   *os.File
}

// Need skips tb when err says PostgreSQL is not installed and fails it on
// any other error from Start (Options.Required included); it does nothing
// when err is nil.
func Need(tb testing.TB, err error) {
	tb.Helper()
	if errors.Is(err, ErrNotInstalled) {
		tb.Skip(err)
	}
	if err != nil {
		tb.Fatalf("no test PostgreSQL: %v", err)
	}
}

// Start initialises a new database cluster in a temporary folder and
// starts PostgreSQL on it, or returns opts.Existing's server. Close stops
// it and removes the folder.
func Start(opts Options) (*Server, error) {
	if opts.Existing != "" {
		return &Server{base: opts.Existing, external: true}, nil
	}
	bin := cmp.Or(opts.Bin, "/usr/lib/postgresql/15/bin")
	if _, err := os.Stat(filepath.Join(bin, "initdb")); err != nil {
		if opts.Required {
			return nil, fmt.Errorf("PostgreSQL is required (ZONAL_REQUIRE_POSTGRES=1) but there is no %s: apt-get install postgresql-15", filepath.Join(bin, "initdb"))
		}
		return nil, fmt.Errorf("no %s: %w", filepath.Join(bin, "initdb"), ErrNotInstalled)
	}
	dir, err := os.MkdirTemp("", "zonal-pg-")
	if err != nil {
		return nil, err
	}
	s := &Server{bin: bin, dir: dir, settings: opts.Settings}
	if err := s.initdb(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		if s.port, err = freePort(); err != nil {
			break
		}
		err = s.Start()
		if err == nil {
			return s, nil
		}
		// Another process may have taken the free port before postgres
		// bound it; try another.
		if attempt >= 2 || !strings.Contains(err.Error(), "Address already in use") {
			break
		}
	}
	os.RemoveAll(dir)
	return nil, err
}

// initdb creates the cluster with a trusted superuser "zonal".
func (s *Server) initdb() error {
	// initdb and postgres refuse to run as root: run them as the postgres
	// system user, switching uid/gid in the child only, so no wrapper
	// process stands between us and the postmaster.
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return fmt.Errorf("running as root and no postgres user to run PostgreSQL as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(s.dir, uid, gid); err != nil {
			return err
		}
	}
	out, err := s.command("initdb", "-D", s.data(), "-U", "zonal", "--auth=trust", "-E", "UTF8", "--locale=C").CombinedOutput()
	if err != nil {
		return fmt.Errorf("initdb: %v\n%s", err, out)
	}
	return nil
}

func (s *Server) data() string { return filepath.Join(s.dir, "data") }

func (s *Server) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.Dir = s.dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C", "HOME=" + s.dir}
	// Its own process group, so Kill can take the backends down with the
	// postmaster.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred, Setpgid: true}
	return cmd
}

// Start starts the server again after Stop or Kill, on the same folder
// and port (Start of a running server is a no-op). It returns once a
// connection succeeds, after crash recovery when the server was killed.
func (s *Server) Start() error {
	if s.external {
		return ErrExternal
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return nil
	}
	logf, err := os.OpenFile(filepath.Join(s.dir, "postgres.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	args := []string{"-D", s.data(), "-p", strconv.Itoa(s.port), "-k", s.dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=on", "-c", "max_connections=300",
		"-c", "shared_buffers=64MB", "-c", "deadlock_timeout=100ms"}
	for _, set := range s.settings {
		args = append(args, "-c", set)
	}
	logStart, _ := logf.Seek(0, 2)
	cmd := s.command("postgres", args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	s.cmd, s.exited, s.logf = cmd, exited, logf
	if err := waitReady(s.DSN(""), exited); err != nil {
		s.stopLocked(syscall.SIGKILL)
		log, _ := os.ReadFile(filepath.Join(s.dir, "postgres.log"))
		if int(logStart) <= len(log) {
			log = log[logStart:]
		}
		return fmt.Errorf("PostgreSQL did not start (%v):\n%s", err, log)
	}
	return nil
}

// Stop shuts the server down (SIGINT to the postmaster: PostgreSQL's fast
// shutdown, which ends sessions and checkpoints) and waits for it to exit;
// after 30 s it kills the process group instead.
func (s *Server) Stop() error {
	if s.external {
		return ErrExternal
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked(syscall.SIGINT)
	return nil
}

// Kill ends the postmaster and every backend at once with SIGKILL, as a
// crash of the machine would; the next Start runs crash recovery. Killing
// the postmaster alone would leave its backends running for a moment,
// holding the shared memory a restart needs (and they are not in its
// process group: each calls setsid).
func (s *Server) Kill() error {
	if s.external {
		return ErrExternal
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked(syscall.SIGKILL)
	return nil
}

func (s *Server) stopLocked(sig syscall.Signal) {
	if s.cmd == nil {
		return
	}
	pid := s.cmd.Process.Pid
	if sig == syscall.SIGKILL {
		killTree(pid)
	} else {
		s.cmd.Process.Signal(sig)
	}
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		killTree(pid)
		<-s.exited
	}
	s.logf.Close()
	s.cmd, s.exited, s.logf = nil, nil, nil
}

// killTree SIGKILLs process pid and its children and waits (up to 10 s)
// until the children are gone. The parent is stopped first so that it
// cannot fork while its children are listed.
func killTree(pid int) {
	syscall.Kill(pid, syscall.SIGSTOP)
	kids := children(pid)
	syscall.Kill(pid, syscall.SIGKILL)
	for _, k := range kids {
		syscall.Kill(k, syscall.SIGKILL)
	}
	for _, k := range kids {
		for i := 0; i < 1000 && alive(k); i++ {
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// children lists the processes whose parent is pid (from /proc).
func children(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var kids []int
	for _, e := range entries {
		k, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, _, ok := procStat(k); ok && ppid == pid {
			kids = append(kids, k)
		}
	}
	return kids
}

// alive reports whether pid exists and is not a zombie (a zombie holds
// no memory, shared memory included).
func alive(pid int) bool {
	_, state, ok := procStat(pid)
	return ok && state != 'Z'
}

// procStat reads the parent pid and state of pid from /proc/pid/stat.
func procStat(pid int) (ppid int, state byte, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	// "pid (comm) state ppid ...": comm may hold spaces and parentheses.
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+1:]))
	if i < 0 || len(f) < 2 || len(f[0]) != 1 {
		return 0, 0, false
	}
	ppid, err = strconv.Atoi(f[1])
	return ppid, f[0][0], err == nil
}

// Close stops the server and removes its folder. The Server is unusable
// afterwards.
func (s *Server) Close() error {
	if s.external {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked(syscall.SIGINT)
	return os.RemoveAll(s.dir)
}

// External reports whether the server is ZONAL_TEST_POSTGRES's, which
// Stop, Start and Kill do not control.
func (s *Server) External() bool { return s.external }

// Port is the TCP port the server listens on (0 for an external server).
func (s *Server) Port() int { return s.port }

// DSN returns the URL of database db on the server, as superuser "zonal"
// without a password (trust authentication). db "" is the default
// database: "postgres", or the one Options.Existing names.
func (s *Server) DSN(db string) string {
	if s.external && db == "" {
		return s.base
	}
	db = cmp.Or(db, "postgres")
	if !s.external {
		return fmt.Sprintf("postgres://zonal@127.0.0.1:%d/%s?sslmode=disable", s.port, url.PathEscape(db))
	}
	return withDatabase(s.base, db)
}

// withDatabase replaces the database of a URL or key=value DSN.
func withDatabase(dsn, db string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Path = "/" + db
		u.RawPath = ""
		return u.String()
	}
	// key=value: the last setting of a keyword wins.
	return dsn + " dbname='" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(db) + "'"
}

// CreateDatabase creates database name (for one zonal server, say) and
// returns its DSN.
func (s *Server) CreateDatabase(ctx context.Context, name string) (string, error) {
	conn, err := pgx.Connect(ctx, s.DSN(""))
	if err != nil {
		return "", err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("pgtest: create database %s: %w", name, err)
	}
	return s.DSN(name), nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitReady waits up to a minute (crash recovery included) for a
// connection to succeed, or for the server to exit.
func waitReady(dsn string, exited <-chan struct{}) error {
	deadline := time.Now().Add(time.Minute)
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
			return errors.New("postgres exited")
		default:
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}
