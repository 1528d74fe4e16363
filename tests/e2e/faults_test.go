package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// The fault-injection tests: what the stock Go SDK does when zonal
// misbehaves on purpose (--faults, /_zonal/faults). Each subtest adds its
// rules through the admin API and checks the response named the rule,
// the counters and the final state.

// faultsServer starts a server of its own with a --faults file (initially
// empty) and debug logging. (The admin token is internal/server's to
// test: the harness probes /_zonal/health without one.)
func faultsServer(t *testing.T) (*zonalServer, string) {
	t.Helper()
	if nodeCount > 0 {
		t.Skip("fault rules and their counters are per node, and the admin API reaches one node behind the proxy: skipped with ZONAL_E2E_NODES")
	}
	file := filepath.Join(t.TempDir(), "faults.yaml")
	if err := os.WriteFile(file, []byte("rules: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, serverOpts{ExtraArgs: []string{"--faults", file, "--log-level", "debug"}})
	return srv, file
}

// faultsAdmin calls /_zonal/faults.
func faultsAdmin(t *testing.T, srv *zonalServer, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.Endpoint+"/_zonal/faults"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := rawHTTP.Do(req)
	if err != nil {
		t.Fatalf("%s /_zonal/faults%s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// addFault adds a rule (JSON) for the rest of the subtest.
func addFault(t *testing.T, srv *zonalServer, rule string) {
	t.Helper()
	code, body := faultsAdmin(t, srv, "POST", "", rule)
	if code != http.StatusCreated {
		t.Fatalf("adding %s: %d %s", rule, code, body)
	}
	var out struct{ Name string }
	json.Unmarshal([]byte(body), &out)
	t.Cleanup(func() { faultsAdmin(t, srv, "DELETE", "/"+out.Name, "") })
}

type faultStatus struct {
	Name           string
	Source         string
	Matched, Fired uint64
}

func listFaults(t *testing.T, srv *zonalServer) map[string]faultStatus {
	t.Helper()
	code, body := faultsAdmin(t, srv, "GET", "", "")
	var out struct{ Rules []faultStatus }
	if err := json.Unmarshal([]byte(body), &out); code != 200 || err != nil {
		t.Fatalf("listing rules: %d %s %v", code, body, err)
	}
	m := map[string]faultStatus{}
	for _, r := range out.Rules {
		m[r.Name] = r
	}
	return m
}

// exchanges returns the recorded exchanges (CreateSession aside) whose
// path ends with suffix and whose query holds query.
func exchanges(w *wire, method, suffix, query string) []wireEntry {
	var out []wireEntry
	for _, e := range w.Entries() {
		if e.Method == method && strings.HasSuffix(e.Path, suffix) && strings.Contains(e.RawQuery, query) && !e.IsCreateSession() {
			out = append(out, e)
		}
	}
	return out
}

// outcomes renders exchanges as "attempt=N; max=M -> status fault-rule".
func outcomes(es []wireEntry) []string {
	var out []string
	for _, e := range es {
		s := e.ReqHeader.Get("Amz-Sdk-Request") + " -> "
		if e.Err != nil {
			s += "error: " + e.Err.Error()
		} else {
			s += strings.TrimSpace(http.StatusText(e.Status) + " " + e.RespHeader.Get("X-Zonal-Fault"))
		}
		out = append(out, s)
	}
	return out
}

// wantFired checks the admin API's count for rule.
func wantFired(t *testing.T, srv *zonalServer, rule string, n uint64) {
	t.Helper()
	if got := listFaults(t, srv)[rule]; got.Fired != n {
		t.Errorf("rule %s fired %d times (matched %d), want %d", rule, got.Fired, got.Matched, n)
	}
}

func TestFaultsGoSDK(t *testing.T) {
	srv, _ := faultsServer(t)
	c, w := newClient(t, srv)
	bucket := mustCreateBucket(t, c, "faults")
	ctx := ctxT(t, 3*time.Minute)
	put := func(c *s3.Client, key string, body []byte) error {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
		return err
	}

	// The default retryer takes SlowDown (a throttle: the retry quota
	// pays more) and InternalError (a transient 500), backing off with
	// jitter between attempts, and succeeds on the third attempt.
	t.Run("SlowDown and InternalError are retried", func(t *testing.T) {
		for _, tc := range []struct{ name, rule string }{
			{"storm", `{"name":"storm","match":{"ops":["PutObject"],"prefix":"storm/"},"error":{"status":503,"code":"SlowDown"},"first":2}`},
			{"ie", `{"name":"ie","match":{"ops":["PutObject"],"prefix":"ie/"},"error":{"status":500,"code":"InternalError"},"first":2}`},
		} {
			addFault(t, srv, tc.rule)
			w.Reset()
			key := tc.name + "/obj"
			if err := put(c, key, []byte(tc.name)); err != nil {
				t.Fatalf("%s: PutObject: %s\n%s", tc.name, describeErr(err), w.Dump())
			}
			es := exchanges(w, "PUT", "/"+key, "")
			got := outcomes(es)
			status := http.StatusText(map[string]int{"storm": 503, "ie": 500}[tc.name])
			want := []string{"attempt=1; max=3 -> " + status + " " + tc.name, "attempt=2; max=3 -> " + status + " " + tc.name, "attempt=3; max=3 -> OK"}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s: attempts\n%s\nwant\n%s", tc.name, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if len(es) == 3 {
				t.Logf("%s: backoff before attempts 2 and 3: %v, %v", tc.name, es[1].At.Sub(es[0].At).Round(time.Millisecond), es[2].At.Sub(es[1].At).Round(time.Millisecond))
			}
			wantFired(t, srv, tc.name, 2)
			assertBytes(t, tc.name, c, bucket, key, []byte(tc.name))
		}
	})

	// aws-sdk-go-v2 neither retries ExpiredToken nor drops its cached
	// session for it: it refreshes sessions by their expiry time alone. The
	// call fails; the next one signs with the same session, which is
	// fine here since the token did not really expire. Adding the code to
	// the retryer makes the SDK try again (still with the same session).
	t.Run("ExpiredToken on a session-signed request", func(t *testing.T) {
		addFault(t, srv, `{"name":"expired","match":{"ops":["PutObject"],"session":"session","prefix":"exp/"},"error":{"status":400,"code":"ExpiredToken","message":"The provided token has expired."},"every":2}`)
		mustPut(t, c, bucket, "exp/warm", []byte("x")) // match 1 of the rule: the session is cached
		w.Reset()
		err := put(c, "exp/1", []byte("1"))
		wantErr(t, "PutObject with an injected ExpiredToken", err, 400, "ExpiredToken")
		if got := outcomes(exchanges(w, "PUT", "/exp/1", "")); len(got) != 1 {
			t.Errorf("ExpiredToken attempts: %q, want one (not retried)", got)
		}
		noErr(t, "the next PutObject", put(c, "exp/1", []byte("1")))
		es := exchanges(w, "PUT", "/exp/1", "")
		if n := w.CountCreateSession(); n != 0 || len(es) != 2 || es[0].SessionToken == "" || es[1].SessionToken != es[0].SessionToken {
			t.Errorf("after ExpiredToken: %d CreateSession, %d PUTs, same token %v; want the cached session reused\n%s",
				n, len(es), len(es) == 2 && es[0].SessionToken == es[1].SessionToken, w.Dump())
		}
		wantFired(t, srv, "expired", 1)

		retrying, rw := newClient(t, srv, func(o *s3.Options) {
			o.Retryer = retry.AddWithErrorCodes(retry.NewStandard(), "ExpiredToken")
		})
		noErr(t, "PutObject with ExpiredToken added to the retryer's codes", put(retrying, "exp/2", []byte("2")))
		if got := outcomes(exchanges(rw, "PUT", "/exp/2", "")); len(got) != 2 || !strings.HasSuffix(got[0], "Bad Request expired") {
			t.Errorf("retrying ExpiredToken: %q, want a 400 then a success", got)
		}
		wantFired(t, srv, "expired", 2)
	})

	// The transfer manager (feature/s3/transfermanager) leaves retries to
	// the client: one failed UploadPart is retried by the SDK and the
	// upload completes; a part failing on every attempt, or once with an
	// error the SDK does not retry, fails the upload, which the manager
	// aborts. It has no resume of its own.
	t.Run("transfer manager with a failing part", func(t *testing.T) {
		body := bytes.Repeat([]byte("0123456789abcdef"), 3*(5<<20)/16) // three 5 MiB parts
		tm := transfermanager.New(c, func(o *transfermanager.Options) { o.PartSizeBytes, o.MultipartUploadThreshold = 5<<20, 5<<20 })
		upload := func(key string) error {
			_, err := tm.UploadObject(ctx, &transfermanager.UploadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
			return err
		}

		addFault(t, srv, `{"name":"part2-once","match":{"ops":["UploadPart"],"parts":[2],"prefix":"tm1/"},"error":{"status":500,"code":"InternalError"},"first":1}`)
		w.Reset()
		if err := upload("tm1/big"); err != nil {
			t.Fatalf("upload with part 2 failing once: %s\n%s", describeErr(err), w.Dump())
		}
		if got := outcomes(exchanges(w, "PUT", "/tm1/big", "partNumber=2&")); len(got) != 2 || !strings.HasSuffix(got[0], "Internal Server Error part2-once") || !strings.HasSuffix(got[1], "OK") {
			t.Errorf("part 2: %q, want a 500 then a success", got)
		}
		if n := len(exchanges(w, "POST", "/tm1/big", "uploadId=")); n != 1 {
			t.Errorf("%d CompleteMultipartUpload, want 1", n)
		}
		wantFired(t, srv, "part2-once", 1)
		assertBytes(t, "the uploaded object", c, bucket, "tm1/big", body)

		addFault(t, srv, `{"name":"part2-always","match":{"ops":["UploadPart"],"parts":[2],"prefix":"tm3/"},"error":{"status":500,"code":"InternalError"}}`)
		w.Reset()
		err := upload("tm3/big")
		if err == nil || !strings.Contains(err.Error(), "InternalError") {
			t.Fatalf("upload with part 2 failing on every attempt: %v, want InternalError\n%s", err, w.Dump())
		}
		if got := exchanges(w, "PUT", "/tm3/big", "partNumber=2&"); len(got) != 3 {
			t.Errorf("part 2 sent %d times, want 3 (the retryer's attempts)", len(got))
		}
		if n := len(exchanges(w, "DELETE", "/tm3/big", "uploadId=")); n != 1 {
			t.Errorf("%d AbortMultipartUpload, want 1\n%s", n, w.Dump())
		}
		ups, lerr := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket), Prefix: aws.String("tm3/")})
		if lerr != nil || len(ups.Uploads) != 0 {
			t.Errorf("uploads left: %v %v", ups, lerr)
		}
		assertAbsent(t, "the failed upload's object", c, bucket, "tm3/big")

		// The README's "session expiring mid-upload": ExpiredToken is not
		// retried, so one such part fails the whole upload (aborted).
		addFault(t, srv, `{"name":"expire-mid-upload","match":{"ops":["UploadPart"],"parts":[3],"session":"session","prefix":"tmx/"},"error":{"status":400,"code":"ExpiredToken"},"first":1}`)
		w.Reset()
		err = upload("tmx/big")
		if err == nil || !strings.Contains(err.Error(), "ExpiredToken") {
			t.Fatalf("upload with an expired session at part 3: %v, want ExpiredToken\n%s", err, w.Dump())
		}
		if got := exchanges(w, "PUT", "/tmx/big", "partNumber=3&"); len(got) != 1 {
			t.Errorf("part 3 sent %d times, want 1 (ExpiredToken is not retried)", len(got))
		}
		if n := len(exchanges(w, "DELETE", "/tmx/big", "uploadId=")); n != 1 {
			t.Errorf("%d AbortMultipartUpload, want 1\n%s", n, w.Dump())
		}
		assertAbsent(t, "the failed upload's object", c, bucket, "tmx/big")
	})

	// A reset in the middle of a GET reaches the caller as an error
	// reading the body: the SDK has returned the response by then and does
	// not retry. The caller's own retry gets the whole object.
	t.Run("reset in the middle of a GET", func(t *testing.T) {
		body := bytes.Repeat([]byte("z"), 4<<20)
		mustPut(t, c, bucket, "big/obj", body)
		addFault(t, srv, `{"name":"cut","match":{"ops":["GetObject"],"prefix":"big/"},"reset":{"after_response_bytes":1048576},"first":1}`)
		w.Reset()
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("big/obj")})
		if err != nil {
			t.Fatalf("GetObject: %s", describeErr(err))
		}
		got, err := io.ReadAll(out.Body)
		out.Body.Close()
		if err == nil || len(got) > 1<<20 {
			t.Fatalf("body: %d bytes, %v; want an error after at most 1 MiB", len(got), err)
		}
		if !tlsMode && !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("body error %v, want a connection reset", err)
		}
		t.Logf("the body failed after %d bytes: %v", len(got), err)
		if es := exchanges(w, "GET", "/big/obj", ""); len(es) != 1 || es[0].RespHeader.Get("X-Zonal-Fault") != "cut" {
			t.Errorf("GETs: %q, want one naming the rule", outcomes(es))
		}
		assertBytes(t, "the object read again", c, bucket, "big/obj", body)
		wantFired(t, srv, "cut", 1)
	})

	// A reset while the upload is sent is a connection error, which the
	// SDK retries (the body is seekable) on a new connection.
	t.Run("reset in the middle of a PUT", func(t *testing.T) {
		addFault(t, srv, `{"name":"cut-put","match":{"ops":["PutObject"],"prefix":"rp/"},"reset":{"after_request_bytes":65536},"first":1}`)
		w.Reset()
		body := bytes.Repeat([]byte("q"), 1<<20)
		if err := put(c, "rp/obj", body); err != nil {
			t.Fatalf("PutObject: %s\n%s", describeErr(err), w.Dump())
		}
		es := exchanges(w, "PUT", "/rp/obj", "")
		if len(es) != 2 || es[0].Err == nil || es[1].Status != 200 {
			t.Errorf("attempts %q, want a connection error then a success", outcomes(es))
		}
		assertBytes(t, "the object", c, bucket, "rp/obj", body)
		wantFired(t, srv, "cut-put", 1)
	})

	t.Run("truncated GET", func(t *testing.T) {
		mustPut(t, c, bucket, "trunc/obj", bytes.Repeat([]byte("t"), 100000))
		addFault(t, srv, `{"name":"short","match":{"ops":["GetObject"],"prefix":"trunc/"},"truncate":{"after_bytes":1000}}`)
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("trunc/obj")})
		if err != nil {
			t.Fatalf("GetObject: %s", describeErr(err))
		}
		got, err := io.ReadAll(out.Body)
		out.Body.Close()
		if len(got) != 1000 || err == nil {
			t.Errorf("truncated body: %d bytes, %v; want 1000 and an error", len(got), err)
		}
	})

	t.Run("throttle and latency", func(t *testing.T) {
		mustPut(t, c, bucket, "slow/obj", bytes.Repeat([]byte("s"), 256<<10))
		addFault(t, srv, `{"name":"trickle","match":{"ops":["GetObject"],"prefix":"slow/"},"throttle":{"bytes_per_second":524288}}`)
		addFault(t, srv, `{"name":"lag","match":{"ops":["HeadObject"],"prefix":"slow/"},"latency":{"first":"300ms"}}`)
		start := time.Now()
		if got, _ := mustGetBytes(t, c, bucket, "slow/obj"); len(got) != 256<<10 {
			t.Fatalf("throttled GET: %d bytes", len(got))
		}
		if d := time.Since(start); d < 450*time.Millisecond {
			t.Errorf("256 KiB at 512 KiB/s took %v", d)
		}
		w.Reset()
		start = time.Now()
		_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("slow/obj")})
		noErr(t, "HeadObject", err)
		if d := time.Since(start); d < 300*time.Millisecond {
			t.Errorf("HeadObject with 300ms of latency took %v", d)
		}
		if es := exchanges(w, "HEAD", "/slow/obj", ""); len(es) != 1 || es[0].RespHeader.Get("X-Zonal-Fault") != "lag" {
			t.Errorf("HEAD: %q", outcomes(es))
		}
	})

	// Every fault is in the metrics by rule and in the debug log.
	resp, err := rawHTTP.Get(srv.Endpoint + "/_zonal/metrics")
	if err != nil {
		t.Fatal(err)
	}
	text, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for rule, n := range map[string]string{"storm": "2", "ie": "2", "expired": "2", "part2-once": "1", "part2-always": "3", "expire-mid-upload": "1", "cut": "1", "cut-put": "1", "short": "1", "trickle": "1", "lag": "1"} {
		if !strings.Contains(string(text), `zonal_faults_injected_total{rule="`+rule+`"} `+n+"\n") {
			t.Errorf("metrics: no zonal_faults_injected_total{rule=%q} %s", rule, n)
		}
	}
	if log := srv.LogGrep(5, `"msg":"fault injected","rule":"storm"`); log == "" {
		t.Error("no debug log line for the storm rule's faults")
	}
}

