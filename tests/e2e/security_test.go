package e2e

// Security and fidelity defects of issue 11 that live in routing,
// sessions and authorization: each test here failed before its fix.

import (
	"bytes"
	"context"
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// wantObject asserts bucket/key holds body, read by the owner's client.
func wantObject(t *testing.T, what string, c *s3.Client, bucket, key string, body []byte) {
	t.Helper()
	got, err := tryGet(c, bucket, key)
	if err != nil {
		t.Errorf("%s: GetObject %s: %s", what, key, describeErr(err))
		return
	}
	if !bytes.Equal(got, body) {
		t.Errorf("%s: %s holds %q, want %q", what, key, got, body)
	}
}

// TestSessionBoundToBucketIncarnation (issue 11 item 1): a session works
// only on the bucket it was minted for, not on a bucket that later takes
// the name; the SDKs' session-before-CreateBucket flow keeps working.
func TestSessionBoundToBucketIncarnation(t *testing.T) {
	t.Parallel()
	srv := startAuthzServer(t, "")
	owner, _ := newClient(t, srv)
	other, _ := newClientWithKeys(t, srv, acct2Access, acct2Secret)
	ctx := ctxT(t, 60*time.Second)
	body := []byte("the owner's data")

	tryAll := func(what string, sess *types.SessionCredentials, bucket string) {
		t.Helper()
		sg := sessionSigning(sess)
		r := doRaw(t, srv, rawReq{Method: "GET", Path: objectPath(bucket, "obj")}, sg)
		wantRaw(t, what+": GET", r, http.StatusForbidden, "AccessDenied")
		r = doRaw(t, srv, rawReq{Method: "PUT", Path: objectPath(bucket, "obj"), Body: []byte("overwritten")}, sg)
		wantRaw(t, what+": PUT", r, http.StatusForbidden, "AccessDenied")
		r = doRaw(t, srv, rawReq{Method: "DELETE", Path: objectPath(bucket, "obj")}, sg)
		wantRaw(t, what+": DELETE", r, http.StatusForbidden, "AccessDenied")
		r = doRaw(t, srv, rawReq{Method: "GET", Path: "/" + bucket, Query: "list-type=2"}, sg)
		wantRaw(t, what+": ListObjectsV2", r, http.StatusForbidden, "AccessDenied")
		wantObject(t, what, owner, bucket, "obj", body)
	}

	// Another account mints a session on a name nobody owns yet, then the
	// owner creates the bucket.
	early := bucketName("early")
	sess := createSession(t, other, early, types.SessionModeReadWrite)
	_, err := owner.CreateBucket(ctx, createBucketInput(early, testAZ))
	noErr(t, "owner CreateBucket", err)
	mustPut(t, owner, early, "obj", body)
	tryAll("session minted by another account before the bucket existed", sess, early)

	// Another account's session on its own bucket, which it deletes; the
	// owner takes the name.
	reused := bucketName("reused")
	_, err = other.CreateBucket(ctx, createBucketInput(reused, testAZ))
	noErr(t, "second account CreateBucket", err)
	old := createSession(t, other, reused, types.SessionModeReadWrite)
	r := doRaw(t, srv, rawReq{Method: "PUT", Path: objectPath(reused, "mine"), Body: []byte("x")}, sessionSigning(old))
	wantRaw(t, "second account writes its own bucket", r, http.StatusOK)
	r = doRaw(t, srv, rawReq{Method: "DELETE", Path: objectPath(reused, "mine")}, sessionSigning(old))
	wantRaw(t, "second account empties its bucket", r, http.StatusNoContent)
	_, err = other.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(reused)})
	noErr(t, "second account DeleteBucket", err)
	_, err = owner.CreateBucket(ctx, createBucketInput(reused, testAZ))
	noErr(t, "owner re-creates the name", err)
	mustPut(t, owner, reused, "obj", body)
	tryAll("session of the name's previous owner", old, reused)

	// The stock flow: a session minted before CreateBucket by the account
	// that then creates it signs CreateBucket and the first writes.
	own := bucketName("own")
	mine := createSession(t, owner, own, "")
	r = doRaw(t, srv, rawReq{Method: "PUT", Path: "/" + own, Body: createBucketXML(testAZ)}, sessionSigning(mine))
	wantRaw(t, "CreateBucket signed with a session minted before it", r, http.StatusOK)
	r = doRaw(t, srv, rawReq{Method: "PUT", Path: objectPath(own, "first"), Body: []byte("first")}, sessionSigning(mine))
	wantRaw(t, "first PutObject with that session", r, http.StatusOK)
	fresh, _ := newClient(t, srv)
	sdkBucket := mustCreateBucket(t, fresh, "sdkflow")
	mustPut(t, fresh, sdkBucket, "k", body)
	wantObject(t, "stock SDK flow", fresh, sdkBucket, "k", body)
}

