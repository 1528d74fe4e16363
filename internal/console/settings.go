package console

import (
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/zonal-dev/zonal/internal/auth"
	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/policy"
	"github.com/zonal-dev/zonal/internal/store"
)

// The bucket settings page: the bucket policy, default encryption and
// lifecycle rules, each read and changed with the regional action AWS
// authorizes the matching S3 call with (deletes with the Put actions, as
// AWS does).
const (
	actionGetPolicy    = "s3express:GetBucketPolicy"
	actionPutPolicy    = "s3express:PutBucketPolicy"
	actionDeletePolicy = "s3express:DeleteBucketPolicy"
	actionGetEncrypt   = "s3express:GetEncryptionConfiguration"
	actionPutEncrypt   = "s3express:PutEncryptionConfiguration"
	actionGetLifecycle = "s3express:GetLifecycleConfiguration"
	actionPutLifecycle = "s3express:PutLifecycleConfiguration"
)

// maxSettingsForm bounds a settings form: a bucket policy is at most 20 KB
// without whitespace, a lifecycle document at most 1,000 rules.
const maxSettingsForm = 1 << 20

// mayBucket decides a regional action on bucket b.
func (c *Console) mayBucket(r *http.Request, s *login, action string, b *catalog.Bucket, writes bool) (bool, error) {
	return c.decide(r, s, auth.Request{Action: action, BucketName: b.Name, Bucket: b, Regional: true, Writes: writes})
}

// section is one setting as the page shows it.
type section struct {
	CanRead, CanWrite, CanDelete bool
	Set                          bool   // the bucket has one
	Text                         string // the document shown (or as typed, after an error)
}

type settingsData struct {
	Bucket     string
	Saved      string // what the last change did, after its redirect
	Policy     section
	Encryption section // Text: the algorithm
	Lifecycle  section
}

func (c *Console) settings(w http.ResponseWriter, r *http.Request, s *login) {
	b, ok := c.pathBucket(w, r, s)
	if ok {
		c.settingsPage(w, r, s, b, http.StatusOK, "", nil)
	}
}

// settingsPage renders the settings of b with msg above them; typed, when
// set, puts back what was sent in the section it names.
func (c *Console) settingsPage(w http.ResponseWriter, r *http.Request, s *login, b *catalog.Bucket, status int, msg string, typed func(*settingsData)) {
	r = quietly(r) // which controls to show: refusals here are no denied change
	d := settingsData{Bucket: b.Name, Saved: savedNotes[r.URL.Query().Get("saved")]}
	checks := []struct {
		flag   *bool
		action string
		writes bool
	}{
		{&d.Policy.CanRead, actionGetPolicy, false}, {&d.Policy.CanWrite, actionPutPolicy, true},
		{&d.Policy.CanDelete, actionDeletePolicy, true},
		{&d.Encryption.CanRead, actionGetEncrypt, false}, {&d.Encryption.CanWrite, actionPutEncrypt, true},
		{&d.Lifecycle.CanRead, actionGetLifecycle, false}, {&d.Lifecycle.CanWrite, actionPutLifecycle, true},
	}
	any := false
	for _, ch := range checks {
		ok, err := c.mayBucket(r, s, ch.action, b, ch.writes)
		if err != nil {
			c.internal(w, s, err)
			return
		}
		*ch.flag = ok
		any = any || ok
	}
	if !any {
		c.fail(w, http.StatusForbidden, s, "Your policies allow none of the bucket settings actions on "+b.Name+
			" (s3express:GetBucketPolicy, GetEncryptionConfiguration, GetLifecycleConfiguration and their Put actions).")
		return
	}
	d.Lifecycle.CanDelete = d.Lifecycle.CanWrite
	if d.Policy.CanRead {
		d.Policy.Set, d.Policy.Text = len(b.Policy) > 0, prettyJSON(b.Policy)
	}
	if d.Encryption.CanRead {
		d.Encryption.Set, d.Encryption.Text = len(b.Encryption) > 0, sseAlgorithm(b.Encryption)
		if !d.Encryption.Set && c.cfg.Store.EncryptionFor(b) == "" {
			d.Encryption.Text = "" // the server stores data as sent by default
		}
	}
	if d.Lifecycle.CanRead && len(b.Lifecycle) > 0 {
		d.Lifecycle.Set, d.Lifecycle.Text = true, prettyLifecycle(b.Lifecycle)
	}
	if typed != nil {
		typed(&d)
	}
	c.render(w, status, "settings", s, view{Title: "Settings of " + b.Name, Error: msg, Data: d})
}

