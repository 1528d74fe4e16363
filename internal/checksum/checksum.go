// Package checksum implements S3's additional checksums as zonal serves them:
// the algorithms (CRC32, CRC32C, CRC64NVME, SHA1, SHA256), their wire form
// (base64 of the big-endian digest), the rules by which a request declares a
// checksum in its headers or in an aws-chunked trailer, a single-pass Hasher
// that computes any set of algorithms over a body and verifies the declared
// value, and the multipart/append arithmetic: CombineCRC (the CRC of A||B from
// CRC(A), CRC(B) and len(B)), FULL_OBJECT checksums of multipart objects and
// COMPOSITE ("checksum of checksums") values.
//
// Errors are *Error values: a Kind the HTTP layer turns into an S3 code, and
// AWS's message for the rule that failed.
package checksum

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"hash/crc32"
	"strings"
)

// Algorithm is an S3 checksum algorithm, spelt as S3 spells it in
// x-amz-sdk-checksum-algorithm, x-amz-checksum-algorithm and XML
// ChecksumAlgorithm elements.
type Algorithm string

// The algorithms zonal supports.
const (
	CRC32     Algorithm = "CRC32"     // CRC-32/ISO-HDLC (IEEE), as zlib's crc32
	CRC32C    Algorithm = "CRC32C"    // CRC-32/ISCSI (Castagnoli)
	CRC64NVME Algorithm = "CRC64NVME" // CRC-64/NVME
	SHA1      Algorithm = "SHA1"
	SHA256    Algorithm = "SHA256"
)

// all lists the algorithms in a fixed order; the order is also the index used
// by Hasher.
var all = [...]Algorithm{CRC32, CRC32C, CRC64NVME, SHA1, SHA256}

// Algorithms returns every supported algorithm.
func Algorithms() []Algorithm { return append([]Algorithm(nil), all[:]...) }

// HeaderPrefix starts every x-amz-checksum-<algorithm> header name.
const HeaderPrefix = "x-amz-checksum-"

// Request and response header names other than the per-algorithm ones.
const (
	HeaderSDKAlgorithm = "x-amz-sdk-checksum-algorithm" // PutObject, UploadPart, DeleteObjects...
	HeaderAlgorithm    = "x-amz-checksum-algorithm"     // CreateMultipartUpload, CopyObject
	HeaderType         = "x-amz-checksum-type"          // FULL_OBJECT | COMPOSITE
	HeaderMode         = "x-amz-checksum-mode"          // GetObject/HeadObject: ENABLED
	HeaderTrailer      = "x-amz-trailer"                // names the trailing checksum header
)

// Parse returns the algorithm named name, compared without regard to case
// ("crc32c" and "CRC32C" both give CRC32C).
func Parse(name string) (Algorithm, bool) {
	for _, a := range all {
		if strings.EqualFold(name, string(a)) {
			return a, true
		}
	}
	return "", false
}

// ParseHeader returns the algorithm whose value header is name
// ("x-amz-checksum-crc32" → CRC32), compared without regard to case.
func ParseHeader(name string) (Algorithm, bool) {
	if len(name) <= len(HeaderPrefix) || !strings.EqualFold(name[:len(HeaderPrefix)], HeaderPrefix) {
		return "", false
	}
	return Parse(name[len(HeaderPrefix):])
}

func (a Algorithm) index() int {
	switch a {
	case CRC32:
		return 0
	case CRC32C:
		return 1
	case CRC64NVME:
		return 2
	case SHA1:
		return 3
	case SHA256:
		return 4
	}
	return -1
}

// Valid reports whether a is one of the supported algorithms.
func (a Algorithm) Valid() bool { return a.index() >= 0 }

// String returns the S3 name.
func (a Algorithm) String() string { return string(a) }

// Header returns the name of a's value header, e.g. "x-amz-checksum-crc32",
// or "" for an invalid algorithm.
func (a Algorithm) Header() string {
	if !a.Valid() {
		return ""
	}
	return HeaderPrefix + strings.ToLower(string(a))
}

