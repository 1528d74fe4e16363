package pebble

import (
	"encoding/binary"
	"fmt"
)

// Key layout. Every key starts with a one-byte table prefix. A name that is
// followed by another component is length-prefixed (uvarint) so one name
// can never be a prefix of another's range; the last component is raw so
// it sorts lexicographically within its table (object keys within a
// bucket, bucket names within an owner).
//
//	'm' name                          -> engine metadata (schema version)
//	'b' bucket                        -> bucket record
//	'B' len(owner) owner bucket       -> bucket record (owner index)
//	'o' len(bucket) bucket key        -> object record: metadata only
//	'd' len(bucket) bucket key        -> the object's inline bytes, when it has any
//	'u' len(bucket) bucket ekey id    -> upload record
//	'p' len(bucket) bucket len(key) key len(id) id bigendian32(number)
//	                                  -> part record
//	'r' blobID                        -> uvarint records (objects and parts) referencing the blob
//	'g' bigendian64(queuedAt) blobID  -> empty (GC queue in time order)
//	'G' blobID                        -> bigendian64(queuedAt) (finds the 'g' entry)
//	'c' name                          -> config value
//	'a' name                          -> access point record (catalog.EncodeAccessPoint)
//	'A' len(bucket) bucket name       -> empty (the bucket's access points)
//
// Object metadata and inline data live in separate tables written in the
// same batch, so a listing scans 'o' without ever reading the bytes of
// inline objects ('d' blocks stay cold), while a GET is two point reads.
//
// Uploads must list in (key, id) order and fold by key prefix, so the key
// in 'u' cannot be length-prefixed (that would sort by length). ekey is the
// key escaped order-preservingly: every 0x00 byte becomes 0x00 0xff and the
// key ends with 0x00 0x01. Then ekey(a) < ekey(b) exactly when a < b, the
// escaped form of a prefix p is a prefix of the escaped form of every key
// starting with p, and the id that follows sorts raw. Parts are only ever
// read per upload, so their key uses plain length prefixes.
const (
	tableMeta     = 'm'
	tableBucket   = 'b'
	tableOwner    = 'B'
	tableObject   = 'o'
	tableData     = 'd'
	tableUpload   = 'u'
	tablePart     = 'p'
	tableRefs     = 'r'
	tableGC       = 'g'
	tableGCIndex  = 'G'
	tableConfig   = 'c'
	tableAP       = 'a'
	tableBucketAP = 'A'
	schemaVersion = 2
)

var schemaKey = []byte{tableMeta, 's', 'c', 'h', 'e', 'm', 'a'}

func simpleKey(table byte, name string) []byte {
	k := make([]byte, 0, 1+len(name))
	return append(append(k, table), name...)
}

// appendName appends a length-prefixed name.
func appendName(dst []byte, name string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(name)))
	return append(dst, name...)
}

func bucketKey(name string) []byte { return simpleKey(tableBucket, name) }

func ownerPrefix(owner string) []byte {
	k := make([]byte, 0, 2+len(owner))
	return appendName(append(k, tableOwner), owner)
}

func ownerKey(owner, name string) []byte {
	k := make([]byte, 0, 3+len(owner)+len(name))
	k = appendName(append(k, tableOwner), owner)
	return append(k, name...)
}

// bucketTablePrefix is the prefix of every key of bucket in table.
func bucketTablePrefix(table byte, bucket string) []byte {
	k := make([]byte, 0, 2+len(bucket))
	return appendName(append(k, table), bucket)
}

// objectPrefix is the prefix of every object key of bucket.
func objectPrefix(bucket string) []byte { return bucketTablePrefix(tableObject, bucket) }

func objectKey(bucket, key string) []byte {
	k := make([]byte, 0, 3+len(bucket)+len(key))
	k = appendName(append(k, tableObject), bucket)
	return append(k, key...)
}

// dataKeyOf returns the inline data key matching an object key.
func dataKeyOf(objectKey []byte) []byte {
	k := append([]byte{}, objectKey...)
	k[0] = tableData
	return k
}

// appendEscaped appends key escaped for the upload table, without the
// terminator (so it is also the lower bound of every key with that prefix).
func appendEscaped(dst []byte, key string) []byte {
	for i := 0; i < len(key); i++ {
		if key[i] == 0 {
			dst = append(dst, 0, 0xff)
		} else {
			dst = append(dst, key[i])
		}
	}
	return dst
}

// uploadPrefix is the prefix of every upload key of bucket.
func uploadPrefix(bucket string) []byte { return bucketTablePrefix(tableUpload, bucket) }

// uploadKeyPrefix bounds the uploads of bucket whose keys start with prefix.
func uploadKeyPrefix(bucket, prefix string) []byte {
	k := make([]byte, 0, 2+len(bucket)+len(prefix)+4)
	k = appendName(append(k, tableUpload), bucket)
	return appendEscaped(k, prefix)
}

func uploadKey(bucket, key, id string) []byte {
	k := make([]byte, 0, 4+len(bucket)+len(key)+4+len(id))
	k = appendName(append(k, tableUpload), bucket)
	k = append(appendEscaped(k, key), 0, 1)
	return append(k, id...)
}

// parseUploadKey splits the part of an upload key after the bucket prefix
// into object key and upload id.
func parseUploadKey(rest []byte) (key, id string, err error) {
	out := make([]byte, 0, len(rest))
	for i := 0; i < len(rest); i++ {
		if rest[i] != 0 {
			out = append(out, rest[i])
			continue
		}
		if i+1 == len(rest) {
			break
		}
		switch rest[i+1] {
		case 0xff:
			out = append(out, 0)
			i++
		case 1:
			return string(out), string(rest[i+2:]), nil
		default:
			i = len(rest)
		}
	}
	return "", "", fmt.Errorf("%w: upload key %q", errCorrupt, rest)
}

// partPrefix is the prefix of every part key of one upload.
func partPrefix(bucket, key, id string) []byte {
	k := make([]byte, 0, 4+len(bucket)+len(key)+len(id)+8)
	k = appendName(append(k, tablePart), bucket)
	k = appendName(k, key)
	return appendName(k, id)
}

func partKey(prefix []byte, number uint32) []byte {
	k := make([]byte, 0, len(prefix)+4)
	return binary.BigEndian.AppendUint32(append(k, prefix...), number)
}

// partNumber is the number at the end of a part key.
func partNumber(k []byte) (int, error) {
	if len(k) < 4 {
		return 0, fmt.Errorf("%w: part key %q", errCorrupt, k)
	}
	return int(binary.BigEndian.Uint32(k[len(k)-4:])), nil
}

func refKey(blobID string) []byte     { return simpleKey(tableRefs, blobID) }
func gcIndexKey(blobID string) []byte { return simpleKey(tableGCIndex, blobID) }
func configKey(name string) []byte    { return simpleKey(tableConfig, name) }

func gcKey(queuedAt uint64, blobID string) []byte {
	k := make([]byte, 0, 9+len(blobID))
	k = binary.BigEndian.AppendUint64(append(k, tableGC), queuedAt)
	return append(k, blobID...)
}

// prefixEnd is the exclusive upper bound of all keys starting with p (p is
// never all 0xff here: it starts with a table byte).
func prefixEnd(p []byte) []byte {
	end := append([]byte{}, p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] != 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}
