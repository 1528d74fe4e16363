package store

import (
	"testing"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// TestInventoryRowSaysWhatIsStored: a report's EncryptionStatus is the
// object's own (NOT-SSE for data stored as sent, which is the default), and
// StorageClass is the bucket's (ONEZONE_IA in a Local Zone).
func TestInventoryRowSaysWhatIsStored(t *testing.T) {
	plain, enc := &catalog.Object{}, &catalog.Object{SSE: "AES256"}
	if got := inventoryValue(plain, "EncryptionStatus", ""); got != "NOT-SSE" {
		t.Errorf("unencrypted object: EncryptionStatus %q, want NOT-SSE", got)
	}
	if got := inventoryValue(enc, "EncryptionStatus", ""); got != "SSE-S3" {
		t.Errorf("encrypted object: EncryptionStatus %q, want SSE-S3", got)
	}
	for bucket, want := range map[string]string{"b--use1-az4--x-s3": "EXPRESS_ONEZONE", "b--use1-atl2-az1--x-s3": "ONEZONE_IA"} {
		if got := inventoryValue(plain, "StorageClass", StorageClass(bucket)); got != want {
			t.Errorf("%s: StorageClass %q, want %q", bucket, got, want)
		}
	}
}
