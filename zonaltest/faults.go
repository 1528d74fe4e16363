package zonaltest

import (
	"testing"

	"github.com/zonal-dev/zonal/internal/faults"
)

// Fault-rule types, the --faults file's schema (see the README's "Fault
// injection"), aliased so tests outside this module can build rules.
type (
	Rule        = faults.Rule
	Match       = faults.Match
	FaultError  = faults.Error
	Latency     = faults.Latency
	Reset       = faults.Reset
	Truncate    = faults.Truncate
	Throttle    = faults.Throttle
	Duration    = faults.Duration
	FaultStatus = faults.Status
)

// FaultHeader is the response header that names the rule behind an
// injected fault.
const FaultHeader = faults.Header

// Faults adds fault-injection rules to a test server.
type Faults struct {
	s *Server
	t testing.TB // whose end removes the rules added
}

// Faults returns the server's fault rules:
//
//	srv.Faults().Add(zonaltest.Rule{
//		Match: zonaltest.Match{Ops: []string{"PutObject"}},
//		Error: &zonaltest.FaultError{Status: 503, Code: "SlowDown"},
//		First: 2,
//	})
//
// Rules added are removed when the test that started the server ends; In
// scopes them to another test (a subtest).
func (s *Server) Faults() *Faults { return &Faults{s: s, t: s.t} }

// In returns f with rules removed when t ends.
func (f *Faults) In(t testing.TB) *Faults { return &Faults{s: f.s, t: t} }

// Add adds a rule, which is removed when the test ends, and returns its
// name (given one when it has none).
func (f *Faults) Add(r Rule) (string, error) {
	name, err := f.s.srv.Faults().Add(r, faults.FromAPI)
	if err != nil {
		return "", err
	}
	f.t.Cleanup(func() { f.s.srv.Faults().Remove(name) })
	return name, nil
}

// Remove deletes the named rule now.
func (f *Faults) Remove(name string) bool { return f.s.srv.Faults().Remove(name) }

// Clear deletes every rule.
func (f *Faults) Clear() { f.s.srv.Faults().Clear() }

// List returns the rules with how often each matched and fired.
func (f *Faults) List() []FaultStatus { return f.s.srv.Faults().List() }
