package e2e

// End-to-end authorization tests (issue 3, "Must show"): identities are
// managed with the stock aws-sdk-go-v2 IAM client, checked with the stock
// STS client, and the stock S3 client is refused or let in the way AWS
// decides for S3 Express One Zone. Each test runs its own server started
// with a --config file that declares a second account.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"
)

// The second account, declared in the configuration file.
const (
	acct2ID     = "222233334444"
	acct2Access = "AKIAZONALACCT2000001"
	acct2Secret = "zonalAcct2SecretKey000000000000000000002" // 40 chars
	acct2Root   = "arn:aws:iam::" + acct2ID + ":root"
	rootARN     = "arn:aws:iam::" + testAccountID + ":root"
)

// startAuthzServer starts a dedicated server whose YAML configuration file
// declares the second account. ttl is --session-ttl ("" = default 5m).
func startAuthzServer(t *testing.T, ttl string) *zonalServer {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "zonal.yaml")
	doc := "# e2e authorization tests\naccounts:\n" +
		"  - id: \"" + acct2ID + "\"\n" +
		"    root_access_key_id: " + acct2Access + "\n" +
		"    root_secret_access_key: " + acct2Secret + "\n"
	if err := os.WriteFile(cfg, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return startServer(t, serverOpts{SessionTTL: ttl, ExtraArgs: []string{"--config", cfg}})
}

// sdkConfigFor is a stock SDK configuration with static keys: only the
// region, the credentials and a quiet logger are set.
func sdkConfigFor(t testing.TB, ak, sk string) aws.Config {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion(testRegion),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(ak, sk, "")),
		config.WithLogger(logging.Nop{}),
	)
	if err != nil {
		t.Fatalf("LoadDefaultConfig: %v", err)
	}
	return cfg
}

func iamClientFor(t testing.TB, srv *zonalServer, ak, sk string) *awsiam.Client {
	return awsiam.NewFromConfig(sdkConfigFor(t, ak, sk), func(o *awsiam.Options) {
		o.BaseEndpoint = aws.String(srv.Endpoint)
		if len(srv.nodes) > 1 {
			o.APIOptions = append(o.APIOptions, awaitIAMPropagation)
		}
	})
}

// iamPropagation bounds how long an IAM change takes to reach the other
// nodes (they poll the catalog every 250 ms; the documented bound is 1 s).
const iamPropagation = time.Second

// awaitIAMPropagation makes a successful IAM write return only once every
// node has seen it. IAM is eventually consistent on AWS too (its docs
// tell callers to wait before using a new user, key or policy); without
// this, the next request, sent to another node, could still see the old
// identities in ZONAL_E2E_NODES mode.
func awaitIAMPropagation(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("awaitIAMPropagation",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleInitialize(ctx, in)
			op := awsmiddleware.GetOperationName(ctx)
			if err == nil && !strings.HasPrefix(op, "Get") && !strings.HasPrefix(op, "List") {
				time.Sleep(iamPropagation)
			}
			return out, md, err
		}), middleware.After)
}

func stsClientFor(t testing.TB, srv *zonalServer, ak, sk string) *sts.Client {
	return sts.NewFromConfig(sdkConfigFor(t, ak, sk), func(o *sts.Options) { o.BaseEndpoint = aws.String(srv.Endpoint) })
}

// iamUser is a user created through the IAM API, with one access key.
type iamUser struct {
	Name, ARN, UserID string
	AK, SK            string
}

// createIAMUser creates a user and an access key with the given IAM client.
func createIAMUser(t testing.TB, ic *awsiam.Client, name string) iamUser {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cu, err := ic.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String(name)})
	noErr(t, "IAM CreateUser "+name, err)
	ck, err := ic.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String(name)})
	noErr(t, "IAM CreateAccessKey "+name, err)
	return iamUser{Name: name, ARN: aws.ToString(cu.User.Arn), UserID: aws.ToString(cu.User.UserId),
		AK: aws.ToString(ck.AccessKey.AccessKeyId), SK: aws.ToString(ck.AccessKey.SecretAccessKey)}
}

// putUserPolicy attaches (or replaces) an inline policy.
func putUserPolicy(t testing.TB, ic *awsiam.Client, user, name, doc string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := ic.PutUserPolicy(ctx, &awsiam.PutUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String(name), PolicyDocument: aws.String(doc)})
	noErr(t, "IAM PutUserPolicy "+user+"/"+name, err)
}

// policyDoc wraps statements (JSON objects) in a policy document.
func policyDoc(stmts ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

// allowSession is an identity-policy statement allowing CreateSession on
// the bucket ARN, optionally restricted to one session mode.
func allowSession(arn, mode string) string {
	cond := ""
	if mode != "" {
		cond = `,"Condition":{"StringEquals":{"s3express:SessionMode":"` + mode + `"}}`
	}
	return `{"Effect":"Allow","Action":"s3express:CreateSession","Resource":"` + arn + `"` + cond + `}`
}

// userClient is a stock S3 client (session auth, the SDK default) for keys.
func userClient(t testing.TB, srv *zonalServer, ak, sk string) (*s3.Client, *wire) {
	t.Helper()
	return newClientWithKeys(t, srv, ak, sk)
}

func tryPut(c *s3.Client, bucket, key string, body []byte, optFns ...func(*s3.Options)) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}, optFns...)
	return err
}

func tryGet(c *s3.Client, bucket, key string, optFns ...func(*s3.Options)) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}, optFns...)
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}

func tryCreateSession(c *s3.Client, bucket string, mode types.SessionMode) (*s3.CreateSessionOutput, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return c.CreateSession(ctx, &s3.CreateSessionInput{Bucket: aws.String(bucket), SessionMode: mode})
}

// wantGet asserts a GetObject succeeds with the given body.
func wantGet(t testing.TB, what string, c *s3.Client, bucket, key string, want []byte, optFns ...func(*s3.Options)) {
	t.Helper()
	got, err := tryGet(c, bucket, key, optFns...)
	if err != nil {
		t.Errorf("%s: GetObject %s/%s: %s", what, bucket, key, describeErr(err))
		return
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: GetObject %s/%s body %q, want %q", what, bucket, key, got, want)
	}
}

