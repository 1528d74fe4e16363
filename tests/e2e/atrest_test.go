package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestEncryptAtRestSwitch: objects written with --encrypt-at-rest=true
// stay encrypted on disk, say AES256, and stay readable after a restart
// with the default setting; objects written then are stored as sent, say
// no encryption, and are served (over plain HTTP, through sendfile) whole
// and by range.
func TestEncryptAtRestSwitch(t *testing.T) {
	if weedServer != nil {
		t.Skip("reads the blob files on the server's disk; with ZONAL_E2E_BLOB=s3 they are in SeaweedFS")
	}
	srv := startServer(t, serverOpts{Name: "atrest", ExtraArgs: []string{"--encrypt-at-rest=true"}})
	ctx := context.Background()
	bucket := bucketName("atrest")
	c, _ := newClient(t, srv)
	if _, err := c.CreateBucket(ctx, createBucketInput(bucket, "use1-az4")); err != nil {
		t.Fatal(err)
	}
	body := func(marker string) []byte {
		// Over a MiB, not a multiple of the page size: several sendfile
		// pieces and a partial last block.
		return bytes.Repeat([]byte(marker), (1<<20+4097)/len(marker)+1)
	}
	objects := map[string][]byte{
		"written-encrypted": body("ZONAL-ENCRYPTED-MARKER-51c2"),
		"written-plain":     body("ZONAL-PLAINTEXT-MARKER-09ab"),
	}
	put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("written-encrypted"),
		Body: bytes.NewReader(objects["written-encrypted"])})
	if err != nil {
		t.Fatal(err)
	}
	if put.ServerSideEncryption != "AES256" {
		t.Errorf("PutObject encrypted at rest: x-amz-server-side-encryption %q, want AES256", put.ServerSideEncryption)
	}

	// The default: stored as sent. Only the flag goes: in the PostgreSQL
	// mode the harness keeps the catalog's flags in ExtraArgs too.
	srv.Opts.ExtraArgs = slices.DeleteFunc(slices.Clone(srv.Opts.ExtraArgs), func(a string) bool { return a == "--encrypt-at-rest=true" })
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	c, _ = newClient(t, srv)
	put, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("written-plain"),
		Body: bytes.NewReader(objects["written-plain"])})
	if err != nil {
		t.Fatal(err)
	}
	if put.ServerSideEncryption != "" {
		t.Errorf("PutObject stored as sent: x-amz-server-side-encryption %q, want none", put.ServerSideEncryption)
	}
	// Nor does the bucket claim an SSE-S3 default it does not apply.
	if _, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: &bucket}); apiCode(err) != "ServerSideEncryptionConfigurationNotFoundError" {
		t.Errorf("GetBucketEncryption with data stored as sent: %v, want ServerSideEncryptionConfigurationNotFoundError", err)
	}

	for key, want := range objects {
		size := int64(len(want))
		for _, rg := range [][2]int64{{0, size - 1}, {0, 0}, {4095, 4096 + 300<<10}, {size - 10, size - 1}} {
			in := &s3.GetObjectInput{Bucket: &bucket, Key: aws.String(key)}
			if rg != [2]int64{0, size - 1} {
				in.Range = aws.String(fmt.Sprintf("bytes=%d-%d", rg[0], rg[1]))
			}
			out, err := c.GetObject(ctx, in)
			if err != nil {
				t.Fatalf("%s %v: %v", key, rg, err)
			}
			got, err := io.ReadAll(out.Body)
			out.Body.Close()
			if err != nil || !bytes.Equal(got, want[rg[0]:rg[1]+1]) {
				t.Fatalf("%s %v: %d bytes read back differ (%v)", key, rg, len(got), err)
			}
			if enc := string(out.ServerSideEncryption); enc != map[string]string{"written-encrypted": "AES256"}[key] {
				t.Errorf("GetObject %s: x-amz-server-side-encryption %q", key, enc)
			}
		}
	}

	// A bucket given SSE-S3 with PutBucketEncryption encrypts its new
	// data on this server too, so what GetBucketEncryption says is true.
	if _, err := c.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: &bucket,
		ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAes256}}}}}); err != nil {
		t.Fatal(err)
	}
	if out, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: &bucket}); err != nil ||
		out.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm != types.ServerSideEncryptionAes256 {
		t.Fatalf("GetBucketEncryption after PutBucketEncryption: %v", err)
	}
	bucketSSE := body("ZONAL-BUCKETSSE-MARKER-77de")
	put, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("bucket-default"), Body: bytes.NewReader(bucketSSE)})
	if err != nil || put.ServerSideEncryption != "AES256" {
		t.Fatalf("PutObject into a bucket with SSE-S3: %v, x-amz-server-side-encryption %q", err, put.ServerSideEncryption)
	}
	if out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("bucket-default")}); err != nil {
		t.Fatal(err)
	} else {
		got, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if !bytes.Equal(got, bucketSSE) || out.ServerSideEncryption != "AES256" {
			t.Errorf("GetObject of the bucket-encrypted object: %d bytes, SSE %q", len(got), out.ServerSideEncryption)
		}
	}

	found := markersAtRest(t, srv.DataDir, "ZONAL-ENCRYPTED-MARKER-51c2", "ZONAL-PLAINTEXT-MARKER-09ab", "ZONAL-BUCKETSSE-MARKER-77de")
	if found["ZONAL-ENCRYPTED-MARKER-51c2"] || found["ZONAL-BUCKETSSE-MARKER-77de"] || !found["ZONAL-PLAINTEXT-MARKER-09ab"] {
		t.Errorf("markers found at rest: %v; want only the one written with the default --encrypt-at-rest=false into a bucket without SSE-S3", found)
	}
}

// markersAtRest reports which markers appear in any file under dir.
func markersAtRest(t *testing.T, dir string, markers ...string) map[string]bool {
	t.Helper()
	found := map[string]bool{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range markers {
			if bytes.Contains(data, []byte(m)) {
				found[m] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}
