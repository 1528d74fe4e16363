package pebble

import (
	"fmt"
	"hash/maphash"

	"github.com/cockroachdb/pebble/v2"
)

// OpenReadOnly opens an existing catalog without writing to it: the
// write-ahead log is replayed into memory instead of being flushed to a
// new table, so it works on a full disk, where a writable Open cannot
// complete (Pebble retries the failing flush for ever). Every mutation
// fails with an error.
func OpenReadOnly(dir string, opts ...Option) (*Catalog, error) {
	o := options{cacheSize: DefaultCacheSize, valueSep: DefaultValueSeparation}
	for _, opt := range opts {
		opt(&o)
	}
	po := pebbleOptions(o)
	po.ReadOnly = true
	db, err := pebble.Open(dir, po)
	if err != nil {
		return nil, fmt.Errorf("catalog/pebble: open %s read-only: %w", dir, err)
	}
	c := &Catalog{db: db}
	c.locks.seed = maphash.MakeSeed()
	if err := c.checkSchema(); err != nil {
		db.Close()
		return nil, err
	}
	return c, nil
}
