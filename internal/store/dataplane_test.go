package store_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"strings"
	"sync"
	"testing"

	blobmem "github.com/zonal-dev/zonal/internal/blob/mem"
	"github.com/zonal-dev/zonal/internal/catalog"
	catmem "github.com/zonal-dev/zonal/internal/catalog/mem"
	"github.com/zonal-dev/zonal/internal/checksum"
	"github.com/zonal-dev/zonal/internal/sse"
	"github.com/zonal-dev/zonal/internal/store"
)

func crc32b64(b []byte) string {
	var out [4]byte
	binary.BigEndian.PutUint32(out[:], crc32.ChecksumIEEE(b))
	return base64.StdEncoding.EncodeToString(out[:])
}

func encryptedStore(t *testing.T, inlineMax int64) *store.Store {
	t.Helper()
	k, err := sse.New(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	s := store.New(catmem.New(), blobmem.New(), store.Options{InlineMax: inlineMax, SSE: k})
	if err := s.CreateBucket(context.Background(), catalog.Bucket{Name: bucket, Owner: "000000000000"}); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAppendKeepsFullObjectCRC(t *testing.T) {
	for _, inlineMax := range []int64{10, 1 << 20} {
		s := encryptedStore(t, inlineMax)
		ctx := context.Background()
		var all []byte
		for i, chunk := range []string{"hello ", "appendable ", strings.Repeat("world", 50)} {
			exp := &checksum.Expect{Algorithm: checksum.CRC32, Value: crc32b64([]byte(chunk))}
			obj, err := s.Append(ctx, &store.AppendInput{
				Bucket: bucket, Key: "log", Offset: int64(len(all)), Body: strings.NewReader(chunk), Size: int64(len(chunk)),
				Checksum: exp,
			})
			if err != nil {
				t.Fatalf("append %d: %v", i, err)
			}
			all = append(all, chunk...)
			if obj.Size != int64(len(all)) || obj.Parts != i+1 {
				t.Fatalf("append %d: size %d parts %d", i, obj.Size, obj.Parts)
			}
			if got := obj.Checksums["CRC32"]; got != crc32b64(all) || obj.ChecksumType != "FULL_OBJECT" {
				t.Fatalf("append %d: CRC32 %s (%s), want %s", i, got, obj.ChecksumType, crc32b64(all))
			}
		}
		if got := read(t, s, "log", 0, int64(len(all))); !bytes.Equal(got, all) {
			t.Fatalf("read back %q", got)
		}
		if got := read(t, s, "log", 3, 10); !bytes.Equal(got, all[3:13]) {
			t.Fatalf("range across appends %q", got)
		}
		_, err := s.Append(ctx, &store.AppendInput{Bucket: bucket, Key: "log", Offset: 3, Body: strings.NewReader("x"), Size: 1})
		if !store.IsKind(err, store.InvalidWriteOffset) {
			t.Fatalf("wrong offset: %v", err)
		}
		exp := &checksum.Expect{Algorithm: checksum.CRC32C, Value: "AAAAAA=="}
		_, err = s.Append(ctx, &store.AppendInput{Bucket: bucket, Key: "log", Offset: int64(len(all)), Body: strings.NewReader("x"), Size: 1, Checksum: exp})
		if !store.IsKind(err, store.InvalidRequest) {
			t.Fatalf("checksum type mismatch: %v", err)
		}
	}
}

func TestConcurrentAppendersOneWins(t *testing.T) {
	s := newStore(t, store.Options{})
	put(t, s, "k", []byte("base"), 4)
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Append(context.Background(), &store.AppendInput{Bucket: bucket, Key: "k", Offset: 4, Body: strings.NewReader("more"), Size: 4})
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				wins++
			} else if !store.IsKind(err, store.InvalidWriteOffset) {
				t.Errorf("unexpected %v", err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d appenders won", wins)
	}
	if got := read(t, s, "k", 0, 8); string(got) != "basemore" {
		t.Fatalf("object %q", got)
	}
}

func TestRenameIdempotency(t *testing.T) {
	s := newStore(t, store.Options{})
	ctx := context.Background()
	obj := put(t, s, "a", []byte("data"), 4)
	in := &store.RenameInput{Bucket: bucket, Src: "a", Dst: "b", ClientToken: "tok-1"}
	if err := s.Rename(ctx, in); err != nil {
		t.Fatal(err)
	}
	if err := s.Rename(ctx, in); err != nil {
		t.Fatalf("retry with the same token: %v", err)
	}
	if err := s.Rename(ctx, &store.RenameInput{Bucket: bucket, Src: "c", Dst: "b", ClientToken: "tok-1"}); !store.IsKind(err, store.IdempotencyMismatch) {
		t.Fatalf("token reuse: %v", err)
	}
	if err := s.Rename(ctx, &store.RenameInput{Bucket: bucket, Src: "a", Dst: "c"}); !store.IsKind(err, store.NoSuchKey) {
		t.Fatalf("missing source: %v", err)
	}
	got, err := s.Head(ctx, bucket, "b")
	if err != nil || got.ETag != obj.ETag {
		t.Fatalf("renamed object: %+v %v", got, err)
	}
	if _, err := s.Head(ctx, bucket, "a"); !store.IsKind(err, store.NoSuchKey) {
		t.Fatal("source still there")
	}
}

func TestMultipartCompleteAndCopyShareBlobs(t *testing.T) {
	s := encryptedStore(t, 1024)
	ctx := context.Background()
	u, err := s.CreateUpload(ctx, catalog.Upload{Bucket: bucket, Key: "mp", ChecksumAlgorithm: "CRC32", ChecksumType: "FULL_OBJECT"})
	if err != nil {
		t.Fatal(err)
	}
	partA := bytes.Repeat([]byte("a"), store.MinPartSize)
	partB := []byte("tail")
	var etags []string
	for i, data := range [][]byte{partA, partB} {
		d := data
		p, err := s.PutPart(ctx, &store.PartInput{Bucket: bucket, Key: "mp", UploadID: u.ID, Number: i + 1,
			Body: bytes.NewReader(d), Size: int64(len(d)),
			Checksum: &checksum.Expect{Algorithm: checksum.CRC32, Value: crc32b64(d)}})
		if err != nil {
			t.Fatal(err)
		}
		etags = append(etags, p.ETag)
	}
	_, err = s.CompleteUpload(ctx, &store.CompleteInput{Bucket: bucket, Key: "mp", UploadID: u.ID,
		Parts: []store.CompletedPart{{Number: 2, ETag: etags[1]}}})
	if !store.IsKind(err, store.InvalidPartOrder) {
		t.Fatalf("parts not starting at 1: %v", err)
	}
	obj, err := s.CompleteUpload(ctx, &store.CompleteInput{Bucket: bucket, Key: "mp", UploadID: u.ID,
		Parts: []store.CompletedPart{{Number: 1, ETag: etags[0]}, {Number: 2, ETag: etags[1]}}})
	if err != nil {
		t.Fatal(err)
	}
	all := append(append([]byte(nil), partA...), partB...)
	if obj.Checksums["CRC32"] != crc32b64(all) || obj.Parts != 2 {
		t.Fatalf("complete: %v parts %d", obj.Checksums, obj.Parts)
	}
	if _, err := s.Copy(ctx, &store.CopyInput{SrcBucket: bucket, SrcKey: "mp", DstBucket: bucket, DstKey: "copy"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, bucket, "mp", store.DeleteConditions{}); err != nil {
		t.Fatal(err)
	}
	if got := read(t, s, "copy", 0, int64(len(all))); !bytes.Equal(got, all) {
		t.Fatal("copy damaged after the source was deleted")
	}
}
