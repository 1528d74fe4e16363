package postgres

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// Every call runs through do: it takes a connection within AcquireTimeout,
// runs one attempt, and decides from the error whether to try again.
//
//   - Serialization failures, deadlocks and unique-index races run again
//     at once (with a short random backoff), up to MaxRetries times.
//   - "Cannot reach PostgreSQL" (see unavailable) runs again with a
//     growing backoff for up to AcquireTimeout after the first such
//     failure, so a brief blip or a quick restart is invisible; then the
//     call fails with an error that is catalog.ErrUnavailable.
//   - An attempt whose outcome is unknown is not run again: the
//     connection broke during COMMIT, or during an autocommit write after
//     it was sent. It may have committed. The call fails with
//     ErrUnavailable and the client retries (503); an acknowledged write is
//     never lost, because success is only reported after COMMIT returned.
//   - Anything else, including the caller's function's own errors, is
//     returned at once.

// txErr wraps an error that came from the database (not from a caller's
// function, which is returned unchanged).
type txErr struct{ err error }

func (e txErr) Error() string { return "catalog/postgres: " + e.err.Error() }
func (e txErr) Unwrap() error { return e.err }

// dbErr marks an error from a statement so callers can tell it from fn's.
func dbErr(err error) error {
	if err == nil {
		return nil
	}
	var te txErr
	if errors.As(err, &te) {
		return err
	}
	return txErr{err}
}

// ambiguousErr marks a failure (a txErr) after which the attempt may
// have committed.
type ambiguousErr struct{ err error }

func (e ambiguousErr) Error() string { return e.err.Error() }
func (e ambiguousErr) Unwrap() error { return e.err }

// unavailableErr is catalog.ErrUnavailable with its cause. Its message is
// pgx's, which names host, port, user and database but never a password.
type unavailableErr struct{ err error }

func (e unavailableErr) Error() string {
	msg := "catalog/postgres: unavailable"
	var amb ambiguousErr
	if errors.As(e.err, &amb) {
		msg += " (the change may or may not have been committed)"
	}
	var te txErr
	if errors.As(e.err, &te) {
		return msg + ": " + te.err.Error()
	}
	return msg + ": " + e.err.Error()
}
func (e unavailableErr) Unwrap() error        { return e.err }
func (e unavailableErr) Is(target error) bool { return target == catalog.ErrUnavailable }

// acquireErr is a failure to get a pooled connection in time.
type acquireErr struct{ err error }

func (e acquireErr) Error() string { return "no connection: " + e.err.Error() }
func (e acquireErr) Unwrap() error { return e.err }

// retryable reports a failure that running the transaction again can fix:
// serialization failure, deadlock, or a unique-index race between two
// inserts of a key that was absent when both looked.
func retryable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "40001", "40P01", "23505":
			return true
		}
	}
	return false
}

// unavailable reports an error meaning PostgreSQL cannot be reached or
// cannot serve now, as opposed to one about the request. The caller's
// context must be checked first: its cancellation is not unavailability.
func unavailable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code[:2] == "08": // connection exception
		case pe.Code[:2] == "53": // insufficient resources: too many connections, disk full, out of memory
		case pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03": // admin shutdown, crash shutdown, cannot connect now
		case timedOut(err):
		default:
			return false
		}
		return true
	}
	var ne net.Error
	var ce *pgconn.ConnectError
	var ae acquireErr
	return errors.As(err, &ae) || errors.As(err, &ce) || errors.As(err, &ne) ||
		errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err)
}

// timedOut reports statement_timeout (57014 with the caller's context
// alive) and lock_timeout (55P03): the database is too busy to answer in
// time. They already took their whole budget, so they are not retried.
func timedOut(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "57014" || pe.Code == "55P03")
}

// do runs op until it succeeds or fails for good (see above). idempotent
// says that running op again after its connection broke is harmless
// (reads, and transactions, whose COMMIT inTx marks ambiguous itself).
func (c *Catalog) do(ctx context.Context, idempotent bool, op func(ctx context.Context, conn *pgxpool.Conn) error) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	var downSince time.Time
	for attempt := 0; ; attempt++ {
		err := c.attempt(ctx, idempotent, op)
		if err == nil {
			return nil
		}
		if c.closed.Load() {
			return catalog.ErrClosed
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var te txErr
		if !errors.As(err, &te) {
			return err // the caller's function's own error
		}
		var wait time.Duration
		var amb ambiguousErr
		switch {
		case retryable(err) && attempt < c.opts.MaxRetries:
			wait = time.Duration(rand.Int64N(int64(time.Millisecond) << min(attempt, 6)))
		case !unavailable(err):
			return err
		case errors.As(err, &amb) || timedOut(err):
			return unavailableErr{err}
		default:
			if downSince.IsZero() {
				downSince = time.Now()
			}
			left := c.opts.AcquireTimeout - time.Since(downSince)
			if left <= 0 {
				return unavailableErr{err}
			}
			wait = min(25*time.Millisecond<<min(attempt, 5), time.Second, left)
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// attempt runs op once on a pooled connection. The whole attempt has a
// deadline too, as a backstop for a network that drops packets silently:
// server-side timeouts cannot fire when the server is unreachable.
func (c *Catalog) attempt(ctx context.Context, idempotent bool, op func(ctx context.Context, conn *pgxpool.Conn) error) error {
	actx, cancel := context.WithTimeout(ctx, c.opts.AcquireTimeout)
	conn, err := c.pool.Acquire(actx)
	cancel()
	if err != nil {
		return txErr{acquireErr{err}}
	}
	defer conn.Release()
	if c.opts.StatementTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.opts.AcquireTimeout+2*c.opts.StatementTimeout)
		defer cancel()
	}
	err = op(ctx, conn)
	var pe *pgconn.PgError
	if err != nil && !idempotent && !errors.As(err, &pe) && !pgconn.SafeToRetry(err) {
		var te txErr
		if errors.As(err, &te) {
			return ambiguousErr{te}
		}
	}
	return err
}

// read runs a query (or an idempotent write) with do's retries.
func (c *Catalog) read(ctx context.Context, op func(ctx context.Context, conn *pgxpool.Conn) error) error {
	return c.do(ctx, true, op)
}

// inTx runs fn in a transaction and commits, with do's retries: fn may run
// several times, each time on fresh state, so it must have no side effects
// beyond its result. fn's own errors (caller conditions, catalog errors)
// abort without retry and are returned unchanged.
func (c *Catalog) inTx(ctx context.Context, opts pgx.TxOptions, fn func(ctx context.Context, tx pgx.Tx) error) error {
	return c.do(ctx, true, func(ctx context.Context, conn *pgxpool.Conn) (err error) {
		tx, err := conn.BeginTx(ctx, opts)
		if err != nil {
			return txErr{err}
		}
		defer func() {
			if err != nil {
				rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.opts.AcquireTimeout)
				tx.Rollback(rctx)
				cancel()
			}
		}()
		if err := fn(ctx, tx); err != nil {
			return err
		}
		if err := tx.Commit(ctx); err != nil {
			if retryable(err) {
				return txErr{err} // the server refused the commit: nothing happened
			}
			return ambiguousErr{txErr{err}}
		}
		return nil
	})
}
