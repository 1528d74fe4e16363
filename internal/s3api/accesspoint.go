package s3api

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/zonal-dev/zonal/internal/bucketname"
	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/s3err"
)

// Access points for directory buckets on the data plane. A request may
// name an access point where a bucket goes, by its name
// (base--zone--xa-s3) or its ARN; it then acts on the access point's
// bucket, is decided by the access point's policy as well as the
// bucket's (auth.Request.AccessPoint), and may do only what the access
// point's scope allows. A session minted through an access point bears
// the access point's name and serves requests through it alone.

// resolveAccessPoint replaces an access point named in t.Bucket by its
// bucket and returns the access point; nil when t names a bucket. An ARN
// must be of this region and of the access point's owner. A session
// minted elsewhere is refused first.
func (h *Handler) resolveAccessPoint(ctx context.Context, c *caller, t *target) (*catalog.AccessPoint, error) {
	if !bucketname.IsAccessPoint(t.Bucket) {
		return nil, nil
	}
	ref, ok := bucketname.ParseAccessPointRef(t.Bucket)
	if !ok {
		return nil, s3err.InvalidBucketName.With("BucketName", t.Bucket)
	}
	if c.session != nil && c.session.Bucket != ref.Name {
		// As for buckets: refused before the lookup, so a session's holder
		// learns nothing of other access points.
		return nil, errSessionBucket
	}
	ap, err := h.store.AccessPoint(ctx, ref.Name)
	if err != nil {
		return nil, err
	}
	if ref.Region != "" && (ref.Region != h.cfg.Region || ref.Account != ap.Owner) {
		return nil, s3err.NoSuchAccessPoint.With("AccessPointName", ref.Name)
	}
	t.Bucket = ap.Bucket
	return &ap, nil
}

// scopePermission is the scope permission each operation needs through a
// scoped access point (the S3 Control model's Permissions values). An
// operation not listed needs none (CreateSession, HeadBucket);
// RenameObject needs both PutObject and DeleteObject.
var scopePermission = map[Op]string{
	OpGetObject: "GetObject", OpHeadObject: "GetObject",
	OpGetObjectAttributes: "GetObjectAttributes",
	OpListParts:           "ListMultipartUploadParts",
	OpListObjectsV2:       "ListBucket", OpListObjects: "ListBucket",
	OpListMultipartUploads: "ListBucketMultipartUploads",
	OpPutObject:            "PutObject", OpCopyObject: "PutObject", OpCreateMultipartUpload: "PutObject",
	OpUploadPart: "PutObject", OpUploadPartCopy: "PutObject", OpCompleteMultipartUpload: "PutObject",
	OpDeleteObject: "DeleteObject", OpDeleteObjects: "DeleteObject",
	OpAbortMultipartUpload: "AbortMultipartUpload",
	OpRenameObject:         "PutObject",
}

// checkScope refuses what a request through an access point with scope s
// may not do: an operation the scope's permissions leave out, and a key
// (or, for listings, a prefix) outside its prefixes. DeleteObjects checks
// each key itself (keyInScope). Control-plane operations never get here:
// access points serve data access only.
func checkScope(s *catalog.Scope, t target, r *http.Request) error {
	if s == nil {
		return nil
	}
	need, scoped := scopePermission[t.Op]
	if !scoped {
		return nil
	}
	if len(s.Permissions) > 0 {
		if !slices.Contains(s.Permissions, need) || t.Op == OpRenameObject && !slices.Contains(s.Permissions, "DeleteObject") {
			return s3err.AccessDenied
		}
	}
	switch t.Op {
	case OpDeleteObjects:
		return nil
	case OpListObjectsV2, OpListObjects, OpListMultipartUploads:
		if !keyInScope(s, t.Query.Get("prefix")) {
			return s3err.AccessDenied
		}
		return nil
	}
	if !keyInScope(s, t.Key) {
		return s3err.AccessDenied
	}
	if t.Op == OpRenameObject {
		// The source leaves its key: it must be within the scope too. A
		// malformed source is the operation's to refuse.
		if src, err := renameSource(r.Header.Get("X-Amz-Rename-Source"), t.Bucket); err == nil && !keyInScope(s, src) {
			return s3err.AccessDenied
		}
	}
	return nil
}

// keyInScope reports whether key (or a listing's prefix) lies within one
// of the scope's prefixes; a scope without prefixes covers every key. A
// trailing '*' on a scope prefix, as AWS's examples write them, means the
// same as none.
func keyInScope(s *catalog.Scope, key string) bool {
	if s == nil || len(s.Prefixes) == 0 {
		return true
	}
	for _, p := range s.Prefixes {
		if strings.HasPrefix(key, strings.TrimSuffix(p, "*")) {
			return true
		}
	}
	return false
}