// TestReadOnlySessionCannotChangeBucket (issue 11 item 2): a ReadOnly
// session signs no control-plane write; reads of configuration work.
func TestReadOnlySessionCannotChangeBucket(t *testing.T) {
	t.Parallel()
	var needles []string
	srv := sharedServer(t, &needles)
	c, _ := newClient(t, srv)
	bucket := mustCreateBucket(t, c, "rosess")
	needles = append(needles, bucket)
	ro := sessionSigning(createSession(t, c, bucket, types.SessionModeReadOnly))
	pol := []byte(policyDoc(`{"Effect":"Allow","Principal":{"AWS":"` + rootARN + `"},"Action":"s3express:CreateSession","Resource":"` + bucketARN(bucket) + `"}`))
	lc := []byte(`<LifecycleConfiguration><Rule><ID>r</ID><Status>Enabled</Status><Filter><Prefix>x/</Prefix></Filter><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>`)
	enc := []byte(`<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>`)
	for _, rr := range []rawReq{
		{Method: "PUT", Path: "/" + bucket, Query: "policy", Body: pol},
		{Method: "DELETE", Path: "/" + bucket, Query: "policy"},
		{Method: "PUT", Path: "/" + bucket, Query: "lifecycle", Body: lc},
		{Method: "DELETE", Path: "/" + bucket, Query: "lifecycle"},
		{Method: "PUT", Path: "/" + bucket, Query: "encryption", Body: enc},
		{Method: "DELETE", Path: "/" + bucket, Query: "encryption"},
		{Method: "DELETE", Path: "/" + bucket},
	} {
		r := doRaw(t, srv, rr, ro)
		wantRaw(t, "ReadOnly session "+rr.Method+" ?"+rr.Query, r, http.StatusForbidden, "AccessDenied")
	}
	r := doRaw(t, srv, rawReq{Method: "GET", Path: "/" + bucket, Query: "policy"}, ro)
	wantRaw(t, "ReadOnly session GetBucketPolicy (none set)", r, http.StatusNotFound, "NoSuchBucketPolicy")
	r = doRaw(t, srv, rawReq{Method: "GET", Path: "/" + bucket, Query: "encryption"}, ro)
	// Authorized, and none set: by default the server stores data as sent.
	wantRaw(t, "ReadOnly session GetBucketEncryption (none set)", r, http.StatusNotFound, "ServerSideEncryptionConfigurationNotFoundError")
	ctx := ctxT(t, 20*time.Second)
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("bucket gone after ReadOnly DeleteBucket: %s", describeErr(err))
	}
	// A ReadWrite session of the same principal may.
	rw := sessionSigning(createSession(t, c, bucket, types.SessionModeReadWrite))
	r = doRaw(t, srv, rawReq{Method: "DELETE", Path: "/" + bucket}, rw)
	wantRaw(t, "ReadWrite session DeleteBucket", r, http.StatusNoContent)
}

// TestPublicBucketPolicyRefused (issue 11 item 3): Block Public Access is
// always on for directory buckets.
func TestPublicBucketPolicyRefused(t *testing.T) {
	t.Parallel()
	srv := startAuthzServer(t, "")
	c, _ := newClient(t, srv)
	bucket := mustCreateBucket(t, c, "public")
	mustPut(t, c, bucket, "obj", []byte("private"))
	arn := bucketARN(bucket)
	ctx := ctxT(t, 30*time.Second)
	for what, stmt := range map[string]string{
		`Principal "*"`:              `{"Effect":"Allow","Principal":"*","Action":"s3express:CreateSession","Resource":"` + arn + `"}`,
		`Principal {"AWS":"*"}`:      `{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3express:CreateSession","Resource":"` + arn + `"}`,
		`Allow with NotPrincipal`:    `{"Effect":"Allow","NotPrincipal":{"AWS":"` + rootARN + `"},"Action":"s3express:CreateSession","Resource":"` + arn + `"}`,
		`"*" with a wide source net`: `{"Effect":"Allow","Principal":"*","Action":"s3express:CreateSession","Resource":"` + arn + `","Condition":{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}}`,
	} {
		_, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(policyDoc(stmt))})
		wantErr(t, "PutBucketPolicy with "+what, err, http.StatusForbidden, "AccessDenied")
	}
	_, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	wantErr(t, "GetBucketPolicy after refused public policies", err, http.StatusNotFound, "NoSuchBucketPolicy")
	a2, _ := newClientWithKeys(t, srv, acct2Access, acct2Secret)
	_, err = tryCreateSession(a2, bucket, "")
	wantRefused(t, "another account after refused public policies", err, http.StatusForbidden, "AccessDenied")

	// Deny statements naming everyone, and grants pinned to an account, are fine.
	ok := policyDoc(
		`{"Effect":"Deny","Principal":"*","Action":"s3express:CreateSession","Resource":"`+arn+`","Condition":{"Bool":{"aws:SecureTransport":"false"},"StringEquals":{"s3express:SessionMode":"NoSuchMode"}}}`,
		`{"Effect":"Allow","Principal":"*","Action":"s3express:CreateSession","Resource":"`+arn+`","Condition":{"StringEquals":{"aws:PrincipalAccount":"`+acct2ID+`"}}}`)
	_, err = c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(ok)})
	noErr(t, "PutBucketPolicy with a Deny * and an account-pinned grant", err)
}

