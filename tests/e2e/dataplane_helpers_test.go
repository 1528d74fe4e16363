package e2e

// Helpers shared by the data-plane tests (multipart, copy, append, rename,
// DeleteObjects, GetObjectAttributes, concurrency, big uploads).

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

const mib = 1 << 20

// objState is what a test remembers of an object to prove that a refused
// request changed nothing.
type objState struct {
	Exists      bool
	ETag        string
	Size        int64
	SHA         string // hex SHA-256 of the body
	ContentType string
	Metadata    map[string]string
	CRC32       string
	LastMod     time.Time
}

func (s objState) String() string {
	if !s.Exists {
		return "<absent>"
	}
	short := s.SHA
	if len(short) > 12 {
		short = short[:12]
	}
	return fmt.Sprintf("{etag=%s size=%d sha=%s ctype=%q meta=%v crc32=%s}", s.ETag, s.Size, short, s.ContentType, s.Metadata, s.CRC32)
}

// snapshot reads the object fully (GetObject with checksum mode) and
// returns its state; a 404 gives Exists=false. Other errors fail the test.
func snapshot(t testing.TB, c *s3.Client, bucket, key string) objState {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		if ei := inspectErr(err); ei.Status == 404 {
			return objState{}
		}
		t.Fatalf("snapshot GetObject %s/%s: %s", bucket, key, describeErr(err))
	}
	defer out.Body.Close()
	h := sha256.New()
	n, err := io.Copy(h, out.Body)
	if err != nil {
		t.Fatalf("snapshot GetObject %s/%s: reading body (the SDK validates the returned checksum): %v", bucket, key, err)
	}
	st := objState{
		Exists:      true,
		ETag:        aws.ToString(out.ETag),
		Size:        n,
		SHA:         fmt.Sprintf("%x", h.Sum(nil)),
		ContentType: aws.ToString(out.ContentType),
		Metadata:    out.Metadata,
		CRC32:       aws.ToString(out.ChecksumCRC32),
	}
	if out.LastModified != nil {
		st.LastMod = *out.LastModified
	}
	return st
}

// sameState compares two snapshots (everything but the CRC, which may be
// absent for objects without checksums, is compared strictly).
func sameState(a, b objState) bool {
	if a.Exists != b.Exists {
		return false
	}
	if !a.Exists {
		return true
	}
	if a.ETag != b.ETag || a.Size != b.Size || a.SHA != b.SHA || a.ContentType != b.ContentType || a.CRC32 != b.CRC32 || !a.LastMod.Equal(b.LastMod) {
		return false
	}
	return fmt.Sprint(sortedMeta(a.Metadata)) == fmt.Sprint(sortedMeta(b.Metadata))
}

