package store

import (
	"context"
	"encoding/xml"
	"log/slog"
	"strings"
	"time"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// LifecycleConfiguration is the subset of S3 lifecycle rules directory
// buckets support: expiration after a number of days and aborting
// incomplete multipart uploads, filtered by prefix and object size.
type LifecycleConfiguration struct {
	XMLName xml.Name        `xml:"LifecycleConfiguration"`
	NS      string          `xml:"xmlns,attr,omitempty"`
	Rules   []LifecycleRule `xml:"Rule"`
}

// LifecycleRule is one rule.
type LifecycleRule struct {
	ID     string           `xml:"ID,omitempty"`
	Status string           `xml:"Status"`
	Filter *LifecycleFilter `xml:"Filter"`
	// Prefix at rule level is the legacy form of Filter.Prefix.
	Prefix     *string `xml:"Prefix"`
	Expiration *struct {
		Days                      *int    `xml:"Days"`
		Date                      *string `xml:"Date"`
		ExpiredObjectDeleteMarker *bool   `xml:"ExpiredObjectDeleteMarker"`
	} `xml:"Expiration"`
	AbortIncompleteMultipartUpload *struct {
		DaysAfterInitiation int `xml:"DaysAfterInitiation"`
	} `xml:"AbortIncompleteMultipartUpload"`
	Transition                  []struct{} `xml:"Transition"`
	NoncurrentVersionExpiration *struct{}  `xml:"NoncurrentVersionExpiration"`
	NoncurrentVersionTransition []struct{} `xml:"NoncurrentVersionTransition"`
}

// LifecycleFilter selects the objects a rule applies to.
type LifecycleFilter struct {
	Prefix                *string    `xml:"Prefix"`
	ObjectSizeGreaterThan *int64     `xml:"ObjectSizeGreaterThan"`
	ObjectSizeLessThan    *int64     `xml:"ObjectSizeLessThan"`
	Tag                   *struct{}  `xml:"Tag"`
	And                   *filterAnd `xml:"And"`
}

type filterAnd struct {
	Prefix                *string    `xml:"Prefix"`
	ObjectSizeGreaterThan *int64     `xml:"ObjectSizeGreaterThan"`
	ObjectSizeLessThan    *int64     `xml:"ObjectSizeLessThan"`
	Tags                  []struct{} `xml:"Tag"`
}

// selector is a rule's filter, flattened.
type selector struct {
	prefix             string
	greater, less      int64 // 0 / -1 when unset
	expireDays, mpDays int   // 0 when unset
}

// ParseLifecycle validates a lifecycle document against what directory
// buckets support.
func ParseLifecycle(doc []byte) (*LifecycleConfiguration, error) {
	var cfg LifecycleConfiguration
	if err := xml.Unmarshal(doc, &cfg); err != nil {
		return nil, kindErr(Malformed)
	}
	if len(cfg.Rules) == 0 || len(cfg.Rules) > 1000 {
		return nil, malformed("A lifecycle configuration holds 1 to 1000 rules.")
	}
	ids := map[string]bool{}
	for _, r := range cfg.Rules {
		if _, err := r.selector(); err != nil {
			return nil, err
		}
		if r.ID != "" {
			if len(r.ID) > 255 {
				return nil, invalidArgument("ID length should not exceed allowed limit of 255")
			}
			if ids[r.ID] {
				return nil, invalidArgument("Rule ID must be unique. Found same ID for more than one rule")
			}
			ids[r.ID] = true
		}
	}
	return &cfg, nil
}

func (r LifecycleRule) selector() (selector, error) {
	sel := selector{less: -1}
	if r.Status != "Enabled" && r.Status != "Disabled" {
		return sel, malformed("Status must be Enabled or Disabled.")
	}
	if len(r.Transition) > 0 || r.NoncurrentVersionExpiration != nil || len(r.NoncurrentVersionTransition) > 0 {
		return sel, invalidArgument("Directory buckets support only Expiration (Days) and AbortIncompleteMultipartUpload lifecycle actions.")
	}
	if e := r.Expiration; e != nil {
		if e.Date != nil || e.ExpiredObjectDeleteMarker != nil {
			return sel, invalidArgument("Directory buckets support only Days in a lifecycle Expiration.")
		}
		if e.Days == nil || *e.Days <= 0 {
			return sel, invalidArgument("'Days' for Expiration action must be a positive integer")
		}
		sel.expireDays = *e.Days
	}
	if a := r.AbortIncompleteMultipartUpload; a != nil {
		if a.DaysAfterInitiation <= 0 {
			return sel, invalidArgument("'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer")
		}
		sel.mpDays = a.DaysAfterInitiation
	}
	if sel.expireDays == 0 && sel.mpDays == 0 {
		return sel, malformed("At least one action needs to be specified in a rule")
	}
	if r.Prefix != nil {
		sel.prefix = *r.Prefix
	}
	if f := r.Filter; f != nil {
		if f.Tag != nil || (f.And != nil && len(f.And.Tags) > 0) {
			return sel, invalidArgument("Directory buckets do not support tag filters in lifecycle rules.")
		}
		if r.Prefix != nil {
			return sel, malformed("A rule may not have both a Prefix and a Filter.")
		}
		// A Filter holds exactly one condition; several are combined with And.
		n := 0
		for _, set := range []bool{f.Prefix != nil, f.ObjectSizeGreaterThan != nil, f.ObjectSizeLessThan != nil, f.And != nil} {
			if set {
				n++
			}
		}
		if n > 1 {
			return sel, malformed("A lifecycle Filter holds one condition; combine several with And.")
		}
		pfx, gt, lt := f.Prefix, f.ObjectSizeGreaterThan, f.ObjectSizeLessThan
		if a := f.And; a != nil {
			pfx, gt, lt = a.Prefix, a.ObjectSizeGreaterThan, a.ObjectSizeLessThan
		}
		if pfx != nil {
			sel.prefix = *pfx
		}
		if gt != nil {
			sel.greater = *gt
		}
		if lt != nil {
			sel.less = *lt
		}
		if gt != nil && lt != nil && *lt <= *gt {
			return sel, invalidArgument("ObjectSizeLessThan must be greater than ObjectSizeGreaterThan.")
		}
	}
	if sel.mpDays > 0 && (sel.greater > 0 || sel.less >= 0) {
		return sel, invalidArgument("AbortIncompleteMultipartUpload cannot be specified with object size filters.")
	}
	return sel, nil
}

func (sel selector) matches(o *catalog.Object) bool {
	return strings.HasPrefix(o.Key, sel.prefix) && o.Size > sel.greater && (sel.less < 0 || o.Size < sel.less)
}

// LifecycleOptions bound the background worker.
type LifecycleOptions struct {
	Interval time.Duration // between passes
	Day      time.Duration // length of a lifecycle "day" (24h; shorter in tests)
	MaxWork  int           // objects and uploads examined per pass
	// Active, when set, is asked before each pass: nodes sharing a
	// catalog run passes only on the holder of the background lease.
	Active func() bool
}

// LifecyclePass runs each bucket's rules once, examining at most
// opt.MaxWork entries, and returns how many objects and uploads it removed.
func (s *Store) LifecyclePass(ctx context.Context, opt LifecycleOptions) (int, error) {
	budget := opt.MaxWork
	removed := 0
	after := ""
	for budget > 0 {
		buckets, err := s.cat.ListBuckets(ctx, "", after, 100)
		if err != nil {
			return removed, err
		}
		if len(buckets) == 0 {
			return removed, nil
		}
		for _, b := range buckets {
			after = b.Name
			if len(b.Lifecycle) == 0 {
				continue
			}
			cfg, err := ParseLifecycle(b.Lifecycle)
			if err != nil {
				continue // stored documents were validated; a later rule change is not fatal here
			}
			for _, r := range cfg.Rules {
				if r.Status != "Enabled" || budget <= 0 {
					continue
				}
				sel, _ := r.selector()
				n, used, err := s.applyRule(ctx, b.Name, sel, opt, budget)
				removed += n
				budget -= used
				if err != nil {
					return removed, err
				}
			}
		}
	}
	return removed, nil
}

func (s *Store) applyRule(ctx context.Context, bucket string, sel selector, opt LifecycleOptions, budget int) (removed, used int, err error) {
	now := s.opt.Now()
	if sel.expireDays > 0 {
		cutoff := now.Add(-time.Duration(sel.expireDays) * opt.Day)
		after := ""
		for used < budget {
			page, err := s.cat.ListObjects(ctx, catalog.ListQuery{Bucket: bucket, Prefix: sel.prefix, After: after, Limit: min(1000, budget-used)})
			if err != nil {
				return removed, used, err
			}
			for _, e := range page.Entries {
				used++
				after = e.Name()
				o := e.Object
				if o == nil || !sel.matches(o) || o.LastModified.After(cutoff) {
					continue
				}
				// Conditional on the ETag: an object rewritten meanwhile is new.
				err := s.Delete(ctx, bucket, o.Key, DeleteConditions{IfMatch: o.ETag})
				if err == nil {
					removed++
				} else if !IsKind(err, PreconditionFailed) {
					return removed, used, err
				}
			}
			if !page.Truncated {
				break
			}
		}
	}
	if sel.mpDays > 0 && used < budget {
		cutoff := now.Add(-time.Duration(sel.mpDays) * opt.Day)
		q := catalog.ListQuery{Bucket: bucket, Prefix: sel.prefix, Limit: min(1000, budget-used)}
		for used < budget {
			q.Limit = min(1000, budget-used)
			page, err := s.cat.ListUploads(ctx, q)
			if err != nil {
				return removed, used, err
			}
			for _, e := range page.Entries {
				used++
				u := e.Upload
				if u == nil {
					continue
				}
				q.After, q.AfterUpload = u.Key, u.ID
				if u.Initiated.After(cutoff) {
					continue
				}
				err := s.AbortUpload(ctx, bucket, u.Key, u.ID, nil)
				if err == nil {
					removed++
				} else if !IsKind(err, NoSuchUpload) {
					return removed, used, err
				}
			}
			if !page.Truncated {
				break
			}
		}
	}
	return removed, used, nil
}

// RunLifecycle runs passes every opt.Interval until ctx ends.
func (s *Store) RunLifecycle(ctx context.Context, log *slog.Logger, opt LifecycleOptions) {
	runPasses(ctx, log, opt.Interval, opt.Active, "lifecycle pass", "removed", func(ctx context.Context) (int, error) {
		return s.LifecyclePass(ctx, opt)
	})
}
