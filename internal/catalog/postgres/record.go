package postgres

import (
	"encoding/json"
	"fmt"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// Records are JSON in bytea columns for now: simple and debuggable. Names
// that are columns (bucket, key, upload id, part number) are not repeated.
// TODO(issue 13): a compact binary encoding like the Pebble engine's, if
// profiles show JSON decoding on the GET path.

type objectMeta struct {
	Size         int64                `json:"s"`
	ETag         string               `json:"e,omitempty"`
	LastModified int64                `json:"t,omitempty"`
	ContentType  string               `json:"ct,omitempty"`
	Headers      map[string]string    `json:"h,omitempty"`
	Meta         map[string]string    `json:"m,omitempty"`
	Checksums    map[string]string    `json:"c,omitempty"`
	ChecksumType string               `json:"cy,omitempty"`
	Parts        int                  `json:"p,omitempty"`
	PartList     []catalog.ObjectPart `json:"pl,omitempty"`
	SSE          string               `json:"sse,omitempty"`
	WrappedKey   []byte               `json:"wk,omitempty"`
	RenameToken  string               `json:"rt,omitempty"`
	RenameSource string               `json:"rs,omitempty"`
	Extents      []extentMeta         `json:"x,omitempty"`
}

type extentMeta struct {
	BlobID string `json:"b,omitempty"`
	Offset int64  `json:"o,omitempty"`
	Length int64  `json:"l"`
	IV     []byte `json:"iv,omitempty"`
}

// encodeObject returns o's metadata and its inline bytes, concatenated in
// extent order.
func encodeObject(o *catalog.Object) (meta, data []byte, err error) {
	m := objectMeta{
		Size: o.Size, ETag: o.ETag, LastModified: toNanos(o.LastModified), ContentType: o.ContentType,
		Headers: o.Headers, Meta: o.Meta, Checksums: o.Checksums, ChecksumType: o.ChecksumType,
		Parts: o.Parts, PartList: o.PartList, SSE: o.SSE, WrappedKey: o.WrappedKey,
		RenameToken: o.RenameToken, RenameSource: o.RenameSource,
	}
	for _, e := range o.Extents {
		x := extentMeta{BlobID: e.BlobID, Offset: e.Offset, Length: e.Length, IV: e.IV}
		if e.BlobID == "" {
			x.Offset, x.Length = 0, int64(len(e.Inline))
			data = append(data, e.Inline...)
		}
		m.Extents = append(m.Extents, x)
	}
	meta, err = json.Marshal(&m)
	return meta, data, err
}

// decodeObject rebuilds a record in the engines' canonical form. With
// withData false (listings) inline extents keep their Length but no bytes.
func decodeObject(key string, meta, data []byte, withData bool) (*catalog.Object, error) {
	var m objectMeta
	if err := json.Unmarshal(meta, &m); err != nil {
		return nil, fmt.Errorf("catalog/postgres: corrupt record of %q: %w", key, err)
	}
	o := &catalog.Object{
		Key: key, Size: m.Size, ETag: m.ETag, LastModified: fromNanos(m.LastModified), ContentType: m.ContentType,
		Headers: m.Headers, Meta: m.Meta, Checksums: m.Checksums, ChecksumType: m.ChecksumType,
		Parts: m.Parts, PartList: m.PartList, SSE: m.SSE, WrappedKey: m.WrappedKey,
		RenameToken: m.RenameToken, RenameSource: m.RenameSource,
	}
	off := int64(0)
	for _, x := range m.Extents {
		e := catalog.Extent{BlobID: x.BlobID, Offset: x.Offset, Length: x.Length, IV: x.IV}
		if x.BlobID == "" {
			e.Offset = 0
			if withData {
				if off+x.Length > int64(len(data)) {
					return nil, fmt.Errorf("catalog/postgres: corrupt record of %q: inline bytes short", key)
				}
				e.Inline = data[off : off+x.Length : off+x.Length]
			}
			off += x.Length
		}
		o.Extents = append(o.Extents, e)
	}
	return o, nil
}

type uploadInfo struct {
	Initiated         int64             `json:"t,omitempty"`
	Owner             string            `json:"o,omitempty"`
	Initiator         string            `json:"i,omitempty"`
	ContentType       string            `json:"ct,omitempty"`
	Headers           map[string]string `json:"h,omitempty"`
	Meta              map[string]string `json:"m,omitempty"`
	ChecksumAlgorithm string            `json:"ca,omitempty"`
	ChecksumType      string            `json:"cy,omitempty"`
	SSE               string            `json:"sse,omitempty"`
}

func encodeUpload(u *catalog.Upload) ([]byte, error) {
	return json.Marshal(uploadInfo{
		Initiated: toNanos(u.Initiated), Owner: u.Owner, Initiator: u.Initiator, ContentType: u.ContentType,
		Headers: u.Headers, Meta: u.Meta, ChecksumAlgorithm: u.ChecksumAlgorithm, ChecksumType: u.ChecksumType, SSE: u.SSE,
	})
}

func decodeUpload(bucket, key, id string, b []byte) (*catalog.Upload, error) {
	var m uploadInfo
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("catalog/postgres: corrupt upload %q: %w", id, err)
	}
	return &catalog.Upload{
		Bucket: bucket, Key: key, ID: id, Initiated: fromNanos(m.Initiated), Owner: m.Owner, Initiator: m.Initiator,
		ContentType: m.ContentType, Headers: m.Headers, Meta: m.Meta,
		ChecksumAlgorithm: m.ChecksumAlgorithm, ChecksumType: m.ChecksumType, SSE: m.SSE,
	}, nil
}

// Parts keep their inline bytes in the record: a part is never listed
// without being used.
type partInfo struct {
	Size         int64        `json:"s"`
	ETag         string       `json:"e,omitempty"`
	LastModified int64        `json:"t,omitempty"`
	Checksum     string       `json:"c,omitempty"`
	Extents      []partExtent `json:"x,omitempty"`
}

type partExtent struct {
	Inline []byte `json:"d,omitempty"`
	BlobID string `json:"b,omitempty"`
	Offset int64  `json:"o,omitempty"`
	Length int64  `json:"l"`
	IV     []byte `json:"iv,omitempty"`
}

func encodePart(p *catalog.Part) ([]byte, error) {
	m := partInfo{Size: p.Size, ETag: p.ETag, LastModified: toNanos(p.LastModified), Checksum: p.Checksum}
	for _, e := range p.Extents {
		x := partExtent{BlobID: e.BlobID, Offset: e.Offset, Length: e.Length, IV: e.IV}
		if e.BlobID == "" {
			x.Inline, x.Offset, x.Length = e.Inline, 0, int64(len(e.Inline))
		}
		m.Extents = append(m.Extents, x)
	}
	return json.Marshal(&m)
}

func decodePart(number int, b []byte) (catalog.Part, error) {
	var m partInfo
	if err := json.Unmarshal(b, &m); err != nil {
		return catalog.Part{}, fmt.Errorf("catalog/postgres: corrupt part %d: %w", number, err)
	}
	p := catalog.Part{Number: number, Size: m.Size, ETag: m.ETag, LastModified: fromNanos(m.LastModified), Checksum: m.Checksum}
	for _, x := range m.Extents {
		e := catalog.Extent{BlobID: x.BlobID, Offset: x.Offset, Length: x.Length, IV: x.IV}
		if x.BlobID == "" {
			e.Inline = x.Inline
			if e.Inline == nil {
				e.Inline = []byte{}
			}
		}
		p.Extents = append(p.Extents, e)
	}
	return p, nil
}
