package checksum

import (
	"net/textproto"
	"strings"
)

// Header is a request's header fields, or an aws-chunked trailer section,
// keyed as net/http keys them (canonical MIME form); an http.Header is one.
// The package needs no more of HTTP than that.
type Header = map[string][]string

// unimplemented lists x-amz-checksum-* algorithms that S3 defines (2026
// model) but zonal does not compute. A request naming one is answered 501
// rather than "invalid algorithm", so the client learns what is missing.
var unimplemented = []string{"sha512", "md5", "xxhash64", "xxhash3", "xxhash128"}

// ignoredHeaders share the x-amz-checksum- prefix but are not value headers.
func ignoredHeader(lower string) bool {
	return lower == HeaderAlgorithm || lower == HeaderType || lower == HeaderMode
}

// valueHeader is one x-amz-checksum-<alg> header line of a request.
type valueHeader struct {
	name  string // lower case
	value string
}

// valueHeaders returns the x-amz-checksum-<alg> lines of h (every value of
// every such header, including empty ones), or an error if one names an
// algorithm zonal does not know: UnknownHeader for a name S3 does not know
// either, else Unimplemented (for the first such name in sort order, so the
// answer does not depend on map order).
func valueHeaders(h Header) ([]valueHeader, error) {
	var out []valueHeader
	invalid, unimpl := false, ""
	for k, vs := range h {
		if len(k) <= len(HeaderPrefix) || !strings.EqualFold(k[:len(HeaderPrefix)], HeaderPrefix) {
			continue
		}
		lower := strings.ToLower(k)
		if ignoredHeader(lower) {
			continue
		}
		if _, ok := ParseHeader(lower); !ok {
			if isUnimplemented(lower) {
				if unimpl == "" || lower < unimpl {
					unimpl = lower
				}
			} else {
				invalid = true
			}
		}
		for _, v := range vs {
			out = append(out, valueHeader{lower, strings.TrimSpace(v)})
		}
	}
	switch {
	case invalid:
		return nil, kindErr(UnknownHeader)
	case unimpl != "":
		return nil, notImplemented(unimpl)
	}
	return out, nil
}

func isUnimplemented(lowerHeader string) bool {
	for _, u := range unimplemented {
		if lowerHeader == HeaderPrefix+u {
			return true
		}
	}
	return false
}

// TrailerNames splits x-amz-trailer as AWS does, the one rule for it (the
// aws-chunked decoder reads the same list): the header (all its lines,
// comma-joined) is trimmed, trailing commas are dropped, and the rest split
// on commas, each element trimmed. Empty elements stay, as "": a request
// naming one is refused (trailerAlgorithms). Nil when there is none.
func TrailerNames(h Header) []string {
	// The canonical key, looked up directly: Values would canonicalize
	// HeaderTrailer (lower case) into a new string on every request.
	vs := h["X-Amz-Trailer"]
	if len(vs) == 0 {
		return nil
	}
	// The common case, one name: the header's own slice, no allocation
	// (callers only read the result).
	if len(vs) == 1 && vs[0] != "" && !strings.ContainsRune(vs[0], ',') && strings.TrimSpace(vs[0]) == vs[0] {
		return vs[:1:1]
	}
	v := strings.TrimRight(strings.TrimSpace(strings.Join(vs, ",")), ",")
	if v == "" {
		return nil
	}
	names := strings.Split(v, ",")
	for i, name := range names {
		names[i] = strings.TrimSpace(name)
	}
	return names
}

// trailerAlgorithms checks the names x-amz-trailer lists (TrailerNames):
// every one must name a checksum header. "x-amz-checksum-crc32," is
// accepted; ", x-amz-checksum-crc32" and "x-amz-checksum-crc32, ," are not.
func trailerAlgorithms(names []string) ([]Algorithm, error) {
	var algs []Algorithm
	for _, name := range names {
		a, ok := ParseHeader(name)
		if !ok {
			if lower := strings.ToLower(name); isUnimplemented(lower) {
				return nil, notImplemented(lower)
			}
			return nil, kindErr(UnsupportedTrailer)
		}
		algs = append(algs, a)
	}
	return algs, nil
}

