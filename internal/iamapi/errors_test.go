package iamapi

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// TestUnavailableCatalog: a shared catalog out of reach is a 503 the SDKs
// retry, not a 500 ServiceFailure.
func TestUnavailableCatalog(t *testing.T) {
	err := fmt.Errorf("iam: saving account: %w", fmt.Errorf("%w: connection refused", catalog.ErrUnavailable))
	e := asAPIError(err)
	if e.Code != "ServiceUnavailable" || e.Status != http.StatusServiceUnavailable || !errors.Is(e, catalog.ErrUnavailable) {
		t.Fatalf("got %s %d (cause kept: %v), want ServiceUnavailable 503", e.Code, e.Status, errors.Is(e, catalog.ErrUnavailable))
	}
	if e := asAPIError(errors.New("disk on fire")); e.Code != "ServiceFailure" || e.Status != 500 {
		t.Fatalf("an unclassified error gave %s %d, want ServiceFailure 500", e.Code, e.Status)
	}
}
