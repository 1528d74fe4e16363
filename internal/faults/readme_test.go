package faults

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeRecipes parses every rule the README's Fault injection section
// shows, in YAML and in the admin API's JSON, so the recipes keep working.
func TestReadmeRecipes(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(data), "\n## Fault injection\n")
	if !ok {
		t.Fatal("README has no Fault injection section")
	}
	sec, _, _ = strings.Cut(sec, "\n## ")
	yamls := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(sec, -1)
	jsons := regexp.MustCompile(`-d '(\{.*?\})'`).FindAllStringSubmatch(sec, -1)
	if len(yamls) < 4 || len(jsons) < 3 {
		t.Fatalf("found %d YAML blocks and %d JSON rules, want at least 4 and 3", len(yamls), len(jsons))
	}
	for _, m := range yamls {
		if _, err := ParseFile([]byte(m[1])); err != nil {
			t.Errorf("%v in:\n%s", err, m[1])
		}
	}
	for _, m := range jsons {
		if _, err := ParseJSON([]byte(m[1])); err != nil {
			t.Errorf("%v in %s", err, m[1])
		}
	}
}
