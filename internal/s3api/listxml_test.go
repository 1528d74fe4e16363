package s3api

import (
	"bytes"
	"encoding/xml"
	"net/http/httptest"
	"testing"
)

// The hand-written list encoder must produce what encoding/xml produces.
func TestListXMLMatchesEncodingXML(t *testing.T) {
	n := 3
	marker := "m<&>"
	res := &listBucketResult{
		NS: s3NS, Name: "b--use1-az4--x-s3", Prefix: "dir/", Delimiter: "/", MaxKeys: 1000, EncodingType: "url",
		KeyCount: &n, ContinuationToken: "tok", NextContinuationToken: "next", IsTruncated: true, Marker: &marker,
		Contents: []listContents{
			{Key: "dir/a \"quoted\" 'k' \t\n\r\x01\uFFFE ✓", LastModified: "2026-01-01T00:00:00.000Z", ETag: `"abc"`,
				ChecksumAlgorithm: []string{"CRC32"}, ChecksumType: "FULL_OBJECT", Size: 5, StorageClass: "EXPRESS_ONEZONE",
				Owner: &listOwner{ID: "000000000000", DisplayName: "000000000000"}},
			{Key: "dir/b", LastModified: "2026-01-01T00:00:00.000Z", ETag: `"def"`, Size: 0, StorageClass: "EXPRESS_ONEZONE"},
		},
		CommonPrefixes: []listPrefix{{Prefix: "dir/sub/"}},
	}
	var want bytes.Buffer
	want.WriteString(xml.Header)
	if err := xml.NewEncoder(&want).Encode(res); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	if err := writeListXML(rec, res); err != nil {
		t.Fatal(err)
	}
	if got := rec.Body.String(); got != want.String() {
		t.Fatalf("hand-written XML differs:\n got %s\nwant %s", got, want.String())
	}
}

func BenchmarkListXML1000(b *testing.B) {
	res := &listBucketResult{NS: s3NS, Name: "b--use1-az4--x-s3", MaxKeys: 1000}
	for i := 0; i < 1000; i++ {
		res.Contents = append(res.Contents, listContents{Key: "dir/object-" + string(rune('a'+i%26)), LastModified: "2026-01-01T00:00:00.000Z", ETag: `"0123456789abcdef0123456789abcdef"`, Size: 4096, StorageClass: "EXPRESS_ONEZONE"})
	}
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		writeListXML(rec, res)
	}
}
