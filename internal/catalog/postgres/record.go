package postgres

import (
	"fmt"

	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/catalog/binrec"
)

// Records are binary in bytea columns: a listing decodes a thousand per
// page, and JSON decoding was a third of the client's CPU there. Their
// bodies are binrec's, as Pebble's are (binrec/records.go has the layout),
// led by a format byte: a reader refuses a format it does not know instead
// of guessing. Names that are columns (bucket, key, upload id, part
// number) are not repeated.
//
//	objects.meta = format=1 | binrec object     (objects.data: the inline bytes, concatenated)
//	uploads.info = format=1 | binrec upload
//	parts.info   = format=1 | binrec part       (inline bytes included)
//	buckets.tags = format=1 | binrec map        (NULL: no tags)
const recordFormat = 1

// checkFormat reads a record's format byte. what names the record for
// errors, formatted only when there is one (a listing decodes thousands).
func checkFormat(d *binrec.Decoder, what func() string) error {
	if f := d.Byte(); d.Err() != nil {
		return corrupt(what)
	} else if f != recordFormat {
		return fmt.Errorf("catalog/postgres: %s record in format %d, which this build does not read (it reads %d): written by a newer zonal?", what(), f, recordFormat)
	}
	return nil
}

// done checks that d read its whole record without error.
func done(d *binrec.Decoder, what func() string) error {
	if d.Err() != nil || d.Len() != 0 {
		return corrupt(what)
	}
	return nil
}

func corrupt(what func() string) error {
	return fmt.Errorf("catalog/postgres: corrupt %s record", what())
}

// encodeObject returns o's metadata and its inline bytes, concatenated in
// extent order.
func encodeObject(o *catalog.Object) (meta, data []byte, err error) {
	meta = binrec.AppendObject(append(make([]byte, 0, 128), recordFormat), o)
	for _, e := range o.Extents {
		if e.BlobID == "" {
			data = append(data, e.Inline...)
		}
	}
	return meta, data, nil
}

// decodeObject rebuilds a record in the engines' canonical form. With
// withData false (listings) inline extents keep their Length but no bytes.
func decodeObject(key string, meta, data []byte, withData bool) (*catalog.Object, error) {
	what := func() string { return fmt.Sprintf("object %q", key) }
	d := binrec.NewDecoder(meta)
	if err := checkFormat(d, what); err != nil {
		return nil, err
	}
	o, inline := d.Object(key)
	if err := done(d, what); err != nil {
		return nil, err
	}
	if !withData {
		return o, nil
	}
	if data == nil {
		data = []byte{} // empty inline extents stay recognisably inline
	}
	if inline != int64(len(data)) {
		return nil, fmt.Errorf("catalog/postgres: %s holds %d inline bytes for extents of %d", what(), len(data), inline)
	}
	for i := range o.Extents {
		if e := &o.Extents[i]; e.BlobID == "" {
			e.Inline, data = data[:e.Length:e.Length], data[e.Length:]
		}
	}
	return o, nil
}

func encodeUpload(u *catalog.Upload) ([]byte, error) {
	return binrec.AppendUpload(append(make([]byte, 0, 64), recordFormat), u), nil
}

func decodeUpload(bucket, key, id string, b []byte) (*catalog.Upload, error) {
	what := func() string { return fmt.Sprintf("upload %q", id) }
	d := binrec.NewDecoder(b)
	if err := checkFormat(d, what); err != nil {
		return nil, err
	}
	u := d.Upload(bucket, key, id)
	return u, done(d, what)
}

func encodePart(p *catalog.Part) ([]byte, error) {
	return binrec.AppendPart(append(make([]byte, 0, 64), recordFormat), p), nil
}

func decodePart(number int, b []byte) (catalog.Part, error) {
	what := func() string { return fmt.Sprintf("part %d", number) }
	d := binrec.NewDecoder(b)
	if err := checkFormat(d, what); err != nil {
		return catalog.Part{}, err
	}
	p := d.Part(number)
	if err := done(d, what); err != nil {
		return catalog.Part{}, err
	}
	return p, nil
}

// encodeTags returns a bucket's tags as stored, nil (NULL) for none.
func encodeTags(tags map[string]string) []byte {
	if len(tags) == 0 {
		return nil
	}
	return binrec.AppendMap([]byte{recordFormat}, tags)
}

// decodeTags reads encodeTags' column.
func decodeTags(bucket string, b []byte) (map[string]string, error) {
	if len(b) == 0 {
		return nil, nil
	}
	what := func() string { return fmt.Sprintf("bucket %q tags", bucket) }
	d := binrec.NewDecoder(b)
	if err := checkFormat(d, what); err != nil {
		return nil, err
	}
	m := d.Map()
	return m, done(d, what)
}
