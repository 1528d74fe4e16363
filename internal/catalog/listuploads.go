package catalog

import "strings"

// UploadIterator is the little an engine must provide for ListUploads: an
// ordered, seekable cursor over one bucket's uploads in (key, id) order.
type UploadIterator interface {
	// SeekGE moves to the first upload at or after (key, id) and reports
	// whether there is one; id "" is the first upload of key.
	SeekGE(key, id string) bool
	// Next moves to the following upload and reports whether there is one.
	Next() bool
	// Key is the current upload's object key.
	Key() string
	// Upload decodes the current upload. ListUploads calls it only for
	// uploads it returns.
	Upload() (*Upload, error)
	// Err reports an error that made SeekGE or Next return false.
	Err() error
}

// ListUploads computes one page of uploads of q over it, with the folding,
// After and Truncated rules of List. Uploads sort by key, then id; q.After
// with q.AfterUpload resumes after that one upload (S3's key-marker and
// upload-id-marker), q.After alone after every upload of that key. A
// common prefix is one entry however many uploads it holds.
func ListUploads(it UploadIterator, q ListQuery) (UploadPage, error) {
	var page UploadPage
	key, id, ok := uploadStart(q)
	if !ok {
		return page, nil
	}
	ok = it.SeekGE(key, id)
	for ok {
		key := it.Key()
		if !strings.HasPrefix(key, q.Prefix) {
			break
		}
		if len(page.Entries) >= q.Limit {
			page.Truncated = true
			break
		}
		if cp, folded := commonPrefix(key, q.Prefix, q.Delimiter); folded {
			page.Entries = append(page.Entries, UploadEntry{Prefix: cp})
			next, exists := PrefixEnd(cp)
			if !exists {
				break
			}
			ok = it.SeekGE(next, "")
			continue
		}
		u, err := it.Upload()
		if err != nil {
			return UploadPage{}, err
		}
		page.Entries = append(page.Entries, UploadEntry{Upload: u})
		ok = it.Next()
	}
	if err := it.Err(); err != nil {
		return UploadPage{}, err
	}
	return page, nil
}

// uploadStart is the smallest (key, id) that can produce an entry for q.
func uploadStart(q ListQuery) (key, id string, ok bool) {
	if q.After == "" || q.After < q.Prefix {
		return q.Prefix, "", true
	}
	if cp, folded := commonPrefix(q.After, q.Prefix, q.Delimiter); folded {
		end, ok := PrefixEnd(cp)
		return end, "", ok
	}
	if q.AfterUpload != "" {
		return q.After, q.AfterUpload + "\x00", true
	}
	return q.After + "\x00", "", true
}
