// Package cluster runs several zonal processes as one service: one
// PostgreSQL catalog (--catalog), one blob store and the same key files,
// each node with a data folder of its own. It drives them with the stock
// aws-sdk-go-v2 clients and checks that any node serves any request with
// the same answer: sessions, identities, buckets, conditional writes,
// background work, and what happens while PostgreSQL is down.
//
// The blob store is a shared folder (--blob-dir) or, for the three-node
// tests, a bucket of a throwaway SeaweedFS (internal/blob/s3/s3test), with
// node-local caches where a test wants them and, for the GC checks, a
// counting proxy in front that sees every blob created and deleted. Those
// tests prove, on PostgreSQL + SeaweedFS + three nodes: read-your-writes
// across nodes (inline, blob and multipart objects, listings too); one
// winner for racing appends, renames, completions and conditional
// deletes; no acknowledged write lost and nothing half-written visible
// when a node is killed with SIGKILL under mixed load; only 503s and
// readiness naming the blob store while SeaweedFS is stopped, and
// recovery without a restart; and blob GC across nodes that deletes every
// freed blob exactly once, never a live one.
//
// PostgreSQL comes from Debian's postgresql-15 binaries (a throwaway
// cluster, see internal/catalog/postgres/pgtest), SeaweedFS from
// ZONAL_WEED_BIN (`bash tests/tools/seaweedfs.sh` builds it and prints the
// path); without them the tests that need them skip saying how to get
// them, unless ZONAL_REQUIRE_POSTGRES=1 or ZONAL_REQUIRE_SEAWEEDFS=1 (CI)
// makes that a failure.
package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/logging"

	"github.com/zonal-dev/zonal/internal/blob/s3/s3test"
	"github.com/zonal-dev/zonal/internal/catalog/postgres/pgtest"
	"github.com/zonal-dev/zonal/tests/internal/zonalproc"
)

const (
	rootAccessKey = "AKIAZONALCLUSTER0001"
	rootSecretKey = "zonalClusterSecretKey0000000000000000001" // 40 chars
	region        = "us-east-1"
	az            = "use1-az4"
)

var (
	pg      *pgtest.Server
	pgErr   error // why there is no PostgreSQL (tests skip or fail on it)
	weed    *s3test.Server
	weedErr error // why there is no SeaweedFS (tests skip or fail on it)
	workDir string
	dbSeq   atomic.Int64
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	defer zonalproc.Cleanup()
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") {
			os.Unsetenv(k) // AWS_CA_BUNDLE and friends change how the SDK loads
		}
	}
	var err error
	if workDir, err = os.MkdirTemp("", "zonal-cluster-"); err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
		return 1
	}
	defer os.RemoveAll(workDir)
	empty := filepath.Join(workDir, "empty-aws-config")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
		return 1
	}
	os.Setenv("AWS_CONFIG_FILE", empty)
	os.Setenv("AWS_SHARED_CREDENTIALS_FILE", empty)
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	pg, pgErr = pgtest.Start(pgtest.Options{Settings: []string{"max_connections=400"},
		Bin: os.Getenv("ZONAL_PG_BIN"), Existing: os.Getenv("ZONAL_TEST_POSTGRES"), Required: os.Getenv("ZONAL_REQUIRE_POSTGRES") == "1"})
	if pgErr == nil {
		defer pg.Close()
	}
	weed, weedErr = s3test.Start(s3test.Options{Bin: os.Getenv("ZONAL_WEED_BIN"), Required: os.Getenv("ZONAL_REQUIRE_SEAWEEDFS") == "1"})
	if weedErr == nil {
		defer weed.Close()
	}
	if _, err := zonalproc.Build(); err != nil {
		fmt.Fprintf(os.Stderr, "cluster: FAIL: cannot build ./cmd/zonal: %v\n", err)
		return 1
	}
	return m.Run()
}

