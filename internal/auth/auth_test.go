package auth

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/iam"
	"github.com/zonal-dev/zonal/internal/policy"
	"github.com/zonal-dev/zonal/internal/session"
	"github.com/zonal-dev/zonal/internal/sigv4"
)

const (
	acct   = "111122223333"
	other  = "444455556666"
	bucket = "b--use1-az4--x-s3"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// users is a PolicySource: identity policies by user name.
type users map[string][]*policy.Policy

func (u users) IdentityPolicySet(_ context.Context, p iam.Principal) (iam.PolicySet, error) {
	set := iam.PolicySet{Policies: u[p.User]}
	for range set.Policies {
		set.Names = append(set.Names, "inline:"+p.User)
	}
	return set, nil
}
func (u users) PolicyPrincipal(p iam.Principal) policy.Principal {
	return policy.Principal{Account: p.Account, User: p.User}
}
func (u users) CallerIdentity(p iam.Principal) (string, string, error) {
	return p.ARN(), "AIDA" + p.User, nil
}
func (u users) ValidPrincipalARN(string) bool { return true }

// buckets is a BucketLookup.
type buckets map[string]catalog.Bucket

func (bs buckets) GetBucket(_ context.Context, name string) (catalog.Bucket, error) {
	b, ok := bs[name]
	if !ok {
		return b, catalog.ErrNotFound
	}
	return b, nil
}

func identityPolicy(t testing.TB, doc string) *policy.Policy {
	t.Helper()
	p, err := policy.Parse([]byte(doc), policy.Identity, policy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

type fixture struct {
	a    *Authority
	ring *session.Ring
	ids  *iam.Static
}

func newFixture(t testing.TB, pols users) *fixture {
	ids := iam.NewStatic()
	ids.AddRoot(acct, "AKROOT", "rootsecret")
	f := &fixture{ring: session.NewMemRing(), ids: ids}
	f.a = New(Config{Region: "us-east-1", Identities: ids, Sessions: f.ring, Policies: pols,
		Buckets: buckets{bucket: {Name: bucket, Owner: acct, CreatedAt: t0}}, Now: func() time.Time { return t0 }})
	return f
}

func signedReq(t testing.TB, s *sigv4.Signer, hdr ...string) *http.Request {
	t.Helper()
	r, err := http.NewRequest("GET", "http://127.0.0.1:9000/"+bucket+"/k", nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	s.Sign(r, sigv4.UnsignedPayload, t0)
	return r
}

func rootSigner(service string) *sigv4.Signer {
	return &sigv4.Signer{AccessKeyID: "AKROOT", SecretAccessKey: "rootsecret", Region: "us-east-1", Service: service}
}

func (f *fixture) sessionSigner(t testing.TB, s *session.Session) *sigv4.Signer {
	t.Helper()
	tok, err := f.ring.Mint(s, t0, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return &sigv4.Signer{AccessKeyID: s.AccessKeyID(), SecretAccessKey: s.SecretKey(), Region: "us-east-1",
		Service: "s3express", SessionToken: tok}
}

var s3Opts = Options{Services: []string{"s3express", "s3"}, Sessions: true}

func wantKind(t *testing.T, err error, k Kind) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Kind != k {
		t.Fatalf("error %v, want kind %v", err, k)
	}
}

// TestAuthenticateParsedClaims: claims parsed at the edge are used as
// given, not parsed again (the Authorization header is gone by then).
func TestAuthenticateParsedClaims(t *testing.T) {
	f := newFixture(t, nil)
	r := signedReq(t, rootSigner("s3express"))
	sa, err := sigv4.Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Del("Authorization")
	opts := s3Opts
	opts.Claims = sa
	c, err := f.a.Authenticate(r, opts)
	if err != nil || c.Auth != sa || c.Principal != (iam.Principal{Account: acct}) {
		t.Fatalf("%+v %v", c, err)
	}
}

func TestAuthenticateLongTermKey(t *testing.T) {
	f := newFixture(t, nil)
	c, err := f.a.Authenticate(signedReq(t, rootSigner("s3express")), s3Opts)
	if err != nil || c.Principal != (iam.Principal{Account: acct}) || c.Session != nil || len(c.Key) != 32 {
		t.Fatalf("%+v %v", c, err)
	}

	bad := rootSigner("s3express")
	bad.AccessKeyID = "AKNOBODY"
	c, err = f.a.Authenticate(signedReq(t, bad), s3Opts)
	wantKind(t, err, UnknownKey)
	if c.Auth == nil || c.Auth.AccessKeyID != "AKNOBODY" || c.Principal != (iam.Principal{}) {
		t.Fatalf("a failure keeps the claims, and only them: %+v", c)
	}

	bad = rootSigner("s3express")
	bad.SecretAccessKey = "wrong"
	_, err = f.a.Authenticate(signedReq(t, bad), s3Opts)
	var se *sigv4.Error
	if !errors.As(err, &se) || se.Kind != sigv4.BadSignature {
		t.Fatalf("wrong secret: %v", err)
	}

	_, err = f.a.Authenticate(signedReq(t, rootSigner("iam")), s3Opts)
	wantKind(t, err, WrongService)

	r, _ := http.NewRequest("GET", "http://127.0.0.1:9000/", nil)
	if _, err := f.a.Authenticate(r, s3Opts); !errors.Is(err, sigv4.ErrNoAuth) {
		t.Fatalf("anonymous: %v", err)
	}

	sec := rootSigner("iam")
	sec.SecurityToken = "FQoG"
	_, err = f.a.Authenticate(signedReq(t, sec), Options{Services: []string{"iam"}, NoSecurityToken: true})
	wantKind(t, err, TokenNotAllowed)
}

// The Payload hook runs before the key is looked up and can fix the
// payload hash the signature is checked with.
func TestAuthenticatePayloadHook(t *testing.T) {
	f := newFixture(t, nil)
	s := rootSigner("iam")
	r, _ := http.NewRequest("POST", "http://127.0.0.1:9000/", strings.NewReader("Action=GetUser"))
	s.Sign(r, sigv4.HashPayload([]byte("Action=GetUser")), t0)
	hookErr := errors.New("hook")
	opts := Options{Services: []string{"iam"}, Payload: func(*sigv4.Auth) error { return hookErr }}
	if _, err := f.a.Authenticate(r, opts); err != hookErr {
		t.Fatalf("hook error: %v", err)
	}
	opts.Payload = func(a *sigv4.Auth) error { a.PayloadHash = sigv4.EmptySHA256; return nil }
	if _, err := f.a.Authenticate(r, opts); !isSigV4(err, sigv4.BadSignature) {
		t.Fatalf("the hook's hash is not the one verified: %v", err)
	}
	opts.Payload = func(*sigv4.Auth) error { return nil }
	if _, err := f.a.Authenticate(r, opts); err != nil {
		t.Fatalf("with the body's hash: %v", err)
	}
}

func TestAuthenticateSession(t *testing.T) {
	f := newFixture(t, nil)
	sess := &session.Session{Mode: session.ReadWrite, Bucket: bucket, Account: acct, User: "alice"}
	sg := f.sessionSigner(t, sess)
	c, err := f.a.Authenticate(signedReq(t, sg), s3Opts)
	if err != nil || c.Session == nil || c.Principal != (iam.Principal{Account: acct, User: "alice"}) {
		t.Fatalf("%+v %v", c, err)
	}

	// CreateSession may not be signed with a session.
	_, err = f.a.Authenticate(signedReq(t, sg), Options{Services: s3Opts.Services})
	wantKind(t, err, TokenNotAllowed)

	forged := copySigner(sg)
	forged.SessionToken = sg.SessionToken[:len(sg.SessionToken)-2] + "AA"
	_, err = f.a.Authenticate(signedReq(t, forged), s3Opts)
	wantKind(t, err, BadToken)

	// Another session's key with this token.
	otherSess := f.sessionSigner(t, &session.Session{Mode: session.ReadWrite, Bucket: bucket, Account: acct})
	mixed := copySigner(otherSess)
	mixed.SessionToken = sg.SessionToken
	_, err = f.a.Authenticate(signedReq(t, mixed), s3Opts)
	wantKind(t, err, BadToken)

	// Expired: told only after the signature checks out.
	cfg := f.a.cfg
	cfg.Now = func() time.Time { return t0.Add(6 * time.Minute) }
	later := New(cfg)
	r := signedReq(t, sg)
	r.Header.Set("X-Amz-Date", t0.Add(6*time.Minute).Format("20060102T150405Z"))
	if _, err := later.Authenticate(r, s3Opts); !isSigV4(err, sigv4.BadSignature) {
		t.Fatalf("re-dated request: %v", err)
	}
	sg2 := copySigner(sg)
	r = httpReq(t)
	sg2.Sign(r, sigv4.UnsignedPayload, t0.Add(6*time.Minute))
	_, err = later.Authenticate(r, s3Opts)
	wantKind(t, err, ExpiredToken)
}

func copySigner(s *sigv4.Signer) *sigv4.Signer {
	return &sigv4.Signer{AccessKeyID: s.AccessKeyID, SecretAccessKey: s.SecretAccessKey, Region: s.Region,
		Service: s.Service, SessionToken: s.SessionToken, SecurityToken: s.SecurityToken}
}

func httpReq(t testing.TB) *http.Request {
	r, err := http.NewRequest("GET", "http://127.0.0.1:9000/"+bucket+"/k", nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func isSigV4(err error, k sigv4.Kind) bool {
	var e *sigv4.Error
	return errors.As(err, &e) && e.Kind == k
}

func sessionCaller(mode session.Mode, account string) *Caller {
	return &Caller{Principal: iam.Principal{Account: account},
		Session: &session.Session{Mode: mode, Bucket: bucket, Account: account}}
}

func TestAuthorizeSessionFastPath(t *testing.T) {
	f := newFixture(t, users{})
	b := &catalog.Bucket{Name: bucket, Owner: acct, CreatedAt: t0}
	zonal := func(mode session.Mode) Request {
		return Request{Action: ActionCreateSession, BucketName: bucket, Bucket: b, Mode: mode}
	}
	ctx := context.Background()
	for _, tc := range []struct {
		c    *Caller
		req  Request
		want Denial // 0: allowed
	}{
		{sessionCaller(session.ReadWrite, acct), zonal(session.ReadWrite), 0},
		{sessionCaller(session.ReadOnly, acct), zonal(session.ReadOnly), 0},
		{sessionCaller(session.ReadOnly, acct), zonal(session.ReadWrite), SessionReadOnly},
		{sessionCaller(session.ControlOnly, acct), zonal(session.ReadOnly), SessionNoObjects},
		{sessionCaller(session.ReadWrite, acct), Request{Action: ActionCreateSession, BucketName: "x--use1-az4--x-s3", Mode: session.ReadWrite}, SessionBucket},
		{sessionCaller(session.ReadWrite, acct), Request{Action: ActionCreateSession, Mode: session.ReadWrite}, SessionBucket},
		// The name now belongs to another account's bucket.
		{sessionCaller(session.ReadWrite, other), zonal(session.ReadWrite), SessionIncarnation},
		// A ReadOnly session writes nothing, the control plane included;
		// it may read it (decided by policy: the root may).
		{sessionCaller(session.ReadOnly, acct), Request{Action: "s3express:PutBucketPolicy", BucketName: bucket, Bucket: b, Regional: true, Writes: true}, SessionReadOnly},
		{sessionCaller(session.ReadOnly, acct), Request{Action: "s3express:GetBucketPolicy", BucketName: bucket, Bucket: b, Regional: true}, 0},
		// Missing bucket: the operation answers.
		{sessionCaller(session.ReadWrite, acct), Request{Action: ActionCreateSession, BucketName: bucket, Mode: session.ReadWrite}, 0},
	} {
		d := f.a.Authorize(ctx, tc.c, tc.req)
		if d.Allowed != (tc.want == 0) || d.Denial != tc.want {
			t.Errorf("%+v %+v: %+v, want denial %d", tc.c.Session, tc.req, d, tc.want)
		}
	}
}

func TestSessionFits(t *testing.T) {
	b := &catalog.Bucket{Name: bucket, Owner: other, CreatedAt: t0}
	s := &session.Session{Account: acct, BucketOwner: other, BucketCreated: t0.UnixNano()}
	if !SessionFits(s, b) {
		t.Fatal("the incarnation it was minted for")
	}
	s.BucketCreated = t0.Add(-time.Hour).UnixNano()
	if SessionFits(s, b) {
		t.Fatal("a re-created bucket of another account")
	}
	b.Owner = acct
	if !SessionFits(s, b) {
		t.Fatal("a bucket of the session's own account")
	}
}

func TestAuthorizePolicies(t *testing.T) {
	pols := users{
		"reader": {identityPolicy(t, `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":"s3express:CreateSession","Resource":"*","Condition":{"StringEquals":{"s3express:SessionMode":"ReadOnly"}}}]}`)},
		"admin": {identityPolicy(t, `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":"s3express:PutBucketPolicy","Resource":"*"}]}`)},
		"denied": {identityPolicy(t, `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":"*","Resource":"*"},
			{"Sid":"NoHTTP","Effect":"Deny","Action":"s3express:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`)},
	}
	f := newFixture(t, pols)
	b := &catalog.Bucket{Name: bucket, Owner: acct, CreatedAt: t0}
	user := func(name string) *Caller {
		return &Caller{Principal: iam.Principal{Account: acct, User: name}, Request: httpReq(t)}
	}
	ctx := context.Background()
	mint := Request{Action: ActionCreateSession, BucketName: bucket, Bucket: b, Mint: true,
		ControlActions: []string{"s3express:DeleteBucket", "s3express:PutBucketPolicy"}}

	if d := f.a.Authorize(ctx, user("reader"), mint); !d.Allowed || d.Mode != session.ReadOnly {
		t.Errorf("reader, no mode named: %+v", d)
	}
	rw := mint
	rw.Mode = session.ReadWrite
	if d := f.a.Authorize(ctx, user("reader"), rw); d.Allowed || d.Denial != NotAllowed || d.Mode != session.ReadWrite {
		t.Errorf("reader asking ReadWrite: %+v", d)
	}
	if d := f.a.Authorize(ctx, user("admin"), mint); !d.Allowed || d.Mode != session.ControlOnly {
		t.Errorf("admin: %+v", d)
	}
	if d := f.a.Authorize(ctx, user("nobody"), mint); d.Allowed || d.Mode != session.ReadOnly ||
		d.Resource != BucketARN("us-east-1", acct, bucket) {
		t.Errorf("nobody: %+v", d)
	}
	d := f.a.Authorize(ctx, user("denied"), Request{Action: ActionCreateSession, BucketName: bucket, Bucket: b, Mode: session.ReadWrite})
	if d.Allowed || d.Denial != ExplicitDeny || d.Statement != "explicit deny in inline:denied statement 1 (Sid NoHTTP)" {
		t.Errorf("explicit deny: %+v", d)
	}
	// Regional actions never cross accounts.
	ob := &catalog.Bucket{Name: bucket, Owner: other}
	if d := f.a.Authorize(ctx, user("admin"), Request{Action: "s3express:PutBucketPolicy", BucketName: bucket, Bucket: ob, Regional: true}); d.Allowed || d.Denial != CrossAccount {
		t.Errorf("cross-account: %+v", d)
	}
	// CreateBucket on a name another account holds is the operation's to refuse.
	if d := f.a.Authorize(ctx, user("nobody"), Request{Action: "s3express:CreateBucket", BucketName: bucket, Bucket: ob, Regional: true, Create: true}); !d.Allowed {
		t.Errorf("CreateBucket of a taken name: %+v", d)
	}
	// IAM-style resources: the account as named.
	if d := f.a.Authorize(ctx, user("admin"), Request{Action: "iam:GetUser", Resource: "arn:aws:iam::" + other + ":user/x", Account: other}); d.Allowed || d.SameAccount {
		t.Errorf("IAM cross-account: %+v", d)
	}
}

// Bucket policies are parsed once per document, and public statements
// grant nothing (Block Public Access is always on).
func TestBucketPolicyCache(t *testing.T) {
	f := newFixture(t, users{})
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3express:CreateSession","Resource":"*"}]}`
	b := &catalog.Bucket{Name: bucket, Owner: acct, Policy: []byte(doc)}
	stranger := &Caller{Principal: iam.Principal{Account: other}, Request: httpReq(t)}
	if d := f.a.Authorize(context.Background(), stranger, Request{Action: ActionCreateSession, BucketName: bucket, Bucket: b, Mode: session.ReadOnly}); d.Allowed {
		t.Fatalf("a public policy granted access: %+v", d)
	}
	p1, _ := f.a.policies.get(b)
	p2, _ := f.a.policies.get(b)
	if p1 == nil || p1 != p2 {
		t.Fatal("policy not cached")
	}
	b.Policy = []byte(strings.Replace(doc, `"*","Action"`, `{"AWS":"`+other+`"},"Action"`, 1))
	if d := f.a.Authorize(context.Background(), stranger, Request{Action: ActionCreateSession, BucketName: bucket, Bucket: b, Mode: session.ReadOnly}); !d.Allowed {
		t.Fatalf("changed policy not re-read: %+v", d)
	}
}

// The s3express request-shape keys are filled for s3express actions only.
func TestConditions(t *testing.T) {
	f := newFixture(t, users{})
	r := signedReq(t, rootSigner("s3express"), "X-Amz-Server-Side-Encryption", "AES256")
	r.RemoteAddr = "10.0.0.1:5555"
	c, err := f.a.Authenticate(r, s3Opts)
	if err != nil {
		t.Fatal(err)
	}
	m := f.a.conditions(&c, &Request{Action: ActionCreateSession, Mode: session.ReadOnly,
		Conditions: map[string][]string{"S3Express:LocationName": {"use1-az4"}}})
	for k, v := range map[string]string{"aws:securetransport": "false", "aws:sourceip": "10.0.0.1",
		"s3express:sessionmode": "ReadOnly", "s3express:authtype": "REST-HEADER", "s3express:signatureage": "0",
		"s3express:x-amz-content-sha256": sigv4.UnsignedPayload, "s3express:x-amz-server-side-encryption": "AES256",
		"s3express:locationname": "use1-az4", "aws:currenttime": "2026-01-02T03:04:05Z"} {
		if got := m[k]; len(got) != 1 || got[0] != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	m = f.a.conditions(&c, &Request{Action: "iam:GetUser"})
	for k := range m {
		if strings.HasPrefix(k, "s3express:") {
			t.Errorf("IAM action got %s", k)
		}
	}
}

func TestBucketLookup(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	if b, err := f.a.Bucket(ctx, bucket); err != nil || b == nil || b.Owner != acct {
		t.Fatalf("%+v %v", b, err)
	}
	if b, err := f.a.Bucket(ctx, "none--use1-az4--x-s3"); err != nil || b != nil {
		t.Fatalf("missing: %+v %v", b, err)
	}
	if b, err := f.a.Bucket(ctx, ""); err != nil || b != nil {
		t.Fatalf("no name: %+v %v", b, err)
	}
}

// A session-signed request with both caches warm costs no allocation in
// auth beyond sigv4.Parse's.
func TestAuthenticateSessionAllocs(t *testing.T) {
	f := newFixture(t, nil)
	sg := f.sessionSigner(t, &session.Session{Mode: session.ReadWrite, Bucket: bucket, Account: acct})
	r := signedReq(t, sg)
	if _, err := f.a.Authenticate(r, s3Opts); err != nil {
		t.Fatal(err)
	}
	parse := testing.AllocsPerRun(100, func() { _, _ = sigv4.Parse(r) })
	auth := testing.AllocsPerRun(100, func() { _, _ = f.a.Authenticate(r, s3Opts) })
	if auth > parse {
		t.Fatalf("Authenticate allocates %v, sigv4.Parse alone %v", auth, parse)
	}
}
