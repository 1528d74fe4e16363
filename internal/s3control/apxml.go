package s3control

import (
	"encoding/xml"
	"time"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// xmlScope is a Scope element, in requests and answers alike.
type xmlScope struct {
	Permissions *xmlList `xml:"Permissions"`
	Prefixes    *xmlList `xml:"Prefixes"`
}

// xmlList holds Permission or Prefix items; unmarshal reads either name
// in its place (a Prefix inside Permissions is refused by decodeScope).
type xmlList struct {
	Permission []string `xml:"Permission,omitempty"`
	Prefix     []string `xml:"Prefix,omitempty"`
}

type createAccessPointRequest struct {
	XMLName         xml.Name  `xml:"CreateAccessPointRequest"`
	Bucket          string    `xml:"Bucket"`
	BucketAccountID string    `xml:"BucketAccountId"`
	Scope           *xmlScope `xml:"Scope"`
	Tags            *struct {
		Tag []xmlTag `xml:"Tag"`
	} `xml:"Tags"`
	VpcConfiguration *struct {
		VpcID string `xml:"VpcId"`
	} `xml:"VpcConfiguration"`
}

type putAccessPointScopeRequest struct {
	XMLName xml.Name  `xml:"PutAccessPointScopeRequest"`
	Scope   *xmlScope `xml:"Scope"`
}

type putAccessPointPolicyRequest struct {
	XMLName xml.Name `xml:"PutAccessPointPolicyRequest"`
	Policy  *string  `xml:"Policy"`
}

// scopeOf converts a parsed Scope element; ok is false when a list holds
// the other list's items.
func scopeOf(x *xmlScope) (catalog.Scope, bool) {
	var s catalog.Scope
	if x.Permissions != nil {
		if len(x.Permissions.Prefix) != 0 {
			return s, false
		}
		s.Permissions = x.Permissions.Permission
	}
	if x.Prefixes != nil {
		if len(x.Prefixes.Permission) != 0 {
			return s, false
		}
		s.Prefixes = x.Prefixes.Prefix
	}
	return s, true
}

// decodeScope parses a PutAccessPointScope body. A request without a
// Scope element, or with an ill-formed one, is MalformedXML.
func decodeScope(body []byte) (catalog.Scope, error) {
	var req putAccessPointScopeRequest
	if err := decodeDoc(body, &req); err != nil || req.Scope == nil {
		return catalog.Scope{}, errMalformedXML
	}
	s, ok := scopeOf(req.Scope)
	if !ok {
		return catalog.Scope{}, errMalformedXML
	}
	return s, nil
}

// xmlScopeOf renders a stored scope (an empty Scope element for none).
func xmlScopeOf(s *catalog.Scope) xmlScope {
	var x xmlScope
	if s == nil {
		return x
	}
	if len(s.Permissions) > 0 {
		x.Permissions = &xmlList{Permission: s.Permissions}
	}
	if len(s.Prefixes) > 0 {
		x.Prefixes = &xmlList{Prefix: s.Prefixes}
	}
	return x
}

type createAccessPointResult struct {
	XMLName        xml.Name `xml:"CreateAccessPointResult"`
	NS             string   `xml:"xmlns,attr"`
	AccessPointArn string   `xml:"AccessPointArn"`
	Alias          string   `xml:"Alias"`
}

// publicAccessBlock is always fully on for directory buckets and their
// access points.
type publicAccessBlock struct {
	BlockPublicAcls       bool `xml:"BlockPublicAcls"`
	IgnorePublicAcls      bool `xml:"IgnorePublicAcls"`
	BlockPublicPolicy     bool `xml:"BlockPublicPolicy"`
	RestrictPublicBuckets bool `xml:"RestrictPublicBuckets"`
}

type getAccessPointResult struct {
	XMLName           xml.Name          `xml:"GetAccessPointResult"`
	NS                string            `xml:"xmlns,attr"`
	Name              string            `xml:"Name"`
	Bucket            string            `xml:"Bucket"`
	NetworkOrigin     string            `xml:"NetworkOrigin"`
	PublicAccessBlock publicAccessBlock `xml:"PublicAccessBlockConfiguration"`
	CreationDate      string            `xml:"CreationDate"`
	Alias             string            `xml:"Alias"`
	AccessPointArn    string            `xml:"AccessPointArn"`
	BucketAccountID   string            `xml:"BucketAccountId"`
}

type apEntry struct {
	Name            string `xml:"Name"`
	NetworkOrigin   string `xml:"NetworkOrigin"`
	Bucket          string `xml:"Bucket"`
	AccessPointArn  string `xml:"AccessPointArn"`
	Alias           string `xml:"Alias"`
	BucketAccountID string `xml:"BucketAccountId"`
}

type listAccessPointsResult struct {
	XMLName      xml.Name  `xml:"ListAccessPointsForDirectoryBucketsResult"`
	NS           string    `xml:"xmlns,attr"`
	AccessPoints []apEntry `xml:"AccessPointList>AccessPoint"`
	NextToken    string    `xml:"NextToken,omitempty"`
}

type getAccessPointPolicyResult struct {
	XMLName xml.Name `xml:"GetAccessPointPolicyResult"`
	NS      string   `xml:"xmlns,attr"`
	Policy  string   `xml:"Policy"`
}

type getAccessPointScopeResult struct {
	XMLName xml.Name `xml:"GetAccessPointScopeResult"`
	NS      string   `xml:"xmlns,attr"`
	Scope   xmlScope `xml:"Scope"`
}

// isoTime renders a time as S3 Control's timestamps.
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
