package pebble

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/catalog"
)

func sampleObject() *catalog.Object {
	return &catalog.Object{
		Size: 12, ETag: "e", LastModified: time.Unix(5, 6).UTC(), ContentType: "text/plain",
		Headers: map[string]string{"Cache-Control": "no-cache"}, Meta: map[string]string{"a": "b"},
		Checksums: map[string]string{"CRC32": "AAAAAA=="}, ChecksumType: "FULL_OBJECT", Parts: 2,
		PartList: []catalog.ObjectPart{{Size: 5, Checksum: "x"}, {Size: 7}},
		Extents: []catalog.Extent{
			{Inline: []byte("hello"), Length: 5, IV: []byte("iv-1")},
			{BlobID: "id", Offset: 3, Length: 7, IV: []byte("iv-2")},
			{Inline: []byte{}},
			{Inline: []byte("!"), Length: 1},
		},
		SSE: "AES256", WrappedKey: []byte("wrapped"), RenameToken: "tok", RenameSource: "src",
	}
}

func roundTrip(t *testing.T, o *catalog.Object) *catalog.Object {
	t.Helper()
	meta, data := encodeObject(o, 42)
	m, err := decodeObject("k", meta)
	if err != nil {
		t.Fatal(err)
	}
	if err := attachData(m, data); err != nil {
		t.Fatal(err)
	}
	return m.obj
}

func TestObjectRoundTrip(t *testing.T) {
	want := sampleObject()
	want.Key = "k"
	want.Extents[2].Length = 0
	if got := roundTrip(t, sampleObject()); !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip\n got: %+v\nwant: %+v", got, want)
	}
	// Metadata alone: lengths, no bytes.
	meta, data := encodeObject(sampleObject(), 42)
	if bytes.Contains(meta, []byte("hello")) {
		t.Fatal("metadata record holds inline bytes")
	}
	if !bytes.HasSuffix(data, []byte("hello!")) {
		t.Fatalf("data record = %q", data)
	}
	m, err := decodeObject("k", meta)
	if err != nil {
		t.Fatal(err)
	}
	if m.dataBytes != 6 || m.obj.Extents[0].Inline != nil || m.obj.Extents[0].Length != 5 || m.obj.Extents[3].Length != 1 {
		t.Fatalf("metadata-only decode = %+v (%d data bytes)", m.obj.Extents, m.dataBytes)
	}
	// No inline bytes: no data record, and empty inline extents stay inline.
	o := &catalog.Object{Extents: []catalog.Extent{{Inline: []byte{}}, {BlobID: "b", Length: 1}}}
	if _, data := encodeObject(o, 1); data != nil {
		t.Fatalf("data record for an object without inline bytes: %q", data)
	}
	if got := roundTrip(t, o); got.Extents[0].Inline == nil || got.Extents[0].BlobID != "" {
		t.Fatalf("empty inline extent = %+v", got.Extents[0])
	}
}

func TestDataTagDetectsTornRead(t *testing.T) {
	meta, _ := encodeObject(sampleObject(), 1)
	_, other := encodeObject(sampleObject(), 2)
	m, err := decodeObject("k", meta)
	if err != nil {
		t.Fatal(err)
	}
	if err := attachData(m, other); !errors.Is(err, errTorn) {
		t.Fatalf("data of another version: %v, want errTorn", err)
	}
	if err := attachData(m, nil); err == nil || errors.Is(err, errTorn) {
		t.Fatalf("missing data: %v, want corruption", err)
	}
}

func TestDecodeRejectsDamage(t *testing.T) {
	meta, data := encodeObject(sampleObject(), 7)
	if _, err := decodeObject("k", meta); err != nil {
		t.Fatal(err)
	}
	for n := range len(meta) {
		if _, err := decodeObject("k", meta[:n]); err == nil {
			t.Fatalf("truncated to %d of %d bytes decoded without error", n, len(meta))
		}
	}
	if _, err := decodeObject("k", append(bytes.Clone(meta), 0)); err == nil {
		t.Fatal("trailing garbage decoded without error")
	}
	m, _ := decodeObject("k", meta)
	for n := range len(data) {
		if err := attachData(m, data[:n]); err == nil {
			t.Fatalf("data truncated to %d of %d bytes attached without error", n, len(data))
		}
	}
	if err := attachData(m, append(bytes.Clone(data), 0)); err == nil {
		t.Fatal("data with trailing garbage attached without error")
	}
}

