package console

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/auth"
	blobmem "github.com/zonal-dev/zonal/internal/blob/mem"
	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/catalog/mem"
	"github.com/zonal-dev/zonal/internal/iam"
	"github.com/zonal-dev/zonal/internal/netpeer"
	"github.com/zonal-dev/zonal/internal/store"
)

const (
	account  = "000000000000"
	rootAK   = "AKIACONSOLETEST00001"
	rootSK   = "consolesecretconsolesecretconsolesecret0"
	bucket   = "photos--use1-az4--x-s3"
	region   = "us-east-1"
	readOnly = `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":"s3express:ListAllMyDirectoryBuckets","Resource":"*"},
 {"Effect":"Allow","Action":"s3express:CreateSession","Resource":"arn:aws:s3express:*:*:bucket/*",
  "Condition":{"StringEquals":{"s3express:SessionMode":"ReadOnly"}}}]}`
)

// clock is the console's and auth's time, moved by tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// env is a console over a real store, catalog (in memory), identity store
// and Authority, served by httptest.
type env struct {
	t     testing.TB
	c     *Console
	srv   *httptest.Server
	db    *iam.DB
	st    *store.Store
	clock *clock
	logs  *syncBuffer
}

func newEnv(t testing.TB, adjust ...func(*Config)) *env {
	t.Helper()
	ctx := context.Background()
	cat := mem.New()
	db, err := iam.Open(ctx, cat, iam.Options{MasterKey: bytes.Repeat([]byte{7}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.EnsureAccount(ctx, account, rootAK, rootSK); err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)}
	st := store.New(cat, blobmem.New(), store.Options{})
	logs := &syncBuffer{}
	cfg := Config{Region: region, Store: st, Identities: db, IAM: db, Now: clk.now,
		Auth:   auth.New(auth.Config{Region: region, Identities: db, Policies: db, Buckets: cat, Now: clk.now}),
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	for _, f := range adjust {
		f(&cfg)
	}
	e := &env{t: t, c: New(cfg), db: db, st: st, clock: clk, logs: logs}
	e.srv = httptest.NewServer(e.c)
	t.Cleanup(e.srv.Close)
	return e
}

func (e *env) createBucket(name string) {
	e.t.Helper()
	zone, _ := catalogZone(name)
	if err := e.st.CreateBucket(context.Background(), catalog.Bucket{Name: name, Owner: account, Region: region, Zone: zone}); err != nil {
		e.t.Fatal(err)
	}
}

func catalogZone(name string) (string, bool) {
	rest := strings.TrimSuffix(name, "--x-s3")
	i := strings.LastIndex(rest, "--")
	return rest[i+2:], i > 0
}

func (e *env) put(key string, data []byte) {
	e.t.Helper()
	_, err := e.st.Put(context.Background(), &store.PutInput{Bucket: bucket, Key: key, Body: bytes.NewReader(data), Size: int64(len(data))})
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) exists(key string) bool {
	_, err := e.st.Head(context.Background(), bucket, key)
	return err == nil
}

// user creates an IAM user with an inline policy and returns its key.
func (e *env) user(name, policy string) iam.AccessKey {
	e.t.Helper()
	ctx := context.Background()
	if _, err := e.db.CreateUser(ctx, account, name, "/", nil); err != nil {
		e.t.Fatal(err)
	}
	if policy != "" {
		if err := e.db.PutUserPolicy(ctx, account, name, "p", policy); err != nil {
			e.t.Fatal(err)
		}
	}
	k, err := e.db.CreateAccessKey(ctx, account, name)
	if err != nil {
		e.t.Fatal(err)
	}
	return k
}

// browser is a client with a cookie jar that does not follow redirects.
type browser struct {
	e    *env
	c    *http.Client
	csrf string
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) do(req *http.Request) (*http.Response, string) {
	b.e.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if m := csrfField.FindStringSubmatch(string(body)); m != nil {
		b.csrf = m[1]
	}
	return resp, string(body)
}

func (b *browser) get(path string) (*http.Response, string) {
	req, _ := http.NewRequest("GET", b.e.srv.URL+Prefix+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	req, _ := http.NewRequest("POST", b.e.srv.URL+Prefix+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// postCSRF posts form with the session's token.
func (b *browser) postCSRF(path string, form url.Values) (*http.Response, string) {
	form.Set("csrf", b.csrf)
	return b.post(path, form)
}

func (b *browser) upload(bucketName, csrf, prefix, name string, data []byte) (*http.Response, string) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if csrf != "" {
		mw.WriteField("csrf", csrf)
	}
	mw.WriteField("prefix", prefix)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", b.e.srv.URL+Prefix+"b/"+bucketName+"/upload", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

func (b *browser) signIn(ak, sk string) *http.Response {
	b.e.t.Helper()
	resp, _ := b.post("signin", url.Values{"access_key": {ak}, "secret": {sk}})
	if resp.StatusCode == http.StatusSeeOther {
		b.get("buckets") // picks up the CSRF token
	}
	return resp
}

func (e *env) signedIn(ak, sk string) *browser {
	e.t.Helper()
	b := e.browser()
	if resp := b.signIn(ak, sk); resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("sign-in: %d", resp.StatusCode)
	}
	return b
}

func wantStatus(t *testing.T, what string, resp *http.Response, body string, status int) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("%s: status %d, want %d\n%.600s", what, resp.StatusCode, status, body)
	}
}

func TestSignIn(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	// The last one has the secret in the key id field: it must not be logged.
	for _, c := range []struct{ ak, sk string }{{rootAK, "wrong"}, {"AKIANOBODY0000000000", rootSK}, {rootAK, ""}, {rootAK, rootSK + "x"}, {rootSK, rootAK}} {
		resp, body := b.post("signin", url.Values{"access_key": {c.ak}, "secret": {c.sk}})
		wantStatus(t, "bad sign-in "+c.ak, resp, body, http.StatusUnauthorized)
		if len(resp.Cookies()) != 0 || !strings.Contains(body, "secret is wrong") {
			t.Fatalf("bad sign-in: cookies %v, body %.300s", resp.Cookies(), body)
		}
	}
	e.clock.add(FailWindow) // five failures: the limiter's window must pass
	if resp, _ := b.get("buckets"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != Prefix+"signin" {
		t.Fatalf("buckets before sign-in: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp := b.signIn(rootAK, rootSK)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != Prefix+"buckets" {
		t.Fatalf("sign-in: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	cks := resp.Cookies()
	if len(cks) != 1 {
		t.Fatalf("cookies: %v", cks)
	}
	ck := cks[0]
	if ck.Name != CookieName || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != Prefix || ck.Secure || len(ck.Value) != 43 {
		t.Fatalf("cookie attributes over plain HTTP: %+v", ck)
	}
	resp, body := b.get("buckets")
	wantStatus(t, "buckets", resp, body, 200)
	if !strings.Contains(body, "arn:aws:iam::000000000000:root") || b.csrf == "" {
		t.Fatalf("buckets page does not show the principal or no CSRF token:\n%.600s", body)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Fatalf("CSP: %q", csp)
	}
	// Over TLS the cookie is Secure.
	req := httptest.NewRequest("POST", "https://zonal.test"+Prefix+"signin",
		strings.NewReader(url.Values{"access_key": {rootAK}, "secret": {rootSK}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.TLS = &tls.ConnectionState{}
	rec := httptest.NewRecorder()
	e.c.ServeHTTP(rec, req)
	if got := rec.Result().Cookies(); rec.Code != http.StatusSeeOther || len(got) != 1 || !got[0].Secure {
		t.Fatalf("sign-in over TLS: %d %v", rec.Code, got)
	}
	// Likewise over TLS ended at a trusted proxy (netpeer), and not when
	// an untrusted client only claims it.
	proxies, _ := netpeer.ParseProxies([]string{"10.0.0.5"})
	for peer, secure := range map[string]bool{"10.0.0.5:4000": true, "203.0.113.1:4000": false} {
		req := httptest.NewRequest("POST", "http://zonal.test"+Prefix+"signin",
			strings.NewReader(url.Values{"access_key": {rootAK}, "secret": {rootSK}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-Proto", "https")
		req.RemoteAddr = peer
		rec := httptest.NewRecorder()
		e.c.ServeHTTP(rec, proxies.Resolve(req))
		if got := rec.Result().Cookies(); rec.Code != http.StatusSeeOther || len(got) != 1 || got[0].Secure != secure {
			t.Fatalf("sign-in from %s saying https: %d %v, want Secure %v", peer, rec.Code, got, secure)
		}
	}
	// Neither the secret nor a session id reaches the log.
	logs := e.logs.String()
	if strings.Contains(logs, rootSK) || strings.Contains(logs, ck.Value) || strings.Contains(logs, got(rec)) {
		t.Fatalf("the log holds a secret or session id:\n%s", logs)
	}
}

func got(rec *httptest.ResponseRecorder) string { return rec.Result().Cookies()[0].Value }

func TestSigninRateLimit(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	for i := range FailedSignins {
		resp, body := b.post("signin", url.Values{"access_key": {rootAK}, "secret": {"guess" + fmt.Sprint(i)}})
		wantStatus(t, "failure", resp, body, http.StatusUnauthorized)
	}
	// Blocked now, even with the right secret.
	resp, body := b.post("signin", url.Values{"access_key": {rootAK}, "secret": {rootSK}})
	wantStatus(t, "sign-in over the limit", resp, body, http.StatusTooManyRequests)
	if !strings.Contains(body, "Too many failed sign-ins") || resp.Header.Get("Retry-After") == "" || len(resp.Cookies()) != 0 {
		t.Fatalf("429 page: %q %v %.400s", resp.Header.Get("Retry-After"), resp.Cookies(), body)
	}
	// Another address is not blocked.
	req := httptest.NewRequest("POST", Prefix+"signin", strings.NewReader(url.Values{"access_key": {rootAK}, "secret": {rootSK}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = "192.0.2.7:5555"
	rec := httptest.NewRecorder()
	e.c.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("another address: %d", rec.Code)
	}
	// The window passes.
	e.clock.add(FailWindow)
	if resp := b.signIn(rootAK, rootSK); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after the window: %d", resp.StatusCode)
	}
}

func TestSignOutAndExpiry(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn(rootAK, rootSK)
	u, _ := url.Parse(e.srv.URL + Prefix)
	old := b.c.Jar.Cookies(u)

	resp, body := b.postCSRF("signout", url.Values{})
	wantStatus(t, "sign-out", resp, body, http.StatusSeeOther)
	if resp, _ := b.get("buckets"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after sign-out: %d", resp.StatusCode)
	}
	// The old cookie, replayed, is dead: sign-out deleted the session.
	b.c.Jar.SetCookies(u, old)
	if resp, _ := b.get("buckets"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("replayed cookie after sign-out: %d", resp.StatusCode)
	}

	// Idle expiry: each request extends the session, 30 idle minutes end it.
	b = e.signedIn(rootAK, rootSK)
	for range 3 {
		e.clock.add(IdleTimeout - time.Minute)
		if resp, body := b.get("buckets"); resp.StatusCode != 200 {
			t.Fatalf("active session: %d %.200s", resp.StatusCode, body)
		}
	}
	e.clock.add(IdleTimeout)
	if resp, _ := b.get("buckets"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after 30 idle minutes: %d", resp.StatusCode)
	}
	// Absolute expiry: a session in use ends after 12 hours all the same.
	b = e.signedIn(rootAK, rootSK)
	for elapsed := time.Duration(0); elapsed+20*time.Minute < AbsoluteTimeout; elapsed += 20 * time.Minute {
		e.clock.add(20 * time.Minute)
		if resp, _ := b.get("buckets"); resp.StatusCode != 200 {
			t.Fatalf("at %v: %d", elapsed, resp.StatusCode)
		}
	}
	e.clock.add(20 * time.Minute)
	if resp, _ := b.get("buckets"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after 12 hours: %d", resp.StatusCode)
	}
}

// TestCSRF: every POST route refuses a missing or wrong token (and one
// from another origin) and changes nothing.
func TestCSRF(t *testing.T) {
	e := newEnv(t)
	e.createBucket(bucket)
	e.put("keep.txt", []byte("keep"))
	b := e.signedIn(rootAK, rootSK)
	forms := map[string]url.Values{
		"signout":                 {},
		"buckets/create":          {"name": {"new"}, "zone": {"use1-az4"}},
		"buckets/delete":          {"bucket": {bucket}},
		"b/" + bucket + "/delete": {"key": {"keep.txt"}},
	}
	for path, form := range forms {
		for _, token := range []string{"", "wrong", b.csrf + "x"} {
			f := url.Values{}
			for k, v := range form {
				f[k] = v
			}
			if token != "" {
				f.Set("csrf", token)
			}
			resp, body := b.post(path, f)
			wantStatus(t, path+" with token "+token, resp, body, http.StatusForbidden)
		}
		// The right token from another site's page is refused too.
		req, _ := http.NewRequest("POST", e.srv.URL+Prefix+path, strings.NewReader(url.Values{"csrf": {b.csrf}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://evil.example")
		resp, body := b.do(req)
		wantStatus(t, path+" from another origin", resp, body, http.StatusForbidden)
	}
	for _, token := range []string{"", "wrong"} {
		resp, body := b.upload(bucket, token, "", "forged.txt", []byte("x"))
		wantStatus(t, "upload with token "+token, resp, body, http.StatusForbidden)
	}
	if e.exists("forged.txt") || !e.exists("keep.txt") {
		t.Fatal("a refused POST changed objects")
	}
	if _, err := e.st.Bucket(context.Background(), "new--use1-az4--x-s3"); err == nil {
		t.Fatal("a refused POST created a bucket")
	}
	if resp, _ := b.get("buckets"); resp.StatusCode != 200 {
		t.Fatalf("a refused sign-out ended the session: %d", resp.StatusCode)
	}
	// A POST without a session is refused, not redirected.
	resp, body := e.browser().post("buckets/create", url.Values{"name": {"x"}, "zone": {"use1-az4"}})
	wantStatus(t, "POST without session", resp, body, http.StatusForbidden)
}

// TestReadOnlyUser: a user whose policies allow listing and ReadOnly
// sessions sees objects but no create, delete or upload control, and is
// refused (403, nothing changed) when it forges each of those requests.
func TestReadOnlyUser(t *testing.T) {
	e := newEnv(t)
	e.createBucket(bucket)
	e.put("a.txt", []byte("hello"))
	k := e.user("reader", readOnly)
	b := e.signedIn(k.ID, k.Secret)

	resp, body := b.get("buckets")
	wantStatus(t, "buckets", resp, body, 200)
	if !strings.Contains(body, bucket) || strings.Contains(body, "buckets/create") || strings.Contains(body, "buckets/delete") {
		t.Fatalf("read-only bucket list shows controls or no bucket:\n%s", body)
	}
	resp, body = b.get("b/" + bucket + "/")
	wantStatus(t, "browse", resp, body, 200)
	if !strings.Contains(body, "a.txt") || strings.Contains(body, "/upload") || strings.Contains(body, "/delete") {
		t.Fatalf("read-only browser shows controls or no object:\n%s", body)
	}
	resp, body = b.get("b/" + bucket + "/object?key=a.txt")
	wantStatus(t, "object", resp, body, 200)
	if strings.Contains(body, "/delete") {
		t.Fatalf("read-only object page shows delete:\n%s", body)
	}
	if resp, body := b.get("b/" + bucket + "/download?key=a.txt"); resp.StatusCode != 200 || body != "hello" {
		t.Fatalf("read-only download: %d %q", resp.StatusCode, body)
	}

	forged := []struct {
		path string
		form url.Values
	}{
		{"buckets/create", url.Values{"name": {"mine"}, "zone": {"use1-az4"}}},
		{"buckets/delete", url.Values{"bucket": {bucket}}},
		{"b/" + bucket + "/delete", url.Values{"key": {"a.txt"}}},
	}
	for _, f := range forged {
		resp, body := b.postCSRF(f.path, f.form)
		wantStatus(t, "forged "+f.path, resp, body, http.StatusForbidden)
	}
	resp, body = b.upload(bucket, b.csrf, "", "b.txt", []byte("nope"))
	wantStatus(t, "forged upload", resp, body, http.StatusForbidden)
	if e.exists("b.txt") || !e.exists("a.txt") {
		t.Fatal("forged requests changed objects")
	}
	if _, err := e.st.Bucket(context.Background(), bucket); err != nil {
		t.Fatal("forged delete removed the bucket")
	}
	if _, err := e.st.Bucket(context.Background(), "mine--use1-az4--x-s3"); err == nil {
		t.Fatal("forged create made a bucket")
	}
	if !strings.Contains(e.logs.String(), "console access denied") {
		t.Fatal("refusals not logged")
	}

	// A user with no policy at all cannot list buckets or read objects.
	k2 := e.user("nobody", "")
	b2 := e.signedIn(k2.ID, k2.Secret)
	for _, p := range []string{"buckets", "b/" + bucket + "/", "b/" + bucket + "/download?key=a.txt"} {
		resp, body := b2.get(p)
		wantStatus(t, "no policy: "+p, resp, body, http.StatusForbidden)
	}
}

// TestKeysRenderAsText: keys and metadata with markup, quotes and Unicode
// appear literally (escaped), never as markup.
func TestKeysRenderAsText(t *testing.T) {
	e := newEnv(t)
	e.createBucket(bucket)
	evil := `<img src=x onerror=alert(1)>`
	keys := []string{evil, `say "hi" & 'bye'.txt`, "日本語/ファイル.txt", `<em onclick=x>dir/x`}
	for _, k := range keys {
		e.put(k, []byte("x"))
	}
	_, err := e.st.Put(context.Background(), &store.PutInput{Bucket: bucket, Key: "meta", Body: strings.NewReader("m"), Size: 1,
		ContentType: `text/html"><script>alert(2)</script>`, Meta: map[string]string{"note": `</dd><script>alert(3)</script>`}})
	if err != nil {
		t.Fatal(err)
	}
	b := e.signedIn(rootAK, rootSK)
	_, page := b.get("b/" + bucket + "/")
	for _, raw := range []string{evil, "<em onclick=x>", `say "hi"`, "<script>"} {
		if strings.Contains(page, raw) {
			t.Errorf("listing holds %q unescaped", raw)
		}
	}
	for _, esc := range []string{"&lt;img src=x onerror=alert(1)&gt;", "&lt;em onclick=x&gt;dir/", "say &#34;hi&#34; &amp; &#39;bye&#39;.txt", "日本語/"} {
		if !strings.Contains(page, esc) {
			t.Errorf("listing lacks %q:\n%s", esc, page)
		}
	}
	// Links carry keys percent-encoded in the query.
	if !strings.Contains(page, "object?key=%3cimg%20src%3dx%20onerror%3dalert%281%29%3e") {
		t.Errorf("object link not query-escaped:\n%s", page)
	}
	resp, page := b.get("b/" + bucket + "/object?key=" + url.QueryEscape(evil))
	wantStatus(t, "object page", resp, page, 200)
	if strings.Contains(page, evil) || !strings.Contains(page, "&lt;img src=x onerror=alert(1)&gt;") {
		t.Errorf("object page: key not escaped:\n%s", page)
	}
	_, page = b.get("b/" + bucket + "/object?key=meta")
	if strings.Contains(page, "<script>") || !strings.Contains(page, "&lt;/dd&gt;&lt;script&gt;alert(3)&lt;/script&gt;") {
		t.Errorf("metadata or content type not escaped:\n%s", page)
	}
	_, page = b.get("b/" + bucket + "/?prefix=" + url.QueryEscape("日本語/"))
	if !strings.Contains(page, "ファイル.txt") {
		t.Errorf("Unicode folder:\n%s", page)
	}
}

// TestPagination: a folder of more than a page is listed a page at a
// time, every key once and in order, sub-folders folded into one entry.
func TestPagination(t *testing.T) {
	e := newEnv(t)
	e.createBucket(bucket)
	const n = 2345
	for i := range n {
		e.put(fmt.Sprintf("k%05d", i), nil)
	}
	for i := range 50 {
		e.put(fmt.Sprintf("dir/%d", i), nil)
	}
	b := e.signedIn(rootAK, rootSK)
	entry := regexp.MustCompile(`object\?key=(k\d{5})"`)
	next := regexp.MustCompile(`rel="next" href="([^"]+)"`)
	path := "b/" + bucket + "/"
	var seen []string
	pages := 0
	for path != "" {
		resp, body := b.get(path)
		wantStatus(t, "page", resp, body, 200)
		pages++
		keys := entry.FindAllStringSubmatch(body, -1)
		if m := next.FindStringSubmatch(body); m != nil {
			rows := len(keys)
			if strings.Contains(body, "?prefix=dir%2f\"") {
				rows++
			}
			if rows != DefaultPageSize {
				t.Fatalf("page %d: %d entries", pages, rows)
			}
			path = strings.TrimPrefix(strings.ReplaceAll(m[1], "&amp;", "&"), Prefix)
		} else {
			path = ""
		}
		for _, k := range keys {
			seen = append(seen, k[1])
		}
	}
	if pages != 3 || len(seen) != n {
		t.Fatalf("%d pages, %d keys", pages, len(seen))
	}
	for i, k := range seen {
		if k != fmt.Sprintf("k%05d", i) {
			t.Fatalf("key %d is %s", i, k)
		}
	}
}

// TestUploadDownload: a file uploaded through the form (larger than the
// inline threshold, so it goes to a blob) downloads byte-identical, with
// its base name safely in Content-Disposition; a deleted key is gone.
func TestUploadDownload(t *testing.T) {
	e := newEnv(t)
	e.createBucket(bucket)
	b := e.signedIn(rootAK, rootSK)
	data := make([]byte, 300<<10)
	rand.Read(data)
	name := `report "final" ü.bin`
	resp, body := b.upload(bucket, b.csrf, "docs/", name, data)
	wantStatus(t, "upload", resp, body, http.StatusSeeOther)
	key := "docs/" + name
	resp, got := b.get("b/" + bucket + "/download?key=" + url.QueryEscape(key))
	wantStatus(t, "download", resp, "", 200)
	if got != string(data) {
		t.Fatalf("downloaded %d bytes differ from the %d uploaded", len(got), len(data))
	}
	cd := resp.Header.Get("Content-Disposition")
	if cd != `attachment; filename="report _final_ _.bin"; filename*=UTF-8''report%20%22final%22%20%C3%BC.bin` {
		t.Fatalf("Content-Disposition: %s", cd)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/octet-stream" {
		t.Fatalf("Content-Type: %s", ct)
	}
	// The object page shows its details.
	resp, page := b.get("b/" + bucket + "/object?key=" + url.QueryEscape(key))
	wantStatus(t, "object page", resp, page, 200)
	if !strings.Contains(page, "307200 bytes") {
		t.Fatalf("object page:\n%s", page)
	}
	// Delete it: the key stops working.
	resp, body = b.postCSRF("b/"+bucket+"/delete", url.Values{"key": {key}})
	wantStatus(t, "delete", resp, body, http.StatusSeeOther)
	for _, p := range []string{"download", "object"} {
		resp, body := b.get("b/" + bucket + "/" + p + "?key=" + url.QueryEscape(key))
		wantStatus(t, p+" of a deleted key", resp, body, http.StatusNotFound)
	}
}

func TestUploadLimit(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxUpload = 100 << 10 })
	e.createBucket(bucket)
	b := e.signedIn(rootAK, rootSK)
	resp, body := b.upload(bucket, b.csrf, "", "big.bin", make([]byte, 200<<10))
	wantStatus(t, "upload over the limit", resp, body, http.StatusRequestEntityTooLarge)
	if e.exists("big.bin") {
		t.Fatal("an upload over the limit was stored")
	}
}

// TestBuckets: create with a bad and a good name, refuse to delete a
// bucket holding an object or with an access point (saying why), delete
// it once empty.
func TestBuckets(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn(rootAK, rootSK)
	resp, body := b.postCSRF("buckets/create", url.Values{"name": {"Bad_Name"}, "zone": {"use1-az4"}})
	wantStatus(t, "bad name", resp, body, http.StatusBadRequest)
	if !strings.Contains(body, "only lowercase letters") || !strings.Contains(body, `value="Bad_Name"`) {
		t.Fatalf("bad name page:\n%s", body)
	}
	resp, body = b.postCSRF("buckets/create", url.Values{"name": {"photos"}, "zone": {"use1-az4"}})
	wantStatus(t, "create", resp, body, http.StatusSeeOther)
	if resp.Header.Get("Location") != Prefix+"b/"+bucket+"/" {
		t.Fatalf("create redirects to %s", resp.Header.Get("Location"))
	}
	e.put("x", []byte("x"))
	resp, body = b.postCSRF("buckets/delete", url.Values{"bucket": {bucket}})
	wantStatus(t, "delete non-empty", resp, body, http.StatusConflict)
	if !strings.Contains(body, "it is not empty") {
		t.Fatalf("non-empty delete page:\n%s", body)
	}
	if _, err := e.st.Bucket(context.Background(), bucket); err != nil {
		t.Fatal(err)
	}
	b.postCSRF("b/"+bucket+"/delete", url.Values{"key": {"x"}})
	// An attached access point keeps the bucket too, and the page says so.
	ap := catalog.AccessPoint{Name: "photos--use1-az4--xa-s3", Bucket: bucket, Owner: account, Region: region}
	if err := e.st.CreateAccessPoint(context.Background(), ap); err != nil {
		t.Fatal(err)
	}
	resp, body = b.postCSRF("buckets/delete", url.Values{"bucket": {bucket}})
	wantStatus(t, "delete with an access point", resp, body, http.StatusConflict)
	if !strings.Contains(body, "access points are attached") {
		t.Fatalf("delete with an access point page:\n%s", body)
	}
	if err := e.st.DeleteAccessPoint(context.Background(), ap.Name); err != nil {
		t.Fatal(err)
	}
	resp, body = b.postCSRF("buckets/delete", url.Values{"bucket": {bucket}})
	wantStatus(t, "delete", resp, body, http.StatusSeeOther)
	if _, err := e.st.Bucket(context.Background(), bucket); err == nil {
		t.Fatal("bucket still there")
	}
}

// TestRevokedKey: a key deactivated or deleted in IAM ends its console
// sessions at the next request, and signs in no more.
func TestRevokedKey(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	k := e.user("alice", readOnly)
	b := e.signedIn(k.ID, k.Secret)
	if err := e.db.UpdateAccessKey(ctx, account, "alice", k.ID, iam.KeyInactive); err != nil {
		t.Fatal(err)
	}
	if resp, _ := b.get("buckets"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("deactivated key still works: %d", resp.StatusCode)
	}
	if resp := e.browser().signIn(k.ID, k.Secret); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("sign-in with a deactivated key: %d", resp.StatusCode)
	}
	if err := e.db.UpdateAccessKey(ctx, account, "alice", k.ID, iam.KeyActive); err != nil {
		t.Fatal(err)
	}
	b = e.signedIn(k.ID, k.Secret)
	if err := e.db.DeleteAccessKey(ctx, account, "alice", k.ID); err != nil {
		t.Fatal(err)
	}
	if resp, _ := b.get("buckets"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("deleted key still works: %d", resp.StatusCode)
	}
}

func TestAttachmentName(t *testing.T) {
	for name, want := range map[string]string{
		"a.txt":       `attachment; filename="a.txt"; filename*=UTF-8''a.txt`,
		"x\r\nSet: y": `attachment; filename="x__Set: y"; filename*=UTF-8''x%0D%0ASet%3A%20y`,
		`back\slash%`: `attachment; filename="back_slash_"; filename*=UTF-8''back%5Cslash%25`,
		"":            `attachment; filename="download"; filename*=UTF-8''download`,
	} {
		if got := attachment(name); got != want {
			t.Errorf("attachment(%q) = %s, want %s", name, got, want)
		}
	}
}

// TestRefuse: while Config.Refuse gives a reason, changes are answered 503
// with it and change nothing; reading and signing out go on.
func TestRefuse(t *testing.T) {
	why := "the server is read-only"
	e := newEnv(t, func(c *Config) { c.Refuse = func(bool) string { return why } })
	e.createBucket(bucket)
	e.put("a", []byte("a"))
	b := e.signedIn(rootAK, rootSK)
	resp, body := b.upload(bucket, b.csrf, "", "new.txt", []byte("x"))
	wantStatus(t, "upload", resp, body, http.StatusServiceUnavailable)
	if !strings.Contains(body, why) || e.exists("new.txt") {
		t.Fatalf("refused upload: stored %v, page %.300s", e.exists("new.txt"), body)
	}
	resp, body = b.postCSRF("b/"+bucket+"/delete", url.Values{"key": {"a"}})
	wantStatus(t, "delete", resp, body, http.StatusServiceUnavailable)
	resp, body = b.postCSRF("buckets/create", url.Values{"name": {"x"}, "zone": {"use1-az4"}})
	wantStatus(t, "create", resp, body, http.StatusServiceUnavailable)
	if resp, body := b.get("b/" + bucket + "/download?key=a"); resp.StatusCode != 200 || body != "a" {
		t.Fatalf("read while refusing changes: %d", resp.StatusCode)
	}
	resp, body = b.postCSRF("signout", url.Values{})
	wantStatus(t, "sign-out", resp, body, http.StatusSeeOther)
}

// BenchmarkBrowse100k: a page of 1,000 objects from a folder of 100,000
// (its middle, resumed with after=), rendered server side, through HTTP.
func BenchmarkBrowse100k(b *testing.B) {
	e := newEnv(b)
	e.createBucket(bucket)
	for i := range 100_000 {
		e.put(fmt.Sprintf("k%06d", i), nil)
	}
	br := e.signedIn(rootAK, rootSK)
	b.ResetTimer()
	for b.Loop() {
		resp, body := br.get("b/" + bucket + "/?after=k050000")
		if resp.StatusCode != 200 || !strings.Contains(body, "k051000") || strings.Contains(body, "k051001") {
			b.Fatalf("%d", resp.StatusCode)
		}
	}
}

// BenchmarkBrowse1000: a page of 1,000 objects (a folder holding exactly
// that many), rendered with every row's controls, through HTTP.
func BenchmarkBrowse1000(b *testing.B) {
	e := newEnv(b)
	e.createBucket(bucket)
	for i := range 1000 {
		e.put(fmt.Sprintf("photos/2026/img-%04d.jpg", i), []byte("x"))
	}
	br := e.signedIn(rootAK, rootSK)
	b.ResetTimer()
	for b.Loop() {
		resp, body := br.get("b/" + bucket + "/?prefix=photos%2F2026%2F")
		if resp.StatusCode != 200 || !strings.Contains(body, "img-0999.jpg") {
			b.Fatalf("%d", resp.StatusCode)
		}
	}
}

// TestUnknownPageIsTheConsoles404: a mistyped console address gets the
// console's own page (layout, navigation when signed in), not net/http's
// plain text.
func TestUnknownPageIsTheConsoles404(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn(rootAK, rootSK)
	resp, body := b.get("no/such/page")
	wantStatus(t, "unknown page", resp, body, http.StatusNotFound)
	if !strings.Contains(body, "There is no such page in the console.") || !strings.Contains(body, ">Sign out<") ||
		resp.Header.Get("Content-Security-Policy") == "" {
		t.Fatalf("not the console's page:\n%s", body)
	}
}
