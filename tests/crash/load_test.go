package crash

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Sizes of the load. Small objects stay under the 64 KiB inline threshold
// (bytes inside the catalog record); large ones go to a blob file.
const (
	smallMax     = 60 << 10
	largeMin     = 1 << 20
	largeMax     = 3 << 20
	mpuPartSize  = 5 << 20 // the minimum size of a part that is not the last
	appendCapLen = 8 << 20 // objects beyond this are rewritten instead of appended to
	appendCapN   = 200     // nor appended to more than this many times
)

// loadRun is one stretch of load against one server process.
type loadRun struct {
	c        *s3.Client
	bucket   string
	stats    *opStats
	stop     chan struct{}
	killedAt atomic.Int64 // unix nanoseconds of the SIGKILL; 0 while alive
	mpuSem   chan struct{}

	mu       sync.Mutex
	problems []string
}

func (r *loadRun) killed() bool { return r.killedAt.Load() != 0 }

func (r *loadRun) problem(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.problems) < 40 {
		r.problems = append(r.problems, fmt.Sprintf(format, args...))
	}
}

// worker owns a set of keys: only it writes them, one operation at a time,
// so its model of them is exact except for the one operation it may have
// in flight when the server dies.
type worker struct {
	id      int
	keys    []string
	state   map[string]*version // definite state of each key (nil: absent)
	rng     *rand.Rand
	pending *pending // the operation without an answer, if any
}

func newWorker(id, nkeys int, seed uint64) *worker {
	w := &worker{id: id, state: map[string]*version{}, rng: rand.New(rand.NewPCG(seed, uint64(id)))}
	for i := 0; i < nkeys; i++ {
		k := fmt.Sprintf("w%02d/k%02d", id, i)
		if i%3 == 2 {
			k = fmt.Sprintf("w%02d/dir/sub/k%02d", id, i) // deeper keys for the listing
		}
		w.keys = append(w.keys, k)
	}
	return w
}

// loop runs operations until the run stops or an operation gets no answer.
func (w *worker) loop(r *loadRun) {
	for {
		select {
		case <-r.stop:
			return
		default:
		}
		if r.killed() || !w.step(r) {
			return
		}
	}
}

func (w *worker) key() string { return w.keys[w.rng.IntN(len(w.keys))] }

// presentKey returns a key the model says exists (with a known ETag when
// etag is set), or "".
func (w *worker) presentKey(etag bool) string {
	start := w.rng.IntN(len(w.keys))
	for i := range w.keys {
		k := w.keys[(start+i)%len(w.keys)]
		if v := w.state[k]; v != nil && (!etag || v.etag != "") {
			return k
		}
	}
	return ""
}

func (w *worker) smallSize() int { return 1 + w.rng.IntN(smallMax) }
func (w *worker) largeSize() int { return largeMin + w.rng.IntN(largeMax-largeMin+1) }

// step runs one randomly chosen operation; false means it got no answer.
func (w *worker) step(r *loadRun) bool {
	switch p := w.rng.IntN(100); {
	case p < 20:
		return w.put(r, "put-small", w.key(), w.smallSize(), nil)
	case p < 30:
		return w.put(r, "put-large", w.key(), w.largeSize(), nil)
	case p < 48:
		return w.append(r)
	case p < 53:
		return w.multipart(r)
	case p < 63:
		return w.rename(r)
	case p < 72:
		k := w.key()
		return w.exec(r, "delete", []string{k}, []*version{nil}, false, func(ctx context.Context) error {
			_, err := r.c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(r.bucket), Key: aws.String(k)})
			return err
		})
	case p < 84:
		k := w.key()
		size := w.smallSize()
		if w.rng.IntN(3) == 0 {
			size = w.largeSize()
		}
		return w.put(r, "put-if-none-match", k, size, func(in *s3.PutObjectInput) bool {
			in.IfNoneMatch = aws.String("*")
			return w.state[k] != nil // must fail when the key exists
		})
	case p < 96:
		k := w.presentKey(true)
		if k == "" {
			return w.put(r, "put-small", w.key(), w.smallSize(), nil)
		}
		return w.put(r, "put-if-match", k, w.smallSize(), func(in *s3.PutObjectInput) bool {
			in.IfMatch = aws.String(w.state[k].etag)
			return false
		})
	default:
		k := w.presentKey(false)
		if k == "" {
			return w.put(r, "put-small", w.key(), w.smallSize(), nil)
		}
		return w.put(r, "put-if-match-stale", k, w.smallSize(), func(in *s3.PutObjectInput) bool {
			in.IfMatch = aws.String(`"00000000000000000000000000000bad"`)
			return true
		})
	}
}

