package console

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zonal-dev/zonal/internal/iam"
	"github.com/zonal-dev/zonal/internal/netpeer"
)

// CookieName is the session cookie's name.
const CookieName = "zonal_console"

// login is a signed-in browser (a console session). Its id is the cookie's value and the
// map's key; neither it nor the CSRF token is ever logged.
type login struct {
	id, csrf  string
	akid      string
	principal iam.Principal
	created   time.Time
	seen      time.Time // guarded by sessions.mu
}

type sessions struct {
	mu    sync.Mutex
	m     map[string]*login
	swept time.Time
}

// randomToken is 32 random bytes, base64url.
func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand since Go 1.24)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (s *sessions) add(now time.Time, akid string, p iam.Principal) *login {
	ss := &login{id: randomToken(), csrf: randomToken(), akid: akid, principal: p, created: now, seen: now}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Sign-ins are rare: sweeping expired sessions here, at most once a
	// minute, keeps the map small with no goroutine of its own.
	if now.Sub(s.swept) > time.Minute {
		for id, o := range s.m {
			if expired(o, now) {
				delete(s.m, id)
			}
		}
		s.swept = now
	}
	s.m[ss.id] = ss
	return ss
}

func expired(s *login, now time.Time) bool {
	return now.Sub(s.seen) >= IdleTimeout || now.Sub(s.created) >= AbsoluteTimeout
}

// touch returns the live session of id and marks it used, or nil.
func (s *sessions) touch(id string, now time.Time) *login {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.m[id]
	if ss == nil {
		return nil
	}
	if expired(ss, now) {
		delete(s.m, id)
		return nil
	}
	ss.seen = now
	return ss
}

func (s *sessions) remove(id string) {
	s.mu.Lock()
	delete(s.m, id)
	s.mu.Unlock()
}

// current returns the request's session, or nil. The session's access key
// is looked up again on every request (a map read in iam.DB): a key
// deleted or deactivated since the sign-in ends the session here.
func (c *Console) current(w http.ResponseWriter, r *http.Request) *login {
	ck, err := r.Cookie(CookieName)
	if err != nil || ck.Value == "" {
		return nil
	}
	s := c.sessions.touch(ck.Value, c.cfg.Now())
	if s == nil {
		return nil
	}
	p, _, err := c.cfg.Identities.LookupKey(r.Context(), s.akid)
	if err != nil || p != s.principal {
		c.sessions.remove(s.id)
		clearCookie(w, r)
		return nil
	}
	return s
}

func setCookie(w http.ResponseWriter, r *http.Request, id string) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: id, Path: Prefix,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: netpeer.SecureTransport(r)})
}

func clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: Prefix, MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: netpeer.SecureTransport(r)})
}

// handler is a console page that needs a session.
type handler func(w http.ResponseWriter, r *http.Request, s *login)

// signedIn sends a browser without a session to the sign-in page (a
// POST without one is refused: there is nothing to return to).
func (c *Console) signedIn(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := c.current(w, r)
		if s == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, Prefix+"signin", http.StatusSeeOther)
				return
			}
			c.fail(w, http.StatusForbidden, nil, "Your session has ended: sign in again.")
			return
		}
		if r.Method == http.MethodPost && !sameOrigin(r) {
			c.fail(w, http.StatusForbidden, s, "The request came from another site.")
			return
		}
		h(w, r, s)
	}
}

// maxForm bounds the body of the console's plain (non-upload) forms.
const maxForm = 64 << 10

// maxKeysForm bounds the form of a multi-delete: a page of keys (1,000
// of up to 1,024 bytes, percent-encoded).
const maxKeysForm = 4 << 20

// post is signedIn for a urlencoded form: the form is parsed (bounded)
// and its csrf field must be the session's token.
func (c *Console) post(h handler) http.HandlerFunc { return c.postLimit(maxForm, h) }

// postLimit is post with a form of up to limit bytes.
func (c *Console) postLimit(limit int64, h handler) http.HandlerFunc {
	return c.signedIn(func(w http.ResponseWriter, r *http.Request, s *login) {
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		if err := r.ParseForm(); err != nil {
			c.fail(w, http.StatusBadRequest, s, "The form could not be read.")
			return
		}
		if !validCSRF(s, r.PostForm.Get("csrf")) {
			c.fail(w, http.StatusForbidden, s, "The form's security token is missing or stale: reload the page and try again.")
			return
		}
		h(w, r, s)
	})
}

// CSRFHeader carries the session's token on the script's requests, whose
// bodies are files. Another site cannot set it: a cross-origin request
// with a custom header needs a CORS preflight the console never grants.
const CSRFHeader = "X-Csrf-Token"

// script is signedIn for the script's requests: the token is in
// CSRFHeader and the body is the handler's to read.
func (c *Console) script(h handler) http.HandlerFunc {
	return c.signedIn(func(w http.ResponseWriter, r *http.Request, s *login) {
		if !validCSRF(s, r.Header.Get(CSRFHeader)) {
			if r.ContentLength != 0 {
				w.Header().Set("Connection", "close") // the body is not read
			}
			c.fail(w, http.StatusForbidden, s, "The request's security token is missing or stale: reload the page and try again.")
			return
		}
		h(w, r, s)
	})
}

