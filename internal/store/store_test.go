package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/blob"
	blobmem "github.com/zonal-dev/zonal/internal/blob/mem"
	"github.com/zonal-dev/zonal/internal/catalog"
	catmem "github.com/zonal-dev/zonal/internal/catalog/mem"
	"github.com/zonal-dev/zonal/internal/checksum"
	"github.com/zonal-dev/zonal/internal/store"
)

const bucket = "b--use1-az4--x-s3"

func newStore(t *testing.T, opt store.Options) *store.Store {
	t.Helper()
	s := store.New(catmem.New(), blobmem.New(), opt)
	if err := s.CreateBucket(context.Background(), catalog.Bucket{Name: bucket, Owner: "000000000000"}); err != nil {
		t.Fatal(err)
	}
	return s
}

func put(t *testing.T, s *store.Store, key string, data []byte, size int64) *catalog.Object {
	t.Helper()
	obj, err := s.Put(context.Background(), &store.PutInput{Bucket: bucket, Key: key, Body: bytes.NewReader(data), Size: size})
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
	return obj
}

func read(t *testing.T, s *store.Store, key string, off, n int64) []byte {
	t.Helper()
	obj, err := s.Head(context.Background(), bucket, key)
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Open(context.Background(), obj, off, n)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPutGetInlineAndBlob(t *testing.T) {
	s := newStore(t, store.Options{InlineMax: 100})
	for _, tc := range []struct {
		name   string
		size   int
		known  bool
		inline bool
	}{
		{"empty", 0, true, true},
		{"small", 50, true, true},
		{"edge", 100, true, true},
		{"large", 1000, true, false},
		{"small-unknown", 60, false, true},
		{"large-unknown", 5000, false, false},
	} {
		data := bytes.Repeat([]byte(tc.name), tc.size/len(tc.name)+1)[:tc.size]
		size := int64(-1)
		if tc.known {
			size = int64(tc.size)
		}
		obj := put(t, s, tc.name, data, size)
		if obj.Size != int64(tc.size) {
			t.Errorf("%s: size %d", tc.name, obj.Size)
		}
		isInline := len(obj.Extents) == 0 || obj.Extents[0].BlobID == ""
		if isInline != tc.inline {
			t.Errorf("%s: inline=%v, want %v", tc.name, isInline, tc.inline)
		}
		if got := read(t, s, tc.name, 0, int64(tc.size)); !bytes.Equal(got, data) {
			t.Errorf("%s: read back differs", tc.name)
		}
		if tc.size > 10 {
			if got := read(t, s, tc.name, 3, 7); !bytes.Equal(got, data[3:10]) {
				t.Errorf("%s: range read %q", tc.name, got)
			}
		}
	}
}

func TestPutShortBodyStoresNothing(t *testing.T) {
	s := newStore(t, store.Options{InlineMax: 10})
	for _, size := range []int64{5, 500} {
		_, err := s.Put(context.Background(), &store.PutInput{Bucket: bucket, Key: "k", Body: strings.NewReader("abc"), Size: size})
		if !store.IsKind(err, store.IncompleteBody) {
			t.Fatalf("size %d: err %v, want IncompleteBody", size, err)
		}
	}
	if _, err := s.Head(context.Background(), bucket, "k"); !store.IsKind(err, store.NoSuchKey) {
		t.Fatalf("object visible after failed put: %v", err)
	}
	n := 0
	s.Blobs().Walk(context.Background(), func(string, time.Time) error { n++; return nil })
	if n != 0 {
		t.Fatalf("%d blobs left behind by failed puts", n)
	}
}

func TestBadChecksumAbortsPut(t *testing.T) {
	s := newStore(t, store.Options{InlineMax: 10})
	for _, data := range []string{"tiny", strings.Repeat("x", 100)} {
		_, err := s.Put(context.Background(), &store.PutInput{
			Bucket: bucket, Key: "k", Body: strings.NewReader(data), Size: int64(len(data)),
			Checksum: &checksum.Expect{Algorithm: checksum.CRC32, Value: "AAAAAA=="},
		})
		if !errors.Is(err, &checksum.Error{Kind: checksum.Mismatch}) {
			t.Fatalf("err %v", err)
		}
	}
	if _, err := s.Head(context.Background(), bucket, "k"); !store.IsKind(err, store.NoSuchKey) {
		t.Fatalf("object visible after failed checksum: %v", err)
	}
}

func TestConditionalPutOneWinner(t *testing.T) {
	s := newStore(t, store.Options{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, fails := 0, 0
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Put(context.Background(), &store.PutInput{Bucket: bucket, Key: "once", Body: strings.NewReader("v"), Size: 1, IfNoneMatch: "*"})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case store.IsKind(err, store.PreconditionFailed):
				fails++
			default:
				t.Errorf("unexpected %v", err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 || fails != 15 {
		t.Fatalf("wins=%d fails=%d", wins, fails)
	}
}

func TestIfMatchAndDelete(t *testing.T) {
	s := newStore(t, store.Options{})
	ctx := context.Background()
	obj := put(t, s, "k", []byte("one"), 3)
	_, err := s.Put(ctx, &store.PutInput{Bucket: bucket, Key: "k", Body: strings.NewReader("x"), Size: 1, IfMatch: `"nope"`})
	if !store.IsKind(err, store.PreconditionFailed) {
		t.Fatalf("If-Match mismatch: %v", err)
	}
	_, err = s.Put(ctx, &store.PutInput{Bucket: bucket, Key: "missing", Body: strings.NewReader("x"), Size: 1, IfMatch: "*"})
	if !store.IsKind(err, store.NoSuchKey) {
		t.Fatalf("If-Match on missing key: %v", err)
	}
	if err := s.Delete(ctx, bucket, "k", store.DeleteConditions{IfMatch: `"other"`}); !store.IsKind(err, store.PreconditionFailed) {
		t.Fatalf("delete If-Match mismatch: %v", err)
	}
	if err := s.Delete(ctx, bucket, "k", store.DeleteConditions{IfMatch: `"` + obj.ETag + `"`}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, bucket, "k", store.DeleteConditions{}); err != nil {
		t.Fatalf("deleting a missing key: %v", err)
	}
	if err := s.Delete(ctx, "nobucket--use1-az4--x-s3", "k", store.DeleteConditions{}); !store.IsKind(err, store.NoSuchBucket) {
		t.Fatalf("delete in missing bucket: %v", err)
	}
	if _, err := s.Head(ctx, "nobucket--use1-az4--x-s3", "k"); !store.IsKind(err, store.NoSuchBucket) {
		t.Fatalf("head in missing bucket: %v", err)
	}
}

func TestReplacedBlobsAreCollected(t *testing.T) {
	now := time.Now()
	clock := func() time.Time { return now }
	s := newStore(t, store.Options{InlineMax: 10, GCDelay: time.Minute, Now: clock})
	ctx := context.Background()
	put(t, s, "k", bytes.Repeat([]byte("a"), 100), 100)
	put(t, s, "k", bytes.Repeat([]byte("b"), 100), 100)
	count := func() int {
		n := 0
		s.Blobs().Walk(ctx, func(string, time.Time) error { n++; return nil })
		return n
	}
	if n, _ := s.CollectOnce(ctx); n != 0 || count() != 2 {
		t.Fatalf("collected %d before the delay; %d blobs", n, count())
	}
	now = now.Add(2 * time.Minute)
	if n, err := s.CollectOnce(ctx); n != 1 || err != nil || count() != 1 {
		t.Fatalf("collected %d (%v); %d blobs left", n, err, count())
	}
	if got := read(t, s, "k", 0, 100); !bytes.Equal(got, bytes.Repeat([]byte("b"), 100)) {
		t.Fatal("live object damaged by GC")
	}
}

func TestSweepRemovesOnlyOldOrphans(t *testing.T) {
	now := time.Now()
	s := newStore(t, store.Options{InlineMax: 10, OrphanGrace: time.Hour, Now: func() time.Time { return now.Add(2 * time.Hour) }})
	ctx := context.Background()
	put(t, s, "live", bytes.Repeat([]byte("a"), 100), 100)
	w, _ := s.Blobs().Create(ctx)
	w.Write([]byte("orphan"))
	if _, err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	n, err := s.SweepOnce(ctx)
	if err != nil || n != 1 {
		t.Fatalf("swept %d, %v", n, err)
	}
	if got := read(t, s, "live", 0, 100); len(got) != 100 {
		t.Fatal("sweeper removed a referenced blob")
	}
}

// TestRunGCWaitsForLease: a node that does not hold the background lease
// collects nothing; once it does, the queue drains.
func TestRunGCWaitsForLease(t *testing.T) {
	s := newStore(t, store.Options{InlineMax: 10, GCDelay: time.Nanosecond})
	ctx, cancel := context.WithCancel(context.Background())
	put(t, s, "k", bytes.Repeat([]byte("a"), 100), 100)
	put(t, s, "k", bytes.Repeat([]byte("b"), 100), 100)
	backlog := func() int {
		n, err := s.Catalog().GCBacklog(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	var held atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.RunGC(ctx, slog.New(slog.DiscardHandler), 5*time.Millisecond, time.Hour, held.Load)
	}()
	time.Sleep(100 * time.Millisecond) // about 20 ticks without the lease
	if n := backlog(); n != 1 {
		cancel()
		<-done
		t.Fatalf("GC backlog %d without the lease, want 1 (nothing collected)", n)
	}
	held.Store(true)
	deadline := time.Now().Add(5 * time.Second)
	for backlog() != 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	if n := backlog(); n != 0 {
		t.Fatalf("GC backlog %d with the lease, want 0", n)
	}
}

// TestUnavailableCatalogIsUnavailable: a catalog out of reach is the
// Unavailable kind (a 503 above), never Internal, whatever path met it.
func TestUnavailableCatalogIsUnavailable(t *testing.T) {
	s := store.New(downCatalog{catmem.New()}, blobmem.New(), store.Options{})
	ctx := context.Background()
	_, err := s.Put(ctx, &store.PutInput{Bucket: bucket, Key: "k", Body: strings.NewReader("x"), Size: 1})
	if !store.IsKind(err, store.Unavailable) {
		t.Fatalf("Put: %v, want the Unavailable kind", err)
	}
	if _, err := s.Head(ctx, bucket, "k"); !store.IsKind(err, store.Unavailable) {
		t.Fatalf("Head: %v, want the Unavailable kind", err)
	}
	if _, err := s.List(ctx, catalog.ListQuery{Bucket: bucket, Limit: 10}); !store.IsKind(err, store.Unavailable) {
		t.Fatalf("List: %v, want the Unavailable kind", err)
	}
}

// downCatalog fails every object call as an unreachable shared catalog does.
type downCatalog struct{ catalog.Catalog }

var errDown = fmt.Errorf("%w: dial tcp 127.0.0.1:5432: connection refused", catalog.ErrUnavailable)

func (downCatalog) GetObject(context.Context, string, string) (*catalog.Object, error) {
	return nil, errDown
}
func (downCatalog) UpdateObject(context.Context, string, string, catalog.ObjectUpdate) error {
	return errDown
}
func (downCatalog) UpdateObjects(context.Context, []catalog.ObjectRef, catalog.ObjectsUpdate) error {
	return errDown
}
func (downCatalog) ListObjects(context.Context, catalog.ListQuery) (catalog.ListPage, error) {
	return catalog.ListPage{}, errDown
}
func (downCatalog) GetBucket(context.Context, string) (catalog.Bucket, error) {
	return catalog.Bucket{}, errDown
}

// TestUnavailableBlobStoreIsUnavailable: a remote blob store out of reach
// is the Unavailable kind too (503 above), and the object stays as it was.
func TestUnavailableBlobStoreIsUnavailable(t *testing.T) {
	cat := catmem.New()
	s := store.New(cat, downBlobs{blobmem.New()}, store.Options{InlineMax: 10})
	ctx := context.Background()
	if err := s.CreateBucket(ctx, catalog.Bucket{Name: bucket, Owner: "000000000000"}); err != nil {
		t.Fatal(err)
	}
	body := strings.Repeat("x", 100) // past InlineMax: a blob
	_, err := s.Put(ctx, &store.PutInput{Bucket: bucket, Key: "k", Body: strings.NewReader(body), Size: int64(len(body))})
	if !store.IsKind(err, store.Unavailable) {
		t.Fatalf("Put: %v, want the Unavailable kind", err)
	}
	if _, err := s.Head(ctx, bucket, "k"); !store.IsKind(err, store.NoSuchKey) {
		t.Fatalf("after a failed Put: %v, want NoSuchKey", err)
	}
}

// downBlobs fails every write as an unreachable remote blob store does.
type downBlobs struct{ blob.Store }

func (downBlobs) Create(context.Context) (blob.Writer, error) {
	return nil, fmt.Errorf("%w: dial tcp 127.0.0.1:8333: connection refused", blob.ErrUnavailable)
}
