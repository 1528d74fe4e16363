package store

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// Metrics and inventory configurations are kept as catalog named values,
// one per bucket and kind, not in the bucket record: a bucket may hold
// 1,000 of each, and the bucket record is read by every request. Each
// value carries the creation time of the bucket it belongs to, so the
// configurations of a deleted bucket never reach a new bucket of the same
// name (DeleteBucket also clears them, but a crash may come in between).
const (
	metricsConfigPrefix   = "s3metrics/"
	inventoryConfigPrefix = "s3inventory/"
	inventoryRunsPrefix   = "s3inventory-runs/"
)

// MaxBucketConfigs is AWS's limit of metrics and of inventory
// configurations per bucket.
const MaxBucketConfigs = 1000

// MetricsConfig is one metrics configuration of a bucket. Its filter is
// kept in the form it was given (a Prefix, an AccessPointArn, or both in
// an And), so GetBucketMetricsConfiguration answers with that form.
type MetricsConfig struct {
	ID             string  `json:"id"`
	Prefix         *string `json:"prefix,omitempty"`
	AccessPointARN *string `json:"ap,omitempty"`
	And            bool    `json:"and,omitempty"`
}

// Matches reports whether a request on key (or, for a listing, with that
// listing prefix), made through the access point accessPoint ("" when it
// came to the bucket itself), falls under the configuration's filter.
func (m *MetricsConfig) Matches(key, accessPoint string) bool {
	if m.Prefix != nil && !strings.HasPrefix(key, *m.Prefix) {
		return false
	}
	return m.AccessPointARN == nil || *m.AccessPointARN == accessPoint
}

// InventoryConfig is one inventory configuration of a bucket, validated.
type InventoryConfig struct {
	ID      string `json:"id"`
	Enabled bool   `json:"enabled"`
	// DestinationARN is the destination as given; DestinationBucket the
	// bucket on this server it names.
	DestinationARN     string   `json:"destArn"`
	DestinationBucket  string   `json:"dest"`
	DestinationAccount string   `json:"destAccount,omitempty"`
	DestinationPrefix  *string  `json:"destPrefix,omitempty"`
	Format             string   `json:"format"`
	FilterPrefix       *string  `json:"filter,omitempty"`
	Versions           string   `json:"versions"`
	Fields             []string `json:"fields,omitempty"`
	Frequency          string   `json:"frequency"`
}

// bucketConfigs is the stored value: the bucket's incarnation and its
// configurations in the order they were first put.
type bucketConfigs[T any] struct {
	Created int64 `json:"created"`
	Items   []T   `json:"items"`
}

type configItem interface{ itemID() string }

func (m MetricsConfig) itemID() string   { return m.ID }
func (c InventoryConfig) itemID() string { return c.ID }

// decodeConfigs reads a stored value, dropping it when it belongs to an
// earlier bucket of the name (or is empty).
func decodeConfigs[T any](v []byte, created int64) (bucketConfigs[T], error) {
	out := bucketConfigs[T]{Created: created}
	if len(v) == 0 {
		return out, nil
	}
	var cur bucketConfigs[T]
	if err := json.Unmarshal(v, &cur); err != nil {
		return out, err
	}
	if cur.Created != created {
		return out, nil
	}
	return cur, nil
}

// updateConfigs applies fn to a bucket's configurations of one kind in
// one catalog update (none when the stored value is an earlier bucket's).
func updateConfigs[T any](ctx context.Context, s *Store, prefix, bucket string, fn func(*bucketConfigs[T]) error) error {
	b, err := s.Bucket(ctx, bucket)
	if err != nil {
		return err
	}
	created := b.CreatedAt.UnixNano()
	err = s.cat.UpdateConfig(ctx, prefix+bucket, func(cur []byte) ([]byte, error) {
		cfgs, err := decodeConfigs[T](cur, created)
		if err != nil {
			return nil, err
		}
		if err := fn(&cfgs); err != nil {
			return nil, err
		}
		return json.Marshal(cfgs)
	})
	return wrap(err)
}

