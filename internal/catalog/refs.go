package catalog

import (
	"slices"
	"sort"
)

// BlobIDs returns the distinct blob ids o's extents reference, sorted. A
// record counts once per blob however many of its extents share it, so
// reference counts are "records referencing the blob". Nil o has none.
func BlobIDs(o *Object) []string {
	if o == nil {
		return nil
	}
	var ids []string
	for _, e := range o.Extents {
		if e.BlobID != "" {
			ids = append(ids, e.BlobID)
		}
	}
	sort.Strings(ids)
	return slices.Compact(ids)
}

// RefDelta is the change of one blob's reference count made by an update.
type RefDelta struct {
	BlobID string
	Delta  int // +1 or -1
}

// RefDeltas compares the sorted, distinct blob ids of an old and a new
// record (as returned by BlobIDs) and returns the reference changes in
// blob id order. Blobs in both records are left out: their count does not
// move, so engines need not touch (or lock) them.
func RefDeltas(old, next []string) []RefDelta {
	var out []RefDelta
	i, j := 0, 0
	for i < len(old) || j < len(next) {
		switch {
		case j == len(next) || (i < len(old) && old[i] < next[j]):
			out = append(out, RefDelta{BlobID: old[i], Delta: -1})
			i++
		case i == len(old) || next[j] < old[i]:
			out = append(out, RefDelta{BlobID: next[j], Delta: +1})
			j++
		default:
			i++
			j++
		}
	}
	return out
}
