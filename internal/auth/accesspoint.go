package auth

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/policy"
)

// AccessPointARN is the ARN of an access point for directory buckets.
func AccessPointARN(region, account, name string) string {
	return "arn:aws:s3express:" + region + ":" + account + ":accesspoint/" + name
}

// NetworkOriginInternet is the network origin of every zonal access
// point: zonal has no VPCs, so s3express:AccessPointNetworkOrigin is
// always Internet.
const NetworkOriginInternet = "Internet"

// decideThroughAccessPoint decides a zonal request (CreateSession, or one
// signed with long-term keys) made through an access point, as AWS
// documents for access points: the request must be allowed at the access
// point (identity policies and the access point policy, for the access
// point's ARN) and at its bucket (identity policies and the bucket
// policy, for the bucket's ARN). A bucket policy can delegate to access
// points by allowing requests with s3express:DataAccessPointAccount (or
// s3express:DataAccessPointArn), which both halves see. An explicit deny
// in either refuses.
func (a *Authority) decideThroughAccessPoint(ctx context.Context, c *Caller, req *Request) Decision {
	ap := *req
	ap.half, ap.Bucket = halfAccessPoint, nil
	ap.Resource = AccessPointARN(a.cfg.Region, req.AccessPoint.Owner, req.AccessPoint.Name)
	ap.Account = req.AccessPoint.Owner
	if d := a.decide(ctx, c, &ap); !d.Allowed {
		return d
	}
	bucket := *req
	bucket.half = halfBucket
	return a.decide(ctx, c, &bucket)
}

// apHalf names a half of a decision through an access point.
type apHalf uint8

const (
	_               apHalf = iota
	halfAccessPoint        // the access point's ARN and policy
	halfBucket             // the bucket's ARN and policy
)

// accessPointPolicy parses an access point's policy (nil when it has
// none). It was validated when stored; a parse failure now is a bug.
func accessPointPolicy(ap *catalog.AccessPoint) (*policy.Policy, error) {
	if ap == nil || len(ap.Policy) == 0 {
		return nil, nil
	}
	return policy.Parse(ap.Policy, policy.Resource, policy.Options{})
}

// accessPointConditions fills the keys of a request through or on an
// access point: for data access (not regional) s3express:DataAccessPointArn,
// DataAccessPointAccount and AccessPointNetworkOrigin, and when the access
// point is the resource (own) its tags as aws:ResourceTag/<key> and
// s3express:AccessPointTag/<key>.
func accessPointConditions(ctx map[string][]string, ap *catalog.AccessPoint, region string, regional, own bool) {
	if !regional {
		ctx["s3express:dataaccesspointarn"] = []string{AccessPointARN(region, ap.Owner, ap.Name)}
		ctx["s3express:dataaccesspointaccount"] = []string{ap.Owner}
		ctx["s3express:accesspointnetworkorigin"] = []string{NetworkOriginInternet}
	}
	if !own {
		return
	}
	for _, k := range slices.Sorted(maps.Keys(ap.Tags)) {
		lk := strings.ToLower(k)
		if _, seen := ctx["aws:resourcetag/"+lk]; seen {
			continue
		}
		ctx["aws:resourcetag/"+lk] = []string{ap.Tags[k]}
		ctx["s3express:accesspointtag/"+lk] = []string{ap.Tags[k]}
	}
}

// ValidPrincipal returns the check a resource policy's principals must
// pass (nil when the server has no IAM store: account roots only).
func (a *Authority) ValidPrincipal() func(arn string) bool {
	if a.cfg.Policies == nil {
		return nil
	}
	return a.cfg.Policies.ValidPrincipalARN
}
