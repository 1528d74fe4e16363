package faults

import (
	"errors"
	"slices"
	"sync"
	"testing"
)

func slowDown() *Error { return &Error{Status: 503, Code: "SlowDown"} }

func TestMatch(t *testing.T) {
	q := Request{Op: "UploadPart", Bucket: "b", Key: "logs/a", Principal: "arn:p", Method: "PUT", Session: "ReadWrite", Part: 3}
	for _, tc := range []struct {
		m    Match
		want bool
	}{
		{Match{}, true},
		{Match{Ops: []string{"PutObject", "UploadPart"}}, true},
		{Match{Ops: []string{"PutObject"}}, false},
		{Match{Bucket: "b", Prefix: "logs/"}, true},
		{Match{Bucket: "c"}, false},
		{Match{Prefix: "data/"}, false},
		{Match{Principal: "arn:p"}, true},
		{Match{Principal: "arn:q"}, false},
		{Match{Session: "session"}, true},
		{Match{Session: "ReadWrite"}, true},
		{Match{Session: "ReadOnly"}, false},
		{Match{Session: "none"}, false},
		{Match{Methods: []string{"PUT"}}, true},
		{Match{Methods: []string{"GET"}}, false},
		{Match{Parts: []int{1, 3}}, true},
		{Match{Parts: []int{2}}, false},
	} {
		if got := tc.m.matches(&q); got != tc.want {
			t.Errorf("%+v: %v, want %v", tc.m, got, tc.want)
		}
	}
	long := Request{Op: "GetObject"}
	if !(&Match{Session: "none"}).matches(&long) || (&Match{Session: "session"}).matches(&long) {
		t.Error("long-term request and session matches")
	}
}

// fires decides n identical requests and returns which fired (1-based).
func fires(s *Set, n int) []int {
	var out []int
	for i := 1; i <= n; i++ {
		if s.Decide(&Request{Op: "PutObject"}) != nil {
			out = append(out, i)
		}
	}
	return out
}

func TestFiringModes(t *testing.T) {
	every := &Set{}
	every.Add(Rule{Error: slowDown(), Every: 3}, FromAPI)
	if got := fires(every, 10); !slices.Equal(got, []int{3, 6, 9}) {
		t.Errorf("every 3: %v", got)
	}
	first := &Set{}
	first.Add(Rule{Error: slowDown(), First: 2}, FromAPI)
	if got := fires(first, 5); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("first 2: %v", got)
	}
	both := &Set{}
	both.Add(Rule{Error: slowDown(), Every: 2, First: 2}, FromAPI)
	if got := fires(both, 10); !slices.Equal(got, []int{2, 4}) {
		t.Errorf("every 2, first 2: %v", got)
	}
	zero := 0.0
	never := &Set{}
	never.Add(Rule{Error: slowDown(), Probability: &zero}, FromAPI)
	if got := fires(never, 100); len(got) != 0 {
		t.Errorf("probability 0 fired: %v", got)
	}
	st := never.List()[0]
	if st.Matched != 100 || st.Fired != 0 {
		t.Errorf("counters: %+v", st)
	}
}

// The same seed gives the same requests faults, run after run; another
// seed other ones.
func TestProbabilityReproducible(t *testing.T) {
	run := func(seed uint64) []int {
		p := 0.3
		s := &Set{}
		s.Add(Rule{Error: slowDown(), Probability: &p, Seed: seed}, FromAPI)
		return fires(s, 1000)
	}
	a, b, c := run(42), run(42), run(43)
	if !slices.Equal(a, b) {
		t.Fatal("same seed, different faults")
	}
	if slices.Equal(a, c) {
		t.Fatal("different seeds, same faults")
	}
	if len(a) < 230 || len(a) > 370 {
		t.Fatalf("probability 0.3 fired %d of 1000", len(a))
	}
}

func TestSetChanges(t *testing.T) {
	var fired []string
	s := &Set{KnownOp: func(op string) bool { return op == "PutObject" }, OnFire: func(r string) { fired = append(fired, r) }}
	if s.Active() || s.Decide(&Request{}) != nil {
		t.Fatal("empty set is active")
	}
	var nilSet *Set
	if nilSet.Active() {
		t.Fatal("nil set is active")
	}
	if _, err := s.Add(Rule{Match: Match{Ops: []string{"PutObjects"}}, Error: slowDown()}, FromAPI); err == nil {
		t.Fatal("unknown operation accepted")
	}
	a, _ := s.Add(Rule{Error: slowDown()}, FromAPI)
	if _, err := s.Add(Rule{Name: a, Error: slowDown()}, FromAPI); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate name: %v", err)
	}
	if err := s.Replace(FromFile, []Rule{{Name: "f", Error: slowDown()}, {Error: slowDown()}}); err != nil {
		t.Fatal(err)
	}
	names := func() (out []string) {
		for _, st := range s.List() {
			out = append(out, st.Name+"/"+string(st.Source))
		}
		return out
	}
	if got := names(); !slices.Equal(got, []string{a + "/api", "f/file", "file-2/file"}) {
		t.Fatalf("after replace: %v", got)
	}
	// A reload that fails keeps the old rules.
	if err := s.Replace(FromFile, []Rule{{Name: a, Error: slowDown()}}); err == nil {
		t.Fatal("reload naming an API rule accepted")
	}
	if err := s.Replace(FromFile, []Rule{{Name: "g", Error: slowDown()}}); err != nil {
		t.Fatal(err)
	}
	if got := names(); !slices.Equal(got, []string{a + "/api", "g/file"}) {
		t.Fatalf("after reload: %v", got)
	}
	if f := s.Decide(&Request{Op: "PutObject"}); f == nil || f.Rule != a || f.Error().Code != "SlowDown" {
		t.Fatalf("decide: %+v", f)
	}
	if !slices.Equal(fired, []string{a}) {
		t.Fatalf("OnFire: %v", fired)
	}
	if !s.Remove(a) || s.Remove(a) {
		t.Fatal("remove")
	}
	s.Clear()
	if s.Active() {
		t.Fatal("cleared set is active")
	}
}

func TestConcurrentDecide(t *testing.T) {
	s := &Set{}
	s.Add(Rule{Error: slowDown(), Every: 4}, FromAPI)
	var wg sync.WaitGroup
	var mu sync.Mutex
	n := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				if s.Decide(&Request{}) != nil {
					mu.Lock()
					n++
					mu.Unlock()
				}
				if s.List() == nil {
					t.Error("rules vanished")
				}
			}
		}()
	}
	wg.Wait()
	if n != 200 {
		t.Fatalf("every 4th of 800 fired %d times", n)
	}
}

// BenchmarkActiveNoRules is what a request pays with no rule set.
func BenchmarkActiveNoRules(b *testing.B) {
	s := &Set{}
	for b.Loop() {
		if s.Active() {
			b.Fatal("active")
		}
	}
}

// BenchmarkDecideMiss is a request that no rule matches, among ten rules.
func BenchmarkDecideMiss(b *testing.B) {
	s := &Set{}
	for range 10 {
		s.Add(Rule{Match: Match{Ops: []string{"UploadPart"}, Prefix: "x/"}, Error: slowDown()}, FromAPI)
	}
	q := &Request{Op: "PutObject", Key: "a/b"}
	for b.Loop() {
		if s.Decide(q) != nil {
			b.Fatal("fired")
		}
	}
}