// TestUnknownSubResourcesChangeNothing (issue 11 item 4): sub-resources
// zonal does not serve answer 501 before any handler runs, and made-up
// value-less names never become a write or a delete.
func TestUnknownSubResourcesChangeNothing(t *testing.T) {
	t.Parallel()
	var needles []string
	srv := sharedServer(t, &needles)
	c, _ := newClient(t, srv)
	bucket := mustCreateBucket(t, c, "subres")
	needles = append(needles, bucket)
	body := []byte("original bytes")
	mustPut(t, c, bucket, "obj", body)
	before := snapshot(t, c, bucket, "obj")
	sg := rootSigning(srv)
	xmlBody := []byte(`<ObjectEncryption><SSES3/></ObjectEncryption>`)
	newName := bucketName("abac")
	for _, tc := range []struct {
		rr     rawReq
		status int
		code   string
	}{
		{rawReq{Method: "PUT", Path: objectPath(bucket, "obj"), Query: "encryption", Body: xmlBody}, 501, "NotImplemented"},
		{rawReq{Method: "PUT", Path: objectPath(bucket, "obj"), Query: "tagging", Body: xmlBody}, 501, "NotImplemented"},
		{rawReq{Method: "PUT", Path: objectPath(bucket, "obj"), Query: "policy", Body: xmlBody}, 501, "NotImplemented"},
		{rawReq{Method: "PUT", Path: objectPath(bucket, "obj"), Query: "madeUp", Body: xmlBody}, 400, "InvalidArgument"},
		{rawReq{Method: "DELETE", Path: objectPath(bucket, "obj"), Query: "retention"}, 501, "NotImplemented"},
		{rawReq{Method: "DELETE", Path: objectPath(bucket, "obj"), Query: "madeUp"}, 400, "InvalidArgument"},
		{rawReq{Method: "PUT", Path: "/" + newName, Query: "abac", Body: createBucketXML(testAZ)}, 501, "NotImplemented"},
		{rawReq{Method: "PUT", Path: "/" + newName, Query: "metadataTable", Body: createBucketXML(testAZ)}, 501, "NotImplemented"},
		{rawReq{Method: "PUT", Path: "/" + newName, Query: "metadataConfiguration", Body: createBucketXML(testAZ)}, 501, "NotImplemented"},
		{rawReq{Method: "DELETE", Path: "/" + bucket, Query: "metadataTable"}, 501, "NotImplemented"},
		{rawReq{Method: "DELETE", Path: "/" + bucket, Query: "madeUp"}, 400, "InvalidArgument"},
	} {
		r := doRaw(t, srv, tc.rr, sg)
		wantRaw(t, tc.rr.Method+" "+tc.rr.Path+"?"+tc.rr.Query, r, tc.status, tc.code)
	}
	// S3 Control operations zonal does not serve yet answer 501 in S3
	// Control's own error form, <ErrorResponse><Error>..., which is all
	// its SDK clients can read.
	for _, rr := range []rawReq{
		{Method: "GET", Path: "/v20180820/jobs"},
		{Method: "PUT", Path: "/v20180820/storagelens/lens1"},
	} {
		r := doRaw(t, srv, rr, sg)
		var wrapped struct {
			XMLName xml.Name `xml:"ErrorResponse"`
			Code    string   `xml:"Error>Code"`
		}
		if err := xml.Unmarshal(r.Body, &wrapped); err != nil || r.Status != 501 || wrapped.Code != "NotImplemented" {
			t.Errorf("%s %s: want 501 NotImplemented in an ErrorResponse, got %s (%v)", rr.Method, rr.Path, r, err)
		}
	}
	assertUnchanged(t, "after refused sub-resources", c, bucket, "obj", before)
	ctx := ctxT(t, 20*time.Second)
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Errorf("bucket gone after DELETE ?metadataTable: %s", describeErr(err))
	}
	_, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(newName)})
	wantErr(t, "bucket made by PUT ?abac", err, http.StatusNotFound, "NotFound", "NoSuchBucket")
	// Ordinary parameters still work.
	r := doRaw(t, srv, rawReq{Method: "GET", Path: objectPath(bucket, "obj"), Query: "x-id=GetObject&response-content-type=text%2Fplain"}, sg)
	wantRaw(t, "GetObject with x-id and response-content-type", r, http.StatusOK)
	if r.Header.Get("Content-Type") != "text/plain" || !bytes.Equal(r.Body, body) {
		t.Errorf("GetObject with overrides: Content-Type %q, body %q", r.Header.Get("Content-Type"), r.Body)
	}
	// The access log names what was refused, and who asked.
	line := waitLogLine(srv, `"error_code":"NotImplemented"`, `"query":"tagging"`, `"path":"/`+bucket+`/obj"`)
	if line == "" || !strings.Contains(line, `"method":"PUT"`) || !strings.Contains(line, rootARN) {
		t.Errorf("no access-log line with method, query names and principal for a refused sub-resource: %q", line)
	}
}

