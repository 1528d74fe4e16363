package s3api

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/base64"
	"encoding/xml"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/zonal-dev/zonal/internal/checksum"
	"github.com/zonal-dev/zonal/internal/s3err"
	"github.com/zonal-dev/zonal/internal/sigv4"
	"github.com/zonal-dev/zonal/internal/store"
)

// maxDeleteKeys is S3's limit on keys per DeleteObjects request.
const maxDeleteKeys = 1000

func (h *Handler) deleteObject(w http.ResponseWriter, r *http.Request, t target) error {
	if v, ok := t.Query["versionId"]; ok && (len(v) != 1 || v[0] != "null") {
		return s3err.InvalidArgument.Msg("Invalid version id specified")
	}
	if err := validKey(t.Key); err != nil {
		return err
	}
	for _, name := range []string{"X-Amz-Mfa", "X-Amz-Bypass-Governance-Retention"} {
		if r.Header.Get(name) != "" {
			return s3err.NotImplemented.Msg("Directory buckets do not support the %s header.", name)
		}
	}
	cond := store.DeleteConditions{IfMatch: r.Header.Get("If-Match")}
	if v := r.Header.Get("X-Amz-If-Match-Size"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return s3err.InvalidArgument.Msg("x-amz-if-match-size must be a non-negative integer.")
		}
		cond.IfMatchSize = &n
	}
	if v := r.Header.Get("X-Amz-If-Match-Last-Modified-Time"); v != "" {
		tm, err := parseAnyTime(v)
		if err != nil {
			return s3err.InvalidArgument.Msg("x-amz-if-match-last-modified-time is not a valid date.")
		}
		cond.IfMatchLastMod = &tm
	}
	if err := h.store.Delete(r.Context(), t.Bucket, t.Key, cond); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// parseAnyTime reads an HTTP date (what the model specifies) or ISO 8601.
func parseAnyTime(v string) (time.Time, error) {
	if t, err := http.ParseTime(v); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339Nano, v)
}

type deleteRequest struct {
	XMLName xml.Name `xml:"Delete"`
	Objects []struct {
		Key              string  `xml:"Key"`
		ETag             string  `xml:"ETag"`
		LastModifiedTime string  `xml:"LastModifiedTime"`
		Size             *int64  `xml:"Size"`
		VersionID        *string `xml:"VersionId"`
	} `xml:"Object"`
	Quiet bool `xml:"Quiet"`
}

type deleteResult struct {
	XMLName xml.Name        `xml:"DeleteResult"`
	NS      string          `xml:"xmlns,attr"`
	Deleted []deletedEntry  `xml:"Deleted"`
	Errors  []deleteFailure `xml:"Error"`
}

type deletedEntry struct {
	Key string `xml:"Key"`
}

type deleteFailure struct {
	Key     string `xml:"Key"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// deleteObjects removes up to 1,000 keys. The whole request fails on a
// malformed document or a forbidden key; per-key failures (preconditions,
// internal errors) are reported in the result and do not stop the others.
func (h *Handler) deleteObjects(w http.ResponseWriter, r *http.Request, c *caller, t target) error {
	md5Header := r.Header.Get("Content-Md5")
	exp, err := declaredChecksum(r)
	if err != nil {
		return err
	}
	if exp == nil && md5Header == "" {
		return s3err.InvalidRequest.Msg("Missing required header for this request: Content-MD5 OR x-amz-checksum-*")
	}
	payload, err := h.payload(r, c)
	if err != nil {
		return err
	}
	// The document is hashed as it is decoded; nothing is deleted before
	// both checks pass.
	var hs *checksum.Hasher
	var md hash.Hash
	var sums []io.Writer
	if exp != nil {
		hs = checksum.NewHasher(exp.Algorithm)
		sums = append(sums, hs)
	}
	if md5Header != "" {
		md = md5.New()
		sums = append(sums, md)
	}
	var req deleteRequest
	src := io.Reader(payload)
	if len(sums) > 0 {
		src = io.TeeReader(payload, io.MultiWriter(sums...))
	}
	// Read errors and an oversized body first, then integrity, then syntax.
	found, err := decodeXML(src, maxDeleteBody, &req)
	if err != nil && err != error(s3err.MalformedXML) {
		return err
	}
	if verr := verifyDeleteDigests(hs, exp, payload, md, md5Header); verr != nil {
		return verr
	}
	if err != nil {
		return err
	}
	if !found {
		return s3err.MalformedXML
	}
	if len(req.Objects) == 0 || len(req.Objects) > maxDeleteKeys {
		return s3err.MalformedXML
	}
	for _, o := range req.Objects {
		if strings.TrimSpace(o.Key) == "" {
			return s3err.InvalidRequest.Msg("Object key names must not be empty or consist only of whitespace.")
		}
		if strings.IndexFunc(o.Key, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' }) >= 0 {
			return s3err.InvalidRequest.Msg("Object key names must not contain control characters.")
		}
		if err := validKey(o.Key); err != nil {
			return err
		}
		if o.VersionID != nil && *o.VersionID != "null" {
			return s3err.InvalidArgument.Msg("Invalid version id specified")
		}
	}
	res := deleteResult{NS: s3NS}
	for _, o := range req.Objects {
		if c.ap != nil && !keyInScope(c.ap.Scope, o.Key) {
			res.Errors = append(res.Errors, deleteFailure{o.Key, s3err.AccessDenied.Code, s3err.AccessDenied.Message})
			continue
		}
		cond := store.DeleteConditions{IfMatch: o.ETag, IfMatchSize: o.Size}
		if o.LastModifiedTime != "" {
			tm, err := parseAnyTime(o.LastModifiedTime)
			if err != nil {
				res.Errors = append(res.Errors, deleteFailure{o.Key, "InvalidArgument", "LastModifiedTime is not a valid date."})
				continue
			}
			cond.IfMatchLastMod = &tm
		}
		if err := h.store.Delete(r.Context(), t.Bucket, o.Key, cond); err != nil {
			if store.IsKind(err, store.NoSuchBucket) {
				return err
			}
			e := s3Error(err)
			if e.Status == http.StatusInternalServerError {
				h.log.Error("DeleteObjects key failed", "bucket", t.Bucket, "key", o.Key, "err", err)
			}
			res.Errors = append(res.Errors, deleteFailure{o.Key, e.Code, e.Message})
			continue
		}
		if !req.Quiet {
			res.Deleted = append(res.Deleted, deletedEntry{o.Key})
		}
	}
	return writeXML(w, res)
}

// verifyDeleteDigests checks a DeleteObjects body, read to its end, against
// its declared checksum and Content-MD5.
func verifyDeleteDigests(hs *checksum.Hasher, exp *checksum.Expect, payload *sigv4.Payload, md hash.Hash, md5Header string) error {
	if hs != nil {
		if err := hs.Verify(exp, payload.Trailers()); err != nil {
			return err
		}
	}
	if md != nil {
		// Directory buckets take CRC32 from the SDKs; a Content-MD5 sent
		// instead is still checked rather than ignored.
		want, err := base64.StdEncoding.DecodeString(md5Header)
		if err != nil || len(want) != md5.Size {
			return s3err.InvalidDigest
		}
		if subtle.ConstantTimeCompare(want, md.Sum(nil)) != 1 {
			return s3err.BadDigest
		}
	}
	return nil
}

type timeValue = time.Time
