package console

import (
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/session"
	"github.com/zonal-dev/zonal/internal/store"
)

type crumb struct{ Name, Prefix string }

type entry struct {
	Name           string // relative to the folder shown
	Prefix         string // set for a sub-folder: its full prefix
	Key            string // set for an object
	Size, Modified string // formatted here: a template function call per row costs more
}

type objectsData struct {
	Bucket   string
	Prefix   string
	Crumbs   []crumb
	Entries  []entry
	Next     string // after= of the next page; "" on the last
	CanWrite bool
	// RowDelete gives each row a Delete button of its own: on pages of up
	// to rowDeleteMax entries only, as 1,000 more buttons cost a browser
	// about a third of the page's load time (select and Delete selected
	// instead).
	RowDelete bool
	PartSize  int64 // the script's multipart part size
}

const rowDeleteMax = 100

// browse lists one folder of a bucket: the objects and sub-folders
// directly under prefix, a page at a time. The catalog folds each
// sub-folder into one entry and seeks past it, so a page costs about its
// own size whatever the bucket holds.
func (c *Console) browse(w http.ResponseWriter, r *http.Request, s *login) {
	b, ok := c.bucketFor(w, r, s, session.ReadOnly)
	if !ok {
		return
	}
	q := r.URL.Query()
	prefix, after := q.Get("prefix"), q.Get("after")
	page, err := c.cfg.Store.List(r.Context(), catalog.ListQuery{Bucket: b.Name, Prefix: prefix, Delimiter: "/",
		After: after, Limit: c.cfg.PageSize})
	if err != nil {
		c.storeError(w, s, err)
		return
	}
	d := objectsData{Bucket: b.Name, Prefix: prefix, Crumbs: crumbs(prefix), PartSize: PartSize}
	for _, e := range page.Entries {
		if e.Object == nil {
			d.Entries = append(d.Entries, entry{Name: strings.TrimPrefix(e.Prefix, prefix), Prefix: e.Prefix})
			continue
		}
		d.Entries = append(d.Entries, entry{Name: strings.TrimPrefix(e.Object.Key, prefix), Key: e.Object.Key,
			Size: humanSize(e.Object.Size), Modified: formatTime(e.Object.LastModified)})
	}
	if page.Truncated && len(page.Entries) > 0 {
		d.Next = page.Entries[len(page.Entries)-1].Name()
	}
	if d.CanWrite, err = c.mayObjects(r, s, b.Name, b, session.ReadWrite); err != nil {
		c.internal(w, s, err)
		return
	}
	d.RowDelete = d.CanWrite && len(d.Entries) <= rowDeleteMax
	c.render(w, http.StatusOK, "objects", s, view{Title: b.Name, Data: d})
}

// crumbs are the links to each folder above prefix.
func crumbs(prefix string) []crumb {
	var out []crumb
	for i := 0; i < len(prefix); {
		j := strings.IndexByte(prefix[i:], '/')
		if j < 0 {
			break
		}
		out = append(out, crumb{Name: prefix[i : i+j+1], Prefix: prefix[:i+j+1]})
		i += j + 1
	}
	return out
}

type kv struct{ Name, Value string }

type objectData struct {
	Bucket, Key, Folder string
	NewKey              string // the rename form's value
	Object              *catalog.Object
	Headers, Meta, Sums []kv
	CanWrite            bool
}

