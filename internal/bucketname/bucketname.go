// Package bucketname holds the naming rules of directory buckets
// (base--zone-id--x-s3), shared by the S3 API and the configuration.
package bucketname

import (
	"strconv"
	"strings"
)

// ZoneOf returns the zone id of a directory bucket name
// (base--zone--x-s3), or false when the name is not one.
func ZoneOf(name string) (string, bool) {
	rest, ok := strings.CutSuffix(name, "--x-s3")
	if !ok {
		return "", false
	}
	i := strings.LastIndex(rest, "--")
	if i <= 0 {
		return "", false
	}
	return rest[i+2:], true
}

// Validate applies the directory bucket naming rules and returns the
// zone id, or an explanation of what is wrong.
func Validate(name string) (string, string) {
	if len(name) < 3 || len(name) > 63 {
		return "", "Bucket names must be between 3 and 63 characters long."
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return "", "Bucket names may contain only lowercase letters, numbers and hyphens."
		}
	}
	zone, ok := ZoneOf(name)
	if !ok {
		return "", "Directory bucket names must end with --<zone-id>--x-s3."
	}
	base := strings.TrimSuffix(name, "--"+zone+"--x-s3")
	if base == "" || base[0] == '-' || base[len(base)-1] == '-' {
		return "", "Bucket names must begin and end with a letter or number."
	}
	if !ValidZoneID(zone) {
		return "", "The zone id " + strconv.Quote(zone) + " in the bucket name is not well formed."
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return "", "Bucket names must not start with " + strconv.Quote(p) + "."
		}
	}
	return zone, ""
}

// ValidZoneID accepts AZ ids like use1-az4 and Local Zone ids like
// usw2-lax1-az1: lowercase alphanumeric groups joined by single hyphens, of
// a length the SDKs' endpoint rules accept (8, 9, 13, 14 or 20).
func ValidZoneID(z string) bool {
	switch len(z) {
	case 8, 9, 13, 14, 20:
	default:
		return false
	}
	for _, part := range strings.Split(z, "-") {
		if part == "" {
			return false
		}
		for i := 0; i < len(part); i++ {
			c := part[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
				return false
			}
		}
	}
	return strings.Contains(z, "-az")
}

// The location types of a directory bucket, as CreateBucket's
// Location.Type and HeadBucket's x-amz-bucket-location-type name them,
// and the data redundancy each one has.
const (
	AvailabilityZone = "AvailabilityZone"
	LocalZone        = "LocalZone"

	SingleAvailabilityZone = "SingleAvailabilityZone"
	SingleLocalZone        = "SingleLocalZone"
)

// LocationType returns the location type of a well-formed zone id. An AZ
// id has two groups (use1-az4); a Local Zone id names its metro between
// the region and the zone (use1-atl2-az1), so it has more.
func LocationType(zone string) string {
	if strings.Count(zone, "-") >= 2 {
		return LocalZone
	}
	return AvailabilityZone
}

// DataRedundancy is the DataRedundancy of a bucket in zone.
func DataRedundancy(zone string) string {
	if LocationType(zone) == LocalZone {
		return SingleLocalZone
	}
	return SingleAvailabilityZone
}

// NetworkBorderGroup returns the network border group of a Local Zone
// (use1-atl2-az1 in us-east-1: us-east-1-atl-2), the value of the
// s3express:AllAccessRestrictedToLocalZoneGroup condition key, or "" for
// an Availability Zone, which belongs to none. AWS names a Local Zone
// group by its parent region and the metro with its number split off.
func NetworkBorderGroup(region, zone string) string {
	if LocationType(zone) != LocalZone {
		return ""
	}
	parts := strings.Split(zone, "-")
	metro := parts[1]
	i := len(metro)
	for i > 0 && metro[i-1] >= '0' && metro[i-1] <= '9' {
		i--
	}
	if i == 0 || i == len(metro) {
		return region + "-" + metro
	}
	return region + "-" + metro[:i] + "-" + metro[i:]
}
