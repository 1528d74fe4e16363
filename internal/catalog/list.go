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
	// Object decodes the current record. List calls it only for keys it
	// returns, never for keys folded into a common prefix.
	Object() (*Object, error)
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
	var page ListPage
	start, ok := listStart(q)
	if !ok {
		return page, nil
	}
	ok = it.SeekGE(start)
	for ok {
		key := it.Key()
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
			ok = it.SeekGE(next)
			continue
		}
		if len(page.Entries) >= q.Limit {
			page.Truncated = true
			break
		}
		obj, err := it.Object()
		if err != nil {
			return ListPage{}, err
		}
		page.Entries = append(page.Entries, ListEntry{Object: obj})
		ok = it.Next()
	}
	if err := it.Err(); err != nil {
		return ListPage{}, err
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
