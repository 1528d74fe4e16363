// Package s3api serves the S3 API of directory buckets over HTTP: routing
// (every query name of the S3 model), the S3 operation to IAM action
// tables, and one handler file per operation family. Authentication and
// authorization are internal/auth's; s3api maps operations to actions and
// calls it. It turns requests into calls on the store, and store, checksum
// and sigv4 errors into S3's wire errors in one place (errors.go).
package s3api

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/zonal-dev/zonal/internal/auth"
	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/faults"
	"github.com/zonal-dev/zonal/internal/iam"
	"github.com/zonal-dev/zonal/internal/s3err"
	"github.com/zonal-dev/zonal/internal/session"
	"github.com/zonal-dev/zonal/internal/store"
)

// Config wires a Handler.
type Config struct {
	Region     string
	Zones      []string // AZ ids buckets may be created in; empty accepts any well-formed id
	SessionTTL time.Duration
	Store      *store.Store
	Identities iam.Directory
	Sessions   *session.Ring
	Policies   PolicySource // nil: account roots only
	// ShuffleListing returns each listing page's entries in random order.
	// Directory buckets do not promise lexicographic order; this lets users
	// catch code that depends on it before AWS does.
	ShuffleListing bool
	// PrefetchObjects lets a GetObject or HeadObject read its object with
	// the bucket lookup of the session check (catalog.ObjectHint): worth
	// it with a catalog that pays a round trip per call.
	PrefetchObjects bool
	// Faults are the fault-injection rules consulted once a request is
	// authenticated (nil: none ever).
	Faults *faults.Set
	Logger *slog.Logger
	Now    func() time.Time // clock (tests); time.Now when nil
}

// Handler is the S3 API http.Handler.
type Handler struct {
	cfg   Config
	store *store.Store
	log   *slog.Logger
	now   func() time.Time
	auth  *auth.Authority
	reqID requestIDs
}

// New returns a Handler for cfg.
func New(cfg Config) *Handler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 5 * time.Minute
	}
	h := &Handler{cfg: cfg, store: cfg.Store, log: cfg.Logger, now: cfg.Now, auth: newAuthority(cfg)}
	h.reqID.init()
	return h
}

// Info describes a served request for logs and metrics; it is filled in as
// the request proceeds and is available to outer middleware through
// InfoFrom (it travels in the classified Request).
type Info struct {
	RequestID string
	Op        Op
	Bucket    string
	Key       string
	Principal string // ARN, or "" when unauthenticated
	AccessKey string // access key id (never the secret or token)
	ErrCode   string
	Err       error // the internal error behind a 5xx, for the log
}