func TestUnknownVersionsRefused(t *testing.T) {
	meta, _ := encodeObject(sampleObject(), 7)
	records := map[string]struct {
		rec    []byte
		decode func([]byte) error
	}{
		"object": {meta, func(b []byte) error { _, err := decodeObject("k", b); return err }},
		"bucket": {encodeBucket(catalog.Bucket{Owner: "o"}), func(b []byte) error { _, err := decodeBucket("b", b); return err }},
		"upload": {encodeUpload(&catalog.Upload{Owner: "o"}), func(b []byte) error { _, err := decodeUpload("b", "k", "i", b); return err }},
		"part":   {encodePart(&catalog.Part{Number: 1, Size: 1}), func(b []byte) error { _, err := decodePart(1, b); return err }},
	}
	for kind, r := range records {
		if err := r.decode(r.rec); err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		for _, v := range []byte{1, recordVersion + 1} {
			old := bytes.Clone(r.rec)
			old[0] = v
			err := r.decode(old)
			if err == nil || !strings.Contains(err.Error(), "version") || !strings.Contains(err.Error(), kind) {
				t.Fatalf("%s record of version %d: %v", kind, v, err)
			}
		}
	}
}

func TestOtherRecordsRoundTrip(t *testing.T) {
	b := catalog.Bucket{Name: "b", Owner: "o", Region: "r", Zone: "z", CreatedAt: time.Unix(1, 2).UTC(),
		Policy: []byte(`{"Version":"2012-10-17"}`), Encryption: []byte("<x/>"), Lifecycle: []byte("<y/>")}
	if got, err := decodeBucket("b", encodeBucket(b)); err != nil || !reflect.DeepEqual(got, b) {
		t.Fatalf("bucket = %+v, %v", got, err)
	}
	u := &catalog.Upload{Bucket: "b", Key: "k", ID: "i", Initiated: time.Unix(3, 4).UTC(), Owner: "o",
		Initiator: "arn:aws:iam::1:user/u", ContentType: "t", Headers: map[string]string{"Expires": "x"},
		Meta: map[string]string{"m": "v"}, ChecksumAlgorithm: "CRC32C", ChecksumType: "COMPOSITE", SSE: "AES256"}
	if got, err := decodeUpload("b", "k", "i", encodeUpload(u)); err != nil || !reflect.DeepEqual(got, u) {
		t.Fatalf("upload = %+v, %v", got, err)
	}
	p := catalog.Part{Number: 7, Size: 3, ETag: "e", LastModified: time.Unix(5, 6).UTC(), Checksum: "c",
		Extents: []catalog.Extent{{Inline: []byte("abc"), Length: 3, IV: []byte("iv")}, {BlobID: "x", Offset: 1, Length: 2}}}
	if got, err := decodePart(7, encodePart(&p)); err != nil || !reflect.DeepEqual(got, p) {
		t.Fatalf("part = %+v, %v", got, err)
	}
}

func TestEncodingIsDeterministic(t *testing.T) {
	a, ad := encodeObject(sampleObject(), 9)
	b, bd := encodeObject(sampleObject(), 9)
	if !bytes.Equal(a, b) || !bytes.Equal(ad, bd) {
		t.Fatal("two encodings of one record differ")
	}
}

func FuzzDecodeObject(f *testing.F) {
	meta, _ := encodeObject(sampleObject(), 3)
	empty, _ := encodeObject(&catalog.Object{}, 3)
	f.Add(meta)
	f.Add(empty)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeObject("k", b)
		if err != nil {
			return
		}
		if m.dataBytes < 0 {
			t.Fatalf("decoded %d inline bytes", m.dataBytes)
		}
		if m.dataBytes > 1<<20 {
			// Inline data is at most the inline threshold (64 KiB by
			// default); attachData compares lengths and never allocates
			// by the record's claim, so only this check's buffer would.
			return
		}
		// Whatever decodes must re-encode to the same meaning.
		inline := make([]byte, m.dataBytes)
		data := append([]byte{recordVersion}, make([]byte, 8)...)
		data = append(data, inline...)
		copy(data[1:9], encodeTag(m.tag))
		if err := attachData(m, data); err != nil {
			t.Fatalf("attach: %v", err)
		}
		meta2, _ := encodeObject(m.obj, m.tag)
		m2, err := decodeObject("k", meta2)
		if err != nil || m2.obj.Size != m.obj.Size || len(m2.obj.Extents) != len(m.obj.Extents) || m2.dataBytes != m.dataBytes {
			t.Fatalf("re-decode: %+v, %v", m2, err)
		}
	})
}

