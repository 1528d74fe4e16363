package store

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// InventoryFields are the optional fields of a directory bucket's
// inventory, in the order a report's columns follow (AWS's fileSchema
// order, whatever order the configuration lists them in).
var InventoryFields = []string{"Size", "LastModifiedDate", "ETag", "StorageClass", "IsMultipartUploaded",
	"EncryptionStatus", "BucketKeyStatus", "ChecksumAlgorithm", "LifecycleExpirationDate"}

// inventoryRowsPerFile bounds one data file of a report: a file is built
// in memory, gzip-compressed, before it is stored.
const inventoryRowsPerFile = 100000

// InventoryOptions bound the inventory worker.
type InventoryOptions struct {
	Interval time.Duration // between passes
	Day      time.Duration // a Daily report's period (Weekly: seven); 24h but in tests
	// Active, when set, is asked before each pass: only the holder of the
	// background lease writes reports.
	Active func() bool
}

// inventoryRuns is the stored record of when each configuration of a
// bucket last produced a report (UnixNano by id).
type inventoryRuns struct {
	Created int64            `json:"created"`
	Last    map[string]int64 `json:"last"`
}

// InventoryPass writes a report for every enabled inventory configuration
// that is due: never reported, or last reported a Day (Daily) or seven
// (Weekly) ago. It returns how many reports it wrote.
func (s *Store) InventoryPass(ctx context.Context, opt InventoryOptions) (int, error) {
	written := 0
	after := ""
	var first error // one configuration's failure (a destination deleted) does not hold back the others
	for {
		buckets, err := s.cat.ListBuckets(ctx, "", after, 100)
		if err != nil || len(buckets) == 0 {
			return written, errors.Join(first, err)
		}
		for _, b := range buckets {
			after = b.Name
			cfgs, err := configsOf[InventoryConfig](ctx, s.cat, inventoryConfigPrefix, b.Name, b.CreatedAt)
			if err != nil {
				return written, err
			}
			if len(cfgs) == 0 {
				continue
			}
			n, err := s.inventoryBucket(ctx, b, cfgs, opt)
			written += n
			if err != nil && first == nil {
				first = err
			}
		}
	}
}

func (s *Store) inventoryBucket(ctx context.Context, b catalog.Bucket, cfgs []InventoryConfig, opt InventoryOptions) (int, error) {
	v, err := s.cat.GetConfig(ctx, inventoryRunsPrefix+b.Name)
	if err != nil && !errors.Is(err, catalog.ErrNotFound) {
		return 0, err
	}
	var runs inventoryRuns
	if len(v) > 0 {
		_ = json.Unmarshal(v, &runs) // damaged: every report is due again
	}
	if runs.Created != b.CreatedAt.UnixNano() {
		runs = inventoryRuns{}
	}
	written := 0
	var first error
	for _, c := range cfgs {
		period := opt.Day
		if c.Frequency == "Weekly" {
			period *= 7
		}
		now := s.opt.Now().UTC()
		if !c.Enabled || now.Sub(time.Unix(0, runs.Last[c.ID])) < period {
			continue
		}
		if err := s.WriteInventoryReport(ctx, b.Name, c, now); err != nil {
			if ctx.Err() != nil {
				return written, err
			}
			first = errors.Join(first, fmt.Errorf("inventory %s of %s: %w", c.ID, b.Name, err))
			continue
		}
		written++
		// Recorded after the report: a crash in between writes it again
		// next pass, which a reader sees as one more dated report.
		created := b.CreatedAt.UnixNano()
		err := s.cat.UpdateConfig(ctx, inventoryRunsPrefix+b.Name, func(cur []byte) ([]byte, error) {
			var r inventoryRuns
			if len(cur) > 0 {
				_ = json.Unmarshal(cur, &r)
			}
			if r.Created != created || r.Last == nil {
				r = inventoryRuns{Created: created, Last: map[string]int64{}}
			}
			r.Last[c.ID] = now.UnixNano()
			return json.Marshal(r)
		})
		if err != nil {
			return written, err
		}
	}
	return written, first
}

