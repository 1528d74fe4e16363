// Package binrec is the catalog engines' hand-written binary record
// encoding: primitives (length-prefixed strings, varints, times, sorted
// maps) appended to a byte slice, a Decoder that reads them back, and on
// them the bodies of the object, upload and part records (records.go).
//
//	string = uvarint len | bytes
//	map    = uvarint n | n × (string key | string value), keys sorted
//	time   = 0 (zero time) | 1 varint unixNanos
//
// Nothing here carries a version: each engine leads its records with its
// own format byte and refuses formats it does not know.
package binrec

import (
	"encoding/binary"
	"errors"
	"slices"
	"time"
)

// ErrCorrupt is the Decoder's error for a truncated or malformed record.
var ErrCorrupt = errors.New("corrupt record")

// AppendString appends s with its length.
func AppendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// AppendBytes appends b with its length.
func AppendBytes(dst, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

// AppendTime appends t to the nanosecond; the zero time stays zero.
func AppendTime(dst []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(dst, 0)
	}
	return binary.AppendVarint(append(dst, 1), t.UnixNano())
}

// AppendMap appends m with its keys sorted, so equal maps encode equally.
func AppendMap(dst []byte, m map[string]string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(m)))
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		dst = AppendString(AppendString(dst, k), m[k])
	}
	return dst
}

// Decoder reads a record front to back. After the first error every read
// returns a zero value, so callers check Err once at the end.
type Decoder struct {
	b   []byte
	err error
}

// NewDecoder reads b (without copying: byte slices it returns alias b).
func NewDecoder(b []byte) *Decoder { return &Decoder{b: b} }

// Err is ErrCorrupt after a read past the end or a malformed value.
func (d *Decoder) Err() error { return d.err }

// Len is the number of bytes not read yet.
func (d *Decoder) Len() int { return len(d.b) }

func (d *Decoder) fail() {
	d.err = ErrCorrupt
	d.b = nil
}

// Byte reads one byte.
func (d *Decoder) Byte() byte {
	if len(d.b) == 0 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

// Uvarint reads an unsigned varint.
func (d *Decoder) Uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

// Varint reads a signed varint.
func (d *Decoder) Varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

// Fixed64 reads eight little-endian bytes.
func (d *Decoder) Fixed64() uint64 {
	if len(d.b) < 8 {
		d.fail()
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

// Count reads an element count, bounded by the bytes left (every element
// takes at least one), so a corrupt count cannot make a caller allocate a
// huge slice.
func (d *Decoder) Count() int {
	n := d.Uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return 0
	}
	return int(n)
}

// Bytes reads length-prefixed bytes without copying; never nil unless the
// record is corrupt, so an empty value stays distinguishable from none.
func (d *Decoder) Bytes() []byte {
	n := d.Count()
	if d.err != nil {
		return nil
	}
	p := d.b[:n:n]
	d.b = d.b[n:]
	return p
}

// OptBytes is Bytes for optional fields: empty reads back as nil.
func (d *Decoder) OptBytes() []byte {
	if p := d.Bytes(); len(p) > 0 {
		return p
	}
	return nil
}

// String reads a length-prefixed string.
func (d *Decoder) String() string { return string(d.Bytes()) }

// Time reads a time written by AppendTime (UTC).
func (d *Decoder) Time() time.Time {
	switch d.Byte() {
	case 0:
		return time.Time{}
	case 1:
		return time.Unix(0, d.Varint()).UTC()
	default:
		d.fail()
		return time.Time{}
	}
}

// Map reads a map written by AppendMap; empty reads back as nil.
func (d *Decoder) Map() map[string]string {
	n := d.Count()
	if n == 0 {
		return nil
	}
	m := make(map[string]string, n)
	for range n {
		k := d.String()
		m[k] = d.String()
	}
	return m
}
