package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/zonal-dev/zonal/internal/faults"
)

// faultSeen records the x-zonal-fault header of each response.
type faultSeen struct {
	mu    sync.Mutex
	rules []string
}

func (f *faultSeen) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil {
		f.mu.Lock()
		f.rules = append(f.rules, resp.Header.Get(faults.Header))
		f.mu.Unlock()
	}
	return resp, err
}

// TestFaultsAdminAPI adds, lists and removes rules through /_zonal/faults
// behind the admin token, and checks that a fired rule answers a real S3
// error naming the rule in the header, the metrics and the log.
func TestFaultsAdminAPI(t *testing.T) {
	const token = "faults-token"
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	endpoint, _ := startCfg(t, Config{AdminToken: token, Logger: logger})
	call := func(method, path, auth, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, endpoint+path, strings.NewReader(body))
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	rule := `{"name":"deny-put","match":{"ops":["PutObject"]},"error":{"status":500,"code":"InternalError","message":"injected"},"first":1}`
	if code, _ := call("POST", FaultsPath, "", rule); code != 401 {
		t.Fatalf("POST without the token: %d", code)
	}
	for body, want := range map[string]string{
		`{"error":{"status":503,"code":"SlowDown"},"bogus":true}`:                  "unknown field",
		`{"match":{"ops":["PutObjekt"]},"error":{"status":503,"code":"SlowDown"}}`: "not an S3 operation",
		`{"error":{"status":503,"code":"SlowDown"},"probability":2}`:               "probability",
		`not json`: "rule:",
	} {
		if code, msg := call("POST", FaultsPath, token, body); code != 400 || !strings.Contains(msg, want) {
			t.Errorf("POST %s: %d %s, want 400 about %q", body, code, msg, want)
		}
	}
	if code, msg := call("POST", FaultsPath, token, rule); code != 201 || !strings.Contains(msg, `"deny-put"`) {
		t.Fatalf("POST: %d %s", code, msg)
	}
	if code, _ := call("POST", FaultsPath, token, rule); code != 409 {
		t.Fatalf("POST again: %d, want 409", code)
	}

	ctx := context.Background()
	seen := &faultSeen{}
	c := s3Client(t, endpoint, testAKID, testSecret, &http.Client{Transport: seen})
	bucket := "faults--use1-az4--x-s3"
	if err := createBucket(ctx, c, bucket); err != nil {
		t.Fatal(err)
	}
	put := func() error {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: strings.NewReader("v")})
		return err
	}
	if err := put(); apiCode(err) != "InternalError" || !strings.Contains(err.Error(), "injected") {
		t.Fatalf("first PUT (one attempt): %v, want the injected InternalError", err)
	}
	if err := put(); err != nil {
		t.Fatalf("second PUT (the rule fires once): %v", err)
	}
	seen.mu.Lock()
	n := 0
	for _, r := range seen.rules {
		if r == "deny-put" {
			n++
		}
	}
	seen.mu.Unlock()
	if n != 1 {
		t.Errorf("%d responses named the rule, want 1: %q", n, seen.rules)
	}

	code, list := call("GET", FaultsPath, token, "")
	var got struct{ Rules []faults.Status }
	if err := json.Unmarshal([]byte(list), &got); code != 200 || err != nil || len(got.Rules) != 1 {
		t.Fatalf("GET: %d %s %v", code, list, err)
	}
	if r := got.Rules[0]; r.Name != "deny-put" || r.Source != faults.FromAPI || r.Matched != 2 || r.Fired != 1 || r.First != 1 {
		t.Errorf("listed: %+v", r)
	}
	_, text := scrape(t, http.DefaultClient, endpoint, token)
	if v, ok := metricValue(text, `zonal_faults_injected_total{rule="deny-put"}`); v != "1" {
		t.Errorf("zonal_faults_injected_total: %q %v", v, ok)
	}
	if log := logs.String(); !strings.Contains(log, `msg="fault injected" rule=deny-put`) || !strings.Contains(log, "fault=deny-put") {
		t.Errorf("log has no debug line or access-log attribute for the fault:\n%s", log)
	}

	if code, _ := call("DELETE", FaultsPath+"/deny-put", token, ""); code != 204 {
		t.Errorf("DELETE: %d", code)
	}
	if code, _ := call("DELETE", FaultsPath+"/deny-put", token, ""); code != 404 {
		t.Errorf("DELETE again: %d", code)
	}
	call("POST", FaultsPath, token, `{"latency":{"first":"1ms"}}`)
	if code, _ := call("DELETE", FaultsPath, token, ""); code != 204 {
		t.Errorf("DELETE all: %d", code)
	}
	if _, list := call("GET", FaultsPath, token, ""); !strings.Contains(list, `"rules":[]`) {
		t.Errorf("after clearing: %s", list)
	}
}

// TestRequestStateSize: fault injection costs a request with no rule one
// atomic load and no memory. The per-request state is one allocation of
// exactly 512 bytes, a size class; a field more would cost 64 bytes on
// every request (the next class is 576).
func TestRequestStateSize(t *testing.T) {
	if n := unsafe.Sizeof(reqState{}); n > 512 {
		t.Errorf("reqState is %d bytes, over the 512-byte size class", n)
	}
}

func TestLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:5000": true, "[::1]:5000": true, "127.8.9.1:1": true,
		"10.0.0.1:5000": false, "[2001:db8::1]:80": false, "garbage": false, "": false,
	} {
		if got := loopback(addr); got != want {
			t.Errorf("loopback(%q) = %v", addr, got)
		}
	}
}