// The Go SDK reports a failed implicit CreateSession (session auth) as a
// credentials error whose chain no longer holds the API error, only its
// text ("... https response error StatusCode: 403, ... api error
// AccessDenied: ..."). authzErrInfo reads the answer from either.
var (
	statusRe = regexp.MustCompile(`StatusCode: (\d+)`)
	codeRe   = regexp.MustCompile(`api error ([A-Za-z0-9.]+):`)
)

func authzErrInfo(err error) errInfo {
	ei := inspectErr(err)
	if ei.Status == 0 {
		msg := err.Error()
		if m := statusRe.FindAllStringSubmatch(msg, -1); m != nil {
			ei.Status, _ = strconv.Atoi(m[len(m)-1][1])
		}
		if m := codeRe.FindAllStringSubmatch(msg, -1); m != nil && ei.Code == "" {
			ei.Code = m[len(m)-1][1]
		}
	}
	return ei
}

func describeAuthzErr(err error) string {
	ei := authzErrInfo(err)
	return fmt.Sprintf("HTTP %d %s (%v)", ei.Status, ei.Code, err)
}

// wantRefused asserts err is the server's answer with this HTTP status and
// one of the codes, whether it came from the operation itself or from the
// SDK's implicit CreateSession.
func wantRefused(t testing.TB, what string, err error, status int, codes ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: expected HTTP %d %v, got success", what, status, codes)
		return
	}
	ei := authzErrInfo(err)
	ok := ei.Status == status && len(codes) == 0
	for _, c := range codes {
		ok = ok || (ei.Status == status && ei.Code == c)
	}
	if !ok {
		t.Errorf("%s: expected HTTP %d %v; got HTTP %d %q (%v)", what, status, codes, ei.Status, ei.Code, err)
	}
}

