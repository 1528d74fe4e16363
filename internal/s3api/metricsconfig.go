package s3api

import (
	"context"
	"encoding/xml"
	"net/http"
	"slices"
	"strings"

	"github.com/zonal-dev/zonal/internal/s3err"
	"github.com/zonal-dev/zonal/internal/store"
)

// Metrics configurations (?metrics) select the requests zonal counts per
// configuration on /_zonal/metrics, as AWS's CloudWatch request metrics
// do. Directory buckets filter by prefix, access point ARN or both (an
// And); tag filters are not supported there.

type metricsConfiguration struct {
	XMLName xml.Name       `xml:"MetricsConfiguration"`
	NS      string         `xml:"xmlns,attr,omitempty"`
	ID      string         `xml:"Id"`
	Filter  *metricsFilter `xml:"Filter,omitempty"`
}

type metricsFilter struct {
	Prefix         *string     `xml:"Prefix,omitempty"`
	AccessPointArn *string     `xml:"AccessPointArn,omitempty"`
	Tag            *struct{}   `xml:"Tag"`
	And            *metricsAnd `xml:"And,omitempty"`
	Unknown        []struct{}  `xml:",any"`
}

type metricsAnd struct {
	Prefix         *string    `xml:"Prefix,omitempty"`
	AccessPointArn *string    `xml:"AccessPointArn,omitempty"`
	Tags           []struct{} `xml:"Tag"`
}

type listMetricsResult struct {
	XMLName               xml.Name               `xml:"ListMetricsConfigurationsResult"`
	NS                    string                 `xml:"xmlns,attr"`
	IsTruncated           bool                   `xml:"IsTruncated"`
	ContinuationToken     string                 `xml:"ContinuationToken,omitempty"`
	NextContinuationToken string                 `xml:"NextContinuationToken,omitempty"`
	Configs               []metricsConfiguration `xml:"MetricsConfiguration"`
}

// configsPerPage is how many configurations a List answer holds; AWS
// documents 100 for both metrics and inventory.
const configsPerPage = 100

// configID reads and checks the id query parameter: 1 to 64 letters,
// digits, periods, dashes and underscores, AWS's rule for metrics and
// inventory ids.
func configID(t target) (string, error) {
	id := t.Query.Get("id")
	if !validConfigID(id) {
		return "", s3err.InvalidArgument.Msg("The configuration id must be 1 to 64 letters, digits, periods, dashes or underscores.").
			With("ArgumentName", "id").With("ArgumentValue", id)
	}
	return id, nil
}

func validConfigID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range []byte(id) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_'
		if !ok {
			return false
		}
	}
	return true
}

// bodyID checks that the document's Id is the one the query names: AWS's
// model carries both, and a configuration stored under one id but
// reporting another would be answered wrongly by Get and List. AWS does
// not document the case; refusing it is the safe reading.
func bodyID(doc, query string) error {
	if doc != query {
		return s3err.InvalidArgument.Msg("The configuration's Id %q does not match the id parameter %q.", doc, query)
	}
	return nil
}

// parseMetricsConfig validates a MetricsConfiguration document for bucket
// b (its owner and zone bound access point ARNs).
func (h *Handler) parseMetricsConfig(doc []byte, id, owner, zone string) (store.MetricsConfig, error) {
	var cfg metricsConfiguration
	if err := xml.Unmarshal(doc, &cfg); err != nil {
		return store.MetricsConfig{}, s3err.MalformedXML
	}
	if err := bodyID(cfg.ID, id); err != nil {
		return store.MetricsConfig{}, err
	}
	out := store.MetricsConfig{ID: id}
	f := cfg.Filter
	if f == nil {
		return out, nil
	}
	if f.Tag != nil || (f.And != nil && len(f.And.Tags) > 0) {
		return out, s3err.InvalidArgument.Msg("Metrics configurations for directory buckets do not support tag filters.")
	}
	n := 0
	for _, set := range []bool{f.Prefix != nil, f.AccessPointArn != nil, f.And != nil} {
		if set {
			n++
		}
	}
	if n > 1 || len(f.Unknown) > 0 {
		return out, s3err.MalformedXML.Msg("A metrics filter holds one Prefix, AccessPointArn or And.")
	}
	out.Prefix, out.AccessPointARN = f.Prefix, f.AccessPointArn
	if f.And != nil {
		// An And joins at least two predicates; directory buckets have
		// only these two.
		if f.And.Prefix == nil || f.And.AccessPointArn == nil {
			return out, s3err.MalformedXML.Msg("An And filter needs at least two predicates.")
		}
		out.Prefix, out.AccessPointARN, out.And = f.And.Prefix, f.And.AccessPointArn, true
	}
	if a := out.AccessPointARN; a != nil && !h.validAccessPointARN(*a, owner, zone) {
		return out, s3err.InvalidArgument.Msg("The AccessPointArn %q is not the ARN of an access point of this bucket's account and zone.", *a)
	}
	return out, nil
}

