package s3api

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"

	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/checksum"
	"github.com/zonal-dev/zonal/internal/s3err"
	"github.com/zonal-dev/zonal/internal/store"
)

type initiateResult struct {
	XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
	NS       string   `xml:"xmlns,attr"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	UploadID string   `xml:"UploadId"`
}

func (h *Handler) createMultipartUpload(w http.ResponseWriter, r *http.Request, c *caller, t target) error {
	if err := validKey(t.Key); err != nil {
		return err
	}
	if err := checkWriteHeaders(r.Header, t.Bucket); err != nil {
		return err
	}
	if ce := r.Header.Get("Content-Encoding"); ce != "" && ce != "aws-chunked" {
		// Directory buckets accept only aws-chunked here (model note).
		return s3err.InvalidArgument.Msg("Directory buckets support only aws-chunked as the Content-Encoding of CreateMultipartUpload.")
	}
	alg, typ, err := checksum.FromCreateMultipartRequest(r.Header)
	if err != nil {
		return err
	}
	meta, err := userMeta(r.Header)
	if err != nil {
		return err
	}
	u, err := h.store.CreateUpload(r.Context(), catalog.Upload{
		Bucket: t.Bucket, Key: t.Key, Owner: c.principal.Account, Initiator: c.principal.ARN(),
		ContentType: r.Header.Get("Content-Type"), Headers: standardHeaders(r.Header), Meta: meta,
		ChecksumAlgorithm: string(alg), ChecksumType: string(typ), SSE: h.store.EncryptionFor(c.bucket),
	})
	if err != nil {
		return err
	}
	setSSE(w.Header(), u.SSE)
	if alg != "" {
		w.Header().Set("X-Amz-Checksum-Algorithm", string(alg))
		if typ != "" {
			w.Header().Set("X-Amz-Checksum-Type", string(typ))
		}
	}
	return writeXML(w, initiateResult{NS: s3NS, Bucket: t.Bucket, Key: t.Key, UploadID: u.ID})
}

// checkWriteHeaders refuses headers of features directory buckets lack and
// storage classes other than bucket's (storageClass).
func checkWriteHeaders(hd http.Header, bucket string) error {
	for _, name := range unsupportedPutHeaders {
		if hd.Get(name) != "" {
			return s3err.NotImplemented.Msg("Directory buckets do not support the %s header.", name)
		}
	}
	if sc := hd.Get("X-Amz-Storage-Class"); sc != "" && sc != storageClass(bucket) {
		return s3err.InvalidStorageClass
	}
	if sse := hd.Get("X-Amz-Server-Side-Encryption"); sse != "" && sse != "AES256" {
		return s3err.NotImplemented.Msg("zonal supports only SSE-S3 (AES256) encryption; SSE-KMS needs a key provider zonal does not have yet.")
	}
	return nil
}

func partNumber(q map[string][]string) (int, error) {
	v := ""
	if vs := q["partNumber"]; len(vs) > 0 {
		v = vs[0]
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > store.MaxParts {
		return 0, s3err.InvalidArgument.Msg("Part number must be an integer between 1 and 10000, inclusive").
			With("ArgumentName", "partNumber").With("ArgumentValue", v)
	}
	return n, nil
}

func (h *Handler) uploadPart(w http.ResponseWriter, r *http.Request, c *caller, t target) error {
	q := t.Query
	n, err := partNumber(q)
	if err != nil {
		return err
	}
	if r.Header.Get("Content-Md5") != "" {
		return s3err.NotImplemented.Msg("MD5 is not supported by directory buckets.")
	}
	id := q.Get("uploadId")
	u, err := h.store.Upload(r.Context(), t.Bucket, t.Key, id)
	if err != nil {
		return err
	}
	exp, err := declaredChecksum(r)
	if err != nil {
		return err
	}
	payload, err := h.payload(r, c)
	if err != nil {
		return err
	}
	if payload.Length() < 0 {
		return s3err.MissingContentLength // as PutObject
	}
	// The store keeps the part's checksum in the upload's algorithm and
	// refuses a declared checksum in another one.
	in := &store.PartInput{Bucket: t.Bucket, Key: t.Key, UploadID: id, Number: n, Body: payload, Size: payload.Length(),
		Checksum: exp, Trailers: trailersOf(payload, exp)}
	p, err := h.store.PutPart(r.Context(), in)
	if err != nil {
		return err
	}
	hd := w.Header()
	setSSE(hd, u.SSE)
	hd.Set("ETag", `"`+p.ETag+`"`)
	if alg, v := store.SplitPartChecksum(p.Checksum); v != "" && exp != nil && alg == exp.Algorithm {
		hd.Set(alg.Header(), v)
	}
	hd.Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return nil
}

type completeRequest struct {
	XMLName xml.Name `xml:"CompleteMultipartUpload"`
	Parts   []struct {
		PartNumber        int    `xml:"PartNumber"`
		ETag              string `xml:"ETag"`
		ChecksumCRC32     string `xml:"ChecksumCRC32"`
		ChecksumCRC32C    string `xml:"ChecksumCRC32C"`
		ChecksumCRC64NVME string `xml:"ChecksumCRC64NVME"`
		ChecksumSHA1      string `xml:"ChecksumSHA1"`
		ChecksumSHA256    string `xml:"ChecksumSHA256"`
	} `xml:"Part"`
}

type completeResult struct {
	XMLName  xml.Name `xml:"CompleteMultipartUploadResult"`
	NS       string   `xml:"xmlns,attr"`
	Location string   `xml:"Location"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
	checksumFields
}