// Expect is the checksum a request declares for its body: an algorithm and,
// when sent as a header, its value; or a trailer to come.
type Expect struct {
	Algorithm Algorithm
	// Value is the base64 value from the x-amz-checksum-<alg> header, already
	// checked to be a well-formed digest; "" when it comes in the trailer.
	Value string
	// Trailer is true when x-amz-trailer announced the value, to be read
	// from the aws-chunked trailer and passed to Hasher.Verify.
	Trailer bool
}

// FromRequest returns the checksum that the headers of a PutObject,
// UploadPart or other body-carrying request declare, or nil, nil when there
// is none. It enforces AWS's rules, in AWS's order:
//
//   - an x-amz-checksum-<alg> header naming an unknown algorithm:
//     UnknownHeader (Unimplemented for S3 algorithms zonal lacks, e.g.
//     SHA512);
//   - more than one value header (even empty ones), or more than one
//     trailer: Multiple;
//   - x-amz-trailer naming anything but a checksum header:
//     UnsupportedTrailer;
//   - both a value header and a trailer: HeaderAndTrailer;
//   - a value that is not base64 of a digest of the algorithm's size:
//     InvalidValue;
//   - x-amz-sdk-checksum-algorithm with neither a value header nor a
//     trailer: SDKWithoutValue;
//   - x-amz-sdk-checksum-algorithm naming an unknown algorithm, or another
//     algorithm than the value header or trailer: SDKInvalid.
//
// Each kind's Error is AWS's message (see errors.go).
//
// x-amz-checksum-algorithm, x-amz-checksum-type and x-amz-checksum-mode are
// ignored here (AWS tolerates them on a PUT). A declared trailer that never
// arrives is reported by Hasher.Verify.
func FromRequest(h Header) (*Expect, error) {
	return FromHeaders(h, TrailerNames(h))
}

// FromHeaders is FromRequest for a caller that has split x-amz-trailer
// already (trailer is TrailerNames(h)), so the header is read once.
func FromHeaders(h Header, trailer []string) (*Expect, error) {
	values, err := valueHeaders(h)
	if err != nil {
		return nil, err
	}
	if len(values) > 1 {
		return nil, kindErr(Multiple)
	}
	trailers, err := trailerAlgorithms(trailer)
	if err != nil {
		return nil, err
	}
	if len(trailers) > 1 {
		return nil, kindErr(Multiple)
	}
	if len(values)+len(trailers) > 1 {
		return nil, kindErr(HeaderAndTrailer)
	}

	var e *Expect
	switch {
	case len(values) == 1:
		a, _ := ParseHeader(values[0].name)
		if _, ok := a.Decode(values[0].value); !ok {
			return nil, invalidValue(a)
		}
		e = &Expect{Algorithm: a, Value: values[0].value}
	case len(trailers) == 1:
		e = &Expect{Algorithm: trailers[0], Trailer: true}
	}

	if sdk := strings.TrimSpace(textproto.MIMEHeader(h).Get(HeaderSDKAlgorithm)); sdk != "" {
		if e == nil {
			return nil, kindErr(SDKWithoutValue)
		}
		if a, ok := Parse(sdk); !ok || a != e.Algorithm {
			return nil, kindErr(SDKInvalid)
		}
	}
	return e, nil
}

