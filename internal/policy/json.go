package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// jsonKind is the type of a decoded JSON value.
type jsonKind uint8

const (
	jsonNull jsonKind = iota
	jsonBool
	jsonNumber
	jsonString
	jsonArray
	jsonObject
)

// jsonValue is a decoded JSON value that, unlike map[string]any, keeps the
// order of object members so validation errors are deterministic.
type jsonValue struct {
	kind jsonKind
	str  string // string value, number literal, or "true"/"false"
	arr  []*jsonValue
	obj  []jsonMember
}

type jsonMember struct {
	key string
	val *jsonValue
}

// maxJSONDepth bounds nesting; a policy never needs more than a handful.
const maxJSONDepth = 32

var (
	errJSONSyntax = errors.New("invalid JSON")
	errJSONDepth  = errors.New("JSON nested too deeply")
)

// dupKeyError names a key that occurs twice in one object.
type dupKeyError struct{ key string }

func (e *dupKeyError) Error() string { return "duplicate key " + e.key }

// decodeJSON decodes exactly one JSON value from data. Duplicate keys in an
// object are an error (*dupKeyError), as is trailing data.
func decodeJSON(data []byte) (*jsonValue, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errJSONSyntax
	}
	return v, nil
}

func decodeValue(dec *json.Decoder, depth int) (*jsonValue, error) {
	if depth > maxJSONDepth {
		return nil, errJSONDepth
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, errJSONSyntax
	}
	switch t := tok.(type) {
	case nil:
		return &jsonValue{kind: jsonNull}, nil
	case bool:
		s := "false"
		if t {
			s = "true"
		}
		return &jsonValue{kind: jsonBool, str: s}, nil
	case json.Number:
		return &jsonValue{kind: jsonNumber, str: string(t)}, nil
	case string:
		return &jsonValue{kind: jsonString, str: t}, nil
	case json.Delim:
		switch t {
		case '[':
			v := &jsonValue{kind: jsonArray}
			for dec.More() {
				e, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				v.arr = append(v.arr, e)
			}
			if _, err := dec.Token(); err != nil { // ']'
				return nil, errJSONSyntax
			}
			return v, nil
		case '{':
			v := &jsonValue{kind: jsonObject}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, errJSONSyntax
				}
				key, ok := kt.(string)
				if !ok {
					return nil, errJSONSyntax
				}
				for _, m := range v.obj {
					if m.key == key {
						return nil, &dupKeyError{key: key}
					}
				}
				e, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				v.obj = append(v.obj, jsonMember{key: key, val: e})
			}
			if _, err := dec.Token(); err != nil { // '}'
				return nil, errJSONSyntax
			}
			return v, nil
		}
	}
	return nil, errJSONSyntax
}

// policySize is the size AWS counts against a policy quota: every byte
// except JSON whitespace outside string literals.
func policySize(data []byte) int {
	n := 0
	inString, escaped := false, false
	for _, c := range data {
		switch {
		case inString:
			n++
			if escaped {
				escaped = false
			} else if c == '\\' {
				escaped = true
			} else if c == '"' {
				inString = false
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		default:
			n++
			if c == '"' {
				inString = true
			}
		}
	}
	return n
}
