// Package catalog defines zonal's metadata store: buckets, object records and
// the reference counts of the blobs those records point at.
//
// The interface is deliberately engine-neutral and transactional so that an
// embedded engine (Pebble, the default), an in-memory engine (tests) and a
// future SQL engine (PostgreSQL for scale-out) can all implement it. Every
// mutation is one atomic, durable commit: when a method returns nil the change
// is on stable storage (for durable engines).
//
// Object semantics (conditions, ETags, directory rules) live above, in the
// store package; the catalog only keeps records consistent: replacing or
// deleting an object drops its blob references in the same commit, and a blob
// whose reference count reaches zero is queued for garbage collection.
package catalog

import (
	"context"
	"errors"
	"time"
)

// Errors returned by every implementation. Callers test them with errors.Is.
var (
	ErrNotFound       = errors.New("catalog: not found")
	ErrExists         = errors.New("catalog: already exists")
	ErrBucketNotEmpty = errors.New("catalog: bucket not empty")
	ErrClosed         = errors.New("catalog: closed")
	// ErrUnavailable wraps a failure to reach the engine (a shared
	// database down, restarting or out of connections): the request may
	// succeed later, and nothing was changed by it. The API answers 503.
	ErrUnavailable = errors.New("catalog: unavailable")
)

// ConfigValue is one named configuration value (ConfigChanges).
type ConfigValue struct {
	Name  string
	Value []byte
}

// Bucket is a directory bucket's record.
type Bucket struct {
	Name      string
	Owner     string // account id
	Region    string
	Zone      string // AZ id from the name, e.g. use1-az4
	CreatedAt time.Time
	// Bucket configuration documents, stored as given (empty when unset).
	Policy     []byte // bucket policy JSON
	Encryption []byte // ServerSideEncryptionConfiguration XML
	Lifecycle  []byte // LifecycleConfiguration XML
	// Tags are the bucket's tags (S3 Control TagResource, CreateBucket's
	// Tags), key to value; nil when it has none. Policies read them as
	// aws:ResourceTag/<key>, so they live in the record every
	// authorization already reads.
	Tags map[string]string
}

// Extent is one piece of an object's data: either bytes kept inline in the
// record, or a byte range of an immutable blob.
type Extent struct {
	Inline []byte // the data itself when BlobID is empty
	BlobID string
	Offset int64 // within the blob
	Length int64 // bytes of the extent (for inline extents too)
	// IV is the extent's initial AES-CTR counter block when the object is
	// encrypted at rest; nil otherwise.
	IV []byte
}

// Size is the extent's length in bytes.
func (e Extent) Size() int64 {
	if e.BlobID == "" && e.Length == 0 {
		return int64(len(e.Inline))
	}
	return e.Length
}

// Object is an object's record: metadata plus the extents holding its data.
type Object struct {
	Key          string
	Size         int64
	ETag         string // opaque, without quotes
	LastModified time.Time
	ContentType  string
	// Headers holds the other standard headers stored with the object
	// (Cache-Control, Content-Disposition, Content-Encoding,
	// Content-Language, Expires), by canonical header name.
	Headers map[string]string
	// Meta holds user metadata (x-amz-meta-*) by lower-case name without the prefix.
	Meta map[string]string
	// Checksums maps an algorithm name (CRC32, CRC32C, CRC64NVME, SHA1,
	// SHA256) to its base64 value for the whole object.
	Checksums    map[string]string
	ChecksumType string // FULL_OBJECT or COMPOSITE, empty when none
	Parts        int    // parts (multipart or appends) that make the object; 1 for a plain PUT
	// PartList describes the parts of a multipart or appended object, in
	// order; nil for an object written by one PutObject.
	PartList []ObjectPart
	Extents  []Extent
	// SSE is the server-side encryption of the data at rest ("AES256"),
	// and WrappedKey the object's data key sealed by the server's key.
	SSE        string
	WrappedKey []byte
	// RenameToken and RenameSource record the RenameObject that produced
	// this record (x-amz-client-token idempotency); empty otherwise.
	RenameToken  string
	RenameSource string
}

// ObjectPart is one part of a multipart or appended object.
type ObjectPart struct {
	Size     int64
	Checksum string // base64 in the object's checksum algorithm; "" when none
}

// ObjectRef names one key of one bucket.
type ObjectRef struct{ Bucket, Key string }

// ObjectsUpdate is UpdateObjects' callback: cur[i] is the record of refs[i]
// (nil when absent); it returns the new records in the same order (nil
// deletes the key), or an error that aborts the update.
type ObjectsUpdate func(cur []*Object) (next []*Object, err error)

