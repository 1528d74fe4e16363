// Package faults injects failures into S3 requests on purpose, so users can
// test how their clients cope with what a local server never does on its
// own: S3 errors (SlowDown, InternalError, ExpiredToken...), added latency,
// connection resets, truncated bodies and throttled transfers.
//
// A Rule matches requests (operation, bucket, key prefix, principal,
// session mode, method, part number) and fires with a probability, every
// Nth match or for the first N matches, from a seeded generator of its own
// so a run is reproducible. A Set holds the rules; the S3 front end asks it
// once per authenticated request (Decide) and applies the Fault it gets.
// With no rules, Decide is one atomic load.
package faults

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Rule is one fault rule. YAML (the --faults file) and JSON (the admin
// API) share its field names.
type Rule struct {
	// Name identifies the rule: in the x-zonal-fault response header, the
	// metrics, the log and the admin API. Unique within a Set; given one
	// when empty.
	Name  string `json:"name,omitempty" yaml:"name,omitempty"`
	Match Match  `json:"match,omitzero" yaml:"match,omitempty"`

	// Effects: Latency may accompany any other one; Error, Reset, Truncate
	// and Throttle exclude each other.
	Error    *Error    `json:"error,omitempty" yaml:"error,omitempty"`
	Latency  *Latency  `json:"latency,omitempty" yaml:"latency,omitempty"`
	Reset    *Reset    `json:"reset,omitempty" yaml:"reset,omitempty"`
	Truncate *Truncate `json:"truncate,omitempty" yaml:"truncate,omitempty"`
	Throttle *Throttle `json:"throttle,omitempty" yaml:"throttle,omitempty"`

	// Firing: a matching request fires when it is the Every-th match
	// (0 or 1: each), fewer than First have fired yet (0: no limit), and
	// a draw from the rule's generator, seeded with Seed, falls under
	// Probability (unset: 1).
	Probability *float64 `json:"probability,omitempty" yaml:"probability,omitempty"`
	Every       int      `json:"every,omitempty" yaml:"every,omitempty"`
	First       int      `json:"first,omitempty" yaml:"first,omitempty"`
	Seed        uint64   `json:"seed,omitempty" yaml:"seed,omitempty"`
}

// Match selects requests; an empty field matches everything.
type Match struct {
	Ops       []string `json:"ops,omitempty" yaml:"ops,omitempty"` // S3 operation names, e.g. PutObject
	Bucket    string   `json:"bucket,omitempty" yaml:"bucket,omitempty"`
	Prefix    string   `json:"prefix,omitempty" yaml:"prefix,omitempty"`       // key prefix
	Principal string   `json:"principal,omitempty" yaml:"principal,omitempty"` // ARN
	// Session is the request's credentials: "session" (any
	// CreateSession credentials), a session mode ("ReadWrite",
	// "ReadOnly", "ControlOnly"), or "none" (long-term keys).
	Session string   `json:"session,omitempty" yaml:"session,omitempty"`
	Methods []string `json:"methods,omitempty" yaml:"methods,omitempty"` // GET, PUT, ...
	Parts   []int    `json:"parts,omitempty" yaml:"parts,omitempty"`     // partNumber of UploadPart or GetObject
}

// Error answers the request with an S3 error instead of serving it.
type Error struct {
	Status  int    `json:"status" yaml:"status"`
	Code    string `json:"code" yaml:"code"`
	Message string `json:"message,omitempty" yaml:"message,omitempty"`
}

// Latency delays the response: First before its first byte, Body spread
// over the body in proportion to its Content-Length (all before the first
// body byte when the length is unknown).
type Latency struct {
	First Duration `json:"first,omitzero" yaml:"first,omitempty"`
	Body  Duration `json:"body,omitzero" yaml:"body,omitempty"`
}

// Reset drops the connection (TCP RST over HTTP/1.1, a stream reset over
// HTTP/2) once the response body has sent AfterResponseBytes, or once the
// request body has delivered AfterRequestBytes when that is set.
type Reset struct {
	AfterResponseBytes int64 `json:"after_response_bytes,omitempty" yaml:"after_response_bytes,omitempty"`
	AfterRequestBytes  int64 `json:"after_request_bytes,omitempty" yaml:"after_request_bytes,omitempty"`
}

// Truncate ends the response body after AfterBytes while its headers
// promised more: the client sees the connection close early.
type Truncate struct {
	AfterBytes int64 `json:"after_bytes" yaml:"after_bytes"`
}

// Throttle sends the response body at BytesPerSecond.
type Throttle struct {
	BytesPerSecond int64 `json:"bytes_per_second" yaml:"bytes_per_second"`
}

// Duration is a time.Duration written as Go writes it ("250ms", "2s").
type Duration time.Duration

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration (like 250ms or 2s)", b)
	}
	*d = Duration(v)
	return nil
}

// File is the --faults file: a list of rules.
type File struct {
	Rules []Rule `json:"rules" yaml:"rules"`
}

// Limits that keep a Set, and its metrics' label set, small.
const (
	MaxRules   = 100
	maxNameLen = 64
	maxSleep   = 10 * time.Minute
)