// cluster is N zonal nodes on one database, one blob store and one pair of
// key files.
type cluster struct {
	t       *testing.T
	dsn     string
	blobDir string
	keyDir  string
	opts    clusterOpts
	// weedBucket holds the blobs under blobPrefix when opts.Weed is set.
	weedBucket string
	proxy      *blobProxy // nil unless opts.Proxy
	nodes      []*zonalproc.Server
}

// blobPrefix is the folder of a cluster's SeaweedFS bucket its blobs are in.
const blobPrefix = "blobs"

// clusterOpts say where a cluster keeps its blobs.
type clusterOpts struct {
	// Weed puts the blobs in a SeaweedFS bucket of the cluster's own
	// instead of a shared folder.
	Weed bool
	// Proxy sends the nodes' blob requests through a blobProxy (Weed only).
	Proxy bool
	// Cache lists the nodes that get a node-local blob cache (Weed only).
	Cache []int
}

// newCluster starts n nodes on a fresh database and a shared blob folder.
func newCluster(t *testing.T, n int, extra ...string) *cluster {
	return newClusterWith(t, n, clusterOpts{}, extra...)
}

// newWeedCluster starts n nodes on a fresh database and a fresh SeaweedFS
// bucket; it skips when there is no SeaweedFS.
func newWeedCluster(t *testing.T, n int, o clusterOpts, extra ...string) *cluster {
	o.Weed = true
	return newClusterWith(t, n, o, extra...)
}

