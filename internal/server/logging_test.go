package server

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
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