// inventoryManifest is manifest.json, with AWS's field names.
type inventoryManifest struct {
	SourceBucket      string         `json:"sourceBucket"`
	DestinationBucket string         `json:"destinationBucket"`
	Version           string         `json:"version"`
	CreationTimestamp string         `json:"creationTimestamp"`
	FileFormat        string         `json:"fileFormat"`
	FileSchema        string         `json:"fileSchema"`
	Files             []manifestFile `json:"files"`
}

type manifestFile struct {
	Key         string `json:"key"`
	Size        int64  `json:"size"`
	MD5checksum string `json:"MD5checksum"`
}

// WriteInventoryReport writes one report of bucket's configuration c into
// its destination bucket, with AWS's layout:
//
//	{prefix/}{bucket}/{id}/data/{uuid}.csv.gz                  the rows
//	{prefix/}{bucket}/{id}/{YYYY-MM-DDTHH-MMZ}/manifest.json   the files
//	{prefix/}{bucket}/{id}/{YYYY-MM-DDTHH-MMZ}/manifest.checksum
//	{prefix/}{bucket}/{id}/hive/dt={YYYY-MM-DD-HH-MM}/symlink.txt
//
// The files are ordinary objects, written through the store; the
// manifest comes last, so a manifest only ever names files that exist.
func (s *Store) WriteInventoryReport(ctx context.Context, bucket string, c InventoryConfig, now time.Time) error {
	base := bucket + "/" + c.ID + "/"
	if p := c.DestinationPrefix; p != nil && *p != "" {
		// "inv" and "inv/" give the same keys: AWS joins the prefix with
		// a slash, and a doubled one would only make an empty folder.
		base = strings.TrimSuffix(*p, "/") + "/" + base
	}
	fields := make([]string, 0, len(InventoryFields))
	for _, f := range InventoryFields {
		if slices.Contains(c.Fields, f) {
			fields = append(fields, f)
		}
	}
	m := inventoryManifest{SourceBucket: bucket, DestinationBucket: c.DestinationARN, Version: "2016-11-30",
		CreationTimestamp: strconv.FormatInt(now.UnixMilli(), 10), FileFormat: "CSV",
		FileSchema: strings.Join(append([]string{"Bucket", "Key"}, fields...), ", "), Files: []manifestFile{}}
	prefix := ""
	if c.FilterPrefix != nil {
		prefix = *c.FilterPrefix
	}
	var file bytes.Buffer
	var zw *gzip.Writer
	rows := 0
	flush := func() error {
		if zw == nil {
			return nil
		}
		if err := zw.Close(); err != nil {
			return err
		}
		key := base + "data/" + newUUID() + ".csv.gz"
		sum := md5.Sum(file.Bytes())
		if err := s.putReportFile(ctx, c.DestinationBucket, key, "application/gzip", file.Bytes()); err != nil {
			return err
		}
		m.Files = append(m.Files, manifestFile{Key: key, Size: int64(file.Len()), MD5checksum: hex.EncodeToString(sum[:])})
		file.Reset()
		zw, rows = nil, 0
		return nil
	}
	row := make([]string, 0, 2+len(fields))
	class := StorageClass(bucket)
	after := ""
	for {
		page, err := s.cat.ListObjects(ctx, catalog.ListQuery{Bucket: bucket, Prefix: prefix, After: after, Limit: 1000})
		if err != nil {
			return wrap(err)
		}
		for _, e := range page.Entries {
			after = e.Name()
			if e.Object == nil {
				continue
			}
			if zw == nil {
				zw = gzip.NewWriter(&file)
			}
			row = append(row[:0], bucket, inventoryKey(e.Object.Key))
			for _, f := range fields {
				row = append(row, inventoryValue(e.Object, f, class))
			}
			if err := writeQuoted(zw, row); err != nil {
				return err
			}
			if rows++; rows >= inventoryRowsPerFile {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if !page.Truncated {
			break
		}
	}
	if err := flush(); err != nil {
		return err
	}
	doc, err := json.Marshal(m)
	if err != nil {
		return err
	}
	stamp := base + now.Format("2006-01-02T15-04Z") + "/"
	var links strings.Builder
	for _, f := range m.Files {
		links.WriteString("s3://" + c.DestinationBucket + "/" + f.Key + "\n")
	}
	if err := s.putReportFile(ctx, c.DestinationBucket, base+"hive/dt="+now.Format("2006-01-02-15-04")+"/symlink.txt", "text/plain", []byte(links.String())); err != nil {
		return err
	}
	sum := md5.Sum(doc)
	if err := s.putReportFile(ctx, c.DestinationBucket, stamp+"manifest.checksum", "text/plain", []byte(hex.EncodeToString(sum[:]))); err != nil {
		return err
	}
	return s.putReportFile(ctx, c.DestinationBucket, stamp+"manifest.json", "application/json", doc)
}

// writeQuoted writes a CSV row with every field quoted, as AWS's
// inventory files are (encoding/csv quotes only where it must).
func writeQuoted(zw *gzip.Writer, row []string) error {
	var b strings.Builder
	for i, f := range row {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		b.WriteString(strings.ReplaceAll(f, `"`, `""`))
		b.WriteByte('"')
	}
	b.WriteByte('\n')
	_, err := zw.Write([]byte(b.String()))
	return err
}

// inventoryKey URL-encodes a key as AWS's inventory files do, leaving its
// slashes as they are.
func inventoryKey(key string) string {
	return strings.ReplaceAll(url.QueryEscape(key), "%2F", "/")
}

// inventoryValue is one optional field of an object's row; class is the
// bucket's storage class.
func inventoryValue(o *catalog.Object, field, class string) string {
	switch field {
	case "Size":
		return strconv.FormatInt(o.Size, 10)
	case "LastModifiedDate":
		return o.LastModified.UTC().Format("2006-01-02T15:04:05.000Z")
	case "ETag":
		return o.ETag
	case "StorageClass":
		return class
	case "IsMultipartUploaded":
		// Objects of several parts (multipart uploads, appends) carry a
		// part list; a single PutObject's is nil.
		return strconv.FormatBool(o.PartList != nil)
	case "EncryptionStatus":
		// What the object's data really is: zonal stores data as sent
		// unless it or the bucket encrypts (see Store.EncryptionFor).
		if o.SSE == "" {
			return "NOT-SSE"
		}
		return "SSE-S3"
	case "BucketKeyStatus":
		return "DISABLED"
	case "ChecksumAlgorithm":
		algs := make([]string, 0, len(o.Checksums))
		for a := range o.Checksums {
			algs = append(algs, a)
		}
		slices.Sort(algs)
		return strings.Join(algs, ",")
	}
	// LifecycleExpirationDate: zonal's lifecycle worker decides expiry
	// when it runs and records no date on the object, so it is empty.
	return ""
}

func (s *Store) putReportFile(ctx context.Context, bucket, key, contentType string, data []byte) error {
	_, err := s.Put(ctx, &PutInput{Bucket: bucket, Key: key, Body: bytes.NewReader(data), Size: int64(len(data)), ContentType: contentType})
	return err
}

// newUUID returns a random (version 4) UUID, the data files' names.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// RunInventory runs passes every opt.Interval until ctx ends.
func (s *Store) RunInventory(ctx context.Context, log *slog.Logger, opt InventoryOptions) {
	runPasses(ctx, log, opt.Interval, opt.Active, "inventory pass", "reports", func(ctx context.Context) (int, error) {
		return s.InventoryPass(ctx, opt)
	})
}

// runPasses calls pass every interval until ctx ends, when active allows
// (nil: always), and logs its failures and the work it did.
func runPasses(ctx context.Context, log *slog.Logger, interval time.Duration, active func() bool, what, count string, pass func(context.Context) (int, error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if active != nil && !active() {
			continue
		}
		n, err := pass(ctx)
		if err != nil && ctx.Err() == nil {
			log.Warn(what+" failed", "err", err)
		} else if n > 0 {
			log.Info(what, count, n)
		}
	}
}
