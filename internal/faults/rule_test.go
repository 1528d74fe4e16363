package faults

import (
	"strings"
	"testing"
	"time"
)

const sampleFile = `
rules:
  - name: slowdown-puts
    match: {ops: [PutObject, UploadPart], bucket: b--use1-az4--x-s3, prefix: logs/}
    error: {status: 503, code: SlowDown}
    probability: 0.25
    seed: 7
  - name: slow-get
    match: {ops: [GetObject], methods: [GET], session: ReadWrite, parts: [2]}
    latency: {first: 150ms, body: 2s}
  - match: {principal: "arn:aws:iam::000000000000:root"}
    reset: {after_request_bytes: 1024}
    every: 3
    first: 1
`

func TestParseFile(t *testing.T) {
	rules, err := ParseFile([]byte(sampleFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 3 {
		t.Fatalf("%d rules", len(rules))
	}
	r := rules[0]
	if r.Name != "slowdown-puts" || r.Error.Code != "SlowDown" || r.Error.Status != 503 || *r.Probability != 0.25 || r.Seed != 7 ||
		r.Match.Prefix != "logs/" || len(r.Match.Ops) != 2 {
		t.Fatalf("rule 1: %+v", r)
	}
	if l := rules[1].Latency; time.Duration(l.First) != 150*time.Millisecond || time.Duration(l.Body) != 2*time.Second {
		t.Fatalf("latency: %+v", l)
	}
	if rules[2].Reset.AfterRequestBytes != 1024 || rules[2].Every != 3 || rules[2].First != 1 {
		t.Fatalf("rule 3: %+v", rules[2])
	}
	if rules, err := ParseFile(nil); err != nil || len(rules) != 0 {
		t.Fatalf("empty file: %v %v", rules, err)
	}
}

// The JSON of the admin API is the YAML file's schema.
func TestParseJSON(t *testing.T) {
	r, err := ParseJSON([]byte(`{"name":"x","match":{"ops":["GetObject"]},"truncate":{"after_bytes":10},"latency":{"first":"1s"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if r.Truncate.AfterBytes != 10 || time.Duration(r.Latency.First) != time.Second {
		t.Fatalf("%+v", r)
	}
}

func TestValidateRefuses(t *testing.T) {
	for _, tc := range []struct{ json, want string }{
		{`{"error":{"status":503,"code":"SlowDown"},"surprise":1}`, "unknown field"},
		{`{"error":{"status":200,"code":"SlowDown"}}`, "error.status"},
		{`{"error":{"status":503,"code":"Slow Down"}}`, "error.code"},
		{`{"error":{"status":503,"code":""}}`, "error.code"},
		{`{"error":{"status":503,"code":"SlowDown"},"probability":1.5}`, "probability"},
		{`{"error":{"status":503,"code":"SlowDown"},"probability":-0.1}`, "probability"},
		{`{"error":{"status":503,"code":"SlowDown"},"every":-1}`, "negative"},
		{`{"match":{"ops":["PutObject"]}}`, "no effect"},
		{`{"error":{"status":503,"code":"SlowDown"},"reset":{}}`, "exclude"},
		{`{"reset":{"after_response_bytes":1,"after_request_bytes":1}}`, "not both"},
		{`{"throttle":{"bytes_per_second":0}}`, "bytes_per_second"},
		{`{"latency":{"first":"soon"}}`, "duration"},
		{`{"latency":{}}`, "latency"},
		{`{"latency":{"first":"1h"}}`, "between"},
		{`{"name":"has space","latency":{"first":"1s"}}`, "name"},
		{`{"match":{"session":"sometimes"},"latency":{"first":"1s"}}`, "match.session"},
		{`{"match":{"methods":["get"]},"latency":{"first":"1s"}}`, "match.methods"},
		{`{"match":{"parts":[0]},"latency":{"first":"1s"}}`, "match.parts"},
		{`{"latency":{"first":"1s"}} {}`, "after the JSON"},
	} {
		_, err := ParseJSON([]byte(tc.json))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error about %q", tc.json, err, tc.want)
		}
	}
	if _, err := ParseFile([]byte("rules:\n  - {name: a, latency: {first: 1s}}\n  - {name: a, latency: {first: 1s}}\n")); err == nil ||
		!strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate names: %v", err)
	}
	if _, err := ParseFile([]byte("rule:\n  - {latency: {first: 1s}}\n")); err == nil {
		t.Error("unknown top-level key accepted")
	}
}
