package cluster

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// blobProxy stands between the nodes and SeaweedFS and counts, per object
// key of the cluster's bucket, the writes SeaweedFS acknowledged: objects
// created (PutObject, CompleteMultipartUpload) and deleted (DeleteObject).
// The Host header the nodes signed goes through unchanged, so SigV4 still
// verifies.
type blobProxy struct {
	url    string
	bucket string
	rp     *httputil.ReverseProxy

	mu      sync.Mutex
	created map[string]int
	deleted map[string]int
	odd     []string // other writes (batch deletes, copies): the counts would miss them
}

func newBlobProxy(t *testing.T, target, bucket string) *blobProxy {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &blobProxy{bucket: bucket, created: map[string]int{}, deleted: map[string]int{}}
	p.rp = &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(u)
		r.Out.Host = r.In.Host
	}}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	p.url = srv.URL
	return p
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (p *blobProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	p.rp.ServeHTTP(rec, r)
	if rec.status/100 != 2 {
		return
	}
	// Path style: /bucket/key.
	key, ok := strings.CutPrefix(r.URL.Path, "/"+p.bucket+"/")
	if !ok || key == "" {
		return
	}
	q := r.URL.Query()
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case r.Header.Get("X-Amz-Copy-Source") != "" || q.Has("delete"):
		p.odd = append(p.odd, r.Method+" "+r.URL.RequestURI())
	case r.Method == http.MethodPut && !q.Has("uploadId"):
		p.created[key]++
	case r.Method == http.MethodPost && q.Has("uploadId"):
		p.created[key]++
	case r.Method == http.MethodDelete && !q.Has("uploadId"):
		p.deleted[key]++
	}
}

// gcCounts is what the proxy saw: blobs created, deleted, created but not
// deleted (live), and anything counted twice or never created.
type gcCounts struct {
	created, deleted, live int
	problems               []string
}

func (p *blobProxy) counts() gcCounts {
	p.mu.Lock()
	defer p.mu.Unlock()
	var g gcCounts
	for _, s := range p.odd {
		g.problems = append(g.problems, "unexpected blob-store write "+s)
	}
	for k, n := range p.created {
		g.created++
		if n != 1 {
			g.problems = append(g.problems, fmt.Sprintf("blob %s created %d times", k, n))
		}
		switch d := p.deleted[k]; {
		case d == 0:
			g.live++
		case d > 1:
			g.problems = append(g.problems, fmt.Sprintf("blob %s deleted %d times", k, d))
		}
	}
	for k, d := range p.deleted {
		g.deleted++
		if p.created[k] == 0 {
			g.problems = append(g.problems, fmt.Sprintf("blob %s deleted %d times but never created", k, d))
		}
	}
	sort.Strings(g.problems)
	return g
}

// liveKeys are the keys created and not deleted, sorted.
func (p *blobProxy) liveKeys() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var keys []string
	for k := range p.created {
		if p.deleted[k] == 0 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// weedKeys lists the cluster's blob keys in SeaweedFS, behind the nodes'
// backs.
func (c *cluster) weedKeys(ctx context.Context) ([]string, error) {
	var keys []string
	pages := s3.NewListObjectsV2Paginator(weed.Client(), &s3.ListObjectsV2Input{Bucket: aws.String(c.weedBucket), Prefix: aws.String(blobPrefix + "/")})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys, nil
}

// expectAllCollected waits until every blob the proxy saw created has been
// deleted exactly once and the bucket's blob folder is empty, failing t
// after limit.
func (c *cluster) expectAllCollected(limit time.Duration) {
	t := c.t
	t.Helper()
	ctx := ctxT(t)
	var g gcCounts
	var keys []string
	d, ok := within(limit, func() bool {
		g = c.proxy.counts()
		if len(g.problems) > 0 {
			return true // no use waiting
		}
		if g.live > 0 {
			return false
		}
		var err error
		keys, err = c.weedKeys(ctx)
		return err == nil && len(keys) == 0
	})
	if len(g.problems) > 0 {
		t.Fatalf("blob-store writes are not exactly once:\n%s", strings.Join(g.problems[:min(len(g.problems), 20)], "\n"))
	}
	if g.created == 0 {
		t.Fatal("the proxy saw no blob created: the test wrote no blobs, or its counting is broken")
	}
	if !ok {
		t.Fatalf("after %v: %d of %d blobs created never deleted, %d keys left in the bucket (%.5q)", d, g.live, g.created, len(keys), keys)
	}
	t.Logf("all %d blobs deleted exactly once, bucket folder empty, %v after the last delete", g.created, d)
}