// TestListBucketsShowsNoDirectoryBuckets (issue 11 item 13): general-purpose
// ListBuckets (what `aws s3 ls` and `rclone lsd` send) is empty.
func TestListBucketsShowsNoDirectoryBuckets(t *testing.T) {
	t.Parallel()
	var needles []string
	srv := sharedServer(t, &needles)
	c, _ := newClient(t, srv)
	bucket := mustCreateBucket(t, c, "listb")
	needles = append(needles, bucket)
	ctx := ctxT(t, 20*time.Second)
	out, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	noErr(t, "ListBuckets", err)
	if len(out.Buckets) != 0 {
		t.Errorf("ListBuckets listed %d buckets, want none (directory buckets are not general-purpose)", len(out.Buckets))
	}
	dl, err := c.ListDirectoryBuckets(ctx, &s3.ListDirectoryBucketsInput{}, noSessionAuth)
	noErr(t, "ListDirectoryBuckets", err)
	found := false
	for _, b := range dl.Buckets {
		found = found || aws.ToString(b.Name) == bucket
	}
	if !found {
		t.Errorf("ListDirectoryBuckets does not list %s", bucket)
	}
}

// TestConditionKeysFilled (issue 11 item 14): the s3express request-shape
// condition keys reach policies.
func TestConditionKeysFilled(t *testing.T) {
	t.Parallel()
	srv := startAuthzServer(t, "")
	root, _ := newClient(t, srv)
	bucket := mustCreateBucket(t, root, "condkeys")
	body := []byte("guarded")
	mustPut(t, root, bucket, "obj", body)
	arn := bucketARN(bucket)
	ic := iamClientFor(t, srv, srv.AccessKey, srv.SecretKey)
	u := createIAMUser(t, ic, "carol")
	deny := func(cond string) string {
		return `{"Effect":"Deny","Action":"s3express:CreateSession","Resource":"` + arn + `","Condition":` + cond + `}`
	}
	putUserPolicy(t, ic, "carol", "p", policyDoc(allowSession(arn, ""),
		deny(`{"StringEquals":{"s3express:x-amz-content-sha256":"UNSIGNED-PAYLOAD"}}`),
		deny(`{"NumericGreaterThan":{"s3express:signatureAge":"60000"}}`),
		deny(`{"StringEquals":{"s3express:authType":"REST-QUERY-STRING"}}`),
		deny(`{"StringNotEquals":{"s3express:signatureversion":"AWS4-HMAC-SHA256"}}`),
		deny(`{"Null":{"s3express:TlsVersion":"true"},"StringEquals":{"aws:userid":"`+u.UserID+`"},"Bool":{"aws:SecureTransport":"false"},"StringLike":{"s3express:authType":"REST-HEADER*"},"NumericLessThan":{"s3express:signatureAge":"1"}}`),
	))
	sg := &signing{AccessKey: u.AK, SecretKey: u.SK}
	get := rawReq{Method: "GET", Path: objectPath(bucket, "obj")}
	r := doRaw(t, srv, get, sg)
	wantRaw(t, "signed payload, fresh header signature", r, http.StatusOK)

	unsigned := *sg
	unsigned.PayloadHash = "UNSIGNED-PAYLOAD"
	r = doRaw(t, srv, get, &unsigned)
	wantRaw(t, "s3express:x-amz-content-sha256 = UNSIGNED-PAYLOAD denied", r, http.StatusForbidden, "AccessDenied")

	aged := *sg
	aged.Time = time.Now().Add(-3 * time.Minute)
	r = doRaw(t, srv, get, &aged)
	wantRaw(t, "s3express:signatureAge over 60 s denied", r, http.StatusForbidden, "AccessDenied")

	req, err := http.NewRequest("GET", srv.Endpoint+objectPath(bucket, "obj"), nil)
	if err != nil {
		t.Fatal(err)
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	q := req.URL.Query()
	q.Set("X-Amz-Expires", "300")
	req.URL.RawQuery = q.Encode()
	u2, _, err := signer.PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: u.AK, SecretAccessKey: u.SK},
		req, "UNSIGNED-PAYLOAD", "s3express", testRegion, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r = fetchURL(t, "GET", u2, nil)
	wantRaw(t, "s3express:authType = REST-QUERY-STRING denied", r, http.StatusForbidden, "AccessDenied")

	// A policy that denies requests without TLS, as copied from AWS.
	putUserPolicy(t, ic, "carol", "p", policyDoc(allowSession(arn, ""), deny(`{"Null":{"s3express:TlsVersion":"true"}}`)))
	r = doRaw(t, srv, get, sg)
	if tlsMode {
		wantRaw(t, "over TLS with a deny on missing s3express:TlsVersion", r, http.StatusOK)
	} else {
		wantRaw(t, "plain HTTP with a deny on missing s3express:TlsVersion", r, http.StatusForbidden, "AccessDenied")
	}
	putUserPolicy(t, ic, "carol", "p", policyDoc(allowSession(arn, ""), deny(`{"NumericLessThan":{"s3express:TlsVersion":"1.2"}}`)))
	r = doRaw(t, srv, get, sg)
	wantRaw(t, "TLS version at least 1.2, or none", r, http.StatusOK)
}

