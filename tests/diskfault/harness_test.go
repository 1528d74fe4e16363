// Suite settings; the child-process harness is tests/internal/zonalproc.

package diskfault

import (
	"testing"

	"github.com/zonal-dev/zonal/internal/sigv4"
	"github.com/zonal-dev/zonal/tests/internal/zonalproc"
)

const (
	accessKey = "AKIADISKFAULTTEST001"
	secretKey = "diskfaultTestSecretKey000000000000000001"
)

func TestMain(m *testing.M) { zonalproc.Main(m) }

// startServer runs `zonal server` on the data folder with extra flags and
// waits for it to serve; it is stopped when the test ends.
func startServer(t *testing.T, data string, args ...string) *zonalproc.Server {
	t.Helper()
	return zonalproc.Start(t, data, accessKey, secretKey, args...)
}

// signer signs with this suite's root keys.
func signer() *sigv4.Signer { return zonalproc.NewSigner(accessKey, secretKey) }
