package e2e

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestInventoryReport configures an inventory through the stock SDK
// (invalid configurations refused, storing nothing), lets the background
// worker run (--lifecycle-interval shortened: inventory shares its
// period, and a configuration that never reported is due at once), and
// reads the report back: manifest.json and manifest.checksum under the
// dated folder, gzip CSV files whose rows are the filtered objects with
// the optional fields asked for.
func TestInventoryReport(t *testing.T) {
	srv := startServer(t, serverOpts{Name: "inventory", ExtraArgs: []string{"--lifecycle-interval", "200ms", "--lifecycle-day", "1h"}})
	c, w := newClient(t, srv)
	ctx := ctxT(t, 2*time.Minute)
	src := mustCreateBucket(t, c, "inv-src")
	dest := mustCreateBucket(t, c, "inv-dest")

	valid := func(id string) *types.InventoryConfiguration {
		return &types.InventoryConfiguration{
			Id: aws.String(id), IsEnabled: aws.Bool(true), IncludedObjectVersions: types.InventoryIncludedObjectVersionsCurrent,
			Destination: &types.InventoryDestination{S3BucketDestination: &types.InventoryS3BucketDestination{
				Bucket: aws.String("arn:aws:s3:::" + dest), Format: types.InventoryFormatCsv, Prefix: aws.String("inv")}},
			Filter:         &types.InventoryFilter{Prefix: aws.String("data/")},
			OptionalFields: []types.InventoryOptionalField{"ChecksumAlgorithm", "Size", "ETag", "IsMultipartUploaded", "LastModifiedDate", "StorageClass"},
			Schedule:       &types.InventorySchedule{Frequency: types.InventoryFrequencyDaily},
		}
	}
	put := func(cfg *types.InventoryConfiguration) error {
		_, err := c.PutBucketInventoryConfiguration(ctx, &s3.PutBucketInventoryConfigurationInput{Bucket: &src, Id: cfg.Id, InventoryConfiguration: cfg})
		return err
	}
	list := func() []types.InventoryConfiguration {
		t.Helper()
		out, err := c.ListBucketInventoryConfigurations(ctx, &s3.ListBucketInventoryConfigurationsInput{Bucket: &src})
		noErr(t, "ListBucketInventoryConfigurations", err)
		return out.InventoryConfigurationList
	}
	for name, bad := range map[string]struct {
		edit func(*types.InventoryConfiguration)
		code string
	}{
		"a field directory buckets lack": {func(c *types.InventoryConfiguration) {
			c.OptionalFields = append(c.OptionalFields, "ReplicationStatus")
		}, "MalformedXML"},
		"Parquet": {func(c *types.InventoryConfiguration) {
			c.Destination.S3BucketDestination.Format = types.InventoryFormatParquet
		}, "NotImplemented"},
		"all versions": {func(c *types.InventoryConfiguration) {
			c.IncludedObjectVersions = types.InventoryIncludedObjectVersionsAll
		}, "InvalidArgument"},
		"a destination not on this server": {func(c *types.InventoryConfiguration) {
			c.Destination.S3BucketDestination.Bucket = aws.String("arn:aws:s3:::nowhere--" + testAZ + "--x-s3")
		}, "InvalidArgument"},
		"another account's destination": {func(c *types.InventoryConfiguration) {
			c.Destination.S3BucketDestination.AccountId = aws.String("111122223333")
		}, "InvalidArgument"},
		"an hourly schedule": {func(c *types.InventoryConfiguration) { c.Schedule.Frequency = "Hourly" }, "MalformedXML"},
	} {
		cfg := valid("bad")
		bad.edit(cfg)
		if err := put(cfg); apiCode(err) != bad.code {
			t.Errorf("%s: %v, want %s", name, err, bad.code)
		}
	}
	if got := list(); len(got) != 0 {
		t.Fatalf("configurations after refused puts: %d", len(got))
	}

	// The source's objects: three under the filter's prefix (one of them
	// multipart, one with a space in its key), one outside it.
	mustPut(t, c, src, "data/a.txt", []byte("alpha"))
	mustPut(t, c, src, "data/with space.txt", []byte("spaced out"))
	mustPut(t, c, src, "other/x", []byte("not listed"))
	mp, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &src, Key: aws.String("data/mp")})
	noErr(t, "CreateMultipartUpload", err)
	part, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &src, Key: aws.String("data/mp"), UploadId: mp.UploadId,
		PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("one part"))})
	noErr(t, "UploadPart", err)
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &src, Key: aws.String("data/mp"), UploadId: mp.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag, ChecksumCRC32: part.ChecksumCRC32}}}})
	noErr(t, "CompleteMultipartUpload", err)

	noErr(t, "PutBucketInventoryConfiguration", put(valid("inv1")))
	off := valid("off")
	off.IsEnabled = aws.Bool(false)
	noErr(t, "put disabled", put(off))
	got, err := c.GetBucketInventoryConfiguration(ctx, &s3.GetBucketInventoryConfigurationInput{Bucket: &src, Id: aws.String("inv1")})
	noErr(t, "GetBucketInventoryConfiguration", err)
	g := got.InventoryConfiguration
	if aws.ToString(g.Destination.S3BucketDestination.Bucket) != "arn:aws:s3:::"+dest || g.Destination.S3BucketDestination.Format != types.InventoryFormatCsv ||
		aws.ToString(g.Filter.Prefix) != "data/" || len(g.OptionalFields) != 6 || g.Schedule.Frequency != types.InventoryFrequencyDaily || !aws.ToBool(g.IsEnabled) {
		t.Fatalf("read back: %+v", g)
	}
	if n := len(list()); n != 2 {
		t.Fatalf("List: %d configurations, want 2", n)
	}
	wantSessionSigned(t, w, "inventory")

	// The worker's report.
	base := "inv/" + src + "/inv1/"
	var manifestKey string
	deadline := time.Now().Add(20 * time.Second)
	for manifestKey == "" && time.Now().Before(deadline) {
		out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &dest, Prefix: aws.String(base)})
		noErr(t, "ListObjectsV2 dest", err)
		for _, o := range out.Contents {
			if strings.HasSuffix(aws.ToString(o.Key), "/manifest.json") {
				manifestKey = aws.ToString(o.Key)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if manifestKey == "" {
		t.Fatalf("no manifest.json under %s", base)
	}
	if !regexp.MustCompile(`^` + regexp.QuoteMeta(base) + `\d{4}-\d\d-\d\dT\d\d-\d\dZ/manifest\.json$`).MatchString(manifestKey) {
		t.Errorf("manifest key %q", manifestKey)
	}
	doc, _ := mustGetBytes(t, c, dest, manifestKey)
	sum, _ := mustGetBytes(t, c, dest, strings.TrimSuffix(manifestKey, ".json")+".checksum")
	if md := md5.Sum(doc); string(sum) != hex.EncodeToString(md[:]) {
		t.Errorf("manifest.checksum %q, want the MD5 of manifest.json", sum)
	}
	var m struct {
		SourceBucket, DestinationBucket, Version, CreationTimestamp, FileFormat, FileSchema string
		Files                                                                               []struct {
			Key         string
			Size        int64
			MD5checksum string
		}
	}
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatalf("manifest.json: %v\n%s", err, doc)
	}
	if m.SourceBucket != src || m.DestinationBucket != "arn:aws:s3:::"+dest || m.FileFormat != "CSV" || m.Version != "2016-11-30" || m.CreationTimestamp == "" ||
		m.FileSchema != "Bucket, Key, Size, LastModifiedDate, ETag, StorageClass, IsMultipartUploaded, ChecksumAlgorithm" || len(m.Files) != 1 {
		t.Fatalf("manifest: %s", doc)
	}
	var rows [][]string
	for _, f := range m.Files {
		if !regexp.MustCompile(`^` + regexp.QuoteMeta(base) + `data/[0-9a-f-]{36}\.csv\.gz$`).MatchString(f.Key) {
			t.Errorf("data file key %q", f.Key)
		}
		gz, _ := mustGetBytes(t, c, dest, f.Key)
		if md := md5.Sum(gz); hex.EncodeToString(md[:]) != f.MD5checksum || int64(len(gz)) != f.Size {
			t.Errorf("%s: size %d, MD5 differs from the manifest's %+v", f.Key, len(gz), f)
		}
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			t.Fatalf("%s: not gzip: %v", f.Key, err)
		}
		text, _ := io.ReadAll(zr)
		if !strings.HasPrefix(string(text), `"`+src+`","data/`) {
			t.Errorf("fields are not all quoted: %.80s", text)
		}
		r, err := csv.NewReader(bytes.NewReader(text)).ReadAll()
		if err != nil {
			t.Fatalf("%s: CSV: %v", f.Key, err)
		}
		rows = append(rows, r...)
	}
	// Each row is an object under data/, as HeadObject reports it.
	var keys []string
	for _, row := range rows {
		if len(row) != 8 || row[0] != src {
			t.Fatalf("row %q", row)
		}
		key, err := url.QueryUnescape(row[1])
		if err != nil {
			t.Fatalf("key %q: %v", row[1], err)
		}
		keys = append(keys, key)
		head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &src, Key: &key, ChecksumMode: types.ChecksumModeEnabled})
		noErr(t, "HeadObject "+key, err)
		multipart := key == "data/mp"
		// Last-Modified has whole seconds; the report has milliseconds.
		modified, err := time.Parse("2006-01-02T15:04:05.000Z", row[3])
		if err != nil || !modified.Truncate(time.Second).Equal(head.LastModified.UTC()) {
			t.Errorf("%s: LastModifiedDate %q, HeadObject says %v", key, row[3], head.LastModified)
		}
		want := []string{src, row[1], fmt.Sprint(aws.ToInt64(head.ContentLength)), row[3],
			strings.Trim(aws.ToString(head.ETag), `"`), "EXPRESS_ONEZONE", fmt.Sprint(multipart), "CRC32"}
		if !slices.Equal(row, want) {
			t.Errorf("row %q, want %q", row, want)
		}
	}
	slices.Sort(keys)
	if fmt.Sprint(keys) != "[data/a.txt data/mp data/with space.txt]" {
		t.Errorf("report keys %v", keys)
	}
	if !strings.Contains(rows[slices.IndexFunc(rows, func(r []string) bool { return strings.Contains(r[1], "space") })][1], "with+space") {
		t.Error("the key with a space is not URL-encoded")
	}

	// A daily report is written once a day, and a disabled one never.
	time.Sleep(time.Second)
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &dest, Prefix: aws.String("inv/" + src + "/")})
	noErr(t, "ListObjectsV2 dest", err)
	manifests := 0
	for _, o := range out.Contents {
		k := aws.ToString(o.Key)
		if strings.HasPrefix(k, "inv/"+src+"/off/") {
			t.Errorf("the disabled configuration wrote %s", k)
		}
		if strings.HasSuffix(k, "/manifest.json") {
			manifests++
		}
	}
	if manifests != 1 {
		t.Errorf("%d manifests after a second of 200 ms passes, want 1", manifests)
	}

	_, err = c.DeleteBucketInventoryConfiguration(ctx, &s3.DeleteBucketInventoryConfigurationInput{Bucket: &src, Id: aws.String("inv1")})
	noErr(t, "DeleteBucketInventoryConfiguration", err)
	_, err = c.GetBucketInventoryConfiguration(ctx, &s3.GetBucketInventoryConfigurationInput{Bucket: &src, Id: aws.String("inv1")})
	if apiCode(err) != "NoSuchConfiguration" {
		t.Fatalf("after delete: %v", err)
	}
}

