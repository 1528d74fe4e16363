package s3control

import (
	"encoding/xml"
	"slices"
	"strings"
	"testing"

	"github.com/zonal-dev/zonal/internal/store"
)

// FuzzParseARN: the parser never panics, and an ARN it accepts prints
// back as the input and names a resource of a known type.
func FuzzParseARN(f *testing.F) {
	for _, s := range []string{
		"arn:aws:s3express:us-east-1:000000000000:bucket/bkt--use1-az4--x-s3",
		"arn:aws:s3express:us-east-1:000000000000:accesspoint/ap1--use1-az4--xa-s3",
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

// FuzzDecodeScope: the PutAccessPointScope parser never panics; a scope
// it accepts and CheckScope passes names only known permissions, each
// once, and prefixes within AWS's byte limit; and it survives a render
// and parse round trip unchanged.
func FuzzDecodeScope(f *testing.F) {
	for _, s := range []string{
		scopeBody([]string{"GetObject", "PutObject"}, []string{"a/", "b/"}), scopeBody(nil, nil), scopeBody(nil, []string{"x"}),
		"<PutAccessPointScopeRequest><Scope><Permissions><Prefix>a/</Prefix></Permissions></Scope></PutAccessPointScopeRequest>",
		"<PutAccessPointScopeRequest/>", "<PutAccessPointScopeRequest><Scope/></PutAccessPointScopeRequest><x/>", "<a>", "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		s, err := decodeScope(body)
		if err != nil || store.CheckScope(s) != "" {
			return
		}
		n := 0
		for i, p := range s.Permissions {
			if !slices.Contains(store.ScopePermissions, p) || slices.Contains(s.Permissions[:i], p) {
				t.Fatalf("permissions %q accepted", s.Permissions)
			}
		}
		for _, p := range s.Prefixes {
			n += len(p)
		}
		if n >= store.MaxScopePrefixBytes {
			t.Fatalf("%d bytes of prefixes accepted", n)
		}
		again, err := decodeScope([]byte(scopeBody(s.Permissions, s.Prefixes)))
		if err != nil || !slices.Equal(again.Permissions, s.Permissions) || !slices.Equal(again.Prefixes, s.Prefixes) {
			t.Fatalf("round trip of %+v gave %+v, %v", s, again, err)
		}
	})
}

// scopeBody renders a PutAccessPointScope body as the SDKs do.
func scopeBody(perms, prefixes []string) string {
	x := putAccessPointScopeRequest{Scope: &xmlScope{}}
	if perms != nil {
		x.Scope.Permissions = &xmlList{Permission: perms}
	}
	if prefixes != nil {
		x.Scope.Prefixes = &xmlList{Prefix: prefixes}
	}
	b, err := xml.Marshal(x)
	if err != nil {
		panic(err)
	}
	return string(b)
}
