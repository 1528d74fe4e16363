package pebble

import (
	"encoding/binary"
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
//	'o' len(bucket) bucket key        -> object record
//	'r' blobID                        -> uvarint records referencing the blob
//	'g' bigendian64(queuedAt) blobID  -> empty (GC queue in time order)
//	'G' blobID                        -> bigendian64(queuedAt) (finds the 'g' entry)
//	'c' name                          -> config value
const (
	tableMeta     = 'm'
	tableBucket   = 'b'
	tableOwner    = 'B'
	tableObject   = 'o'
	tableRefs     = 'r'
	tableGC       = 'g'
	tableGCIndex  = 'G'
	tableConfig   = 'c'
	schemaVersion = 1
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

// objectPrefix is the prefix of every object key of bucket.
func objectPrefix(bucket string) []byte {
	k := make([]byte, 0, 2+len(bucket))
	return appendName(append(k, tableObject), bucket)
}

func objectKey(bucket, key string) []byte {
	k := make([]byte, 0, 3+len(bucket)+len(key))
	k = appendName(append(k, tableObject), bucket)
	return append(k, key...)
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
