package s3control

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/zonal-dev/zonal/internal/auth"
	"github.com/zonal-dev/zonal/internal/bucketname"
	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/policy"
	"github.com/zonal-dev/zonal/internal/s3api"
	"github.com/zonal-dev/zonal/internal/store"
)

// The access point operations, named as their IAM actions
// (s3express:<op>).
const (
	opCreateAccessPoint       = "CreateAccessPoint"
	opGetAccessPoint          = "GetAccessPoint"
	opDeleteAccessPoint       = "DeleteAccessPoint"
	opPutAccessPointPolicy    = "PutAccessPointPolicy"
	opGetAccessPointPolicy    = "GetAccessPointPolicy"
	opDeleteAccessPointPolicy = "DeleteAccessPointPolicy"
	opPutAccessPointScope     = "PutAccessPointScope"
	opGetAccessPointScope     = "GetAccessPointScope"
	opDeleteAccessPointScope  = "DeleteAccessPointScope"
	opListAccessPoints        = "ListAccessPointsForDirectoryBuckets"
)

// Errors of the access point operations.
var (
	errAccessPointOwned = def("AccessPointAlreadyOwnedByYou", http.StatusConflict, "The access point you tried to create already exists, and you own it.")
	// zonal keeps one name space for every account, as AWS keeps one per
	// zone; a name another account holds is answered with S3's general
	// conflict code, as the model defines no other.
	errAccessPointTaken  = def("AccessPointAlreadyExists", http.StatusConflict, "The requested access point name is not available. Select a different name and try again.")
	errNoSuchAPPolicy    = def("NoSuchAccessPointPolicy", http.StatusNotFound, "The specified access point policy does not exist")
	errMalformedPolicy   = def("MalformedPolicy", http.StatusBadRequest, "Policies must be valid JSON and the first byte must be '{'")
	errInvalidMaxResults = def("InvalidRequest", http.StatusBadRequest, "maxResults must be an integer from 0 to 1000.")
)

// accessPointOp names the operation on /v20180820/accesspoint/{name}[/policy|/scope].
func accessPointOp(method, rest string) string {
	_, sub, _ := strings.Cut(rest, "/")
	ops := map[string][3]string{
		"":       {opCreateAccessPoint, opGetAccessPoint, opDeleteAccessPoint},
		"policy": {opPutAccessPointPolicy, opGetAccessPointPolicy, opDeleteAccessPointPolicy},
		"scope":  {opPutAccessPointScope, opGetAccessPointScope, opDeleteAccessPointScope},
	}[sub]
	switch method {
	case http.MethodPut:
		return ops[0]
	case http.MethodGet:
		return ops[1]
	case http.MethodDelete:
		return ops[2]
	}
	return ""
}

func listAccessPointsOp(method, rest string) string {
	if method == http.MethodGet && rest == "" {
		return opListAccessPoints
	}
	return ""
}

// apRequest is an access point operation's input, checked before the
// policy decision.
type apRequest struct {
	bucket string // CreateAccessPoint
	tags   map[string]string
	scope  *catalog.Scope // CreateAccessPoint (optional), PutAccessPointScope
	policy []byte         // PutAccessPointPolicy
}

