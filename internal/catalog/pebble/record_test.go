package pebble

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/catalog"
)

func sampleObject() *catalog.Object {
	return &catalog.Object{
		Size: 12, ETag: "e", LastModified: time.Unix(5, 6), ContentType: "text/plain",
		Headers: map[string]string{"Cache-Control": "no-cache"}, Meta: map[string]string{"a": "b"},
		Checksums: map[string]string{"CRC32": "AAAAAA=="}, ChecksumType: "FULL_OBJECT", Parts: 2,
		Extents: []catalog.Extent{{Inline: []byte("hello")}, {BlobID: "id", Offset: 3, Length: 7}},
	}
}

func TestDecodeRejectsDamage(t *testing.T) {
	enc := encodeObject(sampleObject())
	if _, err := decodeObject("k", enc); err != nil {
		t.Fatal(err)
	}
	for n := range len(enc) {
		if _, err := decodeObject("k", enc[:n]); err == nil {
			t.Fatalf("truncated to %d of %d bytes decoded without error", n, len(enc))
		}
	}
	if _, err := decodeObject("k", append(bytes.Clone(enc), 0)); err == nil {
		t.Fatal("trailing garbage decoded without error")
	}
	future := bytes.Clone(enc)
	future[0] = recordVersion + 1
	if _, err := decodeObject("k", future); err == nil || !strings.Contains(err.Error(), "version") {
		t.Fatalf("unknown version: %v", err)
	}
}

func TestEncodingIsDeterministic(t *testing.T) {
	a, b := encodeObject(sampleObject()), encodeObject(sampleObject())
	if !bytes.Equal(a, b) {
		t.Fatal("two encodings of one record differ")
	}
}

func FuzzDecodeObject(f *testing.F) {
	f.Add(encodeObject(sampleObject()))
	f.Add(encodeObject(&catalog.Object{}))
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := decodeObject("k", b)
		if err != nil {
			return
		}
		// Whatever decodes must re-encode to the same bytes' meaning.
		o2, err := decodeObject("k", encodeObject(o))
		if err != nil || o2.Size != o.Size || len(o2.Extents) != len(o.Extents) {
			t.Fatalf("re-decode: %+v, %v", o2, err)
		}
	})
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
	keys := []string{"", "\x00", "a", "a/", "a/b", "b", "\xff"}
	for i := 1; i < len(keys); i++ {
		if bytes.Compare(objectKey("b", keys[i-1]), objectKey("b", keys[i])) >= 0 {
			t.Fatalf("%q does not sort before %q", keys[i-1], keys[i])
		}
	}
	// GC queue keys sort by time first.
	if bytes.Compare(gcKey(1, "zzz"), gcKey(2, "aaa")) >= 0 {
		t.Fatal("GC queue not in time order")
	}
}
