package console

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"

	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/session"
	"github.com/zonal-dev/zonal/internal/store"
)

// The script's upload endpoints (console.js). Each is a POST carrying the
// session's token in CSRFHeader, authorized as the S3 API authorizes the
// operation it stands for (a ReadWrite session on the bucket), with the
// object key (and upload id, part number) in the query and the file's
// bytes as the body. They answer JSON; a failure is the error page,
// whose message the script shows as text.

// apiPut stores a small file in one request (PutObject).
func (c *Console) apiPut(w http.ResponseWriter, r *http.Request, s *login) {
	b, ok := c.bucketFor(w, r, s, session.ReadWrite)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, c.cfg.MaxUpload)
	key := r.URL.Query().Get("key")
	if err := c.putFile(r, s, b.Name, key, r.Header.Get("Content-Type"), r.Body, r.ContentLength); err != nil {
		c.uploadError(w, s, err)
		return
	}
	writeJSON(w, map[string]string{"key": key})
}

// mpuCreate starts a multipart upload (CreateMultipartUpload).
func (c *Console) mpuCreate(w http.ResponseWriter, r *http.Request, s *login) {
	b, ok := c.bucketFor(w, r, s, session.ReadWrite)
	if !ok {
		return
	}
	q := r.URL.Query()
	key, ct := q.Get("key"), q.Get("type")
	if err := checkKey(key); err != nil {
		c.uploadError(w, s, err)
		return
	}
	if ct == "" {
		ct = "application/octet-stream"
	}
	u, err := c.cfg.Store.CreateUpload(r.Context(), catalog.Upload{Bucket: b.Name, Key: key, Owner: s.principal.Account,
		Initiator: s.principal.ARN(), ContentType: ct, SSE: c.cfg.Store.EncryptionFor(b)})
	if err != nil {
		c.storeError(w, s, err)
		return
	}
	writeJSON(w, map[string]string{"key": key, "uploadId": u.ID})
}

// mpuPart stores one part (UploadPart) of at most MaxPart bytes.
func (c *Console) mpuPart(w http.ResponseWriter, r *http.Request, s *login) {
	b, ok := c.bucketFor(w, r, s, session.ReadWrite)
	if !ok {
		return
	}
	q := r.URL.Query()
	n, err := strconv.Atoi(q.Get("part"))
	if err != nil || n < 1 || n > store.MaxParts {
		c.fail(w, http.StatusBadRequest, s, "The part number must be 1 to "+strconv.Itoa(store.MaxParts)+".")
		return
	}
	if r.ContentLength > MaxPart {
		w.Header().Set("Connection", "close")
		c.fail(w, http.StatusRequestEntityTooLarge, s, "A part may hold at most "+humanSize(MaxPart)+".")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxPart)
	p, err := c.cfg.Store.PutPart(r.Context(), &store.PartInput{Bucket: b.Name, Key: q.Get("key"), UploadID: q.Get("upload"),
		Number: n, Body: r.Body, Size: r.ContentLength})
	if err != nil {
		c.uploadError(w, s, err)
		return
	}
	writeJSON(w, map[string]string{"etag": p.ETag})
}

// maxCompleteBody bounds the parts list of a completion: 10,000 ETags.
const maxCompleteBody = 1 << 20

// mpuComplete joins the parts (CompleteMultipartUpload). The body is
// {"parts": [etag of part 1, etag of part 2, ...]}.
func (c *Console) mpuComplete(w http.ResponseWriter, r *http.Request, s *login) {
	b, ok := c.bucketFor(w, r, s, session.ReadWrite)
	if !ok {
		return
	}
	var body struct {
		Parts []string `json:"parts"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, maxCompleteBody)).Decode(&body); err != nil {
		c.fail(w, http.StatusBadRequest, s, "The list of parts could not be read.")
		return
	}
	q := r.URL.Query()
	in := &store.CompleteInput{Bucket: b.Name, Key: q.Get("key"), UploadID: q.Get("upload")}
	for i, etag := range body.Parts {
		in.Parts = append(in.Parts, store.CompletedPart{Number: i + 1, ETag: etag})
	}
	obj, err := c.cfg.Store.CompleteUpload(r.Context(), in)
	if err != nil {
		c.storeError(w, s, err)
		return
	}
	c.log.Info("console uploaded object", "principal", s.principal.ARN(), "bucket", b.Name, "key", obj.Key, "parts", len(in.Parts))
	writeJSON(w, map[string]string{"key": obj.Key})
}

// mpuAbort drops an upload and its parts (AbortMultipartUpload): the
// script calls it when a part or the completion fails.
func (c *Console) mpuAbort(w http.ResponseWriter, r *http.Request, s *login) {
	b, ok := c.bucketFor(w, r, s, session.ReadWrite)
	if !ok {
		return
	}
	q := r.URL.Query()
	if err := c.cfg.Store.AbortUpload(r.Context(), b.Name, q.Get("key"), q.Get("upload"), nil); err != nil {
		c.storeError(w, s, err)
		return
	}
	writeJSON(w, map[string]string{})
}

func writeJSON(w http.ResponseWriter, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(v)
}
