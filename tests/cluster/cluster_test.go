package cluster

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/zonal-dev/zonal/tests/internal/zonalproc"
)

// splitProxy is one endpoint in front of two nodes: CreateSession goes to
// one, every other request to the other. The Host header the client
// signed reaches the nodes unchanged, as behind a load balancer.
type splitProxy struct {
	minted, sessioned atomic.Int64
	sessions, rest    *httputil.ReverseProxy
}

func newSplitProxy(t *testing.T, sessionNode, otherNode *zonalproc.Server) string {
	p := &splitProxy{sessions: proxyTo(t, sessionNode), rest: proxyTo(t, otherNode)}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		if p.minted.Load() == 0 || p.sessioned.Load() < 2 {
			t.Errorf("%d CreateSession to one node, %d session-signed requests to the other: the split was not exercised",
				p.minted.Load(), p.sessioned.Load())
		}
	})
	return srv.URL
}

func proxyTo(t *testing.T, n *zonalproc.Server) *httputil.ReverseProxy {
	u, err := url.Parse(n.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	return &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(u)
		r.Out.Host = r.In.Host // keep the signed Host
	}}
}

func (p *splitProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Has("session") {
		p.minted.Add(1)
		p.sessions.ServeHTTP(w, r)
		return
	}
	if r.Header.Get("X-Amz-S3session-Token") != "" {
		p.sessioned.Add(1)
	}
	p.rest.ServeHTTP(w, r)
}

// sizes are the cluster shapes the session and IAM tests run on: two nodes
// on a blob folder, and three on SeaweedFS.
var sizes = []struct {
	name string
	n    int
	weed bool
}{{"2nodes-folder", 2, false}, {"3nodes-seaweedfs", 3, true}}

func TestSessionMintedOnOneNodeWorksOnAnother(t *testing.T) {
	for _, sz := range sizes {
		t.Run(sz.name, func(t *testing.T) {
			c := newClusterWith(t, sz.n, clusterOpts{Weed: sz.weed})
			ctx := ctxT(t)
			bucket := createBucket(t, s3Client(t, c.nodes[0]), "sess")
			last := c.nodes[sz.n-1]
			endpoint := newSplitProxy(t, c.nodes[0], last)
			cl := s3.NewFromConfig(sdkConfig(t, rootAccessKey, rootSecretKey, nil), func(o *s3.Options) { o.BaseEndpoint = aws.String(endpoint) })
			body := []byte("minted on node 0, used on the last node")
			if _, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: bytes.NewReader(body)}); err != nil {
				t.Fatalf("PutObject on node %d with node 0's session: %v", sz.n-1, err)
			}
			got, err := getBytes(ctx, cl, bucket, "k")
			if err != nil || !bytes.Equal(got, body) {
				t.Fatalf("GetObject on node %d: %q, %v", sz.n-1, got, err)
			}
		})
	}
}

