package bucketname

import "testing"

func TestValidate(t *testing.T) {
	for name, zone := range map[string]string{
		"b1--use1-az4--x-s3": "use1-az4", "logs--usw2-lax1-az1--x-s3": "usw2-lax1-az1",
	} {
		if z, why := Validate(name); why != "" || z != zone {
			t.Errorf("%s: %q %q", name, z, why)
		}
	}
	for _, name := range []string{"plain", "Up--use1-az4--x-s3", "b--usaz1--x-s3", "xn--b--use1-az4--x-s3", "-b--use1-az4--x-s3"} {
		if _, why := Validate(name); why == "" {
			t.Errorf("%s accepted", name)
		}
	}
	if ValidZoneID("use1az4") || !ValidZoneID("use1-az4") {
		t.Error("ValidZoneID")
	}
}
