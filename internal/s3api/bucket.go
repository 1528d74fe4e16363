package s3api

import (
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/zonal-dev/zonal/internal/bucketname"
	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/s3err"
	"github.com/zonal-dev/zonal/internal/store"
)

// BucketARN is a directory bucket's ARN.
func BucketARN(region, account, bucket string) string {
	return "arn:aws:s3express:" + region + ":" + account + ":bucket/" + bucket
}

// ZoneOf returns the zone id of a directory bucket name.
func ZoneOf(name string) (string, bool) { return bucketname.ZoneOf(name) }

// storageClass is the storage class of every object in bucket.
func storageClass(bucket string) string { return store.StorageClass(bucket) }

// validBucketName applies the directory bucket naming rules.
func validBucketName(name string) (string, string) { return bucketname.Validate(name) }

// createBucketConfiguration is CreateBucket's body. found says a
// document was sent at all.
type createBucketConfiguration struct {
	found    bool
	XMLName  xml.Name `xml:"CreateBucketConfiguration"`
	Location *struct {
		Type string `xml:"Type"`
		Name string `xml:"Name"`
	} `xml:"Location"`
	Bucket *struct {
		DataRedundancy string `xml:"DataRedundancy"`
		Type           string `xml:"Type"`
	} `xml:"Bucket"`
	LocationConstraint string `xml:"LocationConstraint"`
	Tags               *struct {
		Tag []struct{ Key, Value string } `xml:"Tag"`
	} `xml:"Tags"`
}

// unsupportedBucketHeaders are CreateBucket headers directory buckets refuse.
var unsupportedBucketHeaders = []string{
	"X-Amz-Acl", "X-Amz-Grant-Full-Control", "X-Amz-Grant-Read", "X-Amz-Grant-Read-Acp",
	"X-Amz-Grant-Write", "X-Amz-Grant-Write-Acp", "X-Amz-Bucket-Object-Lock-Enabled",
	"X-Amz-Object-Ownership",
}

// readCreateBucket reads CreateBucket's configuration. It runs before
// the policy decision, whose condition keys include the tags it asks for.
func (h *Handler) readCreateBucket(r *http.Request, c *caller) (*createBucketConfiguration, error) {
	body, err := h.payload(r, c)
	if err != nil {
		return nil, err
	}
	cfg := &createBucketConfiguration{}
	if cfg.found, err = readXML(body, cfg); err != nil {
		return nil, err
	}
	return cfg, nil
}

// requestTags are the tags CreateBucket asks for, as condition keys see
// them (a repeated key is refused later, by validation).
func (cfg *createBucketConfiguration) requestTags() map[string]string {
	if cfg.Tags == nil || len(cfg.Tags.Tag) == 0 {
		return nil
	}
	m := make(map[string]string, len(cfg.Tags.Tag))
	for _, t := range cfg.Tags.Tag {
		m[t.Key] = t.Value
	}
	return m
}

