package auth

import (
	"context"
	"testing"

	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/iam"
	"github.com/zonal-dev/zonal/internal/session"
)

// TestAccessPointDecisions: a request through an access point needs the
// access point's half (its ARN, its policy, its tags) and the bucket's
// half (the bucket policy, which can delegate by
// s3express:DataAccessPointAccount); sessions keep to the name they were
// minted for; regional actions on an access point see its tags.
func TestAccessPointDecisions(t *testing.T) {
	const apName = "ap1--use1-az4--xa-s3"
	apARN := AccessPointARN("us-east-1", acct, apName)
	pols := users{
		"carol": {identityPolicy(t, `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":["s3express:CreateSession","s3express:GetAccessPoint"],"Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"data"}}}]}`)},
	}
	f := newFixture(t, pols)
	ctx := context.Background()
	carol := &Caller{Principal: iam.Principal{Account: acct, User: "carol"}, Request: httpReq(t)}
	b := &catalog.Bucket{Name: bucket, Owner: acct, Region: "us-east-1", Zone: "use1-az4", CreatedAt: t0}
	ap := &catalog.AccessPoint{Name: apName, Bucket: bucket, Owner: acct, Region: "us-east-1", Tags: map[string]string{"team": "data"}}
	mint := func(ap *catalog.AccessPoint) Decision {
		return f.a.Authorize(ctx, carol, Request{Action: ActionCreateSession, BucketName: bucket, Bucket: b, AccessPoint: ap, Mint: true, Mode: session.ReadWrite})
	}

	// The access point's tags satisfy carol's policy on its half only.
	if d := mint(ap); d.Allowed {
		t.Fatalf("allowed without the bucket's half: %+v", d)
	}
	b.Policy = []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3express:CreateSession",
		"Resource":"` + BucketARN("us-east-1", acct, bucket) + `","Condition":{"StringEquals":{"s3express:DataAccessPointAccount":"` + acct + `",
		"s3express:AccessPointNetworkOrigin":"Internet","s3express:DataAccessPointArn":"` + apARN + `"}}}]}`)
	if d := mint(ap); !d.Allowed {
		t.Fatalf("refused although the bucket delegates to the access point: %+v", d)
	}
	if d := mint(nil); d.Allowed {
		t.Fatalf("the delegation allowed the bucket directly: %+v", d)
	}
	untagged := *ap
	untagged.Tags = nil
	if d := mint(&untagged); d.Allowed {
		t.Fatalf("allowed through an untagged access point: %+v", d)
	}
	denying := *ap
	denying.Policy = []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3express:CreateSession","Resource":"` + apARN + `"}]}`)
	if d := mint(&denying); d.Allowed || d.Denial != ExplicitDeny {
		t.Fatalf("the access point policy's Deny did not refuse: %+v", d)
	}

	// Sessions serve the name they were minted for.
	s := &session.Session{Mode: session.ReadWrite, Bucket: apName, Account: acct}
	viaSession := &Caller{Principal: carol.Principal, Session: s, Request: httpReq(t)}
	zonal := func(ap *catalog.AccessPoint) Decision {
		return f.a.Authorize(ctx, viaSession, Request{Action: ActionCreateSession, BucketName: bucket, Bucket: b, AccessPoint: ap, Mode: session.ReadWrite})
	}
	if d := zonal(ap); !d.Allowed {
		t.Errorf("the access point's session refused through it: %+v", d)
	}
	if d := zonal(nil); d.Allowed || d.Denial != SessionBucket {
		t.Errorf("the access point's session allowed on the bucket directly: %+v", d)
	}
	s.Bucket = bucket
	if d := zonal(ap); d.Allowed || d.Denial != SessionBucket {
		t.Errorf("the bucket's session allowed through the access point: %+v", d)
	}

	// Regional actions on the access point read its tags.
	get := func(ap *catalog.AccessPoint) Decision {
		return f.a.Authorize(ctx, carol, Request{Action: "s3express:GetAccessPoint", Resource: apARN, Account: acct, Regional: true, AccessPoint: ap})
	}
	if d := get(ap); !d.Allowed {
		t.Errorf("GetAccessPoint on a team=data access point refused: %+v", d)
	}
	if d := get(&untagged); d.Allowed {
		t.Errorf("GetAccessPoint on an untagged access point allowed: %+v", d)
	}
}