// changeSetting authorizes action on the page's bucket and runs change;
// a refusal answers 403 naming the action.
func (c *Console) changeSetting(action string, change func(w http.ResponseWriter, r *http.Request, s *login, b *catalog.Bucket)) handler {
	return func(w http.ResponseWriter, r *http.Request, s *login) {
		b, ok := c.pathBucket(w, r, s)
		if !ok {
			return
		}
		ok, err := c.mayBucket(r, s, action, b, true)
		if err != nil {
			c.internal(w, s, err)
			return
		}
		if !ok {
			c.fail(w, http.StatusForbidden, s, "Your policies do not allow "+action+" on "+b.Name+".")
			return
		}
		change(w, r, s, b)
	}
}

// updateBucket applies set to the stored bucket and returns to its page.
func (c *Console) updateBucket(w http.ResponseWriter, r *http.Request, s *login, b *catalog.Bucket, what string, set func(*catalog.Bucket)) {
	err := c.cfg.Store.UpdateBucket(r.Context(), b.Name, func(cur *catalog.Bucket) error {
		set(cur)
		return nil
	})
	if err != nil {
		c.storeError(w, s, err)
		return
	}
	c.log.Info("console changed bucket settings", "principal", s.principal.ARN(), "bucket", b.Name, "setting", what)
	http.Redirect(w, r, Prefix+"b/"+url.PathEscape(b.Name)+"/settings?saved="+url.QueryEscape(what), http.StatusSeeOther)
}

// savedNotes are the confirmations the settings page shows after a change
// (by the redirect's saved=, which only ever picks one of these).
var savedNotes = map[string]string{
	"policy":            "The bucket policy was saved.",
	"policy deleted":    "The bucket policy was deleted.",
	"encryption":        "The default encryption was saved.",
	"lifecycle":         "The lifecycle configuration was saved.",
	"lifecycle deleted": "The lifecycle configuration was deleted.",
}

// checkBucketPolicy validates a bucket policy as PutBucketPolicy does
// (policy.Parse with the directory-bucket rules, for this bucket's ARN
// and principals that exist; no public grant, Block Public Access being
// always on) and says where it goes wrong.
func (c *Console) checkBucketPolicy(b *catalog.Bucket, doc []byte) string {
	arn := auth.BucketARN(c.cfg.Region, b.Owner, b.Name)
	var valid func(string) bool
	if c.cfg.IAM != nil {
		valid = c.cfg.IAM.ValidPrincipalARN
	}
	// policyProblem re-parses statements on their own to find the one at
	// fault: grammar only, as a public one is found below by index.
	parse := func(doc []byte) error {
		_, err := policy.ParseDirectory(doc, arn, policy.LimitBucket, valid)
		if errors.As(err, new(*policy.PublicError)) {
			return nil
		}
		return err
	}
	_, err := policy.ParseDirectory(doc, arn, policy.LimitBucket, valid)
	var pe *policy.Error
	var public *policy.PublicError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &public):
		i := public.Statement
		return "Statement " + strconv.Itoa(i) + " grants access to everyone; Block Public Access is always on for directory buckets, " +
			"so a public policy is refused (at " + statementAt(doc, i).String() + ")"
	case errors.As(err, &pe) && pe.TooLarge:
		return pe.Message
	case pe != nil:
		return policyProblem(doc, pe.Message, parse)
	}
	return policyProblem(doc, err.Error(), parse)
}

func (c *Console) putPolicy(w http.ResponseWriter, r *http.Request, s *login, b *catalog.Bucket) {
	text := r.PostForm.Get("policy")
	doc := []byte(strings.TrimSpace(text))
	if why := c.checkBucketPolicy(b, doc); why != "" {
		c.settingsPage(w, r, s, b, http.StatusBadRequest, "The bucket policy was not saved: "+why,
			func(d *settingsData) { d.Policy.Text = text })
		return
	}
	c.updateBucket(w, r, s, b, "policy", func(cur *catalog.Bucket) { cur.Policy = doc })
}

