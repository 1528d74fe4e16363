package server

import (
	"context"

	"github.com/zonal-dev/zonal/internal/metrics"
)

// countBucketMetrics adds a finished request to the counters of the
// bucket's metrics configurations whose filter selects it. A bucket
// without configurations costs one lookup in an in-memory map; only
// authenticated object and listing requests are counted, so unsigned
// traffic naming random buckets cannot fill that map.
func (s *Server) countBucketMetrics(ctx context.Context, st *reqState, mr *metrics.Request) {
	info := &st.req.Info
	if info.Bucket == "" || info.Principal == "" {
		return
	}
	class, ok := metrics.OpClass(mr.Op)
	if !ok {
		return
	}
	set := s.store.BucketMetrics(ctx, info.Bucket) // ctx: a first lookup ends with the request
	if set == nil {
		return
	}
	key := info.Key
	if class == "List" && key == "" {
		// A listing is selected by the prefix it lists under.
		key = st.req.Query.Get("prefix")
	}
	for i := range set.Configs {
		if c := &set.Configs[i]; c.Matches(key, st.req.AccessPoint()) {
			s.metrics.ConfigRequest(info.Bucket, c.ID, class, mr.BytesIn, mr.BytesOut)
		}
	}
}
