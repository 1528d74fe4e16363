package faults

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzParse feeds the --faults file parser anything: it must not panic,
// and every rule it accepts must survive the admin API's JSON form
// unchanged (the two forms are one schema).
func FuzzParse(f *testing.F) {
	f.Add([]byte(sampleFile))
	f.Add([]byte(`{"rules":[{"name":"j","error":{"status":500,"code":"InternalError"},"every":2}]}`))
	f.Add([]byte("rules:\n  - {throttle: {bytes_per_second: 1024}, match: {parts: [1, 2]}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, err := ParseFile(data)
		if err != nil {
			return
		}
		for _, r := range rules {
			js, err := json.Marshal(r)
			if err != nil {
				t.Fatalf("marshal %+v: %v", r, err)
			}
			back, err := ParseJSON(js)
			if err != nil {
				t.Fatalf("accepted in YAML, refused in JSON: %s: %v", js, err)
			}
			js2, _ := json.Marshal(back)
			if !bytes.Equal(js, js2) {
				t.Fatalf("round trip changed the rule:\n%s\n%s", js, js2)
			}
		}
	})
}
