package server

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

const (
	testAKID   = "AKIASERVERTEST000001"
	testSecret = "serversecretserversecretserversecret0000"
)

// syncBuffer is a bytes.Buffer safe for the server's concurrent logging.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// startCfg opens and serves a server for cfg (defaults filled in) and stops
// it when the test ends.
func startCfg(t *testing.T, cfg Config) (endpoint string, srv *Server) {
	t.Helper()
	if cfg.Data == "" {
		cfg.Data = t.TempDir()
	}
	if cfg.AccountID == "" {
		cfg.AccountID = "000000000000"
	}
	if cfg.RootAccessKey == "" {
		cfg.RootAccessKey, cfg.RootSecretKey = testAKID, testSecret
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	srv, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { stop(srv) })
	return srv.Scheme() + "://" + ln.Addr().String(), srv
}

// recorder is an http.RoundTripper that keeps every signature, session
// token and CreateSession secret that crosses the wire.
type recorder struct {
	base    http.RoundTripper
	mu      sync.Mutex
	secrets map[string]string // value -> what it is
}

var sigRE = regexp.MustCompile(`Signature=([0-9a-f]{64})`)

func (rc *recorder) add(v, what string) {
	if v == "" {
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.secrets == nil {
		rc.secrets = map[string]string{}
	}
	rc.secrets[v] = what
}

func (rc *recorder) RoundTrip(r *http.Request) (*http.Response, error) {
	for _, m := range sigRE.FindAllStringSubmatch(r.Header.Get("Authorization"), -1) {
		rc.add(m[1], "signature")
	}
	rc.add(r.URL.Query().Get("X-Amz-Signature"), "presigned signature")
	rc.add(r.Header.Get("X-Amz-S3session-Token"), "session token")
	rc.add(r.URL.Query().Get("X-Amz-S3session-Token"), "session token (query)")
	resp, err := rc.base.RoundTrip(r)
	if err != nil || resp.Body == nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var cs struct {
		Credentials struct{ SessionToken, SecretAccessKey string }
	}
	if bytes.Contains(body, []byte("<CreateSessionResult")) && xml.Unmarshal(body, &cs) == nil {
		rc.add(cs.Credentials.SessionToken, "minted session token")
		rc.add(cs.Credentials.SecretAccessKey, "minted session secret")
	}
	return resp, nil
}

func (rc *recorder) all() map[string]string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := make(map[string]string, len(rc.secrets))
	for k, v := range rc.secrets {
		out[k] = v
	}
	return out
}

func sdkConfig(t *testing.T, akid, secret string, hc aws.HTTPClient) aws.Config {
	t.Helper()
	os.Unsetenv("AWS_CA_BUNDLE")
	opts := []func(*config.LoadOptions) error{config.WithRegion("us-east-1"), config.WithRetryMaxAttempts(1),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(akid, secret, ""))}
	if hc != nil {
		opts = append(opts, config.WithHTTPClient(hc))
	}
	cfg, err := config.LoadDefaultConfig(context.Background(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func s3Client(t *testing.T, endpoint, akid, secret string, hc aws.HTTPClient) *s3.Client {
	return s3.NewFromConfig(sdkConfig(t, akid, secret, hc), func(o *s3.Options) { o.BaseEndpoint = aws.String(endpoint) })
}

func createBucket(ctx context.Context, c *s3.Client, name string) error {
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{
			Location: &types.LocationInfo{Type: types.LocationTypeAvailabilityZone, Name: aws.String("use1-az4")},
			Bucket:   &types.BucketInfo{Type: types.BucketTypeDirectory, DataRedundancy: types.DataRedundancySingleAvailabilityZone},
		}})
	return err
}

// apiCode is the S3 error code of err; errors of the SDK's own
// CreateSession reach the caller only as text.
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		if _, rest, ok := strings.Cut(err.Error(), "api error "); ok {
			code, _, _ := strings.Cut(rest, ":")
			return code
		}
	}
	return ""
}

