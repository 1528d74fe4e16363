package s3test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestNotInstalled checks the two answers to a missing binary: a skip
// (ErrNotInstalled) by default, an ordinary error when it is required.
func TestNotInstalled(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "weed")
	if _, err := Start(Options{Bin: missing}); !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("Start without the binary: %v, want ErrNotInstalled", err)
	}
	_, err := Start(Options{Bin: missing, Required: true})
	if err == nil || errors.Is(err, ErrNotInstalled) {
		t.Fatalf("Start without the binary, required: %v, want an error that is not ErrNotInstalled", err)
	}
	if !strings.Contains(err.Error(), "tests/tools/seaweedfs.sh") {
		t.Errorf("the error does not say how to get the binary: %v", err)
	}
}
