package e2e

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	tmtypes "github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// bigUploadEnabled is read at package initialisation, before TestMain
// clears the ZONAL_* variables from the environment.
var bigUploadEnabled = os.Getenv("ZONAL_E2E_BIG") == "1"

// TestBigUploadTransferManager: a 64 MiB multipart upload through the SDK's
// transfer manager with CRC32 full-object checksums, streamed from a
// generator, read back streaming; the server's peak RSS is reported.
func TestBigUploadTransferManager(t *testing.T) {
	t.Parallel()
	runBigUpload(t, 64*mib, 512*mib)
}

// TestBigUpload1GiB: the 1 GiB transfer-manager upload. Runs only
// without -short and with ZONAL_E2E_BIG=1.
func TestBigUpload1GiB(t *testing.T) {
	if testing.Short() || !bigUploadEnabled {
		t.Skip("set ZONAL_E2E_BIG=1 (and do not pass -short) to run the 1 GiB upload")
	}
	runBigUpload(t, 1<<30, 1<<30)
}

// genStream is a deterministic, unseekable pseudo-random byte stream.
func genStream(seed uint64, size int64) io.Reader {
	var s [32]byte
	binary.LittleEndian.PutUint64(s[:], seed)
	return io.LimitReader(rand.NewChaCha8(s), size)
}

