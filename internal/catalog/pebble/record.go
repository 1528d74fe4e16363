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
// reader refuses versions it does not know rather than guess (version 1,
// which kept inline bytes inside the object record, was never released and
// is refused too). Names that are already in the Pebble key (object key,
// bucket name, upload id, part number) are not repeated.
//
// Object metadata v2 (table 'o'):
//
//	version=2
//	varint size | string etag | time lastModified | string contentType
//	map headers | map meta | map checksums | string checksumType
//	uvarint parts | uvarint n | n × (varint size | string checksum)   (PartList)
//	string sse | string wrappedKey | string renameToken | string renameSource
//	uvarint n | n × extent
//	[fixed64 dataTag]       present when the inline extents hold any bytes
//
//	extent  = 0 varint length | string iv                          (inline)
//	        | 1 string blobID | varint offset | varint length | string iv
//
// Inline data v2 (table 'd', only when the inline extents hold bytes):
//
//	version=2 | fixed64 dataTag | the inline extents' bytes, concatenated
//
// The metadata and data records are written in one batch with the same
// random dataTag; GetObject reads them with two point lookups and compares
// tags, so a read racing an overwrite of the same key can never pair one
// version's metadata with another's bytes (it retries on a snapshot).
//
// Part v2: version=2 | varint size | string etag | time lastModified |
// string checksum | uvarint n | n × pextent, with the inline bytes kept in
// the record (a part is never listed without being used):
//
//	pextent = 0 string bytes | string iv | 1 string blobID | varint offset | varint length | string iv
//
// Upload v2: version=2 | time initiated | string owner | string initiator |
// string contentType | map headers | map meta | string checksumAlgorithm |
// string checksumType | string sse
//
// Bucket v2: version=2 | string owner | string region | string zone |
// time createdAt | string policy | string encryption | string lifecycle
//
//	string  = uvarint len | bytes
//	map     = uvarint n | n × (string key | string value), keys sorted
//	time    = 0 (zero time) | 1 varint unixNanos
const recordVersion = 2

const (
	extentInline = 0
	extentBlob   = 1
)

var errCorrupt = errors.New("catalog/pebble: corrupt record")

