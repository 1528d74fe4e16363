package s3api

import (
	"net/http"
	"strings"
	"testing"
)

// TestWriteOffsetMustBeANumber: an x-amz-write-offset-bytes header that is
// present but empty, signed, non-numeric, negative, too large or repeated
// is 400 InvalidArgument and leaves the object as it was; it never turns
// the append into an overwrite.
func TestWriteOffsetMustBeANumber(t *testing.T) {
	s := newFuzzServer(t)
	target := "/" + fuzzBucket + "/offset/object"
	if code, body := s.do(http.MethodPut, target, nil, []byte("original")); code != 200 {
		t.Fatalf("PUT: %d %s", code, body)
	}
	for _, vals := range [][]string{{""}, {"abc"}, {"-1"}, {"+8"}, {"8 "}, {"0x8"}, {"99999999999999999999"}, {"8", "8"}} {
		code, body := s.do(http.MethodPut, target, http.Header{"X-Amz-Write-Offset-Bytes": vals}, []byte("REPLACED"))
		if code != 400 || !strings.Contains(body, "<Code>InvalidArgument</Code>") {
			t.Errorf("x-amz-write-offset-bytes %q: HTTP %d %s, want 400 InvalidArgument", vals, code, body)
		}
	}
	if code, body := s.do(http.MethodGet, target, nil, nil); code != 200 || body != "original" {
		t.Errorf("object after the refused appends: HTTP %d %q, want \"original\"", code, body)
	}
	if code, body := s.do(http.MethodPut, target, http.Header{"X-Amz-Write-Offset-Bytes": {"8"}}, []byte("+more")); code != 200 {
		t.Errorf("append at offset 8: HTTP %d %s", code, body)
	}
	if code, body := s.do(http.MethodGet, target, nil, nil); code != 200 || body != "original+more" {
		t.Errorf("object after the append: HTTP %d %q", code, body)
	}
}
