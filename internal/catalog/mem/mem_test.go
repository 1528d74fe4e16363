package mem_test

import (
	"testing"

	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/catalog/catalogtest"
	"github.com/zonal-dev/zonal/internal/catalog/mem"
)

func TestConformance(t *testing.T) {
	catalogtest.Run(t, func(t *testing.T) catalog.Catalog {
		c := mem.New()
		t.Cleanup(func() { c.Close() })
		return c
	})
}
