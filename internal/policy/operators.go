package policy

import "strings"

// opType is the data type an operator compares.
type opType uint8

const (
	typString opType = iota
	typNumeric
	typDate
	typBool
	typBinary
	typIP
	typARN
	typNull
)

// cmpKind is the positive comparison an operator makes. A negated
// operator (StringNotEquals, NotIpAddress, ...) makes the same comparison
// and inverts the outcome.
type cmpKind uint8

const (
	cmpEq     cmpKind = iota
	cmpEqFold         // strings, ignoring case
	cmpLike           // wildcard match
	cmpLT
	cmpLE
	cmpGT
	cmpGE
	cmpIn // address in CIDR
)

// operator describes a base condition operator (without qualifiers).
type operator struct {
	name    string
	typ     opType
	cmp     cmpKind
	negated bool
}

var operators = map[string]*operator{}

func init() {
	for _, op := range []operator{
		{"StringEquals", typString, cmpEq, false},
		{"StringNotEquals", typString, cmpEq, true},
		{"StringEqualsIgnoreCase", typString, cmpEqFold, false},
		{"StringNotEqualsIgnoreCase", typString, cmpEqFold, true},
		{"StringLike", typString, cmpLike, false},
		{"StringNotLike", typString, cmpLike, true},
		{"NumericEquals", typNumeric, cmpEq, false},
		{"NumericNotEquals", typNumeric, cmpEq, true},
		{"NumericLessThan", typNumeric, cmpLT, false},
		{"NumericLessThanEquals", typNumeric, cmpLE, false},
		{"NumericGreaterThan", typNumeric, cmpGT, false},
		{"NumericGreaterThanEquals", typNumeric, cmpGE, false},
		{"DateEquals", typDate, cmpEq, false},
		{"DateNotEquals", typDate, cmpEq, true},
		{"DateLessThan", typDate, cmpLT, false},
		{"DateLessThanEquals", typDate, cmpLE, false},
		{"DateGreaterThan", typDate, cmpGT, false},
		{"DateGreaterThanEquals", typDate, cmpGE, false},
		{"Bool", typBool, cmpEq, false},
		{"BinaryEquals", typBinary, cmpEq, false},
		{"IpAddress", typIP, cmpIn, false},
		{"NotIpAddress", typIP, cmpIn, true},
		{"ArnEquals", typARN, cmpLike, false},
		{"ArnNotEquals", typARN, cmpLike, true},
		{"ArnLike", typARN, cmpLike, false},
		{"ArnNotLike", typARN, cmpLike, true},
		{"Null", typNull, cmpEq, false},
	} {
		operators[strings.ToLower(op.name)] = &op
	}
}

// setQualifier is the ForAnyValue:/ForAllValues: prefix of an operator.
type setQualifier uint8

const (
	setNone setQualifier = iota
	setForAnyValue
	setForAllValues
)

// parsedOperator is a full operator name split into its parts.
type parsedOperator struct {
	op       *operator
	set      setQualifier
	ifExists bool
}

// parseOperator splits names such as "ForAllValues:StringLikeIfExists".
// Operator names are matched without regard to case.
func parseOperator(name string) (parsedOperator, bool) {
	var p parsedOperator
	s := name
	if q, rest, ok := strings.Cut(s, ":"); ok {
		switch strings.ToLower(q) {
		case "foranyvalue":
			p.set = setForAnyValue
		case "forallvalues":
			p.set = setForAllValues
		default:
			return p, false
		}
		s = rest
	}
	lower := strings.ToLower(s)
	if base, ok := strings.CutSuffix(lower, "ifexists"); ok {
		p.ifExists = true
		lower = base
	}
	op, ok := operators[lower]
	if !ok {
		return p, false
	}
	if op.typ == typNull && (p.ifExists || p.set != setNone) {
		return p, false
	}
	p.op = op
	return p, true
}
