package auth

import (
	"context"
	"slices"
	"testing"

	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/iam"
	"github.com/zonal-dev/zonal/internal/session"
)

// TestABAC: a policy granting CreateSession on buckets tagged team=data
// follows the bucket's tags as the record has them at each decision (tag
// key names ignore case), and TagResource is decided on the tags asked
// for (aws:RequestTag, aws:TagKeys).
func TestABAC(t *testing.T) {
	pols := users{
		"analyst": {identityPolicy(t, `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":"s3express:CreateSession","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/Team":"data"}}},
			{"Effect":"Allow","Action":["s3express:TagResource","s3express:CreateBucket"],"Resource":"*",
			 "Condition":{"StringEquals":{"aws:RequestTag/team":"data"},"ForAllValues:StringEquals":{"aws:TagKeys":["team","owner"]}}}]}`)},
		"perimeter": {identityPolicy(t, `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":"s3express:CreateSession","Resource":"*"},
			{"Effect":"Deny","Action":"s3express:*","Resource":"*",
			 "Condition":{"StringNotEqualsIfExists":{"s3express:AllAccessRestrictedToLocalZoneGroup":"us-east-1-atl-2"}}}]}`)},
	}
	f := newFixture(t, pols)
	ctx := context.Background()
	analyst := &Caller{Principal: iam.Principal{Account: acct, User: "analyst"}, Request: httpReq(t)}
	b := &catalog.Bucket{Name: bucket, Owner: acct, Region: "us-east-1", Zone: "use1-az4", CreatedAt: t0}
	mint := func(c *Caller, b *catalog.Bucket) Decision {
		return f.a.Authorize(ctx, c, Request{Action: ActionCreateSession, BucketName: b.Name, Bucket: b, Mint: true, Mode: session.ReadWrite})
	}
	if d := mint(analyst, b); d.Allowed {
		t.Fatalf("untagged bucket allowed: %+v", d)
	}
	b.Tags = map[string]string{"team": "data"}
	if d := mint(analyst, b); !d.Allowed {
		t.Fatalf("tagged bucket refused: %+v", d)
	}
	b.Tags = map[string]string{"team": "web"}
	if d := mint(analyst, b); d.Allowed {
		t.Fatalf("team=web allowed: %+v", d)
	}

	tag := func(tags map[string]string) Decision {
		return f.a.Authorize(ctx, analyst, Request{Action: "s3express:TagResource", BucketName: bucket, Bucket: b,
			Regional: true, Writes: true, Conditions: RequestTags(tags)})
	}
	if d := tag(map[string]string{"team": "data", "owner": "ana"}); !d.Allowed {
		t.Errorf("allowed tags refused: %+v", d)
	}
	if d := tag(map[string]string{"team": "data", "cost": "1"}); d.Allowed {
		t.Errorf("a key outside aws:TagKeys allowed: %+v", d)
	}
	if d := tag(map[string]string{"team": "web"}); d.Allowed {
		t.Errorf("aws:RequestTag/team=web allowed: %+v", d)
	}

	// CreateSession on a bucket to be earns a ControlOnly session when
	// CreateBucket is allowed only with tags it will ask for.
	creator := &Caller{Principal: iam.Principal{Account: acct, User: "analyst"}, Request: httpReq(t)}
	d := f.a.Authorize(ctx, creator, Request{Action: ActionCreateSession, BucketName: "new--use1-az4--x-s3", Mint: true,
		ControlActions: []string{"s3express:CreateBucket"}})
	if !d.Allowed || d.Mode != session.ControlOnly {
		t.Errorf("CreateSession before a tag-conditioned CreateBucket: %+v", d)
	}
	d = f.a.Authorize(ctx, creator, Request{Action: "s3express:CreateBucket", BucketName: "new--use1-az4--x-s3", Regional: true, Create: true})
	if d.Allowed {
		t.Errorf("CreateBucket without the tags allowed: %+v", d)
	}

	// The Local Zone perimeter: the key exists only for Local Zone
	// buckets, so ...IfExists finds it absent for an AZ bucket and the
	// Deny applies, as IAM evaluates an absent key under IfExists.
	guard := &Caller{Principal: iam.Principal{Account: acct, User: "perimeter"}, Request: httpReq(t)}
	if d := mint(guard, b); d.Allowed {
		t.Errorf("AZ bucket under a Local Zone perimeter allowed: %+v", d)
	}
	lz := &catalog.Bucket{Name: "b--use1-atl2-az1--x-s3", Owner: acct, Region: "us-east-1", Zone: "use1-atl2-az1"}
	if d := mint(guard, lz); !d.Allowed {
		t.Errorf("bucket inside the perimeter refused: %+v", d)
	}
	lz.Zone, lz.Name = "use1-mia1-az1", "b--use1-mia1-az1--x-s3"
	if d := mint(guard, lz); d.Allowed || d.Denial != ExplicitDeny {
		t.Errorf("bucket outside the perimeter: %+v", d)
	}
}

func TestBucketConditions(t *testing.T) {
	f := newFixture(t, users{})
	c := &Caller{Principal: iam.Principal{Account: acct}, Request: httpReq(t)}
	b := &catalog.Bucket{Name: bucket, Owner: acct, Region: "us-east-1", Zone: "use1-atl2-az1",
		Tags: map[string]string{"Team": "a", "team": "b", "x": ""}}
	m := f.a.conditions(c, &Request{Action: ActionCreateSession, Bucket: b})
	for k, v := range map[string]string{"aws:resourcetag/team": "a", "s3express:buckettag/team": "a",
		"aws:resourcetag/x": "", "s3express:allaccessrestrictedtolocalzonegroup": "us-east-1-atl-2",
		"aws:requestedregion": "us-east-1"} {
		if got := m[k]; len(got) != 1 || got[0] != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	rt := RequestTags(map[string]string{"b": "2", "a": "1"})
	if !slices.Equal(rt["aws:tagkeys"], []string{"a", "b"}) || rt["aws:requesttag/a"][0] != "1" {
		t.Errorf("RequestTags = %v", rt)
	}
}