// TestLogsHoldNoSecrets drives real SDK traffic (CreateSession,
// session-signed writes and reads, a presigned GET carrying
// X-Amz-S3session-Token and X-Amz-Signature, IAM calls returning a new
// secret, refused requests) through a server logging everything at debug
// level, and checks that no secret, session token or signature appears in
// the log.
func TestLogsHoldNoSecrets(t *testing.T) {
	var logs syncBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	endpoint, _ := startCfg(t, Config{Logger: logger})
	ctx := context.Background()
	rec := &recorder{base: &http.Transport{Proxy: nil}}
	hc := &http.Client{Transport: rec}
	c := s3Client(t, endpoint, testAKID, testSecret, hc)

	bucket := "logs--use1-az4--x-s3"
	if err := createBucket(ctx, c, bucket); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(fmt.Sprintf("dir/obj-%d", i)),
			Body: strings.NewReader("hello secret-free world")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("dir/obj-0")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("dir/")}); err != nil {
		t.Fatal(err)
	}
	// An explicit ReadOnly session, and a write it may not do.
	out, err := c.CreateSession(ctx, &s3.CreateSessionInput{Bucket: aws.String(bucket), SessionMode: types.SessionModeReadOnly})
	if err != nil {
		t.Fatal(err)
	}
	rec.add(aws.ToString(out.Credentials.SessionToken), "explicit session token")
	rec.add(aws.ToString(out.Credentials.SecretAccessKey), "explicit session secret")

	// Presigned GET: the URL carries the session token and the signature.
	pr, err := s3.NewPresignClient(c).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("dir/obj-1")},
		s3.WithPresignExpires(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(pr.URL)
	if u.Query().Get("X-Amz-S3session-Token") == "" || u.Query().Get("X-Amz-Signature") == "" {
		t.Fatalf("presigned URL lacks a session token or signature: %s", pr.URL)
	}
	rec.add(u.Query().Get("X-Amz-S3session-Token"), "presigned session token")
	rec.add(u.Query().Get("X-Amz-Signature"), "presigned signature")
	resp, err := http.Get(pr.URL)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("presigned GET: %s", resp.Status)
	}
	// The same URL tampered with: refused (and logged).
	bad := strings.Replace(pr.URL, "dir%2Fobj-1", "dir%2Fobj-2", 1)
	bad = strings.Replace(bad, "dir/obj-1", "dir/obj-2", 1)
	resp, err = http.Get(bad)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("tampered presigned GET: %s", resp.Status)
	}

	// IAM: a user and an access key; the new secret comes back in the response.
	iamc := awsiam.NewFromConfig(sdkConfig(t, testAKID, testSecret, hc), func(o *awsiam.Options) { o.BaseEndpoint = aws.String(endpoint) })
	if _, err := iamc.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("logger")}); err != nil {
		t.Fatal(err)
	}
	k, err := iamc.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String("logger")})
	if err != nil {
		t.Fatal(err)
	}
	userSecret := aws.ToString(k.AccessKey.SecretAccessKey)
	// The user has no policy: refused, with the denial logged.
	uc := s3Client(t, endpoint, aws.ToString(k.AccessKey.AccessKeyId), userSecret, hc)
	if _, err := uc.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("dir/obj-0")}); apiCode(err) != "AccessDenied" {
		t.Fatalf("user without policy: %v", err)
	}
	// A wrong secret: SignatureDoesNotMatch.
	wrongSecret := "wrongsecretwrongsecretwrongsecretwrong00"
	wc := s3Client(t, endpoint, testAKID, wrongSecret, hc)
	if _, err := wc.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("dir/obj-0")}); apiCode(err) != "SignatureDoesNotMatch" {
		t.Fatalf("wrong secret: %v", err)
	}

	text := logs.String()
	secrets := rec.all()
	secrets[testSecret] = "root secret"
	secrets[userSecret] = "IAM user secret"
	secrets[wrongSecret] = "wrong secret"
	kinds := map[string]int{}
	for v, what := range secrets {
		kinds[strings.TrimPrefix(strings.TrimPrefix(what, "explicit "), "minted ")]++
		if strings.Contains(text, v) {
			t.Errorf("the log contains a %s (%.12s...)", what, v)
		}
	}
	for _, want := range []string{"signature", "session token", "session secret", "presigned signature", "presigned session token"} {
		if kinds[want] == 0 {
			t.Errorf("the test saw no %s on the wire: it checks nothing for it", want)
		}
	}
	// The log is not empty: one access line per request, at info.
	var lines, access int
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		lines++
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if rec["msg"] == "request" {
			access++
			if rec["level"] != "INFO" {
				t.Errorf("access line at %v: %s", rec["level"], line)
			}
			for _, f := range []string{"request_id", "principal", "op", "bucket", "key", "status", "bytes_in", "bytes_out", "duration"} {
				if _, ok := rec[f]; !ok {
					t.Errorf("access line lacks %s: %s", f, line)
				}
			}
		}
	}
	if access < 12 {
		t.Fatalf("only %d access lines among %d:\n%s", access, lines, text)
	}
}