// putConfig adds or replaces (by id) one configuration of a bucket.
func putConfig[T configItem](ctx context.Context, s *Store, prefix, bucket string, item T) error {
	return updateConfigs(ctx, s, prefix, bucket, func(cfgs *bucketConfigs[T]) error {
		i := slices.IndexFunc(cfgs.Items, func(x T) bool { return x.itemID() == item.itemID() })
		switch {
		case i >= 0:
			cfgs.Items[i] = item
		case len(cfgs.Items) >= MaxBucketConfigs:
			return &Error{Kind: TooManyConfigurations, Bucket: bucket}
		default:
			cfgs.Items = append(cfgs.Items, item)
		}
		return nil
	})
}

// deleteConfig removes one configuration; NoSuchConfiguration when the
// bucket has none of that id.
func deleteConfig[T configItem](ctx context.Context, s *Store, prefix, bucket, id string) error {
	return updateConfigs(ctx, s, prefix, bucket, func(cfgs *bucketConfigs[T]) error {
		i := slices.IndexFunc(cfgs.Items, func(x T) bool { return x.itemID() == id })
		if i < 0 {
			return &Error{Kind: NoSuchConfiguration, Bucket: bucket}
		}
		cfgs.Items = slices.Delete(cfgs.Items, i, i+1)
		return nil
	})
}

// listConfigs returns a bucket's configurations of one kind.
func listConfigs[T any](ctx context.Context, s *Store, prefix, bucket string) ([]T, error) {
	b, err := s.Bucket(ctx, bucket)
	if err != nil {
		return nil, err
	}
	return configsOf[T](ctx, s.cat, prefix, b.Name, b.CreatedAt)
}

func configsOf[T any](ctx context.Context, cat catalog.Catalog, prefix, bucket string, created time.Time) ([]T, error) {
	v, err := cat.GetConfig(ctx, prefix+bucket)
	if err != nil && !errors.Is(err, catalog.ErrNotFound) {
		return nil, wrap(err)
	}
	cfgs, err := decodeConfigs[T](v, created.UnixNano())
	if err != nil {
		return nil, internal(err)
	}
	return cfgs.Items, nil
}

// PutMetricsConfig adds or replaces a bucket's metrics configuration.
func (s *Store) PutMetricsConfig(ctx context.Context, bucket string, m MetricsConfig) error {
	if err := putConfig(ctx, s, metricsConfigPrefix, bucket, m); err != nil {
		return err
	}
	s.metricsSets.forget(bucket)
	return nil
}

// DeleteMetricsConfig removes a bucket's metrics configuration by id.
func (s *Store) DeleteMetricsConfig(ctx context.Context, bucket, id string) error {
	if err := deleteConfig[MetricsConfig](ctx, s, metricsConfigPrefix, bucket, id); err != nil {
		return err
	}
	s.metricsSets.forget(bucket)
	return nil
}

// MetricsConfigs returns a bucket's metrics configurations.
func (s *Store) MetricsConfigs(ctx context.Context, bucket string) ([]MetricsConfig, error) {
	return listConfigs[MetricsConfig](ctx, s, metricsConfigPrefix, bucket)
}

// PutInventoryConfig adds or replaces a bucket's inventory configuration.
func (s *Store) PutInventoryConfig(ctx context.Context, bucket string, c InventoryConfig) error {
	return putConfig(ctx, s, inventoryConfigPrefix, bucket, c)
}

// DeleteInventoryConfig removes a bucket's inventory configuration by id.
func (s *Store) DeleteInventoryConfig(ctx context.Context, bucket, id string) error {
	return deleteConfig[InventoryConfig](ctx, s, inventoryConfigPrefix, bucket, id)
}

// InventoryConfigs returns a bucket's inventory configurations.
func (s *Store) InventoryConfigs(ctx context.Context, bucket string) ([]InventoryConfig, error) {
	return listConfigs[InventoryConfig](ctx, s, inventoryConfigPrefix, bucket)
}

// clearBucketConfigs drops a deleted bucket's configurations. It is best
// effort: a value left behind names the old bucket's creation time and is
// ignored by every reader.
func (s *Store) clearBucketConfigs(ctx context.Context, bucket string) {
	for _, p := range []string{metricsConfigPrefix, inventoryConfigPrefix, inventoryRunsPrefix} {
		_ = s.cat.UpdateConfig(ctx, p+bucket, func(cur []byte) ([]byte, error) {
			if len(cur) == 0 {
				return nil, nil // nothing stored: write nothing
			}
			return []byte{}, nil
		})
	}
	s.metricsSets.forget(bucket)
}

