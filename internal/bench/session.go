package bench

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zonal-dev/zonal/internal/sigv4"
)

// Credentials are S3 Express session credentials from CreateSession.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time

	signer *sigv4.Signer // session signer, built once per credentials
}

// ParseCreateSession reads a CreateSessionResult body. Like the Go SDK it
// insists on all four fields.
func ParseCreateSession(body []byte) (Credentials, error) {
	var c Credentials
	c.SessionToken = xmlText(body, "SessionToken")
	c.SecretAccessKey = xmlText(body, "SecretAccessKey")
	c.AccessKeyID = xmlText(body, "AccessKeyId")
	exp := xmlText(body, "Expiration")
	if c.SessionToken == "" || c.SecretAccessKey == "" || c.AccessKeyID == "" || exp == "" {
		return c, fmt.Errorf("CreateSession response lacks one of SessionToken, SecretAccessKey, AccessKeyId, Expiration")
	}
	t, err := time.Parse(time.RFC3339, exp)
	if err != nil {
		return c, fmt.Errorf("CreateSession Expiration %q: %v", exp, err)
	}
	c.Expiration = t
	return c, nil
}

// xmlText returns the unescaped text of the first <name> element of body
// (no attributes, no nesting): enough for the flat S3 response fields read
// here (SessionToken, UploadId...), without encoding/xml's cost.
func xmlText(body []byte, name string) string {
	return xmlUnescape(xmlTextBytes(body, "<"+name+">", "</"+name+">"))
}

// xmlTextBytes returns the raw text between the first open and close tags,
// allocating only the result (the list workload calls it on every page).
func xmlTextBytes(body []byte, open, close string) string {
	i := bytes.Index(body, []byte(open))
	if i < 0 {
		return ""
	}
	rest := body[i+len(open):]
	j := bytes.Index(rest, []byte(close))
	if j < 0 {
		return ""
	}
	return string(rest[:j])
}

func xmlUnescape(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&quot;", `"`, "&apos;", "'",
		"&#34;", `"`, "&#39;", "'", "&amp;", "&").Replace(s)
}

// Clock is the time source of the session refresher (injected in tests).
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// refreshWindow is how long before Expiration a session is renewed: the
// AWS SDKs' value (Go and JS both refresh in the last minute).
const refreshWindow = time.Minute

// nextRefresh says how long after now credentials expiring at exp should be
// renewed: refreshWindow before expiry, or, for sessions shorter than the
// window (test servers), half-way through what is left, never sooner than
// minWait so a short-lived session cannot turn into a request storm.
func nextRefresh(now, exp time.Time, minWait time.Duration) time.Duration {
	left := exp.Sub(now)
	d := left - refreshWindow
	if d <= 0 {
		d = left / 2
	}
	return max(d, minWait)
}

// Refresher keeps one bucket's session credentials current. Workers read
// Current() (an atomic load) on every request and never wait: a background
// goroutine fetches new credentials one minute before Expiration and swaps
// them in, as the SDKs do. A failed refresh is retried every RetryEvery
// while the old credentials keep being used (the server then decides,
// with ExpiredToken, when they are no good).
type Refresher struct {
	Fetch      func(ctx context.Context) (Credentials, error)
	Clock      Clock
	RetryEvery time.Duration // default 1s
	MinWait    time.Duration // default 1s
	// OnError is told about failed refreshes (optional).
	OnError func(error)

	cur       atomic.Pointer[Credentials]
	refreshes atomic.Int64
	failures  atomic.Int64
	stop      context.CancelFunc
	done      sync.WaitGroup
}

// Start fetches the first credentials synchronously, then refreshes them in
// the background until Stop.
func (r *Refresher) Start(ctx context.Context) error {
	if r.Clock == nil {
		r.Clock = realClock{}
	}
	if r.RetryEvery <= 0 {
		r.RetryEvery = time.Second
	}
	if r.MinWait <= 0 {
		r.MinWait = time.Second
	}
	c, err := r.Fetch(ctx)
	if err != nil {
		return err
	}
	r.cur.Store(&c)
	ctx, r.stop = context.WithCancel(context.WithoutCancel(ctx))
	r.done.Add(1)
	go r.loop(ctx)
	return nil
}

// Current returns the credentials to sign with now.
func (r *Refresher) Current() *Credentials { return r.cur.Load() }

// Refreshes is the number of successful background refreshes.
func (r *Refresher) Refreshes() int64 { return r.refreshes.Load() }

// Failures is the number of failed background refreshes.
func (r *Refresher) Failures() int64 { return r.failures.Load() }

// Stop ends the background refresh and waits for it.
func (r *Refresher) Stop() {
	if r.stop != nil {
		r.stop()
		r.done.Wait()
	}
}

func (r *Refresher) loop(ctx context.Context) {
	defer r.done.Done()
	wait := nextRefresh(r.Clock.Now(), r.cur.Load().Expiration, r.MinWait)
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.Clock.After(wait):
		}
		c, err := r.Fetch(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			r.failures.Add(1)
			if r.OnError != nil {
				r.OnError(err)
			}
			wait = r.RetryEvery
			continue
		}
		r.cur.Store(&c)
		r.refreshes.Add(1)
		wait = nextRefresh(r.Clock.Now(), c.Expiration, r.MinWait)
	}
}
