package s3control

import (
	"io"
	"maps"
	"net/http"
	"slices"

	"github.com/zonal-dev/zonal/internal/auth"
	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/s3api"
	"github.com/zonal-dev/zonal/internal/store"
)

// The tagging operations and their IAM actions.
const (
	opTagResource         = "TagResource"
	opUntagResource       = "UntagResource"
	opListTagsForResource = "ListTagsForResource"
)

func tagsOp(method string) string {
	switch method {
	case http.MethodPost:
		return opTagResource
	case http.MethodDelete:
		return opUntagResource
	case http.MethodGet:
		return opListTagsForResource
	}
	return ""
}

// maxTagBody bounds a TagResource body: 50 tags of 128 and 256
// characters of up to 4 bytes each, XML-escaped, fit with room to spare.
const maxTagBody = 512 << 10

// tags serves /v20180820/tags/{arn}. The ARN arrives with its ':'
// percent-encoded and its '/' literal, so it is the rest of the decoded
// path. The request is checked in full (ARN, accounts, body or keys)
// before the policy decision, which reads the tags asked for, and before
// the bucket is looked up, so bad input changes nothing and a caller
// without permission learns nothing of the bucket.
func (h *Handler) tags(w http.ResponseWriter, c *call) error {
	op := tagsOp(c.r.Method)
	arn, why := ParseARN(c.path)
	if why != "" {
		return errInvalidRequest.Msg(why)
	}
	c.info.Bucket = arn.Name
	if arn.Account != c.account {
		// The SDKs send the ARN and the header as given, unchecked.
		return errInvalidRequest.Msg("The account id in the resource ARN does not match x-amz-account-id.")
	}
	req := auth.Request{Action: "s3express:" + op, Regional: true, Writes: op != opListTagsForResource}
	var set map[string]string
	var remove []string
	switch op {
	case opTagResource:
		body, err := h.body(c)
		if err != nil {
			return err
		}
		keys, values, err := decodeTagResource(body)
		if err != nil {
			return err
		}
		if len(keys) == 0 {
			return errInvalidRequest.Msg("TagResource needs at least one tag.")
		}
		if set, err = store.TagSet(keys, values); err != nil {
			return err
		}
		req.Conditions = auth.RequestTags(set)
	case opUntagResource:
		remove = s3api.Classified(c.r).Query["tagKeys"]
		switch {
		case len(remove) == 0:
			return errInvalidRequest.Msg("UntagResource needs at least one tagKeys parameter.")
		case len(remove) > store.MaxUntagKeys:
			return errTooManyTags.Msg("UntagResource names more than 50 tag keys.")
		}
		req.Conditions = map[string][]string{"aws:tagkeys": remove}
	}
	if arn.Type == TypeAccessPoint {
		return h.tagAccessPoint(w, c, arn, req, set, remove)
	}
	b, err := h.bucket(c, arn)
	if err != nil {
		return err
	}
	req.BucketName, req.Bucket = arn.Name, b
	if err := h.authorize(c, req); err != nil {
		return err
	}
	if b == nil {
		return errNoSuchBucket
	}
	ctx := c.r.Context()
	switch op {
	case opTagResource:
		err = h.cfg.Store.TagBucket(ctx, arn.Name, set)
	case opUntagResource:
		err = h.cfg.Store.UntagBucket(ctx, arn.Name, remove)
	default:
		return listTags(w, b.Tags)
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// tagAccessPoint is tags for an access point ARN: decided with the access
// point's own tags as aws:ResourceTag, answered NoSuchAccessPoint when the
// account has none of this name in this region.
func (h *Handler) tagAccessPoint(w http.ResponseWriter, c *call, arn ARN, req auth.Request, set map[string]string, remove []string) error {
	cur, _, err := h.lookupAccessPoint(c, arn.Name)
	if err != nil {
		return err
	}
	if arn.Region != h.cfg.Region {
		cur = nil
	}
	req.Resource, req.Account, req.AccessPoint = arn.String(), arn.Account, cur
	if err := h.authorize(c, req); err != nil {
		return err
	}
	if cur == nil {
		return errNoSuchAccessPoint
	}
	ctx := c.r.Context()
	switch {
	case set != nil:
		err = h.cfg.Store.TagAccessPoint(ctx, arn.Name, set)
	case remove != nil:
		err = h.cfg.Store.UntagAccessPoint(ctx, arn.Name, remove)
	default:
		return listTags(w, cur.Tags)
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// bucket returns the bucket the ARN names, nil when there is none: one of
// this name in another region or account is not it.
func (h *Handler) bucket(c *call, arn ARN) (*catalog.Bucket, error) {
	b, err := h.cfg.Auth.Bucket(c.r.Context(), arn.Name)
	if err != nil || b == nil {
		return nil, err
	}
	if b.Owner != arn.Account || b.Region != arn.Region && b.Region != "" || arn.Region != h.cfg.Region {
		return nil, nil
	}
	return b, nil
}

func listTags(w http.ResponseWriter, tags map[string]string) error {
	res := listTagsForResourceResult{NS: Namespace, Tags: []xmlTag{}}
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		res.Tags = append(res.Tags, xmlTag{Key: k, Value: tags[k]})
	}
	return writeXML(w, res)
}

// body reads the request body, verified against its signed hash.
func (h *Handler) body(c *call) ([]byte, error) {
	if c.r.ContentLength > maxTagBody {
		return nil, errMalformedXML.Msg("The request body is too large.")
	}
	p, err := c.caller.Auth.BodyTrailer(c.r, c.caller.Key, s3api.Classified(c.r).Trailer(c.r))
	if err != nil {
		return nil, s3api.AuthError(err)
	}
	body, err := io.ReadAll(io.LimitReader(p, maxTagBody+1))
	if err != nil {
		return nil, s3api.AuthError(err)
	}
	if len(body) > maxTagBody {
		return nil, errMalformedXML.Msg("The request body is too large.")
	}
	return body, nil
}
