package s3api

import (
	"net/http"
	"strings"
	"testing"
)

// TestBucketConfigDocuments: the metrics and inventory documents AWS's
// rules refuse, each with its code, and that a refused one stores
// nothing (the fuzz server's bucket, in memory).
func TestBucketConfigDocuments(t *testing.T) {
	s := newFuzzServer(t)
	const ap = "arn:aws:s3express:us-east-1:000000000000:accesspoint/ap--use1-az4--xa-s3"
	inv := func(id, fields, format string) string {
		return `<InventoryConfiguration><Destination><S3BucketDestination><Bucket>arn:aws:s3express:us-east-1:000000000000:bucket/` + fuzzBucket +
			`</Bucket><Format>` + format + `</Format></S3BucketDestination></Destination><Id>` + id +
			`</Id><IncludedObjectVersions>Current</IncludedObjectVersions><IsEnabled>true</IsEnabled><OptionalFields>` + fields +
			`</OptionalFields><Schedule><Frequency>Daily</Frequency></Schedule></InventoryConfiguration>`
	}
	for _, c := range []struct {
		what, query, doc, code string
	}{
		{"two predicates outside And", "metrics&id=u1", `<MetricsConfiguration><Id>u1</Id><Filter><Prefix>a/</Prefix><AccessPointArn>` + ap + `</AccessPointArn></Filter></MetricsConfiguration>`, "MalformedXML"},
		{"a tag inside And", "metrics&id=u1", `<MetricsConfiguration><Id>u1</Id><Filter><And><Prefix>a/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></And></Filter></MetricsConfiguration>`, "InvalidArgument"},
		{"Id differing from the query", "metrics&id=u1", `<MetricsConfiguration><Id>u2</Id></MetricsConfiguration>`, "InvalidArgument"},
		{"no id in the query", "metrics", `<MetricsConfiguration><Id>u1</Id></MetricsConfiguration>`, "InvalidArgument"},
		{"an access point ARN of a general purpose bucket", "metrics&id=u1", `<MetricsConfiguration><Id>u1</Id><Filter><AccessPointArn>arn:aws:s3:us-east-1:000000000000:accesspoint/ap</AccessPointArn></Filter></MetricsConfiguration>`, "InvalidArgument"},
		{"a field listed twice", "inventory&id=u1", inv("u1", "<Field>Size</Field><Field>Size</Field>", "CSV"), "InvalidArgument"},
		{"ObjectOwner", "inventory&id=u1", inv("u1", "<Field>ObjectOwner</Field>", "CSV"), "MalformedXML"},
		{"ORC", "inventory&id=u1", inv("u1", "", "ORC"), "NotImplemented"},
		{"format JSON", "inventory&id=u1", inv("u1", "", "JSON"), "MalformedXML"},
	} {
		doc := []byte(c.doc)
		code, body := s.do(http.MethodPut, "/"+fuzzBucket+"?"+c.query, crc32Header(doc), doc)
		if code < 400 || !strings.Contains(body, "<Code>"+c.code+"</Code>") {
			t.Errorf("%s: HTTP %d %s, want %s", c.what, code, body, c.code)
		}
	}
	for _, sub := range []string{"metrics", "inventory"} {
		if code, body := s.do(http.MethodGet, "/"+fuzzBucket+"?"+sub+"&id=u1", nil, nil); code != 404 || !strings.Contains(body, "<Code>NoSuchConfiguration</Code>") {
			t.Errorf("%s u1 after refused puts: HTTP %d %s", sub, code, body)
		}
	}
	// The directory bucket ARN form of the destination is accepted, and a
	// configuration reads back with it.
	doc := []byte(inv("u1", "<Field>ETag</Field>", "CSV"))
	if code, body := s.do(http.MethodPut, "/"+fuzzBucket+"?inventory&id=u1", crc32Header(doc), doc); code != 200 {
		t.Fatalf("valid inventory: HTTP %d %s", code, body)
	}
	code, body := s.do(http.MethodGet, "/"+fuzzBucket+"?inventory&id=u1", nil, nil)
	if code != 200 || !strings.Contains(body, ":bucket/"+fuzzBucket+"</Bucket>") || !strings.Contains(body, "<Field>ETag</Field>") {
		t.Errorf("read back: HTTP %d %s", code, body)
	}
	code, body = s.do(http.MethodPut, "/"+fuzzBucket+"?inventory&id=u1", http.Header{"X-Amz-Expected-Bucket-Owner": {"000000000000"}}, doc)
	if code != 501 {
		t.Errorf("x-amz-expected-bucket-owner: HTTP %d %s, want 501", code, body)
	}
	if code, _ := s.do(http.MethodDelete, "/"+fuzzBucket+"?inventory&id=u1", nil, nil); code != 204 {
		t.Errorf("delete: HTTP %d", code)
	}
}
