package s3api

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestXMLBodiesAtAWSLimits: the largest documents AWS accepts pass the
// caps. CompleteMultipartUpload with 10,000 parts, each with a CRC32 as
// aws-sdk-go-v2 writes it and again with every checksum and escaped ETag
// quotes, reaches the part checks (InvalidPart: none were uploaded);
// DeleteObjects with 1,000 keys of 1,024 bytes, every byte escaped to 6,
// deletes them all.
func TestXMLBodiesAtAWSLimits(t *testing.T) {
	s := newFuzzServer(t)
	const etag = "&quot;0123456789abcdef0123456789abcdef&quot;"
	for _, tc := range []struct{ name, part string }{
		{"aws-sdk-go-v2", `<Part><ChecksumCRC32>AAAAAA==</ChecksumCRC32><ETag>` + etag + `</ETag><PartNumber>%d</PartNumber></Part>`},
		{"every checksum", `<Part><ChecksumCRC32>AAAAAA==</ChecksumCRC32><ChecksumCRC32C>AAAAAA==</ChecksumCRC32C>` +
			`<ChecksumCRC64NVME>AAAAAAAAAAA=</ChecksumCRC64NVME><ChecksumSHA1>` + strings.Repeat("A", 27) + `=</ChecksumSHA1>` +
			`<ChecksumSHA256>` + strings.Repeat("A", 43) + `=</ChecksumSHA256><ETag>` + etag + `</ETag><PartNumber>%d</PartNumber></Part>`},
	} {
		var b strings.Builder
		b.WriteString(`<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
		for n := 1; n <= 10000; n++ {
			fmt.Fprintf(&b, tc.part, n)
		}
		b.WriteString(`</CompleteMultipartUpload>`)
		doc := []byte(b.String())
		if len(doc) <= 1<<20 {
			t.Fatalf("%s: %d-byte document, want over 1 MiB", tc.name, len(doc))
		}
		code, body := s.do(http.MethodPost, "/"+fuzzBucket+"/"+fuzzKey+"?uploadId="+s.uploadID, nil, doc)
		if code != 400 || !strings.Contains(body, "<Code>InvalidPart</Code>") {
			t.Errorf("CompleteMultipartUpload, 10,000 parts (%s, %d bytes): HTTP %d %.300s, want 400 InvalidPart", tc.name, len(doc), code, body)
		}
	}

	var b strings.Builder
	b.WriteString(`<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>false</Quiet>`)
	keys := make(map[string]bool)
	for i := range 1000 {
		key := fmt.Sprintf("%04d", i) + strings.Repeat(`"`, 1020)
		keys[key] = true
		b.WriteString("<Object><Key>" + strings.ReplaceAll(key, `"`, "&quot;") + "</Key></Object>")
	}
	b.WriteString(`</Delete>`)
	doc := []byte(b.String())
	code, body := s.do(http.MethodPost, "/"+fuzzBucket+"?delete", crc32Header(doc), doc)
	var res deleteResult
	if code != 200 || xml.Unmarshal([]byte(body), &res) != nil {
		t.Fatalf("DeleteObjects, 1,000 escaped 1,024-byte keys (%d bytes): HTTP %d %.300s", len(doc), code, body)
	}
	for _, d := range res.Deleted {
		delete(keys, d.Key)
	}
	if len(res.Deleted) != 1000 || len(keys) != 0 || len(res.Errors) != 0 {
		t.Errorf("DeleteObjects: %d deleted, %d errors, %d keys not reported", len(res.Deleted), len(res.Errors), len(keys))
	}
}
