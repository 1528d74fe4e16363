package faults

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Request is what rules match on: the request as the S3 front end knows it
// once it is authenticated.
type Request struct {
	Op, Bucket, Key, Principal, Method string
	// Session is the session mode ("ReadWrite", "ReadOnly") of a request
	// signed with CreateSession credentials, "" for long-term keys.
	Session string
	Part    int // partNumber, 0 when absent
}

// Fault is a fired rule: what to do to the request.
type Fault struct {
	Rule string // its name
	r    *Rule
}

// Error is the S3 error to answer with, or nil.
func (f *Fault) Error() *Error { return f.r.Error }

// Source says where rules came from: Replace swaps one source's rules.
type Source string

// The sources of rules.
const (
	FromFile Source = "file" // the --faults file
	FromAPI  Source = "api"  // the admin API and zonaltest
)

// Status is a rule as the admin API lists it: the rule, where it came
// from, and how often it matched and fired.
type Status struct {
	Rule
	Source  Source `json:"source"`
	Matched uint64 `json:"matched"`
	Fired   uint64 `json:"fired"`
}

// Set is a concurrency-safe list of rules, evaluated in order. Its zero
// value has no rules.
type Set struct {
	// KnownOp, when set, refuses rules naming other operations.
	KnownOp func(string) bool
	// OnFire, when set, is called with each fired rule's name (metrics).
	OnFire func(rule string)

	mu    sync.Mutex               // serializes changes
	rules atomic.Pointer[[]*state] // nil when there are none: the fast path
	n     int                      // names given so far to unnamed rules
}

// state is a rule with its firing state.
type state struct {
	rule   Rule
	source Source
	// The rule's own generator and counters; a mutex because a draw and
	// the counts must move together for a run to be reproducible.
	mu      sync.Mutex
	rng     *rand.Rand
	matched uint64
	fired   uint64
}

func newState(r Rule, src Source) *state {
	return &state{rule: r, source: src, rng: rand.New(rand.NewPCG(r.Seed, r.Seed^0x9e3779b97f4a7c15))}
}

// Decide returns the fault to inject into q, or nil. Each matching rule
// counts the match and decides whether it fires; the first that fires
// wins and the rules after it are not consulted.
func (s *Set) Decide(q *Request) *Fault {
	p := s.rules.Load()
	if p == nil {
		return nil
	}
	for _, st := range *p {
		if !st.rule.Match.matches(q) {
			continue
		}
		if st.fire() {
			if s.OnFire != nil {
				s.OnFire(st.rule.Name)
			}
			return &Fault{Rule: st.rule.Name, r: &st.rule}
		}
	}
	return nil
}

func (st *state) fire() bool {
	r := &st.rule
	st.mu.Lock()
	defer st.mu.Unlock()
	st.matched++
	if r.Every > 1 && st.matched%uint64(r.Every) != 0 {
		return false
	}
	if r.First > 0 && st.fired >= uint64(r.First) {
		return false
	}
	if r.Probability != nil && st.rng.Float64() >= *r.Probability {
		return false
	}
	st.fired++
	return true
}

func (m *Match) matches(q *Request) bool {
	if len(m.Ops) > 0 && !slices.Contains(m.Ops, q.Op) {
		return false
	}
	if m.Bucket != "" && m.Bucket != q.Bucket {
		return false
	}
	if m.Prefix != "" && !strings.HasPrefix(q.Key, m.Prefix) {
		return false
	}
	if m.Principal != "" && m.Principal != q.Principal {
		return false
	}
	switch m.Session {
	case "":
	case "session":
		if q.Session == "" {
			return false
		}
	case "none":
		if q.Session != "" {
			return false
		}
	default:
		if m.Session != q.Session {
			return false
		}
	}
	if len(m.Methods) > 0 && !slices.Contains(m.Methods, q.Method) {
		return false
	}
	if len(m.Parts) > 0 && !slices.Contains(m.Parts, q.Part) {
		return false
	}
	return true
}

// ErrExists is Add's error for a name already in use.
var ErrExists = errors.New("a rule of that name exists")

// Add appends a rule (validated) and returns its name, given one when it
// has none.
func (s *Set) Add(r Rule, src Source) (string, error) {
	if err := s.check(&r); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.list()
	if len(cur) >= MaxRules {
		return "", fmt.Errorf("already %d rules, the most a server keeps", MaxRules)
	}
	if r.Name == "" {
		for r.Name == "" || indexOf(cur, r.Name) >= 0 {
			s.n++
			r.Name = "rule-" + strconv.Itoa(s.n)
		}
	} else if indexOf(cur, r.Name) >= 0 {
		return "", fmt.Errorf("%w: %q", ErrExists, r.Name)
	}
	s.store(append(slices.Clone(cur), newState(r, src)))
	return r.Name, nil
}

// Remove deletes the named rule and reports whether there was one.
func (s *Set) Remove(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.list()
	i := indexOf(cur, name)
	if i < 0 {
		return false
	}
	s.store(slices.Delete(slices.Clone(cur), i, i+1))
	return true
}

// Clear deletes every rule.
func (s *Set) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rules.Store(nil)
}

// Replace swaps the rules from src for rules (the --faults file on
// reload): all or nothing. Their firing state starts afresh.
func (s *Set) Replace(src Source, rules []Rule) error {
	for i := range rules {
		if err := s.check(&rules[i]); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var next []*state
	for _, st := range s.list() {
		if st.source != src {
			next = append(next, st)
		}
	}
	if len(next)+len(rules) > MaxRules {
		return fmt.Errorf("%d rules, more than the %d a server keeps", len(next)+len(rules), MaxRules)
	}
	for i, r := range rules {
		if r.Name == "" {
			r.Name = string(src) + "-" + strconv.Itoa(i+1)
		}
		if indexOf(next, r.Name) >= 0 {
			return fmt.Errorf("%w: %q", ErrExists, r.Name)
		}
		next = append(next, newState(r, src))
	}
	// The other sources' rules stay first: reloading the file does not
	// move rules a test added ahead of it.
	s.store(next)
	return nil
}

// List returns the rules with their counters, in evaluation order.
func (s *Set) List() []Status {
	var out []Status
	for _, st := range s.list() {
		st.mu.Lock()
		out = append(out, Status{Rule: st.rule, Source: st.source, Matched: st.matched, Fired: st.fired})
		st.mu.Unlock()
	}
	return out
}

func (s *Set) check(r *Rule) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if s.KnownOp != nil {
		for _, op := range r.Match.Ops {
			if !s.KnownOp(op) {
				return fmt.Errorf("match.ops: %q is not an S3 operation zonal serves", op)
			}
		}
	}
	return nil
}

func (s *Set) list() []*state {
	if p := s.rules.Load(); p != nil {
		return *p
	}
	return nil
}

// store publishes rules; an empty list is stored as nil, so Decide costs a
// single load when no rule is set.
func (s *Set) store(rules []*state) {
	if len(rules) == 0 {
		s.rules.Store(nil)
		return
	}
	s.rules.Store(&rules)
}

func indexOf(rules []*state, name string) int {
	return slices.IndexFunc(rules, func(st *state) bool { return st.rule.Name == name })
}

// Active reports whether s has any rule; a nil Set has none. It is the
// hot path's whole cost when no rule is set: one atomic load.
func (s *Set) Active() bool { return s != nil && s.rules.Load() != nil }