func encodeTag(tag uint64) []byte {
	_, data := encodeObject(&catalog.Object{Extents: []catalog.Extent{{Inline: []byte("x")}}}, tag)
	return data[1:9]
}

func TestKeyLayout(t *testing.T) {
	// Length-prefixed bucket names: ("a", "bc") and ("ab", "c") differ, and
	// neither bucket's range holds the other's keys.
	k1, k2 := objectKey("a", "bc"), objectKey("ab", "c")
	if bytes.Equal(k1, k2) {
		t.Fatal("object keys collide")
	}
	for _, tc := range []struct {
		bucket string
		key    []byte
		in     bool
	}{{"a", k1, true}, {"a", k2, false}, {"ab", k2, true}, {"ab", k1, false}} {
		p := objectPrefix(tc.bucket)
		if in := bytes.Compare(tc.key, p) >= 0 && bytes.Compare(tc.key, prefixEnd(p)) < 0; in != tc.in {
			t.Fatalf("key %q in bucket %q range = %v", tc.key, tc.bucket, in)
		}
	}
	// Object keys sort by object key within a bucket.
	keys := []string{"", "\x00", "\x00\x00", "\x00\x01", "\x00\xff", "a", "a\x00", "a\x00b", "a/", "a/b", "b", "\xff", "\xff\x00"}
	for i := 1; i < len(keys); i++ {
		if bytes.Compare(objectKey("b", keys[i-1]), objectKey("b", keys[i])) >= 0 {
			t.Fatalf("%q does not sort before %q", keys[i-1], keys[i])
		}
	}
	// Upload keys sort by (key, id), whatever bytes key and id hold, and
	// parse back.
	ids := []string{"", "\x00", "1", "\xff"}
	var prev []byte
	for _, k := range keys {
		for _, id := range ids {
			uk := uploadKey("b", k, id)
			if prev != nil && bytes.Compare(prev, uk) >= 0 {
				t.Fatalf("upload (%q, %q) does not sort after the previous one", k, id)
			}
			prev = uk
			gk, gid, err := parseUploadKey(uk[len(uploadPrefix("b")):])
			if err != nil || gk != k || gid != id {
				t.Fatalf("parseUploadKey(%q) = %q, %q, %v", uk, gk, gid, err)
			}
			// The bounds of a key prefix hold exactly the keys with it.
			for _, p := range keys {
				lo := uploadKeyPrefix("b", p)
				in := bytes.Compare(uk, lo) >= 0 && bytes.Compare(uk, prefixEnd(lo)) < 0
				if want := strings.HasPrefix(k, p); in != want {
					t.Fatalf("upload key %q within bounds of prefix %q = %v", k, p, in)
				}
			}
		}
	}
	if bytes.HasPrefix(uploadKey("ab", "", ""), uploadPrefix("a")) || bytes.HasPrefix(uploadKey("a", "b", ""), uploadPrefix("ab")) {
		t.Fatal("upload ranges of buckets a and ab overlap")
	}
	// Parts sort by number within an upload; uploads do not share ranges.
	pp := partPrefix("b", "k", "id")
	if bytes.Compare(partKey(pp, 9), partKey(pp, 10)) >= 0 || bytes.Compare(partKey(pp, 255), partKey(pp, 256)) >= 0 {
		t.Fatal("parts not in number order")
	}
	if bytes.HasPrefix(partPrefix("b", "k", "id2"), pp) || bytes.HasPrefix(partPrefix("b", "ki", "d"), partPrefix("b", "k", "")) {
		t.Fatal("part ranges of different uploads overlap")
	}
	// Data keys mirror object keys in their own table.
	if dk := dataKeyOf(k1); dk[0] != tableData || !bytes.Equal(dk[1:], k1[1:]) || k1[0] != tableObject {
		t.Fatalf("data key %q of object key %q", dk, k1)
	}
	// GC queue keys sort by time first.
	if bytes.Compare(gcKey(1, "zzz"), gcKey(2, "aaa")) >= 0 {
		t.Fatal("GC queue not in time order")
	}
}