// put is a PutObject of a fresh segment of size bytes; cond may set
// conditions and returns whether the model expects a 412.
func (w *worker) put(r *loadRun, kind, k string, size int, cond func(*s3.PutObjectInput) bool) bool {
	s := newSeg(w.rng, size)
	v := newVersion(fmt.Sprintf("%s #%x", kind, s.stamp), []seg{s})
	in := &s3.PutObjectInput{Bucket: aws.String(r.bucket), Key: aws.String(k), Body: bytes.NewReader(s.bytes())}
	mustFail := false
	if cond != nil {
		mustFail = cond(in)
	}
	return w.exec(r, kind, []string{k}, []*version{v}, mustFail, func(ctx context.Context) error {
		out, err := r.c.PutObject(ctx, in)
		if err == nil {
			v.etag = aws.ToString(out.ETag)
		}
		return err
	})
}

// append adds a segment at the end of a key (creating it at offset 0).
func (w *worker) append(r *loadRun) bool {
	k := w.key()
	cur := w.state[k]
	if cur != nil && (cur.size > appendCapLen || len(cur.segs) >= appendCapN) {
		return w.put(r, "put-small", k, w.smallSize(), nil)
	}
	n := 1 + w.rng.IntN(32<<10)
	if w.rng.IntN(10) < 3 {
		n = 100<<10 + w.rng.IntN(300<<10) // beyond the inline threshold
	}
	s := newSeg(w.rng, n)
	var segs []seg
	var off int64
	if cur != nil {
		segs = append(segs, cur.segs...)
		off = cur.size
	}
	v := newVersion(fmt.Sprintf("append #%x at %d", s.stamp, off), append(segs, s))
	return w.exec(r, "append", []string{k}, []*version{v}, false, func(ctx context.Context) error {
		out, err := r.c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(r.bucket), Key: aws.String(k),
			Body: bytes.NewReader(s.bytes()), WriteOffsetBytes: aws.Int64(off)})
		if err == nil {
			v.etag = aws.ToString(out.ETag)
		}
		return err
	})
}

// rename moves a present key onto another key of the worker (replacing it).
func (w *worker) rename(r *loadRun) bool {
	src := w.presentKey(false)
	if src == "" {
		return w.put(r, "put-small", w.key(), w.smallSize(), nil)
	}
	dst := w.key()
	for dst == src {
		dst = w.key()
	}
	moved := w.state[src]
	return w.exec(r, "rename", []string{src, dst}, []*version{nil, moved}, false, func(ctx context.Context) error {
		_, err := r.c.RenameObject(ctx, &s3.RenameObjectInput{Bucket: aws.String(r.bucket), Key: aws.String(dst),
			RenameSource: aws.String(r.bucket + "/" + src)})
		return err
	})
}

