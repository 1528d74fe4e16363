package bucketname

import (
	"strconv"
	"strings"
)

// AccessPointSuffix ends the name of every access point for directory
// buckets (base--zone-id--xa-s3).
const AccessPointSuffix = "--xa-s3"

// IsAccessPoint reports whether name has the shape of an access point
// name; bucket names never end in --xa-s3, so the suffix decides.
func IsAccessPoint(name string) bool { return strings.HasSuffix(name, AccessPointSuffix) }

// ValidateAccessPoint applies AWS's rules for access point names of
// directory buckets and returns the zone id, or what is wrong: the
// characters and reserved prefixes of bucket names, a base name of 3 to
// 50 characters that begins and ends with a letter or digit, and the
// --zone-id--xa-s3 suffix.
func ValidateAccessPoint(name string) (string, string) {
	rest, ok := strings.CutSuffix(name, AccessPointSuffix)
	i := strings.LastIndex(rest, "--")
	if !ok || i <= 0 {
		return "", "Access point names for directory buckets must end with --<zone-id>--xa-s3."
	}
	for j := 0; j < len(name); j++ {
		if c := name[j]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return "", "Access point names may contain only lowercase letters, numbers and hyphens."
		}
	}
	base, zone := rest[:i], rest[i+2:]
	switch {
	case len(base) < 3 || len(base) > 50:
		return "", "The base name of an access point must be between 3 and 50 characters long."
	case base[0] == '-' || base[len(base)-1] == '-':
		return "", "Access point names must begin and end with a letter or number."
	case !ValidZoneID(zone):
		return "", "The zone id " + strconv.Quote(zone) + " in the access point name is not well formed."
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return "", "Access point names must not start with " + strconv.Quote(p) + "."
		}
	}
	return zone, ""
}

// AccessPointRef is an access point named where a bucket goes on the data
// plane: by its name, or by its ARN
// (arn:PARTITION:s3express:REGION:ACCOUNT:accesspoint/NAME). Region and
// Account are "" for a bare name.
type AccessPointRef struct {
	Name, Region, Account string
}

// ParseAccessPointRef reads a data-plane bucket name that names an access
// point: a well-formed access point name, or the ARN of one. ok is false
// for anything else (a bucket name, a malformed ARN).
func ParseAccessPointRef(s string) (ref AccessPointRef, ok bool) {
	if !strings.HasPrefix(s, "arn:") {
		if _, why := ValidateAccessPoint(s); why != "" {
			return ref, false
		}
		return AccessPointRef{Name: s}, true
	}
	parts := strings.SplitN(s, ":", 6)
	// The account is not checked here: the caller compares it with the
	// access point's owner.
	if len(parts) != 6 || parts[1] == "" || parts[2] != "s3express" || parts[3] == "" || parts[4] == "" {
		return ref, false
	}
	name, found := strings.CutPrefix(parts[5], "accesspoint/")
	if !found {
		return ref, false
	}
	if _, why := ValidateAccessPoint(name); why != "" {
		return ref, false
	}
	return AccessPointRef{Name: name, Region: parts[3], Account: parts[4]}, true
}