func validCSRF(s *login, got string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.csrf)) == 1
}

// sameOrigin refuses a POST whose Origin header names another host, a
// second line behind SameSite=Strict and the CSRF token (and the only one
// for the sign-in form, which has no session yet). Browsers send Origin
// on every POST; other clients may leave it out.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

// limiter counts failed sign-ins per source address in fixed windows.
type limiter struct {
	mu sync.Mutex
	m  map[string]*failures
}

type failures struct {
	start time.Time
	n     int
}

// blocked reports how long addr must wait before trying again (0: it may
// try now).
func (l *limiter) blocked(addr string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.m[addr]
	if f == nil || now.Sub(f.start) >= FailWindow || f.n < FailedSignins {
		return 0
	}
	return FailWindow - now.Sub(f.start)
}

func (l *limiter) fail(addr string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.m) > 10000 { // many addresses: drop the finished windows
		for a, f := range l.m {
			if now.Sub(f.start) >= FailWindow {
				delete(l.m, a)
			}
		}
	}
	f := l.m[addr]
	if f == nil || now.Sub(f.start) >= FailWindow {
		f = &failures{start: now}
		l.m[addr] = f
	}
	f.n++
}

// sourceAddr is the client's address as the connection shows it.
// Forwarded headers are not trusted: anyone could set them.
func sourceAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

type signinData struct{ AccessKey string }

func (c *Console) signinForm(w http.ResponseWriter, r *http.Request) {
	if c.current(w, r) != nil {
		http.Redirect(w, r, Prefix+"buckets", http.StatusSeeOther)
		return
	}
	c.render(w, http.StatusOK, "signin", nil, view{Title: "Sign in", Data: signinData{}})
}

func (c *Console) signin(w http.ResponseWriter, r *http.Request) {
	now := c.cfg.Now()
	addr := sourceAddr(r)
	if !sameOrigin(r) {
		c.fail(w, http.StatusForbidden, nil, "The request came from another site.")
		return
	}
	if wait := c.limiter.blocked(addr, now); wait > 0 {
		secs := int(wait.Round(time.Second) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
		c.render(w, http.StatusTooManyRequests, "signin", nil, view{Title: "Sign in", Data: signinData{},
			Error: "Too many failed sign-ins from your address. Try again in " + strconv.Itoa(max(secs, 1)) + " seconds."})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		c.fail(w, http.StatusBadRequest, nil, "The form could not be read.")
		return
	}
	akid := strings.TrimSpace(r.PostForm.Get("access_key"))
	p, err := c.check(r, akid, r.PostForm.Get("secret"))
	if err != nil {
		if !errors.Is(err, errBadCredentials) {
			c.log.Error("console: sign-in lookup failed", "err", err)
			c.fail(w, http.StatusInternalServerError, nil, "The identity store failed; try again.")
			return
		}
		c.limiter.fail(addr, now)
		// What was typed as the key id is logged only when it is one: a
		// secret pasted into the wrong field must not reach the log.
		if _, _, err := c.cfg.Identities.LookupKey(r.Context(), akid); err == nil {
			c.log.Info("console sign-in refused", "access_key", akid, "source", addr)
		} else {
			c.log.Info("console sign-in refused", "access_key", "(unknown)", "source", addr)
		}
		c.render(w, http.StatusUnauthorized, "signin", nil, view{Title: "Sign in", Data: signinData{AccessKey: akid},
			Error: "The access key id or the secret is wrong, or the key is not active."})
		return
	}
	if ck, err := r.Cookie(CookieName); err == nil {
		c.sessions.remove(ck.Value) // a session signed in again is replaced
	}
	s := c.sessions.add(now, akid, p)
	setCookie(w, r, s.id)
	c.log.Info("console sign-in", "principal", p.ARN(), "access_key", akid, "source", addr)
	http.Redirect(w, r, Prefix+"buckets", http.StatusSeeOther)
}

var errBadCredentials = errors.New("console: wrong access key or secret")

// check verifies a sign-in. The secrets are hashed before the constant
// time comparison so their lengths do not show either, and an unknown key
// costs the same comparison.
func (c *Console) check(r *http.Request, akid, secret string) (iam.Principal, error) {
	if akid == "" || secret == "" {
		return iam.Principal{}, errBadCredentials
	}
	p, want, err := c.cfg.Identities.LookupKey(r.Context(), akid)
	if err != nil && !errors.Is(err, iam.ErrNoSuchKey) {
		return p, err
	}
	known := err == nil
	got, exp := sha256.Sum256([]byte(secret)), sha256.Sum256([]byte(want))
	if subtle.ConstantTimeCompare(got[:], exp[:]) != 1 || !known {
		return iam.Principal{}, errBadCredentials
	}
	return p, nil
}

func (c *Console) signout(w http.ResponseWriter, r *http.Request, s *login) {
	c.sessions.remove(s.id)
	clearCookie(w, r)
	http.Redirect(w, r, Prefix+"signin", http.StatusSeeOther)
}