// errVersion reports a record written by a format this code does not know.
func errVersion(kind string, v byte) error {
	return fmt.Errorf("catalog/pebble: %s record format version %d unknown (this build reads version %d)", kind, v, recordVersion)
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func appendBytes(dst []byte, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
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

// inlineBytes is the number of bytes o's inline extents hold.
func inlineBytes(extents []catalog.Extent) int {
	n := 0
	for _, e := range extents {
		if e.BlobID == "" {
			n += len(e.Inline)
		}
	}
	return n
}

// encodeObject returns o's metadata record and, when its inline extents
// hold bytes, its data record, both stamped with tag. o must have passed
// catalog.CheckObject.
func encodeObject(o *catalog.Object, tag uint64) (meta, data []byte) {
	meta = encodeMeta(o, tag)
	if n := inlineBytes(o.Extents); n > 0 {
		data = make([]byte, dataRecordSize(n))
		fillData(data, o, tag)
	}
	return meta, data
}

// encodeMeta returns o's metadata record (ending with tag when o has
// inline bytes).
func encodeMeta(o *catalog.Object, tag uint64) []byte {
	n := 64 + len(o.ETag) + len(o.ContentType) + len(o.WrappedKey) + 16*len(o.PartList)
	for _, e := range o.Extents {
		n += 24 + len(e.BlobID) + len(e.IV)
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
	b = binary.AppendUvarint(b, uint64(len(o.PartList)))
	for _, p := range o.PartList {
		b = binary.AppendVarint(b, p.Size)
		b = appendString(b, p.Checksum)
	}
	b = appendString(b, o.SSE)
	b = appendBytes(b, o.WrappedKey)
	b = appendString(b, o.RenameToken)
	b = appendString(b, o.RenameSource)
	b = binary.AppendUvarint(b, uint64(len(o.Extents)))
	for _, e := range o.Extents {
		if e.BlobID == "" {
			b = append(b, extentInline)
			b = binary.AppendVarint(b, int64(len(e.Inline)))
		} else {
			b = append(b, extentBlob)
			b = appendString(b, e.BlobID)
			b = binary.AppendVarint(b, e.Offset)
			b = binary.AppendVarint(b, e.Length)
		}
		b = appendBytes(b, e.IV)
	}
	if inlineBytes(o.Extents) > 0 {
		b = binary.LittleEndian.AppendUint64(b, tag)
	}
	return b
}

// dataRecordSize is the size of the data record of n inline bytes.
func dataRecordSize(n int) int { return 9 + n }

// fillData writes o's data record into dst, which has exactly
// dataRecordSize(inlineBytes(o.Extents)) bytes (it may be the batch's own
// buffer, so the bytes are copied once).
func fillData(dst []byte, o *catalog.Object, tag uint64) {
	dst[0] = recordVersion
	binary.LittleEndian.PutUint64(dst[1:9], tag)
	dst = dst[9:]
	for _, e := range o.Extents {
		if e.BlobID == "" {
			dst = dst[copy(dst, e.Inline):]
		}
	}
}

// objectMeta is a decoded metadata record: the object with its inline
// extents' Length set and Inline nil, and what it takes to attach the data.
type objectMeta struct {
	obj       *catalog.Object
	dataBytes int64  // bytes the inline extents hold; 0: no data record
	tag       uint64 // the data record's tag when dataBytes > 0
}

// decodeObject decodes a metadata record of key. Byte fields alias b,
// which the caller must own (not Pebble's buffer).
func decodeObject(key string, b []byte) (objectMeta, error) {
	d := decoder{b: b}
	if v := d.byte(); v != recordVersion {
		if d.err != nil {
			return objectMeta{}, fmt.Errorf("%w: object %q", errCorrupt, key)
		}
		return objectMeta{}, errVersion("object", v)
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
	if n := d.count(); n > 0 {
		o.PartList = make([]catalog.ObjectPart, n)
		for i := range o.PartList {
			o.PartList[i].Size = d.varint()
			o.PartList[i].Checksum = d.string()
		}
	}
	o.SSE = d.string()
	o.WrappedKey = d.optBytes()
	o.RenameToken = d.string()
	o.RenameSource = d.string()
	var m objectMeta
	if n := d.count(); n > 0 {
		o.Extents = make([]catalog.Extent, n)
		for i := range o.Extents {
			e := &o.Extents[i]
			switch d.byte() {
			case extentInline:
				e.Length = d.varint()
				if e.Length < 0 {
					d.fail()
				}
				m.dataBytes += e.Length
			case extentBlob:
				e.BlobID = d.string()
				if e.BlobID == "" {
					d.fail()
				}
				e.Offset = d.varint()
				e.Length = d.varint()
			default:
				d.fail()
			}
			e.IV = d.optBytes()
		}
	}
	if m.dataBytes > 0 {
		m.tag = d.fixed64()
	}
	if d.err != nil || len(d.b) != 0 {
		return objectMeta{}, fmt.Errorf("%w: object %q", errCorrupt, key)
	}
	m.obj = o
	return m, nil
}

// errTorn reports a data record whose tag does not match the metadata:
// written by another update than the metadata that was read.
var errTorn = errors.New("catalog/pebble: inline data of another version")

// attachData fills the inline extents of m.obj from the data record
// (nil when there is none); Inline aliases data, which the caller must
// own. Inline extents are never nil afterwards, so an empty one stays
// recognisably inline.
func attachData(m objectMeta, data []byte) error {
	o := m.obj
	if m.dataBytes == 0 {
		for i := range o.Extents {
			if o.Extents[i].BlobID == "" {
				o.Extents[i].Inline = []byte{}
			}
		}
		return nil
	}
	if data == nil {
		return fmt.Errorf("%w: object %q: inline data missing", errCorrupt, o.Key)
	}
	if len(data) < 9 || data[0] != recordVersion {
		return fmt.Errorf("%w: inline data of object %q", errCorrupt, o.Key)
	}
	if binary.LittleEndian.Uint64(data[1:9]) != m.tag {
		return errTorn
	}
	data = data[9:]
	if int64(len(data)) != m.dataBytes {
		return fmt.Errorf("%w: inline data of object %q holds %d bytes, want %d", errCorrupt, o.Key, len(data), m.dataBytes)
	}
	for i := range o.Extents {
		e := &o.Extents[i]
		if e.BlobID == "" {
			e.Inline = data[:e.Length:e.Length]
			data = data[e.Length:]
		}
	}
	return nil
}

func encodeBucket(b catalog.Bucket) []byte {
	out := make([]byte, 0, 24+len(b.Owner)+len(b.Region)+len(b.Zone)+len(b.Policy)+len(b.Encryption)+len(b.Lifecycle))
	out = append(out, recordVersion)
	out = appendString(out, b.Owner)
	out = appendString(out, b.Region)
	out = appendString(out, b.Zone)
	out = appendTime(out, b.CreatedAt)
	out = appendBytes(out, b.Policy)
	out = appendBytes(out, b.Encryption)
	return appendBytes(out, b.Lifecycle)
}

// decodeBucket decodes a bucket record; b must be owned by the caller.
func decodeBucket(name string, b []byte) (catalog.Bucket, error) {
	d := decoder{b: b}
	if v := d.byte(); v != recordVersion {
		if d.err != nil {
			return catalog.Bucket{}, fmt.Errorf("%w: bucket %q", errCorrupt, name)
		}
		return catalog.Bucket{}, errVersion("bucket", v)
	}
	out := catalog.Bucket{Name: name}
	out.Owner = d.string()
	out.Region = d.string()
	out.Zone = d.string()
	out.CreatedAt = d.time()
	out.Policy = d.optBytes()
	out.Encryption = d.optBytes()
	out.Lifecycle = d.optBytes()
	if d.err != nil || len(d.b) != 0 {
		return catalog.Bucket{}, fmt.Errorf("%w: bucket %q", errCorrupt, name)
	}
	return out, nil
}

func encodeUpload(u *catalog.Upload) []byte {
	out := make([]byte, 0, 64+len(u.Owner)+len(u.Initiator)+len(u.ContentType))
	out = append(out, recordVersion)
	out = appendTime(out, u.Initiated)
	out = appendString(out, u.Owner)
	out = appendString(out, u.Initiator)
	out = appendString(out, u.ContentType)
	out = appendMap(out, u.Headers)
	out = appendMap(out, u.Meta)
	out = appendString(out, u.ChecksumAlgorithm)
	out = appendString(out, u.ChecksumType)
	return appendString(out, u.SSE)
}

func decodeUpload(bucket, key, id string, b []byte) (*catalog.Upload, error) {
	d := decoder{b: b}
	if v := d.byte(); v != recordVersion {
		if d.err != nil {
			return nil, fmt.Errorf("%w: upload %q of %q", errCorrupt, id, key)
		}
		return nil, errVersion("upload", v)
	}
	u := &catalog.Upload{Bucket: bucket, Key: key, ID: id}
	u.Initiated = d.time()
	u.Owner = d.string()
	u.Initiator = d.string()
	u.ContentType = d.string()
	u.Headers = d.stringMap()
	u.Meta = d.stringMap()
	u.ChecksumAlgorithm = d.string()
	u.ChecksumType = d.string()
	u.SSE = d.string()
	if d.err != nil || len(d.b) != 0 {
		return nil, fmt.Errorf("%w: upload %q of %q", errCorrupt, id, key)
	}
	return u, nil
}

func encodePart(p *catalog.Part) []byte {
	n := 32 + len(p.ETag) + len(p.Checksum)
	for _, e := range p.Extents {
		n += 24 + len(e.Inline) + len(e.BlobID) + len(e.IV)
	}
	out := make([]byte, 0, n)
	out = append(out, recordVersion)
	out = binary.AppendVarint(out, p.Size)
	out = appendString(out, p.ETag)
	out = appendTime(out, p.LastModified)
	out = appendString(out, p.Checksum)
	out = binary.AppendUvarint(out, uint64(len(p.Extents)))
	for _, e := range p.Extents {
		if e.BlobID == "" {
			out = append(out, extentInline)
			out = appendBytes(out, e.Inline)
		} else {
			out = append(out, extentBlob)
			out = appendString(out, e.BlobID)
			out = binary.AppendVarint(out, e.Offset)
			out = binary.AppendVarint(out, e.Length)
		}
		out = appendBytes(out, e.IV)
	}
	return out
}

// decodePart decodes a part record; inline bytes alias b, which the caller
// must own.
func decodePart(number int, b []byte) (catalog.Part, error) {
	d := decoder{b: b}
	if v := d.byte(); v != recordVersion {
		if d.err != nil {
			return catalog.Part{}, fmt.Errorf("%w: part %d", errCorrupt, number)
		}
		return catalog.Part{}, errVersion("part", v)
	}
	p := catalog.Part{Number: number}
	p.Size = d.varint()
	p.ETag = d.string()
	p.LastModified = d.time()
	p.Checksum = d.string()
	if n := d.count(); n > 0 {
		p.Extents = make([]catalog.Extent, n)
		for i := range p.Extents {
			e := &p.Extents[i]
			switch d.byte() {
			case extentInline:
				e.Inline = d.bytes()
				e.Length = int64(len(e.Inline))
			case extentBlob:
				e.BlobID = d.string()
				if e.BlobID == "" {
					d.fail()
				}
				e.Offset = d.varint()
				e.Length = d.varint()
			default:
				d.fail()
			}
			e.IV = d.optBytes()
		}
	}
	if d.err != nil || len(d.b) != 0 {
		return catalog.Part{}, fmt.Errorf("%w: part %d", errCorrupt, number)
	}
	return p, nil
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

func (d *decoder) fixed64() uint64 {
	if len(d.b) < 8 {
		d.fail()
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b)
	d.b = d.b[8:]
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

// optBytes is bytes for optional fields: empty reads back as nil.
func (d *decoder) optBytes() []byte {
	if p := d.bytes(); len(p) > 0 {
		return p
	}
	return nil
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
