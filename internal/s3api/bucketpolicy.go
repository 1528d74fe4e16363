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
	var valid func(string) bool
	if pol := h.cfg.Policies; pol != nil {
		valid = pol.ValidPrincipalARN
	}
	b, err := h.store.Bucket(r.Context(), t.Bucket)
	if err != nil {
		return err
	}
	_, err = policy.ParseDirectory(doc, BucketARN(h.cfg.Region, b.Owner, b.Name), policy.LimitBucket, valid)
	var pe *policy.Error
	var public *policy.PublicError
	switch {
	case errors.As(err, &public):
		// Block Public Access is always on for directory buckets and
		// cannot be turned off, so a public policy is refused as AWS
		// refuses it then.
		h.log.Info("public bucket policy refused", "bucket", t.Bucket, "statement", public.Statement,
			"principal", c.principal.ARN())
		return s3err.AccessDenied
	case errors.As(err, &pe) && pe.TooLarge:
		return s3err.MalformedPolicy.Msg("Policy exceeds the maximum allowed document size.")
	case errors.As(err, &pe):
		return s3err.MalformedPolicy.Msg("%s", pe.Message)
	case err != nil:
		return s3err.MalformedPolicy
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
