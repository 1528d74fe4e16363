package policy

import "strings"

// s3expressActions are the IAM actions of the s3express service, lower
// case, without the "s3express:" prefix. A directory bucket policy may only
// grant or deny CreateSession, so a pattern there must match it and none of
// the others.
var s3expressActions = []string{
	"createsession",
	"createbucket", "deletebucket", "listallmydirectorybuckets",
	"putbucketpolicy", "getbucketpolicy", "deletebucketpolicy",
	"putencryptionconfiguration", "getencryptionconfiguration",
	"putlifecycleconfiguration", "getlifecycleconfiguration",
	"putinventoryconfiguration", "getinventoryconfiguration",
	"putmetricsconfiguration", "getmetricsconfiguration",
	"tagresource", "untagresource", "listtagsforresource",
	"createaccesspoint", "deleteaccesspoint", "getaccesspoint",
	"putaccesspointpolicy", "getaccesspointpolicy", "deleteaccesspointpolicy",
	"putaccesspointscope", "getaccesspointscope", "deleteaccesspointscope",
	"listaccesspointsfordirectorybuckets",
}

// validAction reports whether s is "*" or "service:Action", the service a
// plain name and the action letters and digits with '*' and '?' wildcards.
func validAction(s string) bool {
	if s == "*" {
		return true
	}
	svc, act, ok := strings.Cut(s, ":")
	if !ok || svc == "" || act == "" {
		return false
	}
	for i := 0; i < len(svc); i++ {
		c := svc[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	for i := 0; i < len(act); i++ {
		c := act[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '*' || c == '?') {
			return false
		}
	}
	return true
}

// compileAction compiles an action pattern; matching ignores case.
func compileAction(s string) glob { return compileGlob(globTokens(s), true) }

// onlyCreateSession reports whether the compiled action pattern g matches
// s3express:CreateSession and no other s3express action.
func onlyCreateSession(g *glob) bool {
	if !g.match("s3express:createsession") {
		return false
	}
	for _, a := range s3expressActions[1:] {
		if g.match("s3express:" + a) {
			return false
		}
	}
	return true
}
