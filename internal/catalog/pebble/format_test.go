package pebble

import (
	"encoding/hex"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// TestFormatIsStable pins the bytes of each record kind: records already
// on disk must decode after any change to the encoders, so a change to
// these bytes needs a new recordVersion, not an edit of the expectations.
func TestFormatIsStable(t *testing.T) {
	meta, data := encodeObject(sampleObject(), 42)
	part := encodePart(&catalog.Part{Number: 1, Size: 9, ETag: "pe", LastModified: time.Unix(7, 8).UTC(), Checksum: "c",
		Extents: []catalog.Extent{{Inline: []byte("ab"), Length: 2, IV: []byte{1}}, {BlobID: "b", Offset: 2, Length: 7}}})
	upload := encodeUpload(&catalog.Upload{Initiated: time.Unix(3, 4).UTC(), Owner: "o", Initiator: "arn", ContentType: "ct",
		Headers: map[string]string{"Expires": "x"}, Meta: map[string]string{"m": "v", "a": "b"},
		ChecksumAlgorithm: "CRC32", ChecksumType: "COMPOSITE", SSE: "AES256"})
	bucket := encodeBucket(catalog.Bucket{Owner: "o", Region: "r", Zone: "z", CreatedAt: time.Unix(1, 2).UTC(), Policy: []byte("{}")})
	for _, tc := range []struct {
		name string
		got  []byte
		want string
	}{
		{"object meta", meta, "02180165018cc8afa0250a746578742f706c61696e010d43616368652d436f6e74726f6c086e6f2d6361636865010161016201054352433332084141414141413d3d0b46554c4c5f4f424a45435402020a01780e0006414553323536077772617070656403746f6b0373726304000a0469762d3101026964060e0469762d320000000002002a00000000000000"},
		{"object data", data, "022a0000000000000068656c6c6f21"},
		{"part", part, "0212027065019098dc9334016302000261620101010162040e00"},
		{"upload", upload, "020188f882ad16016f0361726e02637401074578706972657301780201610162016d017605435243333209434f4d504f5349544506414553323536"},
		{"bucket", bucket, "02016f0172017a0184a8d6b907027b7d0000"},
	} {
		if got := hex.EncodeToString(tc.got); got != tc.want {
			t.Errorf("%s record:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}
