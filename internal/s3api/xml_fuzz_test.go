package s3api

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/xml"
	"hash/crc32"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	blobmem "github.com/zonal-dev/zonal/internal/blob/mem"
	catmem "github.com/zonal-dev/zonal/internal/catalog/mem"
	"github.com/zonal-dev/zonal/internal/sigv4"
	"github.com/zonal-dev/zonal/internal/store"
)

// An in-process handler over the in-memory catalog and blob store, signed
// for with a root key, to drive the XML request bodies through the real
// handlers.
const (
	fuzzAccount = "000000000000"
	fuzzAK      = "AKIAZONALFUZZ0000001"
	fuzzSK      = "zonalFuzzSecretKey0000000000000000000001"
	fuzzBucket  = "fuzz--use1-az4--x-s3"
	fuzzKey     = "dir/object.bin"

	fuzzBucketConfig = `<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Location><Type>AvailabilityZone</Type><Name>use1-az4</Name></Location><Bucket><DataRedundancy>SingleAvailabilityZone</DataRedundancy><Type>Directory</Type></Bucket></CreateBucketConfiguration>`
)

type fuzzServer struct {
	h        *Handler
	signer   *sigv4.Signer
	uploadID string
}

var (
	fuzzSrvOnce sync.Once
	fuzzSrv     *fuzzServer
	fuzzSrvErr  string
)

func newFuzzServer(t testing.TB) *fuzzServer {
	fuzzSrvOnce.Do(func() {
		s := newTestServer(store.New(catmem.New(), blobmem.New(), store.Options{}))
		if code, body := s.do(http.MethodPut, "/"+fuzzBucket, nil, []byte(fuzzBucketConfig)); code != 200 {
			fuzzSrvErr = "CreateBucket: " + body
			return
		}
		code, body := s.do(http.MethodPost, "/"+fuzzBucket+"/"+fuzzKey+"?uploads", nil, nil)
		var res initiateResult
		if code != 200 || xml.Unmarshal([]byte(body), &res) != nil || res.UploadID == "" {
			fuzzSrvErr = "CreateMultipartUpload: " + body
			return
		}
		s.uploadID = res.UploadID
		fuzzSrv = s
	})
	if fuzzSrv == nil {
		t.Fatalf("in-process handler: %s", fuzzSrvErr)
	}
	return fuzzSrv
}

// do sends one signed request to the handler and returns the status and body.
func (s *fuzzServer) do(method, target string, hdr http.Header, body []byte) (int, string) {
	r := httptest.NewRequest(method, target, bytes.NewReader(body))
	r.Host = "127.0.0.1:9000"
	for k, v := range hdr {
		r.Header[k] = v
	}
	s.signer.Sign(r, sigv4.HashPayload(body), time.Now())
	w := httptest.NewRecorder()
	s.h.ServeHTTP(w, r)
	return w.Code, w.Body.String()
}

func crc32Header(b []byte) http.Header {
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], crc32.ChecksumIEEE(b))
	return http.Header{"X-Amz-Checksum-Crc32": {base64.StdEncoding.EncodeToString(sum[:])}}
}