// checksumFields are the Checksum* elements of result documents.
type checksumFields struct {
	ChecksumCRC32     string `xml:"ChecksumCRC32,omitempty"`
	ChecksumCRC32C    string `xml:"ChecksumCRC32C,omitempty"`
	ChecksumCRC64NVME string `xml:"ChecksumCRC64NVME,omitempty"`
	ChecksumSHA1      string `xml:"ChecksumSHA1,omitempty"`
	ChecksumSHA256    string `xml:"ChecksumSHA256,omitempty"`
	ChecksumType      string `xml:"ChecksumType,omitempty"`
}

func newChecksumFields(sums map[string]string, typ string) checksumFields {
	var f checksumFields
	for name, v := range sums {
		switch checksum.Algorithm(name) {
		case checksum.CRC32:
			f.ChecksumCRC32 = v
		case checksum.CRC32C:
			f.ChecksumCRC32C = v
		case checksum.CRC64NVME:
			f.ChecksumCRC64NVME = v
		case checksum.SHA1:
			f.ChecksumSHA1 = v
		case checksum.SHA256:
			f.ChecksumSHA256 = v
		}
	}
	if len(sums) > 0 {
		f.ChecksumType = typ
	}
	return f
}

func (h *Handler) completeMultipartUpload(w http.ResponseWriter, r *http.Request, c *caller, t target) error {
	id := t.Query.Get("uploadId")
	declared, err := checksum.FromCompleteRequest(r.Header)
	if err != nil {
		return err
	}
	inm := r.Header.Get("If-None-Match")
	if inm != "" && inm != "*" {
		return s3err.NotImplemented.Msg("If-None-Match on writes supports only *.")
	}
	payload, err := h.payload(r, c)
	if err != nil {
		return err
	}
	var req completeRequest
	found, err := decodeXML(payload, maxCompleteBody, &req)
	if err != nil {
		return err
	}
	if !found {
		return s3err.MalformedXML
	}
	in := &store.CompleteInput{Bucket: t.Bucket, Key: t.Key, UploadID: id, Declared: declared,
		IfMatch: r.Header.Get("If-Match"), IfNoneMatch: inm}
	if v := r.Header.Get("X-Amz-Mp-Object-Size"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return s3err.InvalidArgument.Msg("x-amz-mp-object-size must be a non-negative integer.")
		}
		in.ObjectSize = &n
	}
	for _, p := range req.Parts {
		sum := p.ChecksumCRC32 + p.ChecksumCRC32C + p.ChecksumCRC64NVME + p.ChecksumSHA1 + p.ChecksumSHA256
		in.Parts = append(in.Parts, store.CompletedPart{Number: p.PartNumber, ETag: p.ETag, Checksum: sum})
	}
	obj, err := h.store.CompleteUpload(r.Context(), in)
	if err != nil {
		return err
	}
	setSSE(w.Header(), obj.SSE)
	return writeXML(w, completeResult{
		NS: s3NS, Location: "/" + t.Bucket + "/" + t.Key, Bucket: t.Bucket, Key: t.Key, ETag: `"` + obj.ETag + `"`,
		checksumFields: newChecksumFields(obj.Checksums, obj.ChecksumType),
	})
}

