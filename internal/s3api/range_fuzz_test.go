package s3api

import (
	"regexp"
	"strconv"
	"testing"

	"github.com/zonal-dev/zonal/internal/s3err"
)

// Canonical single-range forms, whose meaning is fixed by RFC 9110 and S3:
// for these the fuzz target checks the exact range, not only its bounds.
var (
	rangeFirstLast = regexp.MustCompile(`^bytes=([0-9]{1,18})-([0-9]{1,18})$`)
	rangeFrom      = regexp.MustCompile(`^bytes=([0-9]{1,18})-$`)
	rangeSuffix    = regexp.MustCompile(`^bytes=-([0-9]{1,18})$`)
)

// FuzzRange feeds arbitrary Range headers and object sizes to parseRange.
// It must never panic; an error must be 416 InvalidRange; a range it
// returns must lie inside the object (0 <= off, n >= 1, off+n <= size);
// "no range" must mean the whole object; and the canonical forms
// bytes=a-b, bytes=a- and bytes=-k must give exactly their RFC 9110
// meaning. Seeds: testdata/fuzz/FuzzRange.
func FuzzRange(f *testing.F) {
	f.Add("bytes=0-9", int64(10))
	f.Add("bytes=-0", int64(10))
	f.Fuzz(func(t *testing.T, h string, size int64) {
		if size < 0 {
			return // object sizes are never negative
		}
		off, n, partial, err := parseRange(h, size)
		if err != nil {
			e, ok := err.(*s3err.Error)
			if !ok || e.Code != s3err.InvalidRange.Code || e.Status != 416 {
				t.Fatalf("parseRange(%q, %d): error %v, want 416 InvalidRange", h, size, err)
			}
			if partial {
				t.Fatalf("parseRange(%q, %d): partial with an error", h, size)
			}
			return
		}
		if !partial {
			if off != 0 || n != size {
				t.Fatalf("parseRange(%q, %d): no range but off=%d n=%d", h, size, off, n)
			}
		} else if off < 0 || n < 1 || off > size-n {
			t.Fatalf("parseRange(%q, %d): range off=%d n=%d outside the object", h, size, off, n)
		}

		// Exact meaning of the canonical forms.
		want := func(wo, wn int64) {
			t.Helper()
			if !partial || off != wo || n != wn {
				t.Fatalf("parseRange(%q, %d) = off %d n %d partial %v, want off %d n %d", h, size, off, n, partial, wo, wn)
			}
		}
		if m := rangeFirstLast.FindStringSubmatch(h); m != nil {
			a, _ := strconv.ParseInt(m[1], 10, 64)
			b, _ := strconv.ParseInt(m[2], 10, 64)
			switch {
			case b < a:
				if partial {
					t.Fatalf("parseRange(%q, %d): an invalid range (last < first) must be ignored", h, size)
				}
			case a >= size:
				t.Fatalf("parseRange(%q, %d): unsatisfiable range accepted", h, size)
			default:
				want(a, min(b, size-1)-a+1)
			}
		} else if m := rangeFrom.FindStringSubmatch(h); m != nil {
			a, _ := strconv.ParseInt(m[1], 10, 64)
			if a >= size {
				t.Fatalf("parseRange(%q, %d): unsatisfiable range accepted", h, size)
			}
			want(a, size-a)
		} else if m := rangeSuffix.FindStringSubmatch(h); m != nil {
			k, _ := strconv.ParseInt(m[1], 10, 64)
			if k == 0 || size == 0 {
				t.Fatalf("parseRange(%q, %d): unsatisfiable suffix range accepted", h, size)
			}
			k = min(k, size)
			want(size-k, k)
		}
	})
}
