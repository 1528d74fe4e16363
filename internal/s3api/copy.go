package s3api

import (
	"context"
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/zonal-dev/zonal/internal/auth"
	"github.com/zonal-dev/zonal/internal/bucketname"
	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/checksum"
	"github.com/zonal-dev/zonal/internal/s3err"
	"github.com/zonal-dev/zonal/internal/session"
	"github.com/zonal-dev/zonal/internal/store"
)

// parseCopySource reads x-amz-copy-source: "bucket/key" URL-encoded, with
// an optional leading slash, where bucket may be an access point's name;
// or an access point's ARN as AWS writes copy sources through one,
// "arn:aws:s3express:REGION:ACCOUNT:accesspoint/NAME/object/key" (bucket
// is then the ARN). Only versionId=null is accepted.
func parseCopySource(v string) (bucket, key string, err error) {
	src, query, _ := strings.Cut(v, "?")
	if query != "" {
		q, perr := url.ParseQuery(query)
		if perr != nil || len(q) != 1 || q.Get("versionId") != "null" {
			return "", "", s3err.InvalidArgument.Msg("Directory buckets do not support object versions in x-amz-copy-source.")
		}
	}
	src, uerr := url.PathUnescape(src)
	if uerr != nil {
		return "", "", s3err.InvalidArgument.Msg("Copy Source must mention the source bucket and key: sourcebucket/sourcekey")
	}
	src = strings.TrimPrefix(src, "/")
	if strings.HasPrefix(src, "arn:") {
		if i := strings.Index(src, "/object/"); i > 0 && i+len("/object/") < len(src) {
			return src[:i], src[i+len("/object/"):], nil
		}
		return "", "", s3err.InvalidArgument.Msg("An access point copy source must be arn:aws:s3express:REGION:ACCOUNT:accesspoint/NAME/object/KEY.")
	}
	bucket, key, ok := strings.Cut(src, "/")
	if !ok || bucket == "" || key == "" {
		return "", "", s3err.InvalidArgument.Msg("Copy Source must mention the source bucket and key: sourcebucket/sourcekey")
	}
	return bucket, key, nil
}

