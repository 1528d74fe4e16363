package console

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/iam"
)

var (
	decisionRe  = regexp.MustCompile(`id="decision">([^<]*)<`)
	decidedByRe = regexp.MustCompile(`id="decided-by">([^<]*)<`)
)

// simulate asks the simulator and returns the decision and what decided.
func (b *browser) simulate(principal, action, bucketName, mode string) (int, string, string, string) {
	b.e.t.Helper()
	q := url.Values{"principal": {principal}, "action": {action}, "bucket": {bucketName}, "mode": {mode}, "key": {"k"}}
	resp, body := b.get("simulate?" + q.Encode())
	d, by := decisionRe.FindStringSubmatch(body), decidedByRe.FindStringSubmatch(body)
	if d == nil || by == nil {
		return resp.StatusCode, "", "", body
	}
	return resp.StatusCode, d[1], by[1], body
}

func TestSimulator(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.createBucket(bucket)
	e.user("alice", readOnly)
	evilSid := `<img src=x onerror=alert(1)>"q"`
	deny := `{"Version":"2012-10-17","Statement":[{"Sid":"NoWrites","Effect":"Deny",
	 "Action":"s3express:CreateSession","Resource":"*","Condition":{"StringEquals":{"s3express:SessionMode":"ReadWrite"}}}]}`
	if err := e.db.PutUserPolicy(ctx, account, "alice", "deny", deny); err != nil {
		t.Fatal(err)
	}
	e.user("bob", "")
	if _, err := e.db.CreatePolicy(ctx, account, "lister", "/", "", `{"Version":"2012-10-17","Statement":[
	 {"Sid":"List","Effect":"Allow","Action":"s3express:ListAllMyDirectoryBuckets","Resource":"*"}]}`, nil); err != nil {
		t.Fatal(err)
	}
	if err := e.db.AttachUserPolicy(ctx, account, "bob", iam.PolicyARN(account, "/", "lister")); err != nil {
		t.Fatal(err)
	}
	err := e.st.UpdateBucket(ctx, bucket, func(b *catalog.Bucket) error {
		b.Policy = []byte(`{"Version":"2012-10-17","Statement":[{"Sid":"BobReads","Effect":"Allow",
		 "Principal":{"AWS":"arn:aws:iam::000000000000:user/bob"},"Action":"s3express:CreateSession",
		 "Resource":"*","Condition":{"StringEquals":{"s3express:SessionMode":"ReadOnly"}}},
		 {"Sid":"` + strings.ReplaceAll(evilSid, `"`, `\"`) + `","Effect":"Deny",
		 "Principal":{"AWS":"arn:aws:iam::000000000000:user/bob"},"Action":"s3express:CreateSession",
		 "Resource":"*","Condition":{"StringEquals":{"s3express:SessionMode":"ReadWrite"}}}]}`)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	root := e.signedIn(rootAK, rootSK)
	resp, body := root.get("simulate")
	wantStatus(t, "simulator", resp, body, 200)
	for _, want := range []string{`<label for="principal">Principal</label>`, `<option value="alice"`, `<option value="root"`,
		`<label for="action">Action</label>`, `<label for="bucket">Bucket</label>`, `<label for="key">Key</label>`,
		`<label for="mode">Session mode</label>`, ">Simulate<"} {
		if !strings.Contains(body, want) {
			t.Fatalf("simulator lacks %q:\n%s", want, body)
		}
	}
	for _, c := range []struct {
		principal, action, mode string
		decision, by            string
	}{
		{"alice", "s3express:CreateSession", "ReadOnly", "Allowed", "inline policy p statement 1"},
		{"alice", "s3express:CreateSession", "ReadWrite", "Denied", "explicit deny in inline policy deny statement 0 (Sid NoWrites)"},
		{"alice", "s3express:PutBucketPolicy", "", "Denied", "no statement allowed it"},
		{"bob", "s3express:CreateSession", "ReadOnly", "Allowed", "bucket policy statement 0 (Sid BobReads)"},
		{"bob", "s3express:CreateSession", "ReadWrite", "Denied",
			"explicit deny in bucket policy statement 1 (Sid &lt;img src=x onerror=alert(1)&gt;&#34;q&#34;)"},
		{"bob", "s3express:ListAllMyDirectoryBuckets", "", "Allowed",
			"managed policy arn:aws:iam::000000000000:policy/lister statement 0 (Sid List)"},
		{"root", "s3express:DeleteBucket", "", "Allowed", "the account root&#39;s implicit access to its own account"},
	} {
		status, d, by, body := root.simulate(c.principal, c.action, bucket, c.mode)
		if status != 200 || d != c.decision || by != c.by {
			t.Errorf("%s %s %s: %d %q by %q, want %q by %q\n%.300s", c.principal, c.action, c.mode, status, d, by, c.decision, c.by, body)
		}
		if strings.Contains(body, "<img src=x") {
			t.Fatal("a Sid rendered as markup")
		}
	}
	// What is typed is shown as text.
	_, _, _, body = root.simulate("alice", "s3express:CreateSession", `<script>alert(1)</script>`, "ReadOnly")
	if strings.Contains(body, "<script>alert") || !strings.Contains(body, `value="&lt;script&gt;alert(1)&lt;/script&gt;"`) {
		t.Fatalf("the bucket typed is not escaped:\n%s", body)
	}

	// Simulating needs iam:ListUserPolicies and iam:GetUserPolicy on the principal.
	k := e.user("reader", readOnly)
	ro := e.signedIn(k.ID, k.Secret)
	for _, p := range []string{"alice", "root", "reader"} {
		if status, d, _, body := ro.simulate(p, "s3express:CreateSession", bucket, "ReadOnly"); status != http.StatusForbidden || d != "" {
			t.Fatalf("read-only user simulating %s: %d %q\n%.300s", p, status, d, body)
		}
	}
	k = e.user("auditor", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
	 "Action":["iam:ListUserPolicies","iam:GetUserPolicy"],"Resource":"arn:aws:iam::000000000000:user/alice"}]}`)
	au := e.signedIn(k.ID, k.Secret)
	if status, d, by, _ := au.simulate("alice", "s3express:CreateSession", bucket, "ReadOnly"); status != 200 || d != "Allowed" || by != "inline policy p statement 1" {
		t.Fatalf("auditor simulating alice: %d %q %q", status, d, by)
	}
	if status, _, _, _ := au.simulate("bob", "s3express:CreateSession", bucket, "ReadOnly"); status != http.StatusForbidden {
		t.Fatalf("auditor simulating bob: %d", status)
	}
	// The bucket policy's statement is named only to who may read it.
	if status, d, by, _ := au.simulate("alice", "s3express:CreateSession", bucket, "ReadOnly"); status != 200 || d != "Allowed" || strings.Contains(by, "BobReads") {
		t.Fatalf("%d %q %q", status, d, by)
	}
}
