package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
)

// ---------------------------------------------------------------------------
// Wire recorder

// wireEntry is one HTTP exchange seen by the recording transport.
type wireEntry struct {
	Method       string
	Path         string // escaped path as sent
	RawQuery     string
	Auth         string // Authorization header
	SessionToken string // x-amz-s3session-token header
	ReqHeader    http.Header
	Status       int
	RespHeader   http.Header
	Err          error
	At           time.Time // when the request was sent
}

// AccessKey returns the access key id of the Credential in the Authorization header.
func (e wireEntry) AccessKey() string { ak, _, _ := parseCredential(e.Auth); return ak }

// Service returns the service of the Credential scope.
func (e wireEntry) Service() string { _, _, svc := parseCredential(e.Auth); return svc }

// IsCreateSession reports whether the request was a CreateSession.
func (e wireEntry) IsCreateSession() bool {
	q, _ := url.ParseQuery(e.RawQuery)
	_, ok := q["session"]
	return e.Method == http.MethodGet && ok
}

func (e wireEntry) String() string {
	q := ""
	if e.RawQuery != "" {
		q = "?" + e.RawQuery
	}
	tok := ""
	if e.SessionToken != "" {
		tok = " +token"
	}
	rid := ""
	if e.RespHeader != nil {
		rid = " rid=" + e.RespHeader.Get("x-amz-request-id")
	}
	if e.Err != nil {
		return fmt.Sprintf("%s %s%s [ak=%s svc=%s%s] -> error %v", e.Method, e.Path, q, e.AccessKey(), e.Service(), tok, e.Err)
	}
	return fmt.Sprintf("%s %s%s [ak=%s svc=%s%s] -> %d%s", e.Method, e.Path, q, e.AccessKey(), e.Service(), tok, e.Status, rid)
}

// parseCredential extracts access key, region and service from
// "AWS4-HMAC-SHA256 Credential=AK/date/region/service/aws4_request, ...".
func parseCredential(auth string) (ak, region, service string) {
	_, rest, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return "", "", ""
	}
	cred, _, _ := strings.Cut(rest, ",")
	parts := strings.Split(strings.TrimSpace(cred), "/")
	if len(parts) != 5 {
		return "", "", ""
	}
	return parts[0], parts[2], parts[3]
}

type wire struct {
	base    http.RoundTripper
	mu      sync.Mutex
	entries []wireEntry
}

func newWire() *wire {
	tr := &http.Transport{
		Proxy:               nil,
		MaxIdleConns:        128,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     30 * time.Second,
	}
	return &wire{base: tr}
}

func (w *wire) RoundTrip(req *http.Request) (*http.Response, error) {
	e := wireEntry{
		Method:       req.Method,
		Path:         req.URL.EscapedPath(),
		RawQuery:     req.URL.RawQuery,
		Auth:         req.Header.Get("Authorization"),
		SessionToken: req.Header.Get("x-amz-s3session-token"),
		ReqHeader:    req.Header.Clone(),
		At:           time.Now(),
	}
	resp, err := w.base.RoundTrip(req)
	if err != nil {
		e.Err = err
	} else {
		e.Status = resp.StatusCode
		e.RespHeader = resp.Header.Clone()
	}
	w.mu.Lock()
	w.entries = append(w.entries, e)
	w.mu.Unlock()
	return resp, err
}

// Entries returns a copy of everything recorded so far.
func (w *wire) Entries() []wireEntry {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]wireEntry(nil), w.entries...)
}

// Reset forgets everything recorded so far.
func (w *wire) Reset() {
	w.mu.Lock()
	w.entries = nil
	w.mu.Unlock()
}

// Dump renders the recorded exchanges for failure messages.
func (w *wire) Dump() string {
	var b strings.Builder
	for i, e := range w.Entries() {
		fmt.Fprintf(&b, "  %3d %s\n", i, e)
	}
	return b.String()
}

// CountCreateSession counts CreateSession requests recorded.
func (w *wire) CountCreateSession() int {
	n := 0
	for _, e := range w.Entries() {
		if e.IsCreateSession() {
			n++
		}
	}
	return n
}

func (w *wire) httpClient() *http.Client { return &http.Client{Transport: w} }

// ---------------------------------------------------------------------------
// SDK client

// newClient builds a stock S3 client for srv: LoadDefaultConfig with static
// root credentials and the region, BaseEndpoint = server URL, and a recording
// HTTP client. Nothing else unless the test passes option functions.
func newClient(t testing.TB, srv *zonalServer, optFns ...func(*s3.Options)) (*s3.Client, *wire) {
	t.Helper()
	return newClientWithKeys(t, srv, srv.AccessKey, srv.SecretKey, optFns...)
}

