package mmapio

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testFile(t *testing.T, size int) (*os.File, []byte) {
	t.Helper()
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i*7 + i/4096)
	}
	name := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, data
}

// TestRanges maps ranges that start and end off page boundaries and
// checks the bytes.
func TestRanges(t *testing.T) {
	f, data := testFile(t, 3<<20+123)
	for _, r := range []struct{ off, n int }{
		{0, len(data)}, {1, 10}, {4095, 2}, {4096, 4096}, {12345, 2<<20 + 7}, {len(data) - 1, 1},
	} {
		m, err := Open(f, int64(r.off), r.n)
		if errors.Is(err, ErrUnsupported) {
			t.Skip("no memory maps on this platform")
		}
		if err != nil {
			t.Fatalf("Open(%d, %d): %v", r.off, r.n, err)
		}
		var buf bytes.Buffer
		n, err := Write(&buf, m.Bytes())
		if err != nil || n != r.n || !bytes.Equal(buf.Bytes(), data[r.off:r.off+r.n]) {
			t.Errorf("range %d+%d: wrote %d (%v), bytes equal %v", r.off, r.n, n, err, bytes.Equal(buf.Bytes(), data[r.off:r.off+r.n]))
		}
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
		if m.Bytes() != nil || m.Close() != nil {
			t.Error("a closed Map still has bytes, or a second Close fails")
		}
	}
	for _, r := range []struct{ off, n int }{{0, 0}, {-1, 5}} {
		if _, err := Open(f, int64(r.off), r.n); err == nil {
			t.Errorf("Open(%d, %d) succeeded", r.off, r.n)
		}
	}
}

// TestTruncatedUnderMap: a file cut short while mapped makes Write fail
// instead of crashing the process.
func TestTruncatedUnderMap(t *testing.T) {
	f, _ := testFile(t, 1<<20)
	m, err := Open(f, 0, 1<<20)
	if errors.Is(err, ErrUnsupported) {
		t.Skip("no memory maps on this platform")
	}
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := os.Truncate(f.Name(), 0); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	_, err = Write(&buf, m.Bytes())
	if err == nil || !strings.Contains(err.Error(), "fault") {
		t.Fatalf("Write of a truncated map: %v, want a fault error", err)
	}
}

// TestOtherPanicsPassThrough: Write recovers only memory faults.
func TestOtherPanicsPassThrough(t *testing.T) {
	defer func() {
		if r := recover(); r != "boom" {
			t.Fatalf("recovered %v, want the writer's own panic", r)
		}
	}()
	Write(panicWriter{}, []byte("x"))
	t.Fatal("Write returned")
}

type panicWriter struct{}

func (panicWriter) Write([]byte) (int, error) { panic("boom") }
