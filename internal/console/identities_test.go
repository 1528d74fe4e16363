package console

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/zonal-dev/zonal/internal/iam"
)

const evilDoc = `{"Version":"2012-10-17","Statement":[{"Sid":"Q1","Effect":"Allow","Action":"s3express:CreateSession",
 "Resource":"*","Condition":{"StringEquals":{"aws:username":"</pre><script>alert(1)</script> \"q\" ü"}}}]}`

var (
	newKeyID     = regexp.MustCompile(`id="new-access-key-id">([^<]+)<`)
	newKeySecret = regexp.MustCompile(`id="new-secret-access-key">([^<]+)<`)
)

func TestIdentities(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	b := e.signedIn(rootAK, rootSK)
	if resp, _ := b.get("iam/"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != Prefix+"iam/users" {
		t.Fatalf("iam/: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := b.get("iam/users")
	wantStatus(t, "users", resp, body, 200)
	if !strings.Contains(body, `<label for="user_name">User name</label>`) || !strings.Contains(body, ">Create user<") {
		t.Fatalf("users page:\n%s", body)
	}
	resp, body = b.postCSRF("iam/users/create", url.Values{"user_name": {`<img src=x>`}})
	wantStatus(t, "bad user name", resp, body, http.StatusBadRequest)
	if strings.Contains(body, "<img src=x>") || !strings.Contains(body, `value="&lt;img src=x&gt;"`) {
		t.Fatalf("bad user name page:\n%s", body)
	}
	resp, body = b.postCSRF("iam/users/create", url.Values{"user_name": {"alice"}})
	wantStatus(t, "create user", resp, body, http.StatusSeeOther)
	if _, err := e.db.GetUser(ctx, account, "alice"); err != nil {
		t.Fatal(err)
	}
	resp, body = b.postCSRF("iam/users/create", url.Values{"user_name": {"alice"}})
	wantStatus(t, "user exists", resp, body, http.StatusConflict)

	// An access key: its secret is shown once, on the answer to the POST.
	resp, body = b.get("iam/users/alice")
	wantStatus(t, "user", resp, body, 200)
	resp, body = b.postCSRF("iam/users/alice/keys/create", url.Values{})
	wantStatus(t, "create key", resp, body, 200)
	id, secret := newKeyID.FindStringSubmatch(body), newKeySecret.FindStringSubmatch(body)
	if id == nil || secret == nil || !strings.Contains(body, "shown only once") {
		t.Fatalf("new key page:\n%s", body)
	}
	plain := html.UnescapeString(secret[1])
	if p, sk, err := e.db.LookupKey(ctx, id[1]); err != nil || p.User != "alice" || sk != plain {
		t.Fatalf("the shown key is not alice's: %v %v", p, err)
	}
	if _, again := b.get("iam/users/alice"); strings.Contains(again, secret[1]) || strings.Contains(again, "new-secret-access-key") || !strings.Contains(again, id[1]) {
		t.Fatal("the secret is shown again, or the key is not listed")
	}
	if strings.Contains(e.logs.String(), plain) {
		t.Fatal("the secret reached the log")
	}
	resp, body = b.postCSRF("iam/users/alice/keys/status", url.Values{"key": {id[1]}, "status": {"Inactive"}})
	wantStatus(t, "deactivate", resp, body, http.StatusSeeOther)
	if _, _, err := e.db.LookupKey(ctx, id[1]); err == nil {
		t.Fatal("the key is still active")
	}
	if _, page := b.get("iam/users/alice"); !strings.Contains(page, ">Activate<") {
		t.Fatal("an inactive key offers no Activate")
	}
	b.postCSRF("iam/users/alice/keys/status", url.Values{"key": {id[1]}, "status": {"Active"}})
	if _, _, err := e.db.LookupKey(ctx, id[1]); err != nil {
		t.Fatal("the key was not activated")
	}

	// Inline policies: validated with the place of the error, stored, shown as text.
	resp, body = b.postCSRF("iam/users/alice/policies/put", url.Values{"policy_name": {"p1"}, "policy_document": {"{\n \"Version\": \"2012-10-17\",\n \"Statement\": [}"}})
	wantStatus(t, "malformed inline", resp, body, http.StatusBadRequest)
	if !strings.Contains(body, "The inline policy was not saved: The document is not valid JSON: invalid character &#39;}&#39; looking for beginning of value (at line 3, column 16)") ||
		!strings.Contains(body, `value="p1"`) {
		t.Fatalf("malformed inline page:\n%s", body)
	}
	if names, _ := e.db.ListUserPolicies(ctx, account, "alice"); len(names) != 0 {
		t.Fatal("a malformed inline policy was stored")
	}

	resp, body = b.postCSRF("iam/users/alice/policies/put", url.Values{"policy_name": {"p1"}, "policy_document": {evilDoc}})
	wantStatus(t, "put inline", resp, body, http.StatusSeeOther)
	if p, err := e.db.GetUserPolicy(ctx, account, "alice", "p1"); err != nil || p.Document != evilDoc {
		t.Fatalf("inline policy: %v %v", p, err)
	}
	_, body = b.get("iam/users/alice")
	if strings.Contains(body, "<script>") || !strings.Contains(body, "&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt; \\&#34;q\\&#34; ü") {
		t.Fatalf("the inline policy is not shown as text:\n%s", body)
	}

	// Managed policies: create (validated), attach, detach, delete.
	resp, body = b.postCSRF("iam/policies/create", url.Values{"policy_name": {"bad"}, "policy_document": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]}`}})
	wantStatus(t, "invalid managed", resp, body, http.StatusBadRequest)
	if !strings.Contains(body, "line 1, column 38") {
		t.Fatalf("invalid managed page:\n%s", body)
	}
	resp, body = b.postCSRF("iam/policies/create", url.Values{"policy_name": {"q.uoted@x"}, "policy_document": {evilDoc}})
	wantStatus(t, "create managed with markup", resp, body, http.StatusSeeOther)
	_, body = b.get("iam/policies")
	if strings.Contains(body, "<script>") || !strings.Contains(body, "&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Fatalf("the managed policy is not shown as text:\n%s", body)
	}
	b.postCSRF("iam/policies/delete", url.Values{"policy_arn": {iam.PolicyARN(account, "/", "q.uoted@x")}})
	resp, body = b.postCSRF("iam/policies/create", url.Values{"policy_name": {"readers"}, "policy_document": {readOnly}})
	wantStatus(t, "create managed", resp, body, http.StatusSeeOther)
	arn := iam.PolicyARN(account, "/", "readers")
	_, body = b.get("iam/policies")
	if !strings.Contains(body, "readers") || !strings.Contains(body, `<label for="policy_name">Policy name</label>`) || !strings.Contains(body, ">Create policy<") {
		t.Fatalf("policies page:\n%s", body)
	}
	_, body = b.get("iam/users/alice")
	if !strings.Contains(body, `<label for="policy_arn">Managed policy</label>`) || !strings.Contains(body, `<option value="`+arn+`">readers</option>`) {
		t.Fatalf("user page offers no attach:\n%s", body)
	}
	resp, body = b.postCSRF("iam/users/alice/attach", url.Values{"policy_arn": {arn}})
	wantStatus(t, "attach", resp, body, http.StatusSeeOther)
	if att, _ := e.db.ListAttachedUserPolicies(ctx, account, "alice", ""); len(att) != 1 {
		t.Fatal("not attached")
	}
	resp, body = b.postCSRF("iam/policies/delete", url.Values{"policy_arn": {arn}})
	wantStatus(t, "delete attached policy", resp, body, http.StatusConflict)
	resp, body = b.postCSRF("iam/users/alice/delete", url.Values{})
	wantStatus(t, "delete user with keys", resp, body, http.StatusConflict)
	if !strings.Contains(body, "must delete access keys first") {
		t.Fatalf("delete conflict page:\n%s", body)
	}
	for _, step := range []struct {
		path string
		form url.Values
	}{
		{"iam/users/alice/detach", url.Values{"policy_arn": {arn}}},
		{"iam/users/alice/policies/delete", url.Values{"policy_name": {"p1"}}},
		{"iam/users/alice/keys/delete", url.Values{"key": {id[1]}}},
		{"iam/policies/delete", url.Values{"policy_arn": {arn}}},
		{"iam/users/alice/delete", url.Values{}},
	} {
		resp, body := b.postCSRF(step.path, step.form)
		wantStatus(t, step.path, resp, body, http.StatusSeeOther)
	}
	if _, err := e.db.GetUser(ctx, account, "alice"); err == nil {
		t.Fatal("alice is still there")
	}
	if pols, _ := e.db.ListPolicies(ctx, account, "", false); len(pols) != 0 {
		t.Fatal("the policy is still there")
	}
}

// identityPosts are the identities pages' changes, aimed at user bob
// (with key k and inline policy p) and managed policy m.
func identityPosts(key, arn string) []struct {
	path string
	form url.Values
} {
	return []struct {
		path string
		form url.Values
	}{
		{"iam/users/create", url.Values{"user_name": {"mallory"}}},
		{"iam/users/bob/keys/create", url.Values{}},
		{"iam/users/bob/keys/status", url.Values{"key": {key}, "status": {"Inactive"}}},
		{"iam/users/bob/keys/delete", url.Values{"key": {key}}},
		{"iam/users/bob/policies/put", url.Values{"policy_name": {"p"}, "policy_document": {readOnly}}},
		{"iam/users/bob/policies/delete", url.Values{"policy_name": {"p"}}},
		{"iam/users/bob/attach", url.Values{"policy_arn": {arn}}},
		{"iam/users/bob/detach", url.Values{"policy_arn": {arn}}},
		{"iam/users/bob/delete", url.Values{}},
		{"iam/policies/create", url.Values{"policy_name": {"m2"}, "policy_document": {readOnly}}},
		{"iam/policies/delete", url.Values{"policy_arn": {arn}}},
	}
}

// TestIdentitiesRefused: a user without IAM permissions is refused every
// page and every forged change (403); a user allowed to read sees no
// change controls; missing or wrong tokens are refused; nothing changes.
func TestIdentitiesRefused(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	bobKey := e.user("bob", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3express:*","Resource":"*"}]}`)
	if _, err := e.db.CreatePolicy(ctx, account, "m", "/", "", readOnly, nil); err != nil {
		t.Fatal(err)
	}
	arn := iam.PolicyARN(account, "/", "m")
	if err := e.db.AttachUserPolicy(ctx, account, "bob", arn); err != nil {
		t.Fatal(err)
	}
	state := func() string {
		users, _ := e.db.ListUsers(ctx, account, "")
		keys, _ := e.db.ListAccessKeys(ctx, account, "bob")
		inline, _ := e.db.ListUserPolicies(ctx, account, "bob")
		att, _ := e.db.ListAttachedUserPolicies(ctx, account, "bob", "")
		pols, _ := e.db.ListPolicies(ctx, account, "", false)
		var b strings.Builder
		for _, u := range users {
			b.WriteString(u.Name + ",")
		}
		for _, k := range keys {
			b.WriteString(k.ID + string(k.Status) + ",")
		}
		b.WriteString(strings.Join(inline, ",") + ";")
		for _, p := range att {
			b.WriteString(p.Name + ",")
		}
		for _, p := range pols {
			b.WriteString(p.Name + ",")
		}
		return b.String()
	}
	k := e.user("reader", readOnly)
	ro := e.signedIn(k.ID, k.Secret)
	k = e.user("auditor", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"}]}`)
	au := e.signedIn(k.ID, k.Secret)
	before := state()
	for _, p := range []string{"iam/users", "iam/users/bob", "iam/policies"} {
		resp, body := ro.get(p)
		wantStatus(t, "read-only "+p, resp, body, http.StatusForbidden)
	}
	for _, f := range identityPosts(bobKey.ID, arn) {
		resp, body := ro.postCSRF(f.path, f.form)
		wantStatus(t, "read-only forges "+f.path, resp, body, http.StatusForbidden)
	}

	for _, p := range []string{"iam/users", "iam/users/bob", "iam/policies"} {
		resp, body := au.get(p)
		wantStatus(t, "auditor "+p, resp, body, 200)
		for _, ctl := range []string{"Create user", "Create access key", "Deactivate", ">Delete", "Save inline policy", "Attach policy",
			"Detach", "Create policy", "/delete", "/create", "/put"} {
			if strings.Contains(body, ctl) {
				t.Errorf("the auditor's %s shows %q", p, ctl)
			}
		}
		if p == "iam/users/bob" && (!strings.Contains(body, bobKey.ID) || !strings.Contains(body, "s3express:*")) {
			t.Errorf("the auditor does not see bob's keys and policies:\n%s", body)
		}
	}
	for _, f := range identityPosts(bobKey.ID, arn) {
		resp, body := au.postCSRF(f.path, f.form)
		wantStatus(t, "auditor forges "+f.path, resp, body, http.StatusForbidden)
	}

	root := e.signedIn(rootAK, rootSK)
	for _, f := range identityPosts(bobKey.ID, arn) {
		for _, tok := range []string{"", "wrong"} {
			form := url.Values{}
			for k, v := range f.form {
				form[k] = v
			}
			if tok != "" {
				form.Set("csrf", tok)
			}
			resp, body := root.post(f.path, form)
			wantStatus(t, f.path+" with token "+tok, resp, body, http.StatusForbidden)
		}
	}
	if after := state(); after != before {
		t.Fatalf("refused requests changed identities:\n%s\n%s", before, after)
	}
}

// TestDenialLog: a change logs a denial only when it is refused; the page
// shown after an allowed change asks about controls quietly.
func TestDenialLog(t *testing.T) {
	e := newEnv(t)
	e.user("bob", "")
	k := e.user("keymaker", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
	 "Action":["iam:GetUser","iam:CreateAccessKey"],"Resource":"arn:aws:iam::000000000000:user/bob"}]}`)
	b := e.signedIn(k.ID, k.Secret)
	resp, body := b.postCSRF("iam/users/bob/keys/create", url.Values{})
	wantStatus(t, "create key", resp, body, 200)
	if strings.Contains(body, "Deactivate") || strings.Contains(e.logs.String(), "console access denied") {
		t.Fatalf("the page after the change shows controls or logged denials:\n%s", e.logs.String())
	}
	resp, body = b.postCSRF("iam/users/bob/delete", url.Values{})
	wantStatus(t, "delete user", resp, body, http.StatusForbidden)
	if n := strings.Count(e.logs.String(), "console access denied"); n != 1 || !strings.Contains(e.logs.String(), "action=iam:DeleteUser") {
		t.Fatalf("%d denials logged:\n%s", n, e.logs.String())
	}
}
