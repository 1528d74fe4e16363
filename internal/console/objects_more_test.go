package console

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// script sends one of console.js's requests: a raw body, the token in
// CSRFHeader.
func (b *browser) script(bucketName, path string, q url.Values, csrf string, body []byte) (*http.Response, string) {
	req, _ := http.NewRequest("POST", b.e.srv.URL+Prefix+"b/"+bucketName+"/api/"+path+"?"+q.Encode(), bytes.NewReader(body))
	if csrf != "" {
		req.Header.Set(CSRFHeader, csrf)
	}
	return b.do(req)
}

func (e *env) read(key string) []byte {
	e.t.Helper()
	ctx := context.Background()
	obj, err := e.st.Head(ctx, bucket, key)
	if err != nil {
		e.t.Fatal(err)
	}
	if obj.Size == 0 {
		return nil
	}
	rc, err := e.st.Open(ctx, obj, 0, obj.Size)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		e.t.Fatal(err)
	}
	return data
}

func TestDeleteMany(t *testing.T) {
	e := newEnv(t)
	e.createBucket(bucket)
	evil := `<img src=x onerror=alert(1)>`
	for _, k := range []string{"a", "b", evil, "keep"} {
		e.put(k, []byte(k))
	}
	b := e.signedIn(rootAK, rootSK)
	resp, body := b.get("b/" + bucket + "/")
	wantStatus(t, "browse", resp, body, 200)
	for _, want := range []string{`id="delete-many"`, `aria-label="Select &lt;img src=x onerror=alert(1)&gt;"`, "Delete selected"} {
		if !strings.Contains(body, want) {
			t.Fatalf("browser page lacks %q:\n%s", want, body)
		}
	}
	resp, body = b.postCSRF("b/"+bucket+"/delete-many", url.Values{"key": {"a", "b", evil}, "prefix": {""}})
	wantStatus(t, "delete-many", resp, body, http.StatusSeeOther)
	if e.exists("a") || e.exists("b") || e.exists(evil) || !e.exists("keep") {
		t.Fatal("delete-many deleted the wrong objects")
	}
	// A row's Delete button sends the form with only=KEY: that key alone
	// goes, whatever is checked.
	if _, page := b.get("b/" + bucket + "/"); !strings.Contains(page, `<button type="submit" name="only" value="keep"`) {
		t.Fatalf("a row has no Delete button:\n%s", page)
	}
	e.put("x", nil)
	resp, body = b.postCSRF("b/"+bucket+"/delete-many", url.Values{"key": {"keep"}, "only": {"x"}})
	wantStatus(t, "a row's delete", resp, body, http.StatusSeeOther)
	if e.exists("x") || !e.exists("keep") {
		t.Fatal("a row's Delete deleted the wrong objects")
	}
	// A page of more than rowDeleteMax rows has checkboxes but no row buttons.
	for i := range rowDeleteMax + 1 {
		e.put(fmt.Sprintf("many/%03d", i), nil)
	}
	if _, page := b.get("b/" + bucket + "/?prefix=many%2F"); strings.Contains(page, `name="only"`) || !strings.Contains(page, `aria-label="Select many/100"`) {
		t.Fatalf("a page of %d rows:\n%.3000s", rowDeleteMax+1, page)
	}
	// A missing or wrong token deletes nothing.
	for _, tok := range []string{"", "wrong"} {
		f := url.Values{"key": {"keep"}}
		if tok != "" {
			f.Set("csrf", tok)
		}
		resp, body := b.post("b/"+bucket+"/delete-many", f)
		wantStatus(t, "delete-many with token "+tok, resp, body, http.StatusForbidden)
	}
	if !e.exists("keep") {
		t.Fatal("a refused delete-many deleted")
	}
}