// Upload is an in-progress multipart upload.
type Upload struct {
	Bucket, Key, ID string
	Initiated       time.Time
	Owner           string // account id
	Initiator       string // principal ARN
	ContentType     string
	Headers         map[string]string
	Meta            map[string]string
	// ChecksumAlgorithm and ChecksumType are what CreateMultipartUpload
	// declared ("" when nothing was declared).
	ChecksumAlgorithm string
	ChecksumType      string
	SSE               string
}

// Part is one uploaded part of an Upload.
type Part struct {
	Number       int
	Size         int64
	ETag         string
	LastModified time.Time
	Checksum     string // base64 in the upload's checksum algorithm; "" when none
	Extents      []Extent
}

// UploadEntry is one ListUploads result: an upload, or a common prefix
// (Upload nil).
type UploadEntry struct {
	Prefix string
	Upload *Upload
}

// UploadPage is the result of ListUploads.
type UploadPage struct {
	Entries   []UploadEntry
	Truncated bool
}

// ObjectUpdate is called by UpdateObject with the current record (nil when
// the key has none) inside the engine's atomic section. It returns the new
// record, or nil to delete the key; returning an error aborts the update and
// UpdateObject returns that error unchanged.
type ObjectUpdate func(cur *Object) (next *Object, err error)

// UpdateOne is UpdateObject's fn as an UpdateObjects fn of one key, for
// engines whose single-key update is their multi-key one.
func UpdateOne(fn ObjectUpdate) ObjectsUpdate {
	return func(cur []*Object) ([]*Object, error) {
		next, err := fn(cur[0])
		return []*Object{next}, err
	}
}

// ListQuery selects a page of objects in key order.
type ListQuery struct {
	Bucket    string
	Prefix    string
	Delimiter string // "" or "/"; with "/", keys sharing a sub-directory fold into one common prefix
	After     string // return only entries (keys or common prefixes) sorting after this
	// AfterUpload, with After, resumes ListUploads after the upload
	// (After, AfterUpload); uploads of one key sort by id.
	AfterUpload string
	Limit       int // maximum number of entries (keys plus common prefixes); > 0
}

// ListEntry is one listing result: an object, or a common prefix (Object nil).
type ListEntry struct {
	Prefix string  // set for a common prefix
	Object *Object // set for an object
}

// Name returns the entry's sort key: the object key or the common prefix.
func (e ListEntry) Name() string {
	if e.Object != nil {
		return e.Object.Key
	}
	return e.Prefix
}

// ListPage is the result of ListObjects. Truncated says more entries follow
// the last one returned.
type ListPage struct {
	Entries   []ListEntry
	Truncated bool
}

// GCItem is a blob that no record references any more.
type GCItem struct {
	BlobID   string
	QueuedAt time.Time
}

