package s3control

import (
	"strings"
	"testing"

	"github.com/zonal-dev/zonal/internal/store"
)

// FuzzParseARN: the parser never panics, and an ARN it accepts prints
// back as the input and names a resource of a known type.
func FuzzParseARN(f *testing.F) {
	for _, s := range []string{
		"arn:aws:s3express:us-east-1:000000000000:bucket/bkt--use1-az4--x-s3",
		"arn:aws:s3express:us-east-1:000000000000:accesspoint/ap--use1-az4--xa-s3",
		"arn:aws:s3express:us-west-2:111111111111:bucket/b--usw2-lax1-az1--x-s3",
		"arn:aws:s3:::plain", "arn:aws:s3express:us-east-1:0:bucket/x", "arn:::::", "",
		"arn:aws:s3express:us-east-1:000000000000:bucket/a/b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, why := ParseARN(s)
		if why != "" {
			return
		}
		if a.String() != s {
			t.Fatalf("ParseARN(%q) prints back as %q", s, a.String())
		}
		if a.Type != TypeBucket && a.Type != TypeAccessPoint || !validAccount(a.Account) || strings.Contains(a.Name, "/") {
			t.Fatalf("ParseARN(%q) accepted %+v", s, a)
		}
	})
}

// FuzzDecodeTagResource: the body parser never panics; what it accepts
// has as many values as keys, and a tag set that passes validation obeys
// the limits.
func FuzzDecodeTagResource(f *testing.F) {
	for _, s := range []string{
		tagBody("team", "data"), tagBody(), tagBody("k", ""), "<TagResourceRequest/>",
		"<TagResourceRequest><Tags><Tag><Key>a</Key></Tag></Tags></TagResourceRequest>  \n",
		"<TagResourceRequest><Tags></Tags></TagResourceRequest><x/>", "<a>", "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		keys, values, err := decodeTagResource(body)
		if err != nil {
			return
		}
		if len(keys) != len(values) {
			t.Fatalf("%d keys, %d values", len(keys), len(values))
		}
		set, err := store.TagSet(keys, values)
		if err != nil {
			return
		}
		if len(set) > store.MaxTags {
			t.Fatalf("%d tags accepted", len(set))
		}
		for k, v := range set {
			if store.CheckTag(k, v) != "" {
				t.Fatalf("invalid tag %q=%q accepted", k, v)
			}
		}
	})
}
