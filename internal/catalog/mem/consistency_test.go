package mem

import (
	"fmt"
	"maps"
	"slices"
	"sort"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// CheckConsistency lets the external conformance test check a catalog.
var CheckConsistency = (*Catalog).checkConsistency

// checkConsistency recomputes every blob's reference count from all object
// and part records and compares it with the stored counts and the GC
// queue, and checks the sorted indexes agree with the maps they index.
func (c *Catalog) checkConsistency() error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	counts := map[string]int{}
	for name, b := range c.buckets {
		if !sort.StringsAreSorted(b.keys) || len(b.keys) != len(b.records) {
			return fmt.Errorf("bucket %s: %d sorted keys for %d records", name, len(b.keys), len(b.records))
		}
		for _, k := range b.keys {
			o, ok := b.records[k]
			if !ok || o.Key != k {
				return fmt.Errorf("bucket %s: key %q indexes no record", name, k)
			}
			for _, id := range catalog.BlobIDs(o) {
				counts[id]++
			}
		}
		if !slices.IsSortedFunc(b.uploads, compareUploads) || len(b.uploads) != len(b.upload) {
			return fmt.Errorf("bucket %s: %d sorted uploads for %d records", name, len(b.uploads), len(b.upload))
		}
		for _, ref := range b.uploads {
			u, ok := b.upload[ref]
			if !ok {
				return fmt.Errorf("bucket %s: upload %v indexes no record", name, ref)
			}
			for n, p := range u.parts {
				if p.Number != n {
					return fmt.Errorf("upload %v: part %d stored as %d", ref, p.Number, n)
				}
				for _, id := range catalog.PartBlobIDs(p) {
					counts[id]++
				}
			}
		}
	}
	ids := slices.Sorted(maps.Keys(counts))
	for id := range c.refs {
		if _, ok := counts[id]; !ok {
			ids = append(ids, id)
		}
	}
	for _, id := range ids {
		if counts[id] != c.refs[id] {
			return fmt.Errorf("blob %s: %d records reference it, stored count %d", id, counts[id], c.refs[id])
		}
		if _, queued := c.gc[id]; queued {
			return fmt.Errorf("blob %s is referenced and queued for GC", id)
		}
	}
	return nil
}
