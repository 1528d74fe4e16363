package policy

import (
	"fmt"
	"net/netip"
	"strings"
)

// Public reports whether the policy grants access to the public, in the
// sense of S3 Block Public Access, which AWS keeps on for every directory
// bucket: an Allow statement whose principal is everyone ("*", {"AWS":"*"})
// or everyone but some (NotPrincipal), unless a condition pins the caller
// or the request's origin to fixed values. It returns the index of the
// first such statement.
//
// The pinning keys and the rule that a value must hold no wildcard follow
// AWS's documented meaning of "public"; which operators count is not
// documented, so only the equality and address operators do (a StringLike
// on aws:PrincipalAccount with a pattern is still public).
func (p *Policy) Public() (int, bool) {
	for i := range p.Statements {
		st := &p.Statements[i]
		if st.Effect != EffectAllow {
			continue
		}
		everyone := st.NotPrincipal != nil || (st.Principal != nil && st.Principal.Any)
		if everyone && !pinned(st.Conditions) {
			return i, true
		}
	}
	return -1, false
}

// pinningKeys are the condition keys that make an everyone-grant
// non-public when fixed to definite values.
var pinningKeys = map[string]bool{
	"aws:principalarn": true, "aws:principalaccount": true, "aws:principalorgid": true,
	"aws:sourceip": true, "aws:sourcearn": true, "aws:sourcevpc": true, "aws:sourcevpce": true,
	"aws:sourceowner": true, "aws:sourceaccount": true, "aws:userid": true,
	"aws:sourceorgid": true, "aws:principalorgpaths": true,
	// Delegation to access points: a grant to everyone who comes through
	// one account's (or one) access point is not public, as for S3's
	// s3:DataAccessPointAccount and s3:DataAccessPointArn.
	"s3express:dataaccesspointaccount": true, "s3express:dataaccesspointarn": true,
}

func pinned(conds []Condition) bool {
	for _, c := range conds {
		// IfExists and ForAllValues hold when the key is absent: no pin.
		if !pinningKeys[strings.ToLower(c.Key)] || len(c.Values) == 0 || c.ifExists || c.set == setForAllValues {
			continue
		}
		op := strings.ToLower(c.Operator)
		if i := strings.LastIndexByte(op, ':'); i >= 0 {
			op = op[i+1:]
		}
		fixed := true
		for _, v := range c.Values {
			switch op {
			case "stringequals", "stringequalsignorecase", "arnequals":
				fixed = fixed && !strings.ContainsAny(v, "*?$")
			case "arnlike", "stringlike":
				fixed = fixed && !strings.ContainsAny(v, "*?$")
			case "ipaddress":
				pfx, err := netip.ParsePrefix(v)
				if err != nil {
					a, aerr := netip.ParseAddr(v)
					fixed = fixed && aerr == nil && a.IsValid()
					continue
				}
				// A CIDR covering a large part of the address space pins
				// nothing: AWS treats e.g. 0.0.0.0/1 as public. /8 is the
				// widest accepted here.
				fixed = fixed && pfx.Bits() >= 8
			default:
				fixed = false
			}
		}
		if fixed {
			return true
		}
	}
	return false
}

// WithoutPublic returns the policy without the statements Public reports,
// or p itself when there are none. Policies stored before zonal refused
// public ones are evaluated this way, as AWS's RestrictPublicBuckets
// ignores the public part of a policy.
func (p *Policy) WithoutPublic() *Policy {
	if _, public := p.Public(); !public {
		return p
	}
	q := *p
	q.Statements = nil
	for i := range p.Statements {
		one := Policy{Statements: p.Statements[i : i+1]}
		if _, public := one.Public(); !public {
			q.Statements = append(q.Statements, p.Statements[i])
		}
	}
	return &q
}

// PublicError refuses a public policy where public access is always
// blocked: statement Statement grants access to everyone.
type PublicError struct{ Statement int }

func (e *PublicError) Error() string {
	return fmt.Sprintf("statement %d grants access to everyone", e.Statement)
}

// ParseDirectory parses the resource policy of a directory bucket or of
// one of its access points as AWS validates both: resource-policy grammar
// within limit bytes, s3express:CreateSession as the only action,
// resources of resourceARN, principals validPrincipal accepts (nil: any),
// and never public, as Block Public Access is always on for them (a
// *PublicError names the statement).
func ParseDirectory(doc []byte, resourceARN string, limit int, validPrincipal func(string) bool) (*Policy, error) {
	p, err := Parse(doc, Resource, Options{Limit: limit, DirectoryBucket: true, ResourceARN: resourceARN, ValidPrincipal: validPrincipal})
	if err != nil {
		return nil, err
	}
	if i, public := p.Public(); public {
		return nil, &PublicError{Statement: i}
	}
	return p, nil
}
