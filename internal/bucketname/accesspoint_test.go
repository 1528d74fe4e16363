package bucketname

import "testing"

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