// Catalog is the metadata store. Implementations are safe for concurrent use.
type Catalog interface {
	AccessPoints

	// CreateBucket stores b, or returns ErrExists (with the existing record's
	// owner reachable through GetBucket).
	CreateBucket(ctx context.Context, b Bucket) error
	GetBucket(ctx context.Context, name string) (Bucket, error)
	// DeleteBucket removes an empty bucket; ErrBucketNotEmpty when any
	// object or in-progress upload remains, ErrBucketHasAccessPoints when
	// an access point is attached to it.
	DeleteBucket(ctx context.Context, name string) error
	// ListBuckets returns up to limit buckets of owner with names after `after`, in name order.
	ListBuckets(ctx context.Context, owner, after string, limit int) ([]Bucket, error)

	// GetObject returns the object's record or ErrNotFound.
	GetObject(ctx context.Context, bucket, key string) (*Object, error)
	// UpdateObject atomically reads the key's record, calls fn and commits
	// its result. Blob references are adjusted in the same commit: blobs in
	// the new record gain a reference, blobs of the old record lose one, and
	// a blob left with none is queued for GC. Updates of one key are
	// serialised; the bucket must exist (ErrNotFound otherwise).
	UpdateObject(ctx context.Context, bucket, key string, fn ObjectUpdate) error
	// UpdateObjects is UpdateObject over several keys (of one or several
	// buckets) at once: all are read, fn decides, and everything commits in
	// one atomic batch with the reference changes of the whole set (a blob
	// moved from one key to another keeps its count). Keys are locked in a
	// canonical order, so concurrent multi-key updates cannot deadlock.
	// refs must be distinct; ErrNotFound when a bucket is missing.
	UpdateObjects(ctx context.Context, refs []ObjectRef, fn ObjectsUpdate) error
	// ListObjects returns a page of the bucket in lexicographic key order.
	// Entries carry metadata only: inline extents keep their Length but
	// not their bytes (listing must never read object data). With a
	// delimiter, keys of in-progress uploads fold into common prefixes too
	// (directory buckets show directories that exist only because of an
	// upload), but an upload is never listed as an object.
	ListObjects(ctx context.Context, q ListQuery) (ListPage, error)

	// UpdateBucket atomically rewrites a bucket's configuration documents
	// (Policy, Encryption, Lifecycle) and Tags; fn must not change other
	// fields. fn gets its own copy of the documents and tags.
	// ErrNotFound when the bucket is missing.
	UpdateBucket(ctx context.Context, name string, fn func(b *Bucket) error) error

	// CreateUpload records a new multipart upload (ErrNotFound: no bucket;
	// ErrExists: the id is taken).
	CreateUpload(ctx context.Context, u Upload) error
	// GetUpload returns an upload or ErrNotFound.
	GetUpload(ctx context.Context, bucket, key, id string) (*Upload, error)
	// PutPart stores a part durably, replacing any part with the same
	// number (whose blobs lose their reference). ErrNotFound when the
	// upload no longer exists; the caller then removes the part's blob.
	PutPart(ctx context.Context, bucket, key, id string, p Part) error
	// ListParts returns up to limit parts numbered above `after`, in
	// number order, and whether more follow.
	ListParts(ctx context.Context, bucket, key, id string, after, limit int) ([]Part, bool, error)
	// CompleteUpload atomically reads the upload, all its parts (in
	// number order) and the key's current record, and commits fn's object
	// while removing the upload and its parts. The new object's blobs keep
	// their references; blobs of parts it does not use and of the replaced
	// object lose theirs. ErrNotFound when the upload is gone.
	CompleteUpload(ctx context.Context, bucket, key, id string, fn func(u *Upload, parts []Part, cur *Object) (*Object, error)) error
	// AbortUpload removes an upload and its parts (fn may veto it by
	// returning an error). ErrNotFound when the upload is gone.
	AbortUpload(ctx context.Context, bucket, key, id string, fn func(u *Upload) error) error
	// ListUploads returns a page of a bucket's uploads in (key, id) order,
	// folding keys into common prefixes as ListObjects does.
	ListUploads(ctx context.Context, q ListQuery) (UploadPage, error)

	// BlobReferenced reports whether any record (object or part) references the blob.
	BlobReferenced(ctx context.Context, blobID string) (bool, error)
	// PendingGC returns up to limit queued blobs queued at or before `before`.
	PendingGC(ctx context.Context, before time.Time, limit int) ([]GCItem, error)
	// DoneGC removes blobs from the GC queue once their files are gone.
	DoneGC(ctx context.Context, blobIDs []string) error
	// GCBacklog is the number of blobs waiting in the GC queue.
	GCBacklog(ctx context.Context) (int, error)

	// GetConfig and PutConfig keep small named values (key ring, root keys, ...).
	GetConfig(ctx context.Context, name string) ([]byte, error) // ErrNotFound when unset
	PutConfig(ctx context.Context, name string, value []byte) error
	// UpdateConfig atomically reads a named value (nil when unset), calls
	// fn with it and stores fn's result. A nil result leaves the value as
	// it is (nothing is written); an error aborts and comes back
	// unchanged. Updates of one name are serialised across every process
	// sharing the catalog, so read-modify-write of a shared value (the
	// identity store, the session key ring, a lease) loses no update.
	UpdateConfig(ctx context.Context, name string, fn func(cur []byte) ([]byte, error)) error
	// ConfigChanges returns the values whose name starts with prefix that
	// were written (by PutConfig or UpdateConfig, by any process sharing
	// the catalog) after cursor, in the order they were written, and the
	// cursor to pass next time. Cursor 0 returns no values, only the
	// current cursor: take it before loading the state the changes are
	// applied to. An engine private to one process may report only the
	// changes made through this handle since it was opened.
	ConfigChanges(ctx context.Context, prefix string, cursor uint64) ([]ConfigValue, uint64, error)

	// ClaimToken records value under an idempotency token (scope names
	// the token's namespace, e.g. a bucket) for ttl, unless the token
	// already holds an unexpired value: then it returns that value and
	// stores nothing. It returns value when the claim succeeded. Claims
	// of one token are serialised across processes sharing the catalog.
	ClaimToken(ctx context.Context, scope, token string, value []byte, ttl time.Duration) ([]byte, error)

	Close() error
}
