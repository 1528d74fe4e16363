package console

import (
	"testing"

	"github.com/zonal-dev/zonal/internal/policy"
)

func TestLocatePolicy(t *testing.T) {
	parse := func(doc []byte) error {
		_, err := policy.Parse(doc, policy.Identity, policy.Options{})
		return err
	}
	for _, c := range []struct {
		doc  string
		want position
	}{
		// Syntax: where the decoder stopped.
		{"{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\",, }\n  ]\n}", position{4, 24}},
		{"{\n  \"Statement\": [", position{2, 17}},
		{"{\"a\": \"ü\" x}", position{1, 11}},
		// A repeated key.
		{"{\"Version\": \"2012-10-17\",\n \"Version\": \"2012-10-17\"}", position{2, 2}},
		// The second statement is refused on its own: at its unknown member.
		{"{\"Version\": \"2012-10-17\", \"Statement\": [\n {\"Effect\": \"Allow\", \"Action\": \"s3express:*\", \"Resource\": \"*\"},\n {\"Effect\": \"Allow\", \"Bogus\": 1, \"Action\": \"*\", \"Resource\": \"*\"}]}", position{3, 22}},
		// A bad effect: at the statement.
		{"{\"Version\": \"2012-10-17\",\n\"Statement\": {\"Effect\": \"Maybe\", \"Action\": \"*\", \"Resource\": \"*\"}}", position{2, 14}},
		// A top-level problem: at its member.
		{"{\"Version\": \"2012-10-17\", \"Statement\": [],\n \"Extra\": 1}", position{2, 2}},
		{"{\n \"Version\": \"1999\", \"Statement\": []}", position{2, 2}},
	} {
		err := parse([]byte(c.doc))
		if err == nil {
			t.Fatalf("%q parsed", c.doc)
		}
		if got := locatePolicy([]byte(c.doc), err.Error(), parse); got != c.want {
			t.Errorf("%q (%v): at %v, want %v", c.doc, err, got, c.want)
		}
	}
}