// accessPoint serves /v20180820/accesspoint/{name}[/policy|/scope]. As for
// tags, the request is checked in full before the policy decision, and
// the decision comes before the answer says whether the access point
// exists.
func (h *Handler) accessPoint(w http.ResponseWriter, c *call) error {
	op := accessPointOp(c.r.Method, c.path)
	name, _, _ := strings.Cut(c.path, "/")
	zone, why := bucketname.ValidateAccessPoint(name)
	if why != "" {
		return errInvalidRequest.Msg(why)
	}
	c.info.Bucket = name
	arn := auth.AccessPointARN(h.cfg.Region, c.account, name)
	in, err := h.readAccessPointInput(c, op, arn)
	if err != nil {
		return err
	}
	req := auth.Request{Action: "s3express:" + op, Resource: arn, Account: c.account, Regional: true,
		Writes: !strings.HasPrefix(op, "Get")}
	cur, taken, err := h.lookupAccessPoint(c, name)
	if err != nil {
		return err
	}
	req.AccessPoint = cur
	if op == opCreateAccessPoint {
		req.Conditions = map[string][]string{}
		if in.tags != nil {
			req.Conditions = auth.RequestTags(in.tags)
		}
		req.Conditions["s3express:locationname"] = []string{zone}
	}
	if in.scope != nil && len(in.scope.Permissions) > 0 {
		// What the scope would permit, so a policy can bound the scopes a
		// caller may set.
		if req.Conditions == nil {
			req.Conditions = map[string][]string{}
		}
		req.Conditions["s3express:permissions"] = in.scope.Permissions
	}
	if err := h.authorize(c, req); err != nil {
		return err
	}
	if op == opCreateAccessPoint && len(in.tags) > 0 {
		// Creating with tags needs TagResource too, as for buckets.
		req.Action = "s3express:TagResource"
		if err := h.authorize(c, req); err != nil {
			return err
		}
	}
	if op == opCreateAccessPoint {
		return h.createAccessPoint(w, c, name, zone, arn, in, cur != nil, taken)
	}
	if cur == nil {
		return errNoSuchAccessPoint
	}
	ctx := c.r.Context()
	switch op {
	case opGetAccessPoint:
		return writeXML(w, getAccessPointResult{NS: Namespace, Name: name, Bucket: cur.Bucket, NetworkOrigin: auth.NetworkOriginInternet,
			PublicAccessBlock: publicAccessBlock{true, true, true, true}, CreationDate: isoTime(cur.CreatedAt), Alias: name,
			AccessPointArn: arn, BucketAccountID: cur.Owner})
	case opGetAccessPointPolicy:
		if len(cur.Policy) == 0 {
			return errNoSuchAPPolicy
		}
		return writeXML(w, getAccessPointPolicyResult{NS: Namespace, Policy: string(cur.Policy)})
	case opGetAccessPointScope:
		return writeXML(w, getAccessPointScopeResult{NS: Namespace, Scope: xmlScopeOf(cur.Scope)})
	case opDeleteAccessPoint:
		err = h.cfg.Store.DeleteAccessPoint(ctx, name)
	default:
		err = h.cfg.Store.UpdateAccessPoint(ctx, name, func(a *catalog.AccessPoint) error {
			switch op {
			case opPutAccessPointPolicy:
				a.Policy = in.policy
			case opDeleteAccessPointPolicy:
				a.Policy = nil
			case opPutAccessPointScope:
				a.Scope = in.scope
			case opDeleteAccessPointScope:
				a.Scope = nil
			}
			return nil
		})
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// lookupAccessPoint returns the caller's account's access point of this
// name (nil when it has none) and whether another account holds the name.
func (h *Handler) lookupAccessPoint(c *call, name string) (*catalog.AccessPoint, bool, error) {
	a, err := h.cfg.Store.AccessPoint(c.r.Context(), name)
	var se *store.Error
	switch {
	case errors.As(err, &se) && se.Kind == store.NoSuchAccessPoint:
		return nil, false, nil
	case err != nil:
		return nil, false, err
	case a.Owner != c.account || a.Region != h.cfg.Region:
		return nil, true, nil
	}
	return &a, false, nil
}

// readAccessPointInput reads and checks the body of the operations that
// have one.
func (h *Handler) readAccessPointInput(c *call, op, arn string) (apRequest, error) {
	var in apRequest
	if op != opCreateAccessPoint && op != opPutAccessPointPolicy && op != opPutAccessPointScope {
		return in, nil
	}
	body, err := h.body(c)
	if err != nil {
		return in, err
	}
	switch op {
	case opCreateAccessPoint:
		var req createAccessPointRequest
		if err := decodeDoc(body, &req); err != nil {
			return in, err
		}
		if _, why := bucketname.Validate(req.Bucket); why != "" {
			return in, errInvalidRequest.Msg("The bucket of an access point for directory buckets must be a directory bucket: " + why)
		}
		if req.VpcConfiguration != nil {
			// zonal has no VPCs: every access point's network origin is
			// Internet, and one restricted to a VPC cannot be honoured.
			return in, errInvalidRequest.Msg("zonal has no VPCs: access points have the network origin Internet, without VpcConfiguration.")
		}
		if req.BucketAccountID != "" && req.BucketAccountID != c.account {
			return in, errInvalidRequest.Msg("zonal creates access points only for buckets of the caller's account.")
		}
		in.bucket = req.Bucket
		if req.Scope != nil {
			s, ok := scopeOf(req.Scope)
			if !ok {
				return in, errMalformedXML
			}
			in.scope = &s
		}
		if req.Tags != nil {
			if in.tags, err = store.TagSet(tagLists(req.Tags.Tag)); err != nil {
				return in, err
			}
		}
	case opPutAccessPointScope:
		s, err := decodeScope(body)
		if err != nil {
			return in, err
		}
		in.scope = &s
	case opPutAccessPointPolicy:
		var req putAccessPointPolicyRequest
		if err := decodeDoc(body, &req); err != nil || req.Policy == nil {
			return in, errMalformedXML
		}
		if in.policy, err = h.checkPolicy([]byte(*req.Policy), arn); err != nil {
			return in, err
		}
	}
	if in.scope != nil {
		if why := store.CheckScope(*in.scope); why != "" {
			return in, errInvalidRequest.Msg(why)
		}
	}
	return in, nil
}

// checkPolicy validates an access point policy as AWS validates directory
// bucket policies: resource-policy grammar, at most 20 KB,
// s3express:CreateSession as the only action, resources of this access
// point, and never public (access points of directory buckets always
// block public access).
func (h *Handler) checkPolicy(doc []byte, arn string) ([]byte, error) {
	_, err := policy.ParseDirectory(doc, arn, store.MaxAccessPointPolicy, h.cfg.Auth.ValidPrincipal())
	var pe *policy.Error
	var public *policy.PublicError
	switch {
	case errors.As(err, &public):
		return nil, errAccessDenied
	case errors.As(err, &pe) && pe.TooLarge:
		return nil, errMalformedPolicy.Msg("Policy exceeds the maximum allowed document size.")
	case errors.As(err, &pe):
		return nil, errMalformedPolicy.Msg(pe.Message)
	case err != nil:
		return nil, errMalformedPolicy
	}
	return doc, nil
}

// createAccessPoint creates the access point once the caller may: the
// bucket must be the caller's, in the access point's zone.
func (h *Handler) createAccessPoint(w http.ResponseWriter, c *call, name, zone, arn string, in apRequest, owned, taken bool) error {
	switch {
	case owned:
		return errAccessPointOwned
	case taken:
		return errAccessPointTaken
	}
	b, err := h.bucket(c, ARN{Partition: "aws", Region: h.cfg.Region, Account: c.account, Type: TypeBucket, Name: in.bucket})
	if err != nil {
		return err
	}
	if b == nil {
		return errNoSuchBucket
	}
	if b.Zone != zone {
		return errInvalidRequest.Msg("An access point for a directory bucket must be in the bucket's zone (" + b.Zone + ").")
	}
	ap := catalog.AccessPoint{Name: name, Bucket: b.Name, Owner: c.account, Region: h.cfg.Region, CreatedAt: h.cfg.Now().UTC(),
		Scope: in.scope, Tags: in.tags}
	err = h.cfg.Store.CreateAccessPoint(c.r.Context(), ap)
	var se *store.Error
	if errors.As(err, &se) && se.Kind == store.AccessPointExists {
		// Created meanwhile: by this account, or another.
		if cur, _, lerr := h.lookupAccessPoint(c, name); lerr == nil && cur != nil {
			return errAccessPointOwned
		}
		return errAccessPointTaken
	}
	if err != nil {
		return err
	}
	return writeXML(w, createAccessPointResult{NS: Namespace, AccessPointArn: arn, Alias: name})
}

// maxListAccessPoints is ListAccessPointsForDirectoryBuckets' page size
// limit (the model's maxResults range).
const maxListAccessPoints = 1000

// listAccessPoints serves ListAccessPointsForDirectoryBuckets: the
// account's access points, of one bucket when directoryBucket names it,
// in name order, paged with an opaque nextToken.
func (h *Handler) listAccessPoints(w http.ResponseWriter, c *call) error {
	q := s3api.Classified(c.r).Query
	limit := maxListAccessPoints
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > maxListAccessPoints {
			return errInvalidMaxResults
		}
		if n > 0 {
			limit = n
		}
	}
	after := ""
	if tok := q.Get("nextToken"); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil {
			return errInvalidRequest.Msg("The continuation token provided is incorrect.")
		}
		after = string(b)
	}
	bucket := q.Get("directoryBucket")
	if bucket != "" {
		if _, why := bucketname.Validate(bucket); why != "" {
			return errInvalidRequest.Msg(why)
		}
	}
	if err := h.authorize(c, auth.Request{Action: "s3express:" + opListAccessPoints, Regional: true}); err != nil {
		return err
	}
	aps, err := h.cfg.Store.ListAccessPoints(c.r.Context(), c.account, bucket, after, limit+1)
	if err != nil {
		return err
	}
	res := listAccessPointsResult{NS: Namespace, AccessPoints: []apEntry{}}
	if len(aps) > limit {
		aps = aps[:limit]
		res.NextToken = base64.RawURLEncoding.EncodeToString([]byte(aps[limit-1].Name))
	}
	for _, a := range aps {
		res.AccessPoints = append(res.AccessPoints, apEntry{Name: a.Name, NetworkOrigin: auth.NetworkOriginInternet, Bucket: a.Bucket,
			AccessPointArn: auth.AccessPointARN(a.Region, a.Owner, a.Name), Alias: a.Name, BucketAccountID: a.Owner})
	}
	return writeXML(w, res)
}
