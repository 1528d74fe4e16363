package policy

import (
	"fmt"
	"strings"
)

// tmplTok is one element of a policy value that may contain policy
// variables: a wildcard-pattern token or a variable reference.
type tmplTok struct {
	gtok
	isVar  bool
	key    string // variable: condition key, lower case
	def    string // variable: default value
	hasDef bool
}

// template is a policy value (a Resource entry or a Condition value) split
// into literal text, wildcards and policy variables.
type template struct {
	toks    []tmplTok
	hasVars bool
}

// parseTemplate splits s. With wild, '*' and '?' are wildcards; with vars
// (Version 2012-10-17), ${key}, ${key, 'default'} and the ${*} ${?} ${$}
// escapes are recognised. Without vars the text is taken literally, as AWS
// does for 2008-10-17 policies.
func parseTemplate(s string, wild, vars bool) (template, error) {
	var t template
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.toks = append(t.toks, tmplTok{gtok: gtok{kind: gLit, s: lit.String()}})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case wild && c == '*':
			flush()
			t.toks = append(t.toks, tmplTok{gtok: gtok{kind: gStar}})
		case wild && c == '?':
			flush()
			t.toks = append(t.toks, tmplTok{gtok: gtok{kind: gOne}})
		case vars && c == '$' && i+1 < len(s) && s[i+1] == '{':
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				lit.WriteByte(c)
				continue
			}
			body := s[i+2 : i+2+end]
			i += 2 + end
			switch body {
			case "*", "?", "$":
				lit.WriteString(body)
				continue
			}
			tok, err := parseVariable(body)
			if err != nil {
				return template{}, err
			}
			flush()
			t.toks = append(t.toks, tok)
			t.hasVars = true
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	if len(t.toks) == 0 {
		t.toks = []tmplTok{{gtok: gtok{kind: gLit}}}
	}
	return t, nil
}

// parseVariable parses the inside of ${...}: a key, optionally followed by
// a comma and a default value in single quotes (” is a literal quote).
func parseVariable(body string) (tmplTok, error) {
	key, def, hasDef := strings.Cut(body, ",")
	key = strings.TrimSpace(key)
	if key == "" || strings.ContainsAny(key, " \t'${") {
		return tmplTok{}, fmt.Errorf("invalid policy variable ${%s}", body)
	}
	tok := tmplTok{isVar: true, key: strings.ToLower(key)}
	if hasDef {
		d := strings.TrimSpace(def)
		if len(d) < 2 || d[0] != '\'' || d[len(d)-1] != '\'' {
			return tmplTok{}, fmt.Errorf("invalid default value in policy variable ${%s}", body)
		}
		inner := d[1 : len(d)-1]
		if strings.Contains(strings.ReplaceAll(inner, "''", ""), "'") {
			return tmplTok{}, fmt.Errorf("invalid default value in policy variable ${%s}", body)
		}
		tok.def = strings.ReplaceAll(inner, "''", "'")
		tok.hasDef = true
	}
	return tok, nil
}

// tokens returns the template's pattern tokens when it has no variables.
func (t *template) tokens() []gtok {
	out := make([]gtok, len(t.toks))
	for i, tk := range t.toks {
		out[i] = tk.gtok
	}
	return out
}

// literal returns the template as plain text (no variables, wildcards kept
// as their characters).
func (t *template) literal() string {
	var b strings.Builder
	for _, tk := range t.toks {
		switch tk.kind {
		case gStar:
			b.WriteByte('*')
		case gOne:
			b.WriteByte('?')
		default:
			b.WriteString(tk.s)
		}
	}
	return b.String()
}

// resolve substitutes the variables from the request context. A variable's
// value is literal text: wildcards in it match only themselves. ok is false
// when a variable has no single value and no default.
func (t *template) resolve(ec *evalCtx) (toks []gtok, ok bool) {
	toks = make([]gtok, 0, len(t.toks))
	for _, tk := range t.toks {
		if !tk.isVar {
			toks = append(toks, tk.gtok)
			continue
		}
		v, found := ec.variable(tk.key)
		if !found {
			if !tk.hasDef {
				return nil, false
			}
			v = tk.def
		}
		toks = append(toks, gtok{kind: gLit, s: v})
	}
	return toks, true
}

// resolveString is resolve for values without wildcards.
func (t *template) resolveString(ec *evalCtx) (string, bool) {
	toks, ok := t.resolve(ec)
	if !ok {
		return "", false
	}
	var b strings.Builder
	for _, tk := range toks {
		switch tk.kind {
		case gStar:
			b.WriteByte('*')
		case gOne:
			b.WriteByte('?')
		default:
			b.WriteString(tk.s)
		}
	}
	return b.String(), true
}