// waitLogLine returns the first server log line containing every needle,
// polling briefly (the log is written by another process).
func waitLogLine(srv *zonalServer, needles ...string) string {
	deadline := time.Now().Add(3 * time.Second)
	for {
		for _, line := range strings.Split(srv.Log(), "\n") {
			all := true
			for _, n := range needles {
				if !strings.Contains(line, n) {
					all = false
					break
				}
			}
			if all {
				return line
			}
		}
		if time.Now().After(deadline) {
			return ""
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// countLogLines counts the server log lines containing every needle.
func countLogLines(srv *zonalServer, needles ...string) int {
	n := 0
	for _, line := range strings.Split(srv.Log(), "\n") {
		all := true
		for _, nd := range needles {
			all = all && strings.Contains(line, nd)
		}
		if all {
			n++
		}
	}
	return n
}

// wantDenialLogged asserts the server logged an "access denied" line with
// every needle (principal, resource, reason...).
func wantDenialLogged(t testing.TB, srv *zonalServer, what string, needles ...string) string {
	t.Helper()
	line := waitLogLine(srv, append([]string{"access denied"}, needles...)...)
	if line == "" {
		t.Errorf("%s: no server log line with \"access denied\" and %q; denial lines:\n%s", what, needles, srv.LogGrep(20, "access denied"))
	}
	return line
}

// wantNoSecretsLogged asserts none of the secrets appears in the server log.
func wantNoSecretsLogged(t testing.TB, srv *zonalServer, secrets ...string) {
	t.Helper()
	data := srv.Log()
	for _, s := range secrets {
		if s != "" && strings.Contains(data, s) {
			t.Errorf("the server log contains a secret access key (%.4s...)", s)
		}
	}
}

// TestAuthzUserRefusedUntilPolicy: root creates a user and keys with the IAM
// client; the user's stock S3 client is refused (its implicit CreateSession
// answers 403 AccessDenied) until an inline policy allows
// s3express:CreateSession on the bucket ARN; then put and get work.
func TestAuthzUserRefusedUntilPolicy(t *testing.T) {
	t.Parallel()
	srv := startAuthzServer(t, "")
	root, _ := newClient(t, srv)
	rootIAM := iamClientFor(t, srv, srv.AccessKey, srv.SecretKey)
	bucket := mustCreateBucket(t, root, "alice")
	other := mustCreateBucket(t, root, "alice-other")
	mustPut(t, root, other, "x", []byte("other"))

	alice := createIAMUser(t, rootIAM, "alice")
	if alice.ARN != "arn:aws:iam::000000000000:user/alice" {
		t.Errorf("CreateUser alice: Arn %q", alice.ARN)
	}
	ac, aw := userClient(t, srv, alice.AK, alice.SK)
	body := []byte("alice was here")

	err := tryPut(ac, bucket, "hello.txt", body)
	wantRefused(t, "alice PutObject without a policy", err, http.StatusForbidden, "AccessDenied")
	var cs, puts int
	for _, e := range aw.Entries() {
		switch {
		case e.IsCreateSession():
			cs++
			if e.Status != http.StatusForbidden || e.AccessKey() != alice.AK {
				t.Errorf("alice's implicit CreateSession: %s; want 403 signed with her key", e)
			}
		case e.Method == http.MethodPut:
			puts++
		}
	}
	if cs == 0 || puts != 0 {
		t.Errorf("alice PutObject without a policy: want a refused CreateSession and no PUT on the wire, got:\n%s", aw.Dump())
	}
	wantDenialLogged(t, srv, "alice refused", alice.ARN, "s3express:CreateSession", bucketARN(bucket), "no statement allowed")
	// "Every denied request writes one log line."
	if n := countLogLines(srv, "access denied", alice.ARN); n != cs {
		t.Errorf("SERVER BUG: %d refused CreateSession request(s) wrote %d \"access denied\" log lines, want one each:\n%s",
			cs, n, srv.LogGrep(10, alice.ARN))
	}

	putUserPolicy(t, rootIAM, "alice", "session", policyDoc(allowSession(bucketARN(bucket), "")))

	// The same client (its failed CreateSession is not cached) now gets in.
	if err := tryPut(ac, bucket, "hello.txt", body); err != nil {
		t.Fatalf("alice PutObject with a CreateSession policy: %s\nwire:\n%s", describeErr(err), aw.Dump())
	}
	wantGet(t, "alice GetObject with a policy", ac, bucket, "hello.txt", body)
	wantGet(t, "root reads alice's object", root, bucket, "hello.txt", body)

	// The policy names one bucket: the other stays closed.
	_, err = tryGet(ac, other, "x")
	wantRefused(t, "alice GetObject on a bucket her policy does not name", err, http.StatusForbidden, "AccessDenied")
	wantNoSecretsLogged(t, srv, alice.SK, srv.SecretKey)
}

// TestAuthzReadOnlySessionPolicy: an identity policy that allows only
// ReadOnly sessions. The SDK's implicit CreateSession names no mode, so the
// server falls back to ReadOnly: reads work, writes are refused; an explicit
// ReadWrite CreateSession is refused and a ReadOnly one succeeds.
func TestAuthzReadOnlySessionPolicy(t *testing.T) {
	t.Parallel()
	srv := startAuthzServer(t, "")
	root, _ := newClient(t, srv)
	rootIAM := iamClientFor(t, srv, srv.AccessKey, srv.SecretKey)
	bucket := mustCreateBucket(t, root, "bob")
	seed := []byte("seed object")
	mustPut(t, root, bucket, "seed.txt", seed)

	bob := createIAMUser(t, rootIAM, "bob")
	putUserPolicy(t, rootIAM, "bob", "read-only", policyDoc(allowSession(bucketARN(bucket), "ReadOnly")))
	ctx := ctxT(t, 30*time.Second)

	bc, bw := userClient(t, srv, bob.AK, bob.SK)
	wantGet(t, "bob GetObject (ReadOnly session)", bc, bucket, "seed.txt", seed)
	lo, err := bc.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil {
		t.Errorf("bob ListObjectsV2: %s", describeErr(err))
	} else if len(lo.Contents) != 1 || aws.ToString(lo.Contents[0].Key) != "seed.txt" {
		t.Errorf("bob ListObjectsV2: %d keys, want [seed.txt]", len(lo.Contents))
	}
	// The implicit CreateSession carried no mode header and was granted.
	for _, e := range bw.Entries() {
		if e.IsCreateSession() && (e.ReqHeader.Get("X-Amz-Create-Session-Mode") != "" || e.Status != http.StatusOK) {
			t.Errorf("bob's implicit CreateSession: %s (mode header %q); want 200 with no mode",
				e, e.ReqHeader.Get("X-Amz-Create-Session-Mode"))
		}
	}
	if _, err := bc.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("seed.txt")}); err != nil {
		t.Errorf("bob HeadObject (ReadOnly session): %s", describeAuthzErr(err))
	}
	// SDKs session-sign HeadBucket; a ReadOnly session must pass (aws-sdk-go-v2#3204).
	if _, err := bc.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Errorf("bob HeadBucket (ReadOnly session): %s", describeAuthzErr(err))
	}
	err = tryPut(bc, bucket, "bob.txt", []byte("nope"))
	wantRefused(t, "bob PutObject with his ReadOnly session", err, http.StatusForbidden, "AccessDenied")
	_, err = bc.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("seed.txt")})
	wantRefused(t, "bob DeleteObject with his ReadOnly session", err, http.StatusForbidden, "AccessDenied")

	// A fresh client whose first call is a write: CreateSession grants
	// ReadOnly (the fallback), and the PUT is refused.
	bc2, bw2 := userClient(t, srv, bob.AK, bob.SK)
	err = tryPut(bc2, bucket, "bob.txt", []byte("nope"))
	wantRefused(t, "bob PutObject from a fresh client", err, http.StatusForbidden, "AccessDenied")
	if n := bw2.CountCreateSession(); n != 1 {
		t.Errorf("fresh client: %d CreateSession, want 1:\n%s", n, bw2.Dump())
	}

	// Explicit CreateSession.
	_, err = tryCreateSession(bc, bucket, types.SessionModeReadWrite)
	wantRefused(t, "bob CreateSession ReadWrite", err, http.StatusForbidden, "AccessDenied")
	wantDenialLogged(t, srv, "bob ReadWrite refused", bob.ARN, "s3express:CreateSession", bucketARN(bucket))
	ro, err := tryCreateSession(bc, bucket, types.SessionModeReadOnly)
	if err != nil {
		t.Fatalf("bob CreateSession ReadOnly: %s", describeErr(err))
	}
	sg := sessionSigning(ro.Credentials)
	wantRaw(t, "GET with bob's explicit ReadOnly session", doRaw(t, srv, rawReq{Method: http.MethodGet, Path: objectPath(bucket, "seed.txt")}, sg), http.StatusOK)
	wantRaw(t, "PUT with bob's explicit ReadOnly session", doRaw(t, srv, rawReq{Method: http.MethodPut, Path: objectPath(bucket, "bob.txt"), Body: []byte("x")}, sg),
		http.StatusForbidden, "AccessDenied")

	// Long-term-key requests are decided as a CreateSession of the needed mode.
	wantGet(t, "bob GetObject signed with his key", bc, bucket, "seed.txt", seed, noSessionAuth)
	err = tryPut(bc, bucket, "bob.txt", []byte("nope"), noSessionAuth)
	wantRefused(t, "bob PutObject signed with his key", err, http.StatusForbidden, "AccessDenied")

	if _, err := tryGet(root, bucket, "bob.txt"); err == nil {
		t.Errorf("bob.txt exists: a refused write was stored")
	}
	wantGet(t, "seed.txt after bob's refused delete", root, bucket, "seed.txt", seed)

	// GetBucketPolicy is a regional action: s3express:GetBucketPolicy in
	// the identity policy is all AWS requires. The SDK session-signs it
	// with a custom endpoint, and bob's sessions are ReadOnly.
	_, err = root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(policyDoc(
		`{"Effect":"Allow","Principal":{"AWS":"` + acct2Root + `"},"Action":"s3express:CreateSession","Resource":"` + bucketARN(bucket) +
			`","Condition":{"StringEquals":{"s3express:SessionMode":"ReadOnly"}}}`))})
	noErr(t, "root PutBucketPolicy", err)
	_, err = bc.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)}, noSessionAuth)
	wantRefused(t, "bob GetBucketPolicy without s3express:GetBucketPolicy", err, http.StatusForbidden, "AccessDenied")
	putUserPolicy(t, rootIAM, "bob", "read-policy", policyDoc(`{"Effect":"Allow","Action":"s3express:GetBucketPolicy","Resource":"`+bucketARN(bucket)+`"}`))
	if _, err := bc.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)}, noSessionAuth); err != nil {
		t.Errorf("bob GetBucketPolicy (his key) with s3express:GetBucketPolicy: %s", describeAuthzErr(err))
	}
	if _, err := bc.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)}); err != nil {
		t.Errorf("SERVER BUG: bob GetBucketPolicy (stock client, ReadOnly session) with s3express:GetBucketPolicy: %s; "+
			"a session-signed control-plane request is refused by the ReadOnly operation list before the identity policy is consulted",
			describeAuthzErr(err))
	}
}