// TestGetObjectRetriesTornRead overwrites the key between GetObject's two
// point reads: the data read then belongs to the new version, the tags
// differ, and GetObject re-reads both from a snapshot, returning one whole
// version.
func TestGetObjectRetriesTornRead(t *testing.T) {
	c := openTest(t, WithFS(memFS()))
	ctx := t.Context()
	if err := c.CreateBucket(ctx, catalog.Bucket{Name: "b", Owner: "o"}); err != nil {
		t.Fatal(err)
	}
	rec := func(data string) *catalog.Object {
		return &catalog.Object{ETag: data, Size: int64(len(data)), Extents: []catalog.Extent{{Inline: []byte(data)}}}
	}
	if err := c.UpdateObject(ctx, "b", "k", set(rec("old version"))); err != nil {
		t.Fatal(err)
	}
	fired := 0
	testHookBetweenReads = func() {
		fired++
		if fired == 1 {
			if err := c.UpdateObject(ctx, "b", "k", set(rec("new"))); err != nil {
				t.Error(err)
			}
		}
	}
	defer func() { testHookBetweenReads = nil }()
	o, err := c.GetObject(ctx, "b", "k")
	if err != nil {
		t.Fatal(err)
	}
	// Fired by GetObject's first read, by the overwrite's own read of the
	// old version, and by GetObject's retry on a snapshot.
	if fired != 3 || o.ETag != "new" || string(o.Extents[0].Inline) != "new" {
		t.Fatalf("GetObject = %+v after %d reads, want the whole new version on the retry", o, fired)
	}
}

// TestGetObjectRacingDelete deletes the key between GetObject's two reads:
// the missing data record is a race, not corruption, and GetObject reports
// the key gone.
func TestGetObjectRacingDelete(t *testing.T) {
	c := openTest(t, WithFS(memFS()))
	ctx := t.Context()
	if err := c.CreateBucket(ctx, catalog.Bucket{Name: "b", Owner: "o"}); err != nil {
		t.Fatal(err)
	}
	for _, next := range []*catalog.Object{nil, {ETag: "blob", Extents: []catalog.Extent{{BlobID: "x", Length: 1}}}} {
		if err := c.UpdateObject(ctx, "b", "k", set(&catalog.Object{Extents: []catalog.Extent{{Inline: []byte("data")}}})); err != nil {
			t.Fatal(err)
		}
		fired := false
		testHookBetweenReads = func() {
			if !fired {
				fired = true
				testHookBetweenReads = nil
				if err := c.UpdateObject(ctx, "b", "k", set(next)); err != nil {
					t.Error(err)
				}
			}
		}
		o, err := c.GetObject(ctx, "b", "k")
		testHookBetweenReads = nil
		switch {
		case next == nil && !errors.Is(err, catalog.ErrNotFound):
			t.Fatalf("GetObject racing a delete = %+v, %v; want ErrNotFound", o, err)
		case next != nil && (err != nil || o.ETag != "blob"):
			t.Fatalf("GetObject racing a replacement = %+v, %v; want the new record", o, err)
		}
	}
	// Data really missing (not a race) is corruption.
	if err := c.UpdateObject(ctx, "b", "k", set(&catalog.Object{Extents: []catalog.Extent{{Inline: []byte("data")}}})); err != nil {
		t.Fatal(err)
	}
	if err := c.db.Delete(dataKeyOf(objectKey("b", "k")), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetObject(ctx, "b", "k"); !errors.Is(err, errCorrupt) {
		t.Fatalf("GetObject with its data lost: %v, want corruption", err)
	}
	if err := c.UpdateObject(ctx, "b", "k", set(nil)); !errors.Is(err, errCorrupt) {
		t.Fatalf("UpdateObject with its data lost: %v, want corruption", err)
	}
}
