package crash

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Object contents are made of segments: an 8-byte stamp unique to the write
// that made the segment, followed by a slice of a fixed random pool. A
// version of an object is a list of segments (one per PutObject, two for a
// multipart upload, one more per append), so the model holds no data: it
// regenerates the bytes when it needs them.

const poolSize = 8 << 20

var (
	poolOnce sync.Once
	pool     []byte
	stamps   atomic.Uint64
)

func contentPool() []byte {
	poolOnce.Do(func() {
		pool = make([]byte, poolSize)
		r := rand.NewChaCha8([32]byte{'z', 'o', 'n', 'a', 'l', '-', 'c', 'r', 'a', 's', 'h'})
		_, _ = r.Read(pool)
	})
	return pool
}

// seg is n bytes: the stamp (big-endian, cut to n if n < 8), then
// pool[off:off+n-8].
type seg struct {
	stamp uint64
	off   int
	n     int
}

// newSeg draws a fresh segment of n bytes.
func newSeg(rng *rand.Rand, n int) seg {
	s := seg{stamp: stamps.Add(1) | 0x5a00000000000000, n: n}
	if n > 8 {
		s.off = rng.IntN(poolSize - (n - 8) + 1)
	}
	return s
}

func (s seg) appendTo(b []byte) []byte {
	var st [8]byte
	binary.BigEndian.PutUint64(st[:], s.stamp)
	if s.n <= 8 {
		return append(b, st[:s.n]...)
	}
	b = append(b, st[:]...)
	return append(b, contentPool()[s.off:s.off+s.n-8]...)
}

func (s seg) bytes() []byte { return s.appendTo(make([]byte, 0, s.n)) }

// version is one state of an object the model allows; a nil *version is
// "absent". Versions are immutable once made, except for etag, which is
// learned from the server.
type version struct {
	segs    []seg
	size    int64
	sum     [32]byte // SHA-256 of the content
	crc     uint32   // CRC32 (IEEE) of the content
	partCRC []uint32 // CRC32 of each segment: the server's parts
	etag    string   // as the server reported it (quoted), "" if unknown
	origin  string   // the operation that made it, for messages
}

func newVersion(origin string, segs []seg) *version {
	v := &version{segs: segs, origin: origin}
	h := sha256.New()
	full := crc32.NewIEEE()
	for _, s := range segs {
		b := s.bytes()
		h.Write(b)
		full.Write(b)
		v.partCRC = append(v.partCRC, crc32.ChecksumIEEE(b))
		v.size += int64(len(b))
	}
	copy(v.sum[:], h.Sum(nil))
	v.crc = full.Sum32()
	return v
}

func (v *version) String() string {
	if v == nil {
		return "<absent>"
	}
	return fmt.Sprintf("{%d bytes sha %s… %d part(s) from %s}", v.size, hex.EncodeToString(v.sum[:6]), len(v.segs), v.origin)
}

// compositeCRC32 is the COMPOSITE checksum the server reports for an object
// of several parts: CRC32 of the concatenated big-endian part CRCs, "-N".
func (v *version) compositeCRC32() string {
	h := crc32.NewIEEE()
	var b [4]byte
	for _, c := range v.partCRC {
		binary.BigEndian.PutUint32(b[:], c)
		h.Write(b[:])
	}
	return b64u32(h.Sum32()) + "-" + strconv.Itoa(len(v.partCRC))
}

func b64u32(c uint32) string {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], c)
	return base64.StdEncoding.EncodeToString(b[:])
}

// observed is what a GET after a restart saw of a key.
type observed struct {
	present  bool
	size     int64
	sum      [32]byte
	crc      uint32 // CRC32 of the bytes received
	etag     string
	crc32Hdr string // x-amz-checksum-crc32 of the response
	ctype    string // x-amz-checksum-type
	err      string // a failure other than 404 (the read failed: SDK checksum validation included)
}

func (o observed) String() string {
	if o.err != "" {
		return "<error: " + o.err + ">"
	}
	if !o.present {
		return "<absent>"
	}
	return fmt.Sprintf("{%d bytes sha %s…}", o.size, hex.EncodeToString(o.sum[:6]))
}

// matches reports whether o is exactly version v (nil: absent).
func (o observed) matches(v *version) bool {
	if o.err != "" {
		return false
	}
	if v == nil {
		return !o.present
	}
	return o.present && o.size == v.size && o.sum == v.sum
}

// pending is an operation a worker started and has no answer for: after a
// crash its keys must hold either all of pre or all of post.
type pending struct {
	kind      string
	keys      []string
	pre, post []*version
}

// opStats count what happened to each kind of operation.
type opStats struct {
	mu       sync.Mutex
	acked    map[string]int // 2xx answers
	refused  map[string]int // refused as the model predicted (412)
	inflight map[string]int // no answer: cut by a kill
	wentPre  map[string]int // in flight at a kill, found not applied after restart
	wentPost map[string]int // in flight at a kill, found applied
	abandon  int            // multipart uploads cut before their Complete was sent
}

func newOpStats() *opStats {
	return &opStats{acked: map[string]int{}, refused: map[string]int{}, inflight: map[string]int{},
		wentPre: map[string]int{}, wentPost: map[string]int{}}
}

func (s *opStats) add(m map[string]int, kind string) {
	s.mu.Lock()
	m[kind]++
	s.mu.Unlock()
}

func sumOf(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func fmtCounts(m map[string]int) string {
	var kinds []string
	for k := range m {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	var b strings.Builder
	for i, k := range kinds {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d", k, m[k])
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()
}
