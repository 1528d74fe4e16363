package postgres

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/catalog/binrec"
)

// Records are binary (binrec primitives) in bytea columns: a listing
// decodes a thousand of them per page, and JSON decoding was a third of
// the client's CPU there. The first byte is the format; a reader refuses
// a format it does not know instead of guessing. Names that are columns
// (bucket, key, upload id, part number) are not repeated.
//
// Object metadata (objects.meta), format 1:
//
//	format=1 | varint size | string etag | time lastModified | string contentType
//	map headers | map meta | map checksums | string checksumType
//	uvarint parts | uvarint n | n × (varint size | string checksum)   (PartList)
//	string sse | string wrappedKey | string renameToken | string renameSource
//	uvarint n | n × extent
//
//	extent = 0 uvarint length | string iv                            (inline)
//	       | 1 string blobID | varint offset | varint length | string iv
//
// objects.data holds the inline extents' bytes, concatenated in order.
//
// Upload (uploads.info), format 1: format=1 | time initiated | string owner |
// string initiator | string contentType | map headers | map meta |
// string checksumAlgorithm | string checksumType | string sse
//
// Part (parts.info), format 1, inline bytes kept in the record (a part is
// never listed without being used): format=1 | varint size | string etag |
// time lastModified | string checksum | uvarint n | n × pextent
//
//	pextent = 0 string bytes | string iv | 1 string blobID | varint offset | varint length | string iv
const recordFormat = 1

const (
	extentInline = 0
	extentBlob   = 1
)

// errFormat refuses a record in a format this build does not know.
func errFormat(what string, f byte) error {
	return fmt.Errorf("catalog/postgres: %s record in format %d, which this build does not read (it reads %d): written by a newer zonal?", what, f, recordFormat)
}

// checkFormat reads the format byte.
func checkFormat(d *binrec.Decoder, what string) error {
	if f := d.Byte(); d.Err() == nil && f != recordFormat {
		return errFormat(what, f)
	}
	return nil
}

// corrupt is a decode failure of one record.
func corrupt(what string, err error) error {
	if errors.Is(err, binrec.ErrCorrupt) {
		return fmt.Errorf("catalog/postgres: corrupt record of %s", what)
	}
	return err
}

// encodeObject returns o's metadata and its inline bytes, concatenated in
// extent order.
func encodeObject(o *catalog.Object) (meta, data []byte, err error) {
	b := make([]byte, 0, 128)
	b = append(b, recordFormat)
	b = binary.AppendVarint(b, o.Size)
	b = binrec.AppendString(b, o.ETag)
	b = binrec.AppendTime(b, o.LastModified)
	b = binrec.AppendString(b, o.ContentType)
	b = binrec.AppendMap(b, o.Headers)
	b = binrec.AppendMap(b, o.Meta)
	b = binrec.AppendMap(b, o.Checksums)
	b = binrec.AppendString(b, o.ChecksumType)
	b = binary.AppendUvarint(b, uint64(o.Parts))
	b = binary.AppendUvarint(b, uint64(len(o.PartList)))
	for _, p := range o.PartList {
		b = binary.AppendVarint(b, p.Size)
		b = binrec.AppendString(b, p.Checksum)
	}
	b = binrec.AppendString(b, o.SSE)
	b = binrec.AppendBytes(b, o.WrappedKey)
	b = binrec.AppendString(b, o.RenameToken)
	b = binrec.AppendString(b, o.RenameSource)
	b = binary.AppendUvarint(b, uint64(len(o.Extents)))
	for _, e := range o.Extents {
		if e.BlobID == "" {
			b = binary.AppendUvarint(append(b, extentInline), uint64(len(e.Inline)))
			data = append(data, e.Inline...)
		} else {
			b = binrec.AppendString(append(b, extentBlob), e.BlobID)
			b = binary.AppendVarint(b, e.Offset)
			b = binary.AppendVarint(b, e.Length)
		}
		b = binrec.AppendBytes(b, e.IV)
	}
	return b, data, nil
}

