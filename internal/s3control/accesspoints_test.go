package s3control

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/zonal-dev/zonal/internal/catalog"
)

const ap = "ap1--use1-az4--xa-s3"

func createBody(bucket, inner string) string {
	return `<CreateAccessPointRequest xmlns="` + Namespace + `"><Bucket>` + bucket + `</Bucket>` + inner + `</CreateAccessPointRequest>`
}

// TestAccessPointRefusals: each bad request answers its code and leaves
// the access point as it was.
func TestAccessPointRefusals(t *testing.T) {
	f := newFixture(t)
	scope := `<Scope><Permissions><Permission>GetObject</Permission></Permissions><Prefixes><Prefix>a/</Prefix></Prefixes></Scope>`
	if res := f.do(t, "PUT", "/v20180820/accesspoint/"+ap, acct, createBody(bucket, scope+`<Tags><Tag><Key>team</Key><Value>data</Value></Tag></Tags>`)); res.StatusCode != 200 {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("CreateAccessPoint: %d %s", res.StatusCode, b)
	}
	before, err := f.store.AccessPoint(context.Background(), ap)
	if err != nil || before.Scope == nil || before.Tags["team"] != "data" || before.Bucket != bucket {
		t.Fatalf("stored %+v, %v", before, err)
	}
	p := "/v20180820/accesspoint/" + ap
	cases := []struct {
		name, method, path, account, body string
		status                            int
		code                              string
	}{
		{"again", "PUT", p, acct, createBody(bucket, ""), 409, "AccessPointAlreadyOwnedByYou"},
		{"name taken by another account", "PUT", p, other, createBody("theirs--use1-az4--x-s3", ""), 409, "AccessPointAlreadyExists"},
		{"another account's bucket", "PUT", "/v20180820/accesspoint/ap2--use1-az4--xa-s3", acct, createBody("theirs--use1-az4--x-s3", ""), 404, "NoSuchBucket"},
		{"bucket in another zone", "PUT", "/v20180820/accesspoint/ap2--use1-az5--xa-s3", acct, createBody(bucket, ""), 400, "InvalidRequest"},
		{"bucket name not a directory bucket", "PUT", "/v20180820/accesspoint/ap2--use1-az4--xa-s3", acct, createBody("plain", ""), 400, "InvalidRequest"},
		{"malformed name", "PUT", "/v20180820/accesspoint/ap2--use1-az4--x-s3", acct, createBody(bucket, ""), 400, "InvalidRequest"},
		{"VPC", "PUT", "/v20180820/accesspoint/ap2--use1-az4--xa-s3", acct, createBody(bucket, "<VpcConfiguration><VpcId>v</VpcId></VpcConfiguration>"), 400, "InvalidRequest"},
		{"unknown permission", "PUT", "/v20180820/accesspoint/ap2--use1-az4--xa-s3", acct,
			createBody(bucket, "<Scope><Permissions><Permission>CopyObject</Permission></Permissions></Scope>"), 400, "InvalidRequest"},
		{"not XML", "PUT", "/v20180820/accesspoint/ap2--use1-az4--xa-s3", acct, "<CreateAccessPointRequest>", 400, "MalformedXML"},
		{"other account's view", "GET", p, other, "", 404, "NoSuchAccessPoint"},
		{"other account deletes", "DELETE", p, other, "", 404, "NoSuchAccessPoint"},
		{"no policy yet", "GET", p + "/policy", acct, "", 404, "NoSuchAccessPointPolicy"},
		{"policy naming another resource", "PUT", p + "/policy", acct, `<PutAccessPointPolicyRequest><Policy>{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + acct +
			`"},"Action":"s3express:CreateSession","Resource":"arn:aws:s3express:us-east-1:` + acct + `:bucket/` + bucket + `"}]}</Policy></PutAccessPointPolicyRequest>`, 400, "MalformedPolicy"},
		{"policy with another action", "PUT", p + "/policy", acct, `<PutAccessPointPolicyRequest><Policy>{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + acct +
			`"},"Action":"s3express:DeleteBucket","Resource":"arn:aws:s3express:us-east-1:` + acct + `:accesspoint/` + ap + `"}]}</Policy></PutAccessPointPolicyRequest>`, 400, "MalformedPolicy"},
		{"policy missing", "PUT", p + "/policy", acct, `<PutAccessPointPolicyRequest/>`, 400, "MalformedXML"},
		{"scope of 256 prefix bytes", "PUT", p + "/scope", acct, `<PutAccessPointScopeRequest><Scope><Prefixes><Prefix>` + strings.Repeat("p", 256) + `</Prefix></Prefixes></Scope></PutAccessPointScopeRequest>`, 400, "InvalidRequest"},
		{"scope permission twice", "PUT", p + "/scope", acct, `<PutAccessPointScopeRequest><Scope><Permissions><Permission>GetObject</Permission><Permission>GetObject</Permission></Permissions></Scope></PutAccessPointScopeRequest>`, 400, "InvalidRequest"},
		{"scope without Scope", "PUT", p + "/scope", acct, `<PutAccessPointScopeRequest/>`, 400, "MalformedXML"},
		{"POST", "POST", p, acct, "", 405, "MethodNotAllowed"},
		{"list with a bad maxResults", "GET", "/v20180820/accesspointfordirectory?maxResults=1001", acct, "", 400, "InvalidRequest"},
		{"list with a bad token", "GET", "/v20180820/accesspointfordirectory?nextToken=%25%25", acct, "", 400, "InvalidRequest"},
		{"tags of another account's ARN", "GET", arnPath(other, "accesspoint/"+ap), other, "", 404, "NoSuchAccessPoint"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			key := []string{}
			if tc.account == other {
				key = []string{"AKOTHER", "othersecret"}
			}
			wantError(t, f.do(t, tc.method, tc.path, tc.account, tc.body, key...), tc.status, tc.code)
			after, err := f.store.AccessPoint(context.Background(), ap)
			if err != nil || !equalAP(after, before) {
				t.Fatalf("access point changed: %+v, %v", after, err)
			}
		})
	}
	if aps, _ := f.store.ListAccessPoints(context.Background(), acct, "", "", 10); len(aps) != 1 {
		t.Fatalf("refused creations stored access points: %+v", aps)
	}
}

func equalAP(a, b catalog.AccessPoint) bool {
	return string(catalog.EncodeAccessPoint(a)) == string(catalog.EncodeAccessPoint(b)) && a.Name == b.Name
}

// TestAccessPointAnswers checks the XML of Get, GetScope and the listing
// against the S3 Control model's element names.
func TestAccessPointAnswers(t *testing.T) {
	f := newFixture(t)
	scope := `<Scope><Permissions><Permission>GetObject</Permission></Permissions><Prefixes><Prefix>a/</Prefix></Prefixes></Scope>`
	if res := f.do(t, "PUT", "/v20180820/accesspoint/"+ap, acct, createBody(bucket, scope)); res.StatusCode != 200 {
		t.Fatalf("CreateAccessPoint: %d", res.StatusCode)
	}
	arn := "arn:aws:s3express:us-east-1:" + acct + ":accesspoint/" + ap
	for path, want := range map[string][]string{
		"/v20180820/accesspoint/" + ap: {"<GetAccessPointResult xmlns=\"" + Namespace + "\"><Name>" + ap + "</Name><Bucket>" + bucket + "</Bucket><NetworkOrigin>Internet</NetworkOrigin>",
			"<AccessPointArn>" + arn + "</AccessPointArn>", "<CreationDate>2026-12-06T10:00:00.000Z</CreationDate>", "<BlockPublicPolicy>true</BlockPublicPolicy>"},
		"/v20180820/accesspoint/" + ap + "/scope": {"<GetAccessPointScopeResult xmlns=\"" + Namespace + "\"><Scope><Permissions><Permission>GetObject</Permission></Permissions><Prefixes><Prefix>a/</Prefix></Prefixes></Scope></GetAccessPointScopeResult>"},
		"/v20180820/accesspointfordirectory?directoryBucket=" + bucket: {"<ListAccessPointsForDirectoryBucketsResult xmlns=\"" + Namespace + "\"><AccessPointList><AccessPoint><Name>" + ap +
			"</Name><NetworkOrigin>Internet</NetworkOrigin><Bucket>" + bucket + "</Bucket><AccessPointArn>" + arn + "</AccessPointArn>"},
		"/v20180820/accesspointfordirectory?directoryBucket=theirs--use1-az4--x-s3": {"<AccessPointList></AccessPointList></ListAccessPointsForDirectoryBucketsResult>"},
	} {
		res := f.do(t, "GET", path, acct, "")
		body, _ := io.ReadAll(res.Body)
		for _, w := range want {
			if res.StatusCode != http.StatusOK || !strings.Contains(string(body), w) {
				t.Errorf("GET %s = %d %s\nwant it to contain %s", path, res.StatusCode, body, w)
			}
		}
	}
}
