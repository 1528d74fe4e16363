// Package s3 is a blob.Store in a bucket of any S3-compatible service: one
// object per blob, keyed <prefix>/<id> with ids from blob.NewID.
//
// Requests go to Options.Endpoint with path-style addressing (custom
// endpoints rarely serve virtual-hosted bucket names) and plain SigV4, over
// http or https. The store reads nothing from the environment or from
// shared AWS configuration files: everything comes from Options.
//
// A blob is invisible until Commit: small blobs are one PutObject at
// Commit, larger ones a multipart upload completed at Commit. Transient
// failures (5xx, SlowDown, refused or reset connections, timeouts) are
// retried by the SDK's retryer a bounded number of times; when they
// persist, errors wrap blob.ErrUnavailable.
package s3

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	smithy "github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/zonal-dev/zonal/internal/blob"
)

// Defaults of Options.
const (
	DefaultPartSize    = 8 << 20
	DefaultConcurrency = 4
	DefaultReadAhead   = 1 << 20
	DefaultMaxAttempts = 5
	DefaultMaxBackoff  = 2 * time.Second
	DefaultReadTimeout = 30 * time.Second
	// MinPartSize is the smallest PartSize: S3 refuses to complete an
	// upload with a smaller part than this but for the last.
	MinPartSize = 5 << 20
	// maxParts is S3's limit on the parts of one multipart upload, which
	// caps a blob at PartSize × maxParts (80 GiB with the default).
	maxParts = 10000
)

// Options configure Open. Endpoint and Bucket are required; zero values
// elsewhere take the defaults.
type Options struct {
	// Endpoint is the service's base URL, e.g. "https://s3.example.net"
	// or "http://127.0.0.1:8333".
	Endpoint string
	// Region signs the requests (default "us-east-1", which most
	// S3-compatible services accept whatever their own setting).
	Region string
	// Bucket holds the blobs; it must exist.
	Bucket string
	// Prefix, when set, is the folder of the bucket the blobs live in
	// (without a trailing slash), so one bucket can serve several stores.
	Prefix string
	// AccessKeyID and SecretAccessKey sign the requests.
	AccessKeyID     string
	SecretAccessKey string
	// HTTPClient sends the requests (an *http.Client fits). When nil the
	// SDK's client is used, with ReadTimeout and a 5 s dial timeout;
	// with a client of the caller's own, its timeouts apply instead.
	HTTPClient s3.HTTPClient
	// PartSize is how much a Writer buffers: blobs up to PartSize are one
	// PutObject, larger ones a multipart upload of PartSize parts (default
	// 8 MiB; at least MinPartSize, S3's least size of any part but the
	// last).
	PartSize int
	// Concurrency is how many parts of one Writer upload at once
	// (default 4). A Writer holds up to Concurrency+1 part buffers.
	Concurrency int
	// ReadAhead is the least a Reader fetches for a read that continues
	// the previous one, so streaming a blob in small reads costs one GET
	// per ReadAhead bytes (default 1 MiB).
	ReadAhead int
	// MaxAttempts bounds the attempts of one request, retries included
	// (default 5), and MaxBackoff the wait between two (default 2 s).
	MaxAttempts int
	MaxBackoff  time.Duration
	// ReadTimeout is how long a connection may deliver nothing before the
	// attempt fails and is retried (default 30 s; SDK client only).
	ReadTimeout time.Duration
}

// Store is a blob store in an S3 bucket. It is safe for concurrent use.
type Store struct {
	client    *s3.Client
	bucket    string
	prefix    string // "" or ending in "/"
	partSize  int
	conc      int
	readAhead int
	parts     sync.Pool // *[]byte of partSize capacity
	windows   sync.Pool // *[]byte of readAhead capacity
}

var _ blob.Store = (*Store)(nil)

