package policy

import (
	"bytes"
	"encoding/base64"
	"net/netip"
	"strings"
	"time"
)

// Condition is one condition key under one operator of a statement's
// Condition element, e.g. "StringEquals": {"s3express:SessionMode": "ReadOnly"}.
type Condition struct {
	Operator string   // as written, e.g. "ForAnyValue:StringLikeIfExists"
	Key      string   // as written, e.g. "aws:SourceIp"
	Values   []string // as written; JSON numbers and booleans as their text

	op       *operator
	set      setQualifier
	ifExists bool
	key      string // lower case
	vals     []condValue
}

// condValue is one precompiled value of a Condition.
type condValue struct {
	tmpl   *template // set when the value holds policy variables
	str    string    // String eq/eqfold
	glob   glob      // StringLike
	arn    arnPattern
	num    float64
	t      time.Time
	b      bool // Bool; Null: the key must be absent
	bin    []byte
	prefix netip.Prefix
}

// parseConditions parses a Condition element. vars enables policy variables.
func parseConditions(v *jsonValue, kind Kind, vars bool) ([]Condition, error) {
	if v.kind != jsonObject {
		return nil, errorf(kind, "Condition must be an object")
	}
	var out []Condition
	for _, om := range v.obj {
		po, ok := parseOperator(om.key)
		if !ok {
			return nil, errorf(kind, "Invalid Condition type : %s", om.key)
		}
		if om.val.kind != jsonObject || len(om.val.obj) == 0 {
			return nil, errorf(kind, "Condition operator %s must map condition keys to values", om.key)
		}
		for i, km := range om.val.obj {
			if !validConditionKey(km.key) {
				return nil, errorf(kind, "Policy has an invalid condition key: %s", km.key)
			}
			for _, prev := range om.val.obj[:i] {
				if strings.EqualFold(prev.key, km.key) {
					return nil, errorf(kind, "Duplicate condition key %s under %s", km.key, om.key)
				}
			}
			vals, ok := conditionValues(km.val)
			if !ok {
				return nil, errorf(kind, "Invalid Condition value for key %s", km.key)
			}
			c := Condition{
				Operator: om.key, Key: km.key, Values: vals,
				op: po.op, set: po.set, ifExists: po.ifExists, key: strings.ToLower(km.key),
			}
			for _, s := range vals {
				cv, err := compileConditionValue(po.op, s, vars)
				if err != nil {
					return nil, errorf(kind, "Invalid Condition value for operator %s: %s", om.key, s)
				}
				c.vals = append(c.vals, cv)
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// validConditionKey accepts "vendor:name" keys: a non-empty vendor, a colon,
// then printable characters without spaces.
func validConditionKey(k string) bool {
	vendor, name, ok := strings.Cut(k, ":")
	if !ok || vendor == "" || name == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] <= ' ' || k[i] == 0x7f {
			return false
		}
	}
	return true
}

// conditionValues accepts a string, number or boolean, or a non-empty list
// of them.
func conditionValues(v *jsonValue) ([]string, bool) {
	scalar := func(e *jsonValue) bool {
		return e.kind == jsonString || e.kind == jsonNumber || e.kind == jsonBool
	}
	if scalar(v) {
		return []string{v.str}, true
	}
	if v.kind != jsonArray || len(v.arr) == 0 {
		return nil, false
	}
	out := make([]string, 0, len(v.arr))
	for _, e := range v.arr {
		if !scalar(e) {
			return nil, false
		}
		out = append(out, e.str)
	}
	return out, true
}

// errBadValue marks a condition value that does not parse for its operator.
type errBadValue struct{}

func (errBadValue) Error() string { return "bad condition value" }

// compileConditionValue precompiles one value for op. Policy variables are
// honoured for the String, Arn and Bool operators, as AWS documents.
func compileConditionValue(op *operator, s string, vars bool) (condValue, error) {
	var cv condValue
	var ok bool
	switch op.typ {
	case typString, typARN, typBool:
		wild := op.cmp == cmpLike
		t, err := parseTemplate(s, wild, vars)
		if err != nil {
			return cv, err
		}
		if t.hasVars {
			cv.tmpl = &t
			return cv, nil
		}
		switch {
		case op.typ == typARN:
			cv.arn = compileARN(t.tokens())
		case op.typ == typBool:
			cv.str = t.literal()
			if _, ok := parseBool(cv.str); !ok {
				return cv, errBadValue{}
			}
		case wild:
			cv.glob = compileGlob(t.tokens(), false)
		default:
			cv.str = t.literal()
		}
		return cv, nil
	case typNumeric:
		cv.num, ok = parseNumber(s)
	case typDate:
		cv.t, ok = parseDate(s)
	case typIP:
		cv.prefix, ok = parseCIDR(s)
	case typBinary:
		var err error
		cv.bin, err = base64.StdEncoding.DecodeString(s)
		ok = err == nil
	case typNull:
		cv.b, ok = parseBool(s)
	}
	if !ok {
		return cv, errBadValue{}
	}
	return cv, nil
}

// eval reports whether the condition holds for the request.
//
// Values listed for the key are ORed. A key absent from the request makes a
// positive operator false and a negated one (StringNotEquals, NotIpAddress,
// ...) true; with IfExists an absent key makes the condition true;
// ForAllValues on an absent key is true and ForAnyValue false. A negated
// operator is the negation of its positive form over the request's values
// (NOR of the listed values), except under ForAnyValue/ForAllValues where
// it is applied to each request value.
func (c *Condition) eval(ec *evalCtx) bool {
	var buf [1]string
	vals := ec.values(c.key, &buf)
	present := len(vals) > 0
	if c.op.typ == typNull {
		for i := range c.vals {
			if c.vals[i].b == !present {
				return true
			}
		}
		return false
	}
	if !present {
		switch {
		case c.ifExists, c.set == setForAllValues:
			return true
		case c.set == setForAnyValue:
			return false
		}
		return c.op.negated
	}
	neg := c.op.negated
	switch c.set {
	case setForAllValues:
		for _, v := range vals {
			if c.matchOne(ec, v) == neg {
				return false
			}
		}
		return true
	case setForAnyValue:
		for _, v := range vals {
			if c.matchOne(ec, v) != neg {
				return true
			}
		}
		return false
	}
	for _, v := range vals {
		if c.matchOne(ec, v) {
			return !neg
		}
	}
	return neg
}

// matchOne reports whether the request value v matches any of the
// condition's values under the operator's positive comparison.
func (c *Condition) matchOne(ec *evalCtx, v string) bool {
	switch c.op.typ {
	case typString:
		for i := range c.vals {
			if c.matchString(ec, &c.vals[i], v) {
				return true
			}
		}
	case typARN:
		for i := range c.vals {
			pv := &c.vals[i]
			if pv.tmpl == nil {
				if pv.arn.match(v) {
					return true
				}
				continue
			}
			if toks, ok := pv.tmpl.resolve(ec); ok {
				p := compileARN(toks)
				if p.match(v) {
					return true
				}
			}
		}
	case typBool:
		b, ok := parseBool(v)
		if !ok {
			return false
		}
		for i := range c.vals {
			s := c.vals[i].str
			if c.vals[i].tmpl != nil {
				if s, ok = c.vals[i].tmpl.resolveString(ec); !ok {
					continue
				}
			}
			if pb, ok := parseBool(s); ok && pb == b {
				return true
			}
		}
	case typNumeric:
		n, ok := parseNumber(v)
		if !ok {
			return false
		}
		for i := range c.vals {
			if compareOrder(cmpFloat(n, c.vals[i].num), c.op.cmp) {
				return true
			}
		}
	case typDate:
		t, ok := parseDate(v)
		if !ok {
			return false
		}
		for i := range c.vals {
			if compareOrder(t.Compare(c.vals[i].t), c.op.cmp) {
				return true
			}
		}
	case typIP:
		a, ok := parseAddr(v)
		if !ok {
			return false
		}
		for i := range c.vals {
			if c.vals[i].prefix.Contains(a) {
				return true
			}
		}
	case typBinary:
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return false
		}
		for i := range c.vals {
			if bytes.Equal(b, c.vals[i].bin) {
				return true
			}
		}
	}
	return false
}

func (c *Condition) matchString(ec *evalCtx, pv *condValue, v string) bool {
	if pv.tmpl != nil {
		if c.op.cmp == cmpLike {
			toks, ok := pv.tmpl.resolve(ec)
			if !ok {
				return false
			}
			g := compileGlob(toks, false)
			return g.match(v)
		}
		s, ok := pv.tmpl.resolveString(ec)
		if !ok {
			return false
		}
		if c.op.cmp == cmpEqFold {
			return strings.EqualFold(s, v)
		}
		return s == v
	}
	switch c.op.cmp {
	case cmpEqFold:
		return strings.EqualFold(pv.str, v)
	case cmpLike:
		return pv.glob.match(v)
	}
	return pv.str == v
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compareOrder applies cmp to the result of comparing request value to
// policy value (-1, 0, +1).
func compareOrder(r int, cmp cmpKind) bool {
	switch cmp {
	case cmpEq:
		return r == 0
	case cmpLT:
		return r < 0
	case cmpLE:
		return r <= 0
	case cmpGT:
		return r > 0
	case cmpGE:
		return r >= 0
	}
	return false
}