// scrape returns the metrics exposition.
func scrape(t *testing.T, hc *http.Client, endpoint, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", endpoint+MetricsPath, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// metricValue finds one sample line "name{labels} value" in an exposition.
func metricValue(text, series string) (string, bool) {
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			return v, true
		}
	}
	return "", false
}

// TestMetricsCounters scrapes /_zonal/metrics after a known sequence of
// requests and checks the counters exactly.
func TestMetricsCounters(t *testing.T) {
	endpoint, _ := startCfg(t, Config{})
	ctx := context.Background()
	hc := &http.Client{Transport: &http.Transport{Proxy: nil}}
	c := s3Client(t, endpoint, testAKID, testSecret, hc)
	bucket := "metrics--use1-az4--x-s3"
	if err := createBucket(ctx, c, bucket); err != nil { // CreateSession + CreateBucket
		t.Fatal(err)
	}
	sizes := []int{1000, 2000, 3000}
	for i, n := range sizes { // 3 PutObject
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(fmt.Sprint("k", i)),
			Body: bytes.NewReader(bytes.Repeat([]byte{'x'}, n))}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 2 { // 2 GetObject
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(fmt.Sprint("k", i))})
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, out.Body)
		out.Body.Close()
	}
	// 1 NoSuchKey
	if _, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("missing")}); apiCode(err) != "NoSuchKey" {
		t.Fatalf("missing key: %v", err)
	}
	// 1 bad signature: a client with a wrong secret fails its CreateSession.
	bad := s3Client(t, endpoint, testAKID, "not-the-secret-not-the-secret-not-the-00", hc)
	if _, err := bad.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k0")}); apiCode(err) != "SignatureDoesNotMatch" {
		t.Fatalf("bad signature: %v", err)
	}

	status, text := scrape(t, hc, endpoint, "")
	if status != 200 {
		t.Fatalf("scrape: %d %s", status, text)
	}
	for series, want := range map[string]string{
		`zonal_requests_total{op="CreateSession",status="200"}`:                  "1",
		`zonal_requests_total{op="CreateSession",status="403"}`:                  "1",
		`zonal_requests_total{op="CreateBucket",status="200"}`:                   "1",
		`zonal_requests_total{op="PutObject",status="200"}`:                      "3",
		`zonal_requests_total{op="GetObject",status="200"}`:                      "2",
		`zonal_requests_total{op="GetObject",status="404"}`:                      "1",
		`zonal_request_duration_seconds_count{op="PutObject"}`:                   "3",
		`zonal_request_duration_seconds_count{op="GetObject"}`:                   "3",
		`zonal_bytes_in_total{op="PutObject"}`:                                   "6000",
		`zonal_sessions_minted_total`:                                            "1",
		`zonal_sessions_refused_total{code="SignatureDoesNotMatch"}`:             "1",
		`zonal_auth_failures_total{reason="SignatureDoesNotMatch"}`:              "1",
		`zonal_auth_failures_total{reason="InvalidAccessKeyId"}`:                 "0",
		`zonal_auth_failures_total{reason="AccessDenied"}`:                       "0",
		`zonal_requests_in_flight`:                                               "0",
		`zonal_build_info{commit="",goversion="` + goVersion() + `",version=""}`: "1",
	} {
		got, ok := metricValue(text, series)
		if !ok || got != want {
			t.Errorf("%s = %q (present %v), want %s", series, got, ok, want)
		}
	}
	// 2 × 1000/2000 bytes of objects and one NoSuchKey document.
	if v, _ := metricValue(text, `zonal_bytes_out_total{op="GetObject"}`); v == "" || len(v) < 4 || v[0] != '3' {
		t.Errorf("bytes out of GetObject = %q, want 3000 and a NoSuchKey document", v)
	}
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes", "zonal_storage_sample_errors_total"} {
		if _, ok := metricValue(text, name); !ok {
			t.Errorf("%s missing", name)
		}
	}
	if strings.Contains(text, `op="ListDirectoryBuckets"`) {
		t.Error("an operation that was never called has a series")
	}
}