// TestAuthzExplicitDenyWins: s3express:* Allow plus a Deny on CreateSession
// for one bucket. The Deny wins, and the server log names the principal and
// the deciding statement.
func TestAuthzExplicitDenyWins(t *testing.T) {
	t.Parallel()
	srv := startAuthzServer(t, "")
	root, _ := newClient(t, srv)
	rootIAM := iamClientFor(t, srv, srv.AccessKey, srv.SecretKey)
	denied := mustCreateBucket(t, root, "carol-denied")
	open := mustCreateBucket(t, root, "carol-open")
	mustPut(t, root, denied, "obj", []byte("denied"))
	mustPut(t, root, open, "obj", []byte("open"))

	carol := createIAMUser(t, rootIAM, "carol")
	putUserPolicy(t, rootIAM, "carol", "allow-all", policyDoc(`{"Sid":"AllowAll","Effect":"Allow","Action":"s3express:*","Resource":"*"}`))
	putUserPolicy(t, rootIAM, "carol", "deny-one", policyDoc(
		`{"Sid":"DenySessions","Effect":"Deny","Action":"s3express:CreateSession","Resource":"`+bucketARN(denied)+`"}`))

	cc, _ := userClient(t, srv, carol.AK, carol.SK)
	wantGet(t, "carol on the bucket only the Allow covers", cc, open, "obj", []byte("open"))
	_, err := tryGet(cc, denied, "obj")
	wantRefused(t, "carol GetObject on the denied bucket", err, http.StatusForbidden, "AccessDenied")
	err = tryPut(cc, denied, "new", []byte("x"))
	wantRefused(t, "carol PutObject on the denied bucket", err, http.StatusForbidden, "AccessDenied")
	_, err = tryCreateSession(cc, denied, types.SessionModeReadOnly)
	wantRefused(t, "carol CreateSession ReadOnly on the denied bucket", err, http.StatusForbidden, "AccessDenied")
	_, err = tryGet(cc, denied, "obj", noSessionAuth)
	wantRefused(t, "carol GetObject with her key on the denied bucket", err, http.StatusForbidden, "AccessDenied")

	line := wantDenialLogged(t, srv, "carol's explicit deny", carol.ARN, "s3express:CreateSession", bucketARN(denied), "explicit deny", "DenySessions")
	if line != "" && !strings.Contains(line, "deny-one") {
		t.Errorf("the denial line does not name the deciding policy deny-one: %s", line)
	}
	t.Logf("denial log line: %s", line)
	wantNoSecretsLogged(t, srv, carol.SK)
}

// TestAuthzInactiveAndDeletedKeys: an Inactive or deleted key is refused
// with 403 InvalidAccessKeyId; a session minted before the change keeps
// working until it expires (AWS behaviour), then the client is refused.
func TestAuthzInactiveAndDeletedKeys(t *testing.T) {
	t.Parallel()
	const ttl = 4 * time.Second
	srv := startAuthzServer(t, ttl.String())
	root, _ := newClient(t, srv)
	rootIAM := iamClientFor(t, srv, srv.AccessKey, srv.SecretKey)
	bucket := mustCreateBucket(t, root, "dave")
	body := []byte("dave's data")
	mustPut(t, root, bucket, "obj", body)

	dave := createIAMUser(t, rootIAM, "dave")
	putUserPolicy(t, rootIAM, "dave", "session", policyDoc(allowSession(bucketARN(bucket), "")))
	ctx := ctxT(t, 30*time.Second)
	ck2, err := rootIAM.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String("dave")})
	noErr(t, "IAM CreateAccessKey (second)", err)
	ak2, sk2 := aws.ToString(ck2.AccessKey.AccessKeyId), aws.ToString(ck2.AccessKey.SecretAccessKey)

	// Key 1: the client mints a session, then the key is deactivated.
	dc, dw := userClient(t, srv, dave.AK, dave.SK)
	if err := tryPut(dc, bucket, "dave.txt", body); err != nil {
		t.Fatalf("dave PutObject with an active key: %s", describeErr(err))
	}
	_, err = rootIAM.UpdateAccessKey(ctx, &awsiam.UpdateAccessKeyInput{UserName: aws.String("dave"),
		AccessKeyId: aws.String(dave.AK), Status: iamtypes.StatusTypeInactive})
	noErr(t, "IAM UpdateAccessKey Inactive", err)
	deactivated := time.Now()

	// The session minted before the change still works.
	wantGet(t, "dave's existing session right after deactivation", dc, bucket, "obj", body)

	// New requests with the key are refused.
	fresh, _ := userClient(t, srv, dave.AK, dave.SK)
	_, err = tryGet(fresh, bucket, "obj")
	wantRefused(t, "fresh client with an Inactive key", err, http.StatusForbidden, "InvalidAccessKeyId")
	_, err = tryCreateSession(fresh, bucket, "")
	wantRefused(t, "CreateSession with an Inactive key", err, http.StatusForbidden, "InvalidAccessKeyId")
	_, err = tryGet(fresh, bucket, "obj", noSessionAuth)
	wantRefused(t, "GetObject signed with an Inactive key", err, http.StatusForbidden, "InvalidAccessKeyId")
	_, err = stsClientFor(t, srv, dave.AK, dave.SK).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantRefused(t, "STS GetCallerIdentity with an Inactive key", err, http.StatusForbidden, "InvalidClientTokenId")

	// Once the session expires, the existing client must mint a new one and is refused.
	var lastErr error
	for time.Since(deactivated) < ttl+3*time.Second {
		if _, lastErr = tryGet(dc, bucket, "obj"); lastErr != nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if lastErr == nil {
		t.Errorf("dave's client kept working %v after deactivation with --session-ttl %v:\n%s", time.Since(deactivated).Round(time.Millisecond), ttl, dw.Dump())
	} else {
		wantRefused(t, "dave's client after its session expired", lastErr, http.StatusForbidden, "InvalidAccessKeyId")
	}

	// Reactivated, the key works again.
	_, err = rootIAM.UpdateAccessKey(ctx, &awsiam.UpdateAccessKeyInput{UserName: aws.String("dave"),
		AccessKeyId: aws.String(dave.AK), Status: iamtypes.StatusTypeActive})
	noErr(t, "IAM UpdateAccessKey Active", err)
	again, _ := userClient(t, srv, dave.AK, dave.SK)
	wantGet(t, "dave after reactivation", again, bucket, "obj", body)

	// Key 2: works, then is deleted and refused.
	k2, _ := userClient(t, srv, ak2, sk2)
	wantGet(t, "dave's second key", k2, bucket, "obj", body)
	_, err = rootIAM.DeleteAccessKey(ctx, &awsiam.DeleteAccessKeyInput{UserName: aws.String("dave"), AccessKeyId: aws.String(ak2)})
	noErr(t, "IAM DeleteAccessKey", err)
	k2fresh, _ := userClient(t, srv, ak2, sk2)
	_, err = tryGet(k2fresh, bucket, "obj")
	wantRefused(t, "fresh client with a deleted key", err, http.StatusForbidden, "InvalidAccessKeyId")
	_, err = tryCreateSession(k2fresh, bucket, types.SessionModeReadOnly)
	wantRefused(t, "CreateSession with a deleted key", err, http.StatusForbidden, "InvalidAccessKeyId")
	err = tryPut(k2fresh, bucket, "obj2", body, noSessionAuth)
	wantRefused(t, "PutObject signed with a deleted key", err, http.StatusForbidden, "InvalidAccessKeyId")
}

