package s3api

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/checksum"
	"github.com/zonal-dev/zonal/internal/s3err"
	"github.com/zonal-dev/zonal/internal/sigv4"
	"github.com/zonal-dev/zonal/internal/store"
)

// storedHeaders are the standard headers kept with an object and returned on
// GET and HEAD.
var storedHeaders = []string{"Cache-Control", "Content-Disposition", "Content-Encoding", "Content-Language", "Expires"}

// unsupportedPutHeaders imply features directory buckets do not have; AWS
// answers 501 NotImplemented.
var unsupportedPutHeaders = []string{
	"X-Amz-Acl", "X-Amz-Grant-Full-Control", "X-Amz-Grant-Read", "X-Amz-Grant-Read-Acp", "X-Amz-Grant-Write-Acp",
	"X-Amz-Website-Redirect-Location", "X-Amz-Tagging", "X-Amz-Object-Lock-Mode",
	"X-Amz-Object-Lock-Retain-Until-Date", "X-Amz-Object-Lock-Legal-Hold",
	"X-Amz-Server-Side-Encryption-Customer-Algorithm", "X-Amz-Server-Side-Encryption-Customer-Key",
	"X-Amz-Server-Side-Encryption-Customer-Key-Md5", "Content-Md5",
}

// maxMetaSize is S3's limit on user metadata (names and values, in bytes).
const maxMetaSize = 2 << 10

// payload returns the request body, decoded and verified per the SigV4
// payload mode.
func (h *Handler) payload(r *http.Request, c *caller) (*sigv4.Payload, error) {
	return c.auth.Body(r, c.key, Classified(r).Trailer(r))
}

// declaredChecksum is checksum.FromRequest with x-amz-trailer as split
// once for the request.
func declaredChecksum(r *http.Request) (*checksum.Expect, error) {
	return checksum.FromHeaders(r.Header, Classified(r).Trailer(r))
}

// validKey applies S3's key rules to a key being written. Keys are opaque
// byte strings to zonal: "..", "//", "./" and control characters are just
// key bytes (the catalog stores keys as keys; blob files are named by
// random ids only, never by keys, so no key can reach outside the data
// folder). As on AWS, a key is at most 1,024 bytes of UTF-8; control
// characters, NUL included, are accepted (AWS lists them as needing
// "special handling", not as invalid), and listings without
// encoding-type=url replace the characters XML 1.0 cannot carry with
// U+FFFD. Invalid UTF-8 is refused with 400 InvalidArgument.
func validKey(key string) error {
	if len(key) > store.MaxKeyLength {
		return s3err.KeyTooLong.With("Key", key)
	}
	if !utf8.ValidString(key) {
		return s3err.InvalidArgument.Msg("Object keys must be valid UTF-8.")
	}
	return nil
}

func (h *Handler) putObject(w http.ResponseWriter, r *http.Request, c *caller, t target) error {
	if err := validKey(t.Key); err != nil {
		return err
	}
	if err := checkWriteHeaders(r.Header, t.Bucket); err != nil {
		return err
	}
	inm := r.Header.Get("If-None-Match")
	if inm != "" && inm != "*" {
		return s3err.NotImplemented.Msg("If-None-Match on writes supports only *.")
	}
	meta, err := userMeta(r.Header)
	if err != nil {
		return err
	}
	exp, err := declaredChecksum(r)
	if err != nil {
		return err
	}
	// Presence, not a non-empty value, makes an append: an empty or
	// malformed offset must not fall through to an overwrite.
	off := int64(-1)
	if v, ok := r.Header["X-Amz-Write-Offset-Bytes"]; ok {
		if off, err = parseWriteOffset(v); err != nil {
			return err
		}
	}
	payload, err := h.payload(r, c)
	if err != nil {
		return err
	}
	if payload.Length() < 0 {
		// Neither Content-Length nor, for aws-chunked, x-amz-decoded-
		// content-length: AWS answers 411, and the free-disk reserve needs
		// the length before a byte is written.
		return s3err.MissingContentLength
	}
	if off >= 0 {
		return h.appendObject(w, r, t, off, payload, exp, meta, c.bucket)
	}
	if strings.HasSuffix(t.Key, "/") && payload.Length() != 0 {
		// A key ending in "/" names a directory; only an empty marker object
		// is accepted (AWS's behaviour here is undocumented).
		return s3err.InvalidRequest.Msg("An object whose key ends in / must be empty.")
	}
	in := &store.PutInput{
		Bucket:      t.Bucket,
		Key:         t.Key,
		Body:        payload,
		Size:        payload.Length(),
		ContentType: r.Header.Get("Content-Type"),
		Headers:     standardHeaders(r.Header),
		Meta:        meta,
		IfMatch:     r.Header.Get("If-Match"),
		IfNoneMatch: inm,
		Checksum:    exp,
		Trailers:    trailersOf(payload, exp),
		// Looked up to authorize the request: it also says whether the
		// bucket encrypts (store.EncryptionFor).
		BucketRecord: c.bucket,
	}
	obj, err := h.store.Put(r.Context(), in)
	if err != nil {
		return err
	}
	hd := w.Header()
	hd.Set("ETag", `"`+obj.ETag+`"`)
	setSSE(hd, obj.SSE)
	setChecksumHeaders(hd, obj)
	hd.Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return nil
}