// XMLName returns the XML element that carries a's value in S3 bodies
// (CompleteMultipartUpload parts, ListParts, GetObjectAttributes, CopyObject
// results), e.g. "ChecksumCRC32", or "" for an invalid algorithm.
func (a Algorithm) XMLName() string {
	if !a.Valid() {
		return ""
	}
	return "Checksum" + string(a)
}

// IsCRC reports whether a is a CRC, i.e. supports FULL_OBJECT checksums and
// CombineCRC.
func (a Algorithm) IsCRC() bool { return a == CRC32 || a == CRC32C || a == CRC64NVME }

// Size returns the length in bytes of a's digest, or 0 for an invalid
// algorithm.
func (a Algorithm) Size() int {
	switch a {
	case CRC32, CRC32C:
		return 4
	case CRC64NVME:
		return 8
	case SHA1:
		return sha1.Size
	case SHA256:
		return sha256.Size
	}
	return 0
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// New returns a fresh hash computing a. Its Sum appends the digest in the
// byte order S3 encodes (big-endian for the CRCs). It panics for an invalid
// algorithm.
func (a Algorithm) New() hash.Hash {
	switch a {
	case CRC32:
		return crc32.NewIEEE()
	case CRC32C:
		return crc32.New(castagnoli)
	case CRC64NVME:
		return NewCRC64NVME()
	case SHA1:
		return sha1.New()
	case SHA256:
		return sha256.New()
	}
	panic("checksum: New of invalid algorithm " + string(a))
}

// Sum returns a's digest of data.
func (a Algorithm) Sum(data []byte) []byte {
	h := a.New()
	h.Write(data)
	return h.Sum(nil)
}

// Encode returns the wire form of a raw digest: standard, padded base64.
func (a Algorithm) Encode(sum []byte) string { return base64.StdEncoding.EncodeToString(sum) }

// Decode returns the raw digest that value encodes, and false unless value is
// exactly the padded standard base64 of a digest of a's size.
func (a Algorithm) Decode(value string) ([]byte, bool) {
	n := a.Size()
	if n == 0 || len(value) != base64.StdEncoding.EncodedLen(n) {
		return nil, false
	}
	// The decoder skips '\r' and '\n'; with an exact length check such input
	// decodes short and is rejected below, but be explicit.
	if strings.ContainsAny(value, "\r\n") {
		return nil, false
	}
	sum, err := base64.StdEncoding.DecodeString(value)
	if err != nil || len(sum) != n {
		return nil, false
	}
	return sum, true
}

// Type is an S3 checksum type: how the checksum of a multipart (or appended)
// object relates to its parts.
type Type string

const (
	// TypeFullObject: the checksum of the whole object's bytes (CRCs only).
	TypeFullObject Type = "FULL_OBJECT"
	// TypeComposite: the checksum of the concatenated part checksums,
	// written "<base64>-<parts>" (not CRC64NVME).
	TypeComposite Type = "COMPOSITE"
)

// ParseType returns the checksum type named s, compared without regard to
// case.
func ParseType(s string) (Type, bool) {
	switch {
	case strings.EqualFold(s, string(TypeFullObject)):
		return TypeFullObject, true
	case strings.EqualFold(s, string(TypeComposite)):
		return TypeComposite, true
	}
	return "", false
}

// Supports reports whether S3 allows the checksum type t with a: FULL_OBJECT
// for CRC32, CRC32C and CRC64NVME; COMPOSITE for CRC32, CRC32C, SHA1 and
// SHA256.
func (a Algorithm) Supports(t Type) bool {
	switch t {
	case TypeFullObject:
		return a.IsCRC()
	case TypeComposite:
		return a.Valid() && a != CRC64NVME
	}
	return false
}

// DefaultType is the checksum type a multipart upload gets when
// CreateMultipartUpload names the algorithm but no type: FULL_OBJECT for
// CRC64NVME, COMPOSITE for the others.
func (a Algorithm) DefaultType() Type {
	if a == CRC64NVME {
		return TypeFullObject
	}
	return TypeComposite
}