// Open returns a store in opts.Bucket after checking, with HeadBucket,
// that the bucket exists and the credentials reach it.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if opts.Endpoint == "" || opts.Bucket == "" {
		return nil, errors.New("blob/s3: Endpoint and Bucket are required")
	}
	if strings.HasPrefix(opts.Prefix, "/") || strings.HasSuffix(opts.Prefix, "/") {
		return nil, fmt.Errorf("blob/s3: prefix %q must not start or end with a slash", opts.Prefix)
	}
	httpClient := opts.HTTPClient
	if httpClient == nil {
		httpClient = awshttp.NewBuildableClient().
			WithReadTimeout(cmp.Or(opts.ReadTimeout, DefaultReadTimeout)).
			// A backend that is down should fail fast and be retried, not
			// hold a request for the SDK's 30 s default.
			WithDialerOptions(func(d *net.Dialer) { d.Timeout = 5 * time.Second })
	}
	retryer := retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = cmp.Or(opts.MaxAttempts, DefaultMaxAttempts)
		o.MaxBackoff = cmp.Or(opts.MaxBackoff, DefaultMaxBackoff)
		// The default token bucket stops retrying altogether after a
		// burst of failures, which an outage of our one backend is; the
		// attempts bound is limit enough.
		o.RateLimiter = ratelimit.None
	})
	client := s3.New(s3.Options{
		Region:       cmp.Or(opts.Region, "us-east-1"),
		BaseEndpoint: aws.String(opts.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(opts.AccessKeyID, opts.SecretAccessKey, ""),
		HTTPClient:   httpClient,
		Retryer:      retryer,
		// Flexible checksums (CRC trailers, aws-chunked bodies) are not
		// understood by every S3-compatible service; SigV4's payload hash
		// over http, TLS over https, and Content-Length guard the bytes.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
	s := &Store{
		client:    client,
		bucket:    opts.Bucket,
		partSize:  cmp.Or(opts.PartSize, DefaultPartSize),
		conc:      cmp.Or(opts.Concurrency, DefaultConcurrency),
		readAhead: cmp.Or(opts.ReadAhead, DefaultReadAhead),
	}
	if opts.Prefix != "" {
		s.prefix = opts.Prefix + "/"
	}
	if s.partSize < MinPartSize {
		return nil, fmt.Errorf("blob/s3: PartSize %d is under S3's minimum part size, %d", s.partSize, MinPartSize)
	}
	if s.conc < 1 || s.readAhead < 1 {
		return nil, errors.New("blob/s3: Concurrency and ReadAhead must be positive")
	}
	s.parts.New = func() any { b := make([]byte, 0, s.partSize); return &b }
	s.windows.New = func() any { b := make([]byte, 0, s.readAhead); return &b }
	if _, err := client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &s.bucket}); err != nil {
		return nil, wrap(ctx, "open bucket "+s.bucket, err)
	}
	return s, nil
}

func (s *Store) key(id string) string { return s.prefix + id }

// Create implements blob.Store. Nothing is sent before the first PartSize
// bytes or Commit; the Writer's requests run under ctx.
func (s *Store) Create(ctx context.Context) (blob.Writer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return newWriter(ctx, s, blob.NewID()), nil
}

// Open implements blob.Store with a ranged GET of the blob's first
// ReadAhead bytes: its Content-Range gives the size, and its bytes are the
// Reader's first window. Reading a whole blob of up to ReadAhead bytes (the
// usual object) then costs one request instead of a HeadObject and a GET;
// the price is up to ReadAhead bytes fetched in vain by a caller that reads
// only far into a larger blob. The Reader's range requests run under ctx.
func (s *Store) Open(ctx context.Context, id string) (blob.Reader, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !blob.ValidID(id) {
		return nil, blob.ErrNotFound
	}
	key := s.key(id)
	rng := fmt.Sprintf("bytes=0-%d", s.readAhead-1)
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &key, Range: &rng})
	if err != nil {
		if isInvalidRange(err) {
			// An empty blob has no byte 0: S3 answers 416.
			return s.openHead(ctx, id, key)
		}
		return nil, wrap(ctx, "open "+id, err)
	}
	defer out.Body.Close()
	size, ok := rangeTotal(aws.ToString(out.ContentRange))
	if !ok {
		// No range in the answer: the service sent the whole blob.
		size = aws.ToInt64(out.ContentLength)
	}
	win := s.getWindow(min(size, int64(s.readAhead)))
	if n, err := io.ReadFull(out.Body, win); err != nil {
		// The answer gave the size; the rest of the window can be
		// fetched (and resumed) like any later read.
		if !transient(err) || ctx.Err() != nil {
			s.putWindow(win)
			return nil, wrap(ctx, "open "+id, err)
		}
		if err := s.fetch(ctx, key, int64(n), win[n:]); err != nil {
			s.putWindow(win)
			return nil, err
		}
	}
	return &reader{s: s, ctx: ctx, key: key, size: size, win: win}, nil
}

