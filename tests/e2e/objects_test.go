package e2e

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func crc32B64(b []byte) string {
	var buf [4]byte
	binary.BigEndian.PutUint32(buf[:], crc32.ChecksumIEEE(b))
	return base64.StdEncoding.EncodeToString(buf[:])
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// TestObjects: put/get/head/delete round trip with metadata, ETags,
// checksums, sizes and awkward keys.
func TestObjects(t *testing.T) {
	t.Parallel()
	var needles []string
	srv := sharedServer(t, &needles)
	c, w := newClient(t, srv)
	ctx := ctxT(t, 90*time.Second)
	bucket := mustCreateBucket(t, c, "objects")
	needles = append(needles, bucket)

	t.Run("MetadataRoundTrip", func(t *testing.T) {
		key := "meta/object.txt"
		body := []byte("hello, zonal metadata round trip\n")
		expires := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
		meta := map[string]string{"color": "blue", "owner-name": "alice", "x": "y z"}
		w.Reset()
		put, err := c.PutObject(ctx, &s3.PutObjectInput{
			Bucket:             aws.String(bucket),
			Key:                aws.String(key),
			Body:               bytes.NewReader(body),
			ContentType:        aws.String("text/plain; charset=utf-8"),
			CacheControl:       aws.String("max-age=3600, private"),
			ContentDisposition: aws.String(`attachment; filename="report.txt"`),
			ContentEncoding:    aws.String("gzip"),
			ContentLanguage:    aws.String("en-GB"),
			Expires:            aws.Time(expires),
			Metadata:           meta,
			StorageClass:       types.StorageClassExpressOnezone,
		})
		noErr(t, "PutObject", err)
		putETag := aws.ToString(put.ETag)
		checkETagShape(t, "PutObject", putETag, body)

		// The SDK sent x-amz-checksum-crc32 (as a header over http, as an
		// aws-chunked trailer over TLS); the server must echo it.
		wantCRC := crc32B64(body)
		sent := ""
		for _, e := range w.Entries() {
			if e.Method == http.MethodPut && strings.HasSuffix(e.Path, "/meta/object.txt") {
				sent = e.ReqHeader.Get("x-amz-checksum-crc32")
				if tlsMode && e.ReqHeader.Get("X-Amz-Trailer") == "x-amz-checksum-crc32" {
					sent = wantCRC // the value travels in the trailer, which the wire log does not see
				}
			}
		}
		if sent != wantCRC {
			t.Errorf("test premise: SDK sent x-amz-checksum-crc32=%q, expected %q\n%s", sent, wantCRC, w.Dump())
		}
		if got := aws.ToString(put.ChecksumCRC32); got != wantCRC {
			t.Errorf("PutObject response x-amz-checksum-crc32: want %q, got %q", wantCRC, got)
		}

		head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		noErr(t, "HeadObject", err)
		get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
		noErr(t, "GetObject", err)
		got, err := io.ReadAll(get.Body) // the SDK validates the CRC32 while reading
		get.Body.Close()
		if err != nil {
			t.Fatalf("GetObject body (SDK checksum validation): %v", err)
		}
		if !bytes.Equal(got, body) {
			t.Errorf("GetObject body: want %q, got %q", body, got)
		}
		if g := aws.ToString(get.ChecksumCRC32); g != wantCRC {
			t.Errorf("GetObject (checksum mode ENABLED) x-amz-checksum-crc32: want %q, got %q", wantCRC, g)
		}

		type hdrs struct {
			name                                                  string
			ctype, cache, disp, enc, lang, expires, etag, storage string
			length                                                int64
			meta                                                  map[string]string
			lastMod                                               *time.Time
		}
		for _, h := range []hdrs{
			{"HeadObject", aws.ToString(head.ContentType), aws.ToString(head.CacheControl), aws.ToString(head.ContentDisposition),
				aws.ToString(head.ContentEncoding), aws.ToString(head.ContentLanguage), aws.ToString(head.ExpiresString), aws.ToString(head.ETag),
				string(head.StorageClass), aws.ToInt64(head.ContentLength), head.Metadata, head.LastModified},
			{"GetObject", aws.ToString(get.ContentType), aws.ToString(get.CacheControl), aws.ToString(get.ContentDisposition),
				aws.ToString(get.ContentEncoding), aws.ToString(get.ContentLanguage), aws.ToString(get.ExpiresString), aws.ToString(get.ETag),
				string(get.StorageClass), aws.ToInt64(get.ContentLength), get.Metadata, get.LastModified},
		} {
			eq := func(field, want, got string) {
				if want != got {
					t.Errorf("%s %s: want %q, got %q", h.name, field, want, got)
				}
			}
			eq("Content-Type", "text/plain; charset=utf-8", h.ctype)
			eq("Cache-Control", "max-age=3600, private", h.cache)
			eq("Content-Disposition", `attachment; filename="report.txt"`, h.disp)
			eq("Content-Encoding", "gzip", h.enc)
			eq("Content-Language", "en-GB", h.lang)
			if exp, err := http.ParseTime(h.expires); err != nil || !exp.Equal(expires) {
				t.Errorf("%s Expires: want %s, got %q (%v)", h.name, expires.Format(http.TimeFormat), h.expires, err)
			}
			eq("ETag", putETag, h.etag)
			eq("x-amz-storage-class", "EXPRESS_ONEZONE", h.storage)
			if h.length != int64(len(body)) {
				t.Errorf("%s Content-Length: want %d, got %d", h.name, len(body), h.length)
			}
			for k, v := range meta {
				if h.meta[k] != v {
					t.Errorf("%s x-amz-meta-%s: want %q, got %q (all: %v)", h.name, k, v, h.meta[k], h.meta)
				}
			}
			if len(h.meta) != len(meta) {
				t.Errorf("%s metadata: want %v, got %v", h.name, meta, h.meta)
			}
			if h.lastMod == nil || time.Since(*h.lastMod) > 5*time.Minute || time.Until(*h.lastMod) > time.Minute {
				t.Errorf("%s Last-Modified implausible: %v", h.name, h.lastMod)
			}
		}

		// Overwrite: ETag changes, stays stable between HEAD and GET.
		body2 := []byte("second version")
		put2 := mustPut(t, c, bucket, key, body2)
		if aws.ToString(put2.ETag) == putETag {
			t.Errorf("ETag did not change on overwrite: %s", putETag)
		}
		head2, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		noErr(t, "HeadObject after overwrite", err)
		b2, get2 := mustGetBytes(t, c, bucket, key)
		if !bytes.Equal(b2, body2) {
			t.Errorf("after overwrite: want %q, got %q", body2, b2)
		}
		if aws.ToString(head2.ETag) != aws.ToString(put2.ETag) || aws.ToString(get2.ETag) != aws.ToString(put2.ETag) {
			t.Errorf("ETag not stable: put %s head %s get %s", aws.ToString(put2.ETag), aws.ToString(head2.ETag), aws.ToString(get2.ETag))
		}
		if len(head2.Metadata) != 0 || aws.ToString(head2.ContentDisposition) != "" {
			t.Errorf("overwrite must replace metadata, still got meta=%v disposition=%q", head2.Metadata, aws.ToString(head2.ContentDisposition))
		}
		// Overwriting with identical bytes still produces a new object (new ETag: random per write).
		put3 := mustPut(t, c, bucket, key, body2)
		if aws.ToString(put3.ETag) == aws.ToString(put2.ETag) {
			t.Logf("note: ETag identical for identical content rewrite (%s); reference §6.2 suggests a random ETag per write", aws.ToString(put3.ETag))
		}

		// Delete, then NoSuchKey.
		_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		noErr(t, "DeleteObject", err)
		_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		wantErr(t, "GetObject after delete", err, 404, "NoSuchKey")
		// Deleting a missing key is a success (204).
		_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		noErr(t, "DeleteObject of a missing key", err)
	})

	t.Run("ChecksumOnGet", func(t *testing.T) {
		body := randBytes(64 * 1024)
		put := mustPut(t, c, bucket, "cks/blob.bin", body)
		if aws.ToString(put.ChecksumCRC32) != crc32B64(body) {
			t.Errorf("PutObject ChecksumCRC32: want %s, got %s", crc32B64(body), aws.ToString(put.ChecksumCRC32))
		}
		got, out := mustGetBytes(t, c, bucket, "cks/blob.bin") // Go's default GetObject sends x-amz-checksum-mode: ENABLED
		if !bytes.Equal(got, body) {
			t.Errorf("body mismatch")
		}
		if aws.ToString(out.ChecksumCRC32) != crc32B64(body) {
			t.Errorf("GetObject ChecksumCRC32: want %s, got %s", crc32B64(body), aws.ToString(out.ChecksumCRC32))
		}
		// A wrong checksum supplied by the client must be refused (BadDigest), and nothing stored.
		_, err := c.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(bucket), Key: aws.String("cks/bad.bin"), Body: bytes.NewReader(body),
			ChecksumCRC32: aws.String(crc32B64([]byte("something else"))),
		})
		wantErr(t, "PutObject with a wrong x-amz-checksum-crc32", err, 400, "BadDigest")
		_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("cks/bad.bin")})
		wantErr(t, "HeadObject of a refused upload", err, 404)
	})

	t.Run("ZeroByte", func(t *testing.T) {
		put := mustPut(t, c, bucket, "empty", nil)
		if aws.ToString(put.ChecksumCRC32) != crc32B64(nil) {
			t.Errorf("zero-byte PutObject ChecksumCRC32: want %s, got %s", crc32B64(nil), aws.ToString(put.ChecksumCRC32))
		}
		got, out := mustGetBytes(t, c, bucket, "empty")
		if len(got) != 0 || aws.ToInt64(out.ContentLength) != 0 {
			t.Errorf("zero-byte object: got %d bytes, Content-Length %d", len(got), aws.ToInt64(out.ContentLength))
		}
		head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("empty")})
		noErr(t, "HeadObject zero-byte", err)
		if aws.ToInt64(head.ContentLength) != 0 {
			t.Errorf("HeadObject zero-byte Content-Length: %d", aws.ToInt64(head.ContentLength))
		}
	})

	t.Run("FiveMiB", func(t *testing.T) {
		body := randBytes(5 << 20)
		put := mustPut(t, c, bucket, "big/5mib.bin", body)
		got, out := mustGetBytes(t, c, bucket, "big/5mib.bin")
		if sha(got) != sha(body) {
			t.Errorf("5 MiB object: content differs (len %d)", len(got))
		}
		if aws.ToString(out.ETag) != aws.ToString(put.ETag) {
			t.Errorf("5 MiB ETag: put %s get %s", aws.ToString(put.ETag), aws.ToString(out.ETag))
		}
		head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("big/5mib.bin")})
		noErr(t, "HeadObject 5 MiB", err)
		if aws.ToInt64(head.ContentLength) != 5<<20 {
			t.Errorf("HeadObject 5 MiB Content-Length: %d", aws.ToInt64(head.ContentLength))
		}
	})

	t.Run("AwkwardKeys", func(t *testing.T) {
		keys := []string{
			"with space.txt",
			"two  spaces/and more.txt",
			"unicode/日本語-ключ-ü-é.txt",
			"emoji-🚀.bin",
			"plus+sign+key.txt",
			"percent%20literal%2Fnot-a-slash.txt",
			"a/b/c/nested.txt",
			"sym!$&'()*,;=@:~.txt",
			"q?mark#hash[brackets].txt",
		}
		for _, k := range keys {
			body := []byte("content of " + k)
			mustPut(t, c, bucket, "awk/"+k, body)
		}
		for _, k := range keys {
			got, _ := mustGetBytes(t, c, bucket, "awk/"+k)
			if string(got) != "content of "+k {
				t.Errorf("key %q: got body %q", k, got)
			}
			if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("awk/" + k)}); err != nil {
				t.Errorf("HeadObject %q: %s", k, describeErr(err))
			}
		}
		// Listing (no delimiter) returns exactly these keys.
		var listed []string
		p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("awk/")})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			noErr(t, "ListObjectsV2 awk/", err)
			for _, o := range page.Contents {
				listed = append(listed, strings.TrimPrefix(aws.ToString(o.Key), "awk/"))
			}
		}
		want := append([]string(nil), keys...)
		sort.Strings(want)
		sort.Strings(listed)
		if strings.Join(want, "\n") != strings.Join(listed, "\n") {
			t.Errorf("listing of awkward keys:\nwant %q\n got %q", want, listed)
		}
		for _, k := range keys {
			_, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("awk/" + k)})
			noErr(t, "DeleteObject "+k, err)
			_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("awk/" + k)})
			wantErr(t, "HeadObject after delete "+k, err, 404)
		}
	})

	t.Run("MissingKey", func(t *testing.T) {
		_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("no/such/key")})
		wantErr(t, "GetObject missing", err, 404, "NoSuchKey")
		_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("no/such/key")})
		wantErr(t, "HeadObject missing", err, 404)
		// Raw GET: the body is an S3 XML error naming the key.
		cr := createSession(t, c, bucket, "")
		r := doRaw(t, srv, rawReq{Method: http.MethodGet, Path: objectPath(bucket, "no/such/key")}, sessionSigning(cr))
		wantRaw(t, "raw GET missing key", r, 404, "NoSuchKey")
	})

	t.Run("DeleteObjects", func(t *testing.T) {
		for _, k := range []string{"multi/a", "multi/b", "multi/sub/c"} {
			mustPut(t, c, bucket, k, []byte(k))
		}
		out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &types.Delete{Objects: []types.ObjectIdentifier{
			{Key: aws.String("multi/a")}, {Key: aws.String("multi/sub/c")}, {Key: aws.String("multi/missing")},
		}}})
		if err != nil {
			t.Fatalf("DeleteObjects (reference §2.1): %s", describeErr(err))
		}
		var deleted []string
		for _, d := range out.Deleted {
			deleted = append(deleted, aws.ToString(d.Key))
		}
		sort.Strings(deleted)
		if strings.Join(deleted, ",") != "multi/a,multi/missing,multi/sub/c" || len(out.Errors) != 0 {
			t.Errorf("DeleteObjects: Deleted %v, Errors %+v", deleted, out.Errors)
		}
		for k, want := range map[string]bool{"multi/a": false, "multi/b": true, "multi/sub/c": false} {
			_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)})
			if (err == nil) != want {
				t.Errorf("after DeleteObjects, HeadObject %s: exists=%v want %v (%s)", k, err == nil, want, describeErr(err))
			}
		}
	})

	t.Run("CopyObject", func(t *testing.T) {
		body := []byte("copy me")
		src := mustPut(t, c, bucket, "copy/src.txt", body)
		w.Reset()
		out, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy/dst.txt"), CopySource: aws.String(bucket + "/copy/src.txt")})
		if err != nil {
			t.Fatalf("CopyObject (reference §2.1, signed with the long-term key): %s\n%s", describeErr(err), w.Dump())
		}
		got, _ := mustGetBytes(t, c, bucket, "copy/dst.txt")
		if !bytes.Equal(got, body) {
			t.Errorf("copied body %q", got)
		}
		if out.CopyObjectResult == nil || aws.ToString(out.CopyObjectResult.ETag) == "" {
			t.Errorf("CopyObject: no CopyObjectResult/ETag")
		} else if aws.ToString(out.CopyObjectResult.ETag) == aws.ToString(src.ETag) {
			t.Logf("note: copy has the same ETag as its source")
		}
	})

	t.Run("AwsChunkedUpload", func(t *testing.T) {
		// The body shape Go uses over https and JS uses for streams (wire reference §3).
		cr := createSession(t, c, bucket, "")
		frame := func(data []byte, chunk int, trailerCRC string) []byte {
			var b bytes.Buffer
			for off := 0; off < len(data); off += chunk {
				end := off + chunk
				if end > len(data) {
					end = len(data)
				}
				fmt.Fprintf(&b, "%x\r\n", end-off)
				b.Write(data[off:end])
				b.WriteString("\r\n")
			}
			b.WriteString("0\r\n")
			fmt.Fprintf(&b, "x-amz-checksum-crc32:%s\r\n\r\n", trailerCRC)
			return b.Bytes()
		}
		sg := sessionSigning(cr)
		sg.PayloadHash = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
		for _, tc := range []struct {
			name    string
			data    []byte
			chunk   int
			chunked bool
			extra   http.Header
		}{
			{"go-style small (Content-Length)", []byte("hello world!"), 5, false, nil},
			{"go-style 200KiB (Content-Length)", randBytes(200 << 10), 64 << 10, false, nil},
			{"js-style stream (Transfer-Encoding: chunked)", randBytes(70 << 10), 16 << 10, true, http.Header{"X-Amz-Sdk-Checksum-Algorithm": {"CRC32"}}},
		} {
			key := "chunked/" + sanitizeName(tc.name)
			h := http.Header{
				"Content-Encoding":             {"aws-chunked"},
				"X-Amz-Decoded-Content-Length": {fmt.Sprint(len(tc.data))},
				"X-Amz-Trailer":                {"x-amz-checksum-crc32"},
			}
			for k, v := range tc.extra {
				h[k] = v
			}
			r := doRaw(t, srv, rawReq{Method: http.MethodPut, Path: objectPath(bucket, key), Header: h, Body: frame(tc.data, tc.chunk, crc32B64(tc.data)), Chunked: tc.chunked}, sg)
			wantRaw(t, "aws-chunked PUT "+tc.name, r, 200)
			if r.Status != 200 {
				continue
			}
			if got := r.Header.Get("x-amz-checksum-crc32"); got != crc32B64(tc.data) {
				t.Errorf("aws-chunked PUT %s: response x-amz-checksum-crc32 %q, want %q", tc.name, got, crc32B64(tc.data))
			}
			got, out := mustGetBytes(t, c, bucket, key)
			if !bytes.Equal(got, tc.data) {
				t.Errorf("aws-chunked PUT %s: stored %d bytes (sha %s), want %d bytes (sha %s)", tc.name, len(got), sha(got)[:12], len(tc.data), sha(tc.data)[:12])
			}
			if ce := aws.ToString(out.ContentEncoding); strings.Contains(ce, "aws-chunked") {
				t.Errorf("aws-chunked PUT %s: Content-Encoding %q stored (aws-chunked must be stripped)", tc.name, ce)
			}
		}
		// Wrong trailer checksum: refused, nothing stored.
		data := []byte("trailer mismatch")
		h := http.Header{
			"Content-Encoding":             {"aws-chunked"},
			"X-Amz-Decoded-Content-Length": {fmt.Sprint(len(data))},
			"X-Amz-Trailer":                {"x-amz-checksum-crc32"},
		}
		r := doRaw(t, srv, rawReq{Method: http.MethodPut, Path: objectPath(bucket, "chunked/bad"), Header: h, Body: frame(data, 8, crc32B64([]byte("other")))}, sg)
		wantRaw(t, "aws-chunked PUT with a wrong trailer checksum", r, 400, "BadDigest")
		_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("chunked/bad")})
		wantErr(t, "HeadObject after a refused aws-chunked PUT", err, 404)
	})

	t.Run("PayloadHashModes", func(t *testing.T) {
		cr := createSession(t, c, bucket, "")
		// UNSIGNED-PAYLOAD (rclone, Go over https with a precomputed checksum).
		sg := sessionSigning(cr)
		sg.PayloadHash = "UNSIGNED-PAYLOAD"
		data := randBytes(10 << 10)
		r := doRaw(t, srv, rawReq{Method: http.MethodPut, Path: objectPath(bucket, "payload/unsigned"), Body: data}, sg)
		wantRaw(t, "PUT with x-amz-content-sha256: UNSIGNED-PAYLOAD", r, 200)
		if got, _ := mustGetBytes(t, c, bucket, "payload/unsigned"); !bytes.Equal(got, data) {
			t.Errorf("UNSIGNED-PAYLOAD object differs")
		}
		// A literal payload hash that does not match the body.
		sg = sessionSigning(cr)
		sg.PayloadHash = sha([]byte("something else"))
		r = doRaw(t, srv, rawReq{Method: http.MethodPut, Path: objectPath(bucket, "payload/mismatch"), Body: data}, sg)
		wantRaw(t, "PUT whose body does not match x-amz-content-sha256", r, 400, "XAmzContentSHA256Mismatch")
		_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("payload/mismatch")})
		wantErr(t, "HeadObject after a refused PUT", err, 404)
	})

	t.Run("KeyTooLong", func(t *testing.T) {
		ok := strings.Repeat("k", 1024)
		mustPut(t, c, bucket, ok, []byte("max"))
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(ok + "k"), Body: strings.NewReader("x")})
		wantErr(t, "PutObject with a 1025-byte key", err, 400, "KeyTooLongError", "KeyTooLong")
	})

	t.Run("JSDoubleSlashPaths", func(t *testing.T) {
		// JS SDK + IP endpoint sends /<bucket>//<key> (wire reference §7a.2, P2).
		cr := createSession(t, c, bucket, "")
		sg := sessionSigning(cr)
		r := doRaw(t, srv, rawReq{Method: http.MethodPut, Path: "/" + bucket + "//js/put.txt", Body: []byte("from js")}, sg)
		wantRaw(t, "PUT /bucket//js/put.txt", r, 200)
		got, _ := mustGetBytes(t, c, bucket, "js/put.txt")
		if string(got) != "from js" {
			t.Errorf("object written through // path: %q", got)
		}
		r = doRaw(t, srv, rawReq{Method: http.MethodGet, Path: "/" + bucket + "//js/put.txt"}, sg)
		wantRaw(t, "GET /bucket//js/put.txt", r, 200)
		if string(r.Body) != "from js" {
			t.Errorf("GET via // path: %q", r.Body)
		}
		r = doRaw(t, srv, rawReq{Method: http.MethodGet, Path: "/" + bucket + "//", Query: "list-type=2&prefix=js%2F"}, sg)
		wantRaw(t, "GET /bucket//?list-type=2", r, 200)
		if !strings.Contains(string(r.Body), "<Key>js/put.txt</Key>") {
			t.Errorf("listing via // path lacks js/put.txt: %s", r.Body)
		}
		r = doRaw(t, srv, rawReq{Method: http.MethodGet, Path: "/" + bucket + "//", Query: "session="}, rootSigning(srv))
		wantRaw(t, "GET /bucket//?session=", r, 200)
		if !strings.Contains(string(r.Body), "<SessionToken>") {
			t.Errorf("CreateSession via // path: %s", r.Body)
		}
	})

	t.Run("SessionWire", func(t *testing.T) {
		// Fresh client: its first request to the bucket must be preceded by
		// CreateSession, and object requests carry the session token,
		// signed with a non-root access key and scope service s3express.
		c2, w2 := newClient(t, srv)
		mustPut(t, c2, bucket, "wire/x", []byte("x"))
		mustGetBytes(t, c2, bucket, "wire/x")
		es := w2.Entries()
		if len(es) < 3 || !es[0].IsCreateSession() || es[0].Path != "/"+bucket {
			t.Fatalf("expected GET /%s?session first:\n%s", bucket, w2.Dump())
		}
		if es[0].AccessKey() != srv.AccessKey || es[0].SessionToken != "" || es[0].Service() != "s3express" {
			t.Errorf("CreateSession must be signed with the root key, scope s3express, no token: %s", es[0])
		}
		for _, e := range es[1:] {
			if e.IsCreateSession() {
				continue
			}
			if e.SessionToken == "" || e.AccessKey() == "" || e.AccessKey() == srv.AccessKey || e.Service() != "s3express" {
				t.Errorf("object request not session-signed: %s", e)
			}
			if !strings.Contains(strings.ToLower(e.Auth), "x-amz-s3session-token") {
				t.Errorf("x-amz-s3session-token not among SignedHeaders: %s", e.Auth)
			}
		}
	})
}

// checkETagShape: quoted, opaque, not the MD5 of the body (reference §6.2).
func checkETagShape(t *testing.T, what, etag string, body []byte) {
	t.Helper()
	if len(etag) < 3 || etag[0] != '"' || etag[len(etag)-1] != '"' {
		t.Errorf("%s ETag %q is not a quoted string", what, etag)
		return
	}
	m := md5.Sum(body)
	if strings.Trim(etag, `"`) == hex.EncodeToString(m[:]) {
		t.Errorf("%s ETag %s is the MD5 of the body; directory-bucket ETags are opaque random strings (reference §6.2)", what, etag)
	}
}
