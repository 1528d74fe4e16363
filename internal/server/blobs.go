package server

import (
	"context"
	"fmt"
	"strings"

	"github.com/zonal-dev/zonal/internal/blob"
	blobcache "github.com/zonal-dev/zonal/internal/blob/cache"
	blobfs "github.com/zonal-dev/zonal/internal/blob/fs"
	blobs3 "github.com/zonal-dev/zonal/internal/blob/s3"
	"github.com/zonal-dev/zonal/internal/metrics"
)

// openBlobs opens the blob store: the blob folder, or with Config.Blob an
// S3-compatible cluster, behind a node-local cache when one is set.
func (s *Server) openBlobs() (blob.Store, error) {
	if s.cfg.Blob == "" {
		st, err := blobfs.Open(s.blobDir())
		if err != nil {
			return nil, fmt.Errorf("blob store: %w", err)
		}
		return st, nil
	}
	bucket, prefix, _ := strings.Cut(strings.TrimPrefix(s.cfg.Blob, "s3://"), "/")
	if s.cfg.BlobEndpoint == "" {
		return nil, fmt.Errorf("blob store %s: set --blob-endpoint (ZONAL_BLOB_ENDPOINT) to the cluster's S3 URL", s.cfg.Blob)
	}
	st, err := blobs3.Open(context.Background(), blobs3.Options{
		Endpoint: s.cfg.BlobEndpoint, Region: s.cfg.BlobRegion, Bucket: bucket, Prefix: strings.TrimSuffix(prefix, "/"),
		AccessKeyID: s.cfg.BlobAccessKeyID, SecretAccessKey: s.cfg.BlobSecretKey,
	})
	if err != nil {
		return nil, fmt.Errorf("blob store %s at %s: %w", s.cfg.Blob, s.cfg.BlobEndpoint, err)
	}
	if s.cfg.CacheDir == "" || s.cfg.CacheSize <= 0 {
		return st, nil
	}
	c, err := blobcache.New(st, s.cfg.CacheDir, s.cfg.CacheSize)
	if err != nil {
		return nil, fmt.Errorf("blob cache %s: %w", s.cfg.CacheDir, err)
	}
	limit := s.cfg.CacheSize
	s.metrics.RegisterBlobCache(func() metrics.CacheStats {
		st := c.Stats()
		return metrics.CacheStats{Hits: st.Hits, Misses: st.Misses, Evictions: st.Evictions, Bytes: st.Bytes, Blobs: st.Blobs, CapacityBytes: limit}
	})
	return c, nil
}
