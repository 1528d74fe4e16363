package policy

// Request is what a caller wants to do, as seen by policy evaluation.
type Request struct {
	Principal Principal
	Action    string // e.g. "s3express:CreateSession"
	Resource  string // e.g. "arn:aws:s3express:us-east-1:111122223333:bucket/name--use1-az4--x-s3"
	// ResourceAccount is the account that owns the resource. Empty means
	// the request is treated as same-account (e.g. actions on "*").
	ResourceAccount string
	// Context holds the request's condition keys and their values.
	// Keys are matched without regard to case; lower-case keys are found
	// fastest. Keys not given here are derived from the request where
	// possible: aws:PrincipalAccount, aws:PrincipalArn, aws:username,
	// aws:userid (root only), aws:PrincipalType, aws:PrincipalServiceName,
	// aws:ResourceAccount and s3express:ResourceAccount.
	Context map[string][]string
	// Unknown lists condition keys (lower case; a trailing '/' makes a
	// prefix) whose values the request cannot know yet: the evaluation
	// then asks whether a request of this shape could be allowed. A
	// condition on such a key holds in an Allow statement and fails in a
	// Deny one. zonal asks it when CreateSession probes a control-plane
	// action whose request tags come later, with the action itself.
	Unknown []string
}

// Decision is the outcome of an evaluation.
type Decision uint8

const (
	Deny         Decision = iota // implicit deny: nothing allowed the request
	Allow                        // allowed
	ExplicitDeny                 // a Deny statement matched
)

func (d Decision) String() string {
	switch d {
	case Deny:
		return "Deny"
	case Allow:
		return "Allow"
	case ExplicitDeny:
		return "ExplicitDeny"
	}
	return "invalid"
}

// Source says where a deciding statement came from.
type Source uint8

const (
	SourceNone     Source = iota
	SourceIdentity        // one of the caller's identity policies
	SourceResource        // the resource policy
	SourceRoot            // the implicit full access of an account's root user
)

func (s Source) String() string {
	switch s {
	case SourceIdentity:
		return "identity"
	case SourceResource:
		return "resource"
	case SourceRoot:
		return "root"
	}
	return "none"
}

// StatementRef names a statement that took part in a decision.
type StatementRef struct {
	Source    Source
	Policy    int // index into the identity policies; -1 for the resource policy
	Statement int // index into Policy.Statements
	Sid       string
}

// Result is a decision with the statements that led to it.
type Result struct {
	Decision Decision
	// By is the statement that decided: the explicit Deny, or for an
	// Allow the identity statement that granted it (same account) or the
	// resource statement that granted it (resource-only or cross-account
	// grants), or SourceRoot. Zero for an implicit deny.
	By StatementRef
	// Identity and Resource are the first matching Allow statements of
	// each side, whether or not they sufficed.
	Identity StatementRef
	Resource StatementRef
	// SameAccount reports whether the principal's account owns the resource.
	SameAccount bool
}

// Evaluate decides a request against the caller's identity policies and
// the resource's policy (nil when it has none). See EvaluateDetailed.
func Evaluate(req Request, identity []*Policy, resource *Policy) Decision {
	return evaluate(&req, identity, resource).Decision
}

// EvaluateDetailed decides a request the way AWS does and says which
// statements decided:
//
//   - By default a request is denied (Deny).
//   - A matching Deny statement in any policy gives ExplicitDeny; it wins
//     over every Allow, including the root user's implicit access.
//   - The root user of the account that owns the resource is allowed.
//   - Otherwise, in the same account, an Allow in an identity policy
//     suffices, and so does an Allow in the resource policy that names the
//     caller itself (its ARN) or everyone ("*"). A resource-policy Allow
//     that names only the caller's account delegates to the account: for a
//     user it does not suffice on its own, the user's identity policies
//     must allow too.
//   - Cross-account, the caller's identity policies (implicitly granted for
//     an account root) and the resource policy (naming the caller, its
//     account or "*") must both allow.
//   - A caller without an account (a service principal, or anonymous) has
//     no identity policies: the resource policy alone decides.
//
// Identity policies are evaluated without regard to their principal;
// resource-policy statements apply only to the principals they name.
func EvaluateDetailed(req Request, identity []*Policy, resource *Policy) Result {
	return evaluate(&req, identity, resource)
}