// openHead opens a blob with a HeadObject for its size.
func (s *Store) openHead(ctx context.Context, id, key string) (blob.Reader, error) {
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		return nil, wrap(ctx, "open "+id, err)
	}
	return &reader{s: s, ctx: ctx, key: key, size: aws.ToInt64(out.ContentLength)}, nil
}

// rangeTotal returns the complete length from a Content-Range of the form
// "bytes 0-99/1234".
func rangeTotal(cr string) (int64, bool) {
	rest, ok := strings.CutPrefix(cr, "bytes ")
	if !ok {
		return 0, false
	}
	_, total, ok := strings.Cut(rest, "/")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(total, 10, 64)
	return n, err == nil && n >= 0
}

// isInvalidRange reports S3's 416 for a range that starts past the end.
func isInvalidRange(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "InvalidRange" {
		return true
	}
	var re *smithyhttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == 416
}

// Delete implements blob.Store. S3 answers a delete of a missing key with
// success too.
func (s *Store) Delete(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !blob.ValidID(id) {
		return nil
	}
	key := s.key(id)
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil && !isNotFound(err) {
		return wrap(ctx, "delete "+id, err)
	}
	return nil
}

// Walk implements blob.Store with ListObjectsV2 over the prefix; keys that
// are not blob names (sub-folders included) are skipped. Unlike the fs
// store it cannot report blobs cut short by a crash: an unfinished
// multipart upload is no object. Those are for the bucket's lifecycle rule
// (AbortIncompleteMultipartUpload) to clear.
func (s *Store) Walk(ctx context.Context, fn func(id string, modTime time.Time) error) error {
	return s.list(ctx, func(id string, _ int64, mod time.Time) error { return fn(id, mod) })
}

// Usage implements blob.Store by listing every blob.
func (s *Store) Usage(ctx context.Context) (bytes, count int64, err error) {
	err = s.list(ctx, func(_ string, size int64, _ time.Time) error {
		bytes += size
		count++
		return nil
	})
	return bytes, count, err
}

func (s *Store) list(ctx context.Context, fn func(id string, size int64, mod time.Time) error) error {
	pages := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: aws.String(s.prefix)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return wrap(ctx, "list", err)
		}
		for _, o := range page.Contents {
			id, ok := strings.CutPrefix(aws.ToString(o.Key), s.prefix)
			if !ok || !blob.ValidID(id) {
				continue
			}
			if err := fn(id, aws.ToInt64(o.Size), aws.ToTime(o.LastModified)); err != nil {
				return err
			}
		}
	}
	return nil
}

// wrap turns an SDK error into the store's: blob.ErrNotFound for a missing
// object, blob.ErrUnavailable (besides the SDK's error) when the backend
// could not be reached after the retries, and the caller's own context
// error unchanged in meaning when ctx ended.
func wrap(ctx context.Context, op string, err error) error {
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("blob/s3: %s: %w", op, err)
	case isNotFound(err):
		return fmt.Errorf("blob/s3: %s: %w", op, blob.ErrNotFound)
	case transient(err):
		return fmt.Errorf("blob/s3: %s: %w: %w", op, blob.ErrUnavailable, err)
	}
	return fmt.Errorf("blob/s3: %s: %w", op, err)
}

// isNotFound reports a 404 for a key (HeadObject's has no body, hence no
// error code); a missing bucket is a configuration error, not a missing
// blob.
func isNotFound(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchKey", "NotFound":
			return true
		case "NoSuchBucket":
			return false
		}
	}
	var re *smithyhttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == 404 && (ae == nil || ae.ErrorCode() == "")
}

// isNoSuchUpload reports that a multipart upload is gone: aborted or
// completed already, which is what Abort wants.
func isNoSuchUpload(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "NoSuchUpload"
}

// transient reports whether err says the backend is down, overloaded or
// slow rather than that the request was wrong: what the SDK retries, left
// over once its attempts ran out.
func transient(err error) bool {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		if c := re.HTTPStatusCode(); c >= 500 || c == 429 {
			return true
		}
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "Throttling", "ThrottlingException":
			return true
		}
	}
	var ne net.Error
	return errors.As(err, &ne) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.ErrUnexpectedEOF)
}
