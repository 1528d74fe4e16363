package pebble

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/catalog/catalogtest"
)

func TestConformance(t *testing.T) {
	catalogtest.Run(t, func(t *testing.T) catalog.Catalog {
		c := openTest(t, WithFS(vfs.NewMem()))
		checkOnCleanup(t, c)
		return c
	})
}

// TestConformanceOnDisk runs the suite once against the real filesystem.
func TestConformanceOnDisk(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	catalogtest.Run(t, func(t *testing.T) catalog.Catalog {
		c := openTestDir(t, t.TempDir())
		checkOnCleanup(t, c)
		return c
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

func memFS() vfs.FS { return vfs.NewMem() }

func timeNow() time.Time { return time.Now() }

// TestRefusesOtherSchema: a database stamped with another key layout
// (version 1 kept inline bytes inside object records) is refused clearly.
func TestRefusesOtherSchema(t *testing.T) {
	fs := vfs.NewMem()
	c := openTest(t, WithFS(fs))
	if err := c.db.Set(schemaKey, []byte{1}, nil); err != nil {
		t.Fatal(err)
	}
	c.Close()
	_, err := Open("db", WithFS(fs), WithLogger(quietLogger{}))
	if err == nil || !strings.Contains(err.Error(), "schema version [1]") {
		t.Fatalf("Open of a version 1 database: %v", err)
	}
}