func (c *Console) deletePolicy(w http.ResponseWriter, r *http.Request, s *login, b *catalog.Bucket) {
	c.updateBucket(w, r, s, b, "policy deleted", func(cur *catalog.Bucket) { cur.Policy = nil })
}

// sseConfig is the part of a ServerSideEncryptionConfiguration the page
// reads.
type sseConfig struct {
	Rules []struct {
		Algorithm string `xml:"ApplyServerSideEncryptionByDefault>SSEAlgorithm"`
	} `xml:"Rule"`
}

// sseAlgorithm is a bucket's default encryption: SSE-S3 (AES256), the
// directory-bucket default, when it has no configuration.
func sseAlgorithm(doc []byte) string {
	var cfg sseConfig
	if len(doc) == 0 || xml.Unmarshal(doc, &cfg) != nil || len(cfg.Rules) == 0 {
		return "AES256"
	}
	return cfg.Rules[0].Algorithm
}

// encryptionDoc is the configuration PutBucketEncryption stores for
// SSE-S3, the one algorithm zonal has (SSE-KMS needs a key provider).
const encryptionDoc = `<?xml version="1.0" encoding="UTF-8"?>
<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`

func (c *Console) putEncryption(w http.ResponseWriter, r *http.Request, s *login, b *catalog.Bucket) {
	if alg := r.PostForm.Get("algorithm"); alg != "AES256" {
		c.settingsPage(w, r, s, b, http.StatusBadRequest,
			"The default encryption was not changed: zonal supports SSE-S3 (AES256) only; SSE-KMS needs a key provider it does not have yet.", nil)
		return
	}
	c.updateBucket(w, r, s, b, "encryption", func(cur *catalog.Bucket) { cur.Encryption = []byte(encryptionDoc) })
}

func (c *Console) putLifecycle(w http.ResponseWriter, r *http.Request, s *login, b *catalog.Bucket) {
	text := r.PostForm.Get("lifecycle")
	doc := []byte(strings.TrimSpace(text))
	if _, err := store.ParseLifecycle(doc); err != nil {
		c.settingsPage(w, r, s, b, http.StatusBadRequest, "The lifecycle configuration was not saved: "+lifecycleError(doc, err),
			func(d *settingsData) { d.Lifecycle.Text = text })
		return
	}
	c.updateBucket(w, r, s, b, "lifecycle", func(cur *catalog.Bucket) { cur.Lifecycle = doc })
}

func (c *Console) deleteLifecycle(w http.ResponseWriter, r *http.Request, s *login, b *catalog.Bucket) {
	c.updateBucket(w, r, s, b, "lifecycle deleted", func(cur *catalog.Bucket) { cur.Lifecycle = nil })
}

// lifecycleError says why store.ParseLifecycle refused doc, with the line
// of an XML syntax error.
func lifecycleError(doc []byte, err error) string {
	var se *store.Error
	if errors.As(err, &se) && se.Msg != "" {
		return se.Msg
	}
	dec := xml.NewDecoder(strings.NewReader(string(doc)))
	for {
		_, err := dec.Token()
		var syn *xml.SyntaxError
		if errors.As(err, &syn) {
			return "the XML is not well-formed at line " + strconv.Itoa(syn.Line) + ": " + syn.Msg + "."
		}
		if err != nil {
			break
		}
	}
	return "it is not a LifecycleConfiguration document of the rules directory buckets support " +
		"(Expiration in Days and AbortIncompleteMultipartUpload, filtered by Prefix and object size)."
}

// prettyLifecycle re-renders stored rules as indented S3 XML.
func prettyLifecycle(doc []byte) string {
	cfg, err := store.ParseLifecycle(doc)
	if err != nil {
		return string(doc)
	}
	cfg.NS = "http://s3.amazonaws.com/doc/2006-03-01/"
	out, err := xml.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return string(doc)
	}
	return string(out)
}
