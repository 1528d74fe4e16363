package catalogtest

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/zonal-dev/zonal/internal/catalog"
)

func sortedUploads(ups [][2]string) [][2]string {
	out := slices.Clone(ups)
	slices.SortFunc(out, func(a, b [2]string) int {
		if c := strings.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return strings.Compare(a[1], b[1])
	})
	return out
}

// foldKey returns the common prefix key folds into, if any.
func foldKey(key, prefix, delim string) (string, bool) {
	if delim == "" || !strings.HasPrefix(key, prefix) {
		return "", false
	}
	i := strings.Index(key[len(prefix):], delim)
	if i < 0 {
		return "", false
	}
	return key[:len(prefix)+i+len(delim)], true
}

// modelWithUploads lists objects and uploads by the definition: objects
// as in model; with a delimiter, an upload key folding into a common
// prefix contributes that prefix; nothing else of an upload shows.
func modelWithUploads(objects, uploads []string, q catalog.ListQuery) ([]string, bool) {
	set := map[string]bool{}
	for _, k := range objects {
		if !strings.HasPrefix(k, q.Prefix) {
			continue
		}
		if cp, ok := foldKey(k, q.Prefix, q.Delimiter); ok {
			set["+"+cp] = true
		} else {
			set[k] = true
		}
	}
	for _, k := range uploads {
		if cp, ok := foldKey(k, q.Prefix, q.Delimiter); ok {
			set["+"+cp] = true
		}
	}
	name := func(e string) string { return strings.TrimPrefix(e, "+") }
	var all []string
	for e := range set {
		if name(e) > q.After {
			all = append(all, e)
		}
	}
	// Object names and common prefixes never coincide (a key equal to a
	// prefix would itself fold), so sorting by name is a total order.
	slices.SortFunc(all, func(a, b string) int { return strings.Compare(name(a), name(b)) })
	if all == nil {
		all = []string{}
	}
	if len(all) > q.Limit {
		return all[:q.Limit], true
	}
	return all, false
}

// listUploadKeys are keys of in-progress uploads beside listKeys' objects:
// directories that exist only through uploads (dironly/, a/zz/, deep ones),
// uploads inside directories that objects create too (a/b/), uploads
// directly in a directory (never listed), several uploads of one key.
var listUploadKeys = []string{
	"dironly/x", "dironly/y/z", "dironly/x", "a/new", "a/b/up", "a/zz/1", "a/zz/2", "zzz", "top",
	"a\x00b/c", "é/f/g", "\xff/x", "z/\xff/q", "a/b/d/e/f", "m/n", "m/n", "b",
}

func setupListWithUploads(t *testing.T, c catalog.Catalog) {
	setupList(t, c)
	for i, k := range listUploadKeys {
		mustCreateUpload(t, c, "b", k, string(rune('a'+i)))
	}
	mustCreateUpload(t, c, "b0", "other/bucket", "x")
}

