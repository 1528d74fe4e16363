package pebble

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/catalog/binrec"
)

// Records are encoded by hand: every GET decodes one, so the format is
// compact and cheap to parse. The first byte is the format version; a
// reader refuses versions it does not know rather than guess (version 1,
// which kept inline bytes inside the object record, was never released and
// is refused too). Names that are already in the Pebble key (object key,
// bucket name, upload id, part number) are not repeated.
//
// The bodies of object, upload and part records are binrec's, shared with
// the PostgreSQL engine (binrec/records.go has their layout).
//
// Object metadata v2 (table 'o'):
//
//	version=2 | binrec object | [fixed64 dataTag]
//
// with the tag present when the inline extents hold any bytes.
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
// Part v2: version=2 | binrec part. Upload v2: version=2 | binrec upload.
//
// Bucket v2: version=2 | string owner | string region | string zone |
// time createdAt | string policy | string encryption | string lifecycle
// [| map tags]. The tags are written only when there are some, so records
// of buckets without tags, and those written before tags existed, end
// after the lifecycle and read the same.
//
// (string and time as binrec writes them.)
const recordVersion = 2

var errCorrupt = errors.New("catalog/pebble: corrupt record")

// errVersion reports a record written by a format this code does not know.
func errVersion(kind string, v byte) error {
	return fmt.Errorf("catalog/pebble: %s record format version %d unknown (this build reads version %d)", kind, v, recordVersion)
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
	b = binrec.AppendObject(append(b, recordVersion), o)
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
	d := binrec.NewDecoder(b)
	if v := d.Byte(); v != recordVersion {
		if d.Err() != nil {
			return objectMeta{}, fmt.Errorf("%w: object %q", errCorrupt, key)
		}
		return objectMeta{}, errVersion("object", v)
	}
	var m objectMeta
	o, inline := d.Object(key)
	m.dataBytes = inline
	if m.dataBytes > 0 {
		m.tag = d.Fixed64()
	}
	if d.Err() != nil || d.Len() != 0 {
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
	out = binrec.AppendString(out, b.Owner)
	out = binrec.AppendString(out, b.Region)
	out = binrec.AppendString(out, b.Zone)
	out = binrec.AppendTime(out, b.CreatedAt)
	out = binrec.AppendBytes(out, b.Policy)
	out = binrec.AppendBytes(out, b.Encryption)
	out = binrec.AppendBytes(out, b.Lifecycle)
	if len(b.Tags) > 0 {
		out = binrec.AppendMap(out, b.Tags)
	}
	return out
}

// decodeBucket decodes a bucket record; b must be owned by the caller.
func decodeBucket(name string, b []byte) (catalog.Bucket, error) {
	d := binrec.NewDecoder(b)
	if v := d.Byte(); v != recordVersion {
		if d.Err() != nil {
			return catalog.Bucket{}, fmt.Errorf("%w: bucket %q", errCorrupt, name)
		}
		return catalog.Bucket{}, errVersion("bucket", v)
	}
	out := catalog.Bucket{Name: name}
	out.Owner = d.String()
	out.Region = d.String()
	out.Zone = d.String()
	out.CreatedAt = d.Time()
	out.Policy = d.OptBytes()
	out.Encryption = d.OptBytes()
	out.Lifecycle = d.OptBytes()
	if d.Err() == nil && d.Len() > 0 {
		out.Tags = d.Map()
	}
	if d.Err() != nil || d.Len() != 0 {
		return catalog.Bucket{}, fmt.Errorf("%w: bucket %q", errCorrupt, name)
	}
	return out, nil
}

func encodeUpload(u *catalog.Upload) []byte {
	out := make([]byte, 0, 64+len(u.Owner)+len(u.Initiator)+len(u.ContentType))
	return binrec.AppendUpload(append(out, recordVersion), u)
}

func decodeUpload(bucket, key, id string, b []byte) (*catalog.Upload, error) {
	d := binrec.NewDecoder(b)
	if v := d.Byte(); v != recordVersion {
		if d.Err() != nil {
			return nil, fmt.Errorf("%w: upload %q of %q", errCorrupt, id, key)
		}
		return nil, errVersion("upload", v)
	}
	u := d.Upload(bucket, key, id)
	if d.Err() != nil || d.Len() != 0 {
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
	return binrec.AppendPart(append(out, recordVersion), p)
}

// decodePart decodes a part record; inline bytes alias b, which the caller
// must own.
func decodePart(number int, b []byte) (catalog.Part, error) {
	d := binrec.NewDecoder(b)
	if v := d.Byte(); v != recordVersion {
		if d.Err() != nil {
			return catalog.Part{}, fmt.Errorf("%w: part %d", errCorrupt, number)
		}
		return catalog.Part{}, errVersion("part", v)
	}
	p := d.Part(number)
	if d.Err() != nil || d.Len() != 0 {
		return catalog.Part{}, fmt.Errorf("%w: part %d", errCorrupt, number)
	}
	return p, nil
}
