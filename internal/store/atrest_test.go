package store_test

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"testing"

	blobfs "github.com/zonal-dev/zonal/internal/blob/fs"
	"github.com/zonal-dev/zonal/internal/catalog"
	catmem "github.com/zonal-dev/zonal/internal/catalog/mem"
	"github.com/zonal-dev/zonal/internal/sse"
	"github.com/zonal-dev/zonal/internal/store"
)

// readerFromBuffer records whether io.Copy handed it a reader (the
// sendfile path) or wrote through Write.
type readerFromBuffer struct {
	bytes.Buffer
	readFroms int
}

func (b *readerFromBuffer) ReadFrom(r io.Reader) (int64, error) {
	b.readFroms++
	return b.Buffer.ReadFrom(r)
}

// atRestStores returns two stores on one catalog (with the bucket) and one
// blob folder, with the same SSE key: one encrypting new data, one storing
// it as sent.
func atRestStores(t *testing.T) (blobs *blobfs.Store, encrypting, plain *store.Store) {
	t.Helper()
	keys, err := sse.New(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	if blobs, err = blobfs.Open(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	cat := catmem.New()
	encrypting = store.New(cat, blobs, store.Options{InlineMax: 1024, SSE: keys})
	if err := encrypting.CreateBucket(context.Background(), catalog.Bucket{Name: bucket, Owner: "000000000000"}); err != nil {
		t.Fatal(err)
	}
	return blobs, encrypting, store.New(cat, blobs, store.Options{InlineMax: 1024, SSE: keys, PlaintextAtRest: true})
}

// TestEncryptionAtRestSwitch: with SSE, blob bytes on disk are ciphertext;
// with PlaintextAtRest they are the object's bytes and reads of them go
// through ReadFrom (sendfile); objects written either way stay readable,
// whole and by range, whatever the current setting.
func TestEncryptionAtRestSwitch(t *testing.T) {
	ctx := context.Background()
	blobs, encrypting, plain := atRestStores(t)

	rng := rand.New(rand.NewPCG(3, 4))
	data := map[string][]byte{}
	for _, w := range []struct {
		s   *store.Store
		key string
	}{{encrypting, "enc"}, {plain, "plain"}} {
		b := make([]byte, 300<<10+17)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		data[w.key] = b
		obj := put(t, w.s, w.key, b, int64(len(b)))
		if len(obj.Extents) != 1 || obj.Extents[0].BlobID == "" {
			t.Fatalf("%s: not one blob extent: %+v", w.key, obj.Extents)
		}
		br, err := blobs.Open(ctx, obj.Extents[0].BlobID)
		if err != nil {
			t.Fatal(err)
		}
		raw := make([]byte, br.Size())
		br.ReadAt(raw, 0)
		br.Close()
		if enc := w.key == "enc"; bytes.Equal(raw, b) == enc || (obj.Extents[0].IV != nil) != enc {
			t.Fatalf("%s: on-disk bytes equal the object's: %v, sealed key: %v", w.key, bytes.Equal(raw, b), obj.Extents[0].IV != nil)
		}
	}

	for _, s := range []*store.Store{encrypting, plain} {
		for key, want := range data {
			for _, rg := range [][2]int64{{0, int64(len(want))}, {5, 1}, {4095, int64(len(want)) - 4100}} {
				obj, err := s.Head(ctx, bucket, key)
				if err != nil {
					t.Fatal(err)
				}
				r, err := s.Open(ctx, obj, rg[0], rg[1])
				if err != nil {
					t.Fatal(err)
				}
				var got readerFromBuffer
				if _, err := io.Copy(&got, r); err != nil {
					t.Fatal(err)
				}
				r.Close()
				if !bytes.Equal(got.Bytes(), want[rg[0]:rg[0]+rg[1]]) {
					t.Fatalf("%s %v: read back differs", key, rg)
				}
				if sent := got.readFroms > 0; sent != (key == "plain") {
					t.Errorf("%s %v: ReadFrom used: %v", key, rg, sent)
				}
			}
		}
	}
}

// TestSSEReportsOnlyEncryptedData: an object says AES256 (catalog SSE, the
// x-amz-server-side-encryption of its responses) only when all its data is
// encrypted: written by an encrypting store, yes; stored as sent, no; an
// encrypted object appended to after encryption was turned off, no.
func TestSSEReportsOnlyEncryptedData(t *testing.T) {
	ctx := context.Background()
	_, encrypting, plain := atRestStores(t)
	if encrypting.Encryption() != "AES256" || plain.Encryption() != "" {
		t.Fatalf("Encryption: %q encrypting, %q plaintext; want AES256 and none", encrypting.Encryption(), plain.Encryption())
	}
	for _, size := range []int{100, 5000} { // inline and blob
		b := bytes.Repeat([]byte("z"), size)
		if o := put(t, encrypting, "enc", b, int64(size)); o.SSE != "AES256" {
			t.Errorf("%d B written encrypted: SSE %q", size, o.SSE)
		}
		if o := put(t, plain, "plain", b, int64(size)); o.SSE != "" {
			t.Errorf("%d B stored as sent: SSE %q", size, o.SSE)
		}
	}
	appendTo := func(s *store.Store, off int64, data string) *catalog.Object {
		t.Helper()
		o, err := s.Append(ctx, &store.AppendInput{Bucket: bucket, Key: "log", Offset: off, Body: bytes.NewReader([]byte(data)), Size: int64(len(data))})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	if o := appendTo(encrypting, 0, "first"); o.SSE != "AES256" {
		t.Fatalf("appendable object written encrypted: SSE %q", o.SSE)
	}
	if o := appendTo(plain, 5, "second"); o.SSE != "" {
		t.Fatalf("encrypted object appended to in plaintext: SSE %q, want none", o.SSE)
	}
}

// TestBucketDefaultEncryptionWhenServerStoresPlaintext: a bucket given a
// default encryption (PutBucketEncryption) encrypts its new data even on
// a server that stores data as sent, so GetBucketEncryption's AES256 is
// true of new writes: PUT (inline and blob), append, and a multipart
// upload started after the setting; a bucket without one stays plain.
func TestBucketDefaultEncryptionWhenServerStoresPlaintext(t *testing.T) {
	ctx := context.Background()
	blobs, _, plain := atRestStores(t)
	const other = "plain--use1-az4--x-s3"
	if err := plain.CreateBucket(ctx, catalog.Bucket{Name: other, Owner: "000000000000"}); err != nil {
		t.Fatal(err)
	}
	if err := plain.UpdateBucket(ctx, bucket, func(b *catalog.Bucket) error {
		b.Encryption = []byte("<ServerSideEncryptionConfiguration>AES256</ServerSideEncryptionConfiguration>")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	rec, err := plain.Bucket(ctx, bucket)
	if err != nil {
		t.Fatal(err)
	}
	if plain.EncryptionFor(&rec) != "AES256" || plain.EncryptionFor(nil) != "" {
		t.Fatalf("EncryptionFor: %q for the bucket, %q by default", plain.EncryptionFor(&rec), plain.EncryptionFor(nil))
	}
	readBlob := func(id string) []byte {
		t.Helper()
		br, err := blobs.Open(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		defer br.Close()
		raw := make([]byte, br.Size())
		br.ReadAt(raw, 0)
		return raw
	}
	get := func(bucketName, key string) []byte {
		t.Helper()
		obj, err := plain.Head(ctx, bucketName, key)
		if err != nil {
			t.Fatal(err)
		}
		r, err := plain.Open(ctx, obj, 0, obj.Size)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		b, _ := io.ReadAll(r)
		return b
	}
	secret := bytes.Repeat([]byte("plaintext-marker "), 400) // a blob, not inline
	for _, c := range []struct {
		name string
		in   *store.PutInput
		want string
	}{
		{"record given", &store.PutInput{Bucket: bucket, Key: "a", BucketRecord: &rec}, "AES256"},
		{"record looked up", &store.PutInput{Bucket: bucket, Key: "b"}, "AES256"},
		{"inline", &store.PutInput{Bucket: bucket, Key: "small"}, "AES256"},
		{"bucket without one", &store.PutInput{Bucket: other, Key: "c"}, ""},
	} {
		body := secret
		if c.name == "inline" {
			body = secret[:100]
		}
		c.in.Body, c.in.Size = bytes.NewReader(body), int64(len(body))
		o, err := plain.Put(ctx, c.in)
		if err != nil {
			t.Fatal(err)
		}
		encrypted := len(o.Extents) > 0 && o.Extents[0].IV != nil
		if o.SSE != c.want || encrypted != (c.want != "") {
			t.Errorf("%s: SSE %q, data encrypted %v; want %q", c.name, o.SSE, encrypted, c.want)
		}
		if c.want != "" && o.Extents[0].BlobID != "" {
			raw := readBlob(o.Extents[0].BlobID)
			if bytes.Contains(raw, []byte("plaintext-marker")) {
				t.Errorf("%s: the blob holds the plaintext", c.name)
			}
		}
		if got := get(c.in.Bucket, c.in.Key); !bytes.Equal(got, body) {
			t.Errorf("%s: reads back %d bytes, want %d", c.name, len(got), len(body))
		}
	}
	o, err := plain.Append(ctx, &store.AppendInput{Bucket: bucket, Key: "log", Body: bytes.NewReader([]byte("x")), Size: 1})
	if err != nil || o.SSE != "AES256" {
		t.Fatalf("append in the encrypting bucket: %v, SSE %q", err, o.SSE)
	}
}