// appendObject serves PutObject with x-amz-write-offset-bytes.
func (h *Handler) appendObject(w http.ResponseWriter, r *http.Request, t target, off int64, payload *sigv4.Payload, exp *checksum.Expect, meta map[string]string, b *catalog.Bucket) error {
	if strings.HasSuffix(t.Key, "/") {
		return s3err.InvalidRequest.Msg("Cannot append to an object whose key ends in /.")
	}
	if r.Header.Get("If-None-Match") != "" {
		return s3err.NotImplemented.Msg("If-None-Match cannot be combined with x-amz-write-offset-bytes.")
	}
	in := &store.AppendInput{
		Bucket: t.Bucket, Key: t.Key, Offset: off, Body: payload, Size: payload.Length(),
		ContentType: r.Header.Get("Content-Type"), Headers: standardHeaders(r.Header), Meta: meta,
		Checksum: exp, Trailers: trailersOf(payload, exp), IfMatch: r.Header.Get("If-Match"), BucketRecord: b,
	}
	obj, err := h.store.Append(r.Context(), in)
	if err != nil {
		return err
	}
	hd := w.Header()
	hd.Set("ETag", `"`+obj.ETag+`"`)
	setSSE(hd, obj.SSE)
	hd.Set("X-Amz-Object-Size", strconv.FormatInt(obj.Size, 10))
	if exp != nil {
		// A CRC is answered for the whole object (kept current by CRC
		// combination); SHA checksums exist only per append, so the
		// appended data's own value is echoed.
		v := obj.Checksums[string(exp.Algorithm)]
		typ := obj.ChecksumType
		if !exp.Algorithm.IsCRC() && len(obj.PartList) > 0 {
			v, typ = obj.PartList[len(obj.PartList)-1].Checksum, ""
		}
		if v != "" {
			hd.Set(exp.Algorithm.Header(), v)
			if typ != "" {
				hd.Set("X-Amz-Checksum-Type", typ)
			}
		}
	}
	hd.Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return nil
}

// trailersOf lets the store read payload's trailer section once the body
// has ended, when the declared checksum comes in it (nil otherwise).
func trailersOf(payload *sigv4.Payload, exp *checksum.Expect) func() checksum.Header {
	if exp == nil || !exp.Trailer {
		return nil
	}
	return func() checksum.Header { return payload.Trailers() }
}

// parseWriteOffset reads x-amz-write-offset-bytes: exactly one value of
// decimal digits (no sign, no spaces) that fits an int64.
func parseWriteOffset(vals []string) (int64, error) {
	v := ""
	if len(vals) == 1 {
		v = vals[0]
	}
	var n int64 = -1
	if v != "" && strings.Trim(v, "0123456789") == "" {
		if x, err := strconv.ParseInt(v, 10, 64); err == nil {
			n = x
		}
	}
	if n < 0 {
		return 0, s3err.InvalidArgument.Msg("x-amz-write-offset-bytes must be a non-negative integer.").
			With("ArgumentName", "x-amz-write-offset-bytes").With("ArgumentValue", strings.Join(vals, ","))
	}
	return n, nil
}

func userMeta(h http.Header) (map[string]string, error) {
	var meta map[string]string
	size := 0
	for name, vals := range h {
		if len(name) <= len("X-Amz-Meta-") || !strings.EqualFold(name[:len("X-Amz-Meta-")], "X-Amz-Meta-") {
			continue
		}
		k := strings.ToLower(name[len("X-Amz-Meta-"):])
		v := strings.Join(vals, ",")
		size += len(k) + len(v)
		if meta == nil {
			meta = map[string]string{}
		}
		meta[k] = v
	}
	if size > maxMetaSize {
		// AWS's code for this is MetadataTooLarge (400).
		return nil, s3err.MetadataTooLarge.
			With("Size", strconv.Itoa(size)).With("MaxSizeAllowed", strconv.Itoa(maxMetaSize))
	}
	return meta, nil
}

