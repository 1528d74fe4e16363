package store

import (
	"context"
	"errors"
	"slices"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// AWS's limits on an access point for directory buckets.
const (
	// MaxScopePrefixBytes: the prefixes of a scope total less than 256
	// bytes.
	MaxScopePrefixBytes = 256
	// MaxAccessPointPolicy is the largest access point policy, 20 KB.
	MaxAccessPointPolicy = 20 << 10
)

// ScopePermissions are the operations a scope may name (the S3 Control
// model's Permissions values).
var ScopePermissions = []string{"GetObject", "GetObjectAttributes", "ListMultipartUploadParts", "ListBucket",
	"ListBucketMultipartUploads", "PutObject", "DeleteObject", "AbortMultipartUpload"}

// CheckScope reports why a scope breaks AWS's rules ("" when it does
// not): known permissions, each once, and prefixes of less than
// MaxScopePrefixBytes in total.
func CheckScope(s catalog.Scope) string {
	for i, p := range s.Permissions {
		if !slices.Contains(ScopePermissions, p) {
			return "The scope permission " + p + " is not valid."
		}
		if slices.Contains(s.Permissions[:i], p) {
			return "The scope names the permission " + p + " more than once."
		}
	}
	n := 0
	for _, p := range s.Prefixes {
		if p == "" {
			return "A scope prefix may not be empty."
		}
		n += len(p)
	}
	if n >= MaxScopePrefixBytes {
		return "The prefixes of a scope must total less than 256 bytes."
	}
	return ""
}

func noSuchAccessPoint(name string) *Error { return &Error{Kind: NoSuchAccessPoint, Msg: name} }

// apErr maps the catalog's answers about access point name.
func apErr(name string, err error) error {
	if errors.Is(err, catalog.ErrNotFound) {
		return noSuchAccessPoint(name)
	}
	return wrap(err)
}

// CreateAccessPoint stores a new access point; its bucket must exist
// (NoSuchBucket) and its name be free (AccessPointExists).
func (s *Store) CreateAccessPoint(ctx context.Context, a catalog.AccessPoint) error {
	err := s.cat.CreateAccessPoint(ctx, a)
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return noSuchBucket(a.Bucket)
	case errors.Is(err, catalog.ErrExists):
		return &Error{Kind: AccessPointExists, Msg: a.Name}
	}
	return wrap(err)
}

// AccessPoint returns an access point (NoSuchAccessPoint).
func (s *Store) AccessPoint(ctx context.Context, name string) (catalog.AccessPoint, error) {
	a, err := s.cat.GetAccessPoint(ctx, name)
	return a, apErr(name, err)
}

// UpdateAccessPoint rewrites an access point's policy, scope or tags
// atomically.
func (s *Store) UpdateAccessPoint(ctx context.Context, name string, fn func(a *catalog.AccessPoint) error) error {
	return apErr(name, s.cat.UpdateAccessPoint(ctx, name, fn))
}

// DeleteAccessPoint removes an access point.
func (s *Store) DeleteAccessPoint(ctx context.Context, name string) error {
	return apErr(name, s.cat.DeleteAccessPoint(ctx, name))
}

// ListAccessPoints lists an owner's access points (of one bucket, when
// bucket is set) in name order.
func (s *Store) ListAccessPoints(ctx context.Context, owner, bucket, after string, limit int) ([]catalog.AccessPoint, error) {
	aps, err := s.cat.ListAccessPoints(ctx, owner, bucket, after, limit)
	return aps, wrap(err)
}

// TagAccessPoint adds tags to an access point as TagBucket does to a
// bucket.
func (s *Store) TagAccessPoint(ctx context.Context, name string, tags map[string]string) error {
	return s.UpdateAccessPoint(ctx, name, func(a *catalog.AccessPoint) (err error) {
		a.Tags, err = addTags(a.Tags, tags)
		return err
	})
}

// UntagAccessPoint removes the tags with the given keys.
func (s *Store) UntagAccessPoint(ctx context.Context, name string, keys []string) error {
	return s.UpdateAccessPoint(ctx, name, func(a *catalog.AccessPoint) error {
		for _, k := range keys {
			delete(a.Tags, k)
		}
		return nil
	})
}
