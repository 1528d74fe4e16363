package policy

import (
	"errors"
	"strconv"
	"strings"
)

// Kind says where a policy is attached, which decides what it may contain.
type Kind uint8

const (
	// Identity policies are attached to users; they must not name a
	// Principal. Errors carry the IAM code MalformedPolicyDocument.
	Identity Kind = iota + 1
	// Resource policies are attached to buckets; every statement names a
	// Principal or NotPrincipal. Errors carry the S3 code MalformedPolicy.
	Resource
)

func (k Kind) String() string {
	switch k {
	case Identity:
		return "identity"
	case Resource:
		return "resource"
	}
	return "invalid"
}

// Size quotas AWS applies, for Options.Limit.
const (
	LimitInlineUser = 2048      // inline user policy, characters without whitespace
	LimitManaged    = 6144      // managed policy, characters without whitespace
	LimitBucket     = 20 * 1024 // bucket policy, bytes without whitespace
)

// Policy language versions.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17" // also the version of a policy without Version
)

// Options tunes Parse.
type Options struct {
	// Limit is the largest accepted size in bytes, not counting JSON
	// whitespace outside strings; 0 means no limit. See LimitInlineUser,
	// LimitManaged and LimitBucket.
	Limit int
	// DirectoryBucket restricts actions to s3express:CreateSession, the
	// only action a directory bucket policy may name: each Action must be
	// it or a wildcard pattern matching it and no other s3express action,
	// and NotAction is refused.
	DirectoryBucket bool
	// ResourceARN, when set, is the ARN of the resource the policy is
	// attached to; every Resource entry without policy variables must
	// match it.
	ResourceARN string
	// ValidPrincipal, when set, is asked about every principal ARN named
	// in the policy (an account id as arn:aws:iam::ACCOUNT:root); false
	// rejects the policy with "Invalid principal in policy", as AWS does
	// for principals that do not exist.
	ValidPrincipal func(arn string) bool
}

// Effect is a statement's Effect.
type Effect uint8

const (
	EffectAllow Effect = iota + 1
	EffectDeny
)

func (e Effect) String() string {
	switch e {
	case EffectAllow:
		return "Allow"
	case EffectDeny:
		return "Deny"
	}
	return "invalid"
}

// Policy is a parsed, validated and compiled policy document. It is
// immutable and safe for concurrent use.
type Policy struct {
	Kind       Kind
	Version    string // Version2012 or Version2008 (also when absent)
	ID         string
	Statements []Statement
}

// Statement is one statement of a policy. Exactly one of Action/NotAction
// and of Resource/NotResource is set; in resource policies exactly one of
// Principal/NotPrincipal.
type Statement struct {
	Sid          string
	Effect       Effect
	Principal    *Principals
	NotPrincipal *Principals
	Action       []string
	NotAction    []string
	Resource     []string
	NotResource  []string
	Conditions   []Condition

	actions     []glob
	notAction   bool
	resources   []resourcePattern
	notResource bool
}

// resourcePattern is a compiled Resource or NotResource entry.
type resourcePattern struct {
	tmpl *template // set when the entry holds policy variables
	arn  arnPattern
}

// Parse parses and validates a policy document of the given kind. The
// error is an *Error whose Message is what AWS would say.
func Parse(data []byte, kind Kind, opts Options) (*Policy, error) {
	if kind != Identity && kind != Resource {
		return nil, &Error{Code: CodeMalformedPolicy, Message: "unknown policy kind"}
	}
	if opts.Limit > 0 && policySize(data) > opts.Limit {
		if kind == Identity {
			return nil, &Error{Code: CodeLimitExceeded, TooLarge: true,
				Message: "Cannot exceed quota for PolicySize: " + strconv.Itoa(opts.Limit)}
		}
		return nil, &Error{Code: CodeMalformedPolicy, TooLarge: true,
			Message: "Policy exceeds the maximum allowed document size."}
	}
	root, err := decodeJSON(data)
	if err != nil {
		var dup *dupKeyError
		if errors.As(err, &dup) {
			return nil, errorf(kind, "Duplicate field %s", dup.key)
		}
		return nil, errorf(kind, "Policies must be valid JSON and the first byte must be '{'")
	}
	if root.kind != jsonObject {
		return nil, errorf(kind, "Policies must be valid JSON and the first byte must be '{'")
	}
	p := &Policy{Kind: kind, Version: Version2008}
	var stmts *jsonValue
	for _, m := range root.obj {
		switch m.key {
		case "Version":
			if m.val.kind != jsonString || (m.val.str != Version2012 && m.val.str != Version2008) {
				return nil, errorf(kind, "Invalid policy version")
			}
			p.Version = m.val.str
		case "Id":
			if m.val.kind != jsonString {
				return nil, errorf(kind, "Id must be a string")
			}
			p.ID = m.val.str
		case "Statement":
			stmts = m.val
		default:
			return nil, errorf(kind, "Unknown field %s", m.key)
		}
	}
	if stmts == nil {
		return nil, errorf(kind, "Missing required field Statement")
	}
	list := []*jsonValue{stmts}
	if stmts.kind == jsonArray {
		list = stmts.arr
	}
	if len(list) == 0 {
		return nil, errorf(kind, "Statement is empty")
	}
	sids := map[string]bool{}
	for _, sv := range list {
		st, err := parseStatement(sv, kind, p.Version == Version2012, &opts)
		if err != nil {
			return nil, err
		}
		if kind == Identity && st.Sid != "" {
			if sids[st.Sid] {
				return nil, errorf(kind, "Statement IDs (SID) in a single policy must be unique.")
			}
			sids[st.Sid] = true
		}
		p.Statements = append(p.Statements, st)
	}
	return p, nil
}