// validAccessPointARN checks an access point ARN's shape: this region, the
// bucket owner's account, a directory-bucket access point name in the
// bucket's zone (name--zone--xa-s3). The filter matches requests made
// through that access point once they carry one (see the server's
// per-configuration counters).
func (h *Handler) validAccessPointARN(arn, owner, zone string) bool {
	rest, ok := strings.CutPrefix(arn, "arn:aws:s3express:"+h.cfg.Region+":"+owner+":accesspoint/")
	if !ok {
		return false
	}
	base, ok := strings.CutSuffix(rest, "--"+zone+"--xa-s3")
	return ok && base != "" && !strings.ContainsAny(base, "/:")
}

func renderMetrics(m store.MetricsConfig) metricsConfiguration {
	out := metricsConfiguration{ID: m.ID}
	switch {
	case m.And:
		out.Filter = &metricsFilter{And: &metricsAnd{Prefix: m.Prefix, AccessPointArn: m.AccessPointARN}}
	case m.Prefix != nil || m.AccessPointARN != nil:
		out.Filter = &metricsFilter{Prefix: m.Prefix, AccessPointArn: m.AccessPointARN}
	}
	return out
}

func (h *Handler) putBucketMetrics(w http.ResponseWriter, r *http.Request, c *caller, t target) error {
	id, err := configID(t)
	if err != nil {
		return err
	}
	doc, err := h.readConfigBody(r, c)
	if err != nil {
		return err
	}
	b, err := h.store.Bucket(r.Context(), t.Bucket)
	if err != nil {
		return err
	}
	m, err := h.parseMetricsConfig(doc, id, b.Owner, b.Zone)
	if err != nil {
		return err
	}
	if err := h.store.PutMetricsConfig(r.Context(), t.Bucket, m); err != nil {
		return err
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) metricsSet() configSet[store.MetricsConfig] {
	return configSet[store.MetricsConfig]{list: h.store.MetricsConfigs, del: h.store.DeleteMetricsConfig,
		id: func(m store.MetricsConfig) string { return m.ID }}
}

func (h *Handler) getBucketMetrics(w http.ResponseWriter, r *http.Request, t target) error {
	m, err := h.metricsSet().get(r, t)
	if err != nil {
		return err
	}
	out := renderMetrics(m)
	out.NS = s3NS
	return writeXML(w, out)
}

func (h *Handler) listBucketMetrics(w http.ResponseWriter, r *http.Request, t target) error {
	page, next, token, err := h.metricsSet().page(r, t)
	if err != nil {
		return err
	}
	out := listMetricsResult{NS: s3NS, ContinuationToken: token, NextContinuationToken: next, IsTruncated: next != ""}
	for _, m := range page {
		out.Configs = append(out.Configs, renderMetrics(m))
	}
	return writeXML(w, out)
}

// configSet is one kind of a bucket's configurations held by id (metrics,
// inventory): Get, Delete and List are the same for both.
type configSet[T any] struct {
	list func(ctx context.Context, bucket string) ([]T, error)
	del  func(ctx context.Context, bucket, id string) error
	id   func(T) string
}

// get returns the configuration the request's id names.
func (s configSet[T]) get(r *http.Request, t target) (T, error) {
	var zero T
	if err := noOwnerHeader(r); err != nil {
		return zero, err
	}
	id, err := configID(t)
	if err != nil {
		return zero, err
	}
	all, err := s.list(r.Context(), t.Bucket)
	if err != nil {
		return zero, err
	}
	i := slices.IndexFunc(all, func(c T) bool { return s.id(c) == id })
	if i < 0 {
		return zero, s3err.NoSuchConfiguration
	}
	return all[i], nil
}

// delete removes the configuration the request's id names: 204.
func (s configSet[T]) delete(w http.ResponseWriter, r *http.Request, t target) error {
	if err := noOwnerHeader(r); err != nil {
		return err
	}
	id, err := configID(t)
	if err != nil {
		return err
	}
	if err := s.del(r.Context(), t.Bucket, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// page returns one page of configurations in id order after the
// request's continuation-token (the last id of the previous page: ids are
// not secret from a caller who may list them), the token of the next page
// ("" at the end) and the token given.
func (s configSet[T]) page(r *http.Request, t target) (page []T, next, token string, err error) {
	if err := noOwnerHeader(r); err != nil {
		return nil, "", "", err
	}
	all, err := s.list(r.Context(), t.Bucket)
	if err != nil {
		return nil, "", "", err
	}
	token = t.Query.Get("continuation-token")
	slices.SortFunc(all, func(a, b T) int { return strings.Compare(s.id(a), s.id(b)) })
	start := 0
	if token != "" {
		start, _ = slices.BinarySearchFunc(all, token, func(a T, tok string) int { return strings.Compare(s.id(a), tok) })
		if start < len(all) && s.id(all[start]) == token {
			start++
		}
	}
	end := min(start+configsPerPage, len(all))
	if end < len(all) {
		next = s.id(all[end-1])
	}
	return all[start:end], next, token, nil
}

// noOwnerHeader answers x-amz-expected-bucket-owner with 501, as AWS's
// model states for these operations on directory buckets.
func noOwnerHeader(r *http.Request) error {
	if r.Header.Get("X-Amz-Expected-Bucket-Owner") != "" {
		return s3err.NotImplemented.Msg("Directory buckets do not support x-amz-expected-bucket-owner on bucket configuration requests.")
	}
	return nil
}
