package diskfault

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/zonal-dev/zonal/tests/internal/zonalproc"
	"io"
	iofs "io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/sigv4"
)

// smallDisk makes and loop-mounts a small ext4 filesystem (no blocks
// reserved for root) and unmounts it when the test ends. It skips the test
// where that is impossible: not root, no mkfs.ext4, no loop devices.
func smallDisk(t *testing.T, size int64) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to loop-mount a small filesystem")
	}
	mkfs, err := exec.LookPath("mkfs.ext4")
	if err != nil {
		t.Skip("no mkfs.ext4:", err)
	}
	img := filepath.Join(t.TempDir(), "disk.img")
	f, err := os.Create(img)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if out, err := exec.Command(mkfs, "-q", "-F", "-m", "0", img).CombinedOutput(); err != nil {
		t.Skipf("mkfs.ext4: %v\n%s", err, out)
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-o", "loop", img, mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot loop-mount a filesystem here: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		for i := 0; ; i++ {
			out, err := exec.Command("umount", mnt).CombinedOutput()
			if err == nil {
				return
			}
			if i == 20 {
				t.Errorf("umount %s: %v\n%s; detaching it lazily", mnt, err, out)
				exec.Command("umount", "-l", mnt).Run()
				return
			}
			time.Sleep(250 * time.Millisecond)
		}
	})
	return mnt
}

