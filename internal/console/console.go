package console

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/zonal-dev/zonal/internal/activity"
	"github.com/zonal-dev/zonal/internal/auth"
	"github.com/zonal-dev/zonal/internal/iam"
	"github.com/zonal-dev/zonal/internal/store"
)

// Prefix is the path the console is served under.
const Prefix = "/_zonal/console/"

// Expiry and limits of sessions and sign-in attempts.
const (
	IdleTimeout     = 30 * time.Minute
	AbsoluteTimeout = 12 * time.Hour
	// FailedSignins are allowed per source address within FailWindow;
	// more are answered 429 until the window ends.
	FailedSignins = 5
	FailWindow    = time.Minute
	// DefaultPageSize is the objects (and sub-folders) per browser page.
	DefaultPageSize = 1000
	// DefaultMaxUpload bounds a file uploaded in one request (the form,
	// or the script's single PUT). The script sends bigger files as
	// multipart uploads, in parts of at most MaxPart.
	DefaultMaxUpload = 1 << 30
	// PartSize is the part size the script uploads with; MaxPart bounds a
	// part the console accepts.
	PartSize = 8 << 20
	MaxPart  = 64 << 20
)

//go:embed assets
var assets embed.FS

// Config wires a Console.
type Config struct {
	Region     string
	Zones      []string // zones this server serves; empty: any
	Store      *store.Store
	Identities iam.Directory // checks sign-ins, and sessions' keys on each request
	// IAM is the identity store the identities pages manage and the policy
	// simulator lists users from (nil: those pages answer 404).
	IAM       *iam.DB
	Auth      *auth.Authority
	Logger    *slog.Logger
	Now       func() time.Time // tests move it
	PageSize  int              // 0: DefaultPageSize
	MaxUpload int64            // 0: DefaultMaxUpload
	// OperatorAccount is the server's own account (--account-id): its root
	// user alone sees the activity page, which shows every account's
	// requests.
	OperatorAccount string
	// Activity is the server's recent metrics (nil: no activity page).
	Activity interface{ Report() activity.Report }
	// Refuse, when set, says why a change must be refused now ("" to go
	// on): the server running read-only, or (for uploads) its disk
	// nearly full. The console sits outside the S3 API's wrappers that
	// refuse these, so it asks itself.
	Refuse func(upload bool) string
}

// Console is the console's http.Handler.
type Console struct {
	cfg      Config
	log      *slog.Logger
	mux      *http.ServeMux
	pages    map[string]*template.Template
	sessions sessions
	limiter  limiter
}

// New returns the console for cfg.
func New(cfg Config) *Console {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = DefaultPageSize
	}
	if cfg.MaxUpload <= 0 {
		cfg.MaxUpload = DefaultMaxUpload
	}
	c := &Console{cfg: cfg, log: cfg.Logger, mux: http.NewServeMux(), pages: parsePages()}
	c.sessions.m = map[string]*login{}
	c.limiter.m = map[string]*failures{}
	c.routes()
	return c
}