// TestFaultsFileReload: SIGHUP reloads the --faults file; a file that
// does not parse leaves the rules as they were.
func TestFaultsFileReload(t *testing.T) {
	srv, file := faultsServer(t)
	c, _ := newClient(t, srv)
	bucket := mustCreateBucket(t, c, "reload")
	write := func(content string) {
		if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Kill(srv.Pid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}
	waitFor := func(what string, ok func(map[string]faultStatus) bool) {
		t.Helper()
		for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
			if ok(listFaults(t, srv)) {
				return
			}
		}
		t.Fatalf("%s: rules %v", what, listFaults(t, srv))
	}
	write("rules:\n  - {name: from-file, match: {ops: [PutObject]}, error: {status: 503, code: SlowDown}, first: 1}\n")
	waitFor("the file's rule after SIGHUP", func(m map[string]faultStatus) bool { return m["from-file"].Source == "file" })
	if _, err := c.PutObject(ctxT(t, 30*time.Second), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: strings.NewReader("v")}); err != nil {
		t.Fatalf("PutObject through one SlowDown: %v", err)
	}
	wantFired(t, srv, "from-file", 1)

	write("rules:\n  - {name: broken, error: {status: 200, code: SlowDown}}\n")
	for end := time.Now().Add(10 * time.Second); srv.LogGrep(1, "fault rules not reloaded") == "" && time.Now().Before(end); {
		time.Sleep(50 * time.Millisecond)
	}
	if m := listFaults(t, srv); len(m) != 1 || m["from-file"].Fired != 1 {
		t.Errorf("after a bad file: %v, want the old rule and its count", m)
	}
	write("rules: []\n")
	waitFor("no rules after emptying the file", func(m map[string]faultStatus) bool { return len(m) == 0 })
}
