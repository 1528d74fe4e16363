package e2e

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/logging"
)

// hostRecorder notes the hosts requests went to.
type hostRecorder struct {
	base  http.RoundTripper
	mu    sync.Mutex
	hosts []string
}

func (h *hostRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	h.mu.Lock()
	h.hosts = append(h.hosts, r.URL.Host)
	h.mu.Unlock()
	return h.base.RoundTrip(r)
}

// hostnameClient is the README's hostname-endpoint setup for Go: the
// endpoint https://s3.localhost:PORT (http in plain mode) and a dialer that
// sends s3.localhost and its subdomains to the loopback address, since
// Go's resolver does not resolve *.localhost by itself everywhere.
func hostnameClient(t *testing.T, srv *zonalServer) (*s3.Client, *hostRecorder) {
	t.Helper()
	u, err := url.Parse(srv.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	var d net.Dialer
	tr := &http.Transport{Proxy: nil, DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err == nil && (host == "s3.localhost" || strings.HasSuffix(host, ".s3.localhost")) {
			addr = net.JoinHostPort("127.0.0.1", port)
		}
		return d.DialContext(ctx, network, addr)
	}}
	rec := &hostRecorder{base: tr}
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion(testRegion),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(srv.AccessKey, srv.SecretKey, "")),
		config.WithHTTPClient(&http.Client{Transport: rec}), config.WithLogger(logging.Nop{}))
	if err != nil {
		t.Fatal(err)
	}
	endpoint := u.Scheme + "://s3.localhost:" + u.Port()
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint = aws.String(endpoint) }), rec
}

// TestHostnameEndpointKeysWithLeadingSlash (issue 11 item 16): through a
// hostname endpoint the Go SDK uses virtual-hosted style, where a key that
// starts with "/" keeps it; path style cannot tell /bucket//x (the JS SDK's
// way of sending key x) from key /x, and stores x.
func TestHostnameEndpointKeysWithLeadingSlash(t *testing.T) {
	t.Parallel()
	var needles []string
	srv := sharedServer(t, &needles)
	vc, rec := hostnameClient(t, srv)
	pc, _ := newClient(t, srv)
	bucket := mustCreateBucket(t, vc, "vhost")
	needles = append(needles, bucket)
	mustPut(t, vc, bucket, "/lead", []byte("virtual-hosted"))
	mustPut(t, pc, bucket, "/path", []byte("path style"))
	wantObject(t, "virtual-hosted GET of /lead", vc, bucket, "/lead", []byte("virtual-hosted"))

	out, err := pc.ListObjectsV2(ctxT(t, 20*time.Second), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	noErr(t, "ListObjectsV2", err)
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"/lead", "path"}) {
		t.Errorf("keys %q, want [/lead path]: virtual-hosted keeps the leading slash, path style drops it", keys)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if !slices.ContainsFunc(rec.hosts, func(h string) bool { return strings.HasPrefix(h, bucket+".s3.localhost:") }) {
		t.Errorf("no request went to the bucket host %s.s3.localhost: %q", bucket, rec.hosts)
	}
}
