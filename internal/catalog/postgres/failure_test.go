package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/catalog/postgres/pgtest"
)

func TestUnavailableClassification(t *testing.T) {
	pg := func(code string) error { return fmt.Errorf("query: %w", &pgconn.PgError{Code: code}) }
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{pg("08006"), true},          // connection failure
		{pg("57P01"), true},          // admin shutdown
		{pg("57P02"), true},          // crash shutdown
		{pg("57P03"), true},          // cannot connect now
		{pg("53300"), true},          // too many connections
		{pg("57014"), true},          // statement_timeout
		{pg("55P03"), true},          // lock_timeout
		{pg("23505"), false},         // unique violation
		{pg("42P01"), false},         // undefined table
		{pg("28P01"), false},         // wrong password: no retry helps
		{pgconn.ErrConnClosed, true}, // connection lost mid-transaction
		{io.ErrUnexpectedEOF, true},
		{&net.OpError{Op: "dial", Err: errors.New("connection refused")}, true},
		{acquireErr{context.DeadlineExceeded}, true},
		{errors.New("catalog: not found"), false},
	} {
		if got := unavailable(tc.err); got != tc.want {
			t.Errorf("unavailable(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
	err := unavailableErr{txErr{pg("57P01")}}
	if !errors.Is(err, catalog.ErrUnavailable) {
		t.Fatalf("%v is not ErrUnavailable", err)
	}
}

// TestOpenUnreachable: Open gives up after ConnectWait with an error that
// names the address and database, is ErrUnavailable and keeps the
// password to itself.
func TestOpenUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	start := time.Now()
	_, err = Open(context.Background(), "postgres://zonal:sekret-pw@"+addr+"/zdb?sslmode=disable",
		Options{ConnectWait: 300 * time.Millisecond, AcquireTimeout: 200 * time.Millisecond})
	took := time.Since(start)
	if err == nil {
		t.Fatal("Open of an unreachable server succeeded")
	}
	msg := err.Error()
	if !errors.Is(err, catalog.ErrUnavailable) || !strings.Contains(msg, "postgres catalog: cannot connect to "+addr+"/zdb: ") {
		t.Fatalf("Open: %v", err)
	}
	if strings.Contains(msg, "sekret") || !strings.HasPrefix(msg, "postgres catalog: cannot connect to ") {
		t.Fatalf("the error shows the password or hides the address: %v", err)
	}
	if took < 250*time.Millisecond || took > 3*time.Second {
		t.Fatalf("Open gave up after %v with ConnectWait 300ms", took)
	}
}

// TestSurvivesRestart stops and kills PostgreSQL under a write load: while
// it is down, calls fail with ErrUnavailable in bounded time; once it is
// back, the same handle works again; every acknowledged write is there.
func TestSurvivesRestart(t *testing.T) {
	if os.Getenv("ZONAL_TEST_POSTGRES") != "" {
		t.Skip("needs a server it can stop")
	}
	srv, err := pgtest.Start(pgtest.Options{Bin: os.Getenv("ZONAL_PG_BIN"), Required: os.Getenv("ZONAL_REQUIRE_POSTGRES") == "1"})
	pgtest.Need(t, err)
	defer srv.Close()
	ctx := context.Background()
	dsn, err := srv.CreateDatabase(ctx, "restart")
	if err != nil {
		t.Fatal(err)
	}
	const budget = 500 * time.Millisecond
	c, err := Open(ctx, dsn, Options{AcquireTimeout: budget, StatementTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.CreateBucket(ctx, catalog.Bucket{Name: "b", Owner: "o"}); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	acked := map[string]bool{}
	var stop atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				key := fmt.Sprintf("w%d/%d", w, i)
				err := c.UpdateObject(ctx, "b", key, func(*catalog.Object) (*catalog.Object, error) {
					return &catalog.Object{Key: key, Size: 1, ETag: key, Parts: 1, Extents: []catalog.Extent{{Inline: []byte("x")}}}, nil
				})
				switch {
				case err == nil:
					mu.Lock()
					acked[key] = true
					mu.Unlock()
				case !errors.Is(err, catalog.ErrUnavailable):
					errs <- fmt.Errorf("%s: %w", key, err)
					return
				default:
					time.Sleep(10 * time.Millisecond)
				}
			}
		}()
	}
	down := func(name string, halt func() error) {
		t.Helper()
		time.Sleep(100 * time.Millisecond) // let writes flow
		if err := halt(); err != nil {
			t.Fatal(err)
		}
		for _, call := range []struct {
			name string
			fn   func() error
		}{
			{"GetObject", func() error { _, err := c.GetObject(ctx, "b", "w0/0"); return err }},
			{"PutConfig", func() error { return c.PutConfig(ctx, "k", []byte("v")) }},
			{"ListObjects", func() error {
				_, err := c.ListObjects(ctx, catalog.ListQuery{Bucket: "b", Limit: 10})
				return err
			}},
			{"Ping", func() error { return c.Ping(ctx) }},
		} {
			start := time.Now()
			err := call.fn()
			if took := time.Since(start); took > budget+2*time.Second {
				t.Errorf("%s: %s took %v while PostgreSQL was down", name, call.name, took)
			}
			if !errors.Is(err, catalog.ErrUnavailable) {
				t.Errorf("%s: %s while PostgreSQL was down: %v, want ErrUnavailable", name, call.name, err)
			}
		}
		if err := srv.Start(); err != nil {
			t.Fatal(err)
		}
		if err := c.Ping(ctx); err != nil {
			t.Fatalf("%s: Ping after the restart: %v", name, err)
		}
	}
	down("stop", srv.Stop)
	down("kill", srv.Kill)

	// Open waits for a server that comes up within ConnectWait.
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	opened := make(chan error, 1)
	go func() {
		o, err := Open(ctx, dsn, Options{ConnectWait: 20 * time.Second})
		if err == nil {
			o.Close()
		}
		opened <- err
	}()
	time.Sleep(300 * time.Millisecond)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	if err := <-opened; err != nil {
		t.Fatalf("Open while the server was starting: %v", err)
	}
	time.Sleep(100 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(acked) < 10 {
		t.Fatalf("only %d writes acknowledged", len(acked))
	}
	page, err := c.ListObjects(ctx, catalog.ListQuery{Bucket: "b", Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, e := range page.Entries {
		have[e.Name()] = true
	}
	for key := range acked {
		if !have[key] {
			t.Errorf("acknowledged write %s lost", key)
		}
	}
	if err := checkConsistency(c); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d writes acknowledged, %d stored", len(acked), len(have))
}

// TestLockTimeout: a write that waits for a lock longer than
// StatementTimeout fails with ErrUnavailable instead of waiting for ever.
func TestLockTimeout(t *testing.T) {
	schema := newSchema(t)
	c := openSchema(t, schema, Options{StatementTimeout: 200 * time.Millisecond})
	ctx := context.Background()
	holder := openSchema(t, schema, Options{StatementTimeout: -1})
	tx, err := holder.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1, $2)", configLockClass, configLockKey("k")); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = c.PutConfig(ctx, "k", []byte("v"))
	if took := time.Since(start); !errors.Is(err, catalog.ErrUnavailable) || took > 2*time.Second {
		t.Fatalf("PutConfig behind a held lock: %v after %v, want ErrUnavailable after ~200ms", err, took)
	}
	t.Log(err)
}

// TestRetryPolicy drives do with scripted failures: a brief blip is
// retried away, an outage ends in ErrUnavailable after AcquireTimeout, and
// an attempt that may have committed is never run twice.
func TestRetryPolicy(t *testing.T) {
	c := openSchema(t, newSchema(t), Options{AcquireTimeout: 300 * time.Millisecond})
	ctx := context.Background()
	lost := txErr{io.ErrUnexpectedEOF}
	script := func(errs ...error) (op func(context.Context, *pgxpool.Conn) error, calls *int) {
		calls = new(int)
		return func(context.Context, *pgxpool.Conn) error {
			*calls++
			if *calls <= len(errs) {
				return errs[*calls-1]
			}
			return nil
		}, calls
	}

	op, calls := script(lost, lost)
	if err := c.do(ctx, true, op); err != nil || *calls != 3 {
		t.Fatalf("blip: %v after %d calls, want success on the 3rd", err, *calls)
	}

	always := make([]error, 1000)
	for i := range always {
		always[i] = lost
	}
	op, calls = script(always...)
	start := time.Now()
	err := c.do(ctx, true, op)
	if took := time.Since(start); !errors.Is(err, catalog.ErrUnavailable) || took < 200*time.Millisecond || took > time.Second {
		t.Fatalf("outage: %v after %v and %d calls, want ErrUnavailable after ~300ms", err, took, *calls)
	}

	op, calls = script(ambiguousErr{lost})
	if err := c.do(ctx, true, op); !errors.Is(err, catalog.ErrUnavailable) || *calls != 1 {
		t.Fatalf("ambiguous commit: %v after %d calls, want ErrUnavailable after 1", err, *calls)
	}
	op, calls = script(lost)
	if err := c.do(ctx, false, op); !errors.Is(err, catalog.ErrUnavailable) || *calls != 1 {
		t.Fatalf("lost autocommit write: %v after %d calls, want ErrUnavailable after 1", err, *calls)
	}
	mine := errors.New("caller's condition")
	op, calls = script(mine)
	if err := c.do(ctx, true, op); err != mine || *calls != 1 {
		t.Fatalf("caller's error: %v after %d calls", err, *calls)
	}
}