// procStatusKB reads a "Vm…:   N kB" field of /proc/<pid>/status.
func procStatusKB(pid int, field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, field+":") {
			fs := strings.Fields(strings.TrimPrefix(line, field+":"))
			if len(fs) == 0 {
				break
			}
			return strconv.ParseInt(fs[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// rssSampler polls the server's VmRSS.
type rssSampler struct {
	pid  int
	stop chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	max  int64 // kB
	n    int
}

func startRSSSampler(pid int) *rssSampler {
	s := &rssSampler{pid: pid, stop: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			if kb, err := procStatusKB(pid, "VmRSS"); err == nil {
				s.mu.Lock()
				if kb > s.max {
					s.max = kb
				}
				s.n++
				s.mu.Unlock()
			}
			select {
			case <-s.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

func (s *rssSampler) Stop() (maxKB int64, samples int) {
	close(s.stop)
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.max, s.n
}

func runBigUpload(t *testing.T, size int64, rssLimit int64) {
	srv := startServer(t, serverOpts{})
	pid := srv.Pid()
	c, _ := newClient(t, srv)
	ctx := ctxT(t, 20*time.Minute)
	bucket := mustCreateBucket(t, c, "bigupload")
	key := fmt.Sprintf("big/%dmib.bin", size/mib)
	const seed = 0x5eed2024
	const partSize = 8 * mib

	// Pass 1: the expected whole-object CRC32 and SHA-256, from the generator.
	t0 := time.Now()
	crc := crc32.NewIEEE()
	sh := sha256.New()
	if n, err := io.Copy(io.MultiWriter(crc, sh), genStream(seed, size)); err != nil || n != size {
		t.Fatalf("generator: %d bytes, %v", n, err)
	}
	wantCRC := b64u32(crc.Sum32())
	wantSHA := fmt.Sprintf("%x", sh.Sum(nil))
	t.Logf("generated %d MiB in %v: crc32 %s sha256 %s", size/mib, time.Since(t0).Round(time.Millisecond), wantCRC, wantSHA[:16])

	baseRSS, _ := procStatusKB(pid, "VmRSS")
	sampler := startRSSSampler(pid)

	// Upload through the transfer manager, body streamed (unseekable).
	tm := transfermanager.New(c, func(o *transfermanager.Options) {
		o.PartSizeBytes = partSize
		o.ChecksumAlgorithm = tmtypes.ChecksumAlgorithmCrc32
	})
	t1 := time.Now()
	up, err := tm.UploadObject(ctx, &transfermanager.UploadObjectInput{
		Bucket:            aws.String(bucket),
		Key:               aws.String(key),
		Body:              genStream(seed, size),
		ContentLength:     aws.Int64(size), // lets the manager send x-amz-mp-object-size
		ChecksumAlgorithm: tmtypes.ChecksumAlgorithmCrc32,
		ChecksumType:      tmtypes.ChecksumTypeFullObject,
		ChecksumCRC32:     aws.String(wantCRC),
	})
	upDur := time.Since(t1)
	if err != nil {
		sampler.Stop()
		t.Fatalf("transfer manager UploadObject %d MiB: %s", size/mib, describeErr(err))
	}
	t.Logf("upload of %d MiB: %v (%.0f MiB/s)", size/mib, upDur.Round(time.Millisecond), float64(size)/mib/upDur.Seconds())
	if aws.ToString(up.ChecksumCRC32) != wantCRC || up.ChecksumType != tmtypes.ChecksumTypeFullObject {
		t.Errorf("UploadObject result: ChecksumCRC32 %q type %q, want %q FULL_OBJECT", aws.ToString(up.ChecksumCRC32), up.ChecksumType, wantCRC)
	}

	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
	noErr(t, "HeadObject", err)
	if aws.ToInt64(head.ContentLength) != size || aws.ToString(head.ChecksumCRC32) != wantCRC || head.ChecksumType != types.ChecksumTypeFullObject {
		t.Errorf("HeadObject: Content-Length %d crc32 %q type %q, want %d %q FULL_OBJECT", aws.ToInt64(head.ContentLength), aws.ToString(head.ChecksumCRC32), head.ChecksumType, size, wantCRC)
	}
	attrs, err := c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: aws.String(bucket), Key: aws.String(key),
		ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesObjectParts, types.ObjectAttributesObjectSize}, MaxParts: aws.Int32(2)})
	noErr(t, "GetObjectAttributes", err)
	wantParts := int32((size + partSize - 1) / partSize)
	if attrs.ObjectParts == nil || aws.ToInt32(attrs.ObjectParts.TotalPartsCount) != wantParts || aws.ToInt64(attrs.ObjectSize) != size {
		t.Errorf("GetObjectAttributes: parts %+v size %d, want %d parts, %d bytes", attrs.ObjectParts, aws.ToInt64(attrs.ObjectSize), wantParts, size)
	}

	// Read back streaming; the SDK validates the full-object CRC32, we compare SHA-256.
	t2 := time.Now()
	get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
	noErr(t, "GetObject", err)
	gsh := sha256.New()
	n, err := io.Copy(gsh, get.Body)
	get.Body.Close()
	downDur := time.Since(t2)
	maxRSS, samples := sampler.Stop()
	hwm, hwmErr := procStatusKB(pid, "VmHWM")
	if err != nil {
		t.Fatalf("GetObject body after %d bytes (SDK CRC32 validation or transport): %v", n, err)
	}
	t.Logf("download of %d MiB: %v (%.0f MiB/s)", size/mib, downDur.Round(time.Millisecond), float64(size)/mib/downDur.Seconds())
	if n != size || fmt.Sprintf("%x", gsh.Sum(nil)) != wantSHA {
		t.Errorf("read back %d bytes sha256 %x, want %d bytes sha256 %s", n, gsh.Sum(nil), size, wantSHA)
	}
	if aws.ToString(get.ChecksumCRC32) != wantCRC {
		t.Errorf("GetObject x-amz-checksum-crc32 %q, want %q", aws.ToString(get.ChecksumCRC32), wantCRC)
	}
	if vm, ok := s3.GetChecksumValidationMetadata(get.ResultMetadata); !ok || !contains(vm.AlgorithmsUsed, "CRC32") {
		t.Errorf("the SDK did not validate the full-object CRC32 on GetObject (%+v)", vm)
	}

	if hwmErr != nil {
		t.Errorf("reading the server's VmHWM: %v", hwmErr)
	}
	if maxRSS > hwm {
		hwm = maxRSS // the kernel updates VmHWM lazily; a sample may be a little higher
	}
	t.Logf("server pid %d: RSS before upload %.1f MiB, max sampled VmRSS %.1f MiB (%d samples), peak RSS VmHWM %.1f MiB; object %d MiB in %d parts",
		pid, float64(baseRSS)/1024, float64(maxRSS)/1024, samples, float64(hwm)/1024, size/mib, wantParts)
	if hwm*1024 > rssLimit {
		t.Errorf("server peak RSS %.1f MiB exceeds the %d MiB bound for a %d MiB upload: memory is not bounded", float64(hwm)/1024, rssLimit/mib, size/mib)
	}

	dctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := c.DeleteObject(dctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err != nil {
		t.Errorf("DeleteObject: %s", describeErr(err))
	}
}
