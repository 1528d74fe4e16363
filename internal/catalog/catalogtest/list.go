package catalogtest

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// listKeys exercise folding and ordering: keys equal to a prefix of other
// keys, NUL and 0xff bytes, unicode, trailing and doubled delimiters.
var listKeys = []string{
	"\x00", "a", "a\x00b", "a/", "a/b", "a/b/", "a/b/c", "a/b/d", "a/b/d/e",
	"a/c", "a/d/e", "a//x", "a0", "ab", "b", "b/x", "é", "é/f",
	"日本/語", "日本/語/x", "z/", "z/\xff", "\xff",
}

func setupList(t *testing.T, c catalog.Catalog) {
	t.Helper()
	mustCreateBucket(t, c, "b", "o")
	for i, k := range listKeys {
		put(t, c, "b", inlineObject(k, fmt.Sprint(i)))
	}
	// Keys of a neighbouring bucket must never show.
	mustCreateBucket(t, c, "b0", "o")
	put(t, c, "b0", inlineObject("a/zzz", "other bucket"))
}

// names renders a page as entry names, common prefixes marked with "+".
func names(p catalog.ListPage) []string {
	out := []string{}
	for _, e := range p.Entries {
		switch {
		case e.Object != nil && e.Prefix != "":
			out = append(out, "!both:"+e.Prefix)
		case e.Object != nil:
			out = append(out, e.Object.Key)
		default:
			out = append(out, "+"+e.Prefix)
		}
	}
	return out
}

// model lists keys by the definition: fold, then keep names after After.
func model(keys []string, q catalog.ListQuery) (entries []string, truncated bool) {
	keys = slices.Clone(keys)
	slices.Sort(keys)
	all := []string{}
	last := ""
	for _, k := range keys {
		if !strings.HasPrefix(k, q.Prefix) {
			continue
		}
		name, mark := k, ""
		if q.Delimiter != "" {
			if i := strings.Index(k[len(q.Prefix):], q.Delimiter); i >= 0 {
				name, mark = k[:len(q.Prefix)+i+len(q.Delimiter)], "+"
			}
		}
		if name <= q.After || (mark == "+" && mark+name == last) {
			continue
		}
		last = mark + name
		all = append(all, last)
	}
	if len(all) > q.Limit {
		return all[:q.Limit], true
	}
	return all, false
}

func list(t *testing.T, c catalog.Catalog, q catalog.ListQuery) catalog.ListPage {
	t.Helper()
	p, err := c.ListObjects(ctx, q)
	if err != nil {
		t.Fatalf("ListObjects(%+v): %v", q, err)
	}
	return p
}

func testListBasics(t *testing.T, c catalog.Catalog) {
	setupList(t, c)
	check := func(q catalog.ListQuery, truncated bool, want ...string) {
		t.Helper()
		q.Bucket = "b"
		p := list(t, c, q)
		if got := names(p); !reflect.DeepEqual(got, append([]string{}, want...)) || p.Truncated != truncated {
			t.Fatalf("ListObjects(%+v) = %q truncated=%v; want %q truncated=%v", q, got, p.Truncated, want, truncated)
		}
	}
	check(catalog.ListQuery{Prefix: "a/b", Limit: 100}, false, "a/b", "a/b/", "a/b/c", "a/b/d", "a/b/d/e")
	check(catalog.ListQuery{Prefix: "a/", Delimiter: "/", Limit: 100}, false, "a/", "+a//", "a/b", "+a/b/", "a/c", "+a/d/")
	check(catalog.ListQuery{Prefix: "a/b/", Delimiter: "/", Limit: 100}, false, "a/b/", "a/b/c", "a/b/d", "+a/b/d/")
	check(catalog.ListQuery{Delimiter: "/", Limit: 100}, false,
		"\x00", "a", "a\x00b", "+a/", "a0", "ab", "b", "+b/", "+z/", "é", "+é/", "+日本/", "\xff")
	// Paging across a common prefix resumes after its whole sub-tree.
	check(catalog.ListQuery{Delimiter: "/", Limit: 4}, true, "\x00", "a", "a\x00b", "+a/")
	check(catalog.ListQuery{Delimiter: "/", After: "a/", Limit: 2}, true, "a0", "ab")
	check(catalog.ListQuery{Prefix: "a/", Delimiter: "/", After: "a/b/", Limit: 2}, false, "a/c", "+a/d/")
	// After inside a folded sub-tree also skips the rest of it.
	check(catalog.ListQuery{Delimiter: "/", After: "a/b/c", Limit: 2}, true, "a0", "ab")
	// Truncated is exact: false when the page ends on the last entry.
	check(catalog.ListQuery{Prefix: "a/b/", Delimiter: "/", Limit: 4}, false, "a/b/", "a/b/c", "a/b/d", "+a/b/d/")
	check(catalog.ListQuery{Prefix: "a/b/", Delimiter: "/", Limit: 3}, true, "a/b/", "a/b/c", "a/b/d")
	check(catalog.ListQuery{Prefix: "z/", Delimiter: "/", Limit: 2}, false, "z/", "z/\xff")
	check(catalog.ListQuery{Prefix: "nothing", Limit: 10}, false)
	check(catalog.ListQuery{After: "\xff", Limit: 10}, false)
	check(catalog.ListQuery{Prefix: "a/", After: "b", Limit: 10}, false)

	// Entries carry the records' metadata, not their inline bytes.
	p := list(t, c, catalog.ListQuery{Bucket: "b", Prefix: "ab", Limit: 1})
	checkListed(t, p.Entries[0].Object, inlineObject("ab", fmt.Sprint(slices.Index(listKeys, "ab"))))
}