// parseHTTPTime reads an optional HTTP-date header value.
func parseHTTPTime(v string) (*time.Time, error) {
	if v == "" {
		return nil, nil
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

func sourceConditions(hd http.Header, prefix string) (store.SourceConditions, error) {
	c := store.SourceConditions{IfMatch: hd.Get(prefix + "If-Match"), IfNoneMatch: hd.Get(prefix + "If-None-Match")}
	var err error
	if c.IfModifiedSince, err = parseHTTPTime(hd.Get(prefix + "If-Modified-Since")); err != nil {
		return c, s3err.InvalidArgument.Msg("%sIf-Modified-Since is not a valid date.", prefix)
	}
	if c.IfUnmodifiedSince, err = parseHTTPTime(hd.Get(prefix + "If-Unmodified-Since")); err != nil {
		return c, s3err.InvalidArgument.Msg("%sIf-Unmodified-Since is not a valid date.", prefix)
	}
	return c, nil
}

// authorizeSource checks read access to a copy source and returns the
// bucket it is in: a session must name it (it never does for another
// bucket or access point), long-term keys need a ReadOnly CreateSession
// grant on it. A source through an access point (its name or ARN) is
// decided as any read through it: the access point's and the bucket's
// policies, and its scope (GetObject, the key within its prefixes).
// x-amz-source-expected-bucket-owner is checked as its target twin is.
func (h *Handler) authorizeSource(ctx context.Context, r *http.Request, c *caller, bucket, key string) (string, error) {
	wantOwner := r.Header.Get("X-Amz-Source-Expected-Bucket-Owner")
	var ap *catalog.AccessPoint
	if bucketname.IsAccessPoint(bucket) || strings.HasPrefix(bucket, "arn:") {
		src := target{Bucket: bucket, Key: key, Op: OpGetObject}
		var err error
		if ap, err = h.resolveAccessPoint(ctx, c, &src); err != nil {
			return "", err
		}
		if err := checkScope(ap.Scope, src, r); err != nil {
			return "", err
		}
		bucket = ap.Bucket
	}
	if c.session != nil {
		// A session minted through an access point bears its name.
		if ap != nil && c.session.Bucket != ap.Name || ap == nil && c.session.Bucket != bucket {
			return "", s3err.AccessDenied.Msg("The session token does not grant access to the copy source bucket.")
		}
		if wantOwner != "" && c.bucket != nil && c.bucket.Owner != wantOwner {
			return "", s3err.AccessDenied
		}
		return bucket, nil
	}
	b, err := h.store.Bucket(ctx, bucket)
	if err != nil {
		return "", err
	}
	if wantOwner != "" && b.Owner != wantOwner {
		return "", s3err.AccessDenied
	}
	id := c.id(r)
	d := h.auth.Authorize(ctx, &id, auth.Request{Action: auth.ActionCreateSession,
		BucketName: bucket, Bucket: &b, Mode: session.ReadOnly, AccessPoint: ap})
	return bucket, h.denied(r, c, "", d)
}

type copyObjectResult struct {
	XMLName      xml.Name `xml:"CopyObjectResult"`
	NS           string   `xml:"xmlns,attr"`
	ETag         string   `xml:"ETag"`
	LastModified string   `xml:"LastModified"`
	checksumFields
}

func (h *Handler) copyObject(w http.ResponseWriter, r *http.Request, c *caller, t target) error {
	if err := validKey(t.Key); err != nil {
		return err
	}
	hd := r.Header
	if err := checkWriteHeaders(hd, t.Bucket); err != nil {
		return err
	}
	if v := hd.Get("X-Amz-Tagging-Directive"); v == "REPLACE" && hd.Get("X-Amz-Tagging") != "" {
		return s3err.NotImplemented.Msg("Directory buckets do not support object tags.")
	}
	srcBucket, srcKey, err := parseCopySource(hd.Get("X-Amz-Copy-Source"))
	if err != nil {
		return err
	}
	if srcBucket, err = h.authorizeSource(r.Context(), r, c, srcBucket, srcKey); err != nil {
		return err
	}
	alg, err := checksum.FromCopyRequest(hd)
	if err != nil {
		return err
	}
	in := &store.CopyInput{SrcBucket: srcBucket, SrcKey: srcKey, DstBucket: t.Bucket, DstKey: t.Key,
		Algorithm: alg, IfMatch: hd.Get("If-Match"), IfNoneMatch: hd.Get("If-None-Match")}
	if in.Source, err = sourceConditions(hd, "X-Amz-Copy-Source-"); err != nil {
		return err
	}
	switch hd.Get("X-Amz-Metadata-Directive") {
	case "", "COPY":
	case "REPLACE":
		in.ReplaceMetadata = true
		in.ContentType = hd.Get("Content-Type")
		in.Headers = standardHeaders(hd)
		if in.Meta, err = userMeta(hd); err != nil {
			return err
		}
	default:
		return s3err.InvalidArgument.Msg("Unknown metadata directive.")
	}
	obj, err := h.store.Copy(r.Context(), in)
	if err != nil {
		return err
	}
	setSSE(w.Header(), obj.SSE)
	return writeXML(w, copyObjectResult{NS: s3NS, ETag: `"` + obj.ETag + `"`, LastModified: xmlTime(obj.LastModified),
		checksumFields: newChecksumFields(obj.Checksums, obj.ChecksumType)})
}

type copyPartResult struct {
	XMLName      xml.Name `xml:"CopyPartResult"`
	NS           string   `xml:"xmlns,attr"`
	ETag         string   `xml:"ETag"`
	LastModified string   `xml:"LastModified"`
	checksumFields
}

func (h *Handler) uploadPartCopy(w http.ResponseWriter, r *http.Request, c *caller, t target) error {
	q := t.Query
	n, err := partNumber(q)
	if err != nil {
		return err
	}
	hd := r.Header
	if hd.Get("X-Amz-Server-Side-Encryption") != "" {
		return s3err.InvalidArgument.Msg("UploadPartCopy cannot specify encryption; it comes from CreateMultipartUpload.")
	}
	srcBucket, srcKey, err := parseCopySource(hd.Get("X-Amz-Copy-Source"))
	if err != nil {
		return err
	}
	if srcBucket, err = h.authorizeSource(r.Context(), r, c, srcBucket, srcKey); err != nil {
		return err
	}
	id := q.Get("uploadId")
	u, err := h.store.Upload(r.Context(), t.Bucket, t.Key, id)
	if err != nil {
		return err
	}
	in := &store.PartCopyInput{SrcBucket: srcBucket, SrcKey: srcKey, Bucket: t.Bucket, Key: t.Key, UploadID: id,
		Number: n, Algorithm: u.ChecksumAlgorithm}
	if in.Source, err = sourceConditions(hd, "X-Amz-Copy-Source-"); err != nil {
		return err
	}
	if v := hd.Get("X-Amz-Copy-Source-Range"); v != "" {
		spec, ok := strings.CutPrefix(v, "bytes=")
		a, b, ok2 := strings.Cut(spec, "-")
		first, err1 := strconv.ParseInt(a, 10, 64)
		last, err2 := strconv.ParseInt(b, 10, 64)
		if !ok || !ok2 || err1 != nil || err2 != nil || first < 0 || last < first {
			return s3err.InvalidArgument.Msg("The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy")
		}
		in.RangeStart, in.RangeEnd = &first, &last
	}
	p, err := h.store.PartCopy(r.Context(), in)
	if err != nil {
		return err
	}
	res := copyPartResult{NS: s3NS, ETag: `"` + p.ETag + `"`, LastModified: xmlTime(p.LastModified)}
	if alg, v := store.SplitPartChecksum(p.Checksum); v != "" {
		res.checksumFields = newChecksumFields(map[string]string{string(alg): v}, "")
	}
	return writeXML(w, res)
}

// renameSource accepts the forms clients send in x-amz-rename-source:
// key, /key, bucket/key and /bucket/key (URL-encoded).
func renameSource(v, bucket string) (string, error) {
	src, err := url.PathUnescape(v)
	if err != nil || src == "" {
		return "", s3err.InvalidArgument.Msg("x-amz-rename-source is not a valid source key.")
	}
	src = strings.TrimPrefix(src, "/")
	if rest, ok := strings.CutPrefix(src, bucket+"/"); ok {
		src = rest
	}
	if src == "" {
		return "", s3err.InvalidArgument.Msg("x-amz-rename-source is not a valid source key.")
	}
	return src, nil
}

func (h *Handler) renameObject(w http.ResponseWriter, r *http.Request, t target) error {
	hd := r.Header
	if len(t.Key) > store.MaxKeyLength {
		// RenameObject answers KeyTooLong (PutObject's code is KeyTooLongError).
		return s3err.KeyTooLong.Rename("KeyTooLong").With("Key", t.Key)
	}
	if err := validKey(t.Key); err != nil {
		return err
	}
	src, err := renameSource(hd.Get("X-Amz-Rename-Source"), t.Bucket)
	if err != nil {
		return err
	}
	in := &store.RenameInput{Bucket: t.Bucket, Src: src, Dst: t.Key, IfMatch: hd.Get("If-Match"),
		IfNoneMatch: hd.Get("If-None-Match"), ClientToken: hd.Get("X-Amz-Client-Token")}
	if in.IfNoneMatch != "" && in.IfNoneMatch != "*" {
		return s3err.NotImplemented.Msg("If-None-Match on RenameObject supports only *.")
	}
	if tok := in.ClientToken; len(tok) > 64 || strings.IndexFunc(tok, func(r rune) bool { return r < 33 || r > 126 }) >= 0 {
		return s3err.InvalidArgument.Msg("x-amz-client-token must be at most 64 printable ASCII characters.")
	}
	if in.Source, err = sourceConditions(hd, "X-Amz-Rename-Source-"); err != nil {
		return err
	}
	if in.IfModSince, err = parseHTTPTime(hd.Get("If-Modified-Since")); err != nil {
		return s3err.InvalidArgument.Msg("If-Modified-Since is not a valid date.")
	}
	if in.IfUnmodSince, err = parseHTTPTime(hd.Get("If-Unmodified-Since")); err != nil {
		return s3err.InvalidArgument.Msg("If-Unmodified-Since is not a valid date.")
	}
	if err := h.store.Rename(r.Context(), in); err != nil {
		return err
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return nil
}