func (c *Console) routes() {
	m := c.mux
	m.HandleFunc("GET "+Prefix+"{$}", c.home)
	m.HandleFunc("GET "+Prefix+"signin", c.signinForm)
	m.HandleFunc("POST "+Prefix+"signin", c.signin)
	m.HandleFunc("POST "+Prefix+"signout", c.post(c.signout))
	m.HandleFunc("GET "+Prefix+"buckets", c.signedIn(c.buckets))
	m.HandleFunc("POST "+Prefix+"buckets/create", c.post(c.changes(false, c.createBucket)))
	m.HandleFunc("POST "+Prefix+"buckets/delete", c.post(c.changes(false, c.deleteBucket)))
	m.HandleFunc("GET "+Prefix+"b/{bucket}/{$}", c.signedIn(c.browse))
	m.HandleFunc("GET "+Prefix+"b/{bucket}/object", c.signedIn(c.object))
	m.HandleFunc("GET "+Prefix+"b/{bucket}/download", c.signedIn(c.download))
	m.HandleFunc("POST "+Prefix+"b/{bucket}/delete", c.post(c.changes(false, c.deleteObject)))
	// The upload form is multipart: its CSRF field is read from the
	// stream, before the file (upload checks it).
	m.HandleFunc("POST "+Prefix+"b/{bucket}/upload", c.signedIn(c.changes(true, c.upload)))
	m.HandleFunc("POST "+Prefix+"b/{bucket}/delete-many", c.postLimit(maxKeysForm, c.changes(false, c.deleteMany)))
	m.HandleFunc("POST "+Prefix+"b/{bucket}/rename", c.post(c.changes(false, c.rename)))
	m.HandleFunc("GET "+Prefix+"b/{bucket}/settings", c.signedIn(c.settings))
	for path, h := range map[string]handler{
		"policy":           c.changeSetting(actionPutPolicy, c.putPolicy),
		"policy/delete":    c.changeSetting(actionDeletePolicy, c.deletePolicy),
		"encryption":       c.changeSetting(actionPutEncrypt, c.putEncryption),
		"lifecycle":        c.changeSetting(actionPutLifecycle, c.putLifecycle),
		"lifecycle/delete": c.changeSetting(actionPutLifecycle, c.deleteLifecycle),
	} {
		m.HandleFunc("POST "+Prefix+"b/{bucket}/settings/"+path, c.postLimit(maxSettingsForm, c.changes(false, h)))
	}
	m.HandleFunc("GET "+Prefix+"iam/{$}", c.signedIn(c.iamPage(c.iamIndex)))
	m.HandleFunc("GET "+Prefix+"iam/users", c.signedIn(c.iamPage(c.users)))
	m.HandleFunc("POST "+Prefix+"iam/users/create", c.post(c.changes(false, c.iamPage(c.createUser))))
	m.HandleFunc("GET "+Prefix+"iam/users/{user}", c.signedIn(c.iamPage(c.user)))
	m.HandleFunc("POST "+Prefix+"iam/users/{user}/keys/create", c.post(c.changes(false, c.iamPage(c.createKey))))
	for path, h := range map[string]handler{
		"delete":          c.userChange("DeleteUser", c.deleteUser),
		"keys/status":     c.userChange("UpdateAccessKey", c.keyStatus),
		"keys/delete":     c.userChange("DeleteAccessKey", c.deleteKey),
		"policies/put":    c.userChange("PutUserPolicy", c.putInline),
		"policies/delete": c.userChange("DeleteUserPolicy", c.deleteInline),
		"attach":          c.userChange("AttachUserPolicy", c.attach),
		"detach":          c.userChange("DetachUserPolicy", c.detach),
	} {
		m.HandleFunc("POST "+Prefix+"iam/users/{user}/"+path, c.postLimit(maxSettingsForm, c.changes(false, c.iamPage(h))))
	}
	m.HandleFunc("GET "+Prefix+"iam/policies", c.signedIn(c.iamPage(c.policies)))
	m.HandleFunc("POST "+Prefix+"iam/policies/create", c.postLimit(maxSettingsForm, c.changes(false, c.iamPage(c.createPolicy))))
	m.HandleFunc("POST "+Prefix+"iam/policies/delete", c.post(c.changes(false, c.iamPage(c.deletePolicyARN))))
	m.HandleFunc("GET "+Prefix+"simulate", c.signedIn(c.simulate))
	m.HandleFunc("GET "+Prefix+"activity", c.signedIn(c.activityPage))
	// The script's uploads: raw bodies, the CSRF token in a header.
	m.HandleFunc("POST "+Prefix+"b/{bucket}/api/put", c.script(c.changes(true, c.apiPut)))
	m.HandleFunc("POST "+Prefix+"b/{bucket}/api/mpu/create", c.script(c.changes(true, c.mpuCreate)))
	m.HandleFunc("POST "+Prefix+"b/{bucket}/api/mpu/part", c.script(c.changes(true, c.mpuPart)))
	m.HandleFunc("POST "+Prefix+"b/{bucket}/api/mpu/complete", c.script(c.changes(false, c.mpuComplete)))
	m.HandleFunc("POST "+Prefix+"b/{bucket}/api/mpu/abort", c.script(c.changes(false, c.mpuAbort)))
	static, _ := fs.Sub(assets, "assets/static")
	// Anything else under the prefix: the console's own 404 page, not
	// net/http's plain text.
	m.HandleFunc(Prefix, func(w http.ResponseWriter, r *http.Request) {
		c.fail(w, http.StatusNotFound, c.current(w, r), "There is no such page in the console.")
	})
	m.Handle("GET "+Prefix+"static/", http.StripPrefix(Prefix+"static/", http.FileServerFS(static)))
}

