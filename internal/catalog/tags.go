package catalog

import "maps"

// CloneTags copies a bucket's tags for a caller to own; an empty set is
// nil, as every engine reads it back.
func CloneTags(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}