var (
	nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	codeRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9.]*$`)
)

// ParseFile reads a --faults file (YAML, of which JSON is a subset),
// refusing unknown fields, and validates its rules.
func ParseFile(data []byte) ([]Rule, error) {
	var f File
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("faults file: %w", err)
	}
	if len(f.Rules) > MaxRules {
		return nil, fmt.Errorf("faults file: %d rules, more than the %d allowed", len(f.Rules), MaxRules)
	}
	seen := map[string]bool{}
	for i := range f.Rules {
		if err := f.Rules[i].Validate(); err != nil {
			return nil, fmt.Errorf("faults file: rule %d: %w", i+1, err)
		}
		if n := f.Rules[i].Name; n != "" {
			if seen[n] {
				return nil, fmt.Errorf("faults file: rule %d: name %q is used twice", i+1, n)
			}
			seen[n] = true
		}
	}
	return f.Rules, nil
}

// ParseJSON reads one rule as the admin API takes it, refusing unknown
// fields and trailing data, and validates it.
func ParseJSON(data []byte) (Rule, error) {
	var r Rule
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Rule{}, fmt.Errorf("rule: %w", err)
	}
	if dec.More() {
		return Rule{}, errors.New("rule: data after the JSON object")
	}
	if err := r.Validate(); err != nil {
		return Rule{}, err
	}
	return r, nil
}

// Validate reports the first problem with r, naming the field. An empty
// list matches like an absent one, so it is made absent: the YAML and
// JSON forms of one rule then stay identical.
func (r *Rule) Validate() error {
	m := &r.Match
	if len(m.Ops) == 0 {
		m.Ops = nil
	}
	if len(m.Methods) == 0 {
		m.Methods = nil
	}
	if len(m.Parts) == 0 {
		m.Parts = nil
	}
	if r.Name != "" && (len(r.Name) > maxNameLen || !nameRE.MatchString(r.Name)) {
		return fmt.Errorf("name %q: use up to %d letters, digits, '.', '_' or '-'", r.Name, maxNameLen)
	}
	for _, op := range r.Match.Ops {
		if !codeRE.MatchString(op) {
			return fmt.Errorf("match.ops: %q is not an operation name", op)
		}
	}
	switch r.Match.Session {
	case "", "session", "none", "ReadWrite", "ReadOnly", "ControlOnly":
	default:
		return fmt.Errorf(`match.session: %q is none of "session", "ReadWrite", "ReadOnly", "ControlOnly" or "none"`, r.Match.Session)
	}
	for _, m := range r.Match.Methods {
		if m == "" || strings.ToUpper(m) != m || strings.ContainsAny(m, " \t/") {
			return fmt.Errorf("match.methods: %q is not an HTTP method in capitals", m)
		}
	}
	for _, p := range r.Match.Parts {
		if p < 1 || p > 10000 {
			return fmt.Errorf("match.parts: %d is not a part number (1-10000)", p)
		}
	}
	exclusive := 0
	if e := r.Error; e != nil {
		exclusive++
		if e.Status < 300 || e.Status > 599 {
			return fmt.Errorf("error.status: %d is not an error status (300-599)", e.Status)
		}
		if !codeRE.MatchString(e.Code) || len(e.Code) > 64 {
			return fmt.Errorf("error.code: %q is not an S3 error code (like SlowDown)", e.Code)
		}
		if len(e.Message) > 1024 {
			return errors.New("error.message: longer than 1024 bytes")
		}
	}
	if l := r.Latency; l != nil {
		if l.First < 0 || l.Body < 0 || time.Duration(l.First) > maxSleep || time.Duration(l.Body) > maxSleep {
			return fmt.Errorf("latency: durations must be between 0 and %v", maxSleep)
		}
		if l.First == 0 && l.Body == 0 {
			return errors.New("latency: set first, body or both")
		}
	}
	if x := r.Reset; x != nil {
		exclusive++
		if x.AfterResponseBytes < 0 || x.AfterRequestBytes < 0 {
			return errors.New("reset: byte counts must not be negative")
		}
		if x.AfterResponseBytes > 0 && x.AfterRequestBytes > 0 {
			return errors.New("reset: set after_response_bytes or after_request_bytes, not both")
		}
	}
	if x := r.Truncate; x != nil {
		exclusive++
		if x.AfterBytes < 0 {
			return errors.New("truncate.after_bytes must not be negative")
		}
	}
	if x := r.Throttle; x != nil {
		exclusive++
		if x.BytesPerSecond < 1 {
			return errors.New("throttle.bytes_per_second must be at least 1")
		}
	}
	if exclusive > 1 {
		return errors.New("error, reset, truncate and throttle exclude each other: one per rule")
	}
	if exclusive == 0 && r.Latency == nil {
		return errors.New("no effect: set error, latency, reset, truncate or throttle")
	}
	if p := r.Probability; p != nil && !(*p >= 0 && *p <= 1) {
		return fmt.Errorf("probability: %v is not in [0, 1]", *p)
	}
	if r.Every < 0 || r.First < 0 {
		return errors.New("every and first must not be negative")
	}
	return nil
}
