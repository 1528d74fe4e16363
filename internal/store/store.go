// Package store implements zonal's object semantics on top of a catalog (the
// metadata) and a blob store (the bytes): buckets, durable puts with
// conditions, ranged reads, deletes, listing, and the collection of blobs no
// record references any more.
//
// Durability order for a put: the bytes are made durable first (inline bytes
// travel inside the catalog commit; larger bodies go to a blob that is synced
// before the commit), then one synced catalog commit publishes the record.
// Only then does the caller answer 200. A crash before the commit leaves at
// most an unreferenced blob, which the orphan sweeper removes.
//
// Failures are *Error values with a Kind (errors.go) that say what went
// wrong, never how a protocol answers it: the S3 front end maps kinds to S3
// codes, and any other front end can do its own mapping.
package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"strconv"
	"time"

	"github.com/zonal-dev/zonal/internal/blob"
	"github.com/zonal-dev/zonal/internal/bucketname"
	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/checksum"
	"github.com/zonal-dev/zonal/internal/sse"
)

// Limits AWS enforces on single requests.
const (
	MaxPutSize   = 5 << 30 // 5 GiB per PUT
	MaxKeyLength = 1024
)

// Options tune a Store. Zero values take the defaults.
type Options struct {
	// InlineMax is the largest object kept inside its catalog record.
	InlineMax int64
	// GCDelay is how long a replaced blob stays on disk at least: it
	// covers reads that loaded the old record just before the replacement
	// but have not opened it yet (an open read pins its blobs).
	GCDelay time.Duration
	// OrphanGrace is the age after which an unreferenced blob file counts
	// as a crash leftover.
	OrphanGrace time.Duration
	// Now is the clock (tests).
	Now func() time.Time
	// SSE encrypts object data at rest when set (SSE-S3).
	SSE *sse.Keyring
	// PlaintextAtRest stores new object data unencrypted even when SSE is
	// set (the operator encrypts the disk instead). SSE still decrypts
	// data written before, and responses still name AES256, which
	// directory buckets always report. Unencrypted blob ranges can go to
	// the client with sendfile.
	PlaintextAtRest bool
}

// DefaultInlineMax is the inline threshold; see the package benchmarks.
const DefaultInlineMax = 64 << 10