func testListObjectsWithUploads(t *testing.T, c catalog.Catalog) {
	setupListWithUploads(t, c)
	check := func(q catalog.ListQuery, truncated bool, want ...string) {
		t.Helper()
		q.Bucket = "b"
		p := list(t, c, q)
		if got := names(p); !reflect.DeepEqual(got, append([]string{}, want...)) || p.Truncated != truncated {
			t.Fatalf("ListObjects(%+v) = %q truncated=%v; want %q truncated=%v", q, got, p.Truncated, want, truncated)
		}
	}
	check(catalog.ListQuery{Delimiter: "/", Limit: 100}, false,
		"\x00", "a", "a\x00b", "+a\x00b/", "+a/", "a0", "ab", "b", "+b/", "+dironly/", "+m/", "+z/", "é", "+é/", "+日本/", "\xff", "+\xff/")
	check(catalog.ListQuery{Prefix: "a/", Delimiter: "/", Limit: 100}, false,
		"a/", "+a//", "a/b", "+a/b/", "a/c", "+a/d/", "+a/zz/")
	check(catalog.ListQuery{Prefix: "dironly/", Delimiter: "/", Limit: 100}, false, "+dironly/y/")
	check(catalog.ListQuery{Prefix: "dironly/x", Delimiter: "/", Limit: 100}, false)
	check(catalog.ListQuery{Prefix: "a/zz/", Delimiter: "/", Limit: 100}, false)
	// Paging around prefixes that only uploads create is exact.
	check(catalog.ListQuery{Delimiter: "/", After: "b/", Limit: 1}, true, "+dironly/")
	check(catalog.ListQuery{Delimiter: "/", After: "dironly/", Limit: 1}, true, "+m/")
	check(catalog.ListQuery{Delimiter: "/", After: "dironly/x", Limit: 1}, true, "+m/")
	check(catalog.ListQuery{Delimiter: "/", After: "\xff", Limit: 1}, false, "+\xff/")
	check(catalog.ListQuery{Delimiter: "/", After: "é/", Limit: 1}, true, "+日本/")
	// The last entry before uploads directly in the directory is not
	// truncated on their account.
	check(catalog.ListQuery{Prefix: "a/", Delimiter: "/", After: "a/d/", Limit: 1}, false, "+a/zz/")
	check(catalog.ListQuery{Prefix: "to", Delimiter: "/", Limit: 1}, false)
	check(catalog.ListQuery{Prefix: "a/", Delimiter: "/", After: "a/c", Limit: 1}, true, "+a/d/")
	// Without a delimiter uploads never show.
	check(catalog.ListQuery{Prefix: "dironly", Limit: 100}, false)
	check(catalog.ListQuery{Prefix: "m", Limit: 100}, false)

	prefixes := []string{"", "a", "a/", "a/b/", "dironly/", "m", "m/", "z/", "é", "\xff", "t"}
	afters := []string{"", "a", "a/", "a/b", "a/zz/", "a/zz/1", "dironly/", "dironly/x", "m/", "m/n", "top", "zzz", "é/", "\xff", "\xff/"}
	for _, prefix := range prefixes {
		for _, delim := range []string{"", "/"} {
			for _, after := range afters {
				for _, limit := range []int{1, 2, 3, 1000} {
					q := catalog.ListQuery{Bucket: "b", Prefix: prefix, Delimiter: delim, After: after, Limit: limit}
					want, wantTrunc := modelWithUploads(listKeys, listUploadKeys, q)
					p := list(t, c, q)
					if got := names(p); !reflect.DeepEqual(got, want) || p.Truncated != wantTrunc {
						t.Fatalf("ListObjects(%#v) = %q truncated=%v; want %q truncated=%v", q, got, p.Truncated, want, wantTrunc)
					}
				}
			}
		}
	}
	// Paging adds up to the whole listing.
	for _, prefix := range []string{"", "a/", "dironly/"} {
		full, _ := modelWithUploads(listKeys, listUploadKeys, catalog.ListQuery{Prefix: prefix, Delimiter: "/", Limit: 1 << 30})
		for limit := 1; limit <= len(full)+1; limit++ {
			var got []string
			after := ""
			for pages := 0; ; pages++ {
				if pages > len(full)+1 {
					t.Fatalf("paging %q by %d does not end", prefix, limit)
				}
				p := list(t, c, catalog.ListQuery{Bucket: "b", Prefix: prefix, Delimiter: "/", After: after, Limit: limit})
				got = append(got, names(p)...)
				if !p.Truncated {
					break
				}
				after = p.Entries[len(p.Entries)-1].Name()
			}
			if !reflect.DeepEqual(got, full) && !(len(got) == 0 && len(full) == 0) {
				t.Fatalf("paging %q by %d = %q, want %q", prefix, limit, got, full)
			}
		}
	}
	// Completing and aborting uploads changes what shows.
	if err := c.AbortUpload(ctx, "b", "a/zz/1", "f", nil); err != nil {
		t.Fatal(err)
	}
	check(catalog.ListQuery{Prefix: "a/", Delimiter: "/", After: "a/d/", Limit: 5}, false, "+a/zz/")
	if err := c.AbortUpload(ctx, "b", "a/zz/2", "g", nil); err != nil {
		t.Fatal(err)
	}
	check(catalog.ListQuery{Prefix: "a/", Delimiter: "/", After: "a/d/", Limit: 5}, false)
	if err := c.CompleteUpload(ctx, "b", "a/new", "d", assembleAll(nil)); err != nil {
		t.Fatal(err)
	}
	check(catalog.ListQuery{Prefix: "a/", Delimiter: "/", After: "a/d/", Limit: 5}, false, "a/new")
}
