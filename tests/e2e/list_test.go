package e2e

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func sortedKeys(m map[string]int) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestListObjectsV2 covers delimiter listing, prefix/delimiter rules,
// start-after, pagination, url encoding, fetch-owner and directory pruning.
func TestListObjectsV2(t *testing.T) {
	t.Parallel()
	var needles []string
	srv := sharedServer(t, &needles)
	c, _ := newClient(t, srv)
	ctx := ctxT(t, 90*time.Second)
	bucket := mustCreateBucket(t, c, "list")
	needles = append(needles, bucket)

	rootObjects := []string{"a.txt", "b.txt", "c.txt", "d.txt", "e.txt", "f.txt", "g.txt"}
	dirObjects := []string{"dir1/x.txt", "dir1/y.txt", "dir1/sub/z.txt", "dir2/w.txt", "dir3/deep/er/q.txt", "dir4/v.txt"}
	all := append(append([]string(nil), rootObjects...), dirObjects...)
	for _, k := range all {
		mustPut(t, c, bucket, k, []byte("data:"+k))
	}
	rootPrefixes := []string{"dir1/", "dir2/", "dir3/", "dir4/"}

	t.Run("DelimiterRoot", func(t *testing.T) {
		out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Delimiter: aws.String("/")})
		noErr(t, "ListObjectsV2 delimiter=/", err)
		checkListing(t, "root", out, rootObjects, rootPrefixes)
		if aws.ToString(out.Delimiter) != "/" || aws.ToString(out.Name) != bucket {
			t.Errorf("echo: Delimiter %q Name %q", aws.ToString(out.Delimiter), aws.ToString(out.Name))
		}
		for _, o := range out.Contents {
			if o.StorageClass != types.ObjectStorageClassExpressOnezone {
				t.Errorf("Contents %s StorageClass %q, want EXPRESS_ONEZONE", aws.ToString(o.Key), o.StorageClass)
			}
			if aws.ToInt64(o.Size) != int64(len("data:"+aws.ToString(o.Key))) {
				t.Errorf("Contents %s Size %d", aws.ToString(o.Key), aws.ToInt64(o.Size))
			}
			if aws.ToString(o.ETag) == "" || o.LastModified == nil {
				t.Errorf("Contents %s missing ETag/LastModified", aws.ToString(o.Key))
			}
			if o.Owner != nil {
				t.Errorf("Contents %s has Owner without fetch-owner", aws.ToString(o.Key))
			}
		}
	})

	t.Run("DelimiterSubdir", func(t *testing.T) {
		out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Delimiter: aws.String("/"), Prefix: aws.String("dir1/")})
		noErr(t, "ListObjectsV2 prefix=dir1/", err)
		checkListing(t, "dir1/", out, []string{"dir1/x.txt", "dir1/y.txt"}, []string{"dir1/sub/"})
		if aws.ToString(out.Prefix) != "dir1/" {
			t.Errorf("Prefix echo %q", aws.ToString(out.Prefix))
		}
		out, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Delimiter: aws.String("/"), Prefix: aws.String("dir3/deep/")})
		noErr(t, "ListObjectsV2 prefix=dir3/deep/", err)
		checkListing(t, "dir3/deep/", out, nil, []string{"dir3/deep/er/"})
		out, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Delimiter: aws.String("/"), Prefix: aws.String("nosuchdir/")})
		noErr(t, "ListObjectsV2 prefix=nosuchdir/", err)
		checkListing(t, "nosuchdir/", out, nil, nil)
		// No delimiter, prefix: everything below.
		out, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("dir1/")})
		noErr(t, "ListObjectsV2 prefix=dir1/ no delimiter", err)
		checkListing(t, "dir1/ recursive", out, []string{"dir1/x.txt", "dir1/y.txt", "dir1/sub/z.txt"}, nil)
	})

	t.Run("PrefixNotEndingInSlash", func(t *testing.T) {
		_, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Delimiter: aws.String("/"), Prefix: aws.String("dir")})
		wantErr(t, "ListObjectsV2 prefix=dir", err, 400, "InvalidRequest")
		_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("a.t")})
		wantErr(t, "ListObjectsV2 prefix=a.t (no delimiter)", err, 400, "InvalidRequest")
	})

	t.Run("DelimiterNotSlash", func(t *testing.T) {
		_, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Delimiter: aws.String("-")})
		wantErr(t, "ListObjectsV2 delimiter=-", err, 400, "InvalidRequest", "InvalidArgument")
	})

	t.Run("StartAfterRefused", func(t *testing.T) {
		_, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), StartAfter: aws.String("b.txt")})
		if err == nil {
			t.Fatalf("ListObjectsV2 start-after: expected an error (not supported on directory buckets), got success")
		}
		e1 := inspectErr(err)
		if e1.Status < 400 || e1.Code == "" {
			t.Errorf("ListObjectsV2 start-after: want a 4xx/5xx S3 error, got %s", describeErr(err))
		}
		_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), StartAfter: aws.String("dir1/"), Delimiter: aws.String("/")})
		e2 := inspectErr(err)
		if err == nil || e2.Code != e1.Code || e2.Status != e1.Status {
			t.Errorf("ListObjectsV2 start-after: unstable answer: first %d %s, then %s", e1.Status, e1.Code, describeErr(err))
		}
		t.Logf("start-after is refused with %d %s", e1.Status, e1.Code)
		switch e1.Code {
		case "NotImplemented", "InvalidRequest", "InvalidArgument":
		default:
			t.Errorf("start-after: unexpected code %q (reference suggests NotImplemented or InvalidRequest)", e1.Code)
		}
	})

	t.Run("PaginationWithDelimiter", func(t *testing.T) {
		seen := map[string]int{}
		var token *string
		pages := 0
		for {
			pages++
			if pages > 30 {
				t.Fatalf("too many pages")
			}
			out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Delimiter: aws.String("/"), MaxKeys: aws.Int32(3), ContinuationToken: token})
			noErr(t, fmt.Sprintf("ListObjectsV2 page %d", pages), err)
			n := len(out.Contents) + len(out.CommonPrefixes)
			if n > 3 {
				t.Errorf("page %d: %d entries > MaxKeys 3", pages, n)
			}
			if int(aws.ToInt32(out.KeyCount)) != n {
				t.Errorf("page %d: KeyCount %d, entries %d", pages, aws.ToInt32(out.KeyCount), n)
			}
			if aws.ToInt32(out.MaxKeys) != 3 {
				t.Errorf("page %d: MaxKeys echo %d", pages, aws.ToInt32(out.MaxKeys))
			}
			if token != nil && aws.ToString(out.ContinuationToken) != aws.ToString(token) {
				t.Errorf("page %d: ContinuationToken echo %q, sent %q", pages, aws.ToString(out.ContinuationToken), aws.ToString(token))
			}
			for _, o := range out.Contents {
				seen[aws.ToString(o.Key)]++
			}
			for _, p := range out.CommonPrefixes {
				seen[aws.ToString(p.Prefix)]++
			}
			if !aws.ToBool(out.IsTruncated) {
				if aws.ToString(out.NextContinuationToken) != "" {
					t.Errorf("last page carries NextContinuationToken %q", aws.ToString(out.NextContinuationToken))
				}
				break
			}
			if aws.ToString(out.NextContinuationToken) == "" {
				t.Fatalf("page %d: IsTruncated without NextContinuationToken", pages)
			}
			token = out.NextContinuationToken
		}
		want := append(append([]string(nil), rootObjects...), rootPrefixes...)
		sort.Strings(want)
		if got := sortedKeys(seen); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("paged delimiter listing visited %v, want %v", got, want)
		}
		for k, n := range seen {
			if n != 1 {
				t.Errorf("%q visited %d times", k, n)
			}
		}
		if pages < 4 {
			t.Errorf("11 entries with MaxKeys=3 took only %d pages", pages)
		}
	})

	t.Run("Paginator", func(t *testing.T) {
		seen := map[string]int{}
		p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), MaxKeys: aws.Int32(3)})
		pages := 0
		for p.HasMorePages() {
			pages++
			if pages > 30 {
				t.Fatalf("too many pages")
			}
			out, err := p.NextPage(ctx)
			noErr(t, "paginator NextPage", err)
			if len(out.Contents) > 3 || len(out.CommonPrefixes) != 0 {
				t.Errorf("paginator page %d: %d contents, %d prefixes", pages, len(out.Contents), len(out.CommonPrefixes))
			}
			for _, o := range out.Contents {
				seen[aws.ToString(o.Key)]++
			}
		}
		want := append([]string(nil), all...)
		sort.Strings(want)
		if got := sortedKeys(seen); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("paginator visited %v, want %v", got, want)
		}
		for k, n := range seen {
			if n != 1 {
				t.Errorf("%q visited %d times", k, n)
			}
		}
	})

	t.Run("BogusContinuationToken", func(t *testing.T) {
		_, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), ContinuationToken: aws.String("bm90LWEtcmVhbC10b2tlbg==")})
		wantErr(t, "ListObjectsV2 with a made-up continuation token", err, 0)
	})

	t.Run("KeyCountAndMaxKeysDefault", func(t *testing.T) {
		out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
		noErr(t, "ListObjectsV2", err)
		if int(aws.ToInt32(out.KeyCount)) != len(all) || len(out.Contents) != len(all) {
			t.Errorf("KeyCount %d, Contents %d, want %d", aws.ToInt32(out.KeyCount), len(out.Contents), len(all))
		}
		if aws.ToInt32(out.MaxKeys) != 1000 {
			t.Errorf("default MaxKeys: want 1000, got %d", aws.ToInt32(out.MaxKeys))
		}
		if aws.ToBool(out.IsTruncated) {
			t.Errorf("IsTruncated on a complete listing")
		}
	})

	t.Run("FetchOwner", func(t *testing.T) {
		out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Delimiter: aws.String("/"), FetchOwner: aws.Bool(true)})
		noErr(t, "ListObjectsV2 fetch-owner", err)
		if len(out.Contents) == 0 {
			t.Fatalf("no contents")
		}
		for _, o := range out.Contents {
			if o.Owner == nil || aws.ToString(o.Owner.ID) == "" {
				t.Errorf("fetch-owner: %s has no Owner/ID", aws.ToString(o.Key))
			}
		}
	})

	t.Run("EncodingTypeURL", func(t *testing.T) {
		b2 := mustCreateBucket(t, c, "listenc")
		needles = append(needles, b2)
		keys := []string{"sp ace/file one.txt", "sp ace/ünï-ç😀de.txt", "plus+dir/a+b.txt", "top level.txt", "pct%41.txt"}
		for _, k := range keys {
			mustPut(t, c, b2, k, []byte(k))
		}
		// Recursive listing: keys come back encoded; decoding must give the originals.
		out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(b2), EncodingType: types.EncodingTypeUrl})
		noErr(t, "ListObjectsV2 encoding-type=url", err)
		if out.EncodingType != types.EncodingTypeUrl {
			t.Errorf("EncodingType echo: %q", out.EncodingType)
		}
		var got []string
		for _, o := range out.Contents {
			raw := aws.ToString(o.Key)
			dec, err := url.QueryUnescape(raw)
			if err != nil {
				t.Errorf("key %q is not url-encoded: %v", raw, err)
				continue
			}
			if strings.ContainsAny(raw, " ü😀") {
				t.Errorf("key %q returned with encoding-type=url is not encoded", raw)
			}
			got = append(got, dec)
		}
		want := append([]string(nil), keys...)
		sort.Strings(want)
		sort.Strings(got)
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("encoding-type=url round trip:\nwant %q\n got %q", want, got)
		}
		// Delimited, with an encoded prefix.
		out, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(b2), EncodingType: types.EncodingTypeUrl, Delimiter: aws.String("/")})
		noErr(t, "ListObjectsV2 encoding-type=url delimiter=/", err)
		var cps []string
		for _, p := range out.CommonPrefixes {
			d, _ := url.QueryUnescape(aws.ToString(p.Prefix))
			cps = append(cps, d)
		}
		sort.Strings(cps)
		if strings.Join(cps, "|") != "plus+dir/|sp ace/" {
			t.Errorf("encoded common prefixes decoded to %q", cps)
		}
		out, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(b2), EncodingType: types.EncodingTypeUrl, Delimiter: aws.String("/"), Prefix: aws.String("sp ace/")})
		noErr(t, "ListObjectsV2 encoding-type=url prefix='sp ace/'", err)
		if d, _ := url.QueryUnescape(aws.ToString(out.Prefix)); d != "sp ace/" {
			t.Errorf("Prefix echo decodes to %q", d)
		}
		var sub []string
		for _, o := range out.Contents {
			d, _ := url.QueryUnescape(aws.ToString(o.Key))
			sub = append(sub, d)
		}
		sort.Strings(sub)
		if strings.Join(sub, "|") != "sp ace/file one.txt|sp ace/ünï-ç😀de.txt" {
			t.Errorf("encoded sub-listing decoded to %q", sub)
		}
		// Without encoding-type the keys come back verbatim.
		out, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(b2)})
		noErr(t, "ListObjectsV2 plain", err)
		got = got[:0]
		for _, o := range out.Contents {
			got = append(got, aws.ToString(o.Key))
		}
		sort.Strings(got)
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("plain listing: want %q got %q", want, got)
		}
	})

	t.Run("EmptyDirectoriesDisappear", func(t *testing.T) {
		b3 := mustCreateBucket(t, c, "listdirs")
		needles = append(needles, b3)
		mustPut(t, c, b3, "top.txt", []byte("t"))
		mustPut(t, c, b3, "d1/d2/f.txt", []byte("f"))
		out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(b3), Delimiter: aws.String("/")})
		noErr(t, "list root", err)
		checkListing(t, "root with d1/", out, []string{"top.txt"}, []string{"d1/"})
		out, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(b3), Delimiter: aws.String("/"), Prefix: aws.String("d1/")})
		noErr(t, "list d1/", err)
		checkListing(t, "d1/", out, nil, []string{"d1/d2/"})

		_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b3), Key: aws.String("d1/d2/f.txt")})
		noErr(t, "DeleteObject d1/d2/f.txt", err)
		out, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(b3), Delimiter: aws.String("/")})
		noErr(t, "list root after delete", err)
		checkListing(t, "root after delete", out, []string{"top.txt"}, nil)
		out, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(b3), Delimiter: aws.String("/"), Prefix: aws.String("d1/")})
		noErr(t, "list d1/ after delete", err)
		checkListing(t, "d1/ after delete", out, nil, nil)

		// A directory with two objects survives deleting one of them.
		mustPut(t, c, b3, "k/a", []byte("a"))
		mustPut(t, c, b3, "k/b", []byte("b"))
		_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b3), Key: aws.String("k/a")})
		noErr(t, "DeleteObject k/a", err)
		out, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(b3), Delimiter: aws.String("/")})
		noErr(t, "list root", err)
		checkListing(t, "root with k/", out, []string{"top.txt"}, []string{"k/"})

		// And the bucket can be deleted once the last object is gone (no leftover directory entries).
		for _, k := range []string{"k/b", "top.txt"} {
			_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b3), Key: aws.String(k)})
			noErr(t, "DeleteObject "+k, err)
		}
		_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(b3)})
		noErr(t, "DeleteBucket after emptying (directories must be pruned)", err)
	})

	t.Run("NoSuchBucket", func(t *testing.T) {
		missing := bucketName("nolist")
		_, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(missing)})
		wantErr(t, "ListObjectsV2 on a missing bucket", err, 404, "NoSuchBucket")
	})
}

func checkListing(t *testing.T, what string, out *s3.ListObjectsV2Output, wantKeys, wantPrefixes []string) {
	t.Helper()
	var keys, prefixes []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	for _, p := range out.CommonPrefixes {
		prefixes = append(prefixes, aws.ToString(p.Prefix))
	}
	sort.Strings(keys)
	sort.Strings(prefixes)
	wk := append([]string(nil), wantKeys...)
	wp := append([]string(nil), wantPrefixes...)
	sort.Strings(wk)
	sort.Strings(wp)
	if strings.Join(keys, ",") != strings.Join(wk, ",") {
		t.Errorf("%s: Contents want %v, got %v", what, wk, keys)
	}
	if strings.Join(prefixes, ",") != strings.Join(wp, ",") {
		t.Errorf("%s: CommonPrefixes want %v, got %v", what, wp, prefixes)
	}
	if int(aws.ToInt32(out.KeyCount)) != len(keys)+len(prefixes) {
		t.Errorf("%s: KeyCount %d, want %d", what, aws.ToInt32(out.KeyCount), len(keys)+len(prefixes))
	}
	if aws.ToBool(out.IsTruncated) {
		t.Errorf("%s: unexpectedly truncated", what)
	}
}