func TestRename(t *testing.T) {
	e := newEnv(t)
	e.createBucket(bucket)
	e.put("old.txt", []byte("hello"))
	e.put("taken", []byte("other"))
	b := e.signedIn(rootAK, rootSK)
	resp, body := b.get("b/" + bucket + "/object?key=old.txt")
	wantStatus(t, "object page", resp, body, 200)
	if !strings.Contains(body, `<label for="new_key">New key</label>`) || !strings.Contains(body, ">Rename</button>") {
		t.Fatalf("object page lacks the rename form:\n%s", body)
	}
	newKey := `dir/"new" <b>ü</b>.txt`
	resp, body = b.postCSRF("b/"+bucket+"/rename", url.Values{"key": {"old.txt"}, "new_key": {newKey}})
	wantStatus(t, "rename", resp, body, http.StatusSeeOther)
	if loc := resp.Header.Get("Location"); loc != objectURL(bucket, newKey) {
		t.Fatalf("rename redirects to %s", loc)
	}
	if e.exists("old.txt") || string(e.read(newKey)) != "hello" {
		t.Fatal("rename did not move the object")
	}
	resp, body = b.get(strings.TrimPrefix(resp.Header.Get("Location"), Prefix))
	wantStatus(t, "renamed object page", resp, body, 200)
	if strings.Contains(body, "<b>ü</b>") || !strings.Contains(body, "&lt;b&gt;ü&lt;/b&gt;") {
		t.Fatalf("renamed key not shown as text:\n%s", body)
	}
	// Refused renames change nothing and say why, keeping what was typed.
	for _, c := range []struct {
		to     string
		status int
		why    string
	}{
		{"taken", http.StatusConflict, "already exists"},
		{"dir/", http.StatusBadRequest, "does not end with a slash"},
		{"", http.StatusBadRequest, "Choose a file"},
		{strings.Repeat("k", 1025), http.StatusBadRequest, "longer than 1024"},
	} {
		resp, body := b.postCSRF("b/"+bucket+"/rename", url.Values{"key": {newKey}, "new_key": {c.to}})
		wantStatus(t, "rename to "+c.to, resp, body, c.status)
		if !strings.Contains(body, c.why) || !strings.Contains(body, `class="error"`) {
			t.Fatalf("rename to %q: page lacks %q:\n%.2000s", c.to, c.why, body)
		}
	}
	if string(e.read(newKey)) != "hello" || string(e.read("taken")) != "other" {
		t.Fatal("a refused rename changed objects")
	}
	resp, body = b.post("b/"+bucket+"/rename", url.Values{"key": {newKey}, "new_key": {"x"}, "csrf": {"wrong"}})
	wantStatus(t, "rename with a wrong token", resp, body, http.StatusForbidden)
	if e.exists("x") {
		t.Fatal("rename with a wrong token renamed")
	}
}

// TestMultipartUpload: the script's endpoints store a 20 MiB file in
// parts of PartSize, byte-identical; a small file in one request; an
// aborted upload leaves nothing.
func TestMultipartUpload(t *testing.T) {
	e := newEnv(t)
	e.createBucket(bucket)
	b := e.signedIn(rootAK, rootSK)
	data := make([]byte, 20<<20)
	rand.Read(data)
	key := "big/<20 MiB> \"file\".bin"
	resp, body := b.script(bucket, "mpu/create", url.Values{"key": {key}, "type": {"video/mp4"}}, b.csrf, nil)
	wantStatus(t, "create", resp, body, 200)
	var created struct{ UploadID string }
	if err := json.Unmarshal([]byte(body), &created); err != nil || created.UploadID == "" {
		t.Fatalf("create answered %q", body)
	}
	var etags []string
	for n, off := 1, 0; off < len(data); n, off = n+1, off+PartSize {
		part := data[off:min(off+PartSize, len(data))]
		q := url.Values{"key": {key}, "upload": {created.UploadID}, "part": {itoa(n)}}
		resp, body := b.script(bucket, "mpu/part", q, b.csrf, part)
		wantStatus(t, "part", resp, body, 200)
		var p struct{ ETag string }
		json.Unmarshal([]byte(body), &p)
		etags = append(etags, p.ETag)
	}
	if len(etags) != 3 {
		t.Fatalf("%d parts", len(etags))
	}
	doc, _ := json.Marshal(map[string][]string{"parts": etags})
	resp, body = b.script(bucket, "mpu/complete", url.Values{"key": {key}, "upload": {created.UploadID}}, b.csrf, doc)
	wantStatus(t, "complete", resp, body, 200)
	if !bytes.Equal(e.read(key), data) {
		t.Fatal("the completed object differs from the file")
	}
	if obj, _ := e.st.Head(context.Background(), bucket, key); obj.Parts != 3 || obj.ContentType != "video/mp4" {
		t.Fatalf("object: %d parts, type %q", obj.Parts, obj.ContentType)
	}

	resp, body = b.script(bucket, "put", url.Values{"key": {"small.txt"}}, b.csrf, []byte("small"))
	wantStatus(t, "put", resp, body, 200)
	if string(e.read("small.txt")) != "small" {
		t.Fatal("put did not store the file")
	}

	// Abort: the upload and its parts are gone, the key never appears.
	_, body = b.script(bucket, "mpu/create", url.Values{"key": {"aborted"}}, b.csrf, nil)
	json.Unmarshal([]byte(body), &created)
	b.script(bucket, "mpu/part", url.Values{"key": {"aborted"}, "upload": {created.UploadID}, "part": {"1"}}, b.csrf, []byte("x"))
	resp, body = b.script(bucket, "mpu/abort", url.Values{"key": {"aborted"}, "upload": {created.UploadID}}, b.csrf, nil)
	wantStatus(t, "abort", resp, body, 200)
	if _, err := e.st.Upload(context.Background(), bucket, "aborted", created.UploadID); err == nil || e.exists("aborted") {
		t.Fatal("the aborted upload is still there")
	}
	resp, body = b.script(bucket, "mpu/complete", url.Values{"key": {"aborted"}, "upload": {created.UploadID}}, b.csrf, []byte(`{"parts":["x"]}`))
	wantStatus(t, "complete after abort", resp, body, http.StatusNotFound)

	// A part over MaxPart is refused before it is read.
	_, body = b.script(bucket, "mpu/create", url.Values{"key": {"huge"}}, b.csrf, nil)
	json.Unmarshal([]byte(body), &created)
	resp, body = b.script(bucket, "mpu/part", url.Values{"key": {"huge"}, "upload": {created.UploadID}, "part": {"1"}}, b.csrf, make([]byte, MaxPart+1))
	wantStatus(t, "part over the limit", resp, body, http.StatusRequestEntityTooLarge)
}

