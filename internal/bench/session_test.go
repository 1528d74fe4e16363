package bench

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// fakeClock is a Clock whose time moves only with Advance.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
	changed *sync.Cond
}

type fakeWaiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock(t time.Time) *fakeClock {
	c := &fakeClock{now: t}
	c.changed = sync.NewCond(&c.mu)
	return c
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.waiters = append(c.waiters, fakeWaiter{c.now.Add(d), ch})
	c.changed.Broadcast()
	return ch
}

// waitTimer blocks until someone waits on the clock and returns when that
// timer fires.
func (c *fakeClock) waitTimer() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.waiters) == 0 {
		c.changed.Wait()
	}
	return c.waiters[0].at
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			w.ch <- c.now
		} else {
			kept = append(kept, w)
		}
	}
	c.waiters = kept
}

func TestNextRefresh(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		ttl, want time.Duration
	}{
		{5 * time.Minute, 4 * time.Minute}, // one minute before expiry, as the SDKs
		{90 * time.Second, 30 * time.Second},
		{time.Minute, 30 * time.Second}, // within the window: half-way
		{30 * time.Second, 15 * time.Second},
		{time.Second, time.Second}, // never sooner than minWait
		{-time.Minute, time.Second},
	}
	for _, c := range cases {
		if got := nextRefresh(now, now.Add(c.ttl), time.Second); got != c.want {
			t.Errorf("ttl %v: refresh after %v, want %v", c.ttl, got, c.want)
		}
	}
}

func TestRefresherSchedule(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := newFakeClock(t0)
	var mu sync.Mutex
	fetches := 0
	fail := false
	fetched := make(chan int, 10)
	r := &Refresher{
		Clock:      clock,
		RetryEvery: 5 * time.Second,
		Fetch: func(ctx context.Context) (Credentials, error) {
			mu.Lock()
			defer mu.Unlock()
			if fail {
				fetched <- -1
				return Credentials{}, errors.New("boom")
			}
			fetches++
			fetched <- fetches
			return Credentials{AccessKeyID: "AK" + string(rune('0'+fetches)), Expiration: clock.Now().Add(5 * time.Minute)}, nil
		},
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	<-fetched
	if got := r.Current().AccessKeyID; got != "AK1" {
		t.Fatalf("first credentials %q", got)
	}

	// The refresh is scheduled one minute before expiry, not earlier.
	if at := clock.waitTimer(); !at.Equal(t0.Add(4 * time.Minute)) {
		t.Fatalf("refresh scheduled at %v, want %v", at, t0.Add(4*time.Minute))
	}
	clock.Advance(4*time.Minute - time.Second)
	select {
	case <-fetched:
		t.Fatal("refreshed too early")
	default:
	}
	if r.Current().AccessKeyID != "AK1" {
		t.Fatal("credentials changed before the refresh")
	}
	clock.Advance(time.Second)
	if n := <-fetched; n != 2 {
		t.Fatalf("fetch #%d", n)
	}
	// The new credentials are installed before the next timer is set.
	at := clock.waitTimer()
	if got := r.Current().AccessKeyID; got != "AK2" {
		t.Fatalf("after refresh: %q", got)
	}
	if r.Refreshes() != 1 {
		t.Fatalf("refreshes = %d", r.Refreshes())
	}
	if want := t0.Add(8 * time.Minute); !at.Equal(want) {
		t.Fatalf("second refresh at %v, want %v", at, want)
	}

	// A failed refresh keeps the old credentials and retries RetryEvery later.
	mu.Lock()
	fail = true
	mu.Unlock()
	clock.Advance(4 * time.Minute)
	if n := <-fetched; n != -1 {
		t.Fatalf("want a failed fetch, got #%d", n)
	}
	at = clock.waitTimer()
	if want := t0.Add(8*time.Minute + 5*time.Second); !at.Equal(want) {
		t.Fatalf("retry at %v, want %v", at, want)
	}
	if r.Current().AccessKeyID != "AK2" || r.Failures() != 1 {
		t.Fatalf("after a failure: %q, %d failures", r.Current().AccessKeyID, r.Failures())
	}
	mu.Lock()
	fail = false
	mu.Unlock()
	clock.Advance(5 * time.Second)
	if n := <-fetched; n != 3 {
		t.Fatalf("fetch #%d after retry", n)
	}
	clock.waitTimer()
	if r.Current().AccessKeyID != "AK3" {
		t.Fatalf("after retry: %q", r.Current().AccessKeyID)
	}
}

func TestRefresherStartError(t *testing.T) {
	r := &Refresher{Fetch: func(context.Context) (Credentials, error) { return Credentials{}, errors.New("NoSuchBucket") }}
	if err := r.Start(context.Background()); err == nil {
		t.Fatal("want an error")
	}
	r.Stop() // harmless
}

func TestParseCreateSession(t *testing.T) {
	body := []byte(`<?xml version="1.0" encoding="UTF-8"?>
<CreateSessionResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Credentials><SessionToken>tok&amp;en</SessionToken><SecretAccessKey>sec</SecretAccessKey><AccessKeyId>AKID</AccessKeyId><Expiration>2026-11-28T01:46:39Z</Expiration></Credentials></CreateSessionResult>`)
	c, err := ParseCreateSession(body)
	if err != nil {
		t.Fatal(err)
	}
	if c.SessionToken != "tok&en" || c.SecretAccessKey != "sec" || c.AccessKeyID != "AKID" ||
		!c.Expiration.Equal(time.Date(2026, 11, 28, 1, 46, 39, 0, time.UTC)) {
		t.Fatalf("%+v", c)
	}
	if _, err := ParseCreateSession([]byte(`<CreateSessionResult><Credentials><SessionToken>t</SessionToken></Credentials></CreateSessionResult>`)); err == nil {
		t.Fatal("missing fields accepted")
	}
}
