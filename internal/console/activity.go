package console

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/zonal-dev/zonal/internal/activity"
)

// The activity page shows the whole server's metrics (every account's
// requests), which the operator endpoints keep behind the admin token; in
// the console only the root user of the server's own account (the
// operator's, --account-id) may see it. Per-account activity would need
// per-account metrics, which zonal does not keep.

// chartW and chartH are the charts' drawing area in SVG user units.
const (
	chartW = 720
	chartH = 160
)

// chart is one SVG line chart: a few series over the same time axis.
type chart struct {
	Label  string // aria-label and heading
	Unit   string
	Max    string // the y axis' top, rendered
	From   string // the x axis' ends
	To     string
	Series []series
	W, H   int
}

// series is one line, split into segments where it has no value.
type series struct {
	Name     string
	Class    string // CSS class: its colour
	Segments []string
	Last     string // the latest value, rendered
}

type activityView struct {
	Report    activity.Report
	Uptime    string
	Charts    []chart
	Window    string
	Collected bool // at least one point
	Started   string
}

func (c *Console) activityPage(w http.ResponseWriter, r *http.Request, s *login) {
	if !s.principal.IsRoot() || s.principal.Account != c.cfg.OperatorAccount {
		c.fail(w, http.StatusForbidden, s, "Activity shows the whole server's requests, so only the root user of the server's own account ("+
			c.cfg.OperatorAccount+") may see it.")
		return
	}
	if c.cfg.Activity == nil {
		c.fail(w, http.StatusNotFound, s, "This server keeps no activity history.")
		return
	}
	rep := c.cfg.Activity.Report()
	v := activityView{Report: rep, Collected: len(rep.Points) > 0}
	if !rep.Started.IsZero() {
		v.Uptime = roundDuration(c.cfg.Now().Sub(rep.Started))
		v.Started = rep.Started.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	if v.Collected {
		pts := rep.Points
		v.Window = roundDuration(pts[len(pts)-1].At.Sub(pts[0].At) + time.Duration(pts[0].Seconds*float64(time.Second)))
		perSec := func(f func(activity.Point) float64) func(activity.Point) float64 {
			return func(p activity.Point) float64 {
				if p.Seconds <= 0 {
					return math.NaN()
				}
				return f(p) / p.Seconds
			}
		}
		ms := func(f func(activity.Point) float64) func(activity.Point) float64 {
			return func(p activity.Point) float64 { return f(p) * 1000 }
		}
		v.Charts = []chart{
			lineChart("Requests per second", "req/s", pts,
				line{"all", "s-all", perSec(func(p activity.Point) float64 { return p.Requests })},
				line{"4xx", "s-warn", perSec(func(p activity.Point) float64 { return p.Client })},
				line{"5xx", "s-bad", perSec(func(p activity.Point) float64 { return p.Server })}),
			lineChart("Error rate", "%", pts,
				line{"4xx", "s-warn", func(p activity.Point) float64 { return percent(p.Client, p.Requests) }},
				line{"5xx", "s-bad", func(p activity.Point) float64 { return percent(p.Server, p.Requests) }}),
			lineChart("Latency", "ms", pts,
				line{"p50", "s-all", ms(func(p activity.Point) float64 { return p.P50 })},
				line{"p99", "s-warn", ms(func(p activity.Point) float64 { return p.P99 })}),
			lineChart("Sessions per minute", "/min", pts,
				line{"minted", "s-all", perSec(func(p activity.Point) float64 { return p.SessionsMinted * 60 })},
				line{"refused", "s-bad", perSec(func(p activity.Point) float64 { return p.SessionsRefused * 60 })}),
		}
	}
	if len(v.Report.ByOp) > 40 {
		v.Report.ByOp = v.Report.ByOp[:40]
	}
	c.render(w, http.StatusOK, "activity", s, view{Title: "Activity", Data: v})
}

// line is one series to draw: its name, CSS class and value per point
// (NaN: no value, a gap in the line).
type line struct {
	name, class string
	value       func(activity.Point) float64
}

// lineChart scales every series to one y axis from 0 to a round maximum
// and the points' times to the x axis.
func lineChart(label, unit string, pts []activity.Point, lines ...line) chart {
	top := 0.0
	for _, l := range lines {
		for _, p := range pts {
			if v := l.value(p); !math.IsNaN(v) && v > top {
				top = v
			}
		}
	}
	top = niceCeil(top)
	t0, t1 := pts[0].At, pts[len(pts)-1].At
	span := t1.Sub(t0).Seconds()
	ch := chart{Label: label, Unit: unit, Max: num(top) + " " + unit, W: chartW, H: chartH,
		From: t0.UTC().Format("15:04:05"), To: t1.UTC().Format("15:04:05 UTC")}
	for _, l := range lines {
		s := series{Name: l.name, Class: l.class, Last: "–"}
		var seg strings.Builder
		flush := func() {
			if seg.Len() > 0 {
				s.Segments = append(s.Segments, seg.String())
				seg.Reset()
			}
		}
		for _, p := range pts {
			v := l.value(p)
			if math.IsNaN(v) {
				flush()
				continue
			}
			x := float64(chartW)
			if span > 0 {
				x = p.At.Sub(t0).Seconds() / span * chartW
			}
			y := chartH - v/top*chartH
			if seg.Len() > 0 {
				seg.WriteByte(' ')
			}
			seg.WriteString(strconv.FormatFloat(x, 'f', 1, 64) + "," + strconv.FormatFloat(y, 'f', 1, 64))
			s.Last = num(v) + " " + unit
		}
		flush()
		ch.Series = append(ch.Series, s)
	}
	return ch
}

func percent(part, whole float64) float64 {
	if whole == 0 {
		return math.NaN()
	}
	return 100 * part / whole
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten (1 at least), so
// the axis reads well.
func niceCeil(v float64) float64 {
	if v <= 1 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// num renders a figure with at most three significant digits.
func num(v float64) string {
	switch {
	case v >= 100 || math.Abs(v-math.Round(v)) < 1e-9:
		return strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

// roundDuration renders d to the second (minute past an hour).
func roundDuration(d time.Duration) string {
	if d >= time.Hour {
		return d.Round(time.Minute).String()
	}
	return d.Round(time.Second).String()
}