// jsonEqual reports whether two JSON documents are equal as values.
func jsonEqual(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

// TestAuthzCrossAccountBucketPolicy: the second account (from the config
// file) gets in only through a bucket policy naming it and loses access
// when the policy is deleted; the bucket policy API answers as AWS does.
func TestAuthzCrossAccountBucketPolicy(t *testing.T) {
	t.Parallel()
	srv := startAuthzServer(t, "")
	root, _ := newClient(t, srv)
	bucket := mustCreateBucket(t, root, "xacct")
	body := []byte("owned by the default account")
	mustPut(t, root, bucket, "obj", body)
	ctx := ctxT(t, 45*time.Second)
	arn := bucketARN(bucket)

	// A user of the second account, created by that account's root.
	acct2IAM := iamClientFor(t, srv, acct2Access, acct2Secret)
	eve := createIAMUser(t, acct2IAM, "eve")
	if eve.ARN != "arn:aws:iam::"+acct2ID+":user/eve" {
		t.Errorf("second account's user: Arn %q", eve.ARN)
	}

	// Before any bucket policy.
	a2, _ := userClient(t, srv, acct2Access, acct2Secret)
	_, err := tryGet(a2, bucket, "obj")
	wantRefused(t, "second account GetObject without a bucket policy", err, http.StatusForbidden, "AccessDenied")
	_, err = tryCreateSession(a2, bucket, "")
	wantRefused(t, "second account CreateSession without a bucket policy", err, http.StatusForbidden, "AccessDenied")
	wantDenialLogged(t, srv, "second account refused", acct2Root, "s3express:CreateSession", arn)

	_, err = root.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	wantRefused(t, "GetBucketPolicy with none", err, http.StatusNotFound, "NoSuchBucketPolicy")

	bad := policyDoc(`{"Effect":"Allow","Principal":{"AWS":"` + acct2Root + `"},"Action":"s3express:CreateBucket","Resource":"` + arn + `"}`)
	_, err = root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(bad)})
	wantRefused(t, "PutBucketPolicy naming s3express:CreateBucket", err, http.StatusBadRequest, "MalformedPolicy")

	pol := policyDoc(`{"Sid":"CrossAccount","Effect":"Allow","Principal":{"AWS":["` + acct2Root + `"]},"Action":["s3express:CreateSession"],"Resource":"` + arn + `"}`)
	_, err = a2.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(pol)})
	wantRefused(t, "PutBucketPolicy by another account", err, http.StatusForbidden, "AccessDenied")
	_, err = a2.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(pol)}, noSessionAuth)
	wantRefused(t, "PutBucketPolicy by another account, signed with its key", err, http.StatusForbidden, "AccessDenied")
	wantDenialLogged(t, srv, "PutBucketPolicy by another account", acct2Root, "s3express:PutBucketPolicy", arn)
	_, err = root.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	wantRefused(t, "GetBucketPolicy after refused puts", err, http.StatusNotFound, "NoSuchBucketPolicy")

	_, err = root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(pol)})
	noErr(t, "owner PutBucketPolicy", err)
	gp, err := root.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	noErr(t, "owner GetBucketPolicy", err)
	if !jsonEqual(aws.ToString(gp.Policy), pol) {
		t.Errorf("GetBucketPolicy = %s\nwant %s", aws.ToString(gp.Policy), pol)
	}
	_, err = a2.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	wantRefused(t, "GetBucketPolicy by another account", err, http.StatusForbidden, "AccessDenied")

	// The second account's root is in: read and write.
	a2in, _ := userClient(t, srv, acct2Access, acct2Secret)
	wantGet(t, "second account GetObject through the bucket policy", a2in, bucket, "obj", body)
	if err := tryPut(a2in, bucket, "from-acct2", []byte("hello from 2222")); err != nil {
		t.Errorf("second account PutObject through the bucket policy: %s", describeErr(err))
	}
	wantGet(t, "owner reads the second account's object", root, bucket, "from-acct2", []byte("hello from 2222"))
	if _, err := tryCreateSession(a2in, bucket, types.SessionModeReadWrite); err != nil {
		t.Errorf("second account CreateSession ReadWrite through the bucket policy: %s", describeErr(err))
	}

	// Cross-account needs both sides: eve (account 2) without an identity
	// policy is refused even though the bucket policy names her account.
	ec, _ := userClient(t, srv, eve.AK, eve.SK)
	_, err = tryGet(ec, bucket, "obj")
	wantRefused(t, "eve (account 2) without an identity policy", err, http.StatusForbidden, "AccessDenied")
	putUserPolicy(t, acct2IAM, "eve", "xacct", policyDoc(allowSession(arn, "")))
	ec2, _ := userClient(t, srv, eve.AK, eve.SK)
	wantGet(t, "eve with identity and bucket policy", ec2, bucket, "obj", body)

	// Delete the policy: new sessions are refused.
	_, err = a2.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(bucket)})
	wantRefused(t, "DeleteBucketPolicy by another account", err, http.StatusForbidden, "AccessDenied")
	_, err = root.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(bucket)})
	noErr(t, "owner DeleteBucketPolicy", err)
	_, err = root.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	wantRefused(t, "GetBucketPolicy after delete", err, http.StatusNotFound, "NoSuchBucketPolicy")

	a2after, _ := userClient(t, srv, acct2Access, acct2Secret)
	_, err = tryGet(a2after, bucket, "obj")
	wantRefused(t, "second account after DeleteBucketPolicy (fresh client)", err, http.StatusForbidden, "AccessDenied")
	_, err = tryCreateSession(a2after, bucket, types.SessionModeReadOnly)
	wantRefused(t, "second account CreateSession after DeleteBucketPolicy", err, http.StatusForbidden, "AccessDenied")
	_, err = tryGet(a2after, bucket, "obj", noSessionAuth)
	wantRefused(t, "second account GetObject signed with its key after DeleteBucketPolicy", err, http.StatusForbidden, "AccessDenied")
	ec3, _ := userClient(t, srv, eve.AK, eve.SK)
	_, err = tryGet(ec3, bucket, "obj")
	wantRefused(t, "eve after DeleteBucketPolicy (fresh client)", err, http.StatusForbidden, "AccessDenied")

	// A session minted before the change works until it expires (AWS behaviour).
	wantGet(t, "second account's session minted before DeleteBucketPolicy", a2in, bucket, "obj", body)
	wantNoSecretsLogged(t, srv, acct2Secret, eve.SK)
}

