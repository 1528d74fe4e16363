package s3control

import (
	"strings"

	"github.com/zonal-dev/zonal/internal/bucketname"
	"github.com/zonal-dev/zonal/internal/iam"
)

// Resource types of S3 Express ARNs.
const (
	TypeBucket      = "bucket"
	TypeAccessPoint = "accesspoint"
)

// ARN is an S3 Express resource ARN,
// arn:PARTITION:s3express:REGION:ACCOUNT:TYPE/NAME.
type ARN struct {
	Partition, Region, Account string
	Type                       string // TypeBucket or TypeAccessPoint
	Name                       string
}

func (a ARN) String() string {
	return "arn:" + a.Partition + ":s3express:" + a.Region + ":" + a.Account + ":" + a.Type + "/" + a.Name
}

// maxARN is the model's length limit on a resource ARN.
const maxARN = 1011

// ParseARN parses the ARN of a directory bucket or of an access point for
// directory buckets, or says why it is not one. Names must be well formed
// for their type (base--zone--x-s3, base--zone--xa-s3); the account is
// twelve digits.
func ParseARN(s string) (ARN, string) {
	if len(s) > maxARN {
		return ARN{}, "The ARN is too long."
	}
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" {
		return ARN{}, "The ARN is not well formed."
	}
	a := ARN{Partition: parts[1], Region: parts[3], Account: parts[4]}
	if parts[2] != "s3express" {
		return ARN{}, "zonal serves S3 Express resources only (arn:aws:s3express:...)."
	}
	if !validRegion(a.Region) {
		return ARN{}, "The ARN's region is not well formed."
	}
	if !validAccount(a.Account) {
		return ARN{}, "The ARN's account id must be twelve digits."
	}
	var ok bool
	if a.Type, a.Name, ok = strings.Cut(parts[5], "/"); !ok {
		return ARN{}, "The ARN names no resource (bucket/NAME or accesspoint/NAME)."
	}
	switch a.Type {
	case TypeBucket:
		if _, why := bucketname.Validate(a.Name); why != "" {
			return ARN{}, "The ARN's bucket name is not valid: " + why
		}
	case TypeAccessPoint:
		if !validAccessPointName(a.Name) {
			return ARN{}, "The ARN's access point name is not valid (base--zone-id--xa-s3)."
		}
	default:
		return ARN{}, "The ARN names a resource type S3 Express does not have."
	}
	return a, ""
}

// validAccessPointName applies the naming rules of access points for
// directory buckets (base--zone-id--xa-s3).
func validAccessPointName(name string) bool {
	_, why := bucketname.ValidateAccessPoint(name)
	return why == ""
}

// validRegion accepts region names like us-east-1: lowercase letters and
// digits in hyphenated groups.
func validRegion(r string) bool {
	if r == "" || len(r) > 32 || r[0] == '-' || r[len(r)-1] == '-' || strings.Contains(r, "--") {
		return false
	}
	for i := 0; i < len(r); i++ {
		if c := r[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// validAccount accepts a twelve-digit account id.
func validAccount(s string) bool { return iam.ValidAccountID(s) }
