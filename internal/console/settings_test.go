package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/zonal-dev/zonal/internal/catalog"
)

const bucketPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"RootReads","Effect":"Allow",
 "Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"s3express:CreateSession",
 "Resource":"arn:aws:s3express:us-east-1:000000000000:bucket/photos--use1-az4--x-s3",
 "Condition":{"StringEquals":{"s3express:SessionMode":"ReadOnly"}}}]}`

const lifecycle = `<LifecycleConfiguration><Rule><ID>tmp</ID><Status>Enabled</Status><Filter><Prefix>tmp/</Prefix></Filter><Expiration><Days>7</Days></Expiration></Rule></LifecycleConfiguration>`

func (e *env) bucketRecord() catalog.Bucket {
	e.t.Helper()
	b, err := e.st.Bucket(context.Background(), bucket)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

func TestBucketSettings(t *testing.T) {
	e := newEnv(t)
	e.createBucket(bucket)
	b := e.signedIn(rootAK, rootSK)
	settings := "b/" + bucket + "/settings"
	resp, body := b.get(settings)
	wantStatus(t, "settings", resp, body, 200)
	for _, want := range []string{`<label for="policy">Bucket policy</label>`, ">Save policy<",
		`<label for="algorithm">Default encryption</label>`, ">Save encryption<", `<label for="lifecycle">Lifecycle configuration</label>`,
		">Save lifecycle<", "has no policy"} {
		if !strings.Contains(body, want) {
			t.Fatalf("settings page lacks %q:\n%s", want, body)
		}
	}
	// Nothing to delete yet: no Delete buttons.
	if strings.Contains(body, ">Delete policy<") || strings.Contains(body, ">Delete lifecycle<") {
		t.Fatal("Delete buttons for a policy and lifecycle the bucket does not have")
	}
	if _, page := b.get("b/" + bucket + "/"); !strings.Contains(page, `href="/_zonal/console/b/`+bucket+`/settings">Settings<`) {
		t.Fatal("the browser page does not link to the settings")
	}
	if _, page := b.get("buckets"); !strings.Contains(page, `/settings">Settings<`) {
		t.Fatal("the bucket list does not link to the settings")
	}

	// A valid policy is stored as sent and shown indented.
	resp, body = b.postCSRF(settings+"/policy", url.Values{"policy": {bucketPolicy}})
	wantStatus(t, "save policy", resp, body, http.StatusSeeOther)
	if got := string(e.bucketRecord().Policy); got != bucketPolicy {
		t.Fatalf("stored policy %q", got)
	}
	if loc := resp.Header.Get("Location"); !strings.HasSuffix(loc, "/settings?saved=policy") {
		t.Fatalf("after saving: redirected to %q", loc)
	}
	_, body = b.get(settings + "?saved=policy")
	if !strings.Contains(body, "The bucket policy was saved.") || !strings.Contains(body, ">Delete policy<") {
		t.Fatal("no confirmation, or no Delete policy button, after saving a policy")
	}
	if !strings.Contains(body, "\n  &#34;Statement&#34;: [\n    {\n      &#34;Sid&#34;: &#34;RootReads&#34;") {
		t.Fatalf("the saved policy is not shown indented:\n%s", body)
	}

	// Refused documents change nothing, and say where they go wrong.
	evil := "</textarea><script>alert(1)</script>"
	for _, c := range []struct{ doc, want string }{
		{"{\"Version\": \"2012-10-17\",\n \"Statement\": [\n  {\"Effect\": \"Allow\" \"x\": 1}]}  " + evil, "line 3, column 22"},
		{"{\"Version\":\"2012-10-17\",\"Statement\":[\n{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::000000000000:root\"},\n\"Action\":\"s3express:PutBucketPolicy\",\"Resource\":\"*\"}]}",
			"(at line 2, column 1)"},
		{strings.Replace(bucketPolicy, `{"AWS":"arn:aws:iam::000000000000:root"}`, `"*"`, 1), "grants access to everyone"},
		{strings.Replace(bucketPolicy, `000000000000:root`, `111111111111:root`, 1), "line"},
	} {
		resp, body := b.postCSRF(settings+"/policy", url.Values{"policy": {c.doc}})
		wantStatus(t, "invalid policy", resp, body, http.StatusBadRequest)
		if !strings.Contains(body, `class="error"`) || !strings.Contains(body, c.want) {
			t.Fatalf("invalid policy: page lacks %q:\n%s", c.want, body)
		}
		if strings.Contains(body, evil) {
			t.Fatal("the typed document is not escaped")
		}
		if got := string(e.bucketRecord().Policy); got != bucketPolicy {
			t.Fatalf("a refused policy changed the stored one: %q", got)
		}
	}
	// The typed document is kept in the textarea, as text.
	_, body = b.postCSRF(settings+"/policy", url.Values{"policy": {"{" + evil}})
	if !strings.Contains(body, "{&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;</textarea>") {
		t.Fatalf("the refused document is not put back as text:\n%s", body)
	}

	resp, body = b.postCSRF(settings+"/encryption", url.Values{"algorithm": {"aws:kms"}})
	wantStatus(t, "SSE-KMS", resp, body, http.StatusBadRequest)
	if len(e.bucketRecord().Encryption) != 0 {
		t.Fatal("a refused encryption was stored")
	}
	resp, body = b.postCSRF(settings+"/encryption", url.Values{"algorithm": {"AES256"}})
	wantStatus(t, "save encryption", resp, body, http.StatusSeeOther)
	if sseAlgorithm(e.bucketRecord().Encryption) != "AES256" || len(e.bucketRecord().Encryption) == 0 {
		t.Fatal("encryption not stored")
	}

	resp, body = b.postCSRF(settings+"/lifecycle", url.Values{"lifecycle": {"<LifecycleConfiguration>\n<Rule>\n</Oops>"}})
	wantStatus(t, "malformed lifecycle", resp, body, http.StatusBadRequest)
	if !strings.Contains(body, "line 3") || len(e.bucketRecord().Lifecycle) != 0 {
		t.Fatalf("malformed lifecycle:\n%s", body)
	}
	resp, body = b.postCSRF(settings+"/lifecycle", url.Values{"lifecycle": {strings.Replace(lifecycle, "<ID>tmp</ID>", "<Transition></Transition>", 1)}})
	wantStatus(t, "unsupported lifecycle", resp, body, http.StatusBadRequest)
	resp, body = b.postCSRF(settings+"/lifecycle", url.Values{"lifecycle": {lifecycle}})
	wantStatus(t, "save lifecycle", resp, body, http.StatusSeeOther)
	if string(e.bucketRecord().Lifecycle) != lifecycle {
		t.Fatalf("lifecycle stored as %q", e.bucketRecord().Lifecycle)
	}
	_, body = b.get(settings)
	if !strings.Contains(body, "&lt;Days&gt;7&lt;/Days&gt;") {
		t.Fatalf("the stored lifecycle is not shown:\n%s", body)
	}

	// Refused tokens change nothing.
	posts := map[string]url.Values{"/policy": {"policy": {"{}"}}, "/policy/delete": {}, "/encryption": {"algorithm": {"AES256"}},
		"/lifecycle": {"lifecycle": {"x"}}, "/lifecycle/delete": {}}
	before := e.bucketRecord()
	for p, form := range posts {
		for _, tok := range []string{"", "wrong"} {
			f := url.Values{}
			for k, v := range form {
				f[k] = v
			}
			if tok != "" {
				f.Set("csrf", tok)
			}
			resp, body := b.post(settings+p, f)
			wantStatus(t, p+" with token "+tok, resp, body, http.StatusForbidden)
		}
	}
	if after := e.bucketRecord(); string(after.Policy) != string(before.Policy) || string(after.Lifecycle) != string(before.Lifecycle) {
		t.Fatal("a refused POST changed the settings")
	}

	resp, body = b.postCSRF(settings+"/policy/delete", url.Values{})
	wantStatus(t, "delete policy", resp, body, http.StatusSeeOther)
	resp, body = b.postCSRF(settings+"/lifecycle/delete", url.Values{})
	wantStatus(t, "delete lifecycle", resp, body, http.StatusSeeOther)
	if r := e.bucketRecord(); r.Policy != nil || r.Lifecycle != nil {
		t.Fatal("deletes left settings")
	}
}