func sortedMeta(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// assertUnchanged fails when the object differs from the earlier snapshot.
func assertUnchanged(t testing.TB, what string, c *s3.Client, bucket, key string, before objState) {
	t.Helper()
	after := snapshot(t, c, bucket, key)
	if !sameState(before, after) {
		t.Errorf("%s: object %s changed, but the request must not have changed it:\n  before %s\n  after  %s", what, key, before, after)
	}
}

// assertAbsent fails when the key exists.
func assertAbsent(t testing.TB, what string, c *s3.Client, bucket, key string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err == nil {
		t.Errorf("%s: object %s exists but nothing should have been stored", what, key)
		return
	}
	if ei := inspectErr(err); ei.Status != 404 {
		t.Errorf("%s: HeadObject %s: expected 404, got %s", what, key, describeErr(err))
	}
}

// assertBytes fails when the object's bytes differ from want.
func assertBytes(t testing.TB, what string, c *s3.Client, bucket, key string, want []byte) {
	t.Helper()
	got, _ := mustGetBytes(t, c, bucket, key)
	if !bytes.Equal(got, want) {
		t.Errorf("%s: %s holds %d bytes (sha %s), want %d bytes (sha %s)", what, key, len(got), sha(got)[:12], len(want), sha(want)[:12])
	}
}

func crc32Of(b []byte) uint32 { return crc32.ChecksumIEEE(b) }

func b64u32(v uint32) string {
	var buf [4]byte
	binary.BigEndian.PutUint32(buf[:], v)
	return base64.StdEncoding.EncodeToString(buf[:])
}

func sha256B64(b []byte) string {
	s := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

// compositeSHA256 is the COMPOSITE checksum of a multipart object:
// base64(SHA-256(concat(raw part digests))) + "-" + number of parts.
func compositeSHA256(parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		s := sha256.Sum256(p)
		h.Write(s[:])
	}
	return base64.StdEncoding.EncodeToString(h.Sum(nil)) + fmt.Sprintf("-%d", len(parts))
}

func concat(parts ...[]byte) []byte {
	var b bytes.Buffer
	for _, p := range parts {
		b.Write(p)
	}
	return b.Bytes()
}

// uploadExists reports whether ListParts still finds the upload.
func uploadExists(t testing.TB, c *s3.Client, bucket, key, uploadID string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(uploadID)})
	if err == nil {
		return true
	}
	if ei := inspectErr(err); ei.Status == 404 && ei.Code == "NoSuchUpload" {
		return false
	}
	t.Fatalf("ListParts %s upload %s: %s", key, uploadID, describeErr(err))
	return false
}

// partNumbers lists the part numbers ListParts reports (all pages).
func partNumbers(t testing.TB, c *s3.Client, bucket, key, uploadID string) []int32 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out []int32
	p := s3.NewListPartsPaginator(c, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(uploadID)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListParts %s: %s", key, describeErr(err))
		}
		for _, pt := range page.Parts {
			out = append(out, aws.ToInt32(pt.PartNumber))
		}
	}
	return out
}

// mpu drives one multipart upload through the SDK.
type mpu struct {
	t      testing.TB
	c      *s3.Client
	bucket string
	key    string
	id     string
	parts  map[int32]types.CompletedPart
}

func startMPU(t testing.TB, c *s3.Client, bucket, key string, in *s3.CreateMultipartUploadInput) *mpu {
	t.Helper()
	if in == nil {
		in = &s3.CreateMultipartUploadInput{}
	}
	in.Bucket, in.Key = aws.String(bucket), aws.String(key)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := c.CreateMultipartUpload(ctx, in)
	if err != nil {
		t.Fatalf("CreateMultipartUpload %s/%s: %s", bucket, key, describeErr(err))
	}
	if aws.ToString(out.UploadId) == "" {
		t.Fatalf("CreateMultipartUpload %s/%s: empty UploadId", bucket, key)
	}
	if aws.ToString(out.Key) != key || aws.ToString(out.Bucket) != bucket {
		t.Errorf("CreateMultipartUpload: Bucket/Key echoed as %q/%q, want %q/%q", aws.ToString(out.Bucket), aws.ToString(out.Key), bucket, key)
	}
	return &mpu{t: t, c: c, bucket: bucket, key: key, id: aws.ToString(out.UploadId), parts: map[int32]types.CompletedPart{}}
}

// put uploads a part (algo "" = SDK default) and records it.
func (m *mpu) put(n int32, body []byte, algo types.ChecksumAlgorithm) *s3.UploadPartOutput {
	m.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := m.c.UploadPart(ctx, &s3.UploadPartInput{
		Bucket: aws.String(m.bucket), Key: aws.String(m.key), UploadId: aws.String(m.id),
		PartNumber: aws.Int32(n), Body: bytes.NewReader(body), ChecksumAlgorithm: algo,
	})
	if err != nil {
		m.t.Fatalf("UploadPart %s part %d (%d bytes): %s", m.key, n, len(body), describeErr(err))
	}
	if aws.ToString(out.ETag) == "" {
		m.t.Errorf("UploadPart %s part %d: no ETag", m.key, n)
	}
	m.parts[n] = types.CompletedPart{
		PartNumber: aws.Int32(n), ETag: out.ETag,
		ChecksumCRC32: out.ChecksumCRC32, ChecksumCRC32C: out.ChecksumCRC32C, ChecksumCRC64NVME: out.ChecksumCRC64NVME,
		ChecksumSHA1: out.ChecksumSHA1, ChecksumSHA256: out.ChecksumSHA256,
	}
	return out
}