func (o *Options) fill() {
	if o.InlineMax <= 0 {
		o.InlineMax = DefaultInlineMax
	}
	if o.GCDelay <= 0 {
		o.GCDelay = 30 * time.Second
	}
	if o.OrphanGrace <= 0 {
		o.OrphanGrace = time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Store is the object layer. It is safe for concurrent use.
type Store struct {
	cat   catalog.Catalog
	blobs blob.Store
	opt   Options
	pins  readerPins
	// metricsSets caches buckets' metrics configurations (bucketcfg.go).
	metricsSets metricsCache
}

// New returns a Store over cat and blobs.
func New(cat catalog.Catalog, blobs blob.Store, opt Options) *Store {
	opt.fill()
	return &Store{cat: cat, blobs: blobs, opt: opt}
}

// encryptNew reports whether new object data is encrypted by default,
// in buckets without a default encryption of their own.
func (s *Store) encryptNew() bool { return s.opt.SSE != nil && !s.opt.PlaintextAtRest }

// Encryption is the x-amz-server-side-encryption value of new objects in
// buckets without a default encryption of their own: AES256 only when
// their data is encrypted, so that no response claims encryption for data
// stored as sent.
func (s *Store) Encryption() string {
	if s.encryptNew() {
		return sse.Algorithm
	}
	return ""
}

// EncryptionFor is the x-amz-server-side-encryption value of new objects
// in bucket b (nil: the server's default). A bucket given a default
// encryption with PutBucketEncryption (SSE-S3: the only kind accepted)
// encrypts its new data even when the server stores data as sent
// (--encrypt-at-rest=false), so that GetBucketEncryption never claims
// what new writes do not get.
func (s *Store) EncryptionFor(b *catalog.Bucket) string {
	if s.opt.SSE != nil && b != nil && len(b.Encryption) > 0 {
		return sse.Algorithm
	}
	return s.Encryption()
}

// encryptsFor decides whether a write to bucket encrypts its data, from
// rec when the caller has the bucket's record, else from a lookup (only
// needed when the server stores data as sent by default). A bucket that
// does not exist gets the default; the write then fails as before.
func (s *Store) encryptsFor(ctx context.Context, bucket string, rec *catalog.Bucket) (bool, error) {
	if s.opt.SSE == nil || !s.opt.PlaintextAtRest {
		return s.encryptNew(), nil
	}
	if rec == nil || rec.Name != bucket {
		b, err := s.cat.GetBucket(ctx, bucket)
		if errors.Is(err, catalog.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, internal(err)
		}
		rec = &b
	}
	return s.EncryptionFor(rec) != "", nil
}

// StorageClass is the storage class of every object in bucket: S3 Express
// One Zone in an Availability Zone, S3 One Zone-IA in a Local Zone (the
// class AWS's directory buckets in Local Zones hold). Dedicated Local Zones
// may offer both at AWS; zonal keeps the one class every Local Zone has.
func StorageClass(bucket string) string {
	if zone, ok := bucketname.ZoneOf(bucket); ok && bucketname.LocationType(zone) == bucketname.LocalZone {
		return "ONEZONE_IA"
	}
	return "EXPRESS_ONEZONE"
}

// sseOf is the x-amz-server-side-encryption value of an object made of
// extents: AES256 only when every piece of its data is encrypted. An
// object appended to, or assembled from parts, across a change of its
// encryption holds both kinds, and reports none. An empty object reports
// what its write chose (encrypted).
func (s *Store) sseOf(extents []catalog.Extent, encrypted bool) string {
	if len(extents) == 0 {
		if encrypted {
			return sse.Algorithm
		}
		return ""
	}
	for _, e := range extents {
		if e.IV == nil {
			return ""
		}
	}
	return sse.Algorithm
}

// Catalog exposes the underlying catalog (for metrics and admin tasks).
func (s *Store) Catalog() catalog.Catalog { return s.cat }

// Blobs exposes the underlying blob store.
func (s *Store) Blobs() blob.Store { return s.blobs }

// NewETag returns a fresh opaque ETag: S3 Express ETags are random strings,
// not MD5 digests.
func NewETag() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// CreateBucket stores a new bucket.
func (s *Store) CreateBucket(ctx context.Context, b catalog.Bucket) error {
	err := s.cat.CreateBucket(ctx, b)
	if errors.Is(err, catalog.ErrExists) {
		cur, gerr := s.cat.GetBucket(ctx, b.Name)
		if gerr == nil && cur.Owner == b.Owner {
			return &Error{Kind: BucketOwned, Bucket: b.Name}
		}
		return &Error{Kind: BucketExists, Bucket: b.Name}
	}
	return wrap(err)
}

// Bucket returns a bucket's record or NoSuchBucket.
func (s *Store) Bucket(ctx context.Context, name string) (catalog.Bucket, error) {
	b, err := s.cat.GetBucket(ctx, name)
	if errors.Is(err, catalog.ErrNotFound) {
		return b, noSuchBucket(name)
	}
	return b, wrap(err)
}

// DeleteBucket removes an empty bucket.
func (s *Store) DeleteBucket(ctx context.Context, name string) error {
	err := s.cat.DeleteBucket(ctx, name)
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return noSuchBucket(name)
	case errors.Is(err, catalog.ErrBucketNotEmpty):
		return &Error{Kind: BucketNotEmpty, Bucket: name}
	case errors.Is(err, catalog.ErrBucketHasAccessPoints):
		return &Error{Kind: AccessPointsAttached, Bucket: name}
	case err == nil:
		s.clearBucketConfigs(ctx, name)
	}
	return wrap(err)
}

// ListBuckets lists an owner's buckets in name order.
func (s *Store) ListBuckets(ctx context.Context, owner, after string, limit int) ([]catalog.Bucket, error) {
	bs, err := s.cat.ListBuckets(ctx, owner, after, limit)
	return bs, wrap(err)
}

// List returns a page of a bucket's objects.
func (s *Store) List(ctx context.Context, q catalog.ListQuery) (catalog.ListPage, error) {
	if _, err := s.Bucket(ctx, q.Bucket); err != nil {
		return catalog.ListPage{}, err
	}
	p, err := s.cat.ListObjects(ctx, q)
	return p, wrap(err)
}

// wrap classifies what a catalog call returned: the store's and the
// checksum package's own errors (raised in update callbacks) pass through;
// a cancelled request is an incomplete body; anything else is internal,
// keeping the cause for the log.
func wrap(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var ce *checksum.Error
	if errors.As(err, &ce) {
		return ce
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, io.ErrUnexpectedEOF) {
		return incompleteBody("", err)
	}
	return internal(err)
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// UpdateBucket rewrites a bucket's configuration documents.
func (s *Store) UpdateBucket(ctx context.Context, name string, fn func(b *catalog.Bucket) error) error {
	err := s.cat.UpdateBucket(ctx, name, fn)
	if errors.Is(err, catalog.ErrNotFound) {
		return noSuchBucket(name)
	}
	return wrap(err)
}
