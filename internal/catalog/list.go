package catalog

import "strings"

// ListIterator is the little an engine must provide for List: an ordered,
// seekable cursor over one bucket's object keys. Engines bound it to the
// bucket (and may bound it to the query prefix); List does the rest.
type ListIterator interface {
	// SeekGE moves to the first key >= key and reports whether there is one.
	SeekGE(key string) bool
	// Next moves to the following key and reports whether there is one.
	Next() bool
	// Key is the current object key.
	Key() string
	// Object decodes the current record's metadata: inline extents carry
	// their Length but no bytes (a listing never reads object data). List
	// calls it only for keys it returns, never for keys folded into a
	// common prefix.
	Object() (*Object, error)
	// Err reports an error that made SeekGE or Next return false.
	Err() error
}

// KeyIterator is an ordered, seekable cursor over the object keys of a
// bucket's in-progress uploads (a key appears once per upload, so it may
// repeat). ListWithUploads folds these keys into common prefixes.
type KeyIterator interface {
	// SeekGE moves to the first key >= key and reports whether there is one.
	SeekGE(key string) bool
	// Next moves to the following key and reports whether there is one.
	Next() bool
	// Key is the current key.
	Key() string
	// Err reports an error that made SeekGE or Next return false.
	Err() error
}

// List computes one page of q over it. Every engine uses it so that prefix,
// delimiter folding, After and Truncated behave identically everywhere.
//
// Keys sharing a sub-directory (Prefix + anything + Delimiter) fold into one
// common prefix and List seeks past the whole sub-tree instead of reading
// it, so a delimited listing costs one seek per sub-directory however large
// the sub-tree. After filters entries by name, so a page that ended on a
// common prefix resumes after that prefix's whole sub-tree.
//
// Truncated is exact: it is set only when another entry exists beyond the
// page. A Limit <= 0 returns no entries.
func List(it ListIterator, q ListQuery) (ListPage, error) {
	return ListWithUploads(it, nil, q)
}

// ListWithUploads is List over a bucket's objects and, when q has a
// delimiter, the keys of its in-progress uploads: an upload key that folds
// into a common prefix contributes that prefix (so a directory holding only
// uploads shows), merged in order with the objects and listed once however
// many objects and uploads share it. An upload key lying directly in the
// listed directory contributes nothing: an upload is not an object. Without
// a delimiter uploads are ignored (uploads may be nil).
//
// Upload keys directly in the listed directory are stepped over one by
// one; every other step is bounded by the page as in List.
func ListWithUploads(objects ListIterator, uploads KeyIterator, q ListQuery) (ListPage, error) {
	var page ListPage
	start, ok := listStart(q)
	if !ok {
		return page, nil
	}
	if q.Delimiter == "" {
		uploads = nil
	}
	objOK := objects.SeekGE(start)
	upOK := uploads != nil && uploads.SeekGE(start)
	for objOK || upOK {
		// The smaller current key of the two cursors; an object wins a tie.
		var key string
		fromObjects := objOK
		if objOK {
			key = objects.Key()
		}
		if upOK {
			if uk := uploads.Key(); !objOK || uk < key {
				key, fromObjects = uk, false
			}
		}
		// Both cursors only move forward from start >= Prefix, so the
		// first key without the prefix lies past the prefix's range.
		if !strings.HasPrefix(key, q.Prefix) {
			break
		}
		if cp, folded := commonPrefix(key, q.Prefix, q.Delimiter); folded {
			if len(page.Entries) >= q.Limit {
				page.Truncated = true
				break
			}
			page.Entries = append(page.Entries, ListEntry{Prefix: cp})
			next, exists := PrefixEnd(cp)
			if !exists {
				break
			}
			// Skip the sub-tree in both cursors, so the prefix is listed
			// once whichever of them reaches it.
			objOK = objOK && objects.SeekGE(next)
			upOK = upOK && uploads.SeekGE(next)
			continue
		}
		if !fromObjects {
			// An upload directly in the listed directory: not an entry.
			upOK = uploads.Next()
			continue
		}
		if len(page.Entries) >= q.Limit {
			page.Truncated = true
			break
		}
		obj, err := objects.Object()
		if err != nil {
			return ListPage{}, err
		}
		page.Entries = append(page.Entries, ListEntry{Object: obj})
		objOK = objects.Next()
	}
	if err := objects.Err(); err != nil {
		return ListPage{}, err
	}
	if uploads != nil {
		if err := uploads.Err(); err != nil {
			return ListPage{}, err
		}
	}
	return page, nil
}

// listStart is the smallest key that can produce an entry for q; ok is
// false when no key can.
func listStart(q ListQuery) (start string, ok bool) {
	if q.After == "" || q.After < q.Prefix {
		return q.Prefix, true
	}
	// After lies inside a sub-directory that folds into a common prefix:
	// that prefix sorts at or before After, so its whole sub-tree is done.
	if cp, folded := commonPrefix(q.After, q.Prefix, q.Delimiter); folded {
		return PrefixEnd(cp)
	}
	// The immediate successor of After.
	return q.After + "\x00", true
}

// commonPrefix reports the common prefix key folds into under prefix and
// delimiter, if any.
func commonPrefix(key, prefix, delimiter string) (string, bool) {
	if delimiter == "" || !strings.HasPrefix(key, prefix) {
		return "", false
	}
	i := strings.Index(key[len(prefix):], delimiter)
	if i < 0 {
		return "", false
	}
	return key[:len(prefix)+i+len(delimiter)], true
}

// PrefixEnd returns the smallest string greater than every string that
// starts with p; ok is false when there is none (p is empty or all 0xff).
func PrefixEnd(p string) (end string, ok bool) {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] != 0xff {
			return p[:i] + string([]byte{p[i] + 1}), true
		}
	}
	return "", false
}
