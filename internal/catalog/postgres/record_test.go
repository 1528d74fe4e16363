package postgres

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// sampleObject uses every field, with awkward bytes.
func sampleObject() *catalog.Object {
	return &catalog.Object{
		Key: "k", Size: 7 + 1<<40, ETag: "e-2", LastModified: time.Unix(1700000000, 123456789).UTC(),
		ContentType: "text/plain", Headers: map[string]string{"Cache-Control": "no-cache", "Expires": ""},
		Meta:         map[string]string{"a": "1", "nul": "a\x00b", "日本": "語"},
		Checksums:    map[string]string{"CRC32C": "yZRlqg=="},
		ChecksumType: "COMPOSITE", Parts: 2,
		PartList: []catalog.ObjectPart{{Size: 3, Checksum: "x"}, {Size: 1 << 40}},
		SSE:      "AES256", WrappedKey: []byte{0, 1, 2, 0xff},
		RenameToken: "tok", RenameSource: "src\xff",
		Extents: []catalog.Extent{
			{Inline: []byte("abc"), Length: 3, IV: bytes.Repeat([]byte{9}, 16)},
			{BlobID: "blob1", Offset: 1 << 33, Length: 1 << 40},
			{Inline: []byte{}, Length: 0},
			{Inline: []byte("defg"), Length: 4},
		},
	}
}

func TestObjectRecordRoundTrip(t *testing.T) {
	for _, o := range []*catalog.Object{sampleObject(), {Key: "empty"}, {Key: "z", Size: -1}} {
		meta, data, err := encodeObject(o)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeObject(o.Key, meta, data, true)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, o) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, o)
		}
		listed, err := decodeObject(o.Key, meta, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range listed.Extents {
			if e.Inline != nil || e.Length != o.Extents[i].Size() {
				t.Fatalf("listed extent %d: %+v", i, e)
			}
		}
	}
}

func TestUploadAndPartRecordRoundTrip(t *testing.T) {
	u := &catalog.Upload{Bucket: "b", Key: "k", ID: "id", Initiated: time.Unix(5, 6).UTC(), Owner: "o", Initiator: "arn",
		ContentType: "ct", Headers: map[string]string{"Expires": "x"}, Meta: map[string]string{"m": "v"},
		ChecksumAlgorithm: "CRC32", ChecksumType: "FULL_OBJECT", SSE: "AES256"}
	b, _ := encodeUpload(u)
	if got, err := decodeUpload("b", "k", "id", b); err != nil || !reflect.DeepEqual(got, u) {
		t.Fatalf("upload round trip: %+v, %v", got, err)
	}
	p := catalog.Part{Number: 3, Size: 10, ETag: "e", LastModified: time.Unix(7, 8).UTC(), Checksum: "c",
		Extents: []catalog.Extent{{Inline: []byte("0123"), Length: 4, IV: []byte{1}}, {Inline: []byte{}}, {BlobID: "x", Offset: 2, Length: 6}}}
	b, _ = encodePart(&p)
	if got, err := decodePart(3, b); err != nil || !reflect.DeepEqual(got, p) {
		t.Fatalf("part round trip: %+v, %v", got, err)
	}
}

// TestRecordFormatRefused: a record of an unknown format (a JSON record
// of the groundwork, say, or a later format) is refused by name.
func TestRecordFormatRefused(t *testing.T) {
	meta, data, _ := encodeObject(sampleObject())
	for _, first := range []byte{'{', 0, recordFormat + 1} {
		m := append([]byte{first}, meta[1:]...)
		_, err := decodeObject("k", m, data, true)
		if err == nil || !strings.Contains(err.Error(), "does not read") {
			t.Fatalf("format %d: %v", first, err)
		}
	}
	if _, err := decodePart(1, []byte(`{"s":1}`)); err == nil || !strings.Contains(err.Error(), "does not read") {
		t.Fatalf("JSON part: %v", err)
	}
	// Truncation anywhere is corruption, never a panic or a short record.
	for i := 1; i < len(meta); i++ {
		if _, err := decodeObject("k", meta[:i], data, true); err == nil {
			t.Fatalf("truncated to %d bytes: decoded", i)
		}
	}
}

// FuzzDecodeObject: any bytes either fail to decode or decode to a record
// that encodes back to the same bytes.
func FuzzDecodeObject(f *testing.F) {
	meta, data, _ := encodeObject(sampleObject())
	f.Add(meta, data)
	f.Fuzz(func(t *testing.T, meta, data []byte) {
		o, err := decodeObject("k", meta, data, true)
		if err != nil {
			return
		}
		meta2, data2, err := encodeObject(o)
		if err != nil {
			t.Fatal(err)
		}
		o2, err := decodeObject("k", meta2, data2, true)
		if err != nil || !reflect.DeepEqual(o, o2) {
			t.Fatalf("re-encoded record decodes to %+v, %v; want %+v", o2, err, o)
		}
		if _, err := decodeObject("k", meta, nil, false); err != nil {
			t.Fatalf("decodes with data but not without: %v", err)
		}
	})
}

// FuzzDecodePart is FuzzDecodeObject for parts (and uploads, which share
// the primitives).
func FuzzDecodePart(f *testing.F) {
	p := catalog.Part{Size: 4, ETag: "e", Extents: []catalog.Extent{{Inline: []byte("abcd")}, {BlobID: "b", Length: 9, IV: []byte{1}}}}
	b, _ := encodePart(&p)
	f.Add(b)
	u, _ := encodeUpload(&catalog.Upload{Owner: "o", Meta: map[string]string{"a": "b"}})
	f.Add(u)
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, err := decodePart(1, b); err == nil {
			b2, _ := encodePart(&p)
			if p2, err := decodePart(1, b2); err != nil || !reflect.DeepEqual(p, p2) {
				t.Fatalf("part re-encodes to %+v, %v; want %+v", p2, err, p)
			}
		}
		if u, err := decodeUpload("b", "k", "i", b); err == nil {
			b2, _ := encodeUpload(u)
			if u2, err := decodeUpload("b", "k", "i", b2); err != nil || !reflect.DeepEqual(u, u2) {
				t.Fatalf("upload re-encodes to %+v, %v; want %+v", u2, err, u)
			}
		}
	})
}