// TestExpectedBucketOwnerAndLocationConstraint (issue 11 item 15).
func TestExpectedBucketOwnerAndLocationConstraint(t *testing.T) {
	t.Parallel()
	var needles []string
	srv := sharedServer(t, &needles)
	c, _ := newClient(t, srv)
	bucket := mustCreateBucket(t, c, "owner")
	needles = append(needles, bucket)
	mustPut(t, c, bucket, "obj", []byte("x"))
	ctx := ctxT(t, 30*time.Second)
	_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("obj"), ExpectedBucketOwner: aws.String(acct2ID)})
	wantErr(t, "GetObject expecting another owner", err, http.StatusForbidden, "AccessDenied")
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("obj"), Body: strings.NewReader("changed"), ExpectedBucketOwner: aws.String(acct2ID)})
	wantErr(t, "PutObject expecting another owner", err, http.StatusForbidden, "AccessDenied")
	_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket), ExpectedBucketOwner: aws.String(acct2ID)})
	wantErr(t, "HeadBucket expecting another owner", err, http.StatusForbidden, "Forbidden", "AccessDenied")
	_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), ExpectedBucketOwner: aws.String(acct2ID)})
	wantErr(t, "ListObjectsV2 expecting another owner", err, http.StatusForbidden, "AccessDenied")
	assertBytes(t, "after refused writes", c, bucket, "obj", []byte("x"))
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy"),
		CopySource: aws.String(bucket + "/obj"), ExpectedSourceBucketOwner: aws.String(acct2ID)})
	wantErr(t, "CopyObject expecting another source owner", err, http.StatusForbidden, "AccessDenied")
	assertAbsent(t, "refused copy", c, bucket, "copy")
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy"),
		CopySource: aws.String(bucket + "/obj"), ExpectedSourceBucketOwner: aws.String(testAccountID), ExpectedBucketOwner: aws.String(testAccountID)})
	noErr(t, "CopyObject expecting the right owners", err)
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("obj"), ExpectedBucketOwner: aws.String(testAccountID)})
	noErr(t, "GetObject expecting the right owner", err)
	out.Body.Close()

	name := bucketName("locc")
	r := doRaw(t, srv, rawReq{Method: "PUT", Path: "/" + name, Body: []byte(
		`<CreateBucketConfiguration><LocationConstraint>us-west-2</LocationConstraint></CreateBucketConfiguration>`)}, rootSigning(srv))
	wantRaw(t, "CreateBucket with a LocationConstraint", r, http.StatusBadRequest, "InvalidLocationConstraint")
}
