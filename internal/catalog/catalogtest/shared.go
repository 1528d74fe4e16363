package catalogtest

import (
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// increment is an UpdateConfig fn adding one to a decimal counter.
func increment(cur []byte) ([]byte, error) {
	n := 0
	if cur != nil {
		var err error
		if n, err = strconv.Atoi(string(cur)); err != nil {
			return nil, err
		}
	}
	return []byte(strconv.Itoa(n + 1)), nil
}

func testUpdateConfigConcurrent(t *testing.T, c catalog.Catalog) {
	const each = 5
	errs := make([]error, writers)
	parallel(writers, func(i int) {
		for range each {
			if err := c.UpdateConfig(ctx, "counter", increment); err != nil {
				errs[i] = err
				return
			}
		}
	})
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := c.GetConfig(ctx, "counter")
	if err != nil || string(got) != strconv.Itoa(writers*each) {
		t.Fatalf("counter = %q, %v; want %d", got, err, writers*each)
	}
}

func testUpdateConfigNilAndError(t *testing.T, c catalog.Catalog) {
	cursor := configCursor(t, c)
	// Unset: fn sees nil, and a nil result leaves the name unset.
	err := c.UpdateConfig(ctx, "n", func(cur []byte) ([]byte, error) {
		if cur != nil {
			t.Errorf("unset value passed as %q", cur)
		}
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetConfig(ctx, "n"); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("after a nil result: %v, want ErrNotFound", err)
	}
	if err := c.PutConfig(ctx, "n", nil); err != nil {
		t.Fatal(err)
	}
	err = c.UpdateConfig(ctx, "n", func(cur []byte) ([]byte, error) {
		if cur == nil || len(cur) != 0 {
			t.Errorf("empty value passed as %q (nil %v), want empty", cur, cur == nil)
		}
		return []byte("v1"), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	cursor = drainChanges(t, c, cursor)
	// A nil result writes nothing: no change is reported.
	if err := c.UpdateConfig(ctx, "n", func([]byte) ([]byte, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	// An error aborts, comes back unchanged and writes nothing.
	wrapped := fmt.Errorf("refused: %w", errCondition)
	err = c.UpdateConfig(ctx, "n", func([]byte) ([]byte, error) { return []byte("v2"), wrapped })
	if !errors.Is(err, errCondition) {
		t.Fatalf("UpdateConfig with a failing fn = %v, want %v", err, wrapped)
	}
	if got, err := c.GetConfig(ctx, "n"); err != nil || string(got) != "v1" {
		t.Fatalf("after nil and failed updates: %q, %v; want v1", got, err)
	}
	if vs, _, err := c.ConfigChanges(ctx, "", cursor); err != nil || len(vs) != 0 {
		t.Fatalf("changes after nil and failed updates: %v, %v; want none", vs, err)
	}
}

// configCursor is ConfigChanges' current cursor.
func configCursor(t *testing.T, c catalog.Catalog) uint64 {
	t.Helper()
	vs, cursor, err := c.ConfigChanges(ctx, "", 0)
	if err != nil || len(vs) != 0 || cursor == 0 {
		t.Fatalf("ConfigChanges(cursor 0) = %v, %d, %v; want no values and a cursor", vs, cursor, err)
	}
	return cursor
}

// drainChanges returns the cursor after every change so far.
func drainChanges(t *testing.T, c catalog.Catalog, cursor uint64) uint64 {
	t.Helper()
	_, next, err := c.ConfigChanges(ctx, "", cursor)
	if err != nil {
		t.Fatal(err)
	}
	return next
}

func changeNames(vs []catalog.ConfigValue) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Name+"="+string(v.Value))
	}
	return out
}

func testConfigChanges(t *testing.T, c catalog.Catalog) {
	// Taken on a catalog that has never been written: the first write
	// must still come after it.
	cursor := configCursor(t, c)
	if err := c.PutConfig(ctx, "iam/a", []byte("1")); err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct{ name, value string }{
		{"iam/b", "1"}, {"keys/ring", "k1"}, {"iam/a", "2"}, {"iamx", "1"}, {"iam/c", "1"}, {"iam/a", "3"},
	} {
		err := c.UpdateConfig(ctx, w.name, func([]byte) ([]byte, error) { return []byte(w.value), nil })
		if err != nil {
			t.Fatal(err)
		}
	}
	vs, next, err := c.ConfigChanges(ctx, "iam/", cursor)
	if err != nil {
		t.Fatal(err)
	}
	// Each name once, with its latest value, in the order of those writes.
	want := []string{"iam/b=1", "iam/c=1", "iam/a=3"}
	if got := changeNames(vs); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("ConfigChanges(iam/) = %q, want %q", got, want)
	}
	if next <= cursor {
		t.Fatalf("cursor went from %d to %d", cursor, next)
	}
	all, next2, err := c.ConfigChanges(ctx, "", cursor)
	if err != nil || next2 != next {
		t.Fatalf("ConfigChanges(all) cursor %d, %v; want %d", next2, err, next)
	}
	want = []string{"iam/b=1", "keys/ring=k1", "iamx=1", "iam/c=1", "iam/a=3"}
	if got := changeNames(all); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("ConfigChanges(\"\") = %q, want %q", got, want)
	}
	// Nothing new: no values, same cursor. Then one PutConfig shows up.
	vs, again, err := c.ConfigChanges(ctx, "iam/", next)
	if err != nil || len(vs) != 0 || again != next {
		t.Fatalf("ConfigChanges with no new writes = %q, %d, %v; want none, %d", changeNames(vs), again, err, next)
	}
	if err := c.PutConfig(ctx, "iam/b", []byte("2")); err != nil {
		t.Fatal(err)
	}
	vs, _, err = c.ConfigChanges(ctx, "iam/", next)
	if got := changeNames(vs); err != nil || fmt.Sprint(got) != "[iam/b=2]" {
		t.Fatalf("after PutConfig: %q, %v; want [iam/b=2]", got, err)
	}
	// Cursor 0 never returns values.
	if vs, cur, err := c.ConfigChanges(ctx, "", 0); err != nil || len(vs) != 0 || cur <= next {
		t.Fatalf("ConfigChanges(cursor 0) = %q, %d, %v", changeNames(vs), cur, err)
	}
}

func testClaimToken(t *testing.T, c catalog.Catalog) {
	claim := func(scope, token, value string, ttl time.Duration) string {
		t.Helper()
		got, err := c.ClaimToken(ctx, scope, token, []byte(value), ttl)
		if err != nil {
			t.Fatal(err)
		}
		return string(got)
	}
	if got := claim("b1", "t1", "first", time.Hour); got != "first" {
		t.Fatalf("first claim = %q", got)
	}
	if got := claim("b1", "t1", "second", time.Hour); got != "first" {
		t.Fatalf("second claim = %q, want the first value", got)
	}
	if got := claim("b1", "t2", "other", time.Hour); got != "other" {
		t.Fatalf("another token = %q", got)
	}
	if got := claim("b2", "t1", "scoped", time.Hour); got != "scoped" {
		t.Fatalf("the same token in another scope = %q", got)
	}
	if got := claim("b1", "short", "old", 30*time.Millisecond); got != "old" {
		t.Fatalf("short claim = %q", got)
	}
	time.Sleep(60 * time.Millisecond)
	if got := claim("b1", "short", "new", time.Hour); got != "new" {
		t.Fatalf("claim of an expired token = %q, want new", got)
	}
	if got := claim("b1", "short", "newer", time.Hour); got != "new" {
		t.Fatalf("claim after the renewal = %q, want new", got)
	}
}
