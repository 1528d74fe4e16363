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
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/zonal-dev/zonal/internal/sigv4"
	"github.com/zonal-dev/zonal/tests/internal/zonalproc"
)

const (
	accessKey = "AKIAOVERLOADTEST0001"
	secretKey = "overloadTestSecretKey0000000000000000001"
	bucket    = "load--use1-az4--x-s3"
)

func TestMain(m *testing.M) { zonalproc.Main(m) }

// startServer runs `zonal server` on a fresh data folder with extra flags
// and waits for it to serve; it is stopped when the test ends.
func startServer(t *testing.T, args ...string) *zonalproc.Server {
	t.Helper()
	return zonalproc.Start(t, filepath.Join(t.TempDir(), "data"), accessKey, secretKey, args...)
}

// metric returns one sample of the server's /_zonal/metrics.
func metric(t *testing.T, s *zonalproc.Server, series string) float64 {
	resp, err := http.Get(s.Endpoint + "/_zonal/metrics")
	if err != nil {
		t.Errorf("metrics: %v", err)
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

// signer signs with this suite's root keys.
func signer() *sigv4.Signer { return zonalproc.NewSigner(accessKey, secretKey) }
