package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Where a refused policy document goes wrong, for people editing it: the
// validators (policy.Parse, behind iam's and the bucket policy's checks)
// say what is wrong as AWS does, without a place; the console finds one.

// position is a place in a document, 1-based; the column counts
// characters, not bytes.
type position struct{ Line, Col int }

func (p position) String() string {
	return "line " + strconv.Itoa(p.Line) + ", column " + strconv.Itoa(p.Col)
}

// positionAt is the position of byte offset off of doc.
func positionAt(doc []byte, off int) position {
	off = min(max(off, 0), len(doc))
	before := doc[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	if i := bytes.LastIndexByte(before, '\n'); i >= 0 {
		before = before[i+1:]
	}
	return position{Line: line, Col: utf8.RuneCount(before) + 1}
}

// jsonKey is an object member's name and where it starts.
type jsonKey struct {
	name  string
	off   int
	depth int
}

// jsonOutline is what locating an error needs of a document: every key
// with its offset, the first key repeated within its object, and the
// byte ranges of the top-level Statement's statements.
type jsonOutline struct {
	keys       []jsonKey
	dup        int // offset of the first repeated key; -1 for none
	statements [][2]int
}

// outline walks doc, which must be valid JSON.
func outline(doc []byte) jsonOutline {
	o := jsonOutline{dup: -1}
	dec := json.NewDecoder(bytes.NewReader(doc))
	// start is where the next token begins: the decoder's offset is the
	// end of the last one, before any separator.
	start := func() int {
		i := int(dec.InputOffset())
		for i < len(doc) && strings.IndexByte(" \t\r\n,:", doc[i]) >= 0 {
			i++
		}
		return i
	}
	var walk func(depth int, inStatement bool) (int, bool)
	walk = func(depth int, statementList bool) (int, bool) {
		off := start()
		tok, err := dec.Token()
		if err != nil {
			return off, false
		}
		d, ok := tok.(json.Delim)
		if !ok {
			return off, true
		}
		switch d {
		case '[':
			for dec.More() {
				s, ok := walk(depth+1, false)
				if !ok {
					return off, false
				}
				if statementList {
					o.statements = append(o.statements, [2]int{s, int(dec.InputOffset())})
				}
			}
		case '{':
			seen := map[string]bool{}
			for dec.More() {
				koff := start()
				kt, err := dec.Token()
				if err != nil {
					return off, false
				}
				name, _ := kt.(string)
				if seen[name] && o.dup < 0 {
					o.dup = koff
				}
				seen[name] = true
				o.keys = append(o.keys, jsonKey{name, koff, depth})
				isStatement := depth == 0 && name == "Statement"
				vs := start()
				if isStatement && vs < len(doc) && doc[vs] == '{' {
					s, ok := walk(depth+1, false)
					if !ok {
						return off, false
					}
					o.statements = append(o.statements, [2]int{s, int(dec.InputOffset())})
					continue
				}
				if _, ok := walk(depth+1, isStatement); !ok {
					return off, false
				}
			}
		}
		_, err = dec.Token() // the closing delimiter
		return off, err == nil
	}
	walk(0, false)
	return o
}

// keyIn returns the offset of the first key named name within [from,
// to), or -1.
func (o *jsonOutline) keyIn(name string, from, to int) int {
	for _, k := range o.keys {
		if k.name == name && k.off >= from && k.off < to {
			return k.off
		}
	}
	return -1
}

// locatePolicy finds where doc, refused by parse with message msg, goes
// wrong: the JSON decoder's offset for a syntax error; a repeated key;
// the first statement that parse refuses on its own (at the member the
// message names, when it names one); a top-level member the message
// names; else the document's start.
func locatePolicy(doc []byte, msg string, parse func([]byte) error) position {
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			// Offset is just past the offending byte; at the end, the
			// document stopped short.
			off := int(se.Offset)
			if se.Error() != "unexpected end of JSON input" {
				off--
			}
			return positionAt(doc, off)
		}
		return positionAt(doc, 0)
	}
	o := outline(doc)
	if o.dup >= 0 {
		return positionAt(doc, o.dup)
	}
	named := fieldNamed(msg)
	var top map[string]json.RawMessage
	_ = json.Unmarshal(doc, &top)
	for _, st := range o.statements {
		one, _ := json.Marshal(map[string]json.RawMessage{
			"Version": top["Version"], "Statement": json.RawMessage(doc[st[0]:st[1]])})
		if top["Version"] == nil {
			one, _ = json.Marshal(map[string]json.RawMessage{"Statement": json.RawMessage(doc[st[0]:st[1]])})
		}
		if parse(one) != nil {
			if named != "" {
				if off := o.keyIn(named, st[0], st[1]); off >= 0 {
					return positionAt(doc, off)
				}
			}
			return positionAt(doc, st[0])
		}
	}
	if named == "" && strings.Contains(msg, "version") {
		named = "Version"
	}
	if named != "" {
		if off := o.keyIn(named, 0, len(doc)); off >= 0 {
			return positionAt(doc, off)
		}
	}
	if off := o.keyIn("Statement", 0, len(doc)); off >= 0 && strings.Contains(msg, "Statement") {
		return positionAt(doc, off)
	}
	return positionAt(doc, 0)
}

// policyProblem is a validator's message about doc with where doc goes
// wrong; for a document that is not JSON at all, the decoder's complaint
// replaces AWS's generic one ("Policies must be valid JSON...").
func policyProblem(doc []byte, msg string, parse func([]byte) error) string {
	var v any
	var se *json.SyntaxError
	if err := json.Unmarshal(doc, &v); errors.As(err, &se) {
		msg = "The document is not valid JSON: " + se.Error()
	}
	return msg + " (at " + locatePolicy(doc, msg, parse).String() + ")"
}

// fieldNamed is the member a validation message names ("Unknown field
// X", "Duplicate field X", "Missing required field X"), or "".
func fieldNamed(msg string) string {
	for _, p := range []string{"Unknown field ", "Duplicate field ", "Missing required field "} {
		if i := strings.Index(msg, p); i >= 0 {
			name, _, _ := strings.Cut(msg[i+len(p):], " ")
			return strings.TrimRight(name, ".,;")
		}
	}
	return ""
}

// statementAt is the position of statement i of doc (valid JSON).
func statementAt(doc []byte, i int) position {
	o := outline(doc)
	if i >= 0 && i < len(o.statements) {
		return positionAt(doc, o.statements[i][0])
	}
	return positionAt(doc, 0)
}

// prettyJSON indents a stored document for reading; one that does not
// parse is shown as it is.
func prettyJSON(doc []byte) string {
	var b bytes.Buffer
	if err := json.Indent(&b, doc, "", "  "); err != nil {
		return string(doc)
	}
	return b.String()
}
