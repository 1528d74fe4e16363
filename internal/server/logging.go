package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// NewLogger builds the server's logger. format is "text", "json" or
// "auto" (text when w is a terminal, JSON otherwise); level is debug,
// info, warn or error. With w a *LogBuffer, records at warn and above are
// written out before the log call returns (see LogBuffer).
func NewLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: %v", level, err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	out := w
	buf, buffered := w.(*LogBuffer)
	if buffered {
		out = buf.out
	}
	var h slog.Handler
	switch strings.ToLower(format) {
	case "auto", "":
		if IsTerminal(out) {
			h = slog.NewTextHandler(w, opts)
		} else {
			h = slog.NewJSONHandler(w, opts)
		}
	case "text":
		h = slog.NewTextHandler(w, opts)
	case "json":
		h = slog.NewJSONHandler(w, opts)
	default:
		return nil, fmt.Errorf("log format %q: want text, json or auto", format)
	}
	if buffered {
		h = flushOnWarn{h, buf}
	}
	return slog.New(h), nil
}

// LogBuffer collects log lines in memory and writes them out in batches,
// flushDelay after the first line of a batch. Why: at tens of thousands of
// requests a second, a write(2) per access-log line was about 5% of a
// 4 KiB GET's server CPU, taken while holding the log handler's lock.
//
// Nothing is dropped. When maxPending bytes are waiting, the line's writer
// writes them out itself. Lines at warn and above (5xx access-log lines,
// errors before an exit) are written out before the log call returns
// (NewLogger arranges it), and Close writes the rest at shutdown. What an
// abrupt crash can lose is the info lines of the last flushDelay.
type LogBuffer struct {
	out io.Writer

	mu      sync.Mutex // guards pending and closed
	pending []byte
	closed  bool
	timer   *time.Timer

	outMu sync.Mutex // serialises writes to out, so lines keep their order
	spare []byte     // the previous batch's buffer, reused (under outMu)
}

const (
	flushDelay = 5 * time.Millisecond
	maxPending = 256 << 10
)

// NewLogBuffer returns a LogBuffer writing to out. Close it before exit.
func NewLogBuffer(out io.Writer) *LogBuffer {
	b := &LogBuffer{out: out}
	b.timer = time.AfterFunc(time.Hour, func() { _ = b.Flush() })
	b.timer.Stop()
	return b
}

// Write queues p (one whole record from a slog handler). After Close it
// writes p through.
func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		b.outMu.Lock()
		defer b.outMu.Unlock()
		return b.out.Write(p)
	}
	first := len(b.pending) == 0
	b.pending = append(b.pending, p...)
	full := len(b.pending) >= maxPending
	b.mu.Unlock()
	if full {
		return len(p), b.Flush()
	}
	if first {
		b.timer.Reset(flushDelay)
	}
	return len(p), nil
}

// Flush writes out every queued line.
func (b *LogBuffer) Flush() error {
	b.outMu.Lock()
	defer b.outMu.Unlock()
	b.mu.Lock()
	batch := b.pending
	b.pending = b.spare[:0]
	b.mu.Unlock()
	if len(batch) == 0 {
		b.spare = batch
		return nil
	}
	_, err := b.out.Write(batch)
	if cap(batch) <= 2*maxPending { // a burst's huge buffer is let go
		b.spare = batch[:0]
	} else {
		b.spare = nil
	}
	return err
}

// Close writes out what is queued; later lines are written at once.
func (b *LogBuffer) Close() error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.timer.Stop()
	return b.Flush()
}

// flushOnWarn writes a LogBuffer out after every record at warn or above,
// so that errors reach the log before the call returns (some are followed
// by os.Exit).
type flushOnWarn struct {
	slog.Handler
	buf *LogBuffer
}

func (h flushOnWarn) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		if ferr := h.buf.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

func (h flushOnWarn) WithAttrs(attrs []slog.Attr) slog.Handler {
	return flushOnWarn{h.Handler.WithAttrs(attrs), h.buf}
}

func (h flushOnWarn) WithGroup(name string) slog.Handler {
	return flushOnWarn{h.Handler.WithGroup(name), h.buf}
}

// IsTerminal reports whether w is an *os.File on a terminal (a character
// device: /dev/null counts too, which only makes discarded logs text).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// pebbleLogger sends Pebble's own messages to the server's log: routine
// ones ("Found 0 WALs", compactions) at debug, errors at error. Without it
// Pebble prints them on the standard logger.
//
// Pebble retries a failed flush or compaction at once, with no backoff,
// and logs every failure: on a full disk that is thousands of lines a
// second. So each error message (by format) is logged at most once per
// pebbleErrorEvery, with the count of the repeats left out.
type pebbleLogger struct {
	log *slog.Logger
	st  *pebbleLogState
}

type pebbleLogState struct {
	// opening is set while a writable catalog Open runs: a flush failing
	// for lack of space then would be retried for ever inside Open, so
	// the process exits instead (see openCatalog).
	opening atomic.Bool

	mu     sync.Mutex
	recent map[string]*pebbleRepeat // by format
}

type pebbleRepeat struct {
	last       time.Time
	suppressed int
}

const pebbleErrorEvery = 10 * time.Second

func newPebbleLogger(log *slog.Logger) pebbleLogger {
	return pebbleLogger{log: log, st: &pebbleLogState{recent: map[string]*pebbleRepeat{}}}
}

func (l pebbleLogger) Infof(format string, args ...any) {
	if l.log.Enabled(context.Background(), slog.LevelDebug) {
		l.log.Debug("pebble: " + fmt.Sprintf(format, args...))
	}
}

func (l pebbleLogger) Errorf(format string, args ...any) {
	if l.st == nil {
		l.log.Error("pebble: " + fmt.Sprintf(format, args...))
		return
	}
	if l.st.opening.Load() && noSpace(args) {
		l.log.Error("cannot start: the disk holding the data folder is full, and the catalog cannot write out the log of its last run. Free some space on it and start again.",
			"err", fmt.Sprint(args...))
		os.Exit(1)
	}
	l.st.mu.Lock()
	r := l.st.recent[format]
	if r == nil {
		r = &pebbleRepeat{}
		l.st.recent[format] = r
	}
	now := time.Now()
	if !r.last.IsZero() && now.Sub(r.last) < pebbleErrorEvery {
		r.suppressed++
		l.st.mu.Unlock()
		return
	}
	n := r.suppressed
	r.last, r.suppressed = now, 0
	l.st.mu.Unlock()
	if n > 0 {
		l.log.Error("pebble: "+fmt.Sprintf(format, args...), "repeats_not_logged", n)
		return
	}
	l.log.Error("pebble: " + fmt.Sprintf(format, args...))
}

// noSpace reports whether an argument is an ENOSPC error.
func noSpace(args []any) bool {
	for _, a := range args {
		if err, ok := a.(error); ok && errors.Is(err, syscall.ENOSPC) {
			return true
		}
	}
	return false
}

// Fatalf is called by Pebble on unrecoverable corruption; like Pebble's
// default logger it ends the process.
func (l pebbleLogger) Fatalf(format string, args ...any) {
	l.log.Error("pebble: fatal: " + fmt.Sprintf(format, args...))
	os.Exit(1)
}
