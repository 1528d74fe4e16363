package metrics

import "github.com/prometheus/client_golang/prometheus"

// CacheStats are a node-local blob cache's counters (see
// internal/blob/cache), read at each scrape: they are atomics, so reading
// them costs nothing worth sampling.
type CacheStats struct {
	Hits, Misses, Evictions int64 // since start
	Bytes, Blobs            int64 // held now
	CapacityBytes           int64 // --cache-size
}

var (
	descCacheHits      = prometheus.NewDesc("zonal_blob_cache_hits_total", "Blob reads served from the node-local cache.", nil, nil)
	descCacheMisses    = prometheus.NewDesc("zonal_blob_cache_misses_total", "Blob reads that went to the blob store (and filled the cache).", nil, nil)
	descCacheEvictions = prometheus.NewDesc("zonal_blob_cache_evictions_total", "Cached blobs removed to stay within --cache-size.", nil, nil)
	descCacheBytes     = prometheus.NewDesc("zonal_blob_cache_bytes", "Disk space used by the node-local blob cache.", nil, nil)
	descCacheBlobs     = prometheus.NewDesc("zonal_blob_cache_blobs", "Blobs held by the node-local blob cache.", nil, nil)
	descCacheCapacity  = prometheus.NewDesc("zonal_blob_cache_capacity_bytes", "The node-local blob cache's size limit (--cache-size).", nil, nil)
)

// cacheCollector reports a blob cache's counters at scrape time.
type cacheCollector func() CacheStats

// RegisterBlobCache reports the node-local blob cache whose counters stats
// returns. Call it once, when the server has a cache.
func (m *Metrics) RegisterBlobCache(stats func() CacheStats) {
	m.reg.MustRegister(cacheCollector(stats))
}

func (c cacheCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descCacheHits, descCacheMisses, descCacheEvictions, descCacheBytes, descCacheBlobs, descCacheCapacity} {
		ch <- d
	}
}

func (c cacheCollector) Collect(ch chan<- prometheus.Metric) {
	s := c()
	ch <- prometheus.MustNewConstMetric(descCacheHits, prometheus.CounterValue, float64(s.Hits))
	ch <- prometheus.MustNewConstMetric(descCacheMisses, prometheus.CounterValue, float64(s.Misses))
	ch <- prometheus.MustNewConstMetric(descCacheEvictions, prometheus.CounterValue, float64(s.Evictions))
	ch <- prometheus.MustNewConstMetric(descCacheBytes, prometheus.GaugeValue, float64(s.Bytes))
	ch <- prometheus.MustNewConstMetric(descCacheBlobs, prometheus.GaugeValue, float64(s.Blobs))
	ch <- prometheus.MustNewConstMetric(descCacheCapacity, prometheus.GaugeValue, float64(s.CapacityBytes))
}