// FromCreateMultipartRequest reads x-amz-checksum-algorithm and
// x-amz-checksum-type of a CreateMultipartUpload request. With neither it
// returns "", "", nil: the upload has no declared algorithm (SDKs then still
// send part checksums, which zonal should accept). With an algorithm and no
// type, the type is a.DefaultType(). Errors, in AWS's order:
//
//   - unknown algorithm: UnsupportedAlgorithm;
//   - a type without an algorithm: TypeWithoutAlgorithm;
//   - an unknown type: InvalidType;
//   - a type the algorithm does not support (FULL_OBJECT with SHA*,
//     COMPOSITE with CRC64NVME): UnsupportedType.
func FromCreateMultipartRequest(h Header) (Algorithm, Type, error) {
	algName := strings.TrimSpace(textproto.MIMEHeader(h).Get(HeaderAlgorithm))
	typeName := strings.TrimSpace(textproto.MIMEHeader(h).Get(HeaderType))
	var a Algorithm
	if algName != "" {
		var ok bool
		if a, ok = Parse(algName); !ok {
			return "", "", kindErr(UnsupportedAlgorithm)
		}
	}
	if typeName == "" {
		if a == "" {
			return "", "", nil
		}
		return a, a.DefaultType(), nil
	}
	if a == "" {
		return "", "", kindErr(TypeWithoutAlgorithm)
	}
	t, ok := ParseType(typeName)
	if !ok {
		return "", "", kindErr(InvalidType)
	}
	if !a.Supports(t) {
		return "", "", &Error{Kind: UnsupportedType, Alg: a, Type: t}
	}
	return a, t, nil
}

// FromCopyRequest reads x-amz-checksum-algorithm of a CopyObject request: the
// algorithm the destination gets, or "" when absent. An unknown name is
// UnsupportedAlgorithm.
func FromCopyRequest(h Header) (Algorithm, error) {
	name := strings.TrimSpace(textproto.MIMEHeader(h).Get(HeaderAlgorithm))
	if name == "" {
		return "", nil
	}
	a, ok := Parse(name)
	if !ok {
		return "", kindErr(UnsupportedAlgorithm)
	}
	return a, nil
}

// Declared is a whole-object checksum that a CompleteMultipartUpload request
// asserts in its headers.
type Declared struct {
	Algorithm Algorithm
	// Value as sent: "<base64>" (FULL_OBJECT) or "<base64>-<parts>"
	// (COMPOSITE; the suffix may be missing).
	Value string
	// Type is x-amz-checksum-type when sent, else "".
	Type Type
}

// FromCompleteRequest returns the object checksum that the headers of a
// CompleteMultipartUpload request assert, or nil, nil when there is none.
// x-amz-sdk-checksum-algorithm and x-amz-checksum-algorithm are ignored (AWS
// ignores them here). Errors: an unknown algorithm or several value headers as
// in FromRequest; an unknown x-amz-checksum-type: InvalidType; a value that
// is not "<base64 digest>" or "<base64 digest>-<parts>": InvalidValue.
// Comparing with the upload is the
// caller's (see Match).
func FromCompleteRequest(h Header) (*Declared, error) {
	values, err := valueHeaders(h)
	if err != nil {
		return nil, err
	}
	if len(values) > 1 {
		return nil, kindErr(Multiple)
	}
	var d Declared
	if tn := strings.TrimSpace(textproto.MIMEHeader(h).Get(HeaderType)); tn != "" {
		t, ok := ParseType(tn)
		if !ok {
			return nil, kindErr(InvalidType)
		}
		d.Type = t
	}
	if len(values) == 0 {
		if d.Type != "" {
			return &d, nil
		}
		return nil, nil
	}
	a, _ := ParseHeader(values[0].name)
	v := values[0].value
	digest := v
	if dg, _, ok := SplitComposite(v); ok {
		digest = dg
	}
	if _, ok := a.Decode(digest); !ok {
		return nil, invalidValue(a)
	}
	d.Algorithm, d.Value = a, v
	return &d, nil
}

// Match compares an object checksum the client asserts (declared, as sent,
// possibly with a "-<parts>" suffix) with the one zonal computed (computed,
// as Composite or Encode(FullObject) returns it), in constant time over the
// digests. A missing part-count suffix on declared is not held against it.
// A mismatch is a Mismatch error naming a.
func Match(a Algorithm, declared, computed string) error {
	dDigest, dParts, dComposite := SplitComposite(declared)
	if !dComposite {
		dDigest = declared
	}
	cDigest, cParts, cComposite := SplitComposite(computed)
	if !cComposite {
		cDigest = computed
	}
	want, ok1 := a.Decode(dDigest)
	got, ok2 := a.Decode(cDigest)
	if !ok1 || !ok2 || !equal(want, got) || (dComposite && (!cComposite || dParts != cParts)) {
		return mismatch(a)
	}
	return nil
}