// TestAuthzSourceIP: aws:SourceIp conditions in bucket policies work on the
// loopback address the clients connect from.
func TestAuthzSourceIP(t *testing.T) {
	t.Parallel()
	srv := startAuthzServer(t, "")
	root, _ := newClient(t, srv)
	bucket := mustCreateBucket(t, root, "srcip")
	body := []byte("ip-restricted")
	mustPut(t, root, bucket, "obj", body)
	ctx := ctxT(t, 30*time.Second)
	arn := bucketARN(bucket)
	putPolicy := func(doc string) {
		t.Helper()
		_, err := root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(doc)})
		noErr(t, "PutBucketPolicy", err)
	}
	denyUnless := func(op, cidr string) string {
		return `{"Sid":"IP` + op + `","Effect":"Deny","Principal":"*","Action":"s3express:CreateSession","Resource":"` + arn +
			`","Condition":{"` + op + `":{"aws:SourceIp":"` + cidr + `"}}}`
	}
	allowAcct2 := func(cidr string) string {
		return `{"Sid":"Acct2From","Effect":"Allow","Principal":{"AWS":"` + acct2Root + `"},"Action":"s3express:CreateSession","Resource":"` + arn +
			`","Condition":{"IpAddress":{"aws:SourceIp":"` + cidr + `"}}}`
	}

	// Deny everyone not on 127.0.0.1: the loopback clients still get in.
	putPolicy(policyDoc(denyUnless("NotIpAddress", "127.0.0.1/32"), allowAcct2("127.0.0.0/8")))
	c1, _ := newClient(t, srv)
	wantGet(t, "root from 127.0.0.1 under Deny NotIpAddress 127.0.0.1/32", c1, bucket, "obj", body)
	if err := tryPut(c1, bucket, "w1", body); err != nil {
		t.Errorf("root PutObject under Deny NotIpAddress 127.0.0.1/32: %s", describeErr(err))
	}
	a2, _ := userClient(t, srv, acct2Access, acct2Secret)
	wantGet(t, "second account allowed from 127.0.0.0/8", a2, bucket, "obj", body)

	// An Allow whose IpAddress does not match the caller grants nothing.
	putPolicy(policyDoc(allowAcct2("10.0.0.0/8")))
	a2b, _ := userClient(t, srv, acct2Access, acct2Secret)
	_, err := tryGet(a2b, bucket, "obj")
	wantRefused(t, "second account with an Allow for 10.0.0.0/8", err, http.StatusForbidden, "AccessDenied")

	// Deny the loopback network: even the owner's root is refused.
	putPolicy(policyDoc(denyUnless("IpAddress", "127.0.0.0/8")))
	c2, _ := newClient(t, srv)
	_, err = tryGet(c2, bucket, "obj")
	wantRefused(t, "root from 127.0.0.1 under Deny IpAddress 127.0.0.0/8", err, http.StatusForbidden, "AccessDenied")
	err = tryPut(c2, bucket, "w2", body, noSessionAuth)
	wantRefused(t, "root PutObject with its key under Deny IpAddress 127.0.0.0/8", err, http.StatusForbidden, "AccessDenied")
	wantDenialLogged(t, srv, "source-ip deny", rootARN, arn, "explicit deny", "bucket policy", "IPIpAddress")

	// The owner can still remove the policy: DeleteBucketPolicy is a
	// regional operation, decided by identity policies only (bucket policies
	// do not apply), so the stock client must succeed as on AWS. With a
	// custom endpoint the Go SDK session-signs it, i.e. sends a
	// CreateSession first, which the Deny refuses.
	_, err = c2.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Errorf("SERVER BUG: owner DeleteBucketPolicy (stock client) under the IP deny: %s; the implicit CreateSession "+
			"is decided by the bucket policy, so the owner cannot remove a policy that locks it out", describeAuthzErr(err))
		_, err = c2.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(bucket)}, noSessionAuth)
		noErr(t, "owner DeleteBucketPolicy signed with its key under the IP deny", err)
	}
	c3, _ := newClient(t, srv)
	wantGet(t, "root after removing the IP deny", c3, bucket, "obj", body)
}

