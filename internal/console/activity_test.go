package console

import (
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/activity"
)

type fixedActivity struct{ rep activity.Report }

func (f fixedActivity) Report() activity.Report { return f.rep }

// TestActivityPage: the operator account's root sees the server's figures
// and one SVG chart per measure, drawn from the recorder's points; an IAM
// user of that account is refused.
func TestActivityPage(t *testing.T) {
	at := time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC)
	rep := activity.Report{Version: "v1.2.3", Commit: "c0ffee", Started: at.Add(-90 * time.Minute), InFlight: 3,
		ByOp: []activity.OpStatus{{Op: "GetObject", Status: 200, Count: 1234}, {Op: "PutObject", Status: 503, Count: 7}}}
	rep.Storage.Have, rep.Storage.BlobBytes, rep.Storage.Blobs, rep.Storage.GCBacklog = true, 3<<20, 12, 5
	for i := range 6 {
		p := activity.Point{At: at.Add(time.Duration(i*10) * time.Second), Seconds: 10, Requests: float64(100 * i),
			Client: float64(i), Server: 1, P50: 0.002, P99: 0.040, SessionsMinted: 2}
		if i == 0 {
			p.P50, p.P99 = math.NaN(), math.NaN() // an idle interval: a gap
			p.Requests, p.Client, p.Server = 0, 0, 0
		}
		rep.Points = append(rep.Points, p)
	}
	e := newEnv(t, func(c *Config) { c.OperatorAccount = account; c.Activity = fixedActivity{rep} })
	b := e.signedIn(rootAK, rootSK)
	resp, body := b.get("activity")
	wantStatus(t, "activity as root", resp, body, http.StatusOK)
	for _, want := range []string{"v1.2.3", "c0ffee", "2h30m0s", "3.0 MiB in 12 blobs", "5 blobs waiting",
		`aria-label="Requests per second`, `aria-label="Latency`, `aria-label="Error rate`, `aria-label="Sessions per minute`,
		"GetObject", "1234", "p99: 40 ms", "all: 50 req/s"} {
		if !strings.Contains(body, want) {
			t.Errorf("activity page lacks %q", want)
		}
	}
	if n := strings.Count(body, `role="img"`); n != 4 {
		t.Errorf("%d charts, want 4", n)
	}
	// The latency line skips the idle first point: it starts at the
	// second point's x (a fifth of the width).
	if !strings.Contains(body, `<polyline class="s-all" points="144.0,`) {
		t.Errorf("the latency line does not start at the second point:\n%s", body)
	}

	user := e.user("viewer", readOnly)
	ub := e.signedIn(user.ID, user.Secret)
	resp, body = ub.get("activity")
	wantStatus(t, "activity as an IAM user", resp, body, http.StatusForbidden)
	if strings.Contains(body, "GetObject") {
		t.Error("the refusal shows the figures")
	}
}

func TestNiceCeil(t *testing.T) {
	for in, want := range map[float64]float64{0: 1, 0.3: 1, 1: 1, 1.1: 2, 3: 5, 7: 10, 10: 10, 11: 20, 420: 500, 999: 1000} {
		if got := niceCeil(in); got != want {
			t.Errorf("niceCeil(%v) = %v, want %v", in, got, want)
		}
	}
}