// decodeObject rebuilds a record in the engines' canonical form. With
// withData false (listings) inline extents keep their Length but no bytes.
func decodeObject(key string, meta, data []byte, withData bool) (*catalog.Object, error) {
	d := binrec.NewDecoder(meta)
	if err := checkFormat(d, "object"); err != nil {
		return nil, err
	}
	o := &catalog.Object{Key: key}
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
			o.PartList[i] = catalog.ObjectPart{Size: d.Varint(), Checksum: d.String()}
		}
	}
	o.SSE = d.String()
	o.WrappedKey = d.OptBytes()
	o.RenameToken = d.String()
	o.RenameSource = d.String()
	off := uint64(0)
	if n := d.Count(); n > 0 {
		o.Extents = make([]catalog.Extent, n)
		for i := range o.Extents {
			e := &o.Extents[i]
			switch d.Byte() {
			case extentInline:
				length := d.Uvarint()
				if withData {
					if length > uint64(len(data))-off {
						return nil, fmt.Errorf("catalog/postgres: corrupt record of %q: inline bytes short", key)
					}
					e.Inline = data[off : off+length : off+length]
				}
				e.Length = int64(length)
				off += length
			case extentBlob:
				e.BlobID = d.String()
				e.Offset = d.Varint()
				e.Length = d.Varint()
			default:
				return nil, corrupt(fmt.Sprintf("%q", key), binrec.ErrCorrupt)
			}
			e.IV = d.OptBytes()
		}
	}
	if d.Err() != nil || d.Len() != 0 {
		return nil, corrupt(fmt.Sprintf("%q", key), binrec.ErrCorrupt)
	}
	return o, nil
}

func encodeUpload(u *catalog.Upload) ([]byte, error) {
	b := append(make([]byte, 0, 64), recordFormat)
	b = binrec.AppendTime(b, u.Initiated)
	b = binrec.AppendString(b, u.Owner)
	b = binrec.AppendString(b, u.Initiator)
	b = binrec.AppendString(b, u.ContentType)
	b = binrec.AppendMap(b, u.Headers)
	b = binrec.AppendMap(b, u.Meta)
	b = binrec.AppendString(b, u.ChecksumAlgorithm)
	b = binrec.AppendString(b, u.ChecksumType)
	b = binrec.AppendString(b, u.SSE)
	return b, nil
}

func decodeUpload(bucket, key, id string, b []byte) (*catalog.Upload, error) {
	d := binrec.NewDecoder(b)
	if err := checkFormat(d, "upload"); err != nil {
		return nil, err
	}
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
	if d.Err() != nil || d.Len() != 0 {
		return nil, corrupt(fmt.Sprintf("upload %q", id), binrec.ErrCorrupt)
	}
	return u, nil
}

func encodePart(p *catalog.Part) ([]byte, error) {
	b := append(make([]byte, 0, 64), recordFormat)
	b = binary.AppendVarint(b, p.Size)
	b = binrec.AppendString(b, p.ETag)
	b = binrec.AppendTime(b, p.LastModified)
	b = binrec.AppendString(b, p.Checksum)
	b = binary.AppendUvarint(b, uint64(len(p.Extents)))
	for _, e := range p.Extents {
		if e.BlobID == "" {
			b = binrec.AppendBytes(append(b, extentInline), e.Inline)
		} else {
			b = binrec.AppendString(append(b, extentBlob), e.BlobID)
			b = binary.AppendVarint(b, e.Offset)
			b = binary.AppendVarint(b, e.Length)
		}
		b = binrec.AppendBytes(b, e.IV)
	}
	return b, nil
}

func decodePart(number int, b []byte) (catalog.Part, error) {
	d := binrec.NewDecoder(b)
	if err := checkFormat(d, "part"); err != nil {
		return catalog.Part{}, err
	}
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
				e.BlobID = d.String()
				e.Offset = d.Varint()
				e.Length = d.Varint()
			default:
				return catalog.Part{}, corrupt(fmt.Sprintf("part %d", number), binrec.ErrCorrupt)
			}
			e.IV = d.OptBytes()
		}
	}
	if d.Err() != nil || d.Len() != 0 {
		return catalog.Part{}, corrupt(fmt.Sprintf("part %d", number), binrec.ErrCorrupt)
	}
	return p, nil
}
