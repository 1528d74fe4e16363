// Package policy parses, validates and evaluates AWS IAM policy documents:
// identity policies (attached to users) and resource policies (directory
// bucket policies), as used by the S3 Express One Zone API.
//
// A policy is parsed once with [Parse], which validates it the way AWS does
// and precompiles its wildcard patterns, then evaluated many times with
// [Evaluate] or [EvaluateDetailed]. Evaluation follows the AWS logic for a
// single account and for cross-account requests: default deny, an explicit
// Deny in any policy wins, a same-account request needs an Allow from the
// caller's identity policies or from the resource policy, and a
// cross-account request needs an Allow from both.
//
// Supported: the Version, Id and Statement elements; Sid, Effect,
// Principal/NotPrincipal, Action/NotAction, Resource/NotResource and
// Condition in statements; wildcards in actions, resources and StringLike/
// ArnLike values; policy variables (${aws:username}, ${key, 'default'} and
// the ${*} ${?} ${$} escapes) in Version 2012-10-17 policies; every
// condition operator of the IAM policy language with its IfExists form and
// the ForAnyValue:/ForAllValues: set qualifiers.
package policy
