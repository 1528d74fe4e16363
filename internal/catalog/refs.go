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
	return ExtentBlobIDs(o.Extents)
}

// PartBlobIDs is BlobIDs for an upload's part: a part record references
// its blobs exactly as an object record does, so a blob written by
// UploadPart is live from the moment the part is stored.
func PartBlobIDs(p *Part) []string {
	if p == nil {
		return nil
	}
	return ExtentBlobIDs(p.Extents)
}

// ExtentBlobIDs returns the distinct blob ids of extents, sorted.
func ExtentBlobIDs(extents []Extent) []string {
	var ids []string
	for _, e := range extents {
		if e.BlobID != "" {
			ids = append(ids, e.BlobID)
		}
	}
	sort.Strings(ids)
	return slices.Compact(ids)
}

// RefDelta is the change of one blob's reference count made by an update.
// Delta is never zero; a single-record update moves a count by one, an
// update of several records (UpdateObjects, CompleteUpload, AbortUpload)
// by as many records as gained or lost the blob.
type RefDelta struct {
	BlobID string
	Delta  int
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

// RefDeltasOf is RefDeltas over a set of records replaced at once: old
// and next hold one blob id set (as returned by BlobIDs or PartBlobIDs)
// per record before and after. A blob that moves from one record to
// another keeps its count and is left out, like every blob whose count
// does not move. The result is in blob id order; the cost is linear in
// the ids given (plus sorting the changed ones), so completing an upload
// of 10,000 parts is cheap.
func RefDeltasOf(old, next [][]string) []RefDelta {
	counts := make(map[string]int)
	for _, ids := range old {
		for _, id := range ids {
			counts[id]--
		}
	}
	for _, ids := range next {
		for _, id := range ids {
			counts[id]++
		}
	}
	var out []RefDelta
	for id, d := range counts {
		if d != 0 {
			out = append(out, RefDelta{BlobID: id, Delta: d})
		}
	}
	slices.SortFunc(out, func(a, b RefDelta) int {
		switch {
		case a.BlobID < b.BlobID:
			return -1
		case a.BlobID > b.BlobID:
			return 1
		}
		return 0
	})
	return out
}
