package iamapi_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/catalog/mem"
	"github.com/zonal-dev/zonal/internal/iam"
	"github.com/zonal-dev/zonal/internal/iamapi"
	"github.com/zonal-dev/zonal/internal/sigv4"
)

const (
	acct       = "123456789012"
	rootAKID   = "AKIAROOTROOTROOT0001"
	rootSecret = "rootsecretrootsecretrootsecretrootsecret"
)

type fixture struct {
	t    *testing.T
	db   *iam.DB
	h    *iamapi.Handler
	logs *bytes.Buffer
	now  time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db, err := iam.Open(context.Background(), mem.New(), iam.Options{MasterKey: bytes.Repeat([]byte{1}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.EnsureAccount(context.Background(), acct, rootAKID, rootSecret); err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, db: db, logs: &bytes.Buffer{}, now: time.Now()}
	f.h = iamapi.New(iamapi.Config{DB: db, Logger: slog.New(slog.NewTextHandler(f.logs, nil)), Now: func() time.Time { return f.now }})
	return f
}

func signer(akid, secret, service string) *sigv4.Signer {
	return &sigv4.Signer{AccessKeyID: akid, SecretAccessKey: secret, Region: "us-east-1", Service: service}
}

// post sends a signed form-encoded POST.
func (f *fixture) post(s *sigv4.Signer, params url.Values) *httptest.ResponseRecorder {
	body := params.Encode()
	r := httptest.NewRequest("POST", "http://localhost/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if s != nil {
		s.Sign(r, sigv4.HashPayload([]byte(body)), f.now)
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w
}

func iamParams(action string, kv ...string) url.Values {
	v := url.Values{"Action": {action}, "Version": {"2010-05-08"}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

type errorResponse struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Error   struct {
		Type, Code, Message string
	}
	RequestID string `xml:"RequestId"`
}

func (f *fixture) wantError(w *httptest.ResponseRecorder, status int, code string) errorResponse {
	f.t.Helper()
	var e errorResponse
	if err := xml.Unmarshal(w.Body.Bytes(), &e); err != nil {
		f.t.Fatalf("status %d, body %s: %v", w.Code, w.Body, err)
	}
	if w.Code != status || e.Error.Code != code || e.Error.Type != "Sender" || e.RequestID == "" ||
		e.RequestID != w.Header().Get("X-Amzn-Requestid") {
		f.t.Fatalf("got %d %+v, want %d %s", w.Code, e, status, code)
	}
	return e
}

func TestResponseShape(t *testing.T) {
	f := newFixture(t)
	root := signer(rootAKID, rootSecret, "iam")
	w := f.post(root, iamParams("CreateUser", "UserName", "bob", "Path", "/a/"))
	if w.Code != 200 || w.Header().Get("Content-Type") != "text/xml" {
		t.Fatalf("CreateUser: %d %s", w.Code, w.Body)
	}
	var resp struct {
		XMLName xml.Name `xml:"CreateUserResponse"`
		Xmlns   string   `xml:"xmlns,attr"`
		Result  struct {
			User struct{ Path, UserName, UserId, Arn, CreateDate string }
		} `xml:"CreateUserResult"`
		Meta struct{ RequestId string } `xml:"ResponseMetadata"`
	}
	if err := xml.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	u := resp.Result.User
	if resp.Xmlns != iamapi.IAMNamespace || u.UserName != "bob" || u.Path != "/a/" || u.Arn != "arn:aws:iam::123456789012:user/a/bob" ||
		len(u.UserId) != 21 || resp.Meta.RequestId != w.Header().Get("X-Amzn-Requestid") {
		t.Fatalf("response = %+v\n%s", resp, w.Body)
	}
	if _, err := time.Parse(time.RFC3339, u.CreateDate); err != nil {
		t.Fatalf("CreateDate %q", u.CreateDate)
	}

	// Actions without output have no Result element.
	w = f.post(root, iamParams("DeleteUser", "UserName", "bob"))
	if w.Code != 200 || strings.Contains(w.Body.String(), "DeleteUserResult") || !strings.Contains(w.Body.String(), "<DeleteUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><ResponseMetadata><RequestId>") {
		t.Fatalf("DeleteUser: %d %s", w.Code, w.Body)
	}

	// STS uses its own namespace, for results and errors.
	sts := signer(rootAKID, rootSecret, "sts")
	w = f.post(sts, url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}})
	if w.Code != 200 || !strings.Contains(w.Body.String(), `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:root</Arn><UserId>123456789012</UserId><Account>123456789012</Account></GetCallerIdentityResult>`) {
		t.Fatalf("GetCallerIdentity: %d %s", w.Code, w.Body)
	}
	w = f.post(sts, url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"}})
	if e := f.wantError(w, 400, "InvalidAction"); e.Xmlns != iamapi.STSNamespace {
		t.Fatalf("STS error namespace %q", e.Xmlns)
	}
}

func TestAuthenticationErrors(t *testing.T) {
	f := newFixture(t)
	params := iamParams("ListUsers")
	f.wantError(f.post(nil, params), 403, "MissingAuthenticationToken")
	f.wantError(f.post(signer("AKIANOSUCHKEY0000001", "x", "iam"), params), 403, "InvalidClientTokenId")
	f.wantError(f.post(signer(rootAKID, "wrong", "iam"), params), 403, "SignatureDoesNotMatch")

	tok := signer(rootAKID, rootSecret, "iam")
	tok.SecurityToken = "FQoGZXIvYXdzE"
	f.wantError(f.post(tok, params), 403, "InvalidClientTokenId")

	// Signed, then the body changed: the body hash no longer matches.
	r := httptest.NewRequest("POST", "http://localhost/", strings.NewReader("Action=ListUsers&Version=2010-05-08"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	signer(rootAKID, rootSecret, "iam").Sign(r, sigv4.HashPayload([]byte("Action=GetUser&Version=2010-05-08")), f.now)
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	f.wantError(w, 403, "SignatureDoesNotMatch")

	// A request signed 20 minutes ago.
	old := f.now
	r = httptest.NewRequest("POST", "http://localhost/", strings.NewReader(params.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	signer(rootAKID, rootSecret, "iam").Sign(r, sigv4.HashPayload([]byte(params.Encode())), old.Add(-20*time.Minute))
	w = httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	f.wantError(w, 400, "RequestExpired")

	// Query-string (GET) requests work too, signed for any region.
	s := signer(rootAKID, rootSecret, "iam")
	s.Region = "eu-west-3"
	r = httptest.NewRequest("GET", "http://localhost/?Action=ListUsers&Version=2010-05-08", nil)
	s.Sign(r, "", f.now)
	w = httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "<ListUsersResult><Users></Users><IsTruncated>false</IsTruncated></ListUsersResult>") {
		t.Fatalf("GET ListUsers: %d %s", w.Code, w.Body)
	}
}

func TestActionAndParameterErrors(t *testing.T) {
	f := newFixture(t)
	root := signer(rootAKID, rootSecret, "iam")
	f.wantError(f.post(root, url.Values{"Version": {"2010-05-08"}}), 400, "MissingAction")
	f.wantError(f.post(root, iamParams("CreateRole")), 400, "InvalidAction")
	f.wantError(f.post(root, url.Values{"Action": {"ListUsers"}, "Version": {"2099-01-01"}}), 400, "InvalidAction")
	e := f.wantError(f.post(root, iamParams("CreateUser")), 400, "ValidationError")
	if e.Error.Message != "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null" {
		t.Fatalf("message %q", e.Error.Message)
	}
	f.wantError(f.post(root, iamParams("ListUsers", "MaxItems", "0")), 400, "ValidationError")
	f.wantError(f.post(root, iamParams("GetUser", "UserName", "ghost")), 404, "NoSuchEntity")
	f.wantError(f.post(root, iamParams("GetPolicy", "PolicyArn", "arn:aws:iam::123456789012:policy/none")), 404, "NoSuchEntity")
	f.wantError(f.post(root, iamParams("GetPolicy", "PolicyArn", "not-an-arn-but-long-enough")), 400, "InvalidInput")
	f.post(root, iamParams("CreateUser", "UserName", "x"))
	f.wantError(f.post(root, iamParams("CreateUser", "UserName", "X")), 409, "EntityAlreadyExists")
	f.wantError(f.post(root, iamParams("PutUserPolicy", "UserName", "x", "PolicyName", "p", "PolicyDocument", "{}")), 400, "MalformedPolicyDocument")
	big := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::123456789012:user/` + strings.Repeat("y", 3000) + `"}}`
	f.wantError(f.post(root, iamParams("PutUserPolicy", "UserName", "x", "PolicyName", "p", "PolicyDocument", big)), 409, "LimitExceeded")
	// Cross-account policy ARNs are refused even to a root.
	f.wantError(f.post(root, iamParams("GetPolicy", "PolicyArn", "arn:aws:iam::999999999999:policy/p")), 403, "AccessDenied")
}

func TestUserAuthorization(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	root := signer(rootAKID, rootSecret, "iam")
	f.post(root, iamParams("CreateUser", "UserName", "ops", "Path", "/team/"))
	f.post(root, iamParams("CreateUser", "UserName", "other"))
	k, err := f.db.CreateAccessKey(ctx, acct, "ops")
	if err != nil {
		t.Fatal(err)
	}
	ops := signer(k.ID, k.Secret, "iam")

	e := f.wantError(f.post(ops, iamParams("GetUser", "UserName", "other")), 403, "AccessDenied")
	if want := "User: arn:aws:iam::123456789012:user/team/ops is not authorized to perform: iam:GetUser on resource: arn:aws:iam::123456789012:user/other because no identity-based policy allows the iam:GetUser action"; e.Error.Message != want {
		t.Fatalf("message %q", e.Error.Message)
	}
	if !strings.Contains(f.logs.String(), "no statement allowed") {
		t.Fatalf("denial not logged: %s", f.logs)
	}

	// Allow everything in IAM, but deny touching users outside /team/.
	doc := `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"iam:*","Resource":"*"},
		{"Sid":"OnlyTeam","Effect":"Deny","Action":"iam:*","NotResource":["arn:aws:iam::123456789012:user/team/*","arn:aws:iam::123456789012:user/","arn:aws:iam::123456789012:policy/*"]}]}`
	if err := f.db.PutUserPolicy(ctx, acct, "ops", "team", doc); err != nil {
		t.Fatal(err)
	}
	if w := f.post(ops, iamParams("ListUsers")); w.Code != 200 {
		t.Fatalf("ListUsers: %d %s", w.Code, w.Body)
	}
	if w := f.post(ops, iamParams("CreateUser", "UserName", "newbie", "Path", "/team/")); w.Code != 200 {
		t.Fatalf("CreateUser in /team/: %d %s", w.Code, w.Body)
	}
	f.logs.Reset()
	e = f.wantError(f.post(ops, iamParams("DeleteUser", "UserName", "other")), 403, "AccessDenied")
	if !strings.Contains(e.Error.Message, "with an explicit deny in an identity-based policy") {
		t.Fatalf("message %q", e.Error.Message)
	}
	if l := f.logs.String(); !strings.Contains(l, "inline:team") || !strings.Contains(l, "OnlyTeam") || strings.Contains(l, k.Secret) {
		t.Fatalf("denial log: %s", l)
	}
	// Callers need no permission for GetCallerIdentity.
	if err := f.db.DeleteUserPolicy(ctx, acct, "ops", "team"); err != nil {
		t.Fatal(err)
	}
	w := f.post(signer(k.ID, k.Secret, "sts"), url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}})
	if w.Code != 200 || !strings.Contains(w.Body.String(), "<Arn>arn:aws:iam::123456789012:user/team/ops</Arn>") {
		t.Fatalf("GetCallerIdentity: %d %s", w.Code, w.Body)
	}
}

func TestGetUserPolicyEncoding(t *testing.T) {
	f := newFixture(t)
	root := signer(rootAKID, rootSecret, "iam")
	f.post(root, iamParams("CreateUser", "UserName", "enc"))
	doc := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": {\"Effect\": \"Allow\", \"Action\": \"iam:Get*\", \"Resource\": \"*\"}\n}"
	if w := f.post(root, iamParams("PutUserPolicy", "UserName", "enc", "PolicyName", "p", "PolicyDocument", doc)); w.Code != 200 {
		t.Fatalf("PutUserPolicy: %d %s", w.Code, w.Body)
	}
	w := f.post(root, iamParams("GetUserPolicy", "UserName", "enc", "PolicyName", "P"))
	var resp struct {
		Result struct{ UserName, PolicyName, PolicyDocument string } `xml:"GetUserPolicyResult"`
	}
	if err := xml.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(resp.Result.PolicyDocument, " {\"\n*") {
		t.Fatalf("document not URL-encoded: %q", resp.Result.PolicyDocument)
	}
	if got, err := url.QueryUnescape(resp.Result.PolicyDocument); err != nil || got != doc || resp.Result.PolicyName != "p" {
		t.Fatalf("document %q (%v), name %q", got, err, resp.Result.PolicyName)
	}
}
