package s3api

import (
	"encoding/xml"
	"net/http"

	"github.com/zonal-dev/zonal/internal/auth"
	"github.com/zonal-dev/zonal/internal/s3err"
	"github.com/zonal-dev/zonal/internal/session"
)

type createSessionResult struct {
	XMLName     xml.Name `xml:"CreateSessionResult"`
	NS          string   `xml:"xmlns,attr"`
	Credentials struct {
		SessionToken    string `xml:"SessionToken"`
		SecretAccessKey string `xml:"SecretAccessKey"`
		AccessKeyID     string `xml:"AccessKeyId"`
		Expiration      string `xml:"Expiration"`
	} `xml:"Credentials"`
}

// createSession mints bucket-scoped temporary credentials in the mode
// authorize's decision d grants. The bucket need not exist yet: with a
// custom endpoint the SDKs create a session before CreateBucket and sign
// CreateBucket with it.
func (h *Handler) createSession(w http.ResponseWriter, r *http.Request, c *caller, t target, d auth.Decision) error {
	mode := d.Mode
	sse := r.Header.Get("X-Amz-Server-Side-Encryption")
	switch sse {
	case "", "AES256":
	case "aws:kms":
		return s3err.NotImplemented.Msg("zonal does not support SSE-KMS yet.")
	default:
		return s3err.InvalidArgument.Msg("The encryption method specified is not supported.")
	}
	s := &session.Session{
		Mode:    mode,
		Bucket:  t.Bucket,
		Account: c.principal.Account,
		User:    c.principal.User,
		SSE:     sse,
	}
	if b := c.bucket; b != nil {
		s.BucketOwner, s.BucketCreated = b.Owner, b.CreatedAt.UnixNano()
	}
	if c.ap != nil {
		s.Bucket = c.ap.Name
	}
	tok, err := h.cfg.Sessions.Mint(s, h.now(), h.cfg.SessionTTL)
	if err != nil {
		return internalError(err)
	}
	var res createSessionResult
	res.NS = s3NS
	res.Credentials.SessionToken = tok
	res.Credentials.SecretAccessKey = s.SecretKey()
	res.Credentials.AccessKeyID = s.AccessKeyID()
	res.Credentials.Expiration = s.Expires.UTC().Format("2006-01-02T15:04:05Z")
	setSSE(w.Header(), h.store.EncryptionFor(c.bucket))
	w.Header().Set("Cache-Control", "no-store")
	return writeXML(w, res)
}