// ServeHTTP serves the console's pages with headers that keep them from
// being framed, cached or sniffed, and allow only their own script and
// style.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "+
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	c.mux.ServeHTTP(w, r)
}

// changes refuses h with 503 while Config.Refuse gives a reason.
func (c *Console) changes(upload bool, h handler) handler {
	return func(w http.ResponseWriter, r *http.Request, s *login) {
		if c.cfg.Refuse != nil {
			if why := c.cfg.Refuse(upload); why != "" {
				if r.ContentLength != 0 {
					w.Header().Set("Connection", "close") // the body is not read
				}
				c.fail(w, http.StatusServiceUnavailable, s, "The server refuses changes now: "+why)
				return
			}
		}
		h(w, r, s)
	}
}

func (c *Console) home(w http.ResponseWriter, r *http.Request) {
	if c.current(w, r) != nil {
		http.Redirect(w, r, Prefix+"buckets", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, Prefix+"signin", http.StatusSeeOther)
}

// view is what every page template gets.
type view struct {
	Title string
	Base  string // Prefix, for links
	User  string // the signed-in principal's ARN; "" when signed out
	Key   string // its access key id
	CSRF  string
	Error string // a message shown above the page's content
	Data  any
}

func parsePages() map[string]*template.Template {
	funcs := template.FuncMap{
		"size":  humanSize,
		"time":  formatTime,
		"bytes": func(f float64) string { return humanSize(int64(f)) },
	}
	pages := map[string]*template.Template{}
	for _, name := range []string{"signin", "buckets", "objects", "object", "error", "settings", "users", "user", "policies", "simulate", "activity"} {
		pages[name] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(assets,
			"assets/templates/layout.html", "assets/templates/"+name+".html"))
	}
	return pages
}

// render writes page name with status. Templates are executed into a
// buffer first so a template error never leaves half a page.
func (c *Console) render(w http.ResponseWriter, status int, name string, s *login, v view) {
	v.Base = Prefix
	if s != nil {
		v.User, v.Key, v.CSRF = s.principal.ARN(), s.akid, s.csrf
	}
	var buf bytes.Buffer
	if err := c.pages[name].Execute(&buf, v); err != nil {
		c.log.Error("console: rendering a page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fail renders the error page.
func (c *Console) fail(w http.ResponseWriter, status int, s *login, msg string) {
	c.render(w, status, "error", s, view{Title: http.StatusText(status), Error: msg})
}

// back redirects to a browser page of bucket at prefix.
func back(w http.ResponseWriter, r *http.Request, bucket, prefix string) {
	u := Prefix + "b/" + url.PathEscape(bucket) + "/"
	if prefix != "" {
		u += "?" + url.Values{"prefix": {prefix}}.Encode()
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
}

func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// humanSize renders a byte count for people, exact below 1 KiB.
func humanSize(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	f, i := float64(n), -1
	for f >= unit && i < 4 {
		f /= unit
		i++
	}
	return strconv.FormatFloat(f, 'f', 1, 64) + " " + "KMGTP"[i:i+1] + "iB"
}
