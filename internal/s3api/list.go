package s3api

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/xml"
	"hash/crc32"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/checksum"
	"github.com/zonal-dev/zonal/internal/s3err"
)

type listBucketResult struct {
	XMLName               xml.Name       `xml:"ListBucketResult"`
	NS                    string         `xml:"xmlns,attr"`
	Name                  string         `xml:"Name"`
	Prefix                string         `xml:"Prefix"`
	Marker                *string        `xml:"Marker"`
	NextMarker            string         `xml:"NextMarker,omitempty"`
	Delimiter             string         `xml:"Delimiter,omitempty"`
	MaxKeys               int            `xml:"MaxKeys"`
	EncodingType          string         `xml:"EncodingType,omitempty"`
	KeyCount              *int           `xml:"KeyCount"`
	ContinuationToken     string         `xml:"ContinuationToken,omitempty"`
	NextContinuationToken string         `xml:"NextContinuationToken,omitempty"`
	IsTruncated           bool           `xml:"IsTruncated"`
	Contents              []listContents `xml:"Contents"`
	CommonPrefixes        []listPrefix   `xml:"CommonPrefixes"`
}

type listContents struct {
	Key               string     `xml:"Key"`
	LastModified      string     `xml:"LastModified"`
	ETag              string     `xml:"ETag"`
	ChecksumAlgorithm []string   `xml:"ChecksumAlgorithm"`
	ChecksumType      string     `xml:"ChecksumType,omitempty"`
	Size              int64      `xml:"Size"`
	StorageClass      string     `xml:"StorageClass"`
	Owner             *listOwner `xml:"Owner"`
}

type listOwner struct {
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName"`
}

type listPrefix struct {
	Prefix string `xml:"Prefix"`
}

// listParams are the query parameters ListObjectsV2 and ListObjects share.
type listParams struct {
	prefix, delimiter string
	maxKeys           int
	encode            bool
}

// parseListParams applies the directory-bucket listing rules.
func parseListParams(q url.Values) (listParams, error) {
	p := listParams{prefix: q.Get("prefix"), delimiter: q.Get("delimiter"), maxKeys: 1000}
	if p.delimiter != "" && p.delimiter != "/" {
		return p, s3err.InvalidArgument.Msg("Directory buckets support only / as the delimiter.")
	}
	if p.prefix != "" && !strings.HasSuffix(p.prefix, "/") {
		return p, s3err.InvalidRequest.Msg("This bucket does not support a prefix that does not end in a delimiter. Specify a prefix path ending with a delimiter and try again.")
	}
	if v := q.Get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return p, s3err.InvalidArgument.Msg("Provided max-keys not an integer or within integer range")
		}
		p.maxKeys = min(n, 1000)
	}
	switch q.Get("encoding-type") {
	case "":
	case "url":
		p.encode = true
	default:
		return p, s3err.InvalidArgument.Msg("Invalid Encoding Method specified in Request")
	}
	return p, nil
}

