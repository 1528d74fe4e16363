package checksum

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"hash"
	"hash/crc32"
	"strings"
)

// Hasher computes, in one pass over a body, every algorithm it was made
// with: the one the request declares plus any others the caller wants to
// store. It is an io.Writer; Write never fails. A Hasher is not safe for
// concurrent use.
type Hasher struct {
	set    uint8 // bit i: all[i] is computed
	crc32  uint32
	crc32c uint32
	crc64  uint64
	sha1   hash.Hash
	sha256 hash.Hash
	n      int64
}

// NewHasher returns a Hasher computing exactly algs (duplicates and invalid
// names are ignored).
func NewHasher(algs ...Algorithm) *Hasher {
	h := new(Hasher)
	for _, a := range algs {
		i := a.index()
		if i < 0 || h.set&(1<<i) != 0 {
			continue
		}
		h.set |= 1 << i
		switch a {
		case SHA1:
			h.sha1 = sha1.New()
		case SHA256:
			h.sha256 = sha256.New()
		}
	}
	return h
}

// Write adds p to every checksum.
func (h *Hasher) Write(p []byte) (int, error) {
	h.n += int64(len(p))
	if h.set&(1<<0) != 0 {
		h.crc32 = crc32.Update(h.crc32, crc32.IEEETable, p)
	}
	if h.set&(1<<1) != 0 {
		h.crc32c = crc32.Update(h.crc32c, castagnoli, p)
	}
	if h.set&(1<<2) != 0 {
		h.crc64 = UpdateCRC64NVME(h.crc64, p)
	}
	if h.sha1 != nil {
		h.sha1.Write(p)
	}
	if h.sha256 != nil {
		h.sha256.Write(p)
	}
	return len(p), nil
}

// Has reports whether h computes a.
func (h *Hasher) Has(a Algorithm) bool {
	i := a.index()
	return i >= 0 && h.set&(1<<i) != 0
}

// Algorithms returns the algorithms h computes.
func (h *Hasher) Algorithms() []Algorithm {
	var out []Algorithm
	for _, a := range all {
		if h.Has(a) {
			out = append(out, a)
		}
	}
	return out
}

// Len returns the number of bytes written so far.
func (h *Hasher) Len() int64 { return h.n }

// Reset forgets everything written, keeping the algorithms.
func (h *Hasher) Reset() {
	h.crc32, h.crc32c, h.crc64, h.n = 0, 0, 0, 0
	if h.sha1 != nil {
		h.sha1.Reset()
	}
	if h.sha256 != nil {
		h.sha256.Reset()
	}
}

// Digest returns the raw digest of a over what was written, or nil if h does
// not compute a. It does not change h's state.
func (h *Hasher) Digest(a Algorithm) []byte {
	if !h.Has(a) {
		return nil
	}
	switch a {
	case CRC32:
		return binary.BigEndian.AppendUint32(nil, h.crc32)
	case CRC32C:
		return binary.BigEndian.AppendUint32(nil, h.crc32c)
	case CRC64NVME:
		return binary.BigEndian.AppendUint64(nil, h.crc64)
	case SHA1:
		return h.sha1.Sum(nil)
	default:
		return h.sha256.Sum(nil)
	}
}

// Sum returns the wire (base64) value of a over what was written, or "" if h
// does not compute a.
func (h *Hasher) Sum(a Algorithm) string {
	d := h.Digest(a)
	if d == nil {
		return ""
	}
	return a.Encode(d)
}

// Verify checks the data written against what the request declared: e.Value
// for a header, or the e.Algorithm.Header() field of trailers (the trailer
// section of the aws-chunked body; names compared without regard to case)
// when e.Trailer. A nil e passes. Errors:
//
//   - the digest differs: Mismatch;
//   - a declared trailer is missing (including a body that was not
//     aws-chunked, trailers nil), or trailers hold fields other than the
//     declared checksum and x-amz-trailer-signature: MalformedTrailer;
//   - the trailing value is not base64 of a digest of the right size:
//     InvalidValue with Trailer set.
//
// When the trailer repeats the field, the last value counts (as on AWS). The
// comparison is constant-time. Verify reports an Internal error if h was not
// made to compute e.Algorithm: that is a bug in the caller.
func (h *Hasher) Verify(e *Expect, trailers Header) error {
	if e == nil {
		return nil
	}
	if !h.Has(e.Algorithm) {
		return &Error{Kind: Internal, Alg: e.Algorithm, Err: fmt.Errorf("checksum: hasher does not compute %q", e.Algorithm)}
	}
	var want []byte
	if e.Trailer {
		header := e.Algorithm.Header()
		var value string
		found := false
		for k, vs := range trailers {
			switch {
			case strings.EqualFold(k, header):
				if len(vs) > 0 {
					value, found = vs[len(vs)-1], true
				}
			case strings.EqualFold(k, headerTrailerSigName):
			default:
				return kindErr(MalformedTrailer)
			}
		}
		if !found {
			return kindErr(MalformedTrailer)
		}
		var ok bool
		if want, ok = e.Algorithm.Decode(strings.TrimSpace(value)); !ok {
			return invalidTrailerValue(e.Algorithm)
		}
	} else {
		var ok bool
		if want, ok = e.Algorithm.Decode(e.Value); !ok {
			return invalidValue(e.Algorithm)
		}
	}
	if !equal(want, h.Digest(e.Algorithm)) {
		return mismatch(e.Algorithm)
	}
	return nil
}

// equal compares two digests in constant time (for equal lengths).
func equal(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }
