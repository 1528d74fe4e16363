package catalog

import (
	"fmt"
	"math"
)

// Argument checks shared by the engines, so every engine refuses the same
// malformed input with the same message. These are programming errors of
// the caller (the store), not conditions a client can trigger.

// MaxPartNumber is the largest part number an engine can store. S3 allows
// 1 to 10,000; the store enforces that, the catalog only needs a number
// that fits its keys.
const MaxPartNumber = math.MaxInt32

// CheckExtents checks that the inline extents of a record are
// self-consistent: an inline extent's Length is either 0 (unset, as older
// callers leave it) or exactly len(Inline). Engines store len(Inline) as
// the Length of every inline extent, so a record read back always has it
// set. A Length without the bytes (an extent copied from a ListObjects
// entry, which carries no data) is refused rather than stored as a
// zero-filled or truncated object. what names the record in the error.
func CheckExtents(what string, extents []Extent) error {
	if i, bad := badExtent(extents); bad {
		return extentError(what, i, extents[i])
	}
	return nil
}

// badExtent returns the index of the first inconsistent extent.
func badExtent(extents []Extent) (int, bool) {
	for i, e := range extents {
		if e.BlobID != "" {
			if e.Length < 0 || e.Offset < 0 {
				return i, true
			}
		} else if e.Length != 0 && e.Length != int64(len(e.Inline)) {
			return i, true
		}
	}
	return 0, false
}

func extentError(what string, i int, e Extent) error {
	if e.BlobID != "" {
		return fmt.Errorf("catalog: %s: extent %d of blob %s has offset %d, length %d", what, i, e.BlobID, e.Offset, e.Length)
	}
	return fmt.Errorf("catalog: %s: inline extent %d has Length %d but holds %d bytes", what, i, e.Length, len(e.Inline))
}

// CheckObject checks a record handed to an engine for storage.
func CheckObject(o *Object) error {
	if o == nil {
		return nil
	}
	if i, bad := badExtent(o.Extents); bad {
		return extentError(fmt.Sprintf("object %q", o.Key), i, o.Extents[i])
	}
	return nil
}

// CheckPart checks a part handed to PutPart.
func CheckPart(p *Part) error {
	if p.Number < 1 || p.Number > MaxPartNumber {
		return fmt.Errorf("catalog: part number %d out of range [1, %d]", p.Number, MaxPartNumber)
	}
	if i, bad := badExtent(p.Extents); bad {
		return extentError(fmt.Sprintf("part %d", p.Number), i, p.Extents[i])
	}
	return nil
}

// CheckUpload checks an upload handed to CreateUpload.
func CheckUpload(u *Upload) error {
	if u.ID == "" {
		return fmt.Errorf("catalog: upload of %q has an empty id", u.Key)
	}
	return nil
}

// CheckRefs checks UpdateObjects' refs are distinct.
func CheckRefs(refs []ObjectRef) error {
	seen := make(map[ObjectRef]struct{}, len(refs))
	for _, r := range refs {
		if _, dup := seen[r]; dup {
			return fmt.Errorf("catalog: UpdateObjects: %q/%q given twice", r.Bucket, r.Key)
		}
		seen[r] = struct{}{}
	}
	return nil
}

// CheckBucketUpdate checks that an UpdateBucket callback changed only the
// bucket's configuration documents.
func CheckBucketUpdate(old, next Bucket) error {
	if old.Name != next.Name || old.Owner != next.Owner || old.Region != next.Region ||
		old.Zone != next.Zone || !old.CreatedAt.Equal(next.CreatedAt) {
		return fmt.Errorf("catalog: UpdateBucket(%q) may change only Policy, Encryption, Lifecycle and Tags", old.Name)
	}
	return nil
}
