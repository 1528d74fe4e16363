package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// StorageSample is one background measurement of the data folder. Walking
// a blob store or counting the GC queue costs time proportional to their
// size, so they are sampled on a timer (see Sampler), never per scrape.
type StorageSample struct {
	BlobBytes    int64
	Blobs        int64
	GCBacklog    int64
	CatalogBytes int64 // bytes of the catalog's files on disk
	At           time.Time
	Took         time.Duration
	Err          error // the sample is partial when set
}

var (
	descBlobBytes    = prometheus.NewDesc("zonal_blob_store_bytes", "Bytes held by the blob store (sampled).", nil, nil)
	descBlobs        = prometheus.NewDesc("zonal_blob_store_blobs", "Blobs held by the blob store (sampled).", nil, nil)
	descGCBacklog    = prometheus.NewDesc("zonal_gc_backlog", "Blobs waiting in the garbage-collection queue (sampled).", nil, nil)
	descCatalogBytes = prometheus.NewDesc("zonal_catalog_disk_bytes", "Bytes of the catalog database's files (sampled).", nil, nil)
	descSampleTime   = prometheus.NewDesc("zonal_storage_sample_timestamp_seconds", "Unix time of the last storage sample.", nil, nil)
	descSampleTook   = prometheus.NewDesc("zonal_storage_sample_duration_seconds", "How long the last storage sample took.", nil, nil)
	descSampleErrs   = prometheus.NewDesc("zonal_storage_sample_errors_total", "Storage samples that failed (partly or wholly).", nil, nil)
)

// storageCollector reports the last StorageSample. Nothing is reported
// before the first sample.
type storageCollector struct {
	mu     sync.Mutex
	last   StorageSample
	have   bool
	errors int
}

// SetStorage publishes a storage sample.
func (m *Metrics) SetStorage(s StorageSample) {
	c := &m.storage
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last, c.have = s, true
	if s.Err != nil {
		c.errors++
	}
}

func (c *storageCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descBlobBytes, descBlobs, descGCBacklog, descCatalogBytes, descSampleTime, descSampleTook, descSampleErrs} {
		ch <- d
	}
}

func (c *storageCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	s, have, errs := c.last, c.have, c.errors
	c.mu.Unlock()
	ch <- prometheus.MustNewConstMetric(descSampleErrs, prometheus.CounterValue, float64(errs))
	if !have {
		return
	}
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v)
	}
	gauge(descBlobBytes, float64(s.BlobBytes))
	gauge(descBlobs, float64(s.Blobs))
	gauge(descGCBacklog, float64(s.GCBacklog))
	gauge(descCatalogBytes, float64(s.CatalogBytes))
	gauge(descSampleTime, float64(s.At.UnixNano())/1e9)
	gauge(descSampleTook, s.Took.Seconds())
}