// multipart uploads a 5 MiB part and a tail, then completes (sometimes with
// If-None-Match: *). Only the Complete can change the key.
func (w *worker) multipart(r *loadRun) bool {
	select {
	case r.mpuSem <- struct{}{}:
		defer func() { <-r.mpuSem }()
	default:
		return w.put(r, "put-large", w.key(), w.largeSize(), nil)
	}
	k := w.key()
	composite := w.rng.IntN(2) == 0
	ctype := types.ChecksumTypeFullObject
	if composite {
		ctype = types.ChecksumTypeComposite
	}
	segs := []seg{newSeg(w.rng, mpuPartSize), newSeg(w.rng, 1+w.rng.IntN(1<<20))}
	v := newVersion(fmt.Sprintf("multipart(%s) #%x", ctype, segs[0].stamp), segs)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// Before the Complete is sent the key cannot change: a failure here
	// only abandons the upload.
	abandoned := func(what string, err error) bool {
		ei := inspect(err)
		if !r.killed() {
			r.problem("worker %d: multipart %s of %s failed before the kill: %s", w.id, what, k, describe(err))
		}
		r.stats.mu.Lock()
		r.stats.abandon++
		r.stats.mu.Unlock()
		return ei.Status != 0 // a refusal lets the worker go on; no answer stops it
	}
	cr, err := r.c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(r.bucket), Key: aws.String(k),
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32, ChecksumType: ctype})
	if err != nil {
		return abandoned("create", err)
	}
	var parts []types.CompletedPart
	for i, s := range segs {
		if r.killed() {
			return false
		}
		n := int32(i + 1)
		out, err := r.c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(r.bucket), Key: aws.String(k), UploadId: cr.UploadId,
			PartNumber: aws.Int32(n), Body: bytes.NewReader(s.bytes()), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
		if err != nil {
			return abandoned(fmt.Sprintf("part %d", n), err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32})
	}
	if r.killed() {
		return false
	}
	in := &s3.CompleteMultipartUploadInput{Bucket: aws.String(r.bucket), Key: aws.String(k), UploadId: cr.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}
	if !composite {
		in.ChecksumType = types.ChecksumTypeFullObject
		in.ChecksumCRC32 = aws.String(b64u32(v.crc))
	}
	mustFail := false
	if w.rng.IntN(10) < 3 {
		in.IfNoneMatch = aws.String("*")
		mustFail = w.state[k] != nil
	}
	if !w.exec(r, "multipart", []string{k}, []*version{v}, mustFail, func(ctx context.Context) error {
		out, err := r.c.CompleteMultipartUpload(ctx, in)
		if err == nil {
			v.etag = aws.ToString(out.ETag)
		}
		return err
	}) {
		return false
	}
	if !mustFail || r.killed() {
		return true
	}
	// The Complete was refused (412): the upload stays open, as on AWS,
	// and a tidy client aborts it.
	_, err = r.c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(r.bucket), Key: aws.String(k), UploadId: cr.UploadId})
	switch ei := inspect(err); {
	case err == nil:
		r.stats.add(r.stats.acked, "abort-multipart")
		return true
	case ei.Status == 0:
		if !r.killed() {
			r.problem("worker %d: AbortMultipartUpload of %s failed before the kill: %s", w.id, k, describe(err))
		}
		return false
	default:
		r.problem("worker %d: AbortMultipartUpload of %s after a refused Complete: %s", w.id, k, describe(err))
		return true
	}
}

// exec runs one operation that takes keys from their current states to
// post if it applies (or leaves them if mustFail: the model predicts a
// 412). It returns false when the operation got no answer, which leaves it
// pending: after the restart its keys must be all-before or all-after.
func (w *worker) exec(r *loadRun, kind string, keys []string, post []*version, mustFail bool, call func(ctx context.Context) error) bool {
	pre := make([]*version, len(keys))
	for i, k := range keys {
		pre[i] = w.state[k]
	}
	p := &pending{kind: kind, keys: keys, pre: pre, post: post}
	if mustFail {
		p.post = pre // the only allowed outcome
	}
	w.pending = p
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	err := call(ctx)
	cancel()
	if err == nil {
		w.pending = nil
		if mustFail {
			r.problem("worker %d: %s on %v succeeded, but the model (%v) says the condition fails (412)", w.id, kind, keys, pre)
		}
		for i, k := range keys {
			w.state[k] = post[i]
		}
		r.stats.add(r.stats.acked, kind)
		return true
	}
	ei := inspect(err)
	switch {
	case ei.Status == 412 && mustFail:
		w.pending = nil
		r.stats.add(r.stats.refused, kind)
		return true
	case ei.Status >= 400 && ei.Status < 500:
		w.pending = nil
		r.problem("worker %d: %s on %v refused unexpectedly: %s (model: %v)", w.id, kind, keys, describe(err), pre)
		return true
	}
	// No answer, or a 5xx: the outcome is unknown until the restart.
	if !r.killed() {
		r.problem("worker %d: %s on %v failed before the kill: %s", w.id, kind, keys, describe(err))
	} else {
		r.stats.add(r.stats.inflight, kind)
	}
	return false
}
