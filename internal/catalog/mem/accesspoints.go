package mem

import (
	"context"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// CreateAccessPoint implements catalog.AccessPoints.
func (c *Catalog) CreateAccessPoint(ctx context.Context, a catalog.AccessPoint) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.buckets[a.Bucket]; !ok {
		return catalog.ErrNotFound
	}
	if _, ok := c.aps[a.Name]; ok {
		return catalog.ErrExists
	}
	c.aps[a.Name] = a.Clone()
	return nil
}

// GetAccessPoint implements catalog.AccessPoints.
func (c *Catalog) GetAccessPoint(ctx context.Context, name string) (catalog.AccessPoint, error) {
	if err := c.check(ctx); err != nil {
		return catalog.AccessPoint{}, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	a, ok := c.aps[name]
	if !ok {
		return catalog.AccessPoint{}, catalog.ErrNotFound
	}
	return a.Clone(), nil
}

// UpdateAccessPoint implements catalog.AccessPoints.
func (c *Catalog) UpdateAccessPoint(ctx context.Context, name string, fn func(a *catalog.AccessPoint) error) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old, ok := c.aps[name]
	if !ok {
		return catalog.ErrNotFound
	}
	next, err := catalog.UpdatedAccessPoint(old, fn)
	if err != nil {
		return err
	}
	c.aps[name] = next.Clone()
	return nil
}

// DeleteAccessPoint implements catalog.AccessPoints.
func (c *Catalog) DeleteAccessPoint(ctx context.Context, name string) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.aps[name]; !ok {
		return catalog.ErrNotFound
	}
	delete(c.aps, name)
	return nil
}

// ListAccessPoints implements catalog.AccessPoints.
func (c *Catalog) ListAccessPoints(ctx context.Context, owner, bucket, after string, limit int) ([]catalog.AccessPoint, error) {
	if err := c.check(ctx); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	c.mu.RLock()
	var out []catalog.AccessPoint
	for _, a := range c.aps {
		if a.Owner == owner && (bucket == "" || a.Bucket == bucket) {
			out = append(out, a.Clone())
		}
	}
	c.mu.RUnlock()
	return catalog.SortAccessPoints(out, after, limit), nil
}
