package policy

import "strings"

// evalCtx is the per-request state of one evaluation.
type evalCtx struct {
	req *Request
}

// lookup finds a key (lower case) in the request context. Keys are
// compared without regard to case; lower-case keys in the map are found
// without a scan.
func (ec *evalCtx) lookup(key string) ([]string, bool) {
	ctx := ec.req.Context
	if v, ok := ctx[key]; ok {
		return v, true
	}
	for k, v := range ctx {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// unknown reports whether key is one of the request's Unknown keys.
func (ec *evalCtx) unknown(key string) bool {
	for _, u := range ec.req.Unknown {
		if key == u || strings.HasSuffix(u, "/") && strings.HasPrefix(key, u) {
			return true
		}
	}
	return false
}

// values returns the request's values for a condition key (lower case):
// from Context, else derived from the principal and resource, in which
// case the result is buf holding the one value. (buf belongs to the caller
// so that the request does not escape to the heap.)
func (ec *evalCtx) values(key string, buf *[1]string) []string {
	if v, ok := ec.lookup(key); ok {
		return v
	}
	if s, ok := ec.derived(key); ok {
		buf[0] = s
		return buf[:]
	}
	return nil
}

// variable returns the value of a policy variable: a key with exactly one
// value. Multi-valued keys cannot be policy variables.
func (ec *evalCtx) variable(key string) (string, bool) {
	if v, ok := ec.lookup(key); ok {
		if len(v) != 1 {
			return "", false
		}
		return v[0], true
	}
	return ec.derived(key)
}

// derived supplies global condition keys that follow from the request
// itself when the caller did not put them in Context.
func (ec *evalCtx) derived(key string) (string, bool) {
	r := ec.req
	p := &r.Principal
	switch key {
	case "aws:principalaccount":
		return p.Account, p.Account != ""
	case "aws:principalarn":
		arn := p.arn()
		return arn, arn != ""
	case "aws:username":
		return p.User, p.User != "" && p.Service == ""
	case "aws:userid":
		if p.IsRoot() {
			return p.Account, true
		}
	case "aws:principaltype":
		switch {
		case p.Service != "":
			return "AWSService", true
		case p.IsRoot():
			return "Account", true
		case p.User != "":
			return "User", true
		}
	case "aws:principalservicename":
		return p.Service, p.Service != ""
	case "aws:resourceaccount", "s3express:resourceaccount":
		return r.ResourceAccount, r.ResourceAccount != ""
	}
	return "", false
}
