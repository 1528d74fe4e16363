package pebble

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/cockroachdb/pebble/v2"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// checkConsistency reads the whole database from one snapshot and checks
// every cross-record invariant the engine keeps:
//
//   - reference counts: recomputed from all object and part records (one
//     reference per record per distinct blob), they equal the stored 'r'
//     counts exactly, with no zero or missing counts;
//   - GC queue: 'g' and 'G' entries pair up one to one, and no queued blob
//     is referenced;
//   - known blobs (those the caller certainly gave a reference at some
//     point): each is either referenced or queued, never lost;
//   - inline data: an object record with inline bytes has a data record
//     of the same version (tag) and length, and no data record is orphaned;
//   - uploads and parts: every part belongs to an existing upload, every
//     upload and object to an existing bucket;
//   - buckets: the by-name and by-owner records agree.
//
// It returns the recomputed counts for further checks.
func checkConsistency(t testing.TB, c *Catalog, known []string) map[string]int {
	t.Helper()
	snap := c.db.NewSnapshot()
	defer snap.Close()
	it, err := snap.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()

	var problems []string
	fail := func(format string, args ...any) {
		if len(problems) < 20 {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	counts := map[string]int{}
	stored := map[string]int{}
	buckets := map[string][]byte{}
	owners := map[string][]byte{} // bucket -> record from the owner index
	objectBuckets := map[string]bool{}
	dataWanted := map[string]objectMeta{} // object key -> meta (with inline bytes)
	dataSeen := map[string][]byte{}
	uploads := map[string]bool{} // partPrefix of every upload
	uploadBuckets := map[string]bool{}
	partsByUpload := map[string]int{}
	gcByID := map[string]uint64{}
	gcIndex := map[string]uint64{}
	apIndex := map[string]int{} // 'A' key -> entries minus records: 0 when consistent

	for ok := it.First(); ok; ok = it.Next() {
		k := bytes.Clone(it.Key())
		v, err := it.ValueAndErr()
		if err != nil {
			t.Fatal(err)
		}
		v = bytes.Clone(v)
		switch k[0] {
		case tableBucket:
			buckets[string(k[1:])] = v
		case tableOwner:
			_, rest, err := splitName(k[1:])
			if err != nil {
				fail("owner key %q: %v", k, err)
				continue
			}
			owners[string(rest)] = v
		case tableObject, tableData:
			bucket, key, err := splitName(k[1:])
			if err != nil {
				fail("object key %q: %v", k, err)
				continue
			}
			if k[0] == tableData {
				dataSeen[string(k[1:])] = v
				continue
			}
			objectBuckets[bucket] = true
			m, err := decodeObject(string(key), v)
			if err != nil {
				fail("object %q/%q: %v", bucket, key, err)
				continue
			}
			for _, id := range catalog.BlobIDs(m.obj) {
				counts[id]++
			}
			if m.dataBytes > 0 {
				dataWanted[string(k[1:])] = m
			}
		case tableUpload:
			bucket, rest, err := splitName(k[1:])
			if err != nil {
				fail("upload key %q: %v", k, err)
				continue
			}
			key, id, err := parseUploadKey(rest)
			if err != nil {
				fail("upload key %q: %v", k, err)
				continue
			}
			if _, err := decodeUpload(bucket, key, id, v); err != nil {
				fail("upload %q: %v", k, err)
			}
			uploads[string(partPrefix(bucket, key, id))] = true
			uploadBuckets[bucket] = true
		case tablePart:
			if len(k) < 5 {
				fail("part key %q too short", k)
				continue
			}
			prefix := string(k[:len(k)-4])
			partsByUpload[prefix]++
			n, _ := partNumber(k)
			p, err := decodePart(n, v)
			if err != nil {
				fail("part %q: %v", k, err)
				continue
			}
			for _, id := range catalog.PartBlobIDs(&p) {
				counts[id]++
			}
		case tableRefs:
			n, read := binary.Uvarint(v)
			if read <= 0 || read != len(v) || n == 0 {
				fail("reference count of %q = %x", k[1:], v)
			}
			stored[string(k[1:])] = int(n)
		case tableGC:
			if len(k) < 9 {
				fail("GC key %q too short", k)
				continue
			}
			id := string(k[9:])
			if _, dup := gcByID[id]; dup {
				fail("blob %s queued twice", id)
			}
			gcByID[id] = binary.BigEndian.Uint64(k[1:9])
		case tableGCIndex:
			if len(v) != 8 {
				fail("GC index of %q = %x", k[1:], v)
				continue
			}
			gcIndex[string(k[1:])] = binary.BigEndian.Uint64(v)
		case tableAP:
			a, err := catalog.DecodeAccessPoint(string(k[1:]), v)
			if err != nil {
				fail("access point %q: %v", k, err)
				continue
			}
			apIndex[string(bucketAPKey(a.Bucket, a.Name))]--
		case tableBucketAP:
			apIndex[string(k)]++
		case tableMeta, tableConfig:
		default:
			fail("key %q in no known table", k)
		}
	}
	for k, n := range apIndex {
		if n != 0 {
			fail("access point index %q off by %d", k, n)
		}
	}
	if err := it.Error(); err != nil {
		t.Fatal(err)
	}

	for _, id := range sortedKeys(counts, stored) {
		if counts[id] != stored[id] {
			fail("blob %s: %d records reference it, stored count %d", id, counts[id], stored[id])
		}
	}
	for _, id := range sortedKeys(gcByID, gcIndex) {
		g, inQueue := gcByID[id]
		i, inIndex := gcIndex[id]
		if !inQueue || !inIndex || g != i {
			fail("blob %s: GC queue entry %v@%d, index %v@%d", id, inQueue, g, inIndex, i)
		}
		if counts[id] > 0 {
			fail("blob %s is queued for GC but %d records reference it", id, counts[id])
		}
	}
	for _, id := range known {
		if _, queued := gcByID[id]; counts[id] == 0 && !queued {
			fail("blob %s is neither referenced nor queued: leaked", id)
		}
	}
	for k, m := range dataWanted {
		d, ok := dataSeen[k]
		if !ok {
			fail("object %q has %d inline bytes but no data record", m.obj.Key, m.dataBytes)
			continue
		}
		if err := attachData(m, d); err != nil {
			fail("object %q: %v", m.obj.Key, err)
		}
	}
	for k := range dataSeen {
		if _, ok := dataWanted[k]; !ok {
			fail("orphaned inline data record %q", k)
		}
	}
	for prefix, n := range partsByUpload {
		if !uploads[prefix] {
			fail("%d parts of a missing upload %q", n, prefix)
		}
	}
	for b := range objectBuckets {
		if _, ok := buckets[b]; !ok {
			fail("objects in missing bucket %q", b)
		}
	}
	for b := range uploadBuckets {
		if _, ok := buckets[b]; !ok {
			fail("uploads in missing bucket %q", b)
		}
	}
	for _, name := range sortedKeys(buckets, owners) {
		if !bytes.Equal(buckets[name], owners[name]) {
			fail("bucket %q: record %x, owner index %x", name, buckets[name], owners[name])
		}
	}
	if len(problems) > 0 {
		t.Fatalf("catalog inconsistent:\n  %s", joinLines(problems))
	}
	return counts
}

// splitName splits a length-prefixed name off b.
func splitName(b []byte) (name string, rest []byte, err error) {
	n, read := binary.Uvarint(b)
	if read <= 0 || uint64(len(b)-read) < n {
		return "", nil, errCorrupt
	}
	return string(b[read : read+int(n)]), b[read+int(n):], nil
}

func sortedKeys[V any](ms ...map[string]V) []string {
	set := map[string]bool{}
	for _, m := range ms {
		for k := range m {
			set[k] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

func joinLines(lines []string) string {
	var b bytes.Buffer
	for i, l := range lines {
		if i > 0 {
			b.WriteString("\n  ")
		}
		b.WriteString(l)
	}
	return b.String()
}

// checkOnCleanup runs checkConsistency when the test ends, unless the test
// closed the catalog itself.
func checkOnCleanup(t *testing.T, c *Catalog) {
	t.Cleanup(func() {
		if !c.closed.Load() && !t.Failed() {
			checkConsistency(t, c, nil)
		}
	})
}

// TestConsistencyCheckerCatches damages a healthy catalog in each way the
// checker claims to detect and makes sure it notices.
func TestConsistencyCheckerCatches(t *testing.T) {
	damages := map[string]func(c *Catalog) error{
		"count too high": func(c *Catalog) error { return c.db.Set(refKey("A"), binary.AppendUvarint(nil, 2), pebble.Sync) },
		"count missing":  func(c *Catalog) error { return c.db.Delete(refKey("P"), pebble.Sync) },
		"stray count":    func(c *Catalog) error { return c.db.Set(refKey("Z"), binary.AppendUvarint(nil, 1), pebble.Sync) },
		"queued and referenced": func(c *Catalog) error {
			b := c.db.NewBatch()
			if err := c.queue(b, "A", timeNow()); err != nil {
				return err
			}
			// queue dropped the count; restore it.
			if err := b.Set(refKey("A"), binary.AppendUvarint(nil, 1), nil); err != nil {
				return err
			}
			return b.Commit(pebble.Sync)
		},
		"queue without index": func(c *Catalog) error { return c.db.Delete(gcIndexKey("Q"), pebble.Sync) },
		"leaked blob":         func(c *Catalog) error { return c.db.Delete(gcKey(queuedAt(c, "Q"), "Q"), pebble.Sync) },
		"data missing":        func(c *Catalog) error { return c.db.Delete(dataKeyOf(objectKey("b", "inline")), pebble.Sync) },
		"orphaned data": func(c *Catalog) error {
			return c.db.Set(dataKeyOf(objectKey("b", "nothing")), []byte{recordVersion}, pebble.Sync)
		},
		"torn data": func(c *Catalog) error {
			_, d := encodeObject(&catalog.Object{Extents: []catalog.Extent{{Inline: []byte("hello")}}}, 12345)
			return c.db.Set(dataKeyOf(objectKey("b", "inline")), d, pebble.Sync)
		},
		"part without upload": func(c *Catalog) error { return c.db.Delete(uploadKey("b", "k", "u"), pebble.Sync) },
		"owner index stale":   func(c *Catalog) error { return c.db.Set(ownerKey("o", "b"), []byte{recordVersion}, pebble.Sync) },
	}
	for name, damage := range damages {
		t.Run(name, func(t *testing.T) {
			c := openTest(t, WithFS(memFS()))
			ctx := t.Context()
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			must(c.CreateBucket(ctx, catalog.Bucket{Name: "b", Owner: "o"}))
			must(c.UpdateObject(ctx, "b", "x", set(&catalog.Object{Extents: []catalog.Extent{{BlobID: "A", Length: 1}}})))
			must(c.UpdateObject(ctx, "b", "q", set(&catalog.Object{Extents: []catalog.Extent{{BlobID: "Q", Length: 1}}})))
			must(c.UpdateObject(ctx, "b", "q", set(nil)))
			must(c.UpdateObject(ctx, "b", "inline", set(&catalog.Object{Extents: []catalog.Extent{{Inline: []byte("hello")}}})))
			must(c.CreateUpload(ctx, catalog.Upload{Bucket: "b", Key: "k", ID: "u"}))
			must(c.PutPart(ctx, "b", "k", "u", catalog.Part{Number: 1, Extents: []catalog.Extent{{BlobID: "P", Length: 1}}}))
			known := []string{"A", "Q", "P"}
			checkConsistency(t, c, known)
			must(damage(c))
			ft := &fakeT{TB: t}
			func() {
				defer func() { recover() }()
				checkConsistency(ft, c, known)
			}()
			if !ft.failed {
				t.Fatalf("checker missed %q", name)
			}
		})
	}
}

func queuedAt(c *Catalog, id string) uint64 {
	v, _, _ := c.get(gcIndexKey(id))
	return binary.BigEndian.Uint64(v)
}

// fakeT records a Fatalf instead of failing the real test.
type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Helper() {}
func (f *fakeT) Fatalf(string, ...any) {
	f.failed = true
	panic("fakeT.Fatalf")
}
func (f *fakeT) Fatal(...any) {
	f.failed = true
	panic("fakeT.Fatal")
}
