package server

import (
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestPebbleErrorsRateLimited: Pebble retries a failing flush at once and
// logs each failure; the server logs one line per kind per 10 s.
func TestPebbleErrorsRateLimited(t *testing.T) {
	var buf syncBuffer
	l := newPebbleLogger(slog.New(slog.NewJSONHandler(&buf, nil)))
	for i := range 2000 {
		l.Errorf("background error: %s", errors.New("write 0000"+string(rune('0'+i%10))+".sst: no space left on device"))
	}
	l.Errorf("other: %d", 1)
	if n := strings.Count(buf.String(), "\n"); n != 2 {
		t.Fatalf("%d lines logged, want 2:\n%s", n, buf.String())
	}
}

// TestLogBufferKeepsEveryLineInOrder: lines from concurrent loggers, more
// than maxPending bytes in all, all reach the output whole and each
// logger's lines in the order logged, once Close returns.
func TestLogBufferKeepsEveryLineInOrder(t *testing.T) {
	var out syncBuffer
	buf := NewLogBuffer(&out)
	log, err := NewLogger(buf, "json", "info")
	if err != nil {
		t.Fatal(err)
	}
	const workers, lines = 8, 2000 // about 1.5 MiB: several inline flushes
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range lines {
				log.Info("request", "worker", w, "seq", i, "pad", strings.Repeat("x", 40))
			}
		}()
	}
	wg.Wait()
	if err := buf.Close(); err != nil {
		t.Fatal(err)
	}
	next := make([]int, workers)
	n := 0
	for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		var rec struct{ Worker, Seq int }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("line %d is not one whole record: %v: %q", n, err, line)
		}
		if rec.Seq != next[rec.Worker] {
			t.Fatalf("worker %d: line %d after %d", rec.Worker, rec.Seq, next[rec.Worker]-1)
		}
		next[rec.Worker]++
		n++
	}
	if n != workers*lines {
		t.Fatalf("%d lines written, want %d", n, workers*lines)
	}
	// After Close, lines go straight through.
	log.Info("late")
	if !strings.Contains(out.String(), `"msg":"late"`) {
		t.Fatal("a line logged after Close was not written")
	}
}

// TestLogBufferWritesWarningsAtOnce: a warning or error is in the output
// when the log call returns (an os.Exit may follow it), and the info lines
// queued before it come first; info lines alone are written out by the
// timer, with no Flush.
func TestLogBufferWritesWarningsAtOnce(t *testing.T) {
	var out syncBuffer
	buf := NewLogBuffer(&out)
	defer buf.Close()
	log, err := NewLogger(buf, "json", "info")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("before")
	log.With("k", "v").Error("boom")
	got := out.String()
	if !strings.Contains(got, `"msg":"boom"`) || strings.Index(got, `"msg":"before"`) > strings.Index(got, `"msg":"boom"`) {
		t.Fatalf("after an error was logged the output holds %q, want the info line then the error", got)
	}
	log.Info("after")
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), `"msg":"after"`) {
		if time.Now().After(deadline) {
			t.Fatal("an info line was not written out within 5 s without a Flush")
		}
		time.Sleep(time.Millisecond)
	}
}