// MetricsSet is a bucket's metrics configurations as the request path
// reads them: immutable once built.
type MetricsSet struct {
	Created int64 // the bucket's creation time (UnixNano)
	Configs []MetricsConfig
}

// metricsCache keeps each bucket's MetricsSet for the request path: one
// atomic load and a map lookup per request. Entries are filled on first
// use and dropped when this node changes a bucket's configurations or
// another node's change arrives (WatchMetricsConfigs).
type metricsCache struct {
	mu sync.Mutex // serialises writers of m
	m  atomic.Pointer[map[string]*MetricsSet]
	// gen counts forgets: a lazy load that read the catalog before one
	// must not publish what it read.
	gen atomic.Uint64
}

func (c *metricsCache) get(bucket string) (*MetricsSet, bool) {
	if m := c.m.Load(); m != nil {
		s, ok := (*m)[bucket]
		return s, ok
	}
	return nil, false
}

// publish adds a lazily loaded entry unless a forget came after gen (the
// load may have read the catalog before that change) or an entry is
// already there.
func (c *metricsCache) publish(bucket string, set *MetricsSet, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen.Load() != gen {
		return
	}
	old := c.m.Load()
	if old != nil {
		if _, ok := (*old)[bucket]; ok {
			return
		}
	}
	c.store(old, bucket, set)
}

// forget drops a bucket's entry: its configurations changed.
func (c *metricsCache) forget(bucket string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen.Add(1)
	old := c.m.Load()
	if old == nil {
		return
	}
	if _, ok := (*old)[bucket]; ok {
		c.store(old, bucket, nil)
	}
}

// store publishes a copy of old with bucket's entry set, or removed when
// set is nil (a nil entry is published by publish only). c.mu is held.
func (c *metricsCache) store(old *map[string]*MetricsSet, bucket string, set *MetricsSet) {
	next := map[string]*MetricsSet{}
	if old != nil {
		next = make(map[string]*MetricsSet, len(*old)+1)
		for k, v := range *old {
			next[k] = v
		}
	}
	if set == nil && old != nil {
		if _, ok := (*old)[bucket]; ok {
			delete(next, bucket)
			c.m.Store(&next)
			return
		}
	}
	next[bucket] = set
	c.m.Store(&next)
}

// maxCachedBuckets bounds the cache: past it, buckets without
// configurations are looked up each time rather than remembered.
const maxCachedBuckets = 10000

// BucketMetrics returns a bucket's metrics configurations (nil when it
// has none): the request path's lookup. The first call for a bucket reads
// the catalog; later ones are a map lookup. A deleted bucket's entry is
// dropped by DeleteBucket here and by WatchMetricsConfigs elsewhere.
func (s *Store) BucketMetrics(ctx context.Context, bucket string) *MetricsSet {
	if set, ok := s.metricsSets.get(bucket); ok {
		return set
	}
	gen := s.metricsSets.gen.Load()
	b, err := s.cat.GetBucket(ctx, bucket)
	if err != nil {
		return nil // counted next time; a request never fails for its metrics
	}
	items, err := configsOf[MetricsConfig](ctx, s.cat, metricsConfigPrefix, bucket, b.CreatedAt)
	if err != nil {
		return nil
	}
	var set *MetricsSet
	if len(items) > 0 {
		set = &MetricsSet{Created: b.CreatedAt.UnixNano(), Configs: items}
	}
	if m := s.metricsSets.m.Load(); set != nil || m == nil || len(*m) < maxCachedBuckets {
		s.metricsSets.publish(bucket, set, gen)
	}
	return set
}

// WatchMetricsConfigs drops cached metrics configurations that other
// nodes sharing the catalog changed, polling every `every` until ctx ends.
func (s *Store) WatchMetricsConfigs(ctx context.Context, every time.Duration) {
	var cursor uint64
	catalog.Poll(ctx, every, func(ctx context.Context) error {
		vals, next, err := s.cat.ConfigChanges(ctx, metricsConfigPrefix, cursor)
		if err != nil {
			return err
		}
		for _, v := range vals {
			s.metricsSets.forget(strings.TrimPrefix(v.Name, metricsConfigPrefix))
		}
		if cursor == 0 {
			// Whatever was cached before the first cursor may be stale.
			s.metricsSets.mu.Lock()
			s.metricsSets.gen.Add(1)
			s.metricsSets.m.Store(nil)
			s.metricsSets.mu.Unlock()
		}
		cursor = next
		return nil
	})
}
