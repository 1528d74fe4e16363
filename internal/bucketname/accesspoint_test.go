package bucketname

import (
	"strings"
	"testing"
)

func TestValidateAccessPoint(t *testing.T) {
	for name, zone := range map[string]string{
		"ap1--use1-az4--xa-s3":      "use1-az4",
		"my-ap--usw2-az1--xa-s3":    "usw2-az1",
		"a23--use1-atl2-az1--xa-s3": "use1-atl2-az1",
		"a2345678901234567890123456789012345678901234567890--use1-az4--xa-s3": "use1-az4",
	} {
		if got, why := ValidateAccessPoint(name); got != zone || why != "" {
			t.Errorf("ValidateAccessPoint(%q) = %q, %q; want %q", name, got, why, zone)
		}
	}
	for _, name := range []string{
		"ap--use1-az4--xa-s3", // base too short
		"a23456789012345678901234567890123456789012345678901--use1-az4--xa-s3", // 51
		"ap1--use1-az4--x-s3",   // a bucket name
		"Ap1--use1-az4--xa-s3",  // upper case
		"ap.1--use1-az4--xa-s3", // dot
		"-ap1--use1-az4--xa-s3", // leading hyphen
		"ap1---use1-az4--xa-s3", // base ends in a hyphen
		"ap1--nozone--xa-s3",    // zone id
		"--xa-s3",
		"xn--ab--use1-az4--xa-s3", // reserved prefix
	} {
		if _, why := ValidateAccessPoint(name); why == "" {
			t.Errorf("ValidateAccessPoint(%q) accepted it", name)
		}
	}
	if !IsAccessPoint("ap1--use1-az4--xa-s3") || IsAccessPoint("b--use1-az4--x-s3") {
		t.Error("IsAccessPoint")
	}
}

func TestParseAccessPointRef(t *testing.T) {
	for in, want := range map[string]AccessPointRef{
		"ap1--use1-az4--xa-s3": {Name: "ap1--use1-az4--xa-s3"},
		"arn:aws:s3express:us-east-1:000000000000:accesspoint/ap1--use1-az4--xa-s3": {Name: "ap1--use1-az4--xa-s3", Region: "us-east-1", Account: "000000000000"},
	} {
		if got, ok := ParseAccessPointRef(in); !ok || got != want {
			t.Errorf("ParseAccessPointRef(%q) = %+v, %v; want %+v", in, got, ok, want)
		}
	}
	for _, in := range []string{
		"b1--use1-az4--x-s3",
		"arn:aws:s3express:us-east-1:000000000000:bucket/b1--use1-az4--x-s3",
		"arn:aws:s3:us-east-1:000000000000:accesspoint/ap1--use1-az4--xa-s3",
		"arn:aws:s3express:us-east-1::accesspoint/ap1--use1-az4--xa-s3",
		"arn:aws:s3express::000000000000:accesspoint/ap1--use1-az4--xa-s3",
		"arn:aws:s3express:us-east-1:000000000000:accesspoint/ap1--use1-az4--xa-s3/k",
		"arn:aws:s3express:us-east-1:000000000000:accesspoint/",
		"arn::s3express:us-east-1:000000000000:accesspoint/ap1--use1-az4--xa-s3",
	} {
		if got, ok := ParseAccessPointRef(in); ok {
			t.Errorf("ParseAccessPointRef(%q) = %+v, accepted", in, got)
		}
	}
}

// FuzzParseAccessPointRef: whatever it accepts names a valid access point
// and round-trips to the ARN or name it was given.
func FuzzParseAccessPointRef(f *testing.F) {
	for _, s := range []string{"ap1--use1-az4--xa-s3", "arn:aws:s3express:us-east-1:000000000000:accesspoint/ap1--use1-az4--xa-s3",
		"arn:aws:s3express:us-east-1:000000000000:bucket/b--use1-az4--x-s3", "arn:::::", "a--b--xa-s3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ref, ok := ParseAccessPointRef(s)
		if !ok {
			return
		}
		if _, why := ValidateAccessPoint(ref.Name); why != "" {
			t.Fatalf("%q accepted with an invalid name %q: %s", s, ref.Name, why)
		}
		if ref.Region == "" {
			if s != ref.Name {
				t.Fatalf("%q read as the name %q", s, ref.Name)
			}
			return
		}
		parts := strings.SplitN(s, ":", 6)
		if back := "arn:" + parts[1] + ":s3express:" + ref.Region + ":" + ref.Account + ":accesspoint/" + ref.Name; back != s {
			t.Fatalf("%q read as %+v, which is %q", s, ref, back)
		}
	})
}
