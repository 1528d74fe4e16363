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
		t.Cleanup(func() {
			if !t.Failed() {
				if err := mem.CheckConsistency(c); err != nil {
					t.Errorf("catalog inconsistent after the test: %v", err)
				}
			}
			c.Close()
		})
		return c
	})
}
