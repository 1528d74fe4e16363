package policy

import "strings"

// arnPattern matches ARNs the way IAM matches the Resource element and the
// Arn* condition operators: the six colon-separated parts
// (arn:partition:service:region:account:resource) are matched one by one,
// each with its own '*' and '?' wildcards, so a wildcard never spans a
// colon except in the last part of the pattern. The last part of the
// pattern takes the rest of the ARN, colons included: the resource part
// may itself contain colons, and a pattern cut short with a trailing '*'
// ("arn:aws:s3express:*") covers every remaining part, as AWS documents
// for a '*' that ends a segment.
type arnPattern struct {
	all  bool   // the pattern "*"
	segs []glob // at most six
}

// maxARNSegments is the number of colon-separated parts of an ARN.
const maxARNSegments = 6

// compileARN compiles a resource or ARN pattern given as tokens. Colons in
// literal tokens separate parts.
func compileARN(toks []gtok) arnPattern {
	if len(toks) == 1 && toks[0].kind == gStar {
		return arnPattern{all: true}
	}
	var p arnPattern
	var seg []gtok
	for _, t := range toks {
		if t.kind != gLit || len(p.segs) == maxARNSegments-1 {
			seg = append(seg, t)
			continue
		}
		s := t.s
		for len(p.segs) < maxARNSegments-1 {
			c := strings.IndexByte(s, ':')
			if c < 0 {
				break
			}
			if c > 0 {
				seg = append(seg, gtok{kind: gLit, s: s[:c]})
			}
			p.segs = append(p.segs, compileGlob(seg, false))
			seg = nil
			s = s[c+1:]
		}
		if s != "" {
			seg = append(seg, gtok{kind: gLit, s: s})
		}
	}
	p.segs = append(p.segs, compileGlob(seg, false))
	return p
}

// match reports whether arn matches the pattern.
func (p *arnPattern) match(arn string) bool {
	if p.all {
		return true
	}
	rest := arn
	last := len(p.segs) - 1
	for i := range p.segs {
		if i == last {
			return p.segs[i].match(rest)
		}
		c := strings.IndexByte(rest, ':')
		if c < 0 {
			return false
		}
		if !p.segs[i].match(rest[:c]) {
			return false
		}
		rest = rest[c+1:]
	}
	return false
}
