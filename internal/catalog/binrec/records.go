package binrec

import (
	"encoding/binary"
	"math"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// The bodies of the records every engine keeps, so that the engines encode
// an object, an upload and a part alike. An engine writes its own format
// byte first, and whatever it adds after (Pebble: the data record's tag).
//
// Object metadata, without the inline bytes:
//
//	varint size | string etag | time lastModified | string contentType
//	map headers | map meta | map checksums | string checksumType
//	uvarint parts | uvarint n | n × (varint size | string checksum)   (PartList)
//	string sse | string wrappedKey | string renameToken | string renameSource
//	uvarint n | n × extent
//
//	extent = 0 varint length | string iv                             (inline)
//	       | 1 string blobID | varint offset | varint length | string iv
//
// Upload: time initiated | string owner | string initiator |
// string contentType | map headers | map meta | string checksumAlgorithm |
// string checksumType | string sse
//
// Part, inline bytes included (a part is never listed without being used):
// varint size | string etag | time lastModified | string checksum |
// uvarint n | n × pextent
//
//	pextent = 0 string bytes | string iv | 1 string blobID | varint offset | varint length | string iv

const (
	extentInline = 0
	extentBlob   = 1
)

// AppendObject appends o's metadata; its inline bytes are the engine's to
// keep.
func AppendObject(dst []byte, o *catalog.Object) []byte {
	dst = binary.AppendVarint(dst, o.Size)
	dst = AppendString(dst, o.ETag)
	dst = AppendTime(dst, o.LastModified)
	dst = AppendString(dst, o.ContentType)
	dst = AppendMap(dst, o.Headers)
	dst = AppendMap(dst, o.Meta)
	dst = AppendMap(dst, o.Checksums)
	dst = AppendString(dst, o.ChecksumType)
	dst = binary.AppendUvarint(dst, uint64(o.Parts))
	dst = binary.AppendUvarint(dst, uint64(len(o.PartList)))
	for _, p := range o.PartList {
		dst = binary.AppendVarint(dst, p.Size)
		dst = AppendString(dst, p.Checksum)
	}
	dst = AppendString(dst, o.SSE)
	dst = AppendBytes(dst, o.WrappedKey)
	dst = AppendString(dst, o.RenameToken)
	dst = AppendString(dst, o.RenameSource)
	dst = binary.AppendUvarint(dst, uint64(len(o.Extents)))
	for _, e := range o.Extents {
		if e.BlobID == "" {
			dst = binary.AppendVarint(append(dst, extentInline), int64(len(e.Inline)))
		} else {
			dst = appendBlobExtent(dst, e)
		}
		dst = AppendBytes(dst, e.IV)
	}
	return dst
}

func appendBlobExtent(dst []byte, e catalog.Extent) []byte {
	dst = AppendString(append(dst, extentBlob), e.BlobID)
	dst = binary.AppendVarint(dst, e.Offset)
	return binary.AppendVarint(dst, e.Length)
}

// Object reads AppendObject's encoding of key's record. Its inline
// extents have their Length and no bytes; inline is their total.
func (d *Decoder) Object(key string) (o *catalog.Object, inline int64) {
	o = &catalog.Object{Key: key}
	o.Size = d.Varint()
	o.ETag = d.String()
	o.LastModified = d.Time()
	o.ContentType = d.String()
	o.Headers = d.Map()
	o.Meta = d.Map()
	o.Checksums = d.Map()
	o.ChecksumType = d.String()
	o.Parts = int(d.Uvarint())
	if n := d.Count(); n > 0 {
		o.PartList = make([]catalog.ObjectPart, n)
		for i := range o.PartList {
			o.PartList[i].Size = d.Varint()
			o.PartList[i].Checksum = d.String()
		}
	}
	o.SSE = d.String()
	o.WrappedKey = d.OptBytes()
	o.RenameToken = d.String()
	o.RenameSource = d.String()
	if n := d.Count(); n > 0 {
		o.Extents = make([]catalog.Extent, n)
		for i := range o.Extents {
			e := &o.Extents[i]
			switch d.Byte() {
			case extentInline:
				// A length past what a sum can hold is a corrupt record.
				if e.Length = d.Varint(); e.Length < 0 || e.Length > math.MaxInt64-inline {
					d.fail()
					return o, 0
				}
				inline += e.Length
			case extentBlob:
				d.blobExtent(e)
			default:
				d.fail()
			}
			e.IV = d.OptBytes()
		}
	}
	return o, inline
}

func (d *Decoder) blobExtent(e *catalog.Extent) {
	if e.BlobID = d.String(); e.BlobID == "" {
		d.fail()
	}
	e.Offset = d.Varint()
	e.Length = d.Varint()
}

// AppendUpload appends u (its bucket, key and id are the engine's keys).
func AppendUpload(dst []byte, u *catalog.Upload) []byte {
	dst = AppendTime(dst, u.Initiated)
	dst = AppendString(dst, u.Owner)
	dst = AppendString(dst, u.Initiator)
	dst = AppendString(dst, u.ContentType)
	dst = AppendMap(dst, u.Headers)
	dst = AppendMap(dst, u.Meta)
	dst = AppendString(dst, u.ChecksumAlgorithm)
	dst = AppendString(dst, u.ChecksumType)
	return AppendString(dst, u.SSE)
}

// Upload reads AppendUpload's encoding.
func (d *Decoder) Upload(bucket, key, id string) *catalog.Upload {
	u := &catalog.Upload{Bucket: bucket, Key: key, ID: id}
	u.Initiated = d.Time()
	u.Owner = d.String()
	u.Initiator = d.String()
	u.ContentType = d.String()
	u.Headers = d.Map()
	u.Meta = d.Map()
	u.ChecksumAlgorithm = d.String()
	u.ChecksumType = d.String()
	u.SSE = d.String()
	return u
}

// AppendPart appends p (its number is the engine's key).
func AppendPart(dst []byte, p *catalog.Part) []byte {
	dst = binary.AppendVarint(dst, p.Size)
	dst = AppendString(dst, p.ETag)
	dst = AppendTime(dst, p.LastModified)
	dst = AppendString(dst, p.Checksum)
	dst = binary.AppendUvarint(dst, uint64(len(p.Extents)))
	for _, e := range p.Extents {
		if e.BlobID == "" {
			dst = AppendBytes(append(dst, extentInline), e.Inline)
		} else {
			dst = appendBlobExtent(dst, e)
		}
		dst = AppendBytes(dst, e.IV)
	}
	return dst
}

// Part reads AppendPart's encoding; inline bytes alias the record.
func (d *Decoder) Part(number int) catalog.Part {
	p := catalog.Part{Number: number}
	p.Size = d.Varint()
	p.ETag = d.String()
	p.LastModified = d.Time()
	p.Checksum = d.String()
	if n := d.Count(); n > 0 {
		p.Extents = make([]catalog.Extent, n)
		for i := range p.Extents {
			e := &p.Extents[i]
			switch d.Byte() {
			case extentInline:
				e.Inline = d.Bytes()
				e.Length = int64(len(e.Inline))
			case extentBlob:
				d.blobExtent(e)
			default:
				d.fail()
			}
			e.IV = d.OptBytes()
		}
	}
	return p
}