// FuzzXMLBodies feeds arbitrary bytes to every XML request document the S3
// API reads: CompleteMultipartUpload, Delete (DeleteObjects),
// CreateBucketConfiguration, ServerSideEncryptionConfiguration,
// LifecycleConfiguration, MetricsConfiguration and InventoryConfiguration. Each is first unmarshalled into its request type
// directly, then sent, signed and with a correct checksum, through the real
// handler of its operation (in process, in-memory storage). Nothing may
// panic; no document may cause a 5xx (but 501 NotImplemented, e.g.
// SSE-KMS); a document the type refuses must be
// answered 400 MalformedXML (bodies over an operation's cap are
// TestXMLBodiesTooLarge's). Seeds: testdata/fuzz/FuzzXMLBodies.
func FuzzXMLBodies(f *testing.F) {
	f.Add([]byte(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"x"</ETag></Part></CompleteMultipartUpload>`))
	f.Add([]byte(`<Delete><Object><Key>a</Key></Object><Quiet>true</Quiet></Delete>`))
	f.Add([]byte(`<CreateBucketConfiguration><Location><Type>LocalZone</Type><Name>use1-atl2-az1</Name></Location><Bucket><DataRedundancy>SingleLocalZone</DataRedundancy><Type>Directory</Type></Bucket><Tags><Tag><Key>team</Key><Value>data</Value></Tag></Tags></CreateBucketConfiguration>`))
	f.Add([]byte(`<MetricsConfiguration><Id>m1</Id><Filter><And><Prefix>logs/</Prefix><AccessPointArn>arn:aws:s3express:us-east-1:000000000000:accesspoint/ap--use1-az4--xa-s3</AccessPointArn></And></Filter></MetricsConfiguration>`))
	f.Add([]byte(`<MetricsConfiguration><Id>m1</Id><Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter></MetricsConfiguration>`))
	f.Add([]byte(`<InventoryConfiguration><Destination><S3BucketDestination><Bucket>arn:aws:s3:::` + fuzzBucket + `</Bucket><Format>CSV</Format><Prefix>inv</Prefix></S3BucketDestination></Destination><Id>inv1</Id><IncludedObjectVersions>Current</IncludedObjectVersions><IsEnabled>true</IsEnabled><Filter><Prefix>data/</Prefix></Filter><OptionalFields><Field>Size</Field><Field>ETag</Field></OptionalFields><Schedule><Frequency>Weekly</Frequency></Schedule></InventoryConfiguration>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxXMLBody {
			return
		}
		s := newFuzzServer(t)

		// Straight unmarshalling into each type.
		var (
			complete completeRequest
			del      deleteRequest
			cbc      createBucketConfiguration
			sse      sseConfiguration
		)
		errs := map[string]error{
			"complete":   xml.Unmarshal(data, &complete),
			"delete":     xml.Unmarshal(data, &del),
			"bucket":     xml.Unmarshal(data, &cbc),
			"encryption": xml.Unmarshal(data, &sse),
		}
		blank := len(bytes.TrimSpace(data)) == 0

		// Through the handlers.
		check := func(what string, code int, body string, unmarshalErr error, emptyOK bool) {
			t.Helper()
			if code >= 500 && !(code == 501 && strings.Contains(body, "<Code>NotImplemented</Code>")) {
				t.Fatalf("%s: HTTP %d for document %q: %s", what, code, data, body)
			}
			if code >= 400 && !strings.Contains(body, "<Code>") {
				t.Fatalf("%s: HTTP %d without an S3 error document: %q", what, code, body)
			}
			if unmarshalErr != nil && !(blank && emptyOK) && !strings.Contains(body, "<Code>MalformedXML</Code>") {
				t.Fatalf("%s: the document does not unmarshal (%v) but the answer is HTTP %d %s", what, unmarshalErr, code, body)
			}
		}
		code, body := s.do(http.MethodPost, "/"+fuzzBucket+"/"+fuzzKey+"?uploadId="+s.uploadID, nil, data)
		check("CompleteMultipartUpload", code, body, errs["complete"], false)
		code, body = s.do(http.MethodPost, "/"+fuzzBucket+"?delete", crc32Header(data), data)
		check("DeleteObjects", code, body, errs["delete"], false)
		code, body = s.do(http.MethodPut, "/"+fuzzBucket, nil, data)
		check("CreateBucket", code, body, errs["bucket"], true)
		code, body = s.do(http.MethodPut, "/"+fuzzBucket+"?encryption", crc32Header(data), data)
		check("PutBucketEncryption", code, body, errs["encryption"], false)
		var lc store.LifecycleConfiguration
		code, body = s.do(http.MethodPut, "/"+fuzzBucket+"?lifecycle", crc32Header(data), data)
		check("PutBucketLifecycleConfiguration", code, body, xml.Unmarshal(data, &lc), false)
		var mc metricsConfiguration
		code, body = s.do(http.MethodPut, "/"+fuzzBucket+"?metrics&id=m1", crc32Header(data), data)
		check("PutBucketMetricsConfiguration", code, body, xml.Unmarshal(data, &mc), false)
		var ic inventoryConfiguration
		code, body = s.do(http.MethodPut, "/"+fuzzBucket+"?inventory&id=inv1", crc32Header(data), data)
		check("PutBucketInventoryConfiguration", code, body, xml.Unmarshal(data, &ic), false)
	})
}

// TestXMLBodiesTooLarge: documents over their operation's cap are refused
// (400 MalformedXML) whatever they hold.
func TestXMLBodiesTooLarge(t *testing.T) {
	s := newFuzzServer(t)
	over := func(limit int) []byte {
		return []byte("<Delete>" + strings.Repeat("<Object><Key>k</Key></Object>", limit/29+1) + "</Delete>")
	}
	for _, c := range []struct {
		what, method, target string
		limit                int
		crc                  bool
	}{
		{"CompleteMultipartUpload", http.MethodPost, "/" + fuzzBucket + "/" + fuzzKey + "?uploadId=" + s.uploadID, maxCompleteBody, false},
		{"DeleteObjects", http.MethodPost, "/" + fuzzBucket + "?delete", maxDeleteBody, true},
		{"CreateBucket", http.MethodPut, "/" + fuzzBucket, maxXMLBody, false},
		{"PutBucketEncryption", http.MethodPut, "/" + fuzzBucket + "?encryption", maxXMLBody, true},
		{"PutBucketLifecycleConfiguration", http.MethodPut, "/" + fuzzBucket + "?lifecycle", maxXMLBody, true},
		{"PutBucketMetricsConfiguration", http.MethodPut, "/" + fuzzBucket + "?metrics&id=m1", maxXMLBody, true},
		{"PutBucketInventoryConfiguration", http.MethodPut, "/" + fuzzBucket + "?inventory&id=inv1", maxXMLBody, true},
	} {
		big := over(c.limit)
		var hdr http.Header
		if c.crc {
			hdr = crc32Header(big)
		}
		code, body := s.do(c.method, c.target, hdr, big)
		if code != 400 || !strings.Contains(body, "<Code>MalformedXML</Code>") {
			t.Errorf("%s with a %d-byte document: HTTP %d %s, want 400 MalformedXML", c.what, len(big), code, body)
		}
	}
}
