package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// Placeholders until the shared-state tables land (issue 13).
var errTODO = errors.New("catalog/postgres: not implemented yet")

// UpdateConfig implements catalog.Catalog.
func (c *Catalog) UpdateConfig(ctx context.Context, name string, fn func(cur []byte) ([]byte, error)) error {
	return errTODO
}

// ConfigChanges implements catalog.Catalog.
func (c *Catalog) ConfigChanges(ctx context.Context, prefix string, cursor uint64) ([]catalog.ConfigValue, uint64, error) {
	return nil, 0, errTODO
}

// ClaimToken implements catalog.Catalog.
func (c *Catalog) ClaimToken(ctx context.Context, scope, token string, value []byte, ttl time.Duration) ([]byte, error) {
	return nil, errTODO
}