// newClusterWith starts n nodes on a fresh database. Node 0 starts first
// and creates the key files; the others start after it, all at once.
func newClusterWith(t *testing.T, n int, o clusterOpts, extra ...string) *cluster {
	t.Helper()
	pgtest.Need(t, pgErr)
	if o.Weed {
		s3test.Need(t, weedErr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	seq := dbSeq.Add(1)
	dsn, err := pg.CreateDatabase(ctx, fmt.Sprintf("cluster%d", seq))
	if err != nil {
		t.Fatal(err)
	}
	base := t.TempDir()
	c := &cluster{t: t, dsn: dsn, blobDir: filepath.Join(base, "blobs"), keyDir: filepath.Join(base, "keys"), opts: o}
	if o.Weed {
		c.weedBucket = fmt.Sprintf("cluster%d", seq)
		if err := weed.CreateBucket(ctx, c.weedBucket); err != nil {
			t.Fatal(err)
		}
		if o.Proxy {
			c.proxy = newBlobProxy(t, weed.Endpoint(), c.weedBucket)
		}
	}
	c.nodes = append(c.nodes, c.start(0, extra...))
	if n > 1 {
		started := make(chan *zonalproc.Server, n-1)
		for i := 1; i < n; i++ {
			go func() { started <- c.launch(i, extra...) }()
		}
		for i := 1; i < n; i++ {
			if s := <-started; s != nil {
				c.nodes = append(c.nodes, s)
			}
		}
		if len(c.nodes) != n {
			t.FailNow()
		}
		// Node i is c.nodes[i], whichever started first.
		slices.SortFunc(c.nodes, func(a, b *zonalproc.Server) int { return strings.Compare(a.Opts.Name, b.Opts.Name) })
	}
	return c
}

// args are the flags every node of c gets.
func (c *cluster) args(extra ...string) []string {
	args := []string{"--log-format", "json", "--region", region, "--catalog", c.dsn,
		"--master-key-file", filepath.Join(c.keyDir, "master.key"), "--sse-key-file", filepath.Join(c.keyDir, "sse.key")}
	if c.opts.Weed {
		endpoint := weed.Endpoint()
		if c.proxy != nil {
			endpoint = c.proxy.url
		}
		args = append(args, "--blob", "s3://"+c.weedBucket+"/"+blobPrefix, "--blob-endpoint", endpoint, "--blob-region", region,
			"--blob-access-key-id", weed.AccessKey(), "--blob-secret-access-key", weed.SecretKey())
	} else {
		args = append(args, "--blob-dir", c.blobDir)
	}
	return append(args, extra...)
}

// launch starts node i, reporting a failure on c.t (nil then).
func (c *cluster) launch(i int, extra ...string) *zonalproc.Server {
	name := fmt.Sprintf("node%d", i)
	dir := filepath.Join(c.t.TempDir(), name)
	args := c.args(extra...)
	if slices.Contains(c.opts.Cache, i) {
		args = append(args, "--cache-dir", filepath.Join(dir, "cache"), "--cache-size", "32MiB")
	}
	s, err := zonalproc.Launch(zonalproc.Options{Name: name, Data: filepath.Join(dir, "data"), LogPath: filepath.Join(dir, "zonal.log"),
		AccessKey: rootAccessKey, SecretKey: rootSecretKey, Args: args})
	if err != nil {
		c.t.Errorf("start %s: %v", name, err)
		return nil
	}
	s.StopAtEnd(c.t)
	return s
}

func (c *cluster) start(i int, extra ...string) *zonalproc.Server {
	s := c.launch(i, extra...)
	if s == nil {
		c.t.FailNow()
	}
	return s
}

// clients are one stock S3 client per node, making one attempt per call.
func (c *cluster) clients() []*s3.Client {
	cls := make([]*s3.Client, len(c.nodes))
	for i, n := range c.nodes {
		cls[i] = s3Client(c.t, n, noRetries)
	}
	return cls
}

// sdkConfig is an SDK configuration with static keys and no retries
// unless asked: tests see each answer.
func sdkConfig(t testing.TB, ak, sk string, hc *http.Client) aws.Config {
	t.Helper()
	opts := []func(*config.LoadOptions) error{
		config.WithRegion(region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(ak, sk, "")),
		config.WithLogger(logging.Nop{}),
	}
	if hc != nil {
		opts = append(opts, config.WithHTTPClient(hc))
	}
	cfg, err := config.LoadDefaultConfig(context.Background(), opts...)
	if err != nil {
		t.Fatalf("LoadDefaultConfig: %v", err)
	}
	return cfg
}

// s3Client is a stock S3 client of node s with the root keys.
func s3Client(t testing.TB, s *zonalproc.Server, optFns ...func(*s3.Options)) *s3.Client {
	return s3ClientWith(t, s, rootAccessKey, rootSecretKey, optFns...)
}

func s3ClientWith(t testing.TB, s *zonalproc.Server, ak, sk string, optFns ...func(*s3.Options)) *s3.Client {
	opts := append([]func(*s3.Options){func(o *s3.Options) { o.BaseEndpoint = aws.String(s.Endpoint) }}, optFns...)
	return s3.NewFromConfig(sdkConfig(t, ak, sk, nil), opts...)
}

func iamClient(t testing.TB, s *zonalproc.Server) *awsiam.Client {
	return awsiam.NewFromConfig(sdkConfig(t, rootAccessKey, rootSecretKey, nil), func(o *awsiam.Options) { o.BaseEndpoint = aws.String(s.Endpoint) })
}

// noRetries makes a client report the first answer.
func noRetries(o *s3.Options) { o.RetryMaxAttempts = 1 }

func bucketName(base string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%s--%s--x-s3", base, hex.EncodeToString(b), az)
}

func createBucket(t testing.TB, c *s3.Client, base string) string {
	t.Helper()
	name := bucketName(base)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{
		Bucket: aws.String(name),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{
			Location: &types.LocationInfo{Type: types.LocationTypeAvailabilityZone, Name: aws.String(az)},
			Bucket:   &types.BucketInfo{DataRedundancy: types.DataRedundancySingleAvailabilityZone, Type: types.BucketTypeDirectory},
		},
	})
	if err != nil {
		t.Fatalf("CreateBucket %s: %v", name, err)
	}
	return name
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func getBytes(ctx context.Context, c *s3.Client, bucket, key string) ([]byte, error) {
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}

// readyClient bounds a readiness probe: a node that hangs on one is a
// failure, not a stuck test.
var readyClient = &http.Client{Timeout: 20 * time.Second}

// ready returns a node's /_zonal/ready status and body.
func ready(s *zonalproc.Server) (int, string) {
	resp, err := readyClient.Get(s.Endpoint + "/_zonal/ready")
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