func (h *Handler) abortMultipartUpload(w http.ResponseWriter, r *http.Request, t target) error {
	var initiated *timeValue
	if v := r.Header.Get("X-Amz-If-Match-Initiated-Time"); v != "" {
		tm, err := parseAnyTime(v)
		if err != nil {
			return s3err.InvalidArgument.Msg("x-amz-if-match-initiated-time is not a valid date.")
		}
		initiated = &tm
	}
	if err := h.store.AbortUpload(r.Context(), t.Bucket, t.Key, t.Query.Get("uploadId"), initiated); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type listPartsResult struct {
	XMLName              xml.Name   `xml:"ListPartsResult"`
	NS                   string     `xml:"xmlns,attr"`
	Bucket               string     `xml:"Bucket"`
	Key                  string     `xml:"Key"`
	UploadID             string     `xml:"UploadId"`
	PartNumberMarker     int        `xml:"PartNumberMarker"`
	NextPartNumberMarker int        `xml:"NextPartNumberMarker"`
	MaxParts             int        `xml:"MaxParts"`
	IsTruncated          bool       `xml:"IsTruncated"`
	Parts                []partItem `xml:"Part"`
	Initiator            listOwner  `xml:"Initiator"`
	Owner                listOwner  `xml:"Owner"`
	StorageClass         string     `xml:"StorageClass"`
	ChecksumAlgorithm    string     `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType         string     `xml:"ChecksumType,omitempty"`
}

type partItem struct {
	PartNumber   int    `xml:"PartNumber"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Size         int64  `xml:"Size"`
	checksumFields
}

// maxIntParam reads an optional integer query parameter in [0, max],
// defaulting (and clipping) to max.
func maxIntParam(q map[string][]string, name string, max int) (int, error) {
	vs := q[name]
	if len(vs) == 0 || vs[0] == "" {
		return max, nil
	}
	n, err := strconv.Atoi(vs[0])
	if err != nil || n < 0 {
		return 0, s3err.InvalidArgument.Msg("Provided %s not an integer or within integer range", name).
			With("ArgumentName", name).With("ArgumentValue", vs[0])
	}
	return min(n, max), nil
}

func (h *Handler) listParts(w http.ResponseWriter, r *http.Request, t target) error {
	q := t.Query
	id := q.Get("uploadId")
	limit, err := maxIntParam(q, "max-parts", 1000)
	if err != nil {
		return err
	}
	after := 0
	if v := q.Get("part-number-marker"); v != "" {
		if after, err = strconv.Atoi(v); err != nil || after < 0 {
			return s3err.InvalidArgument.Msg("Provided part-number-marker not an integer or within integer range")
		}
	}
	u, err := h.store.Upload(r.Context(), t.Bucket, t.Key, id)
	if err != nil {
		return err
	}
	parts, more, err := h.store.ListParts(r.Context(), t.Bucket, t.Key, id, after, limit)
	if err != nil {
		return err
	}
	res := listPartsResult{
		NS: s3NS, Bucket: t.Bucket, Key: t.Key, UploadID: id, PartNumberMarker: after, MaxParts: limit,
		IsTruncated: more, Initiator: listOwner{ID: u.Initiator, DisplayName: u.Initiator},
		Owner: listOwner{ID: u.Owner, DisplayName: u.Owner}, StorageClass: storageClass(t.Bucket),
		ChecksumAlgorithm: u.ChecksumAlgorithm, ChecksumType: u.ChecksumType,
	}
	for _, p := range parts {
		item := partItem{PartNumber: p.Number, LastModified: xmlTime(p.LastModified), ETag: `"` + p.ETag + `"`, Size: p.Size}
		if alg, v := store.SplitPartChecksum(p.Checksum); v != "" {
			item.checksumFields = newChecksumFields(map[string]string{string(alg): v}, "")
		}
		res.Parts = append(res.Parts, item)
		res.NextPartNumberMarker = p.Number
	}
	return writeXML(w, res)
}

type listUploadsResult struct {
	XMLName        xml.Name     `xml:"ListMultipartUploadsResult"`
	NS             string       `xml:"xmlns,attr"`
	Bucket         string       `xml:"Bucket"`
	KeyMarker      string       `xml:"KeyMarker"`
	NextKeyMarker  string       `xml:"NextKeyMarker,omitempty"`
	Prefix         string       `xml:"Prefix"`
	Delimiter      string       `xml:"Delimiter,omitempty"`
	MaxUploads     int          `xml:"MaxUploads"`
	EncodingType   string       `xml:"EncodingType,omitempty"`
	IsTruncated    bool         `xml:"IsTruncated"`
	Uploads        []uploadItem `xml:"Upload"`
	CommonPrefixes []listPrefix `xml:"CommonPrefixes"`
}

type uploadItem struct {
	Key               string    `xml:"Key"`
	UploadID          string    `xml:"UploadId"`
	Initiated         string    `xml:"Initiated"`
	StorageClass      string    `xml:"StorageClass"`
	Owner             listOwner `xml:"Owner"`
	Initiator         listOwner `xml:"Initiator"`
	ChecksumAlgorithm string    `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType      string    `xml:"ChecksumType,omitempty"`
}

// listMultipartUploads pages uploads. key-marker is opaque for directory
// buckets: it encodes the last (key, upload id) returned.
func (h *Handler) listMultipartUploads(w http.ResponseWriter, r *http.Request, t target) error {
	q := t.Query
	if q.Get("upload-id-marker") != "" {
		return s3err.NotImplemented.Msg("Directory buckets do not support upload-id-marker; page with key-marker.")
	}
	p, err := parseListParams(q)
	if err != nil {
		return err
	}
	if p.maxKeys, err = maxIntParam(q, "max-uploads", 1000); err != nil {
		return err
	}
	lq := catalog.ListQuery{Bucket: t.Bucket, Prefix: p.prefix, Delimiter: p.delimiter, Limit: p.maxKeys}
	marker := q.Get("key-marker")
	if marker != "" {
		raw, ok := decodeToken(marker)
		key, id, ok2 := strings.Cut(raw, "\x00")
		if !ok || !ok2 {
			return s3err.InvalidArgument.Msg("The key-marker provided is incorrect.")
		}
		lq.After, lq.AfterUpload = key, id
	}
	res := listUploadsResult{NS: s3NS, Bucket: t.Bucket, KeyMarker: marker, Prefix: p.encodeKey(p.prefix),
		Delimiter: p.encodeKey(p.delimiter), MaxUploads: p.maxKeys}
	if p.encode {
		res.EncodingType = "url"
	}
	if p.maxKeys > 0 {
		page, err := h.store.ListUploads(r.Context(), lq)
		if err != nil {
			return err
		}
		var lastKey, lastID string
		for _, e := range page.Entries {
			if e.Upload == nil {
				res.CommonPrefixes = append(res.CommonPrefixes, listPrefix{Prefix: p.encodeKey(e.Prefix)})
				lastKey, lastID = e.Prefix, ""
				continue
			}
			u := e.Upload
			res.Uploads = append(res.Uploads, uploadItem{
				Key: p.encodeKey(u.Key), UploadID: u.ID, Initiated: xmlTime(u.Initiated), StorageClass: storageClass(t.Bucket),
				Owner: listOwner{ID: u.Owner, DisplayName: u.Owner}, Initiator: listOwner{ID: u.Initiator, DisplayName: u.Initiator},
				ChecksumAlgorithm: u.ChecksumAlgorithm, ChecksumType: u.ChecksumType,
			})
			lastKey, lastID = u.Key, u.ID
		}
		res.IsTruncated = page.Truncated
		if page.Truncated {
			res.NextKeyMarker = encodeToken(lastKey + "\x00" + lastID)
		}
	} else if _, err := h.store.Bucket(r.Context(), t.Bucket); err != nil {
		return err
	}
	return writeXML(w, res)
}