func standardHeaders(h http.Header) map[string]string {
	var out map[string]string
	for _, name := range storedHeaders {
		v := h.Get(name)
		if name == "Content-Encoding" {
			v = stripAWSChunked(v)
		}
		if v == "" {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[name] = v
	}
	return out
}

// stripAWSChunked removes the aws-chunked transfer coding, which describes
// the request framing and is not part of the object.
func stripAWSChunked(v string) string {
	if !strings.Contains(v, "aws-chunked") {
		return v
	}
	var keep []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" && p != "aws-chunked" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, ",")
}

func setChecksumHeaders(hd http.Header, obj *catalog.Object) {
	for alg, v := range obj.Checksums {
		if a, ok := checksum.Parse(alg); ok {
			hd.Set(a.Header(), v)
		}
	}
	if len(obj.Checksums) > 0 && obj.ChecksumType != "" {
		hd.Set("X-Amz-Checksum-Type", obj.ChecksumType)
	}
}

// getObject serves GetObject and HeadObject.
func (h *Handler) getObject(w http.ResponseWriter, r *http.Request, t target) error {
	q := t.Query
	if v, ok := q["versionId"]; ok && (len(v) != 1 || v[0] != "null") {
		return s3err.InvalidArgument.Msg("Invalid version id specified")
	}
	for _, name := range []string{"X-Amz-Server-Side-Encryption", "X-Amz-Server-Side-Encryption-Customer-Algorithm"} {
		if r.Header.Get(name) != "" {
			return s3err.InvalidArgument.Msg("The %s header is not allowed on GET or HEAD requests.", name)
		}
	}
	obj, err := h.store.Head(r.Context(), t.Bucket, t.Key)
	if err != nil {
		return err
	}
	if err := checkRead(r.Header, obj); err != nil {
		if err == errNotModified {
			setObjectHeaders(w.Header(), t.Bucket, obj, false)
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
		return err
	}
	off, n, partial, err := parseRange(r.Header.Get("Range"), obj.Size)
	if err != nil {
		w.Header().Set("Content-Range", "bytes */"+strconv.FormatInt(obj.Size, 10))
		return err
	}
	partsCount := ""
	if _, ok := q["partNumber"]; ok {
		if r.Header.Get("Range") != "" {
			return s3err.InvalidRequest.Msg("Cannot specify both Range header and partNumber query parameter")
		}
		if off, n, err = partRange(q, obj); err != nil {
			return err
		}
		partial = obj.Parts > 1
		partsCount = strconv.Itoa(max(obj.Parts, 1))
	}
	// Open the body before any object header is set: when that fails (a
	// blob store down), the error response must not carry the object's
	// checksums, ETag or Content-Encoding, which clients apply to the
	// error body.
	var body io.ReadCloser
	if r.Method != http.MethodHead {
		if body, err = h.store.Open(r.Context(), obj, off, n); err != nil {
			return err
		}
		defer body.Close()
	}
	hd := w.Header()
	setObjectHeaders(hd, t.Bucket, obj, !partial && strings.EqualFold(r.Header.Get("X-Amz-Checksum-Mode"), "ENABLED"))
	if partsCount != "" {
		hd.Set("X-Amz-Mp-Parts-Count", partsCount)
	}
	overrideHeaders(hd, q)
	hd.Set("Content-Length", strconv.FormatInt(n, 10))
	status := http.StatusOK
	if partial {
		hd.Set("Content-Range", "bytes "+strconv.FormatInt(off, 10)+"-"+strconv.FormatInt(off+n-1, 10)+"/"+strconv.FormatInt(obj.Size, 10))
		status = http.StatusPartialContent
	}
	if r.Method == http.MethodHead {
		w.WriteHeader(status)
		return nil
	}
	w.WriteHeader(status)
	// After the header is sent, a read failure can only cut the response
	// short; the client sees fewer bytes than Content-Length.
	if _, err := io.Copy(w, body); err != nil {
		if info := InfoFrom(r.Context()); info != nil {
			info.Err = err
		}
	}
	return nil
}

func setObjectHeaders(hd http.Header, bucket string, obj *catalog.Object, withChecksums bool) {
	hd.Set("ETag", `"`+obj.ETag+`"`)
	hd.Set("Last-Modified", obj.LastModified.UTC().Format(http.TimeFormat))
	hd.Set("Accept-Ranges", "bytes")
	hd.Set("X-Amz-Storage-Class", storageClass(bucket))
	setSSE(hd, obj.SSE)
	ct := obj.ContentType
	if ct == "" {
		ct = "binary/octet-stream"
	}
	hd.Set("Content-Type", ct)
	for k, v := range obj.Headers {
		hd.Set(k, v)
	}
	for k, v := range obj.Meta {
		hd["X-Amz-Meta-"+k] = []string{v}
	}
	if obj.Parts > 1 {
		hd.Set("X-Amz-Mp-Parts-Count", strconv.Itoa(obj.Parts))
	}
	if withChecksums {
		setChecksumHeaders(hd, obj)
	}
}

// responseOverrides maps GetObject's response-* query parameters to the
// headers they set. A package-level table: a map literal in the function
// was built anew on every GET.
var responseOverrides = [...]struct{ param, header string }{
	{"response-cache-control", "Cache-Control"},
	{"response-content-disposition", "Content-Disposition"},
	{"response-content-encoding", "Content-Encoding"},
	{"response-content-language", "Content-Language"},
	{"response-content-type", "Content-Type"},
	{"response-expires", "Expires"},
}

// overrideHeaders applies the response-* query parameters of GetObject.
func overrideHeaders(hd http.Header, q map[string][]string) {
	if len(q) == 0 {
		return
	}
	for _, o := range responseOverrides {
		if v, ok := q[o.param]; ok && len(v) > 0 {
			hd.Set(o.header, v[0])
		}
	}
}

type notModified struct{}

func (notModified) Error() string { return "not modified" }

var errNotModified error = notModified{}

// checkRead applies the GET/HEAD conditional headers in S3's order: a
// matching If-Match overrides a failing If-Unmodified-Since, and a failing
// If-None-Match overrides a passing If-Modified-Since.
func checkRead(h http.Header, obj *catalog.Object) error {
	mod := obj.LastModified.Truncate(time.Second)
	if v := h.Get("If-Match"); v != "" {
		if !store.ETagMatches(v, obj.ETag) {
			return s3err.PreconditionFailed.With("Condition", "If-Match")
		}
	} else if v := h.Get("If-Unmodified-Since"); v != "" {
		if t, err := http.ParseTime(v); err == nil && mod.After(t) {
			return s3err.PreconditionFailed.With("Condition", "If-Unmodified-Since")
		}
	}
	if v := h.Get("If-None-Match"); v != "" {
		if store.ETagMatches(v, obj.ETag) {
			return errNotModified
		}
	} else if v := h.Get("If-Modified-Since"); v != "" {
		if t, err := http.ParseTime(v); err == nil && !mod.After(t) {
			return errNotModified
		}
	}
	return nil
}

// parseRange interprets a Range header against an object of size bytes.
// Malformed or multi-range headers are ignored (the whole object is sent),
// as S3 does; a well-formed range that selects nothing is InvalidRange.
func parseRange(v string, size int64) (off, n int64, partial bool, err error) {
	spec, ok := strings.CutPrefix(v, "bytes=")
	if v == "" || !ok || strings.Contains(spec, ",") {
		return 0, size, false, nil
	}
	first, last, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return 0, size, false, nil
	}
	if first == "" {
		k, perr := strconv.ParseInt(last, 10, 64)
		if perr != nil || k < 0 {
			return 0, size, false, nil
		}
		if k == 0 || size == 0 {
			return 0, 0, false, s3err.InvalidRange.With("ActualObjectSize", strconv.FormatInt(size, 10))
		}
		k = min(k, size)
		return size - k, k, true, nil
	}
	a, perr := strconv.ParseInt(first, 10, 64)
	if perr != nil || a < 0 {
		return 0, size, false, nil
	}
	b := size - 1
	if last != "" {
		if b, perr = strconv.ParseInt(last, 10, 64); perr != nil || b < a {
			return 0, size, false, nil
		}
		b = min(b, size-1)
	}
	if a >= size {
		return 0, 0, false, s3err.InvalidRange.With("RangeRequested", v).With("ActualObjectSize", strconv.FormatInt(size, 10))
	}
	return a, b - a + 1, true, nil
}

// partRange is the byte range of ?partNumber=N: a part of a multipart or
// appended object, or the whole object as its only part.
func partRange(q map[string][]string, obj *catalog.Object) (int64, int64, error) {
	n, err := partNumber(q)
	if err != nil {
		return 0, 0, err
	}
	if len(obj.PartList) == 0 {
		if n != 1 {
			return 0, 0, s3err.InvalidPartNumber
		}
		return 0, obj.Size, nil
	}
	if n > len(obj.PartList) {
		return 0, 0, s3err.InvalidPartNumber
	}
	var off int64
	for _, p := range obj.PartList[:n-1] {
		off += p.Size
	}
	return off, obj.PartList[n-1].Size, nil
}

// setSSE reports the encryption at rest, as AWS does on every response
// about an object's data.
func setSSE(hd http.Header, alg string) {
	if alg != "" {
		hd["X-Amz-Server-Side-Encryption"] = []string{alg}
	}
}
