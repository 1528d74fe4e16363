package s3api

import (
	"encoding/xml"
	"net/http"
	"slices"
	"strings"

	"github.com/zonal-dev/zonal/internal/s3err"
	"github.com/zonal-dev/zonal/internal/store"
)

// Inventory configurations (?inventory): the background worker writes
// each enabled one's report (gzip CSV files, manifest.json and
// manifest.checksum) into its destination bucket (store/inventory.go).

type inventoryConfiguration struct {
	XMLName     xml.Name `xml:"InventoryConfiguration"`
	NS          string   `xml:"xmlns,attr,omitempty"`
	Destination *struct {
		S3 *inventoryDestination `xml:"S3BucketDestination"`
	} `xml:"Destination"`
	IsEnabled *bool `xml:"IsEnabled"`
	Filter    *struct {
		Prefix *string `xml:"Prefix"`
	} `xml:"Filter,omitempty"`
	ID                     string `xml:"Id"`
	IncludedObjectVersions string `xml:"IncludedObjectVersions"`
	OptionalFields         *struct {
		Fields []string `xml:"Field"`
	} `xml:"OptionalFields,omitempty"`
	Schedule *struct {
		Frequency string `xml:"Frequency"`
	} `xml:"Schedule"`
}

type inventoryDestination struct {
	AccountID  string  `xml:"AccountId,omitempty"`
	Bucket     string  `xml:"Bucket"`
	Format     string  `xml:"Format"`
	Prefix     *string `xml:"Prefix,omitempty"`
	Encryption *struct {
		SSES3  *struct{} `xml:"SSE-S3"`
		SSEKMS *struct {
			KeyID string `xml:"KeyId"`
		} `xml:"SSE-KMS"`
	} `xml:"Encryption,omitempty"`
}

type listInventoryResult struct {
	XMLName               xml.Name                 `xml:"ListInventoryConfigurationsResult"`
	NS                    string                   `xml:"xmlns,attr"`
	Configs               []inventoryConfiguration `xml:"InventoryConfiguration"`
	IsTruncated           bool                     `xml:"IsTruncated"`
	ContinuationToken     string                   `xml:"ContinuationToken,omitempty"`
	NextContinuationToken string                   `xml:"NextContinuationToken,omitempty"`
}

// readInventoryConfig reads and parses a PutBucketInventoryConfiguration
// body without checking it against the catalog: authorization needs its
// optional fields (s3express:InventoryAccessibleOptionalFields).
func (h *Handler) readInventoryConfig(r *http.Request, c *caller) (*inventoryConfiguration, error) {
	doc, err := h.readConfigBody(r, c)
	if err != nil {
		return nil, err
	}
	var cfg inventoryConfiguration
	if err := xml.Unmarshal(doc, &cfg); err != nil {
		return nil, s3err.MalformedXML
	}
	return &cfg, nil
}

// optionalFields are the fields a configuration asks for, the values of
// s3express:InventoryAccessibleOptionalFields.
func (cfg *inventoryConfiguration) optionalFields() []string {
	if cfg.OptionalFields == nil {
		return []string{}
	}
	return cfg.OptionalFields.Fields
}

// validateInventory checks a configuration as AWS does for directory
// buckets and resolves its destination to a bucket on this server.
func (h *Handler) validateInventory(r *http.Request, cfg *inventoryConfiguration, id, owner string) (store.InventoryConfig, error) {
	var out store.InventoryConfig
	if err := bodyID(cfg.ID, id); err != nil {
		return out, err
	}
	if cfg.Destination == nil || cfg.Destination.S3 == nil || cfg.IsEnabled == nil || cfg.Schedule == nil {
		return out, s3err.MalformedXML.Msg("Destination, IsEnabled, Id, IncludedObjectVersions and Schedule are required.")
	}
	switch cfg.Schedule.Frequency {
	case "Daily", "Weekly":
	default:
		return out, s3err.MalformedXML.Msg("Schedule Frequency must be Daily or Weekly.")
	}
	switch cfg.IncludedObjectVersions {
	case "Current":
	case "All":
		// Directory buckets have no versions to list.
		return out, s3err.InvalidArgument.Msg("Directory buckets do not support versioning: IncludedObjectVersions must be Current.")
	default:
		return out, s3err.MalformedXML.Msg("IncludedObjectVersions must be Current or All.")
	}
	for i, f := range cfg.optionalFields() {
		// store.InventoryFields are the fields AWS allows on directory
		// buckets; any other is MalformedXML there.
		if !slices.Contains(store.InventoryFields, f) {
			return out, s3err.MalformedXML.Msg("The optional field %q is not supported for directory buckets.", f)
		}
		if slices.Contains(cfg.optionalFields()[:i], f) {
			return out, s3err.InvalidArgument.Msg("The optional field %q is listed twice.", f)
		}
	}
	d := cfg.Destination.S3
	switch d.Format {
	case "CSV":
	case "ORC", "Parquet":
		// No small, well-kept Parquet or ORC writer in Go justified a
		// dependency; the format is valid S3, so the answer is 501.
		return out, s3err.NotImplemented.Msg("zonal writes inventory reports as CSV only.")
	default:
		return out, s3err.MalformedXML.Msg("Format must be CSV, ORC or Parquet.")
	}
	if e := d.Encryption; e != nil && e.SSEKMS != nil {
		return out, s3err.NotImplemented.Msg("zonal does not support SSE-KMS yet.")
	}
	dest, ok := h.destinationBucket(d.Bucket)
	if !ok {
		return out, s3err.InvalidArgument.Msg("The destination %q is not a bucket ARN.", d.Bucket)
	}
	// The destination must be a bucket on this server of the source's
	// account (or of AccountId when given): reports are written through
	// the store into the destination, as any object.
	db, err := h.store.Bucket(r.Context(), dest)
	want := owner
	if d.AccountID != "" {
		want = d.AccountID
	}
	if err != nil || db.Owner != want || db.Owner != owner {
		return out, s3err.InvalidArgument.Msg("The destination bucket %q is not a bucket of this account on this server.", dest)
	}
	out = store.InventoryConfig{ID: id, Enabled: *cfg.IsEnabled, DestinationARN: d.Bucket, DestinationBucket: dest,
		DestinationAccount: d.AccountID, DestinationPrefix: d.Prefix, Format: d.Format,
		Versions: cfg.IncludedObjectVersions, Fields: slices.Clone(cfg.optionalFields()), Frequency: cfg.Schedule.Frequency}
	if cfg.Filter != nil {
		out.FilterPrefix = cfg.Filter.Prefix
		if out.FilterPrefix == nil {
			return out, s3err.MalformedXML.Msg("An inventory Filter needs a Prefix.")
		}
	}
	return out, nil
}

