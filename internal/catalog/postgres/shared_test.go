package postgres

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// Two Catalog handles (two pools) on one schema stand for two zonal
// processes sharing a database.
func openPair(t *testing.T) (a, b *Catalog) {
	t.Helper()
	schema := newSchema(t)
	return openSchema(t, schema, Options{}), openSchema(t, schema, Options{})
}

// alternate is a for even i, b for odd.
func alternate(a, b *Catalog, i int) *Catalog {
	if i%2 == 1 {
		return b
	}
	return a
}

func TestSharedConfigAcrossHandles(t *testing.T) {
	a, b := openPair(t)
	ctx := context.Background()
	_, cursor, err := b.ConfigChanges(ctx, "iam/", 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.PutConfig(ctx, "iam/users", []byte("u1")); err != nil {
		t.Fatal(err)
	}
	if err := a.UpdateConfig(ctx, "iam/keys", func([]byte) ([]byte, error) { return []byte("k1"), nil }); err != nil {
		t.Fatal(err)
	}
	vs, _, err := b.ConfigChanges(ctx, "iam/", cursor)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(vs); got != fmt.Sprint([]catalog.ConfigValue{{Name: "iam/users", Value: []byte("u1")}, {Name: "iam/keys", Value: []byte("k1")}}) {
		t.Fatalf("b sees %s", got)
	}

	// Increments through both handles at once lose nothing.
	const per = 6
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := alternate(a, b, i)
			for range per {
				err := c.UpdateConfig(ctx, "n", func(cur []byte) ([]byte, error) {
					n, _ := strconv.Atoi(string(cur))
					return []byte(strconv.Itoa(n + 1)), nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got, err := a.GetConfig(ctx, "n"); err != nil || string(got) != strconv.Itoa(16*per) {
		t.Fatalf("n = %q, %v; want %d", got, err, 16*per)
	}
}

func TestClaimTokenRaceAcrossHandles(t *testing.T) {
	a, b := openPair(t)
	ctx := context.Background()
	for round := range 10 {
		token := fmt.Sprint("t", round)
		var wg sync.WaitGroup
		got := make([]string, 8)
		for i := range got {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := alternate(a, b, i)
				v, err := c.ClaimToken(ctx, "bucket", token, []byte(fmt.Sprint("claimant", i)), time.Hour)
				if err != nil {
					t.Error(err)
				}
				got[i] = string(v)
			}()
		}
		wg.Wait()
		wins := 0
		for i, v := range got {
			if v != got[0] {
				t.Fatalf("round %d: claimants saw %q", round, got)
			}
			if v == fmt.Sprint("claimant", i) {
				wins++
			}
		}
		if wins != 1 {
			t.Fatalf("round %d: %d winners (%q)", round, wins, got)
		}
	}
}

// TestConfigChangesNeverSkip: writers on two handles commit config writes
// concurrently (so commits interleave with the order the writes started)
// while a poller on a third follows ConfigChanges; once the writers are
// done, the poller has seen every value written. With versions from a
// plain sequence, a write that took its version before another but
// committed after a poll would fall below the cursor and be missed.
func TestConfigChangesNeverSkip(t *testing.T) {
	a, b := openPair(t)
	poller := openSchema(t, a.pool.Config().ConnConfig.RuntimeParams["search_path"], Options{})
	ctx := context.Background()
	_, cursor, err := poller.ConfigChanges(ctx, "w/", 0)
	if err != nil {
		t.Fatal(err)
	}
	const writersN, each = 8, 15
	seen := map[string]bool{}
	var done atomic.Bool
	polled := make(chan error, 1)
	poll := func() error {
		vs, next, err := poller.ConfigChanges(ctx, "w/", cursor)
		if err != nil {
			return err
		}
		if next < cursor {
			return fmt.Errorf("cursor went back from %d to %d", cursor, next)
		}
		for _, v := range vs {
			seen[string(v.Value)] = true
		}
		cursor = next
		return nil
	}
	go func() {
		for !done.Load() {
			if err := poll(); err != nil {
				polled <- err
				return
			}
		}
		polled <- poll() // after the last commit
	}()
	var wg sync.WaitGroup
	for w := range writersN {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := alternate(a, b, w)
			for i := range each {
				// Distinct names, so no writer waits for another's
				// name lock: only the clock orders them.
				name := fmt.Sprintf("w/%d/%d", w, i)
				value := []byte(name)
				var err error
				if i%2 == 0 {
					err = c.PutConfig(ctx, name, value)
				} else {
					err = c.UpdateConfig(ctx, name, func([]byte) ([]byte, error) { return value, nil })
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	done.Store(true)
	if err := <-polled; err != nil {
		t.Fatal(err)
	}
	for w := range writersN {
		for i := range each {
			if name := fmt.Sprintf("w/%d/%d", w, i); !seen[name] {
				t.Errorf("the poller never saw %s", name)
			}
		}
	}
}

// TestTokensPurged: expired tokens are deleted by later claims, so the
// table does not grow for ever.
func TestTokensPurged(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()
	for i := range purgeEvery - 1 {
		if _, err := c.ClaimToken(ctx, "s", fmt.Sprint("old", i), []byte("v"), time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(5 * time.Millisecond)
	if _, err := c.ClaimToken(ctx, "s", "live", []byte("v"), time.Hour); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := c.pool.QueryRow(ctx, "SELECT count(*) FROM client_tokens").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d tokens left after a purge, want the live one", n)
	}
}