func goVersion() string { return runtime.Version() }

// TestStorageSample: the background sample reports the blob store and GC
// backlog (read directly here, not waited for).
func TestStorageSample(t *testing.T) {
	endpoint, srv := startCfg(t, Config{InlineMax: 16})
	ctx := context.Background()
	c := s3Client(t, endpoint, testAKID, testSecret, nil)
	bucket := "sample--use1-az4--x-s3"
	if err := createBucket(ctx, c, bucket); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("big"),
		Body: bytes.NewReader(bytes.Repeat([]byte{'z'}, 100_000))}); err != nil {
		t.Fatal(err)
	}
	smp := srv.takeSample(ctx)
	if smp.Err != nil || smp.Blobs < 1 || smp.BlobBytes < 100_000 || smp.CatalogBytes == 0 {
		t.Fatalf("sample %+v", smp)
	}
	srv.metrics.SetStorage(smp)
	_, text := scrape(t, http.DefaultClient, endpoint, "")
	if v, ok := metricValue(text, "zonal_blob_store_blobs"); !ok || v == "0" {
		t.Fatalf("zonal_blob_store_blobs = %q", v)
	}
	if _, ok := metricValue(text, "zonal_gc_backlog"); !ok {
		t.Fatal("zonal_gc_backlog missing")
	}
}

