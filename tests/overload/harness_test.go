// Package overload drives the built zonal binary well past its capacity on
// loopback and checks that it sheds load with 503 SlowDown instead of
// falling over: no crash, no 5xx but 503, bounded memory, every admitted
// write readable afterwards. A second test attacks it with slowloris
// connections (slow headers, stalled and trickling bodies) while a normal
// client keeps working.
//
// Both run in `go test ./...` (about 30 s together on two cores);
// ZONAL_OVERLOAD_SECONDS lengthens the load phase.
package overload

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/sigv4"
	"github.com/zonal-dev/zonal/tests/internal/zonalproc"
)

const (
	accessKey = "AKIAOVERLOADTEST0001"
	secretKey = "overloadTestSecretKey0000000000000000001"
	bucket    = "load--use1-az4--x-s3"
)

// server is a zonal child process (tests/internal/zonalproc) under the
// names this suite's tests use.
type server struct {
	*zonalproc.Server
	t                    *testing.T
	endpoint, addr, data string
	log                  logTail
}

type logTail struct{ p *zonalproc.Server }

func (l logTail) tail(n int) string { return l.p.LogTail(n) }

func (s *server) alive() bool                   { return s.Alive() }
func (s *server) procStatus(field string) int64 { return s.ProcStatus(field) }
func (s *server) cpuSeconds() float64           { return s.CPUSeconds() }

func TestMain(m *testing.M) {
	code := m.Run()
	zonalproc.Cleanup()
	os.Exit(code)
}

func wrap(t *testing.T, p *zonalproc.Server) *server {
	return &server{Server: p, t: t, endpoint: p.Endpoint, addr: p.Addr, data: p.Data, log: logTail{p}}
}

// startServer runs `zonal server` on a fresh data folder with extra flags
// and waits for it to serve; it is stopped when the test ends.
func startServer(t *testing.T, args ...string) *server {
	t.Helper()
	return wrap(t, zonalproc.Start(t, filepath.Join(t.TempDir(), "data"), accessKey, secretKey, args...))
}

// metric returns one sample of the server's /_zonal/metrics.
func (s *server) metric(series string) float64 {
	resp, err := http.Get(s.endpoint + "/_zonal/metrics")
	if err != nil {
		s.t.Errorf("metrics: %v", err)
		return -1
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return -1
}

// signer signs requests with the root key (SigV4, service s3express).
func signer() *sigv4.Signer {
	return &sigv4.Signer{AccessKeyID: accessKey, SecretAccessKey: secretKey, Region: "us-east-1", Service: "s3express"}
}

// newRequest is a signed request with an unsigned payload.
func newRequest(ctx context.Context, sg *sigv4.Signer, method, url string, body []byte) *http.Request {
	var rd io.Reader = http.NoBody
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		panic(err)
	}
	sg.Sign(req, sigv4.UnsignedPayload, time.Now())
	return req
}

// createBucket makes the test bucket.
func createBucket(t *testing.T, s *server) {
	t.Helper()
	body := []byte(`<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
		`<Location><Name>use1-az4</Name><Type>AvailabilityZone</Type></Location>` +
		`<Bucket><DataRedundancy>SingleAvailabilityZone</DataRedundancy><Type>Directory</Type></Bucket>` +
		`</CreateBucketConfiguration>`)
	resp, err := http.DefaultClient.Do(newRequest(context.Background(), signer(), "PUT", s.endpoint+"/"+bucket, body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("CreateBucket: %d %s", resp.StatusCode, b)
	}
}

// errorCode extracts <Code> from an S3 XML error body.
func errorCode(b []byte) string {
	_, rest, ok := bytes.Cut(b, []byte("<Code>"))
	if !ok {
		return ""
	}
	code, _, _ := bytes.Cut(rest, []byte("</Code>"))
	return string(code)
}
