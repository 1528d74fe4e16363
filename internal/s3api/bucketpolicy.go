package s3api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/policy"
	"github.com/zonal-dev/zonal/internal/s3err"
)

// putBucketPolicy stores a bucket policy after validating it as AWS does
// for directory buckets: resource-policy grammar, at most 20 KB, and
// s3express:CreateSession as the only action.
func (h *Handler) putBucketPolicy(w http.ResponseWriter, r *http.Request, c *caller, t target) error {
	if r.Header.Get("X-Amz-Expected-Bucket-Owner") != "" || r.Header.Get("X-Amz-Confirm-Remove-Self-Bucket-Access") != "" {
		return s3err.NotImplemented.Msg("Directory buckets do not support this header on PutBucketPolicy.")
	}
	doc, err := h.readConfigBody(r, c)
	if err != nil {
		return err
	}
	opts := policy.Options{Limit: policy.LimitBucket, DirectoryBucket: true}
	if pol := h.cfg.Policies; pol != nil {
		opts.ValidPrincipal = pol.ValidPrincipalARN
	}
	b, err := h.store.Bucket(r.Context(), t.Bucket)
	if err != nil {
		return err
	}
	opts.ResourceARN = BucketARN(h.cfg.Region, b.Owner, b.Name)
	parsed, err := policy.Parse(doc, policy.Resource, opts)
	if err != nil {
		var pe *policy.Error
		if errors.As(err, &pe) {
			if pe.TooLarge {
				return s3err.MalformedPolicy.Msg("Policy exceeds the maximum allowed document size.")
			}
			return s3err.MalformedPolicy.Msg("%s", pe.Message)
		}
		return s3err.MalformedPolicy
	}
	// Block Public Access is always on for directory buckets and cannot be
	// turned off, so a public policy is refused as AWS refuses it then.
	if i, public := parsed.Public(); public {
		h.log.Info("public bucket policy refused", "bucket", t.Bucket, "statement", i,
			"principal", c.principal.ARN())
		return s3err.AccessDenied
	}
	err = h.store.UpdateBucket(r.Context(), t.Bucket, func(b *catalog.Bucket) error {
		b.Policy = doc
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) getBucketPolicy(w http.ResponseWriter, r *http.Request, t target) error {
	b, err := h.store.Bucket(r.Context(), t.Bucket)
	if err != nil {
		return err
	}
	if len(b.Policy) == 0 {
		return s3err.NoSuchBucketPolicy.With("BucketName", t.Bucket)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b.Policy)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b.Policy)
	return nil
}

func (h *Handler) deleteBucketPolicy(w http.ResponseWriter, r *http.Request, t target) error {
	err := h.store.UpdateBucket(r.Context(), t.Bucket, func(b *catalog.Bucket) error {
		b.Policy = nil
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