// TestAdminEndpoints: open without a token; with one, all three demand it.
func TestAdminEndpoints(t *testing.T) {
	hc := &http.Client{Transport: &http.Transport{Proxy: nil}}
	get := func(endpoint, path, auth string) (int, string) {
		req, _ := http.NewRequest("GET", endpoint+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	open, srv := startCfg(t, Config{})
	for _, p := range []string{HealthPath, ReadyPath, MetricsPath} {
		if code, body := get(open, p, ""); code != 200 {
			t.Errorf("open %s: %d %s", p, code, body)
		}
	}
	if code, _ := get(open, "/_zonal/nothing", ""); code != 404 {
		t.Errorf("unknown admin path: %d", code)
	}
	if code, _ := get(open, PprofPath+"cmdline", ""); code != 404 {
		t.Errorf("profiler served without --pprof: %d", code)
	}
	// /_zonal/ under a virtual-hosted bucket host is an object key, not admin.
	req, _ := http.NewRequest("GET", open+HealthPath, nil)
	req.Host = "vh--use1-az4--x-s3.localhost"
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 { // unsigned S3 request
		t.Errorf("virtual-hosted /_zonal/health: %d, want the S3 API's 403", resp.StatusCode)
	}

	// Not ready once the data folder cannot take a write (a directory in
	// the probe file's place fails even for root); ready again once fixed.
	probe := srv.cfg.Data + "/.ready-probe"
	resetReady := func() {
		srv.ready.mu.Lock()
		srv.ready.at = time.Time{}
		srv.ready.mu.Unlock()
	}
	os.Remove(probe)
	if err := os.Mkdir(probe, 0o700); err != nil {
		t.Fatal(err)
	}
	resetReady()
	if code, body := get(open, ReadyPath, ""); code != 503 || !strings.Contains(body, "not writable") {
		t.Errorf("ready with an unwritable probe: %d %s", code, body)
	}
	os.Remove(probe)
	if code, _ := get(open, ReadyPath, ""); code != 503 {
		t.Errorf("a failed probe is not cached: %d", code)
	}
	resetReady()
	if code, body := get(open, ReadyPath, ""); code != 200 {
		t.Errorf("ready after repair: %d %s", code, body)
	}

	const token = "t0ken-for-admin"
	locked, _ := startCfg(t, Config{AdminToken: token})
	for _, p := range []string{HealthPath, ReadyPath, MetricsPath} {
		for _, auth := range []string{"", "Bearer wrong", "Bearer " + token + "x", token, "Basic " + token} {
			if code, _ := get(locked, p, auth); code != 401 {
				t.Errorf("%s with %q: %d, want 401", p, auth, code)
			}
		}
		if code, body := get(locked, p, "Bearer "+token); code != 200 {
			t.Errorf("%s with the token: %d %s", p, code, body)
		}
	}

	profiled, _ := startCfg(t, Config{AdminToken: token, Pprof: true})
	if code, _ := get(profiled, PprofPath+"goroutine", ""); code != 401 {
		t.Errorf("profiler without the token: %d, want 401", code)
	}
	if code, body := get(profiled, PprofPath+"goroutine?debug=1", "Bearer "+token); code != 200 || !strings.Contains(body, "goroutine profile") {
		t.Errorf("profiler with the token: %d %.80s", code, body)
	}
}

// TestConfiguredAccounts: accounts from the configuration get in with
// their root keys and are who STS says they are.
func TestConfiguredAccounts(t *testing.T) {
	endpoint, srv := startCfg(t, Config{Accounts: []Account{
		{ID: "222233334444", AccessKeyID: "AKIASECONDACCOUNT001", SecretAccessKey: "second-secret-second-secret-second-secre"},
		{ID: "555566667777", AccessKeyID: "AKIATHIRDACCOUNT0001", SecretAccessKey: "third-secret"},
	}})
	ctx := context.Background()
	for _, tc := range []struct{ akid, secret, account string }{
		{testAKID, testSecret, "000000000000"},
		{"AKIASECONDACCOUNT001", "second-secret-second-secret-second-secre", "222233334444"},
		{"AKIATHIRDACCOUNT0001", "third-secret", "555566667777"},
	} {
		c := sts.NewFromConfig(sdkConfig(t, tc.akid, tc.secret, nil), func(o *sts.Options) { o.BaseEndpoint = aws.String(endpoint) })
		id, err := c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatalf("%s: %v", tc.akid, err)
		}
		if aws.ToString(id.Account) != tc.account || aws.ToString(id.Arn) != "arn:aws:iam::"+tc.account+":root" {
			t.Errorf("%s: account %s arn %s", tc.akid, aws.ToString(id.Account), aws.ToString(id.Arn))
		}
	}
	// The second account can create its own bucket.
	c := s3Client(t, endpoint, "AKIASECONDACCOUNT001", "second-secret-second-secret-second-secre", nil)
	if err := createBucket(ctx, c, "second--use1-az4--x-s3"); err != nil {
		t.Fatal(err)
	}
	if !srv.Identities().AccountExists("555566667777") {
		t.Fatal("third account missing")
	}
}

// TestPebbleQuiet: opening a server prints nothing through the standard
// logger (Pebble's "Found 0 WALs" and friends go to the server's log).
func TestPebbleQuiet(t *testing.T) {
	var std bytes.Buffer
	log.SetOutput(&std)
	defer log.SetOutput(os.Stderr)
	var logs syncBuffer
	startCfg(t, Config{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if std.Len() != 0 {
		t.Fatalf("the standard logger got %q", std.String())
	}
	if !strings.Contains(logs.String(), "pebble: ") {
		t.Fatalf("Pebble's messages did not reach the server's debug log:\n%s", logs.String())
	}
}