func sorted(m map[string]string) []kv {
	out := make([]kv, 0, len(m))
	for k, v := range m {
		out = append(out, kv{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// headObject reads the record of the object a page names (?key=), once
// the principal may read the bucket's objects; ok false when it answered
// the request itself.
func (c *Console) headObject(w http.ResponseWriter, r *http.Request, s *login) (*catalog.Bucket, *catalog.Object, bool) {
	b, ok := c.bucketFor(w, r, s, session.ReadOnly)
	if !ok {
		return nil, nil, false
	}
	obj, err := c.cfg.Store.Head(r.Context(), b.Name, r.URL.Query().Get("key"))
	if err != nil {
		c.storeError(w, s, err)
		return nil, nil, false
	}
	return b, obj, true
}

func (c *Console) object(w http.ResponseWriter, r *http.Request, s *login) {
	b, obj, ok := c.headObject(w, r, s)
	if !ok {
		return
	}
	c.objectPage(w, r, s, b, obj, http.StatusOK, "", obj.Key)
}

// objectPage renders an object's details, with msg above them (a refused
// rename) and the rename form holding newKey.
func (c *Console) objectPage(w http.ResponseWriter, r *http.Request, s *login, b *catalog.Bucket, obj *catalog.Object, status int, msg, newKey string) {
	r = quietly(r) // which controls to show: refusals here are no denied change
	key := obj.Key
	var err error
	d := objectData{Bucket: b.Name, Key: key, Folder: folder(key), Object: obj, NewKey: newKey,
		Headers: sorted(obj.Headers), Meta: sorted(obj.Meta), Sums: sorted(obj.Checksums)}
	if d.CanWrite, err = c.mayObjects(r, s, b.Name, b, session.ReadWrite); err != nil {
		c.internal(w, s, err)
		return
	}
	c.render(w, status, "object", s, view{Title: key, Error: msg, Data: d})
}

// folder is the prefix of the folder holding key.
func folder(key string) string {
	if i := strings.LastIndexByte(key, '/'); i >= 0 {
		return key[:i+1]
	}
	return ""
}

// download streams an object from the store as an attachment. It is
// always application/octet-stream: an object stored as text/html must not
// be rendered as a page of the console's origin.
func (c *Console) download(w http.ResponseWriter, r *http.Request, s *login) {
	b, obj, ok := c.headObject(w, r, s)
	if !ok {
		return
	}
	var body io.ReadCloser = http.NoBody
	var err error
	if obj.Size > 0 {
		if body, err = c.cfg.Store.Open(r.Context(), obj, 0, obj.Size); err != nil {
			c.storeError(w, s, err)
			return
		}
	}
	defer body.Close()
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", attachment(path.Base("/"+obj.Key)))
	h.Set("Content-Length", strconv.FormatInt(obj.Size, 10))
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "sandbox")
	if _, err := io.Copy(w, body); err != nil {
		// The status is sent; a cut-off body is all the client can learn.
		c.log.Warn("console: download cut short", "bucket", b.Name, "err", err)
	}
}

// attachment is a Content-Disposition naming the file name: a plain ASCII
// fallback (quotes, backslashes, controls and non-ASCII replaced) for old
// clients and the exact name in RFC 5987 encoding.
func attachment(name string) string {
	if name == "/" || name == "" {
		name = "download"
	}
	var ascii strings.Builder
	for _, r := range name {
		if r < 0x20 || r >= 0x7f || r == '"' || r == '\\' || r == '%' {
			ascii.WriteByte('_')
			continue
		}
		ascii.WriteRune(r)
	}
	return `attachment; filename="` + ascii.String() + `"; filename*=UTF-8''` + rfc5987(name)
}

// rfc5987 percent-encodes all but RFC 5987's attr-char.
func rfc5987(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || strings.IndexByte("!#$&+-.^_`|~", ch) >= 0 {
			b.WriteByte(ch)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[ch>>4])
		b.WriteByte(hex[ch&15])
	}
	return b.String()
}

func (c *Console) deleteObject(w http.ResponseWriter, r *http.Request, s *login) {
	b, ok := c.bucketFor(w, r, s, session.ReadWrite)
	if !ok {
		return
	}
	key := r.PostForm.Get("key")
	if err := c.cfg.Store.Delete(r.Context(), b.Name, key, store.DeleteConditions{}); err != nil {
		c.storeError(w, s, err)
		return
	}
	c.log.Info("console deleted object", "principal", s.principal.ARN(), "bucket", b.Name, "key", key)
	back(w, r, b.Name, folder(key))
}

// upload stores the files of a multipart/form-data POST as they arrive:
// the form's fields come in order (csrf, prefix, then the files) and each
// file part is handed to the store as a stream, never held whole in
// memory. The principal is authorized before a byte of the body is read.
func (c *Console) upload(w http.ResponseWriter, r *http.Request, s *login) {
	b, ok := c.bucketFor(w, r, s, session.ReadWrite)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, c.cfg.MaxUpload+maxForm)
	mr, err := r.MultipartReader()
	if err != nil {
		c.fail(w, http.StatusBadRequest, s, "The upload is not a multipart form.")
		return
	}
	var csrf, prefix string
	files := 0
	for {
		p, err := mr.NextPart()
		if err == io.EOF && files > 0 {
			back(w, r, b.Name, prefix)
			return
		}
		if err != nil {
			c.fail(w, http.StatusBadRequest, s, "The form held no file.")
			return
		}
		switch p.FormName() {
		case "csrf":
			csrf, err = field(p)
		case "prefix":
			prefix, err = field(p)
		case "file":
			if !validCSRF(s, csrf) {
				c.fail(w, http.StatusForbidden, s, "The form's security token is missing or stale: reload the page and try again.")
				return
			}
			// The part's own path is dropped: its base name only.
			if err := c.putFile(r, s, b.Name, prefix+p.FileName(), p.Header.Get("Content-Type"), p, -1); err != nil {
				c.uploadError(w, s, err)
				return
			}
			files++
			continue
		}
		if err != nil {
			c.fail(w, http.StatusBadRequest, s, "The form could not be read.")
			return
		}
	}
}

// field reads a small form field.
func field(p *multipart.Part) (string, error) {
	v, err := io.ReadAll(io.LimitReader(p, 4096+1))
	if err == nil && len(v) > 4096 {
		err = errors.New("form field too long")
	}
	return string(v), err
}

// errBadKey is a key the console refuses to write, with why.
type errBadKey string

func (e errBadKey) Error() string { return string(e) }

// checkKey says why key cannot name a new object ("" when it can), as
// the S3 API would refuse it.
func checkKey(key string) error {
	switch {
	case key == "" || strings.HasSuffix(key, "/") || key == ".":
		return errBadKey("Choose a file, or a key that does not end with a slash.")
	case len(key) > store.MaxKeyLength:
		return errBadKey("The key would be longer than " + strconv.Itoa(store.MaxKeyLength) + " bytes.")
	case !utf8.ValidString(key):
		return errBadKey("Object keys must be valid UTF-8.")
	}
	return nil
}

// putFile stores body (size bytes, -1 when unknown) as key.
func (c *Console) putFile(r *http.Request, s *login, bucket, key, ct string, body io.Reader, size int64) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if ct == "" {
		ct = "application/octet-stream"
	}
	if _, err := c.cfg.Store.Put(r.Context(), &store.PutInput{Bucket: bucket, Key: key, Body: body, Size: size, ContentType: ct}); err != nil {
		return err
	}
	c.log.Info("console uploaded object", "principal", s.principal.ARN(), "bucket", bucket, "key", key)
	return nil
}