// TestBucketSettingsAuthorization: each setting is read and changed with
// its own action; a user without them is refused server-side.
func TestBucketSettingsAuthorization(t *testing.T) {
	e := newEnv(t)
	e.createBucket(bucket)
	settings := "b/" + bucket + "/settings"
	err := e.st.UpdateBucket(context.Background(), bucket, func(b *catalog.Bucket) error {
		b.Policy, b.Lifecycle = []byte(bucketPolicy), []byte(lifecycle)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	posts := map[string]url.Values{"/policy": {"policy": {bucketPolicy}}, "/policy/delete": {}, "/encryption": {"algorithm": {"AES256"}},
		"/lifecycle": {"lifecycle": {lifecycle}}, "/lifecycle/delete": {}}
	k := e.user("reader", readOnly)
	ro := e.signedIn(k.ID, k.Secret)
	resp, body := ro.get(settings)
	wantStatus(t, "read-only settings", resp, body, http.StatusForbidden)
	for p, form := range posts {
		resp, body := ro.postCSRF(settings+p, form)
		wantStatus(t, "read-only "+p, resp, body, http.StatusForbidden)
	}
	if r := e.bucketRecord(); r.Policy == nil || r.Lifecycle == nil || r.Encryption != nil {
		t.Fatal("a read-only user changed the settings")
	}

	// Allowed to read the policy and write the lifecycle only.
	k = e.user("mixed", `{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Action":["s3express:GetBucketPolicy","s3express:PutLifecycleConfiguration"],"Resource":"*"}]}`)
	mixed := e.signedIn(k.ID, k.Secret)
	resp, body = mixed.get(settings)
	wantStatus(t, "mixed settings", resp, body, 200)
	if !strings.Contains(body, "&#34;RootReads&#34;") || strings.Contains(body, "Save policy") || strings.Contains(body, "Delete policy") ||
		strings.Contains(body, "Save encryption") || !strings.Contains(body, "Save lifecycle") || strings.Contains(body, "&lt;Days&gt;7&lt;") {
		t.Fatalf("mixed user's settings page:\n%s", body)
	}
	for _, p := range []string{"/policy", "/policy/delete", "/encryption"} {
		resp, body := mixed.postCSRF(settings+p, posts[p])
		wantStatus(t, "mixed "+p, resp, body, http.StatusForbidden)
	}
	resp, body = mixed.postCSRF(settings+"/lifecycle/delete", url.Values{})
	wantStatus(t, "mixed deletes the lifecycle", resp, body, http.StatusSeeOther)
	if r := e.bucketRecord(); r.Policy == nil || r.Lifecycle != nil {
		t.Fatal("the mixed user's changes went wrong")
	}
	if resp, body := mixed.get("b/nosuch--use1-az4--x-s3/settings"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("settings of a missing bucket: %d %.200s", resp.StatusCode, body)
	}
}
