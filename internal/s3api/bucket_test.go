package s3api

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	blobmem "github.com/zonal-dev/zonal/internal/blob/mem"
	catmem "github.com/zonal-dev/zonal/internal/catalog/mem"
	"github.com/zonal-dev/zonal/internal/iam"
	"github.com/zonal-dev/zonal/internal/session"
	"github.com/zonal-dev/zonal/internal/sigv4"
	"github.com/zonal-dev/zonal/internal/store"
)

func bucketConfig(locType, zone, redundancy, tags string) []byte {
	return []byte(`<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Location><Type>` + locType +
		`</Type><Name>` + zone + `</Name></Location><Bucket><DataRedundancy>` + redundancy +
		`</DataRedundancy><Type>Directory</Type></Bucket>` + tags + `</CreateBucketConfiguration>`)
}

// TestCreateBucketTagsAndLocalZones: CreateBucket stores its Tags with
// the bucket and refuses invalid ones without creating it; Local Zone ids
// take LocalZone / SingleLocalZone, which HeadBucket reports.
func TestCreateBucketTagsAndLocalZones(t *testing.T) {
	st := store.New(catmem.New(), blobmem.New(), store.Options{})
	s := newTestServer(st)
	tagged := "tagged--use1-az4--x-s3"
	if code, body := s.do(http.MethodPut, "/"+tagged, nil, bucketConfig("AvailabilityZone", "use1-az4", "SingleAvailabilityZone",
		`<Tags><Tag><Key>team</Key><Value>data</Value></Tag><Tag><Key>env</Key><Value></Value></Tag></Tags>`)); code != 200 {
		t.Fatalf("CreateBucket with Tags: %d %s", code, body)
	}
	b, err := st.Bucket(context.Background(), tagged)
	if err != nil || !maps.Equal(b.Tags, map[string]string{"team": "data", "env": ""}) {
		t.Fatalf("stored tags %v (%v)", b.Tags, err)
	}

	for _, tc := range []struct{ name, config, code string }{
		{"bad--use1-az4--x-s3", string(bucketConfig("AvailabilityZone", "use1-az4", "SingleAvailabilityZone", `<Tags><Tag><Key>aws:x</Key><Value>v</Value></Tag></Tags>`)), "InvalidTag"},
		{"dup--use1-az4--x-s3", string(bucketConfig("AvailabilityZone", "use1-az4", "SingleAvailabilityZone", `<Tags><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>a</Key><Value>2</Value></Tag></Tags>`)), "InvalidTag"},
		{"lzaz--use1-atl2-az1--x-s3", string(bucketConfig("AvailabilityZone", "use1-atl2-az1", "SingleAvailabilityZone", "")), "InvalidArgument"},
		{"lzred--use1-atl2-az1--x-s3", string(bucketConfig("LocalZone", "use1-atl2-az1", "SingleAvailabilityZone", "")), "InvalidArgument"},
		{"azlz--use1-az4--x-s3", string(bucketConfig("LocalZone", "use1-az4", "SingleLocalZone", "")), "InvalidArgument"},
		{"moon--use1-az4--x-s3", string(bucketConfig("Moon", "use1-az4", "SingleAvailabilityZone", "")), "InvalidArgument"},
	} {
		code, body := s.do(http.MethodPut, "/"+tc.name, nil, []byte(tc.config))
		if code != 400 || !strings.Contains(body, "<Code>"+tc.code+"</Code>") {
			t.Errorf("%s: %d %s, want 400 %s", tc.name, code, body, tc.code)
		}
		if _, err := st.Bucket(context.Background(), tc.name); err == nil {
			t.Errorf("%s was created", tc.name)
		}
	}

	lz := "lz--use1-atl2-az1--x-s3"
	if code, body := s.do(http.MethodPut, "/"+lz, nil, bucketConfig("LocalZone", "use1-atl2-az1", "SingleLocalZone", "")); code != 200 {
		t.Fatalf("CreateBucket in a Local Zone: %d %s", code, body)
	}
	for name, want := range map[string][2]string{lz: {"LocalZone", "use1-atl2-az1"}, tagged: {"AvailabilityZone", "use1-az4"}} {
		r := httptest.NewRequest(http.MethodHead, "/"+name, nil)
		r.Host = "127.0.0.1:9000"
		s.signer.Sign(r, sigv4.HashPayload(nil), time.Now())
		w := httptest.NewRecorder()
		s.h.ServeHTTP(w, r)
		if got := [2]string{w.Header().Get("X-Amz-Bucket-Location-Type"), w.Header().Get("X-Amz-Bucket-Location-Name")}; w.Code != 200 || got != want {
			t.Errorf("HeadBucket %s: %d %q, want %q", name, w.Code, got, want)
		}
	}
}

// newTestServer is an in-process handler on st for the fuzz account's
// root, with a signer of its keys.
func newTestServer(st *store.Store) *fuzzServer {
	ids := iam.NewStatic()
	ids.AddRoot(fuzzAccount, fuzzAK, fuzzSK)
	return &fuzzServer{
		h: New(Config{Region: "us-east-1", Store: st, Identities: ids, Sessions: session.NewMemRing(),
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}),
		signer: &sigv4.Signer{AccessKeyID: fuzzAK, SecretAccessKey: fuzzSK, Region: "us-east-1", Service: "s3express"},
	}
}
