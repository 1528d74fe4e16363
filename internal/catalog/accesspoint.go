package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ErrBucketHasAccessPoints is DeleteBucket's refusal while an access point
// is attached to the bucket: AWS requires deleting them first.
var ErrBucketHasAccessPoints = errors.New("catalog: bucket has access points")

// AccessPoint is an access point for a directory bucket: a second name for
// the bucket with its own policy, scope and tags.
type AccessPoint struct {
	Name      string // base--zone--xa-s3
	Bucket    string
	Owner     string // account id; always the bucket's owner
	Region    string
	CreatedAt time.Time
	Policy    []byte // access point policy JSON, nil when none
	// Scope restricts what requests through the access point may do:
	// nil when it has none (everything its policies allow).
	Scope *Scope
	Tags  map[string]string
}

// Scope is an access point's scope: the operations (S3 action names,
// "GetObject") and key prefixes allowed through it. An empty list
// restricts nothing.
type Scope struct {
	Permissions []string
	Prefixes    []string
}

// Clone returns a deep copy of a, for a caller to own.
func (a AccessPoint) Clone() AccessPoint {
	a.Policy = slices.Clone(a.Policy)
	if a.Scope != nil {
		s := Scope{Permissions: slices.Clone(a.Scope.Permissions), Prefixes: slices.Clone(a.Scope.Prefixes)}
		a.Scope = &s
	}
	a.Tags = CloneTags(a.Tags)
	return a
}

// AccessPoints is the access point store every engine implements beside
// Catalog.
type AccessPoints interface {
	// CreateAccessPoint stores a; ErrExists when the name is taken,
	// ErrNotFound when a.Bucket does not exist. It cannot race
	// DeleteBucket: one of the two sees the other.
	CreateAccessPoint(ctx context.Context, a AccessPoint) error
	// GetAccessPoint returns the access point or ErrNotFound.
	GetAccessPoint(ctx context.Context, name string) (AccessPoint, error)
	// UpdateAccessPoint atomically rewrites Policy, Scope and Tags; fn
	// must change nothing else. ErrNotFound when it does not exist.
	UpdateAccessPoint(ctx context.Context, name string, fn func(a *AccessPoint) error) error
	// DeleteAccessPoint removes it, or answers ErrNotFound.
	DeleteAccessPoint(ctx context.Context, name string) error
	// ListAccessPoints returns up to limit access points of owner (of
	// bucket, when not empty) with names after `after`, in name order.
	ListAccessPoints(ctx context.Context, owner, bucket, after string, limit int) ([]AccessPoint, error)
}

// UpdatedAccessPoint runs an UpdateAccessPoint fn on a copy of old and
// returns the result, refusing one that changed anything but Policy,
// Scope and Tags.
func UpdatedAccessPoint(old AccessPoint, fn func(a *AccessPoint) error) (AccessPoint, error) {
	next := old.Clone()
	if err := fn(&next); err != nil {
		return AccessPoint{}, err
	}
	if old.Name != next.Name || old.Bucket != next.Bucket || old.Owner != next.Owner || old.Region != next.Region || !old.CreatedAt.Equal(next.CreatedAt) {
		return AccessPoint{}, fmt.Errorf("catalog: UpdateAccessPoint of %q changed more than its policy, scope and tags", old.Name)
	}
	return next, nil
}

// apRecord is the stored form of an AccessPoint, shared by the durable
// engines: versioned JSON, as the record is small, read once per request
// through it and written rarely.
type apRecord struct {
	V           int               `json:"v"`
	Bucket      string            `json:"b"`
	Owner       string            `json:"o"`
	Region      string            `json:"r"`
	CreatedNS   int64             `json:"c"`
	Policy      []byte            `json:"p,omitempty"`
	HasScope    bool              `json:"s,omitempty"`
	Permissions []string          `json:"sp,omitempty"`
	Prefixes    []string          `json:"sx,omitempty"`
	Tags        map[string]string `json:"t,omitempty"`
}

const apRecordVersion = 1

// EncodeAccessPoint returns the stored form of a (its name is the key).
func EncodeAccessPoint(a AccessPoint) []byte {
	r := apRecord{V: apRecordVersion, Bucket: a.Bucket, Owner: a.Owner, Region: a.Region, Policy: a.Policy, Tags: a.Tags}
	if !a.CreatedAt.IsZero() {
		r.CreatedNS = a.CreatedAt.UnixNano()
	}
	if a.Scope != nil {
		r.HasScope, r.Permissions, r.Prefixes = true, a.Scope.Permissions, a.Scope.Prefixes
	}
	b, err := json.Marshal(r)
	if err != nil {
		panic(err) // strings, bytes and a map of strings always marshal
	}
	return b
}

// DecodeAccessPoint reads EncodeAccessPoint's form back.
func DecodeAccessPoint(name string, b []byte) (AccessPoint, error) {
	var r apRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return AccessPoint{}, fmt.Errorf("catalog: access point %q: %w", name, err)
	}
	if r.V != apRecordVersion {
		return AccessPoint{}, fmt.Errorf("catalog: access point %q: record version %d unknown", name, r.V)
	}
	a := AccessPoint{Name: name, Bucket: r.Bucket, Owner: r.Owner, Region: r.Region, Policy: r.Policy, Tags: CloneTags(r.Tags)}
	if r.CreatedNS != 0 {
		a.CreatedAt = time.Unix(0, r.CreatedNS).UTC()
	}
	if r.HasScope {
		a.Scope = &Scope{Permissions: r.Permissions, Prefixes: r.Prefixes}
	}
	return a, nil
}

// SortAccessPoints orders access points by name and keeps those after
// `after`, up to limit: the listing rule every engine shares.
func SortAccessPoints(aps []AccessPoint, after string, limit int) []AccessPoint {
	aps = slices.DeleteFunc(aps, func(a AccessPoint) bool { return a.Name <= after })
	slices.SortFunc(aps, func(a, b AccessPoint) int { return strings.Compare(a.Name, b.Name) })
	if len(aps) > limit {
		aps = aps[:limit]
	}
	return aps
}
