package policy

import (
	"strings"
	"unicode/utf8"
)

// gtokKind is the kind of one element of a wildcard pattern.
type gtokKind uint8

const (
	gLit  gtokKind = iota // literal text
	gStar                 // '*': any run of characters, possibly empty
	gOne                  // '?': exactly one character
)

// gtok is one element of a wildcard pattern before compilation. Literal
// text never contains wildcards: a '*' that came from an escape or from a
// policy variable's value is a gLit.
type gtok struct {
	kind gtokKind
	s    string
}

type globKind uint8

const (
	globExact globKind = iota // no wildcards: plain comparison
	globAll                   // just "*"
	globGeneral
)

// piece is a run of pattern between two stars: parts[0] ? parts[1] ? ...,
// one '?' between consecutive parts.
type piece struct {
	parts []string
}

// glob is a compiled wildcard pattern. Matching is case-sensitive unless
// fold is set, in which case the pattern is stored in lower case and input
// is folded byte by byte (ASCII), which is all action names need.
type glob struct {
	kind   globKind
	fold   bool
	lit    string  // globExact
	star   bool    // at least one '*'
	pieces []piece // globGeneral: pieces separated by '*'
}

// compileGlob compiles a pattern given as tokens.
func compileGlob(toks []gtok, fold bool) glob {
	g := glob{fold: fold}
	var cur strings.Builder
	var parts []string
	flushPiece := func() {
		parts = append(parts, cur.String())
		cur.Reset()
		g.pieces = append(g.pieces, piece{parts: parts})
		parts = nil
	}
	wild := false
	for _, t := range toks {
		switch t.kind {
		case gLit:
			if fold {
				cur.WriteString(strings.ToLower(t.s))
			} else {
				cur.WriteString(t.s)
			}
		case gOne:
			wild = true
			parts = append(parts, cur.String())
			cur.Reset()
		case gStar:
			wild = true
			g.star = true
			flushPiece()
		}
	}
	flushPiece()
	switch {
	case !wild:
		g.kind = globExact
		g.lit = g.pieces[0].parts[0]
		g.pieces = nil
	case len(g.pieces) == 2 && len(g.pieces[0].parts) == 1 && g.pieces[0].parts[0] == "" &&
		len(g.pieces[1].parts) == 1 && g.pieces[1].parts[0] == "":
		g.kind = globAll
		g.pieces = nil
	default:
		g.kind = globGeneral
	}
	return g
}

// globTokens splits a plain pattern string into tokens: '*' and '?' are
// wildcards, everything else literal.
func globTokens(s string) []gtok {
	var toks []gtok
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '*' && c != '?' {
			continue
		}
		if i > start {
			toks = append(toks, gtok{kind: gLit, s: s[start:i]})
		}
		if c == '*' {
			toks = append(toks, gtok{kind: gStar})
		} else {
			toks = append(toks, gtok{kind: gOne})
		}
		start = i + 1
	}
	if start < len(s) || len(toks) == 0 {
		toks = append(toks, gtok{kind: gLit, s: s[start:]})
	}
	return toks
}

// match reports whether s matches the whole pattern.
func (g *glob) match(s string) bool {
	switch g.kind {
	case globAll:
		return true
	case globExact:
		return len(s) == len(g.lit) && g.hasPrefix(s, g.lit)
	}
	p := g.pieces
	i, ok := g.matchAt(&p[0], s, 0)
	if !ok {
		return false
	}
	if !g.star {
		return i == len(s)
	}
	for k := 1; k < len(p)-1; k++ {
		i = g.find(&p[k], s, i)
		if i < 0 {
			return false
		}
	}
	last := &p[len(p)-1]
	if len(last.parts) == 1 { // fixed length: compare the tail
		n := len(last.parts[0])
		return len(s)-n >= i && g.hasPrefix(s[len(s)-n:], last.parts[0])
	}
	for k := len(s); k >= i; k-- {
		if k < len(s) && !utf8.RuneStart(s[k]) {
			continue
		}
		if end, ok := g.matchAt(last, s, k); ok && end == len(s) {
			return true
		}
	}
	return false
}

// matchAt matches piece pc at s[i:], returning the end offset.
func (g *glob) matchAt(pc *piece, s string, i int) (int, bool) {
	for k, part := range pc.parts {
		if k > 0 { // one '?' before every part but the first
			if i >= len(s) {
				return 0, false
			}
			_, w := utf8.DecodeRuneInString(s[i:])
			i += w
		}
		if !g.hasPrefix(s[i:], part) {
			return 0, false
		}
		i += len(part)
	}
	return i, true
}

// find returns the end of the leftmost match of pc in s at or after i, or -1.
func (g *glob) find(pc *piece, s string, i int) int {
	if len(pc.parts) == 1 && !g.fold {
		j := strings.Index(s[i:], pc.parts[0])
		if j < 0 {
			return -1
		}
		return i + j + len(pc.parts[0])
	}
	for ; i <= len(s); i++ {
		if i < len(s) && !utf8.RuneStart(s[i]) {
			continue
		}
		if end, ok := g.matchAt(pc, s, i); ok {
			return end
		}
	}
	return -1
}

// hasPrefix reports whether s begins with lit (folded when g.fold).
func (g *glob) hasPrefix(s, lit string) bool {
	if len(s) < len(lit) {
		return false
	}
	if !g.fold {
		return s[:len(lit)] == lit
	}
	for i := 0; i < len(lit); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lit[i] {
			return false
		}
	}
	return true
}