// listPage runs the query and renders the entries into res.
func (h *Handler) listPage(r *http.Request, bucket string, p listParams, after string, withOwner bool, res *listBucketResult) (last string, err error) {
	res.NS = s3NS
	res.Name = bucket
	res.Prefix = p.encodeKey(p.prefix)
	res.Delimiter = p.encodeKey(p.delimiter)
	res.MaxKeys = p.maxKeys
	if p.encode {
		res.EncodingType = "url"
	}
	var owner *listOwner
	if withOwner {
		b, err := h.store.Bucket(r.Context(), bucket)
		if err != nil {
			return "", err
		}
		owner = &listOwner{ID: b.Owner, DisplayName: b.Owner}
	}
	if p.maxKeys == 0 {
		_, err := h.store.Bucket(r.Context(), bucket)
		return "", err
	}
	page, err := h.store.List(r.Context(), catalog.ListQuery{
		Bucket: bucket, Prefix: p.prefix, Delimiter: p.delimiter, After: after, Limit: p.maxKeys,
	})
	if err != nil {
		return "", err
	}
	for _, e := range page.Entries {
		if e.Object == nil {
			res.CommonPrefixes = append(res.CommonPrefixes, listPrefix{Prefix: p.encodeKey(e.Prefix)})
			continue
		}
		o := e.Object
		c := listContents{
			Key: p.encodeKey(o.Key), LastModified: xmlTime(o.LastModified), ETag: `"` + o.ETag + `"`,
			Size: o.Size, StorageClass: storageClass(bucket), Owner: owner,
		}
		for alg := range o.Checksums {
			if a, ok := checksum.Parse(alg); ok {
				c.ChecksumAlgorithm = append(c.ChecksumAlgorithm, string(a))
			}
		}
		if len(c.ChecksumAlgorithm) > 0 {
			c.ChecksumType = o.ChecksumType
		}
		res.Contents = append(res.Contents, c)
	}
	res.IsTruncated = page.Truncated
	if h.cfg.ShuffleListing {
		rand.Shuffle(len(res.Contents), func(i, j int) { res.Contents[i], res.Contents[j] = res.Contents[j], res.Contents[i] })
		rand.Shuffle(len(res.CommonPrefixes), func(i, j int) {
			res.CommonPrefixes[i], res.CommonPrefixes[j] = res.CommonPrefixes[j], res.CommonPrefixes[i]
		})
	}
	if n := len(page.Entries); n > 0 {
		last = page.Entries[n-1].Name()
	}
	return last, nil
}

// encodeKey applies encoding-type=url: form encoding as S3 produces it
// (space as +), keeping / readable; SDKs decode it with a query unescape.
func (p listParams) encodeKey(s string) string {
	if !p.encode || s == "" {
		return s
	}
	return strings.ReplaceAll(url.QueryEscape(s), "%2F", "/")
}

func (h *Handler) listObjectsV2(w http.ResponseWriter, r *http.Request, t target) error {
	q := t.Query
	if q.Get("start-after") != "" {
		return s3err.NotImplemented.Msg("Directory buckets do not support start-after.")
	}
	p, err := parseListParams(q)
	if err != nil {
		return err
	}
	var res listBucketResult
	after := ""
	if tok, ok := q["continuation-token"]; ok {
		if after, ok = decodeToken(tok[0]); !ok {
			return s3err.InvalidArgument.Msg("The continuation token provided is incorrect")
		}
		res.ContinuationToken = tok[0]
	}
	last, err := h.listPage(r, t.Bucket, p, after, q.Get("fetch-owner") == "true", &res)
	if err != nil {
		return err
	}
	count := len(res.Contents) + len(res.CommonPrefixes)
	res.KeyCount = &count
	if res.IsTruncated {
		res.NextContinuationToken = encodeToken(last)
	}
	return writeListXML(w, &res)
}

// listObjectsV1 answers the original ListObjects. Directory buckets on AWS
// support only V2, but rclone with provider=Other lists with V1; the same
// rules apply and marker is the last key or prefix seen.
func (h *Handler) listObjectsV1(w http.ResponseWriter, r *http.Request, t target) error {
	q := t.Query
	p, err := parseListParams(q)
	if err != nil {
		return err
	}
	marker := q.Get("marker")
	res := listBucketResult{Marker: ptr(p.encodeKey(marker))}
	last, err := h.listPage(r, t.Bucket, p, marker, true, &res)
	if err != nil {
		return err
	}
	if res.IsTruncated && p.delimiter != "" {
		res.NextMarker = p.encodeKey(last)
	}
	return writeListXML(w, &res)
}

func ptr[T any](v T) *T { return &v }

// Continuation tokens are opaque to clients: the last name returned plus a
// CRC so a made-up token is refused rather than silently misread.
func encodeToken(last string) string {
	b := binary.BigEndian.AppendUint32([]byte(last), crc32.ChecksumIEEE([]byte(last)))
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeToken(tok string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) < 4 {
		return "", false
	}
	name, sum := b[:len(b)-4], binary.BigEndian.Uint32(b[len(b)-4:])
	if crc32.ChecksumIEEE(name) != sum {
		return "", false
	}
	return string(name), true
}