// destinationBucket reads the bucket name of a destination ARN. AWS
// writes directory-bucket inventories to a general purpose bucket
// (arn:aws:s3:::name); zonal serves directory buckets only, so it takes
// that form or a directory bucket's own ARN, naming a bucket here.
func (h *Handler) destinationBucket(arn string) (string, bool) {
	if name, ok := strings.CutPrefix(arn, "arn:aws:s3:::"); ok && name != "" && !strings.Contains(name, "/") {
		return name, true
	}
	rest, ok := strings.CutPrefix(arn, "arn:aws:s3express:"+h.cfg.Region+":")
	if !ok {
		return "", false
	}
	_, name, ok := strings.Cut(rest, ":bucket/")
	return name, ok && name != "" && !strings.Contains(name, "/")
}

func renderInventory(c store.InventoryConfig) inventoryConfiguration {
	out := inventoryConfiguration{ID: c.ID, IncludedObjectVersions: c.Versions}
	enabled := c.Enabled
	out.IsEnabled = &enabled
	out.Destination = &struct {
		S3 *inventoryDestination `xml:"S3BucketDestination"`
	}{S3: &inventoryDestination{AccountID: c.DestinationAccount, Bucket: c.DestinationARN, Format: c.Format, Prefix: c.DestinationPrefix}}
	if c.FilterPrefix != nil {
		out.Filter = &struct {
			Prefix *string `xml:"Prefix"`
		}{c.FilterPrefix}
	}
	if len(c.Fields) > 0 {
		out.OptionalFields = &struct {
			Fields []string `xml:"Field"`
		}{c.Fields}
	}
	out.Schedule = &struct {
		Frequency string `xml:"Frequency"`
	}{c.Frequency}
	return out
}

func (h *Handler) putBucketInventory(w http.ResponseWriter, r *http.Request, c *caller, t target) error {
	id, err := configID(t)
	if err != nil {
		return err
	}
	cfg := c.inventory // read by authorize for its condition key
	if cfg == nil {
		if cfg, err = h.readInventoryConfig(r, c); err != nil {
			return err
		}
	}
	b, err := h.store.Bucket(r.Context(), t.Bucket)
	if err != nil {
		return err
	}
	inv, err := h.validateInventory(r, cfg, id, b.Owner)
	if err != nil {
		return err
	}
	if err := h.store.PutInventoryConfig(r.Context(), t.Bucket, inv); err != nil {
		return err
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) inventorySet() configSet[store.InventoryConfig] {
	return configSet[store.InventoryConfig]{list: h.store.InventoryConfigs, del: h.store.DeleteInventoryConfig,
		id: func(c store.InventoryConfig) string { return c.ID }}
}

func (h *Handler) getBucketInventory(w http.ResponseWriter, r *http.Request, t target) error {
	c, err := h.inventorySet().get(r, t)
	if err != nil {
		return err
	}
	out := renderInventory(c)
	out.NS = s3NS
	return writeXML(w, out)
}

func (h *Handler) listBucketInventory(w http.ResponseWriter, r *http.Request, t target) error {
	page, next, token, err := h.inventorySet().page(r, t)
	if err != nil {
		return err
	}
	out := listInventoryResult{NS: s3NS, ContinuationToken: token, NextContinuationToken: next, IsTruncated: next != ""}
	for _, c := range page {
		out.Configs = append(out.Configs, renderInventory(c))
	}
	return writeXML(w, out)
}
