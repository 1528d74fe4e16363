package s3api

import (
	"net/http"
	"strconv"
	"sync"
	"unicode/utf8"
)

// ListObjectsV2 is the one response whose size grows with the request
// (1,000 entries a page), and encoding/xml's reflection was most of its
// CPU cost. This writer appends the same document into a pooled buffer.

var listBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// writeListXML renders res exactly as encoding/xml would.
func writeListXML(w http.ResponseWriter, res *listBucketResult) error {
	bp := listBufPool.Get().(*[]byte)
	b := (*bp)[:0]
	b = append(b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<ListBucketResult xmlns="`...)
	b = appendEscaped(b, res.NS)
	b = append(b, `">`...)
	b = elem(b, "Name", res.Name)
	b = elem(b, "Prefix", res.Prefix)
	if res.Marker != nil {
		b = elem(b, "Marker", *res.Marker)
	}
	if res.NextMarker != "" {
		b = elem(b, "NextMarker", res.NextMarker)
	}
	if res.Delimiter != "" {
		b = elem(b, "Delimiter", res.Delimiter)
	}
	b = append(b, "<MaxKeys>"...)
	b = strconv.AppendInt(b, int64(res.MaxKeys), 10)
	b = append(b, "</MaxKeys>"...)
	if res.EncodingType != "" {
		b = elem(b, "EncodingType", res.EncodingType)
	}
	if res.KeyCount != nil {
		b = append(b, "<KeyCount>"...)
		b = strconv.AppendInt(b, int64(*res.KeyCount), 10)
		b = append(b, "</KeyCount>"...)
	}
	if res.ContinuationToken != "" {
		b = elem(b, "ContinuationToken", res.ContinuationToken)
	}
	if res.NextContinuationToken != "" {
		b = elem(b, "NextContinuationToken", res.NextContinuationToken)
	}
	b = append(b, "<IsTruncated>"...)
	b = strconv.AppendBool(b, res.IsTruncated)
	b = append(b, "</IsTruncated>"...)
	for i := range res.Contents {
		c := &res.Contents[i]
		b = append(b, "<Contents>"...)
		b = elem(b, "Key", c.Key)
		b = elem(b, "LastModified", c.LastModified)
		b = elem(b, "ETag", c.ETag)
		for _, a := range c.ChecksumAlgorithm {
			b = elem(b, "ChecksumAlgorithm", a)
		}
		if c.ChecksumType != "" {
			b = elem(b, "ChecksumType", c.ChecksumType)
		}
		b = append(b, "<Size>"...)
		b = strconv.AppendInt(b, c.Size, 10)
		b = append(b, "</Size>"...)
		b = elem(b, "StorageClass", c.StorageClass)
		if c.Owner != nil {
			b = append(b, "<Owner>"...)
			b = elem(b, "ID", c.Owner.ID)
			b = elem(b, "DisplayName", c.Owner.DisplayName)
			b = append(b, "</Owner>"...)
		}
		b = append(b, "</Contents>"...)
	}
	for _, p := range res.CommonPrefixes {
		b = append(b, "<CommonPrefixes>"...)
		b = elem(b, "Prefix", p.Prefix)
		b = append(b, "</CommonPrefixes>"...)
	}
	b = append(b, "</ListBucketResult>"...)
	h := w.Header()
	h["Content-Type"] = []string{"application/xml"}
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	*bp = b
	listBufPool.Put(bp)
	return nil
}

func elem(b []byte, name, value string) []byte {
	b = append(b, '<')
	b = append(b, name...)
	b = append(b, '>')
	b = appendEscaped(b, value)
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, '>')
}

// appendEscaped escapes text the way encoding/xml.EscapeText does,
// including its replacement of characters XML cannot carry.
func appendEscaped(b []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); {
		r, width := utf8.DecodeRuneInString(s[i:])
		var esc string
		switch r {
		case '"':
			esc = "&#34;"
		case '\'':
			esc = "&#39;"
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '\t':
			esc = "&#x9;"
		case '\n':
			esc = "&#xA;"
		case '\r':
			esc = "&#xD;"
		default:
			if !inXMLRange(r) || (r == utf8.RuneError && width == 1) {
				esc = "\uFFFD"
				break
			}
			i += width
			continue
		}
		b = append(b, s[last:i]...)
		b = append(b, esc...)
		i += width
		last = i
	}
	return append(b, s[last:]...)
}

func inXMLRange(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}
