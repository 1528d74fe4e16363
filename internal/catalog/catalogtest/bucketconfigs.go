package catalogtest

import (
	"bytes"
	"testing"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// testConfigLargeValue: a named value of half a megabyte (a bucket's
// 1,000 inventory configurations, as the store keeps them) is updated,
// read back whole and reported whole by ConfigChanges; an empty value
// (a deleted bucket's configurations cleared) is a value, not an unset
// name, and is reported as a change too.
func testConfigLargeValue(t *testing.T, c catalog.Catalog) {
	cursor := configCursor(t, c)
	big := bytes.Repeat([]byte(`{"id":"inventory-configuration","dest":"b--use1-az4--x-s3"},`), 512<<10/60)
	err := c.UpdateConfig(ctx, "s3inventory/b--use1-az4--x-s3", func(cur []byte) ([]byte, error) { return big, nil })
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.GetConfig(ctx, "s3inventory/b--use1-az4--x-s3"); err != nil || !bytes.Equal(got, big) {
		t.Fatalf("GetConfig of a %d-byte value: %d bytes, %v", len(big), len(got), err)
	}
	vs, next, err := c.ConfigChanges(ctx, "s3inventory/", cursor)
	if err != nil || len(vs) != 1 || !bytes.Equal(vs[0].Value, big) {
		t.Fatalf("ConfigChanges: %d values, %v", len(vs), err)
	}
	err = c.UpdateConfig(ctx, "s3inventory/b--use1-az4--x-s3", func(cur []byte) ([]byte, error) { return []byte{}, nil })
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.GetConfig(ctx, "s3inventory/b--use1-az4--x-s3"); err != nil || len(got) != 0 {
		t.Fatalf("after clearing: %d bytes, %v; want an empty value", len(got), err)
	}
	if vs, _, err := c.ConfigChanges(ctx, "s3inventory/", next); err != nil || len(vs) != 1 || len(vs[0].Value) != 0 {
		t.Fatalf("ConfigChanges after clearing: %v, %v", vs, err)
	}
}