func newClientWithKeys(t testing.TB, srv *zonalServer, ak, sk string, optFns ...func(*s3.Options)) (*s3.Client, *wire) {
	t.Helper()
	w := newWire()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion(testRegion),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(ak, sk, "")),
		config.WithHTTPClient(w.httpClient()),
		config.WithLogger(logging.Nop{}), // keep the SDK's debug chatter out of test output
	)
	if err != nil {
		t.Fatalf("LoadDefaultConfig: %v", err)
	}
	opts := append([]func(*s3.Options){func(o *s3.Options) { o.BaseEndpoint = aws.String(srv.Endpoint) }}, optFns...)
	return s3.NewFromConfig(cfg, opts...), w
}

// noSessionAuth is the per-call option that makes the Go SDK sign with the
// long-term key (needed for ListDirectoryBuckets, pitfall P5).
func noSessionAuth(o *s3.Options) { o.DisableS3ExpressSessionAuth = aws.Bool(true) }

func createBucketInput(name, az string) *s3.CreateBucketInput {
	return &s3.CreateBucketInput{
		Bucket: aws.String(name),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{
			Location: &types.LocationInfo{Type: types.LocationTypeAvailabilityZone, Name: aws.String(az)},
			Bucket:   &types.BucketInfo{DataRedundancy: types.DataRedundancySingleAvailabilityZone, Type: types.BucketTypeDirectory},
		},
	}
}

// mustCreateBucket creates a fresh bucket named after base and returns its name.
func mustCreateBucket(t testing.TB, c *s3.Client, base string) string {
	t.Helper()
	name := bucketName(base)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := c.CreateBucket(ctx, createBucketInput(name, testAZ)); err != nil {
		t.Fatalf("CreateBucket %s: %s", name, describeErr(err))
	}
	return name
}

func mustPut(t testing.TB, c *s3.Client, bucket, key string, body []byte) *s3.PutObjectOutput {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
	if err != nil {
		t.Fatalf("PutObject %s/%s: %s", bucket, key, describeErr(err))
	}
	return out
}

func mustGetBytes(t testing.TB, c *s3.Client, bucket, key string) ([]byte, *s3.GetObjectOutput) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("GetObject %s/%s: %s", bucket, key, describeErr(err))
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("GetObject %s/%s: reading body: %v", bucket, key, err)
	}
	return b, out
}

// ---------------------------------------------------------------------------
// Errors

// errInfo is what an SDK error tells about the server's answer.
type errInfo struct {
	Code, Message, RequestID string
	Status                   int
}

func inspectErr(err error) errInfo {
	var ei errInfo
	var ae smithy.APIError
	if errors.As(err, &ae) {
		ei.Code, ei.Message = ae.ErrorCode(), ae.ErrorMessage()
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		ei.Status = re.HTTPStatusCode()
		ei.RequestID = re.ServiceRequestID()
	}
	return ei
}

func describeErr(err error) string {
	if err == nil {
		return "<nil>"
	}
	ei := inspectErr(err)
	return fmt.Sprintf("status=%d code=%q msg=%q request-id=%q (%v)", ei.Status, ei.Code, ei.Message, ei.RequestID, err)
}

// wantErr asserts err is an S3 error with the given HTTP status (0 = any 4xx)
// and one of the codes (none = any code). It returns the details.
func wantErr(t testing.TB, what string, err error, status int, codes ...string) errInfo {
	t.Helper()
	if err == nil {
		t.Errorf("%s: expected error status=%d code in %v, got success", what, status, codes)
		return errInfo{}
	}
	ei := inspectErr(err)
	okStatus := ei.Status == status || (status == 0 && ei.Status >= 400 && ei.Status < 500)
	okCode := len(codes) == 0
	for _, c := range codes {
		if ei.Code == c {
			okCode = true
		}
	}
	if !okStatus || !okCode {
		want := fmt.Sprint(status)
		if status == 0 {
			want = "4xx"
		}
		t.Errorf("%s: expected status=%s code in %v; got %s", what, want, codes, describeErr(err))
	}
	return ei
}

func noErr(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %s", what, describeErr(err))
	}
}

// ---------------------------------------------------------------------------
// Raw signed requests

// rawReq describes a hand-made request. Path is the already-escaped path
// ("/bucket/key"); Query is the raw query string ("acl", "list-type=2&prefix=x").
type rawReq struct {
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   []byte
	// Chunked sends the body with Transfer-Encoding: chunked and no Content-Length.
	Chunked bool
}

// signing says how to sign a raw request. A nil *signing sends it unsigned.
type signing struct {
	AccessKey, SecretKey string
	// Token, if set, is sent (and signed) as x-amz-s3session-token.
	Token   string
	Service string    // default "s3express"
	Region  string    // default testRegion
	Time    time.Time // default now
	// PayloadHash overrides x-amz-content-sha256 (e.g. STREAMING-UNSIGNED-PAYLOAD-TRAILER).
	PayloadHash string
}

func rootSigning(srv *zonalServer) *signing {
	return &signing{AccessKey: srv.AccessKey, SecretKey: srv.SecretKey}
}