// testListMatchesModel compares every combination of a set of prefixes,
// delimiters, After values and limits with the definition.
func testListMatchesModel(t *testing.T, c catalog.Catalog) {
	setupList(t, c)
	prefixes := []string{"", "a", "a/", "a/b", "a/b/", "b", "é", "日本/", "z/", "\x00", "zz"}
	afters := []string{"", "a/b/c/z", "a0", "a/\xff", "\xff\xff"}
	for _, k := range listKeys {
		afters = append(afters, k)
		for i := range len(k) {
			if k[i] == '/' {
				afters = append(afters, k[:i+1])
			}
		}
	}
	for _, prefix := range prefixes {
		for _, delim := range []string{"", "/"} {
			for _, after := range afters {
				for _, limit := range []int{1, 2, 3, 1000} {
					q := catalog.ListQuery{Bucket: "b", Prefix: prefix, Delimiter: delim, After: after, Limit: limit}
					want, wantTrunc := model(listKeys, q)
					p := list(t, c, q)
					if got := names(p); !reflect.DeepEqual(got, want) || p.Truncated != wantTrunc {
						t.Fatalf("ListObjects(%#v) = %q truncated=%v; want %q truncated=%v",
							q, got, p.Truncated, want, wantTrunc)
					}
				}
			}
		}
	}
}

// testListPaging pages through listings with After = the last entry's name
// and checks the pages add up to the whole listing.
func testListPaging(t *testing.T, c catalog.Catalog) {
	setupList(t, c)
	for _, prefix := range []string{"", "a/", "a/b/"} {
		for _, delim := range []string{"", "/"} {
			full, _ := model(listKeys, catalog.ListQuery{Prefix: prefix, Delimiter: delim, Limit: 1 << 30})
			for limit := 1; limit <= len(full)+1; limit++ {
				var got []string
				after := ""
				for pages := 0; ; pages++ {
					if pages > len(full)+1 {
						t.Fatalf("paging %q/%q by %d does not end", prefix, delim, limit)
					}
					p := list(t, c, catalog.ListQuery{Bucket: "b", Prefix: prefix, Delimiter: delim, After: after, Limit: limit})
					got = append(got, names(p)...)
					if !p.Truncated {
						break
					}
					if len(p.Entries) != limit {
						t.Fatalf("truncated page of %d entries, limit %d", len(p.Entries), limit)
					}
					after = p.Entries[len(p.Entries)-1].Name()
				}
				if !reflect.DeepEqual(got, full) && !(len(got) == 0 && len(full) == 0) {
					t.Fatalf("paging %q/%q by %d = %q, want %q", prefix, delim, limit, got, full)
				}
			}
		}
	}
}

func testListMissingBucket(t *testing.T, c catalog.Catalog) {
	_, err := c.ListObjects(ctx, catalog.ListQuery{Bucket: "nope", Limit: 10})
	if !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("ListObjects of a missing bucket: %v, want ErrNotFound", err)
	}
	mustCreateBucket(t, c, "empty", "o")
	p := list(t, c, catalog.ListQuery{Bucket: "empty", Delimiter: "/", Limit: 10})
	if len(p.Entries) != 0 || p.Truncated {
		t.Fatalf("empty bucket lists %+v", p)
	}
}
