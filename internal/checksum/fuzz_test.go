package checksum

import (
	"net/http"
	"testing"
)

// FuzzFromRequest feeds arbitrary header names and values to the request
// parsers and to Verify. Nothing may panic; every error must be an
// *Error answered with a 4xx/501 status; an accepted expectation must be
// usable.
//
// Arguments: name1/value1 and name2/value2 become x-amz-checksum-<name>
// headers when name starts with '+', else raw header keys (any case); sdk is
// x-amz-sdk-checksum-algorithm, trailer is x-amz-trailer, and trailerKey/
// trailerValue is the trailer section passed to Verify. The seed corpus is in
// testdata/fuzz/FuzzFromRequest.
func FuzzFromRequest(f *testing.F) {
	f.Add("+crc32", "NhCmhg==", "", "", "CRC32", "", "", "")
	f.Add("", "", "", "", "", "x-amz-checksum-crc32", "x-amz-checksum-crc32", "NhCmhg==")
	f.Fuzz(func(t *testing.T, name1, value1, name2, value2, sdk, trailer, trailerKey, trailerValue string) {
		h := http.Header{}
		for _, kv := range [][2]string{{name1, value1}, {name2, value2}} {
			switch {
			case kv[0] == "":
			case kv[0][0] == '+':
				h.Add(HeaderPrefix+kv[0][1:], kv[1])
			default:
				h[kv[0]] = append(h[kv[0]], kv[1])
			}
		}
		if sdk != "" {
			h.Set(HeaderSDKAlgorithm, sdk)
		}
		if trailer != "" {
			h.Set(HeaderTrailer, trailer)
		}
		// CreateMultipartUpload/CopyObject read these two; reuse the inputs.
		h.Set(HeaderAlgorithm, sdk)
		h.Set(HeaderType, value2)

		e, err := FromRequest(h)
		mustBeS3Error(t, "FromRequest", err)
		if err != nil && e != nil {
			t.Fatalf("FromRequest returned %+v with error %v", e, err)
		}
		if e != nil {
			if !e.Algorithm.Valid() {
				t.Fatalf("accepted invalid algorithm %q", e.Algorithm)
			}
			if e.Trailer == (e.Value != "") {
				t.Fatalf("expectation is neither header nor trailer: %+v", e)
			}
			if !e.Trailer {
				if _, ok := e.Algorithm.Decode(e.Value); !ok {
					t.Fatalf("accepted malformed value %q for %s", e.Value, e.Algorithm)
				}
			}
			hs := NewHasher(e.Algorithm)
			hs.Write([]byte(value1))
			var trailers http.Header
			if trailerKey != "" {
				trailers = http.Header{trailerKey: {trailerValue}}
			}
			verr := hs.Verify(e, trailers)
			mustBeS3Error(t, "Verify", verr)
			// A correct header value always verifies.
			if !e.Trailer {
				good := NewHasher(e.Algorithm)
				good.Write([]byte(value1))
				if err := good.Verify(&Expect{Algorithm: e.Algorithm, Value: good.Sum(e.Algorithm)}, nil); err != nil {
					t.Fatalf("own digest rejected: %v", err)
				}
			}
		}

		a, typ, err := FromCreateMultipartRequest(h)
		mustBeS3Error(t, "FromCreateMultipartRequest", err)
		if err == nil && a != "" && !a.Supports(typ) {
			t.Fatalf("multipart accepted %s with %s", a, typ)
		}
		_, err = FromCopyRequest(h)
		mustBeS3Error(t, "FromCopyRequest", err)
		d, err := FromCompleteRequest(h)
		mustBeS3Error(t, "FromCompleteRequest", err)
		if d != nil && d.Algorithm != "" {
			_ = Match(d.Algorithm, d.Value, trailerValue)
		}
		_, _, _ = SplitComposite(value1)
	})
}

func mustBeS3Error(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	_, status, _, ok := wire(err)
	if !ok {
		t.Fatalf("%s: error %T %v is not an *Error", what, err, err)
	}
	if status != 400 && status != 501 {
		t.Fatalf("%s: status %d for %v", what, status, err)
	}
}