func sessionSigning(c *types.SessionCredentials) *signing {
	return &signing{AccessKey: aws.ToString(c.AccessKeyId), SecretKey: aws.ToString(c.SecretAccessKey), Token: aws.ToString(c.SessionToken)}
}

type rawResp struct {
	Status int
	Header http.Header
	Body   []byte
	Err    *s3ErrorXML // parsed when the body is an <Error> document
}

type s3ErrorXML struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	RequestID string   `xml:"RequestId"`
	HostID    string   `xml:"HostId"`
	Key       string   `xml:"Key"`
	Condition string   `xml:"Condition"`
}

func (r rawResp) String() string {
	body := string(r.Body)
	if len(body) > 600 {
		body = body[:600] + "..."
	}
	return fmt.Sprintf("HTTP %d, x-amz-request-id=%q, body=%q", r.Status, r.Header.Get("x-amz-request-id"), body)
}

// Code returns the S3 error code of the response ("" if none).
func (r rawResp) Code() string {
	if r.Err == nil {
		return ""
	}
	return r.Err.Code
}

var rawHTTP = &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 30 * time.Second}

func doRaw(t testing.TB, srv *zonalServer, rr rawReq, sg *signing) rawResp {
	t.Helper()
	u := srv.Endpoint + rr.Path
	if rr.Query != "" {
		u += "?" + rr.Query
	}
	req, err := http.NewRequest(rr.Method, u, bytes.NewReader(rr.Body))
	if err != nil {
		t.Fatalf("raw request %s %s: %v", rr.Method, u, err)
	}
	if len(rr.Body) == 0 {
		req.Body = http.NoBody
		req.ContentLength = 0
	}
	if rr.Chunked {
		req.Body = io.NopCloser(bytes.NewReader(rr.Body))
		req.ContentLength = -1
		req.TransferEncoding = []string{"chunked"}
	}
	for k, vs := range rr.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if sg != nil {
		signRaw(t, req, rr.Body, sg)
	}
	resp, err := rawHTTP.Do(req)
	if err != nil {
		t.Fatalf("raw request %s %s: %v", rr.Method, u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("raw request %s %s: reading body: %v", rr.Method, u, err)
	}
	out := rawResp{Status: resp.StatusCode, Header: resp.Header, Body: body}
	var e s3ErrorXML
	if len(body) > 0 && xml.Unmarshal(body, &e) == nil {
		out.Err = &e
	}
	return out
}

func signRaw(t testing.TB, req *http.Request, body []byte, sg *signing) {
	t.Helper()
	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	if sg.PayloadHash != "" {
		payloadHash = sg.PayloadHash
	}
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	if sg.Token != "" {
		req.Header.Set("x-amz-s3session-token", sg.Token)
	}
	svc, region, tm := sg.Service, sg.Region, sg.Time
	if svc == "" {
		svc = "s3express"
	}
	if region == "" {
		region = testRegion
	}
	if tm.IsZero() {
		tm = time.Now()
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	creds := aws.Credentials{AccessKeyID: sg.AccessKey, SecretAccessKey: sg.SecretKey}
	if err := signer.SignHTTP(context.Background(), creds, req, payloadHash, svc, region, tm, func(o *v4.SignerOptions) {
		o.DisableSessionToken = true
	}); err != nil {
		t.Fatalf("sign raw request: %v", err)
	}
}

// wantRaw asserts a raw response has the given status and (if any are given)
// one of the error codes in an S3 XML error body.
func wantRaw(t testing.TB, what string, r rawResp, status int, codes ...string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("%s: expected HTTP %d %v, got %s", what, status, codes, r)
		return
	}
	if len(codes) == 0 {
		return
	}
	for _, c := range codes {
		if r.Code() == c {
			return
		}
	}
	t.Errorf("%s: expected error code in %v, got %s", what, codes, r)
}

// objectPath builds "/bucket/key" with S3-style escaping of the key.
func objectPath(bucket, key string) string {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = s3Escape(s)
	}
	return "/" + bucket + "/" + strings.Join(segs, "/")
}

// s3Escape percent-encodes everything except the RFC 3986 unreserved set.
func s3Escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// createSession calls CreateSession explicitly through the SDK (signed with
// the long-term key) and returns the session credentials.
func createSession(t testing.TB, c *s3.Client, bucket string, mode types.SessionMode) *types.SessionCredentials {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	in := &s3.CreateSessionInput{Bucket: aws.String(bucket)}
	if mode != "" {
		in.SessionMode = mode
	}
	out, err := c.CreateSession(ctx, in)
	if err != nil {
		t.Fatalf("CreateSession %s (%s): %s", bucket, mode, describeErr(err))
	}
	cr := out.Credentials
	if cr == nil || cr.AccessKeyId == nil || cr.SecretAccessKey == nil || cr.SessionToken == nil || cr.Expiration == nil {
		t.Fatalf("CreateSession %s: incomplete credentials %+v", bucket, cr)
	}
	return cr
}