// TestIAMChangesReachEveryNodeWithinASecond: a key created on node 0 works
// on the last node, and deleted through the node before it (node 0 of
// two), is refused by the last node, each within a second.
func TestIAMChangesReachEveryNodeWithinASecond(t *testing.T) {
	for _, sz := range sizes {
		t.Run(sz.name, func(t *testing.T) {
			c := newClusterWith(t, sz.n, clusterOpts{Weed: sz.weed})
			ctx := ctxT(t)
			ic := iamClient(t, c.nodes[0])
			if _, err := ic.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
				t.Fatal(err)
			}
			if _, err := ic.AttachUserPolicy(ctx, &awsiam.AttachUserPolicyInput{UserName: aws.String("alice"),
				PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonS3FullAccess")}); err != nil {
				// A managed-policy ARN zonal may not know: an inline policy does the same.
				if _, err := ic.PutUserPolicy(ctx, &awsiam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("all"),
					PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3express:*","s3:*"],"Resource":"*"}]}`)}); err != nil {
					t.Fatal(err)
				}
			}
			ck, err := ic.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String("alice")})
			if err != nil {
				t.Fatal(err)
			}
			ak, sk := aws.ToString(ck.AccessKey.AccessKeyId), aws.ToString(ck.AccessKey.SecretAccessKey)
			checker, deleter := sz.n-1, sz.n-2
			other := s3ClientWith(t, c.nodes[checker], ak, sk, noRetries, func(o *s3.Options) { o.DisableS3ExpressSessionAuth = aws.Bool(true) })
			list := func() error {
				_, err := other.ListDirectoryBuckets(ctx, &s3.ListDirectoryBucketsInput{})
				return err
			}
			if d, ok := within(time.Second, func() bool { return list() == nil }); !ok {
				t.Fatalf("a key created on node 0 still refused by node %d after %v: %v", checker, d, list())
			} else {
				t.Logf("new key accepted by node %d after %v", checker, d)
			}
			if _, err := iamClient(t, c.nodes[deleter]).DeleteAccessKey(ctx, &awsiam.DeleteAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: aws.String(ak)}); err != nil {
				t.Fatal(err)
			}
			d, ok := within(time.Second, func() bool { return errCode(list()) == "InvalidAccessKeyId" })
			if !ok {
				t.Fatalf("a key deleted through node %d still works on node %d after %v (last answer %v)", deleter, checker, d, list())
			}
			t.Logf("key deleted through node %d refused by node %d after %v", deleter, checker, d)
		})
	}
}

// within polls cond until it holds or limit passes, and says how long it took.
func within(limit time.Duration, cond func() bool) (time.Duration, bool) {
	start := time.Now()
	for {
		if cond() {
			return time.Since(start), true
		}
		if time.Since(start) > limit {
			return time.Since(start), false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func errCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

func TestConditionalWritesAcrossNodesHaveOneWinner(t *testing.T) {
	c := newCluster(t, 2)
	ctx := ctxT(t)
	bucket := createBucket(t, s3Client(t, c.nodes[0]), "race")
	clients := []*s3.Client{s3Client(t, c.nodes[0], noRetries), s3Client(t, c.nodes[1], noRetries)}
	const keys, writers = 20, 8
	for k := 0; k < keys; k++ {
		key := fmt.Sprintf("k%02d", k)
		var wins atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := clients[w%2].PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
					Body: strings.NewReader(fmt.Sprintf("writer %d", w)), IfNoneMatch: aws.String("*")})
				switch code := errCode(err); code {
				case "":
					wins.Add(1)
				case "PreconditionFailed", "ConditionalRequestConflict":
				default:
					errs <- fmt.Errorf("writer %d: %v", w, err)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if n := wins.Load(); n != 1 {
			t.Fatalf("key %s: %d If-None-Match writers won, want exactly 1", key, n)
		}
	}
}

func TestBucketsAndObjectsSeenByEveryNode(t *testing.T) {
	c := newCluster(t, 2)
	ctx := ctxT(t)
	a, b := s3Client(t, c.nodes[0]), s3Client(t, c.nodes[1])
	bucket := createBucket(t, a, "seen")
	if _, err := b.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("HeadBucket on node 1 right after CreateBucket on node 0: %v", err)
	}
	// A blob (past the inline threshold) written on one node is read on
	// the other from the shared blob folder; a small one comes inline.
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	for key, body := range map[string][]byte{"dir/big": big, "dir/small": []byte("small")} {
		if _, err := a.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
		if got, err := getBytes(ctx, b, bucket, key); err != nil || !bytes.Equal(got, body) {
			t.Fatalf("%s read on node 1: %d bytes, %v; want %d", key, len(got), err, len(body))
		}
	}
	out, err := b.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("dir/")})
	if err != nil || len(out.Contents) != 2 {
		t.Fatalf("list on node 1: %v entries, %v", len(out.Contents), err)
	}
	// Deleted on node 1: node 0's next write into the bucket must fail,
	// whatever node 0 saw before.
	for _, key := range []string{"dir/big", "dir/small"} {
		if _, err := b.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	_, err = a.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("late"), Body: strings.NewReader("x")})
	if code := errCode(err); code != "NoSuchBucket" && code != "AccessDenied" {
		t.Fatalf("PutObject on node 0 into a bucket deleted on node 1: %v, want NoSuchBucket", err)
	}
}

