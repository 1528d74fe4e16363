package catalog

import (
	"context"
	"sync"
)

// ObjectHint says that the request in a context will look up a bucket and
// then read one object of it (a GetObject or HeadObject: the bucket for
// the session check, the object for the answer). An engine that pays a
// round trip per call (PostgreSQL) may fetch both in GetBucket and serve
// the following GetObject from the hint, once; engines in process ignore
// it. The object is then read at the bucket lookup, a moment earlier in
// the same request, which is as current as S3 promises.
type ObjectHint struct {
	Bucket, Key string

	mu      sync.Mutex
	fetched bool // Keep was called
	taken   bool
	obj     *Object
	err     error
}

type hintKey struct{}

// WithObjectHint returns ctx carrying a hint that the request will read key
// of bucket after looking the bucket up.
func WithObjectHint(ctx context.Context, bucket, key string) context.Context {
	return context.WithValue(ctx, hintKey{}, &ObjectHint{Bucket: bucket, Key: key})
}

// ObjectHintFor returns ctx's hint when it names bucket and has not been
// fetched yet (nil otherwise): the engine's GetBucket then reads the
// object too and calls Keep.
func ObjectHintFor(ctx context.Context, bucket string) *ObjectHint {
	h, _ := ctx.Value(hintKey{}).(*ObjectHint)
	if h == nil || h.Bucket != bucket {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fetched {
		return nil
	}
	return h
}

// Keep records the object read with the bucket: obj, or err (ErrNotFound
// when the key has no record).
func (h *ObjectHint) Keep(obj *Object, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fetched, h.obj, h.err = true, obj, err
}

// TakeObject returns the object kept by ctx's hint for (bucket, key), and
// the error of its read, once; ok is false when there is none and the
// engine must read it.
func TakeObject(ctx context.Context, bucket, key string) (obj *Object, ok bool, err error) {
	h, _ := ctx.Value(hintKey{}).(*ObjectHint)
	if h == nil || h.Bucket != bucket || h.Key != key {
		return nil, false, nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.fetched || h.taken {
		return nil, false, nil
	}
	h.taken = true
	return h.obj, true, h.err
}