// InfoFrom returns the Info of the Request attached by WithRequest, or nil.
func InfoFrom(ctx context.Context) *Info {
	if q := RequestFrom(ctx); q != nil {
		return &q.Info
	}
	return nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := Classified(r)
	info := &req.Info
	id := h.reqID.next()
	info.RequestID = id
	hdr := w.Header()
	hdr["X-Amz-Request-Id"] = []string{id}
	hdr["X-Amz-Id-2"] = []string{h.reqID.host}
	hdr["Server"] = []string{"zonal"}

	t := target{Bucket: req.Bucket, Key: req.Key, Op: req.Op, Sub: req.Sub, Query: req.Query}
	info.Op, info.Bucket, info.Key = t.Op, t.Bucket, t.Key
	if err := h.serve(w, r, t, req); err != nil {
		if req.rare != nil && req.rare.w != nil {
			w = req.rare.w
			if errors.Is(err, faults.ErrInjected) {
				return // the fault cut the response; no error to add
			}
		}
		e := s3Error(err)
		if e.Status == http.StatusInternalServerError && errors.Is(err, context.Canceled) && r.Context().Err() != nil {
			e = s3err.ClientClosedRequest // its own call failed because it left
		}
		info.ErrCode = e.Code
		if e.Status == http.StatusInternalServerError || e == s3err.ClientClosedRequest {
			info.Err = err // the cause is for the log, never the client
		}
		s3err.Write(w, r, e, r.URL.Path, id, h.reqID.host)
	}
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, t target, req *Request) error {
	info := &req.Info
	// The header size limit comes before authentication, as on AWS: the
	// signature covers headers too large to be worth checking.
	if err := checkHeaderSize(r); err != nil {
		return err
	}
	if h.cfg.PrefetchObjects && (t.Op == OpGetObject || t.Op == OpHeadObject) && t.Key != "" {
		// The session check looks the bucket up; the handler then reads
		// the object: a shared catalog answers both in one round trip.
		r = r.WithContext(catalog.WithObjectHint(r.Context(), t.Bucket, t.Key))
	}
	// Authenticate first: an unsigned or forged request learns nothing,
	// not even which features are missing.
	c, err := h.authenticate(r, t)
	if err != nil {
		return err
	}
	info.Principal, info.AccessKey = c.principal.ARN(), c.auth.AccessKeyID
	if h.cfg.Faults.Active() {
		if w, r, err = h.injectFault(w, r, t, c, req); err != nil {
			return err
		}
	}
	switch t.Op {
	case OpNotImplemented, OpS3Control:
		return s3err.NotImplemented.Msg("zonal does not implement %q on directory buckets", t.Sub)
	case OpBadQuery:
		return s3err.InvalidArgument.Msg("Unknown sub-resource %q: S3 defines no such query parameter.", t.Sub)
	case OpUnknown:
		return s3err.MethodNotAllowed
	}
	if c.ap, err = h.resolveAccessPoint(r.Context(), c, &t); err != nil {
		return err
	}
	if _, control := controlActions[t.Op]; control && c.ap != nil {
		return s3err.InvalidRequest.Msg("This operation is not supported through an access point.")
	}
	if c.ap != nil && h.cfg.PrefetchObjects && (t.Op == OpGetObject || t.Op == OpHeadObject) && t.Key != "" {
		// The hint above named the access point; the bucket is known now.
		r = r.WithContext(catalog.WithObjectHint(r.Context(), t.Bucket, t.Key))
	}
	d, err := h.authorize(r.Context(), r, c, t)
	if err != nil {
		return err
	}
	if c.ap != nil {
		info.Bucket = t.Bucket
		req.more().accessPoint = auth.AccessPointARN(h.cfg.Region, c.ap.Owner, c.ap.Name)
		if err := checkScope(c.ap.Scope, t, r); err != nil {
			return err
		}
	}
	if err := checkExpectedOwner(r, c, t); err != nil {
		return err
	}
	switch t.Op {
	case OpListBuckets:
		return h.listBuckets(w, r, c)
	case OpListDirectoryBuckets:
		return h.listDirectoryBuckets(w, r, c, t)
	case OpCreateSession:
		return h.createSession(w, r, c, t, d)
	case OpCreateBucket:
		return h.createBucket(w, r, c, t)
	case OpHeadBucket:
		return h.headBucket(w, r, t)
	case OpDeleteBucket:
		return h.deleteBucket(w, r, t)
	case OpListObjectsV2:
		return h.listObjectsV2(w, r, t)
	case OpListObjects:
		return h.listObjectsV1(w, r, t)
	case OpPutObject:
		return h.putObject(w, r, c, t)
	case OpGetObject, OpHeadObject:
		return h.getObject(w, r, t)
	case OpDeleteObject:
		return h.deleteObject(w, r, t)
	case OpDeleteObjects:
		return h.deleteObjects(w, r, c, t)
	case OpCreateMultipartUpload:
		return h.createMultipartUpload(w, r, c, t)
	case OpUploadPart:
		return h.uploadPart(w, r, c, t)
	case OpUploadPartCopy:
		return h.uploadPartCopy(w, r, c, t)
	case OpCompleteMultipartUpload:
		return h.completeMultipartUpload(w, r, c, t)
	case OpAbortMultipartUpload:
		return h.abortMultipartUpload(w, r, t)
	case OpListParts:
		return h.listParts(w, r, t)
	case OpListMultipartUploads:
		return h.listMultipartUploads(w, r, t)
	case OpCopyObject:
		return h.copyObject(w, r, c, t)
	case OpRenameObject:
		return h.renameObject(w, r, t)
	case OpGetObjectAttributes:
		return h.getObjectAttributes(w, r, t)
	case OpPutBucketEncryption:
		return h.putBucketEncryption(w, r, c, t)
	case OpGetBucketEncryption:
		return h.getBucketEncryption(w, r, t)
	case OpDeleteBucketEncryption:
		return h.deleteBucketConfig(w, r, t, func(b *catalog.Bucket) { b.Encryption = nil })
	case OpPutBucketLifecycle:
		return h.putBucketLifecycle(w, r, c, t)
	case OpGetBucketLifecycle:
		return h.getBucketLifecycle(w, r, t)
	case OpDeleteBucketLifecycle:
		return h.deleteBucketConfig(w, r, t, func(b *catalog.Bucket) { b.Lifecycle = nil })
	case OpPutBucketPolicy:
		return h.putBucketPolicy(w, r, c, t)
	case OpGetBucketPolicy:
		return h.getBucketPolicy(w, r, t)
	case OpDeleteBucketPolicy:
		return h.deleteBucketPolicy(w, r, t)
	case OpPutBucketMetrics:
		return h.putBucketMetrics(w, r, c, t)
	case OpGetBucketMetrics:
		return h.getBucketMetrics(w, r, t)
	case OpDeleteBucketMetrics:
		return h.metricsSet().delete(w, r, t)
	case OpListBucketMetrics:
		return h.listBucketMetrics(w, r, t)
	case OpPutBucketInventory:
		return h.putBucketInventory(w, r, c, t)
	case OpGetBucketInventory:
		return h.getBucketInventory(w, r, t)
	case OpDeleteBucketInventory:
		return h.inventorySet().delete(w, r, t)
	case OpListBucketInventory:
		return h.listBucketInventory(w, r, t)
	}
	return s3err.NotImplemented
}

// checkExpectedOwner refuses a request whose x-amz-expected-bucket-owner
// names another account than the bucket's owner, with AWS's 403. The
// regional configuration operations answer the header with 501 in their
// handlers, as AWS's model says; CreateBucket has no owner to compare.
func checkExpectedOwner(r *http.Request, c *caller, t target) error {
	want := r.Header.Get("X-Amz-Expected-Bucket-Owner")
	if want == "" || c.bucket == nil {
		return nil
	}
	if _, control := controlActions[t.Op]; control {
		return nil
	}
	if want != c.bucket.Owner {
		return s3err.AccessDenied
	}
	return nil
}

// requestIDs makes request ids cheaply: a random per-process prefix and a
// counter, so ids are unique without a syscall per request.
type requestIDs struct {
	prefix string
	host   string
	n      atomic.Uint64
}

func (g *requestIDs) init() {
	var b [6]byte
	_, _ = rand.Read(b[:])
	g.prefix = hex.EncodeToString(b[:])
	g.host = base64.StdEncoding.EncodeToString(b[:])
}

func (g *requestIDs) next() string {
	n := g.n.Add(1)
	var buf [32]byte
	b := append(buf[:0], g.prefix...)
	s := strconv.AppendUint(nil, n, 16)
	for i := len(s); i < 8; i++ {
		b = append(b, '0')
	}
	b = append(b, s...)
	return string(b)
}