// TestAuthzGetCallerIdentity: STS GetCallerIdentity for root, a user and
// the second account's root and user.
func TestAuthzGetCallerIdentity(t *testing.T) {
	t.Parallel()
	srv := startAuthzServer(t, "")
	ctx := ctxT(t, 30*time.Second)
	rootIAM := iamClientFor(t, srv, srv.AccessKey, srv.SecretKey)
	alice := createIAMUser(t, rootIAM, "alice")
	acct2IAM := iamClientFor(t, srv, acct2Access, acct2Secret)
	eve := createIAMUser(t, acct2IAM, "eve")

	for _, tc := range []struct {
		who, ak, sk      string
		account, arn, id string
	}{
		{"default root", srv.AccessKey, srv.SecretKey, testAccountID, rootARN, testAccountID},
		{"alice", alice.AK, alice.SK, testAccountID, "arn:aws:iam::000000000000:user/alice", alice.UserID},
		{"second account root", acct2Access, acct2Secret, acct2ID, acct2Root, acct2ID},
		{"eve (second account)", eve.AK, eve.SK, acct2ID, "arn:aws:iam::" + acct2ID + ":user/eve", eve.UserID},
	} {
		out, err := stsClientFor(t, srv, tc.ak, tc.sk).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Errorf("GetCallerIdentity as %s: %s", tc.who, describeErr(err))
			continue
		}
		if aws.ToString(out.Account) != tc.account || aws.ToString(out.Arn) != tc.arn || aws.ToString(out.UserId) != tc.id {
			t.Errorf("GetCallerIdentity as %s = Account %q Arn %q UserId %q; want %q %q %q", tc.who,
				aws.ToString(out.Account), aws.ToString(out.Arn), aws.ToString(out.UserId), tc.account, tc.arn, tc.id)
		}
	}
	if !strings.HasPrefix(alice.UserID, "AIDA") {
		t.Errorf("alice's UserId %q does not look like an IAM user id (AIDA...)", alice.UserID)
	}
	_, err := stsClientFor(t, srv, "AKIANOSUCHKEY0000000", strings.Repeat("s", 40)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantRefused(t, "GetCallerIdentity with an unknown key", err, http.StatusForbidden, "InvalidClientTokenId")
}

// TestAuthzControlPlane: CreateBucket, DeleteBucket and ListDirectoryBuckets
// need their own s3express actions in the identity policy; CreateSession
// permission alone does not give them, and (as on AWS) the control-plane
// action alone is enough.
//
// With a custom endpoint the Go SDK session-signs CreateBucket and
// DeleteBucket: it first sends a CreateSession on the bucket (for
// CreateBucket, one that does not exist yet). Each refusal is therefore
// checked both with the stock client and with the call signed with the
// long-term key, where the decision is the control-plane action's.
func TestAuthzControlPlane(t *testing.T) {
	t.Parallel()
	srv := startAuthzServer(t, "")
	root, _ := newClient(t, srv)
	rootIAM := iamClientFor(t, srv, srv.AccessKey, srv.SecretKey)
	bucket := mustCreateBucket(t, root, "ctl")
	ctx := ctxT(t, 30*time.Second)
	bucketsARN := "arn:aws:s3express:" + testRegion + ":" + testAccountID + ":bucket/*"

	alice := createIAMUser(t, rootIAM, "alice")
	sessionStmt := allowSession(bucketARN(bucket), "")
	putUserPolicy(t, rootIAM, "alice", "main", policyDoc(sessionStmt))
	ac, aw := userClient(t, srv, alice.AK, alice.SK)
	if err := tryPut(ac, bucket, "obj", []byte("x")); err != nil {
		t.Fatalf("alice PutObject with CreateSession permission: %s", describeAuthzErr(err))
	}

	// CreateSession permission only.
	mine := bucketName("alice-own")
	_, err := ac.CreateBucket(ctx, createBucketInput(mine, testAZ))
	wantRefused(t, "alice CreateBucket (stock client) without s3express:CreateBucket", err, http.StatusForbidden, "AccessDenied")
	_, err = ac.CreateBucket(ctx, createBucketInput(mine, testAZ), noSessionAuth)
	wantRefused(t, "alice CreateBucket (her key) without s3express:CreateBucket", err, http.StatusForbidden, "AccessDenied")
	wantDenialLogged(t, srv, "alice CreateBucket", alice.ARN, "s3express:CreateBucket", mine)
	_, err = ac.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
	wantRefused(t, "alice DeleteBucket (stock client) without s3express:DeleteBucket", err, http.StatusForbidden, "AccessDenied")
	_, err = ac.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)}, noSessionAuth)
	wantRefused(t, "alice DeleteBucket (her key) without s3express:DeleteBucket", err, http.StatusForbidden, "AccessDenied")
	wantDenialLogged(t, srv, "alice DeleteBucket", alice.ARN, "s3express:DeleteBucket", bucketARN(bucket))
	_, err = ac.ListDirectoryBuckets(ctx, &s3.ListDirectoryBucketsInput{}, noSessionAuth)
	wantRefused(t, "alice ListDirectoryBuckets without s3express:ListAllMyDirectoryBuckets", err, http.StatusForbidden, "AccessDenied")
	wantDenialLogged(t, srv, "alice ListDirectoryBuckets", alice.ARN, "s3express:ListAllMyDirectoryBuckets")
	if _, err := root.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Errorf("HeadBucket after alice's refused DeleteBucket: %s", describeAuthzErr(err))
	}

	// s3express:CreateBucket (and nothing about CreateSession on the new
	// name): on AWS that is all CreateBucket needs.
	putUserPolicy(t, rootIAM, "alice", "main", policyDoc(sessionStmt,
		`{"Effect":"Allow","Action":"s3express:CreateBucket","Resource":"`+bucketsARN+`"}`))
	aw.Reset()
	if _, err := ac.CreateBucket(ctx, createBucketInput(mine, testAZ)); err != nil {
		t.Errorf("SERVER BUG: alice CreateBucket (stock client) with s3express:CreateBucket: %s\n"+
			"the SDK's CreateSession on the not-yet-existing bucket is refused because no policy allows "+
			"s3express:CreateSession on it; wire:\n%s", describeAuthzErr(err), aw.Dump())
		_, err = ac.CreateBucket(ctx, createBucketInput(mine, testAZ), noSessionAuth)
		noErr(t, "alice CreateBucket (her key) with s3express:CreateBucket", err)
	}
	_, err = ac.ListDirectoryBuckets(ctx, &s3.ListDirectoryBucketsInput{}, noSessionAuth)
	wantRefused(t, "alice ListDirectoryBuckets with CreateBucket only", err, http.StatusForbidden, "AccessDenied")
	_, err = ac.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(mine)}, noSessionAuth)
	wantRefused(t, "alice DeleteBucket (her key) with CreateBucket only", err, http.StatusForbidden, "AccessDenied")

	// The bucket belongs to alice's account: root sees it.
	lb, err := root.ListDirectoryBuckets(ctx, &s3.ListDirectoryBucketsInput{}, noSessionAuth)
	noErr(t, "root ListDirectoryBuckets", err)
	found := false
	for _, b := range lb.Buckets {
		found = found || aws.ToString(b.Name) == mine
	}
	if !found {
		t.Errorf("root ListDirectoryBuckets does not list alice's new bucket %s", mine)
	}

	putUserPolicy(t, rootIAM, "alice", "main", policyDoc(sessionStmt,
		`{"Effect":"Allow","Action":["s3express:CreateBucket","s3express:DeleteBucket"],"Resource":"`+bucketsARN+`"}`,
		`{"Effect":"Allow","Action":"s3express:ListAllMyDirectoryBuckets","Resource":"*"}`))
	lb, err = ac.ListDirectoryBuckets(ctx, &s3.ListDirectoryBucketsInput{}, noSessionAuth)
	if err != nil {
		t.Errorf("alice ListDirectoryBuckets with s3express:ListAllMyDirectoryBuckets: %s", describeAuthzErr(err))
	} else if len(lb.Buckets) != 2 {
		t.Errorf("alice ListDirectoryBuckets: %d buckets, want 2 (%s and %s)", len(lb.Buckets), bucket, mine)
	}
	aw.Reset()
	if _, err := ac.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(mine)}); err != nil {
		t.Errorf("SERVER BUG: alice DeleteBucket (stock client) with s3express:DeleteBucket: %s\n"+
			"the SDK's CreateSession on the bucket is refused because no policy allows s3express:CreateSession on it; wire:\n%s",
			describeAuthzErr(err), aw.Dump())
		_, err = ac.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(mine)}, noSessionAuth)
		noErr(t, "alice DeleteBucket (her key) with s3express:DeleteBucket", err)
	}

	// Regional operations never cross accounts, whatever the policies say.
	a2, _ := userClient(t, srv, acct2Access, acct2Secret)
	_, err = a2.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)}, noSessionAuth)
	wantRefused(t, "second account DeleteBucket on the default account's bucket", err, http.StatusForbidden, "AccessDenied")
	wantDenialLogged(t, srv, "second account DeleteBucket", acct2Root, "s3express:DeleteBucket", bucketARN(bucket))
	if _, err := root.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Errorf("HeadBucket after refused DeleteBuckets: %s", describeAuthzErr(err))
	}
}

