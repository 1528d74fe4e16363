package metrics

import (
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Per-configuration request counters: a bucket's metrics configurations
// (PutBucketMetricsConfiguration) each count the requests their filter
// selects, by operation class as CloudWatch's request metrics do (Get,
// Put, Delete, Head, Post, List), with the bytes uploaded and downloaded.
// Label sets are bounded by the configurations themselves (at most 1,000
// per bucket) and, across buckets, by maxConfigSeries.

// maxConfigSeries bounds the (bucket, configuration, class) series; past
// it, new ones are not counted (zonal_bucket_metrics_dropped_total).
const maxConfigSeries = 20000

type configKey struct{ bucket, config, class string }

type configSeries struct {
	requests, bytesIn, bytesOut prometheus.Counter
}

type configCounters struct {
	requests, bytesIn, bytesOut *prometheus.CounterVec
	dropped                     prometheus.Counter

	mu     sync.Mutex // serialises additions to series
	series atomic.Pointer[map[configKey]*configSeries]
}

func (c *configCounters) init(reg *prometheus.Registry) {
	labels := []string{"bucket", "config", "op_class"}
	c.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "zonal_bucket_metrics_requests_total", Help: "Requests selected by a bucket's metrics configuration, by operation class.",
	}, labels)
	c.bytesIn = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "zonal_bucket_metrics_bytes_uploaded_total", Help: "Request body bytes of the requests a bucket's metrics configuration selects.",
	}, labels)
	c.bytesOut = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "zonal_bucket_metrics_bytes_downloaded_total", Help: "Response body bytes of the requests a bucket's metrics configuration selects.",
	}, labels)
	c.dropped = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "zonal_bucket_metrics_dropped_total", Help: "Selected requests not counted because the per-configuration series reached their bound.",
	})
	empty := map[configKey]*configSeries{}
	c.series.Store(&empty)
	reg.MustRegister(c.requests, c.bytesIn, c.bytesOut, c.dropped)
}

// opClasses are the operations counted per configuration and their
// CloudWatch request-metric class; configuration and session operations
// are not object requests and are not counted.
var opClasses = map[string]string{
	"GetObject": "Get", "GetObjectAttributes": "Get",
	"HeadObject": "Head", "HeadBucket": "Head",
	"PutObject": "Put", "UploadPart": "Put", "CopyObject": "Put", "UploadPartCopy": "Put", "RenameObject": "Put",
	"DeleteObject": "Delete", "AbortMultipartUpload": "Delete",
	"DeleteObjects": "Post", "CreateMultipartUpload": "Post", "CompleteMultipartUpload": "Post",
	"ListObjectsV2": "List", "ListObjects": "List", "ListParts": "List", "ListMultipartUploads": "List",
}

// OpClass returns the class an operation is counted under per
// configuration, and false for operations not counted.
func OpClass(op string) (string, bool) {
	c, ok := opClasses[op]
	return c, ok
}

// ConfigRequest counts one request selected by the configuration config
// of bucket, of class (OpClass), with its body and response sizes.
func (m *Metrics) ConfigRequest(bucket, config, class string, bytesIn, bytesOut int64) {
	c := &m.configs
	k := configKey{bucket, config, class}
	s := (*c.series.Load())[k]
	if s == nil {
		if s = c.add(k); s == nil {
			c.dropped.Inc()
			return
		}
	}
	s.requests.Inc()
	if bytesIn > 0 {
		s.bytesIn.Add(float64(bytesIn))
	}
	if bytesOut > 0 {
		s.bytesOut.Add(float64(bytesOut))
	}
}

func (c *configCounters) add(k configKey) *configSeries {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := *c.series.Load()
	if s := old[k]; s != nil {
		return s
	}
	if len(old) >= maxConfigSeries {
		return nil
	}
	s := &configSeries{c.requests.WithLabelValues(k.bucket, k.config, k.class),
		c.bytesIn.WithLabelValues(k.bucket, k.config, k.class), c.bytesOut.WithLabelValues(k.bucket, k.config, k.class)}
	next := make(map[configKey]*configSeries, len(old)+1)
	for key, v := range old {
		next[key] = v
	}
	next[k] = s
	c.series.Store(&next)
	return s
}