// TestScriptRefusals: the script's endpoints refuse a missing or wrong
// token and a read-only user (403), and change nothing.
func TestScriptRefusals(t *testing.T) {
	e := newEnv(t)
	e.createBucket(bucket)
	b := e.signedIn(rootAK, rootSK)
	resp, body := b.script(bucket, "mpu/create", url.Values{"key": {"open"}}, b.csrf, nil)
	wantStatus(t, "create", resp, body, 200)
	var created struct{ UploadID string }
	json.Unmarshal([]byte(body), &created)
	up := url.Values{"key": {"open"}, "upload": {created.UploadID}}
	part := url.Values{"key": {"open"}, "upload": {created.UploadID}, "part": {"1"}}

	k := e.user("reader", readOnly)
	ro := e.signedIn(k.ID, k.Secret)
	calls := []struct {
		path string
		q    url.Values
		body []byte
	}{
		{"put", url.Values{"key": {"forged"}}, []byte("x")},
		{"mpu/create", url.Values{"key": {"forged"}}, nil},
		{"mpu/part", part, []byte("forged")},
		{"mpu/complete", up, []byte(`{"parts":[]}`)},
		{"mpu/abort", up, nil},
	}
	for _, c := range calls {
		for _, tok := range []string{"", "wrong", b.csrf + "x"} {
			resp, body := b.script(bucket, c.path, c.q, tok, c.body)
			wantStatus(t, c.path+" with token "+tok, resp, body, http.StatusForbidden)
		}
		resp, body := ro.script(bucket, c.path, c.q, ro.csrf, c.body)
		wantStatus(t, c.path+" by a read-only user", resp, body, http.StatusForbidden)
	}
	if e.exists("forged") || e.exists("open") {
		t.Fatal("a refused request stored an object")
	}
	if _, err := e.st.Upload(context.Background(), bucket, "open", created.UploadID); err != nil {
		t.Fatalf("a refused abort removed the upload: %v", err)
	}
	parts, _, err := e.st.ListParts(context.Background(), bucket, "open", created.UploadID, 0, 10)
	if err != nil || len(parts) != 0 {
		t.Fatalf("a refused part was stored: %v %v", parts, err)
	}
	// The read-only user sees no selection, rename or upload controls.
	e.put("a", []byte("a"))
	_, page := ro.get("b/" + bucket + "/")
	_, obj := ro.get("b/" + bucket + "/object?key=a")
	for _, ctl := range []string{"Delete selected", `type="checkbox"`, `id="upload"`} {
		if strings.Contains(page, ctl) {
			t.Errorf("read-only browser page shows %q", ctl)
		}
	}
	if strings.Contains(obj, "New key") || strings.Contains(obj, "/rename") {
		t.Error("read-only object page shows the rename form")
	}
	for path, form := range map[string]url.Values{
		"b/" + bucket + "/delete-many": {"key": {"a"}},
		"b/" + bucket + "/rename":      {"key": {"a"}, "new_key": {"b"}},
	} {
		resp, body := ro.postCSRF(path, form)
		wantStatus(t, "read-only "+path, resp, body, http.StatusForbidden)
	}
	if !e.exists("a") || e.exists("b") {
		t.Fatal("a read-only user changed objects")
	}
}

// TestUploadSeveralFiles: the plain form stores every file it carries.
func TestUploadSeveralFiles(t *testing.T) {
	e := newEnv(t)
	e.createBucket(bucket)
	b := e.signedIn(rootAK, rootSK)
	var body bytes.Buffer
	mw := newMultipart(&body, b.csrf, "in/", map[string]string{"one.txt": "1", "two.txt": "22"})
	req, _ := http.NewRequest("POST", e.srv.URL+Prefix+"b/"+bucket+"/upload", &body)
	req.Header.Set("Content-Type", mw)
	resp, page := b.do(req)
	wantStatus(t, "upload of two files", resp, page, http.StatusSeeOther)
	if string(e.read("in/one.txt")) != "1" || string(e.read("in/two.txt")) != "22" {
		t.Fatal("not every file was stored")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// newMultipart writes a form of csrf, prefix and files (name: content)
// and returns its content type.
func newMultipart(w io.Writer, csrf, prefix string, files map[string]string) string {
	mw := multipart.NewWriter(w)
	mw.WriteField("csrf", csrf)
	mw.WriteField("prefix", prefix)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		fw, _ := mw.CreateFormFile("file", name)
		io.WriteString(fw, files[name])
	}
	mw.Close()
	return mw.FormDataContentType()
}
