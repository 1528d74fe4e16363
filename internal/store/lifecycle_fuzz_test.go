package store

import (
	"encoding/xml"
	"errors"
	"fmt"
	"reflect"
	"testing"
)

// FuzzLifecycle feeds arbitrary documents to ParseLifecycle. It must never
// panic and must refuse with a 4xx S3 error; a configuration it accepts
// must hold 1 to 1000 rules, every rule must yield its selector (the
// lifecycle worker ignores that error, trusting the validation), and the
// configuration must marshal back to XML that parses to the same rules and
// selectors. Seeds: testdata/fuzz/FuzzLifecycle.
func FuzzLifecycle(f *testing.F) {
	f.Add([]byte(`<LifecycleConfiguration><Rule><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		cfg, err := ParseLifecycle(doc)
		if err != nil {
			if !isClientError(err) {
				t.Fatalf("ParseLifecycle(%q): error %v is not a client error (Malformed or InvalidArgument)", doc, err)
			}
			if cfg != nil {
				t.Fatalf("ParseLifecycle(%q): a configuration with an error", doc)
			}
			return
		}
		if n := len(cfg.Rules); n < 1 || n > 1000 {
			t.Fatalf("ParseLifecycle(%q): accepted %d rules", doc, n)
		}
		sels := make([]selector, len(cfg.Rules))
		for i, r := range cfg.Rules {
			if sels[i], err = r.selector(); err != nil {
				t.Fatalf("ParseLifecycle(%q) accepted rule %d, whose selector fails: %v", doc, i, err)
			}
			if sels[i].expireDays <= 0 && sels[i].mpDays <= 0 {
				t.Fatalf("ParseLifecycle(%q) accepted rule %d without an action", doc, i)
			}
		}
		out, err := xml.Marshal(cfg)
		if err != nil {
			t.Fatalf("ParseLifecycle(%q) accepted a configuration that does not marshal: %v", doc, err)
		}
		again, err := ParseLifecycle(out)
		if err != nil {
			t.Fatalf("re-parsing the marshalled configuration failed: %v\n  input     %q\n  marshalled %q", err, doc, out)
		}
		if !reflect.DeepEqual(again.Rules, cfg.Rules) {
			t.Fatalf("rules changed through marshal and re-parse:\n  input      %q\n  marshalled %q\n  first  %+v\n  second %+v", doc, out, cfg.Rules, again.Rules)
		}
		for i, r := range again.Rules {
			if sel, _ := r.selector(); sel != sels[i] {
				t.Fatalf("rule %d selector changed through marshal and re-parse: %+v, then %+v\n  input %q", i, sels[i], sel, doc)
			}
		}
	})
}

// TestLifecycleFilterExactlyOne: a lifecycle Filter holds exactly one of
// Prefix, Tag, ObjectSizeGreaterThan, ObjectSizeLessThan or And (the S3 API
// reference, LifecycleRule.Filter / LifecycleRuleFilter), and S3 refuses a
// document that sets more. Accepting one silently drops conditions: with
// And present the sibling Prefix is ignored, so a rule meant for "keep/"
// expires every object of the bucket; with And present a sibling size
// bound is ignored too. (A Filter with Prefix and a size but no And is
// refused by S3 as well, but zonal's reading of it, both conditions, is
// harmless; it is left out here.) Found while writing FuzzLifecycle.
func TestLifecycleFilterExactlyOne(t *testing.T) {
	for name, filter := range map[string]string{
		"Prefix beside And":             `<Prefix>keep/</Prefix><And><ObjectSizeGreaterThan>1</ObjectSizeGreaterThan><ObjectSizeLessThan>100</ObjectSizeLessThan></And>`,
		"ObjectSizeLessThan beside And": `<ObjectSizeLessThan>100</ObjectSizeLessThan><And><Prefix>tmp/</Prefix><ObjectSizeGreaterThan>1</ObjectSizeGreaterThan></And>`,
	} {
		doc := `<LifecycleConfiguration><Rule><ID>r</ID><Filter>` + filter + `</Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>`
		cfg, err := ParseLifecycle([]byte(doc))
		if err == nil {
			sel, _ := cfg.Rules[0].selector()
			upper := "no upper bound"
			if sel.less >= 0 {
				upper = fmt.Sprintf("< %d", sel.less)
			}
			t.Errorf("%s: accepted (the rule applies to prefix %q, sizes > %d, %s); S3 refuses a Filter with more than one condition outside And",
				name, sel.prefix, sel.greater, upper)
			continue
		}
		if !isClientError(err) {
			t.Errorf("%s: %v, want a client error (Malformed or InvalidArgument)", name, err)
		}
	}
}

// isClientError reports whether err is a kind S3 answers with 400: the
// document is malformed or a value is out of range.
func isClientError(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.Kind == Malformed || e.Kind == InvalidArgument)
}
