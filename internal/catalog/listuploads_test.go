package catalog

import (
	"fmt"
	"reflect"
	"sort"
	"testing"
)

// keyIter is a KeyIterator over sorted keys (repeats allowed) counting steps.
type keyIter struct{ sliceIter }

// TestListWithUploadsSeeksPastSubtrees: a directory holding many uploads
// (and objects) costs one seek in each cursor, and the prefix shows once.
func TestListWithUploadsSeeksPastSubtrees(t *testing.T) {
	var objects, uploads []string
	for i := range 10000 {
		objects = append(objects, fmt.Sprintf("top/a/%05d", i))
		uploads = append(uploads, fmt.Sprintf("top/a/%05d", i), fmt.Sprintf("top/u/%05d", i))
	}
	objects = append(objects, "top/x")
	uploads = append(uploads, "top/b", "top/b", "top/y") // directly in top/: not listed
	sort.Strings(objects)
	sort.Strings(uploads)
	oi, ui := &sliceIter{keys: objects}, &keyIter{sliceIter{keys: uploads}}
	page, err := ListWithUploads(oi, ui, ListQuery{Prefix: "top/", Delimiter: "/", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range page.Entries {
		got = append(got, e.Name())
	}
	if want := []string{"top/a/", "top/u/", "top/x"}; !reflect.DeepEqual(got, want) || page.Truncated {
		t.Fatalf("ListWithUploads = %q (truncated %v), want %q", got, page.Truncated, want)
	}
	if steps := oi.nexts + oi.seeks + ui.nexts + ui.seeks; steps > 16 {
		t.Fatalf("ListWithUploads took %d steps; want a seek per sub-directory", steps)
	}
	// A page ending before uploads that are not entries is not truncated.
	page, err = ListWithUploads(&sliceIter{keys: objects}, &keyIter{sliceIter{keys: uploads}},
		ListQuery{Prefix: "top/", Delimiter: "/", After: "top/u/", Limit: 1})
	if err != nil || len(page.Entries) != 1 || page.Entries[0].Name() != "top/x" || page.Truncated {
		t.Fatalf("last page = %+v, %v", page, err)
	}
	// Without a delimiter the uploads are not even read.
	ui = &keyIter{sliceIter{keys: uploads}}
	if _, err := ListWithUploads(&sliceIter{keys: objects}, ui, ListQuery{Prefix: "top/", Limit: 5}); err != nil || ui.seeks+ui.nexts != 0 {
		t.Fatalf("undelimited listing used the upload cursor %d times (%v)", ui.seeks+ui.nexts, err)
	}
}

// uploadSlice is an UploadIterator over sorted (key, id) pairs.
type uploadSlice struct {
	ups          [][2]string
	i            int
	seeks, nexts int
}

func (s *uploadSlice) SeekGE(key, id string) bool {
	s.seeks++
	s.i = sort.Search(len(s.ups), func(i int) bool {
		u := s.ups[i]
		return u[0] > key || (u[0] == key && u[1] >= id)
	})
	return s.i < len(s.ups)
}
func (s *uploadSlice) Next() bool  { s.nexts++; s.i++; return s.i < len(s.ups) }
func (s *uploadSlice) Key() string { return s.ups[s.i][0] }
func (s *uploadSlice) Upload() (*Upload, error) {
	return &Upload{Key: s.ups[s.i][0], ID: s.ups[s.i][1]}, nil
}
func (s *uploadSlice) Err() error { return nil }

func TestListUploadsMarkers(t *testing.T) {
	ups := [][2]string{{"a", "1"}, {"a", "2"}, {"a", "3"}, {"b", "1"}}
	for i := range 5000 {
		ups = append(ups, [2]string{"d/" + fmt.Sprint(i), "x"})
	}
	ups = append(ups, [2]string{"e", "1"})
	render := func(p UploadPage) []string {
		var out []string
		for _, e := range p.Entries {
			if e.Upload != nil {
				out = append(out, e.Upload.Key+"#"+e.Upload.ID)
			} else {
				out = append(out, "+"+e.Prefix)
			}
		}
		return out
	}
	for _, tc := range []struct {
		q         ListQuery
		want      []string
		truncated bool
	}{
		{ListQuery{Delimiter: "/", Limit: 10}, []string{"a#1", "a#2", "a#3", "b#1", "+d/", "e#1"}, false},
		{ListQuery{After: "a", AfterUpload: "1", Delimiter: "/", Limit: 2}, []string{"a#2", "a#3"}, true},
		{ListQuery{After: "a", Delimiter: "/", Limit: 2}, []string{"b#1", "+d/"}, true},
		{ListQuery{After: "a", AfterUpload: "3", Delimiter: "/", Limit: 1}, []string{"b#1"}, true},
		{ListQuery{After: "d/", Delimiter: "/", Limit: 5}, []string{"e#1"}, false},
		{ListQuery{After: "d/17", AfterUpload: "x", Delimiter: "/", Limit: 5}, []string{"e#1"}, false},
		{ListQuery{AfterUpload: "2", Limit: 1}, []string{"a#1"}, true}, // an id without a key is ignored
		{ListQuery{Limit: 0}, nil, true},
	} {
		it := &uploadSlice{ups: ups}
		p, err := ListUploads(it, tc.q)
		if err != nil {
			t.Fatal(err)
		}
		if got := render(p); !reflect.DeepEqual(got, tc.want) || p.Truncated != tc.truncated {
			t.Fatalf("ListUploads(%+v) = %q truncated=%v; want %q truncated=%v", tc.q, got, p.Truncated, tc.want, tc.truncated)
		}
		if it.seeks+it.nexts > 12 {
			t.Fatalf("ListUploads(%+v) took %d steps", tc.q, it.seeks+it.nexts)
		}
	}
}

func TestRefDeltasOf(t *testing.T) {
	got := RefDeltasOf(
		[][]string{{"a", "b"}, {"b", "c"}, {"d"}, nil},
		[][]string{{"b"}, {"a", "e"}, {"e"}},
	)
	want := []RefDelta{{"b", -1}, {"c", -1}, {"d", -1}, {"e", +2}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("RefDeltasOf = %v, want %v", got, want)
	}
	// A move is no change at all.
	if got := RefDeltasOf([][]string{{"x", "y"}, nil}, [][]string{nil, {"x", "y"}}); got != nil {
		t.Fatalf("RefDeltasOf of a move = %v", got)
	}
	// It agrees with RefDeltas on single records.
	old, next := []string{"a", "c", "d"}, []string{"b", "c", "e"}
	if a, b := RefDeltasOf([][]string{old}, [][]string{next}), RefDeltas(old, next); !reflect.DeepEqual(a, b) {
		t.Fatalf("RefDeltasOf = %v, RefDeltas = %v", a, b)
	}
}

func TestCheckExtents(t *testing.T) {
	for _, tc := range []struct {
		e  Extent
		ok bool
	}{
		{Extent{Inline: []byte("abc")}, true},
		{Extent{Inline: []byte("abc"), Length: 3}, true},
		{Extent{Inline: []byte{}}, true},
		{Extent{}, true},
		{Extent{Inline: []byte("abc"), Length: 2}, false},
		{Extent{Length: 5}, false},
		{Extent{BlobID: "b", Length: 5}, true},
		{Extent{BlobID: "b", Length: -1}, false},
	} {
		if err := CheckExtents("x", []Extent{tc.e}); (err == nil) != tc.ok {
			t.Errorf("CheckExtents(%+v) = %v, want ok=%v", tc.e, err, tc.ok)
		}
	}
}
