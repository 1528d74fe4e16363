package e2e

import (
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestMetricsConfigurations drives Put/Get/List/DeleteBucketMetricsConfiguration
// through the stock SDK (session-signed, the SDK's own CreateSession
// flow): invalid documents are refused and change nothing, each filter
// form reads back as given, AWS's 1,000 limit holds, and the
// per-configuration counters on /_zonal/metrics count matching requests
// only.
func TestMetricsConfigurations(t *testing.T) {
	srv := startServer(t, serverOpts{Name: "metricscfg"})
	c, w := newClient(t, srv)
	ctx := ctxT(t, 2*time.Minute)
	bucket := mustCreateBucket(t, c, "metrics")
	ap := "arn:aws:s3express:" + testRegion + ":" + testAccountID + ":accesspoint/ap1--" + testAZ + "--xa-s3"

	put := func(cfg *types.MetricsConfiguration) error {
		_, err := c.PutBucketMetricsConfiguration(ctx, &s3.PutBucketMetricsConfigurationInput{
			Bucket: &bucket, Id: cfg.Id, MetricsConfiguration: cfg})
		return err
	}
	ids := func() []string {
		t.Helper()
		out, err := c.ListBucketMetricsConfigurations(ctx, &s3.ListBucketMetricsConfigurationsInput{Bucket: &bucket})
		noErr(t, "ListBucketMetricsConfigurations", err)
		var got []string
		for _, m := range out.MetricsConfigurationList {
			got = append(got, aws.ToString(m.Id))
		}
		return got
	}

	// Refused documents store nothing.
	for _, bad := range []struct {
		name string
		cfg  *types.MetricsConfiguration
		code string
	}{
		{"tag filter", &types.MetricsConfiguration{Id: aws.String("t"), Filter: &types.MetricsFilterMemberTag{Value: types.Tag{Key: aws.String("k"), Value: aws.String("v")}}}, "InvalidArgument"},
		{"id with a space", &types.MetricsConfiguration{Id: aws.String("bad id")}, "InvalidArgument"},
		{"id of 65 characters", &types.MetricsConfiguration{Id: aws.String(strings.Repeat("i", 65))}, "InvalidArgument"},
		{"access point of another account", &types.MetricsConfiguration{Id: aws.String("ap"), Filter: &types.MetricsFilterMemberAccessPointArn{
			Value: strings.Replace(ap, testAccountID, "111122223333", 1)}}, "InvalidArgument"},
		{"access point of another zone", &types.MetricsConfiguration{Id: aws.String("ap"), Filter: &types.MetricsFilterMemberAccessPointArn{
			Value: strings.Replace(ap, testAZ, "use1-az5", 1)}}, "InvalidArgument"},
		{"And with one predicate", &types.MetricsConfiguration{Id: aws.String("and"), Filter: &types.MetricsFilterMemberAnd{
			Value: types.MetricsAndOperator{Prefix: aws.String("x/")}}}, "MalformedXML"},
	} {
		if err := put(bad.cfg); apiCode(err) != bad.code {
			t.Errorf("%s: %v, want %s", bad.name, err, bad.code)
		}
	}
	if got := ids(); len(got) != 0 {
		t.Fatalf("configurations after refused puts: %v", got)
	}
	_, err := c.GetBucketMetricsConfiguration(ctx, &s3.GetBucketMetricsConfigurationInput{Bucket: &bucket, Id: aws.String("logs")})
	if apiCode(err) != "NoSuchConfiguration" {
		t.Fatalf("Get of a missing configuration: %v", err)
	}

	// The three filter forms of directory buckets read back as given.
	noErr(t, "put logs", put(&types.MetricsConfiguration{Id: aws.String("logs"), Filter: &types.MetricsFilterMemberPrefix{Value: "logs/"}}))
	noErr(t, "put ap", put(&types.MetricsConfiguration{Id: aws.String("ap"), Filter: &types.MetricsFilterMemberAccessPointArn{Value: ap}}))
	noErr(t, "put both", put(&types.MetricsConfiguration{Id: aws.String("both"), Filter: &types.MetricsFilterMemberAnd{
		Value: types.MetricsAndOperator{Prefix: aws.String("logs/"), AccessPointArn: aws.String(ap)}}}))
	noErr(t, "put all", put(&types.MetricsConfiguration{Id: aws.String("all")}))
	get := func(id string) types.MetricsFilter {
		t.Helper()
		out, err := c.GetBucketMetricsConfiguration(ctx, &s3.GetBucketMetricsConfigurationInput{Bucket: &bucket, Id: &id})
		noErr(t, "GetBucketMetricsConfiguration "+id, err)
		if aws.ToString(out.MetricsConfiguration.Id) != id {
			t.Fatalf("Get %s: id %q", id, aws.ToString(out.MetricsConfiguration.Id))
		}
		return out.MetricsConfiguration.Filter
	}
	if f, ok := get("logs").(*types.MetricsFilterMemberPrefix); !ok || f.Value != "logs/" {
		t.Errorf("logs filter: %#v", get("logs"))
	}
	if f, ok := get("ap").(*types.MetricsFilterMemberAccessPointArn); !ok || f.Value != ap {
		t.Errorf("ap filter: %#v", get("ap"))
	}
	if f, ok := get("both").(*types.MetricsFilterMemberAnd); !ok || aws.ToString(f.Value.Prefix) != "logs/" || aws.ToString(f.Value.AccessPointArn) != ap {
		t.Errorf("both filter: %#v", get("both"))
	}
	if f := get("all"); f != nil {
		t.Errorf("all filter: %#v", f)
	}
	if got := fmt.Sprint(ids()); got != "[all ap both logs]" {
		t.Fatalf("List: %s", got)
	}
	wantSessionSigned(t, w, "metrics")

	// Counters: logs/ requests count for "logs" and "all"; other/ ones
	// for "all" only; the access point filters match no request made to
	// the bucket itself.
	mustPut(t, c, bucket, "logs/a", []byte("0123456789"))
	mustPut(t, c, bucket, "other/b", []byte("xyz"))
	mustGetBytes(t, c, bucket, "logs/a")
	_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: aws.String("logs/")})
	noErr(t, "ListObjectsV2", err)
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: aws.String("other/b")})
	noErr(t, "DeleteObject", err)
	want := map[string]float64{
		`config="logs",op_class="Put"`: 1, `config="logs",op_class="Get"`: 1, `config="logs",op_class="List"`: 1,
		`config="all",op_class="Put"`: 2, `config="all",op_class="Get"`: 1, `config="all",op_class="List"`: 1, `config="all",op_class="Delete"`: 1,
	}
	if nodeCount > 0 {
		t.Log("nodes mode: each node counts its own requests; the counters are checked on one node only")
		return
	}
	var text string
	deadline := time.Now().Add(5 * time.Second)
	for {
		text = scrape(t, srv)
		if bucketCounter(text, bucket, `config="all",op_class="Delete"`, "requests_total") == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for labels, n := range want {
		if got := bucketCounter(text, bucket, labels, "requests_total"); got != n {
			t.Errorf("requests{%s} = %v, want %v", labels, got, n)
		}
	}
	for _, id := range []string{"ap", "both"} {
		if strings.Contains(text, `config="`+id+`"`) {
			t.Errorf("the access point filter %s counted a request made to the bucket itself", id)
		}
	}
	if strings.Contains(text, `config="logs",op_class="Delete"`) {
		t.Error("a delete outside logs/ was counted for logs")
	}
	if got := bucketCounter(text, bucket, `config="logs",op_class="Put"`, "bytes_uploaded_total"); got < 10 {
		t.Errorf("bytes uploaded for logs = %v, want at least the body's 10", got)
	}
	if got := bucketCounter(text, bucket, `config="logs",op_class="Get"`, "bytes_downloaded_total"); got != 10 {
		t.Errorf("bytes downloaded for logs = %v, want 10", got)
	}

	// Through the access point the filters name, requests count for
	// "ap", and for "both" when under logs/ too.
	cc := controlClient(t, srv, srv.AccessKey, srv.SecretKey)
	apName := "ap1--" + testAZ + "--xa-s3"
	_, err = createAccessPoint(ctx, cc, apName, bucket, nil)
	noErr(t, "CreateAccessPoint", err)
	noErr(t, "PutObject through the access point", putString(ctx, c, apName, "logs/ap", "via-ap"))
	noErr(t, "PutObject through the access point", putString(ctx, c, apName, "other/ap", "via-ap"))
	deadline = time.Now().Add(5 * time.Second)
	for {
		text = scrape(t, srv)
		if bucketCounter(text, bucket, `config="ap",op_class="Put"`, "requests_total") == 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := bucketCounter(text, bucket, `config="ap",op_class="Put"`, "requests_total"); got != 2 {
		t.Errorf(`requests{config="ap",op_class="Put"} through the access point = %v, want 2`, got)
	}
	if got := bucketCounter(text, bucket, `config="both",op_class="Put"`, "requests_total"); got != 1 {
		t.Errorf(`requests{config="both",op_class="Put"} through the access point = %v, want 1 (logs/ only)`, got)
	}

	// Delete, then AWS's limit of 1,000 per bucket.
	logsPuts := bucketCounter(text, bucket, `config="logs",op_class="Put"`, "requests_total") // logs/a and logs/ap
	_, err = c.DeleteBucketMetricsConfiguration(ctx, &s3.DeleteBucketMetricsConfigurationInput{Bucket: &bucket, Id: aws.String("logs")})
	noErr(t, "DeleteBucketMetricsConfiguration", err)
	_, err = c.DeleteBucketMetricsConfiguration(ctx, &s3.DeleteBucketMetricsConfigurationInput{Bucket: &bucket, Id: aws.String("logs")})
	if apiCode(err) != "NoSuchConfiguration" {
		t.Fatalf("second delete: %v", err)
	}
	mustPut(t, c, bucket, "logs/c", []byte("x"))
	time.Sleep(100 * time.Millisecond)
	if got := bucketCounter(scrape(t, srv), bucket, `config="logs",op_class="Put"`, "requests_total"); got != logsPuts || got != 2 {
		t.Errorf("a deleted configuration still counts: %v", got)
	}
	for i := len(ids()); i < 1000; i++ {
		noErr(t, "put", put(&types.MetricsConfiguration{Id: aws.String("m" + strconv.Itoa(i)), Filter: &types.MetricsFilterMemberPrefix{Value: "p/"}}))
	}
	if err := put(&types.MetricsConfiguration{Id: aws.String("one-too-many")}); apiCode(err) != "TooManyConfigurations" {
		t.Fatalf("1,001st configuration: %v", err)
	}
	// Replacing one of the 1,000 is not a new one.
	noErr(t, "replace", put(&types.MetricsConfiguration{Id: aws.String("m999"), Filter: &types.MetricsFilterMemberPrefix{Value: "q/"}}))
	if f, ok := get("m999").(*types.MetricsFilterMemberPrefix); !ok || f.Value != "q/" {
		t.Errorf("replaced m999: %#v", get("m999"))
	}
	// List pages by 100.
	out, err := c.ListBucketMetricsConfigurations(ctx, &s3.ListBucketMetricsConfigurationsInput{Bucket: &bucket})
	noErr(t, "List page 1", err)
	n := len(out.MetricsConfigurationList)
	for aws.ToBool(out.IsTruncated) {
		out, err = c.ListBucketMetricsConfigurations(ctx, &s3.ListBucketMetricsConfigurationsInput{Bucket: &bucket, ContinuationToken: out.NextContinuationToken})
		noErr(t, "List next page", err)
		n += len(out.MetricsConfigurationList)
	}
	if n != 1000 {
		t.Errorf("listed %d configurations, want 1000", n)
	}
}

// wantSessionSigned checks that the SDK sent the requests of the
// sub-resource sub (metrics, inventory) session-signed, as the wire
// reference (10.2) says, and that there were some.
func wantSessionSigned(t *testing.T, w *wire, sub string) {
	t.Helper()
	n := 0
	for _, e := range w.Entries() {
		if q, _ := url.ParseQuery(e.RawQuery); q.Has(sub) {
			n++
			if e.SessionToken == "" || e.Service() != "s3express" {
				t.Errorf("not session-signed: %s", e)
			}
		}
	}
	if n == 0 {
		t.Errorf("no ?%s request on the wire", sub)
	}
}

// scrape returns srv's /_zonal/metrics text.
func scrape(t *testing.T, srv *zonalServer) string {
	t.Helper()
	resp, err := rawHTTP.Get(srv.Endpoint + "/_zonal/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	text, _ := io.ReadAll(resp.Body)
	return string(text)
}

// bucketCounter reads zonal_bucket_metrics_<name>{bucket=...,labels} (0
// when absent).
func bucketCounter(text, bucket, labels, name string) float64 {
	re := regexp.MustCompile(`(?m)^zonal_bucket_metrics_` + name + `\{bucket="` + regexp.QuoteMeta(bucket) + `",` + regexp.QuoteMeta(labels) + `\} (\S+)$`)
	m := re.FindStringSubmatch(text)
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}
