package postgres

import (
	"testing"

	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/catalog/catalogtest"
)

func TestConformance(t *testing.T) {
	needPostgres(t)
	catalogtest.Run(t, func(t *testing.T) catalog.Catalog {
		c := openTest(t)
		checkOnCleanup(t, c)
		return c
	})
}