// uploadError answers a failed upload: a refused key, a body over the
// limit, or the store's failure.
func (c *Console) uploadError(w http.ResponseWriter, s *login, err error) {
	var bad errBadKey
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &bad):
		c.fail(w, http.StatusBadRequest, s, bad.Error())
	case errors.As(err, &tooBig) || store.IsKind(err, store.TooLarge):
		c.fail(w, http.StatusRequestEntityTooLarge, s, "The file is larger than the console's upload limit ("+humanSize(c.cfg.MaxUpload)+").")
	default:
		c.storeError(w, s, err)
	}
}

// deleteMany deletes the keys checked on a browser page, or the one key
// of the row whose Delete button sent the form (only=KEY).
func (c *Console) deleteMany(w http.ResponseWriter, r *http.Request, s *login) {
	b, ok := c.bucketFor(w, r, s, session.ReadWrite)
	if !ok {
		return
	}
	keys := r.PostForm["key"]
	if only, ok := r.PostForm["only"]; ok {
		keys = only[:1]
	}
	if len(keys) > DefaultPageSize {
		c.fail(w, http.StatusBadRequest, s, "Select at most "+strconv.Itoa(DefaultPageSize)+" objects at once.")
		return
	}
	for _, key := range keys {
		if err := c.cfg.Store.Delete(r.Context(), b.Name, key, store.DeleteConditions{}); err != nil {
			c.storeError(w, s, err)
			return
		}
		c.log.Info("console deleted object", "principal", s.principal.ARN(), "bucket", b.Name, "key", key)
	}
	back(w, r, b.Name, r.PostForm.Get("prefix"))
}