// parseStatement parses and compiles one statement.
func parseStatement(v *jsonValue, kind Kind, vars bool, opts *Options) (Statement, error) {
	var st Statement
	if v.kind != jsonObject {
		return st, errorf(kind, "Statement must be an object")
	}
	if len(v.obj) == 0 {
		return st, errorf(kind, "Statement is empty")
	}
	seen := map[string]bool{}
	var err error
	for _, m := range v.obj {
		seen[m.key] = true
		switch m.key {
		case "Sid":
			if m.val.kind != jsonString {
				return st, errorf(kind, "Sid must be a string")
			}
			if kind == Identity && !isAlnum(m.val.str) {
				return st, errorf(kind, "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*")
			}
			st.Sid = m.val.str
		case "Effect":
			if m.val.kind != jsonString {
				return st, errorf(kind, "Invalid effect")
			}
			switch m.val.str {
			case "Allow":
				st.Effect = EffectAllow
			case "Deny":
				st.Effect = EffectDeny
			default:
				return st, errorf(kind, "Invalid effect: %s", m.val.str)
			}
		case "Principal", "NotPrincipal":
			if kind == Identity {
				return st, errorf(kind, "Policy document should not specify a principal.")
			}
			ps, err := parsePrincipals(m.val, kind, opts)
			if err != nil {
				return st, err
			}
			if m.key == "Principal" {
				st.Principal = ps
			} else {
				st.NotPrincipal = ps
			}
		case "Action", "NotAction":
			vals, ok := stringList(m.val)
			if !ok {
				return st, errorf(kind, "Policy has invalid action")
			}
			for _, a := range vals {
				if !validAction(a) {
					return st, errorf(kind, "Policy has invalid action")
				}
			}
			if m.key == "Action" {
				st.Action = vals
			} else {
				st.NotAction = vals
			}
		case "Resource", "NotResource":
			vals, ok := stringList(m.val)
			if !ok {
				return st, errorf(kind, "Policy has invalid resource")
			}
			for _, r := range vals {
				if !validResource(r) {
					return st, errorf(kind, "Policy has invalid resource")
				}
			}
			if m.key == "Resource" {
				st.Resource = vals
			} else {
				st.NotResource = vals
			}
		case "Condition":
			if st.Conditions, err = parseConditions(m.val, kind, vars); err != nil {
				return st, err
			}
		default:
			return st, errorf(kind, "Unknown field %s", m.key)
		}
	}
	if st.Effect == 0 {
		return st, errorf(kind, "Missing required field Effect")
	}
	if kind == Resource {
		if seen["Principal"] && seen["NotPrincipal"] {
			return st, errorf(kind, "Statement cannot have both Principal and NotPrincipal")
		}
		if !seen["Principal"] && !seen["NotPrincipal"] {
			return st, errorf(kind, "Missing required field Principal")
		}
	}
	if seen["Action"] && seen["NotAction"] {
		return st, errorf(kind, "Statement cannot have both Action and NotAction")
	}
	if !seen["Action"] && !seen["NotAction"] {
		return st, errorf(kind, "Missing required field Action")
	}
	if seen["Resource"] && seen["NotResource"] {
		return st, errorf(kind, "Statement cannot have both Resource and NotResource")
	}
	if !seen["Resource"] && !seen["NotResource"] {
		return st, errorf(kind, "Missing required field Resource")
	}

	actions := st.Action
	if st.NotAction != nil {
		actions, st.notAction = st.NotAction, true
	}
	for _, a := range actions {
		g := compileAction(a)
		if opts.DirectoryBucket && (st.notAction || !onlyCreateSession(&g)) {
			return st, errorf(kind, "Policy has invalid action")
		}
		st.actions = append(st.actions, g)
	}

	resources := st.Resource
	if st.NotResource != nil {
		resources, st.notResource = st.NotResource, true
	}
	for _, r := range resources {
		t, err := parseTemplate(r, true, vars)
		if err != nil {
			return st, errorf(kind, "Policy has invalid resource")
		}
		var rp resourcePattern
		if t.hasVars {
			rp.tmpl = &t
		} else {
			rp.arn = compileARN(t.tokens())
			if opts.ResourceARN != "" && !st.notResource && !rp.arn.match(opts.ResourceARN) {
				return st, errorf(kind, "Policy has invalid resource")
			}
		}
		st.resources = append(st.resources, rp)
	}
	return st, nil
}

// stringList accepts a string or a non-empty list of strings.
func stringList(v *jsonValue) ([]string, bool) {
	if v.kind == jsonString {
		return []string{v.str}, true
	}
	if v.kind != jsonArray || len(v.arr) == 0 {
		return nil, false
	}
	out := make([]string, 0, len(v.arr))
	for _, e := range v.arr {
		if e.kind != jsonString {
			return nil, false
		}
		out = append(out, e.str)
	}
	return out, true
}

// validResource accepts "*" and ARNs: "arn:" and six colon-separated
// parts, or fewer when a wildcard stands for the rest.
func validResource(s string) bool {
	if s == "*" {
		return true
	}
	if !strings.HasPrefix(s, "arn:") || len(s) == len("arn:") {
		return false
	}
	return strings.Count(s, ":") >= maxARNSegments-1 || strings.Contains(s, "*")
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
