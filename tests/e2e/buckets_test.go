package e2e

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func bucketARN(name string) string {
	return fmt.Sprintf("arn:aws:s3express:%s:%s:bucket/%s", testRegion, testAccountID, name)
}

func createBucketXML(az string) []byte {
	return []byte(`<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
		`<Location><Type>AvailabilityZone</Type><Name>` + az + `</Name></Location>` +
		`<Bucket><DataRedundancy>SingleAvailabilityZone</DataRedundancy><Type>Directory</Type></Bucket>` +
		`</CreateBucketConfiguration>`)
}

// TestBuckets covers CreateBucket (the SDK's CreateSession-first flow),
// duplicates, name validation, HeadBucket, ListDirectoryBuckets paging and
// DeleteBucket. It runs on a dedicated server so that ListDirectoryBuckets
// must return exactly the buckets created here.
func TestBuckets(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{Name: "buckets"})
	c, w := newClient(t, srv)
	ctx := ctxT(t, 60*time.Second)

	created := map[string]bool{} // every bucket that exists on this server
	first := bucketName("first")

	t.Run("CreateViaSDKFlow", func(t *testing.T) {
		out, err := c.CreateBucket(ctx, createBucketInput(first, testAZ))
		if err != nil {
			t.Fatalf("CreateBucket %s: %s\nwire:\n%s", first, describeErr(err), w.Dump())
		}
		created[first] = true
		// The SDK must have done CreateSession on the not-yet-existing bucket,
		// then a session-signed PUT /bucket.
		es := w.Entries()
		sess, put := -1, -1
		for i, e := range es {
			if e.IsCreateSession() && e.Path == "/"+first && sess < 0 {
				sess = i
			}
			if e.Method == http.MethodPut && e.Path == "/"+first && put < 0 {
				put = i
			}
		}
		if sess < 0 || put < 0 || sess > put {
			t.Errorf("expected GET /%s?session before PUT /%s on the wire:\n%s", first, first, w.Dump())
		} else {
			if es[sess].Status != 200 {
				t.Errorf("CreateSession on a not-yet-existing bucket: want 200 (wire reference §7a.4), got %d", es[sess].Status)
			}
			if es[put].SessionToken == "" || es[put].AccessKey() == srv.AccessKey || es[put].Service() != "s3express" {
				t.Errorf("CreateBucket was not session-signed as expected: %s", es[put])
			}
		}
		if got := aws.ToString(out.Location); got != "/"+first {
			t.Errorf("CreateBucket Location: want %q, got %q", "/"+first, got)
		}
		if got := aws.ToString(out.BucketArn); got != bucketARN(first) {
			t.Errorf("CreateBucket x-amz-bucket-arn: want %q, got %q", bucketARN(first), got)
		}
	})
	if !created[first] {
		t.FailNow()
	}

	t.Run("CreateAgainAlreadyOwnedByYou", func(t *testing.T) {
		_, err := c.CreateBucket(ctx, createBucketInput(first, testAZ))
		wantErr(t, "CreateBucket twice", err, 409, "BucketAlreadyOwnedByYou")
		// Also with long-term-key signing (the AWS control-plane way).
		_, err = c.CreateBucket(ctx, createBucketInput(first, testAZ), noSessionAuth)
		wantErr(t, "CreateBucket twice (long-term key)", err, 409, "BucketAlreadyOwnedByYou")
	})

	t.Run("HeadBucket", func(t *testing.T) {
		out, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(first)})
		noErr(t, "HeadBucket existing", err)
		if got := aws.ToString(out.BucketLocationName); got != testAZ {
			t.Errorf("HeadBucket x-amz-bucket-location-name: want %q, got %q", testAZ, got)
		}
		if out.BucketLocationType != types.LocationTypeAvailabilityZone {
			t.Errorf("HeadBucket x-amz-bucket-location-type: want AvailabilityZone, got %q", out.BucketLocationType)
		}
		if got := aws.ToString(out.BucketRegion); got != testRegion {
			t.Errorf("HeadBucket x-amz-bucket-region: want %q, got %q", testRegion, got)
		}
		missing := bucketName("missing")
		_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(missing)})
		wantErr(t, "HeadBucket missing", err, 404)
	})

	t.Run("ListDirectoryBucketsPaging", func(t *testing.T) {
		for i := 0; i < 4; i++ {
			name := bucketName(fmt.Sprintf("list%d", i))
			_, err := c.CreateBucket(ctx, createBucketInput(name, testAZ))
			noErr(t, "CreateBucket "+name, err)
			created[name] = true
		}
		got := listAllDirectoryBuckets(t, ctx, c, 2)
		checkBucketList(t, got, created)
	})

	t.Run("InvalidNames", func(t *testing.T) {
		long63 := strings.Repeat("a", 63-len("--"+testAZ+"--x-s3")) + "--" + testAZ + "--x-s3"
		long64 := "b" + long63
		if len(long63) != 63 || len(long64) != 64 {
			t.Fatalf("bad test setup: %d %d", len(long63), len(long64))
		}
		// Positive control: the raw, long-term-key-signed CreateBucket works
		// for a valid (and maximally long) name.
		r := doRaw(t, srv, rawReq{Method: http.MethodPut, Path: "/" + long63, Body: createBucketXML(testAZ)}, rootSigning(srv))
		wantRaw(t, "raw CreateBucket with a valid 63-char name", r, 200)
		if r.Status == 200 {
			created[long63] = true
		}

		cases := []struct {
			why, name, az string
		}{
			{"uppercase", "Upper-" + randHex(4) + "--" + testAZ + "--x-s3", testAZ},
			{"no --x-s3 suffix", "plain-bucket-" + randHex(6), testAZ},
			{"no zone id", "nozone-" + randHex(4) + "--x-s3", testAZ},
			{"Location.Name differs from the name's zone", "azmismatch-" + randHex(4) + "--" + testAZ + "--x-s3", "use1-az5"},
			{"too long (64 chars)", long64, testAZ},
			{"underscore", "under_score-" + randHex(4) + "--" + testAZ + "--x-s3", testAZ},
			{"dot", "has.dot-" + randHex(4) + "--" + testAZ + "--x-s3", testAZ},
		}
		for _, tc := range cases {
			r := doRaw(t, srv, rawReq{Method: http.MethodPut, Path: "/" + tc.name, Body: createBucketXML(tc.az)}, rootSigning(srv))
			wantRaw(t, fmt.Sprintf("CreateBucket %q (%s)", tc.name, tc.why), r, 400, "InvalidBucketName")
			if r.Status == 200 {
				created[tc.name] = true
			}
		}
		// The zone mismatch also through the stock SDK flow (the name is
		// valid, so the SDK sends it).
		name := "azmismatch2-" + randHex(4) + "--" + testAZ + "--x-s3"
		_, err := c.CreateBucket(ctx, createBucketInput(name, "use1-az6"))
		if wantErr(t, "SDK CreateBucket with Location.Name use1-az6 for a use1-az4 name", err, 400, "InvalidBucketName"); err == nil {
			created[name] = true
		}
	})

	t.Run("DeleteBucket", func(t *testing.T) {
		mustPut(t, c, first, "dir/obj.txt", []byte("hello"))
		_, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(first)})
		wantErr(t, "DeleteBucket non-empty", err, 409, "BucketNotEmpty")

		_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(first), Key: aws.String("dir/obj.txt")})
		noErr(t, "DeleteObject", err)
		_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(first)})
		noErr(t, "DeleteBucket empty", err)
		delete(created, first)

		_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(first)})
		wantErr(t, "HeadBucket after delete", err, 404)
		_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(first)})
		wantErr(t, "ListObjectsV2 after delete", err, 404, "NoSuchBucket")

		got := listAllDirectoryBuckets(t, ctx, c, 1000)
		checkBucketList(t, got, created)

		_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(first)})
		wantErr(t, "DeleteBucket of a deleted bucket", err, 404, "NoSuchBucket")

		// The name can be reused.
		_, err = c.CreateBucket(ctx, createBucketInput(first, testAZ))
		noErr(t, "re-CreateBucket after delete", err)
		created[first] = true
	})
}

func listAllDirectoryBuckets(t *testing.T, ctx context.Context, c *s3.Client, pageSize int32) []types.Bucket {
	t.Helper()
	var all []types.Bucket
	var token *string
	pages := 0
	for {
		pages++
		if pages > 50 {
			t.Fatalf("ListDirectoryBuckets: more than 50 pages, token loop? last token %q", aws.ToString(token))
		}
		out, err := c.ListDirectoryBuckets(ctx, &s3.ListDirectoryBucketsInput{
			MaxDirectoryBuckets: aws.Int32(pageSize),
			ContinuationToken:   token,
		}, noSessionAuth)
		if err != nil {
			t.Fatalf("ListDirectoryBuckets page %d: %s", pages, describeErr(err))
		}
		if len(out.Buckets) > int(pageSize) {
			t.Errorf("ListDirectoryBuckets page %d: %d buckets > MaxDirectoryBuckets %d", pages, len(out.Buckets), pageSize)
		}
		all = append(all, out.Buckets...)
		if aws.ToString(out.ContinuationToken) == "" {
			break
		}
		token = out.ContinuationToken
	}
	if pageSize == 2 && len(all) >= 5 && pages < 3 {
		t.Errorf("ListDirectoryBuckets with MaxDirectoryBuckets=2 over %d buckets took only %d pages", len(all), pages)
	}
	return all
}

func checkBucketList(t *testing.T, got []types.Bucket, want map[string]bool) {
	t.Helper()
	seen := map[string]int{}
	for _, b := range got {
		name := aws.ToString(b.Name)
		seen[name]++
		if !want[name] {
			t.Errorf("ListDirectoryBuckets returned unexpected bucket %q", name)
		}
		if arn := aws.ToString(b.BucketArn); arn != bucketARN(name) {
			t.Errorf("bucket %q: BucketArn want %q, got %q", name, bucketARN(name), arn)
		}
		if b.CreationDate == nil || b.CreationDate.IsZero() || time.Since(*b.CreationDate) > time.Hour || time.Until(*b.CreationDate) > time.Minute {
			t.Errorf("bucket %q: implausible CreationDate %v", name, b.CreationDate)
		}
	}
	var missing []string
	for n := range want {
		if seen[n] == 0 {
			missing = append(missing, n)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("ListDirectoryBuckets is missing %v", missing)
	}
	for n, k := range seen {
		if k > 1 {
			t.Errorf("ListDirectoryBuckets returned %q %d times", n, k)
		}
	}
}
