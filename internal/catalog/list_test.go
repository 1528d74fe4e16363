package catalog

import (
	"fmt"
	"reflect"
	"sort"
	"testing"
)

// sliceIter is a ListIterator over sorted keys that counts its steps.
type sliceIter struct {
	keys         []string
	i            int
	nexts, seeks int
}

func (s *sliceIter) SeekGE(k string) bool {
	s.seeks++
	s.i = sort.SearchStrings(s.keys, k)
	return s.i < len(s.keys)
}
func (s *sliceIter) Next() bool               { s.nexts++; s.i++; return s.i < len(s.keys) }
func (s *sliceIter) Key() string              { return s.keys[s.i] }
func (s *sliceIter) Object() (*Object, error) { return &Object{Key: s.keys[s.i]}, nil }
func (s *sliceIter) Err() error               { return nil }

// TestListSeeksPastSubtrees checks a delimited listing costs one seek per
// sub-directory, not one step per key inside it.
func TestListSeeksPastSubtrees(t *testing.T) {
	var keys []string
	for _, dir := range []string{"a", "b", "c"} {
		for i := range 10000 {
			keys = append(keys, fmt.Sprintf("top/%s/%05d", dir, i))
		}
	}
	keys = append(keys, "top/x", "top/y")
	sort.Strings(keys)
	it := &sliceIter{keys: keys}
	page, err := List(it, ListQuery{Prefix: "top/", Delimiter: "/", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range page.Entries {
		got = append(got, e.Name())
	}
	if want := []string{"top/a/", "top/b/", "top/c/", "top/x", "top/y"}; !reflect.DeepEqual(got, want) || page.Truncated {
		t.Fatalf("List = %q (truncated %v), want %q", got, page.Truncated, want)
	}
	if it.nexts+it.seeks > 10 {
		t.Fatalf("List took %d nexts and %d seeks; want a seek per sub-directory", it.nexts, it.seeks)
	}
	// Resuming after a common prefix does not walk its sub-tree either.
	it = &sliceIter{keys: keys}
	page, err = List(it, ListQuery{Prefix: "top/", Delimiter: "/", After: "top/a/", Limit: 1})
	if err != nil || len(page.Entries) != 1 || page.Entries[0].Prefix != "top/b/" || !page.Truncated {
		t.Fatalf("resume = %+v, %v", page, err)
	}
	if it.nexts+it.seeks > 3 {
		t.Fatalf("resume took %d nexts and %d seeks", it.nexts, it.seeks)
	}
}

func TestPrefixEnd(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"a/", "a0", true},
		{"ab", "ac", true},
		{"a\xff", "b", true},
		{"a\xff\xff", "b", true},
		{"\xff", "", false},
		{"", "", false},
	} {
		got, ok := PrefixEnd(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("PrefixEnd(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestRefDeltas(t *testing.T) {
	o := func(ids ...string) *Object {
		obj := &Object{}
		for _, id := range ids {
			obj.Extents = append(obj.Extents, Extent{BlobID: id, Length: 1})
		}
		obj.Extents = append(obj.Extents, Extent{Inline: []byte("x")})
		return obj
	}
	got := RefDeltas(BlobIDs(o("c", "a", "b", "a")), BlobIDs(o("d", "b", "b")))
	want := []RefDelta{{"a", -1}, {"c", -1}, {"d", +1}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("RefDeltas = %v, want %v", got, want)
	}
	if got := RefDeltas(BlobIDs(nil), BlobIDs(o())); got != nil {
		t.Fatalf("RefDeltas of no blobs = %v", got)
	}
}