// TestAuthzCopyObject: CopyObject (which the SDK signs with the long-term
// key) needs a ReadOnly grant on the source and ReadWrite on the destination.
func TestAuthzCopyObject(t *testing.T) {
	t.Parallel()
	srv := startAuthzServer(t, "")
	root, _ := newClient(t, srv)
	rootIAM := iamClientFor(t, srv, srv.AccessKey, srv.SecretKey)
	src := mustCreateBucket(t, root, "copy-src")
	dst := mustCreateBucket(t, root, "copy-dst")
	body := bytes.Repeat([]byte("copy me "), 1000)
	mustPut(t, root, src, "obj", body)
	ctx := ctxT(t, 30*time.Second)

	frank := createIAMUser(t, rootIAM, "frank")
	putUserPolicy(t, rootIAM, "frank", "copy", policyDoc(allowSession(bucketARN(src), "ReadOnly"), allowSession(bucketARN(dst), "")))
	grace := createIAMUser(t, rootIAM, "grace")
	putUserPolicy(t, rootIAM, "grace", "dst-only", policyDoc(allowSession(bucketARN(dst), "")))

	fc, fw := userClient(t, srv, frank.AK, frank.SK)
	_, err := fc.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(dst), Key: aws.String("copied"), CopySource: aws.String(src + "/obj")})
	if err != nil {
		t.Errorf("frank CopyObject (ReadOnly source, ReadWrite destination): %s\nwire:\n%s", describeErr(err), fw.Dump())
	} else {
		wantGet(t, "the copy", root, dst, "copied", body)
	}
	for _, e := range fw.Entries() {
		if e.Method == http.MethodPut && e.SessionToken != "" {
			t.Errorf("CopyObject was session-signed: %s", e)
		}
	}

	// UploadPartCopy from the same source.
	mu, err := fc.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(dst), Key: aws.String("mpu-copied")})
	noErr(t, "frank CreateMultipartUpload", err)
	pc, err := fc.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String(dst), Key: aws.String("mpu-copied"), UploadId: mu.UploadId,
		PartNumber: aws.Int32(1), CopySource: aws.String(src + "/obj")})
	if err != nil {
		t.Errorf("frank UploadPartCopy: %s", describeErr(err))
	} else {
		_, err = fc.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(dst), Key: aws.String("mpu-copied"), UploadId: mu.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: pc.CopyPartResult.ETag}}}})
		noErr(t, "frank CompleteMultipartUpload", err)
		wantGet(t, "the part copy", root, dst, "mpu-copied", body)
	}

	// The other direction: the destination is ReadOnly for frank.
	mustPut(t, root, dst, "back", []byte("back"))
	_, err = fc.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(src), Key: aws.String("copied-back"), CopySource: aws.String(dst + "/back")})
	wantRefused(t, "frank CopyObject into a bucket he may only read", err, http.StatusForbidden, "AccessDenied")

	// grace may write the destination but not read the source.
	gc, _ := userClient(t, srv, grace.AK, grace.SK)
	_, err = gc.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(dst), Key: aws.String("stolen"), CopySource: aws.String(src + "/obj")})
	wantRefused(t, "grace CopyObject without read on the source", err, http.StatusForbidden, "AccessDenied")
	wantDenialLogged(t, srv, "grace's copy", grace.ARN, bucketARN(src))
	if _, err := tryGet(root, dst, "stolen"); err == nil {
		t.Errorf("the refused copy was stored")
	}
	gmu, err := gc.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(dst), Key: aws.String("stolen-mpu")})
	noErr(t, "grace CreateMultipartUpload", err)
	_, err = gc.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String(dst), Key: aws.String("stolen-mpu"), UploadId: gmu.UploadId,
		PartNumber: aws.Int32(1), CopySource: aws.String(src + "/obj")})
	wantRefused(t, "grace UploadPartCopy without read on the source", err, http.StatusForbidden, "AccessDenied")
	_, _ = gc.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(dst), Key: aws.String("stolen-mpu"), UploadId: gmu.UploadId})
}