// TestInventoryOptionalFieldsCondition: a user allowed only the
// configuration actions (no s3express:CreateSession: the stock client's
// session is ControlOnly) may put an inventory whose optional fields the
// policy's s3express:InventoryAccessibleOptionalFields allows, and is
// refused one that asks for more; each operation needs its own action.
func TestInventoryOptionalFieldsCondition(t *testing.T) {
	srv := startServer(t, serverOpts{Name: "inv-authz"})
	root, _ := newClient(t, srv)
	ctx := ctxT(t, time.Minute)
	bucket := mustCreateBucket(t, root, "inv-authz")
	rootIAM := iamClientFor(t, srv, srv.AccessKey, srv.SecretKey)
	bob := createIAMUser(t, rootIAM, "bob")
	putUserPolicy(t, rootIAM, "bob", "inv", policyDoc(
		`{"Effect":"Allow","Action":"s3express:PutInventoryConfiguration","Resource":"`+bucketARN(bucket)+`",`+
			`"Condition":{"ForAllValues:StringEquals":{"s3express:InventoryAccessibleOptionalFields":["Size","ETag"]}}}`,
		`{"Effect":"Allow","Action":["s3express:GetInventoryConfiguration","s3express:GetMetricsConfiguration"],"Resource":"`+bucketARN(bucket)+`"}`))
	bc, bw := userClient(t, srv, bob.AK, bob.SK)
	cfg := func(fields ...types.InventoryOptionalField) *s3.PutBucketInventoryConfigurationInput {
		return &s3.PutBucketInventoryConfigurationInput{Bucket: &bucket, Id: aws.String("inv"), InventoryConfiguration: &types.InventoryConfiguration{
			Id: aws.String("inv"), IsEnabled: aws.Bool(true), IncludedObjectVersions: types.InventoryIncludedObjectVersionsCurrent,
			Destination: &types.InventoryDestination{S3BucketDestination: &types.InventoryS3BucketDestination{
				Bucket: aws.String("arn:aws:s3:::" + bucket), Format: types.InventoryFormatCsv}},
			OptionalFields: fields, Schedule: &types.InventorySchedule{Frequency: types.InventoryFrequencyWeekly}}}
	}
	_, err := bc.PutBucketInventoryConfiguration(ctx, cfg("Size"))
	noErr(t, "bob's inventory with allowed fields", err)
	_, err = bc.PutBucketInventoryConfiguration(ctx, cfg("Size", "ChecksumAlgorithm"))
	wantRefused(t, "bob's inventory asking for ChecksumAlgorithm", err, 403, "AccessDenied")
	got, err := bc.GetBucketInventoryConfiguration(ctx, &s3.GetBucketInventoryConfigurationInput{Bucket: &bucket, Id: aws.String("inv")})
	noErr(t, "bob GetBucketInventoryConfiguration", err)
	if fmt.Sprint(got.InventoryConfiguration.OptionalFields) != "[Size]" {
		t.Errorf("the refused put changed the configuration: %v", got.InventoryConfiguration.OptionalFields)
	}
	_, err = bc.ListBucketMetricsConfigurations(ctx, &s3.ListBucketMetricsConfigurationsInput{Bucket: &bucket})
	noErr(t, "bob ListBucketMetricsConfigurations", err)
	_, err = bc.PutBucketMetricsConfiguration(ctx, &s3.PutBucketMetricsConfigurationInput{Bucket: &bucket, Id: aws.String("m"),
		MetricsConfiguration: &types.MetricsConfiguration{Id: aws.String("m")}})
	wantRefused(t, "bob PutBucketMetricsConfiguration without s3express:PutMetricsConfiguration", err, 403, "AccessDenied")
	_, err = bc.DeleteBucketInventoryConfiguration(ctx, &s3.DeleteBucketInventoryConfigurationInput{Bucket: &bucket, Id: aws.String("inv")})
	noErr(t, "bob DeleteBucketInventoryConfiguration (decided by PutInventoryConfiguration)", err)
	if err := tryPut(bc, bucket, "k", []byte("x")); err == nil {
		t.Error("bob's ControlOnly session wrote an object")
	}
	wantSessionSigned(t, bw, "inventory")
	wantSessionSigned(t, bw, "metrics")
}