// list returns the recorded parts in the given order (default: ascending).
func (m *mpu) list(order ...int32) []types.CompletedPart {
	if len(order) == 0 {
		for n := range m.parts {
			order = append(order, n)
		}
		sort.Slice(order, func(i, j int) bool { return order[i] < order[j] })
	}
	var out []types.CompletedPart
	for _, n := range order {
		p, ok := m.parts[n]
		if !ok {
			p = types.CompletedPart{PartNumber: aws.Int32(n), ETag: aws.String(`"00000000000000000000000000000000"`)}
		}
		out = append(out, p)
	}
	return out
}

func (m *mpu) completeInput(parts []types.CompletedPart) *s3.CompleteMultipartUploadInput {
	return &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(m.bucket), Key: aws.String(m.key), UploadId: aws.String(m.id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	}
}

func (m *mpu) complete(in *s3.CompleteMultipartUploadInput) (*s3.CompleteMultipartUploadOutput, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return m.c.CompleteMultipartUpload(ctx, in)
}

func (m *mpu) mustComplete(in *s3.CompleteMultipartUploadInput) *s3.CompleteMultipartUploadOutput {
	m.t.Helper()
	if in == nil {
		in = m.completeInput(m.list())
	}
	out, err := m.complete(in)
	if err != nil {
		m.t.Fatalf("CompleteMultipartUpload %s: %s", m.key, describeErr(err))
	}
	return out
}

func (m *mpu) abort() error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := m.c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(m.bucket), Key: aws.String(m.key), UploadId: aws.String(m.id)})
	return err
}

// listObjectsDelim lists one level of a bucket (delimiter "/") and returns
// keys and common prefixes, sorted.
func listObjectsDelim(t testing.TB, c *s3.Client, bucket, prefix string) (keys, prefixes []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Delimiter: aws.String("/")}
	if prefix != "" {
		in.Prefix = aws.String(prefix)
	}
	p := s3.NewListObjectsV2Paginator(c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListObjectsV2 %s prefix %q delimiter /: %s", bucket, prefix, describeErr(err))
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
		for _, cp := range page.CommonPrefixes {
			prefixes = append(prefixes, aws.ToString(cp.Prefix))
		}
	}
	sort.Strings(keys)
	sort.Strings(prefixes)
	return keys, prefixes
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func trimETag(s string) string { return strings.Trim(s, `"`) }

// logErrorAnswers arranges for the server's log lines about 4xx/5xx answers
// and warnings for the given buckets to be printed if the test fails (the
// generic needle grep stops at the first 60 lines; these tests make many
// more requests, so the lines with the request ids of a failure would be cut).
func logErrorAnswers(t *testing.T, srv *zonalServer, buckets ...string) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		var out []string
		for _, line := range strings.Split(srv.Log(), "\n") {
			mine := false
			for _, b := range buckets {
				if strings.Contains(line, b) {
					mine = true
				}
			}
			if !mine {
				continue
			}
			if strings.Contains(line, `"status":4`) || strings.Contains(line, `"status":5`) ||
				strings.Contains(line, `"level":"WARN"`) || strings.Contains(line, `"level":"ERROR"`) {
				out = append(out, line)
			}
		}
		if len(out) > 80 {
			out = out[len(out)-80:]
		}
		t.Logf("---- server log: error answers for %v (last %d) ----\n%s", buckets, len(out), strings.Join(out, "\n"))
	})
}
