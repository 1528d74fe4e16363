package store_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/blob"
	blobfs "github.com/zonal-dev/zonal/internal/blob/fs"
	blobmem "github.com/zonal-dev/zonal/internal/blob/mem"
	"github.com/zonal-dev/zonal/internal/catalog"
	catmem "github.com/zonal-dev/zonal/internal/catalog/mem"
	"github.com/zonal-dev/zonal/internal/store"
)

// TestReadOutlivesDelete: a 15 MiB object of three 5 MiB parts (one blob
// each, opened one after the other) is deleted after 1 MiB was read; long
// after GCDelay and OrphanGrace, neither the collector nor the sweeper may
// remove its blobs before the reader is closed, and the reader returns
// every byte. Once it is closed the blobs are collected.
func TestReadOutlivesDelete(t *testing.T) {
	for _, tc := range []struct {
		name  string
		blobs func(t *testing.T) blob.Store
	}{
		{"mem", func(*testing.T) blob.Store { return blobmem.New() }},
		{"fs", func(t *testing.T) blob.Store {
			bs, err := blobfs.Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			return bs
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			now := time.Now()
			bs := tc.blobs(t)
			s := store.New(catmem.New(), bs, store.Options{GCDelay: time.Minute, OrphanGrace: time.Hour,
				Now: func() time.Time { return now }})
			if err := s.CreateBucket(ctx, catalog.Bucket{Name: bucket, Owner: "000000000000"}); err != nil {
				t.Fatal(err)
			}
			u, err := s.CreateUpload(ctx, catalog.Upload{Bucket: bucket, Key: "mp"})
			if err != nil {
				t.Fatal(err)
			}
			var all []byte
			var parts []store.CompletedPart
			for n := 1; n <= 3; n++ {
				data := make([]byte, store.MinPartSize)
				rand.Read(data)
				p, err := s.PutPart(ctx, &store.PartInput{Bucket: bucket, Key: "mp", UploadID: u.ID, Number: n,
					Body: bytes.NewReader(data), Size: int64(len(data))})
				if err != nil {
					t.Fatal(err)
				}
				all = append(all, data...)
				parts = append(parts, store.CompletedPart{Number: n, ETag: p.ETag})
			}
			obj, err := s.CompleteUpload(ctx, &store.CompleteInput{Bucket: bucket, Key: "mp", UploadID: u.ID, Parts: parts})
			if err != nil {
				t.Fatal(err)
			}
			r, err := s.Open(ctx, obj, 0, obj.Size)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]byte, 1<<20)
			if _, err := io.ReadFull(r, got); err != nil {
				t.Fatal(err)
			}
			if err := s.Delete(ctx, bucket, "mp", store.DeleteConditions{}); err != nil {
				t.Fatal(err)
			}
			now = now.Add(2 * time.Hour)
			if n, err := s.CollectOnce(ctx); n != 0 || err != nil {
				t.Errorf("collected %d blobs (%v) while a reader holds them", n, err)
			}
			if n, err := s.SweepOnce(ctx); n != 0 || err != nil {
				t.Errorf("swept %d blobs (%v) while a reader holds them", n, err)
			}
			rest, err := io.ReadAll(r)
			if err != nil {
				t.Errorf("reading on after the delete: %v", err)
			}
			if got = append(got, rest...); !bytes.Equal(got, all) {
				t.Errorf("read %d bytes after the delete, want all %d", len(got), len(all))
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			if n, err := s.CollectOnce(ctx); n != 3 || err != nil {
				t.Errorf("after Close: collected %d blobs (%v), want 3", n, err)
			}
		})
	}
}

// TestHeldBlobsDoNotStallCollection: more held blobs than one queue batch
// (512) do not keep the collector from the others behind them.
func TestHeldBlobsDoNotStallCollection(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	s := newStore(t, store.Options{InlineMax: 1, GCDelay: time.Minute, Now: func() time.Time { return now }})
	var readers []io.Closer
	for i := range 600 {
		key := "k" + string(rune('a'+i%26)) + itoa(i)
		obj := put(t, s, key, []byte("blob bytes"), 10)
		if i < 550 {
			r, err := s.Open(ctx, obj, 0, obj.Size)
			if err != nil {
				t.Fatal(err)
			}
			readers = append(readers, r)
		}
		if err := s.Delete(ctx, bucket, key, store.DeleteConditions{}); err != nil {
			t.Fatal(err)
		}
	}
	now = now.Add(2 * time.Minute)
	if n, err := s.CollectOnce(ctx); n != 50 || err != nil {
		t.Fatalf("collected %d (%v), want the 50 not held", n, err)
	}
	for _, r := range readers {
		r.Close()
	}
	if n, err := s.CollectOnce(ctx); n != 550 || err != nil {
		t.Fatalf("after Close: collected %d (%v), want 550", n, err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