// fill writes a file until the filesystem is full.
func fill(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, chunk := range []int{1 << 20, 4 << 10, 512} {
		buf := make([]byte, chunk)
		for {
			if _, err := f.Write(buf); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					return err
				}
				break
			}
		}
	}
	return f.Sync()
}

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	filepath.WalkDir(dir, func(p string, d iofs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

// TestDiskFull runs the server on a 128 MiB ext4 filesystem with an 8 MiB
// reserve (--min-free-disk), then:
//
//   - fills the disk from outside while a large upload is streaming in:
//     the upload's blob write hits ENOSPC and the client gets 500
//     InternalError, with nothing left behind;
//   - with the disk full, uploads get 503 ServiceUnavailable, small ones
//     included (on a full disk those would reach the catalog's log and
//     stop the server), reads and deletes still work, /_zonal/ready says
//     503, and the previous versions are intact;
//   - once space returns, uploads work again and readiness comes back.
func TestDiskFull(t *testing.T) {
	mnt := smallDisk(t, 128<<20)
	data := filepath.Join(mnt, "data")
	srv := startServer(t, data, "--access-log=false", "--min-free-disk", "8MiB")
	const bkt = "full--use1-az4--x-s3"
	srv.CreateBucket(t, bkt)
	hc := &http.Client{Timeout: 30 * time.Second}
	sg := signer()
	send := func(method, key string, body io.Reader, length int64) (int, string, []byte) {
		t.Helper()
		req := zonalproc.NewRequest(context.Background(), sg, method, srv.Endpoint+"/"+bkt+"/"+key, nil)
		if body != nil {
			req.Body, req.ContentLength = io.NopCloser(body), length
			req.Header.Set("Content-Length", strconv.FormatInt(length, 10))
			sg.Sign(req, sigv4.UnsignedPayload, time.Now())
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v\nserver log:\n%s", method, key, err, srv.LogTail(20))
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, zonalproc.ErrorCode(b), b
	}
	do := func(method, key string, body []byte) (int, string, []byte) {
		t.Helper()
		if body == nil {
			return send(method, key, nil, 0)
		}
		return send(method, key, bytes.NewReader(body), int64(len(body)))
	}
	big := func(tag string) []byte { return bytes.Repeat([]byte(tag), (1<<20)/len(tag)) }
	small := func(tag string) []byte { return bytes.Repeat([]byte(tag), 1000/len(tag)) }
	ready := func() int {
		resp, err := hc.Get(srv.Endpoint + "/_zonal/ready")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	blobs := filepath.Join(data, "blobs")

	if st, code, _ := do("PUT", "big", big("v1")); st != 200 {
		t.Fatalf("PUT big: %d %s", st, code)
	}
	if st, code, _ := do("PUT", "small", small("v1")); st != 200 {
		t.Fatalf("PUT small: %d %s", st, code)
	}
	blobsBefore := countFiles(t, blobs)

	// 1. The disk fills up under a streaming upload.
	pr, pw := io.Pipe()
	fillErr := make(chan error, 1)
	go func() {
		pw.Write(big("s")) // 1 MiB: the blob file exists and is being written
		time.Sleep(200 * time.Millisecond)
		fillErr <- fill(filepath.Join(mnt, "filler"))
		for range 15 {
			if _, err := pw.Write(big("s")); err != nil {
				return
			}
		}
		pw.Close()
	}()
	st, code, _ := send("PUT", "streamed", pr, 16<<20)
	pr.Close()
	if err := <-fillErr; err != nil {
		t.Fatal("filling the disk:", err)
	}
	t.Logf("upload streaming while the disk filled: %d %s", st, code)
	if st != 500 || code != "InternalError" {
		t.Fatalf("upload that hit ENOSPC: %d %s, want 500 InternalError", st, code)
	}
	if n := countFiles(t, blobs); n != blobsBefore {
		t.Errorf("%d blob files after the failed upload, want %d: a partial blob was left", n, blobsBefore)
	}
	var sfs syscall.Statfs_t
	syscall.Statfs(mnt, &sfs)
	t.Logf("disk full: %d bytes free", sfs.Bavail*uint64(sfs.Bsize))

	// 2. Full: the guard notices within a second.
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, code, _ := do("PUT", "small", small("v2"))
		if st == 503 && code == "ServiceUnavailable" {
			break
		}
		if st != 200 || time.Now().After(deadline) {
			t.Fatalf("small PUT on the full disk: %d %s, want 503 ServiceUnavailable within a second or two", st, code)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, w := range []struct {
		key  string
		body []byte
	}{{"big", big("v2")}, {"big-new", big("n")}, {"small", small("v3")}, {"small-new", small("n")}} {
		if st, code, _ := do("PUT", w.key, w.body); st != 503 || code != "ServiceUnavailable" {
			t.Errorf("PUT %s (%d bytes) on the full disk: %d %s, want 503 ServiceUnavailable", w.key, len(w.body), st, code)
		}
	}
	if st, code, _ := do("POST", "mpu?uploads", nil); st != 503 {
		t.Errorf("CreateMultipartUpload on the full disk: %d %s", st, code)
	}
	for i := range 300 { // what used to stop the server: small PUTs on a full disk
		if st, code, _ := do("PUT", fmt.Sprintf("flood/%03d", i), small("f")); st != 503 {
			t.Fatalf("small PUT %d on the full disk: %d %s", i, st, code)
		}
	}
	if !srv.Alive() {
		t.Fatalf("the server died on the full disk:\n%s", srv.LogTail(30))
	}
	if st, _, b := do("GET", "big", nil); st != 200 || !bytes.Equal(b, big("v1")) {
		t.Errorf("GET big on the full disk: %d, want the first version", st)
	}
	if st, _, b := do("GET", "small", nil); st != 200 || !bytes.Equal(b, small("v1")) {
		t.Errorf("GET small on the full disk: %d %q, want the first version", st, b)
	}
	for _, k := range []string{"big-new", "small-new", "streamed"} {
		if st, _, _ := do("HEAD", k, nil); st != 404 {
			t.Errorf("HEAD %s: %d, want 404", k, st)
		}
	}
	if n := countFiles(t, blobs); n != blobsBefore {
		t.Errorf("%d blob files, want %d", n, blobsBefore)
	}
	if st := ready(); st != 503 {
		t.Errorf("/_zonal/ready on the full disk: %d, want 503", st)
	}
	if st, code, _ := do("DELETE", "small", nil); st != 204 {
		t.Errorf("DELETE on the full disk: %d %s, want 204", st, code)
	}

	// 3. Space returns.
	if err := os.Remove(filepath.Join(mnt, "filler")); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(5 * time.Second)
	for {
		st, code, _ := do("PUT", "big", big("v3"))
		if st == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("PUT after space returned: %d %s", st, code)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if st, _, b := do("GET", "big", nil); st != 200 || !bytes.Equal(b, big("v3")) {
		t.Errorf("GET big after recovery: %d, want the new version", st)
	}
	for deadline = time.Now().Add(5 * time.Second); ready() != 200; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("/_zonal/ready did not come back after space returned")
		}
	}
	if !srv.Alive() {
		t.Fatalf("the server died:\n%s", srv.LogTail(30))
	}
}
