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

func TestLocation(t *testing.T) {
	for zone, want := range map[string][3]string{
		"use1-az4":      {AvailabilityZone, SingleAvailabilityZone, ""},
		"apne1-az4":     {AvailabilityZone, SingleAvailabilityZone, ""},
		"use1-atl2-az1": {LocalZone, SingleLocalZone, "us-east-1-atl-2"},
		"usw2-lax1-az1": {LocalZone, SingleLocalZone, "us-east-1-lax-1"},
		"use1-dlz-az1":  {LocalZone, SingleLocalZone, "us-east-1-dlz"},
	} {
		got := [3]string{LocationType(zone), DataRedundancy(zone), NetworkBorderGroup("us-east-1", zone)}
		if got != want {
			t.Errorf("%s: %q, want %q", zone, got, want)
		}
	}
}