func evaluate(req *Request, identity []*Policy, resource *Policy) Result {
	ec := evalCtx{req: req}
	p := &req.Principal
	res := Result{SameAccount: req.ResourceAccount == "" || p.Account == req.ResourceAccount}

	identityAllowed := false
	for pi, pol := range identity {
		if pol == nil {
			continue
		}
		for si := range pol.Statements {
			st := &pol.Statements[si]
			if st.Effect == EffectAllow && identityAllowed {
				continue
			}
			if !st.applies(&ec) {
				continue
			}
			ref := StatementRef{Source: SourceIdentity, Policy: pi, Statement: si, Sid: st.Sid}
			if st.Effect == EffectDeny {
				res.Decision, res.By = ExplicitDeny, ref
				return res
			}
			identityAllowed = true
			res.Identity = ref
		}
	}

	resourceMatch := pmNone
	if resource != nil {
		for si := range resource.Statements {
			st := &resource.Statements[si]
			if st.Effect == EffectAllow && resourceMatch == pmDirect {
				continue
			}
			m := st.principalMatch(p)
			if m == pmNone || !st.applies(&ec) {
				continue
			}
			ref := StatementRef{Source: SourceResource, Policy: -1, Statement: si, Sid: st.Sid}
			if st.Effect == EffectDeny {
				res.Decision, res.By = ExplicitDeny, ref
				return res
			}
			if m > resourceMatch {
				resourceMatch = m
				res.Resource = ref
			}
		}
	}

	root := p.IsRoot()
	switch {
	case p.Account == "":
		if resourceMatch != pmNone {
			res.Decision, res.By = Allow, res.Resource
		}
	case res.SameAccount:
		switch {
		case root:
			res.Decision, res.By = Allow, StatementRef{Source: SourceRoot, Policy: -1, Statement: -1}
		case identityAllowed:
			res.Decision, res.By = Allow, res.Identity
		case resourceMatch == pmDirect:
			res.Decision, res.By = Allow, res.Resource
		}
	default:
		if (root || identityAllowed) && resourceMatch != pmNone {
			res.Decision, res.By = Allow, res.Resource
		}
	}
	return res
}

// principalMatch reports how the caller matches the statement's Principal
// or NotPrincipal. A NotPrincipal that does not name the caller applies to
// it as "*" would.
func (st *Statement) principalMatch(p *Principal) principalMatch {
	if st.Principal != nil {
		return st.Principal.match(p)
	}
	if st.NotPrincipal != nil && st.NotPrincipal.match(p) == pmNone {
		return pmDirect
	}
	return pmNone
}

// applies reports whether the statement's action, resource and conditions
// match the request.
func (st *Statement) applies(ec *evalCtx) bool {
	return st.matchAction(ec.req.Action) && st.matchResource(ec) && st.matchConditions(ec)
}

func (st *Statement) matchAction(action string) bool {
	for i := range st.actions {
		if st.actions[i].match(action) {
			return !st.notAction
		}
	}
	return st.notAction
}

// matchResource matches Resource or NotResource. An entry whose policy
// variables cannot be resolved matches nothing in Resource; in NotResource
// it makes the statement inapplicable, since what it excludes is unknown.
func (st *Statement) matchResource(ec *evalCtx) bool {
	r := ec.req.Resource
	for i := range st.resources {
		rp := &st.resources[i]
		matched := false
		if rp.tmpl == nil {
			matched = rp.arn.match(r)
		} else if toks, ok := rp.tmpl.resolve(ec); ok {
			p := compileARN(toks)
			matched = p.match(r)
		} else if st.notResource {
			return false
		}
		if matched {
			return !st.notResource
		}
	}
	return st.notResource
}

func (st *Statement) matchConditions(ec *evalCtx) bool {
	for i := range st.Conditions {
		c := &st.Conditions[i]
		if len(ec.req.Unknown) > 0 && ec.unknown(c.key) {
			if st.Effect == EffectDeny {
				return false
			}
			continue
		}
		if !c.eval(ec) {
			return false
		}
	}
	return true
}