func (h *Handler) createBucket(w http.ResponseWriter, r *http.Request, c *caller, t target) error {
	for _, name := range unsupportedBucketHeaders {
		if r.Header.Get(name) != "" {
			return s3err.NotImplemented.Msg("Directory buckets do not support the %s header.", name)
		}
	}
	zone, why := validBucketName(t.Bucket)
	if why != "" {
		return s3err.InvalidBucketName.Msg("%s", why).With("BucketName", t.Bucket)
	}
	cfg := c.create
	if cfg == nil { // authorize reads it; a Handler used without it too
		var err error
		if cfg, err = h.readCreateBucket(r, c); err != nil {
			return err
		}
	}
	// The location type follows from the zone id in the name: an AZ id
	// (use1-az4) or a Local Zone id (use1-atl2-az1).
	locType, redundancy := bucketname.LocationType(zone), bucketname.DataRedundancy(zone)
	switch {
	case cfg.LocationConstraint != "":
		// AWS's answer for directory buckets is undocumented; this is the
		// code S3 gives a LocationConstraint it cannot honour.
		return s3err.InvalidLocationConstraint.With("LocationConstraint", cfg.LocationConstraint)
	case !cfg.found || cfg.Location == nil || cfg.Bucket == nil:
		return s3err.InvalidRequest.Msg("Directory bucket creation needs a CreateBucketConfiguration with Location and Bucket.")
	case cfg.Location.Type != bucketname.AvailabilityZone && cfg.Location.Type != bucketname.LocalZone:
		return s3err.InvalidArgument.Msg("Location.Type must be AvailabilityZone or LocalZone.")
	case cfg.Location.Name != zone:
		// AWS's code for this is undocumented; the name carries the zone, so
		// a disagreement makes the name invalid for this request.
		return s3err.InvalidBucketName.Msg("The zone id in the bucket name (%s) does not match Location.Name (%s).", zone, cfg.Location.Name).With("BucketName", t.Bucket)
	case cfg.Location.Type != locType:
		return s3err.InvalidArgument.Msg("Location.Type must be %s for zone %s.", locType, zone)
	case cfg.Bucket.Type != "Directory":
		return s3err.InvalidArgument.Msg("Bucket.Type must be Directory.")
	case cfg.Bucket.DataRedundancy != redundancy:
		return s3err.InvalidArgument.Msg("Bucket.DataRedundancy must be %s in a %s.", redundancy, locType)
	}
	var tags map[string]string
	if cfg.Tags != nil && len(cfg.Tags.Tag) > 0 {
		keys, values := make([]string, len(cfg.Tags.Tag)), make([]string, len(cfg.Tags.Tag))
		for i, tg := range cfg.Tags.Tag {
			keys[i], values[i] = tg.Key, tg.Value
		}
		var err error
		if tags, err = store.TagSet(keys, values); err != nil {
			return err
		}
	}
	if len(h.cfg.Zones) > 0 && !slices.Contains(h.cfg.Zones, zone) {
		return s3err.InvalidArgument.Msg("This endpoint does not serve zone %s; it serves %s.", zone, strings.Join(h.cfg.Zones, ", "))
	}
	// The tags are part of the bucket's first record: a bucket never
	// exists without the tags it was created with.
	err := h.store.CreateBucket(r.Context(), catalog.Bucket{
		Name: t.Bucket, Owner: c.principal.Account, Region: h.cfg.Region, Zone: zone, CreatedAt: h.now().UTC(),
		Tags: tags,
	})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/"+t.Bucket)
	w.Header().Set("X-Amz-Bucket-Arn", BucketARN(h.cfg.Region, c.principal.Account, t.Bucket))
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) headBucket(w http.ResponseWriter, r *http.Request, t target) error {
	b, err := h.store.Bucket(r.Context(), t.Bucket)
	if err != nil {
		return err
	}
	hd := w.Header()
	hd.Set("X-Amz-Bucket-Location-Type", bucketname.LocationType(b.Zone))
	hd.Set("X-Amz-Bucket-Location-Name", b.Zone)
	hd.Set("X-Amz-Bucket-Region", b.Region)
	hd.Set("X-Amz-Access-Point-Alias", "false")
	hd.Set("X-Amz-Bucket-Arn", BucketARN(b.Region, b.Owner, b.Name))
	w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) deleteBucket(w http.ResponseWriter, r *http.Request, t target) error {
	if r.Header.Get("X-Amz-Expected-Bucket-Owner") != "" {
		return s3err.NotImplemented.Msg("Directory buckets do not support x-amz-expected-bucket-owner on DeleteBucket.")
	}
	if err := h.store.DeleteBucket(r.Context(), t.Bucket); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type listDirectoryBucketsResult struct {
	XMLName           xml.Name          `xml:"ListAllMyDirectoryBucketsResult"`
	NS                string            `xml:"xmlns,attr"`
	Buckets           []directoryBucket `xml:"Buckets>Bucket"`
	ContinuationToken string            `xml:"ContinuationToken,omitempty"`
}

type directoryBucket struct {
	Name         string `xml:"Name"`
	CreationDate string `xml:"CreationDate"`
	BucketRegion string `xml:"BucketRegion"`
	BucketArn    string `xml:"BucketArn"`
}

// listAllMyBucketsResult is general-purpose ListBuckets' answer.
type listAllMyBucketsResult struct {
	XMLName xml.Name  `xml:"ListAllMyBucketsResult"`
	NS      string    `xml:"xmlns,attr"`
	Buckets struct{}  `xml:"Buckets"`
	Owner   listOwner `xml:"Owner"`
}

// listBuckets answers general-purpose ListBuckets (GET / without
// x-id=ListDirectoryBuckets, as `aws s3 ls` and `rclone lsd` send it).
// It lists general-purpose buckets only, and zonal has none: on AWS,
// directory buckets never appear in it.
func (h *Handler) listBuckets(w http.ResponseWriter, r *http.Request, c *caller) error {
	res := listAllMyBucketsResult{NS: s3NS}
	res.Owner = listOwner{ID: c.principal.Account, DisplayName: c.principal.Account}
	return writeXML(w, res)
}

func (h *Handler) listDirectoryBuckets(w http.ResponseWriter, r *http.Request, c *caller, t target) error {
	q := t.Query
	limit := 1000
	if v := q.Get("max-directory-buckets"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1000 {
			return s3err.InvalidArgument.Msg("max-directory-buckets must be an integer between 0 and 1000.")
		}
		if n > 0 {
			limit = n
		}
	}
	after := ""
	if tok := q.Get("continuation-token"); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(tok) > 1024 {
			return s3err.InvalidArgument.Msg("The continuation token provided is incorrect.")
		}
		after = string(raw)
	}
	bs, err := h.store.ListBuckets(r.Context(), c.principal.Account, after, limit+1)
	if err != nil {
		return err
	}
	res := listDirectoryBucketsResult{NS: s3NS, Buckets: []directoryBucket{}}
	if len(bs) > limit {
		bs = bs[:limit]
		res.ContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(bs[limit-1].Name))
	}
	for _, b := range bs {
		res.Buckets = append(res.Buckets, directoryBucket{
			Name: b.Name, CreationDate: xmlTime(b.CreatedAt), BucketRegion: b.Region,
			BucketArn: BucketARN(b.Region, b.Owner, b.Name),
		})
	}
	return writeXML(w, res)
}