// rename moves an object to a new key in one catalog commit (the store's
// RenameObject), authorized as the S3 API authorizes it: a ReadWrite
// session. It never replaces an object already at the new key.
func (c *Console) rename(w http.ResponseWriter, r *http.Request, s *login) {
	b, ok := c.bucketFor(w, r, s, session.ReadWrite)
	if !ok {
		return
	}
	key, dst := r.PostForm.Get("key"), r.PostForm.Get("new_key")
	fail := func(status int, msg string) {
		obj, err := c.cfg.Store.Head(r.Context(), b.Name, key)
		if err != nil {
			c.storeError(w, s, err)
			return
		}
		c.objectPage(w, r, s, b, obj, status, msg, dst)
	}
	if err := checkKey(dst); err != nil {
		fail(http.StatusBadRequest, "The object was not renamed: "+err.Error())
		return
	}
	if dst == key {
		fail(http.StatusBadRequest, "The object was not renamed: the new key is the same as the old one.")
		return
	}
	err := c.cfg.Store.Rename(r.Context(), &store.RenameInput{Bucket: b.Name, Src: key, Dst: dst, IfNoneMatch: "*"})
	var se *store.Error
	switch {
	case store.IsKind(err, store.PreconditionFailed):
		fail(http.StatusConflict, "The object was not renamed: an object named "+dst+" already exists. Delete it first, or choose another key.")
	case errors.As(err, &se) && se.Kind == store.InvalidRequest:
		fail(http.StatusBadRequest, "The object was not renamed: "+se.Msg)
	case err != nil:
		c.storeError(w, s, err)
	default:
		c.log.Info("console renamed object", "principal", s.principal.ARN(), "bucket", b.Name, "key", key, "new_key", dst)
		http.Redirect(w, r, objectURL(b.Name, dst), http.StatusSeeOther)
	}
}

// objectURL is the details page of key.
func objectURL(bucket, key string) string {
	return Prefix + "b/" + url.PathEscape(bucket) + "/object?" + url.Values{"key": {key}}.Encode()
}

// storeError answers a store failure.
func (c *Console) storeError(w http.ResponseWriter, s *login, err error) {
	var se *store.Error
	if !errors.As(err, &se) {
		c.internal(w, s, err)
		return
	}
	switch se.Kind {
	case store.NoSuchBucket:
		c.fail(w, http.StatusNotFound, s, "The bucket does not exist.")
	case store.NoSuchKey:
		c.fail(w, http.StatusNotFound, s, "The object does not exist (it may have been deleted).")
	case store.IncompleteBody:
		c.fail(w, http.StatusBadRequest, s, "The upload was cut short.")
	case store.KeyTooLong:
		c.fail(w, http.StatusBadRequest, s, "The key is too long.")
	case store.NoSuchUpload:
		c.fail(w, http.StatusNotFound, s, "The multipart upload does not exist (it was completed or aborted).")
	case store.InvalidPart, store.InvalidPartOrder, store.TooSmall, store.InvalidArgument:
		c.fail(w, http.StatusBadRequest, s, "The multipart upload's parts do not fit together: "+se.Error())
	case store.Unavailable:
		c.fail(w, http.StatusServiceUnavailable, s, "The storage is unavailable for now; try again.")
	default:
		c.internal(w, s, err)
	}
}
