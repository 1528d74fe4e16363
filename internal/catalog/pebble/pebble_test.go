package pebble

import (
	"fmt"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/catalog/catalogtest"
)

func TestConformance(t *testing.T) {
	catalogtest.Run(t, func(t *testing.T) catalog.Catalog {
		return openTest(t, WithFS(vfs.NewMem()))
	})
}

// TestConformanceOnDisk runs the suite once against the real filesystem.
func TestConformanceOnDisk(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	catalogtest.Run(t, func(t *testing.T) catalog.Catalog {
		return openTestDir(t, t.TempDir())
	})
}

func openTest(t testing.TB, opts ...Option) *Catalog {
	return openTestDir(t, "db", opts...)
}

func openTestDir(t testing.TB, dir string, opts ...Option) *Catalog {
	t.Helper()
	c, err := Open(dir, append([]Option{WithCacheSize(8 << 20), WithLogger(quietLogger{})}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// quietLogger drops Pebble's informational logs in tests.
type quietLogger struct{}

func (quietLogger) Infof(string, ...any)           {}
func (quietLogger) Errorf(string, ...any)          {}
func (quietLogger) Fatalf(format string, a ...any) { panic(fmt.Sprintf(format, a...)) }