func TestRenameClientTokenAcrossNodes(t *testing.T) {
	c := newCluster(t, 2)
	ctx := ctxT(t)
	a, b := s3Client(t, c.nodes[0], noRetries), s3Client(t, c.nodes[1], noRetries)
	bucket := createBucket(t, a, "rename")
	for _, k := range []string{"src1", "src2"} {
		if _, err := a.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Body: strings.NewReader(k)}); err != nil {
			t.Fatal(err)
		}
	}
	in := &s3.RenameObjectInput{Bucket: aws.String(bucket), Key: aws.String("dst1"), RenameSource: aws.String("src1"), ClientToken: aws.String("token-1")}
	if _, err := a.RenameObject(ctx, in); err != nil {
		t.Fatal(err)
	}
	// The same token and parameters on the other node: success, no action.
	if _, err := b.RenameObject(ctx, in); err != nil {
		t.Fatalf("retry of the same rename on node 1: %v", err)
	}
	// The same token for another rename, on the other node: refused.
	other := &s3.RenameObjectInput{Bucket: aws.String(bucket), Key: aws.String("dst2"), RenameSource: aws.String("src2"), ClientToken: aws.String("token-1")}
	_, err := b.RenameObject(ctx, other)
	if code := errCode(err); code != "IdempotencyParameterMismatch" {
		t.Fatalf("token reused for another rename on node 1: %v, want IdempotencyParameterMismatch", err)
	}
	if _, err := a.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("src2")}); err != nil {
		t.Fatalf("src2 moved by a refused rename: %v", err)
	}
}

// TestKeyMismatchRefusesToStart: a node without the cluster's SSE key, or
// with another one, must not start, and says why.
func TestKeyMismatchRefusesToStart(t *testing.T) {
	c := newCluster(t, 1)
	// Another key: the one a standalone server generates for itself.
	dir := t.TempDir()
	lone := zonalproc.Start(t, dir+"/lone", rootAccessKey, rootSecretKey)
	if err := lone.Stop(); err != nil {
		t.Fatal(err)
	}
	for name, keyFile := range map[string]string{"missing": dir + "/no-such.key", "other": dir + "/lone/keys/sse.key"} {
		d := t.TempDir()
		s, err := zonalproc.Launch(zonalproc.Options{Name: name, Data: d + "/data", LogPath: d + "/zonal.log",
			AccessKey: rootAccessKey, SecretKey: rootSecretKey, Args: c.args("--sse-key-file", keyFile)})
		if err == nil {
			s.Stop()
			s.Close()
			t.Fatalf("a node with the %s SSE key started", name)
		}
		if msg := err.Error(); !strings.Contains(msg, "SSE master key") || !strings.Contains(msg, "every node the same --sse-key-file") {
			t.Fatalf("%s key: no clear message:\n%v", name, err)
		}
	}
	// The master key sealing identities and the session key ring: the
	// same, with the identity store's own words.
	for name, keyFile := range map[string]string{"missing": dir + "/no-such-master.key", "other": dir + "/lone/keys/master.key"} {
		d := t.TempDir()
		s, err := zonalproc.Launch(zonalproc.Options{Name: "master-" + name, Data: d + "/data", LogPath: d + "/zonal.log",
			AccessKey: rootAccessKey, SecretKey: rootSecretKey, Args: c.args("--master-key-file", keyFile)})
		if err == nil {
			s.Stop()
			s.Close()
			t.Fatalf("a node with the %s master key started", name)
		}
		if msg := err.Error(); !strings.Contains(msg, "master key") || !strings.Contains(msg, "ZONAL_MASTER_KEY_FILE") {
			t.Fatalf("%s master key: no clear message:\n%v", name, err)
		}
	}
}
