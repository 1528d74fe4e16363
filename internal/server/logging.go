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
// info, warn or error.
func NewLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: %v", level, err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "auto", "":
		if IsTerminal(w) {
			return slog.New(slog.NewTextHandler(w, opts)), nil
		}
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: want text, json or auto", format)
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
