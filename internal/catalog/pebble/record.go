package pebble

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// Records are encoded by hand: every GET decodes one, so the format is
// compact and cheap to parse. The first byte is the format version; a
// reader refuses versions it does not know rather than guess. Names that
// are already in the Pebble key (object key, bucket name) are not repeated.
//
// Object v1:
//
//	version=1
//	varint size | string etag | time lastModified | string contentType
//	map headers | map meta | map checksums | string checksumType
//	uvarint parts | uvarint n | n extents
//
//	string  = uvarint len | bytes
//	map     = uvarint n | n × (string key | string value), keys sorted
//	time    = 0 (zero time) | 1 varint unixNanos
//	extent  = 0 uvarint len | bytes                     (inline)
//	        | 1 string blobID | varint offset | varint length  (blob)
//
// Bucket v1: version=1 | string owner | string region | string zone | time createdAt
const recordVersion = 1

const (
	extentInline = 0
	extentBlob   = 1
)

var errCorrupt = errors.New("catalog/pebble: corrupt record")

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func appendTime(dst []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(dst, 0)
	}
	return binary.AppendVarint(append(dst, 1), t.UnixNano())
}

func appendMap(dst []byte, m map[string]string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(m)))
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		dst = appendString(appendString(dst, k), m[k])
	}
	return dst
}

// encodeObject returns o's v1 encoding.
func encodeObject(o *catalog.Object) []byte {
	n := 64 + len(o.ETag) + len(o.ContentType)
	for _, e := range o.Extents {
		n += 16 + len(e.Inline) + len(e.BlobID)
	}
	b := make([]byte, 0, n)
	b = append(b, recordVersion)
	b = binary.AppendVarint(b, o.Size)
	b = appendString(b, o.ETag)
	b = appendTime(b, o.LastModified)
	b = appendString(b, o.ContentType)
	b = appendMap(b, o.Headers)
	b = appendMap(b, o.Meta)
	b = appendMap(b, o.Checksums)
	b = appendString(b, o.ChecksumType)
	b = binary.AppendUvarint(b, uint64(o.Parts))
	b = binary.AppendUvarint(b, uint64(len(o.Extents)))
	for _, e := range o.Extents {
		if e.BlobID == "" {
			b = append(b, extentInline)
			b = binary.AppendUvarint(b, uint64(len(e.Inline)))
			b = append(b, e.Inline...)
			continue
		}
		b = append(b, extentBlob)
		b = appendString(b, e.BlobID)
		b = binary.AppendVarint(b, e.Offset)
		b = binary.AppendVarint(b, e.Length)
	}
	return b
}

// decodeObject decodes a record of key. Inline extents alias b, which the
// caller must own (not Pebble's buffer).
func decodeObject(key string, b []byte) (*catalog.Object, error) {
	d := decoder{b: b}
	if v := d.byte(); v != recordVersion {
		return nil, fmt.Errorf("catalog/pebble: object record version %d unknown", v)
	}
	o := &catalog.Object{Key: key}
	o.Size = d.varint()
	o.ETag = d.string()
	o.LastModified = d.time()
	o.ContentType = d.string()
	o.Headers = d.stringMap()
	o.Meta = d.stringMap()
	o.Checksums = d.stringMap()
	o.ChecksumType = d.string()
	o.Parts = int(d.uvarint())
	n := d.count()
	if n > 0 {
		o.Extents = make([]catalog.Extent, n)
	}
	for i := range n {
		e := &o.Extents[i]
		switch d.byte() {
		case extentInline:
			e.Inline = d.bytes()
		case extentBlob:
			e.BlobID = d.string()
			e.Offset = d.varint()
			e.Length = d.varint()
		default:
			d.fail()
		}
	}
	if d.err != nil || len(d.b) != 0 {
		return nil, fmt.Errorf("%w: object %q", errCorrupt, key)
	}
	return o, nil
}

func encodeBucket(b catalog.Bucket) []byte {
	out := make([]byte, 0, 16+len(b.Owner)+len(b.Region)+len(b.Zone))
	out = append(out, recordVersion)
	out = appendString(out, b.Owner)
	out = appendString(out, b.Region)
	out = appendString(out, b.Zone)
	return appendTime(out, b.CreatedAt)
}

func decodeBucket(name string, b []byte) (catalog.Bucket, error) {
	d := decoder{b: b}
	if v := d.byte(); v != recordVersion {
		return catalog.Bucket{}, fmt.Errorf("catalog/pebble: bucket record version %d unknown", v)
	}
	out := catalog.Bucket{Name: name}
	out.Owner = d.string()
	out.Region = d.string()
	out.Zone = d.string()
	out.CreatedAt = d.time()
	if d.err != nil || len(d.b) != 0 {
		return catalog.Bucket{}, fmt.Errorf("%w: bucket %q", errCorrupt, name)
	}
	return out, nil
}

// decoder reads a record front to back. After the first error every read
// returns a zero value, so callers check err once at the end.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errCorrupt
	}
	d.b = nil
}

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads an element count, bounded by the bytes left so a corrupt
// count cannot make us allocate a huge slice.
func (d *decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return 0
	}
	return int(n)
}

// bytes returns the next length-prefixed bytes without copying. The result
// is never nil so an empty inline extent stays inline.
func (d *decoder) bytes() []byte {
	n := d.count()
	if d.err != nil {
		return nil
	}
	p := d.b[:n:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) string() string { return string(d.bytes()) }

func (d *decoder) time() time.Time {
	switch d.byte() {
	case 0:
		return time.Time{}
	case 1:
		return time.Unix(0, d.varint()).UTC()
	default:
		d.fail()
		return time.Time{}
	}
}

func (d *decoder) stringMap() map[string]string {
	n := d.count()
	if n == 0 {
		return nil
	}
	m := make(map[string]string, n)
	for range n {
		k := d.string()
		m[k] = d.string()
	}
	return m
}
