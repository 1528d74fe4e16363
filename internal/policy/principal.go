package policy

import "strings"

// Principal is the authenticated caller of a request.
type Principal struct {
	Account string // 12-digit account id; empty for anonymous and service callers
	User    string // IAM user name; empty for the account root
	// ARN is the caller's ARN. When empty it is derived from Account and
	// User: arn:aws:iam::ACCOUNT:root or arn:aws:iam::ACCOUNT:user/USER.
	ARN string
	// Service is set instead of Account for an AWS service principal such
	// as "lifecycle.s3.amazonaws.com".
	Service string
}

// IsRoot reports whether p is an account's root user.
func (p *Principal) IsRoot() bool {
	return p.Account != "" && p.User == "" && p.Service == "" && (p.ARN == "" || strings.HasSuffix(p.ARN, ":root"))
}

// arn returns p's ARN, deriving it when not set.
func (p *Principal) arn() string {
	if p.ARN != "" || p.Account == "" {
		return p.ARN
	}
	if p.User == "" {
		return "arn:aws:iam::" + p.Account + ":root"
	}
	return "arn:aws:iam::" + p.Account + ":user/" + p.User
}

// arnIs reports whether p's ARN equals s without building the ARN.
func (p *Principal) arnIs(s string) bool {
	if p.ARN != "" {
		return p.ARN == s
	}
	if p.Account == "" {
		return false
	}
	rest, ok := strings.CutPrefix(s, "arn:aws:iam::")
	if !ok {
		return false
	}
	rest, ok = strings.CutPrefix(rest, p.Account)
	if !ok {
		return false
	}
	if p.User == "" {
		return rest == ":root"
	}
	rest, ok = strings.CutPrefix(rest, ":user/")
	return ok && rest == p.User
}

// Principals is the value of a Principal or NotPrincipal element.
type Principals struct {
	Any           bool     // "*" or {"AWS": "*"}
	Accounts      []string // account ids, from "123456789012" or "arn:aws:iam::123456789012:root"
	ARNs          []string // user, role, assumed-role and federated-user ARNs
	Services      []string // {"Service": ...}
	Federated     []string // {"Federated": ...}: accepted, never matched
	CanonicalUser []string // {"CanonicalUser": ...}: accepted, never matched
}

// principalMatch is how a request's principal matched a Principal element.
type principalMatch uint8

const (
	pmNone    principalMatch = iota
	pmAccount                // through the caller's account: a delegation to the account
	pmDirect                 // the caller itself, or everyone ("*")
)

func (ps *Principals) match(p *Principal) principalMatch {
	if ps.Any {
		return pmDirect
	}
	if p.Service != "" {
		for _, s := range ps.Services {
			if strings.EqualFold(s, p.Service) {
				return pmDirect
			}
		}
		return pmNone
	}
	if p.Account == "" {
		return pmNone
	}
	for _, a := range ps.ARNs {
		if p.arnIs(a) {
			return pmDirect
		}
	}
	for _, a := range ps.Accounts {
		if a == p.Account {
			if p.IsRoot() {
				return pmDirect
			}
			return pmAccount
		}
	}
	return pmNone
}

// parsePrincipals parses a Principal or NotPrincipal value.
func parsePrincipals(v *jsonValue, kind Kind, opts *Options) (*Principals, error) {
	bad := func() error { return errorf(kind, "Invalid principal in policy") }
	ps := &Principals{}
	switch v.kind {
	case jsonString:
		if v.str != "*" {
			return nil, bad()
		}
		ps.Any = true
		return ps, nil
	case jsonObject:
	default:
		return nil, bad()
	}
	if len(v.obj) == 0 {
		return nil, bad()
	}
	for _, m := range v.obj {
		vals, ok := stringList(m.val)
		if !ok {
			return nil, bad()
		}
		for _, s := range vals {
			switch m.key {
			case "AWS":
				if !ps.addAWS(s, opts) {
					return nil, bad()
				}
			case "Service":
				if !validServiceName(s) {
					return nil, bad()
				}
				ps.Services = append(ps.Services, s)
			case "Federated":
				if s == "" || strings.ContainsAny(s, "*?") {
					return nil, bad()
				}
				ps.Federated = append(ps.Federated, s)
			case "CanonicalUser":
				if s == "" || strings.ContainsAny(s, "*?") {
					return nil, bad()
				}
				ps.CanonicalUser = append(ps.CanonicalUser, s)
			default:
				return nil, bad()
			}
		}
	}
	return ps, nil
}

// addAWS adds one value of an "AWS" principal, reporting whether it is valid.
func (ps *Principals) addAWS(s string, opts *Options) bool {
	if s == "*" {
		ps.Any = true
		return true
	}
	if isAccountID(s) {
		if opts.ValidPrincipal != nil && !opts.ValidPrincipal("arn:aws:iam::"+s+":root") {
			return false
		}
		ps.Accounts = append(ps.Accounts, s)
		return true
	}
	acct, res, ok := splitPrincipalARN(s)
	if !ok {
		return false
	}
	if opts.ValidPrincipal != nil && !opts.ValidPrincipal(s) {
		return false
	}
	if res == "root" {
		ps.Accounts = append(ps.Accounts, acct)
	} else {
		ps.ARNs = append(ps.ARNs, s)
	}
	return true
}

// splitPrincipalARN validates an IAM or STS principal ARN and returns its
// account and resource part.
func splitPrincipalARN(s string) (account, resource string, ok bool) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || !validPartition(parts[1]) || parts[3] != "" || !isAccountID(parts[4]) {
		return "", "", false
	}
	res := parts[5]
	if strings.ContainsAny(res, "*?") {
		return "", "", false
	}
	typ, name, _ := strings.Cut(res, "/")
	switch parts[2] {
	case "iam":
		switch typ {
		case "root":
			ok = res == "root"
		case "user", "role":
			ok = validPrincipalPath(name)
		}
	case "sts":
		switch typ {
		case "assumed-role":
			role, session, found := strings.Cut(name, "/")
			ok = found && role != "" && session != ""
		case "federated-user":
			ok = name != "" && !strings.Contains(name, "/")
		}
	}
	return parts[4], res, ok
}

func validPartition(s string) bool {
	return s == "aws" || strings.HasPrefix(s, "aws-") && len(s) > 4
}

// validPrincipalPath checks "path/name" of a user or role: non-empty
// segments, the last one the name.
func validPrincipalPath(s string) bool {
	if s == "" {
		return false
	}
	for _, seg := range strings.Split(s, "/") {
		if seg == "" {
			return false
		}
	}
	return true
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func validServiceName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}
