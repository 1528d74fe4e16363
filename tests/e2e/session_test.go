package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func flipMiddleChar(s string) string {
	if s == "" {
		return "x"
	}
	// A digit replaces the character: digits have no case, so the change
	// survives case-insensitive hex or base64 handling.
	i := len(s) / 2
	r := byte('0')
	if s[i] == '0' {
		r = '1'
	}
	return s[:i] + string(r) + s[i+1:]
}

// wantS3XMLError asserts the response body is a well-formed S3 error document.
func wantS3XMLError(t *testing.T, what string, r rawResp) {
	t.Helper()
	if r.Err == nil || r.Err.Code == "" || r.Err.Message == "" || r.Err.RequestID == "" {
		t.Errorf("%s: expected an S3 XML <Error> with Code, Message and RequestId; got %s", what, r)
	}
}

// TestSessions: session-mode enforcement, bucket scoping and every way a
// session- or key-signed request can be wrong, checked with hand-signed
// requests (the SDK never sends these).
func TestSessions(t *testing.T) {
	t.Parallel()
	var needles []string
	srv := sharedServer(t, &needles)
	c, _ := newClient(t, srv)
	bA := mustCreateBucket(t, c, "sessa")
	bB := mustCreateBucket(t, c, "sessb")
	needles = append(needles, bA, bB)
	objBody := []byte("session test object")
	mustPut(t, c, bA, "obj.txt", objBody)
	mustPut(t, c, bB, "obj.txt", objBody)
	get := func(b, k string) rawReq { return rawReq{Method: http.MethodGet, Path: objectPath(b, k)} }
	head := func(b, k string) rawReq { return rawReq{Method: http.MethodHead, Path: objectPath(b, k)} }
	put := func(b, k string, body []byte) rawReq {
		return rawReq{Method: http.MethodPut, Path: objectPath(b, k), Body: body}
	}
	del := func(b, k string) rawReq { return rawReq{Method: http.MethodDelete, Path: objectPath(b, k)} }
	list := func(b string) rawReq { return rawReq{Method: http.MethodGet, Path: "/" + b, Query: "list-type=2"} }

	rw := createSession(t, c, bA, "")

	t.Run("DefaultExpirationFiveMinutes", func(t *testing.T) {
		exp := aws.ToTime(rw.Expiration)
		if d := time.Until(exp); d < 4*time.Minute || d > 6*time.Minute {
			t.Errorf("session Expiration %s is %v from now; want about 5 minutes (reference §3.3)", exp, d)
		}
		if aws.ToString(rw.AccessKeyId) == srv.AccessKey || aws.ToString(rw.SecretAccessKey) == srv.SecretKey {
			t.Errorf("session credentials reuse the root key")
		}
	})

	t.Run("PositiveControl", func(t *testing.T) {
		sg := sessionSigning(rw)
		r := doRaw(t, srv, get(bA, "obj.txt"), sg)
		wantRaw(t, "session GET", r, 200)
		if r.Status == 200 && !bytes.Equal(r.Body, objBody) {
			t.Errorf("session GET body %q", r.Body)
		}
		wantRaw(t, "session PUT", doRaw(t, srv, put(bA, "rw/new.txt", []byte("new")), sg), 200)
		wantRaw(t, "session HEAD", doRaw(t, srv, head(bA, "rw/new.txt"), sg), 200)
		wantRaw(t, "session LIST", doRaw(t, srv, list(bA), sg), 200)
		wantRaw(t, "session DELETE", doRaw(t, srv, del(bA, "rw/new.txt"), sg), 204)
		// Long-term key signing also works on zonal operations (reference §3.7).
		wantRaw(t, "root-key GET", doRaw(t, srv, get(bA, "obj.txt"), rootSigning(srv)), 200)
	})

	t.Run("ReadOnlySession", func(t *testing.T) {
		ro := createSession(t, c, bA, types.SessionModeReadOnly)
		sg := sessionSigning(ro)
		wantRaw(t, "ReadOnly GET", doRaw(t, srv, get(bA, "obj.txt"), sg), 200)
		wantRaw(t, "ReadOnly HEAD", doRaw(t, srv, head(bA, "obj.txt"), sg), 200)
		wantRaw(t, "ReadOnly ListObjectsV2", doRaw(t, srv, list(bA), sg), 200)
		wantRaw(t, "ReadOnly HeadBucket", doRaw(t, srv, rawReq{Method: http.MethodHead, Path: "/" + bA}, sg), 200)
		r := doRaw(t, srv, put(bA, "ro/denied.txt", []byte("nope")), sg)
		wantRaw(t, "ReadOnly PutObject", r, 403, "AccessDenied")
		wantRaw(t, "ReadOnly DeleteObject", doRaw(t, srv, del(bA, "obj.txt"), sg), 403, "AccessDenied")
		// Nothing changed.
		wantRaw(t, "obj.txt still there", doRaw(t, srv, head(bA, "obj.txt"), rootSigning(srv)), 200)
		wantRaw(t, "ro/denied.txt not written", doRaw(t, srv, head(bA, "ro/denied.txt"), rootSigning(srv)), 404)
	})

	t.Run("ReadOnlySessionDeleteObjects", func(t *testing.T) {
		ro := createSession(t, c, bA, types.SessionModeReadOnly)
		delBody := []byte(`<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>obj.txt</Key></Object></Delete>`)
		r := doRaw(t, srv, rawReq{Method: http.MethodPost, Path: "/" + bA, Query: "delete", Body: delBody,
			Header: http.Header{"X-Amz-Checksum-Crc32": {crc32B64(delBody)}, "X-Amz-Sdk-Checksum-Algorithm": {"CRC32"}}}, sessionSigning(ro))
		wantRaw(t, "ReadOnly DeleteObjects (POST ?delete)", r, 403, "AccessDenied")
		wantRaw(t, "obj.txt still there", doRaw(t, srv, head(bA, "obj.txt"), rootSigning(srv)), 200)
	})

	t.Run("SessionForOtherBucket", func(t *testing.T) {
		sg := sessionSigning(rw) // session for bA
		wantRaw(t, "bucket-A session GET on bucket B", doRaw(t, srv, get(bB, "obj.txt"), sg), 403, "AccessDenied")
		wantRaw(t, "bucket-A session PUT on bucket B", doRaw(t, srv, put(bB, "x.txt", []byte("x")), sg), 403, "AccessDenied")
		wantRaw(t, "bucket-A session LIST on bucket B", doRaw(t, srv, list(bB), sg), 403, "AccessDenied")
		wantRaw(t, "x.txt not written to B", doRaw(t, srv, head(bB, "x.txt"), rootSigning(srv)), 404)
	})

	t.Run("TamperedToken", func(t *testing.T) {
		sg := sessionSigning(rw)
		sg.Token = flipMiddleChar(sg.Token)
		r := doRaw(t, srv, get(bA, "obj.txt"), sg)
		switch {
		case r.Status == 400 && r.Code() == "InvalidToken":
		case r.Status == 403 && (r.Code() == "AccessDenied" || r.Code() == "InvalidAccessKeyId"):
		default:
			t.Errorf("tampered token: want 400 InvalidToken (reference §3.6) or 403 AccessDenied/InvalidAccessKeyId, got %s", r)
		}
		t.Logf("tampered token -> %d %s", r.Status, r.Code())
		wantS3XMLError(t, "tampered token", r)
		// Truncated token, garbage token.
		for _, tok := range []string{aws.ToString(rw.SessionToken)[:len(aws.ToString(rw.SessionToken))/2], "not-a-token"} {
			sg.Token = tok
			r := doRaw(t, srv, get(bA, "obj.txt"), sg)
			if r.Status != 400 && r.Status != 403 {
				t.Errorf("garbled token %q: want 400/403, got %s", tok, r)
			}
			wantS3XMLError(t, "garbled token", r)
		}
	})

	t.Run("WrongSecret", func(t *testing.T) {
		sg := sessionSigning(rw)
		sg.SecretKey = flipMiddleChar(sg.SecretKey)
		r := doRaw(t, srv, get(bA, "obj.txt"), sg)
		wantRaw(t, "session key with a wrong secret", r, 403, "SignatureDoesNotMatch")
		wantS3XMLError(t, "wrong secret", r)
		root := rootSigning(srv)
		root.SecretKey = flipMiddleChar(root.SecretKey)
		wantRaw(t, "root key with a wrong secret", doRaw(t, srv, get(bA, "obj.txt"), root), 403, "SignatureDoesNotMatch")
		wantRaw(t, "CreateSession with a wrong secret", doRaw(t, srv, rawReq{Method: http.MethodGet, Path: "/" + bA, Query: "session"}, root), 403, "SignatureDoesNotMatch")
	})

	t.Run("UnknownAccessKey", func(t *testing.T) {
		sg := &signing{AccessKey: "AKIAZONALUNKNOWN0001", SecretKey: srv.SecretKey}
		wantRaw(t, "unknown access key", doRaw(t, srv, get(bA, "obj.txt"), sg), 403, "InvalidAccessKeyId")
	})

	t.Run("MissingTokenWithSessionKey", func(t *testing.T) {
		sg := sessionSigning(rw)
		sg.Token = ""
		r := doRaw(t, srv, get(bA, "obj.txt"), sg)
		switch {
		case r.Status == 403 && (r.Code() == "InvalidAccessKeyId" || r.Code() == "AccessDenied"):
		case r.Status == 400 && r.Code() == "InvalidToken": // reference §3.6: missing token -> 400 InvalidToken
		default:
			t.Errorf("session access key without x-amz-s3session-token: want 403 InvalidAccessKeyId/AccessDenied (or 400 InvalidToken per reference §3.6), got %s", r)
		}
		t.Logf("session key without token -> %d %s", r.Status, r.Code())
		wantS3XMLError(t, "missing token", r)
	})

	t.Run("TokenNotSigned", func(t *testing.T) {
		// The token header present but not covered by the signature: add it after signing.
		req, _ := http.NewRequest(http.MethodGet, srv.Endpoint+objectPath(bA, "obj.txt"), nil)
		sg := sessionSigning(rw)
		tok := sg.Token
		sg.Token = ""
		signRaw(t, req, nil, sg)
		req.Header.Set("x-amz-s3session-token", tok)
		resp, err := rawHTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		// The wire reference (§7a.5) requires the token header to be present,
		// signed and matching; an unsigned token header must be refused.
		if resp.StatusCode != 400 && resp.StatusCode != 403 {
			t.Errorf("x-amz-s3session-token present but not signed: want 400/403, got HTTP %d (request id %s)", resp.StatusCode, resp.Header.Get("x-amz-request-id"))
		}
	})

	t.Run("CreateSessionWithSessionToken", func(t *testing.T) {
		sg := rootSigning(srv)
		sg.Token = aws.ToString(rw.SessionToken)
		r := doRaw(t, srv, rawReq{Method: http.MethodGet, Path: "/" + bA, Query: "session"}, sg)
		wantRaw(t, "CreateSession carrying x-amz-s3session-token", r, 400, "InvalidRequest")
		wantS3XMLError(t, "CreateSession with token", r)
		// And CreateSession signed with a session key is not a way to mint sessions.
		r = doRaw(t, srv, rawReq{Method: http.MethodGet, Path: "/" + bA, Query: "session"}, sessionSigning(rw))
		if r.Status < 400 {
			t.Errorf("CreateSession signed with session credentials + token: want an error, got %s", r)
		}
	})

	t.Run("ClockSkew", func(t *testing.T) {
		sg := rootSigning(srv)
		sg.Time = time.Now().Add(-20 * time.Minute)
		r := doRaw(t, srv, get(bA, "obj.txt"), sg)
		wantRaw(t, "root-signed request 20 minutes in the past", r, 403, "RequestTimeTooSkewed")
		wantS3XMLError(t, "skew", r)
		sg.Time = time.Now().Add(20 * time.Minute)
		wantRaw(t, "root-signed request 20 minutes in the future", doRaw(t, srv, get(bA, "obj.txt"), sg), 403, "RequestTimeTooSkewed")
		ss := sessionSigning(rw)
		ss.Time = time.Now().Add(-20 * time.Minute)
		wantRaw(t, "session-signed request 20 minutes in the past", doRaw(t, srv, get(bA, "obj.txt"), ss), 403, "RequestTimeTooSkewed")
		// Small skew (5 min) is fine.
		ss.Time = time.Now().Add(-5 * time.Minute)
		wantRaw(t, "session-signed request 5 minutes in the past", doRaw(t, srv, get(bA, "obj.txt"), ss), 200)
	})

	t.Run("UnsignedRequest", func(t *testing.T) {
		r := doRaw(t, srv, get(bA, "obj.txt"), nil)
		wantRaw(t, "anonymous GET", r, 403, "AccessDenied")
	})

	t.Run("CreateSessionMissingBucketThenUse", func(t *testing.T) {
		// Sessions on a bucket that does not exist yet are issued (the SDK's
		// CreateBucket flow); using one on the still-missing bucket gives NoSuchBucket.
		missing := bucketName("notyet")
		cr := createSession(t, c, missing, "")
		r := doRaw(t, srv, list(missing), sessionSigning(cr))
		wantRaw(t, "ListObjectsV2 on a missing bucket with its session", r, 404, "NoSuchBucket")
	})
}

// TestSessionExpiry: a token is refused with 400 ExpiredToken after its
// Expiration (server started with --session-ttl 2s).
func TestSessionExpiry(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{Name: "session-ttl-2s", SessionTTL: "2s"})
	c, _ := newClient(t, srv)
	bucket := mustCreateBucket(t, c, "expiry")
	mustPut(t, c, bucket, "obj.txt", []byte("x"))
	cr := createSession(t, c, bucket, "")
	exp := aws.ToTime(cr.Expiration)
	if d := time.Until(exp); d < -time.Second || d > 4*time.Second {
		t.Errorf("with --session-ttl 2s, Expiration is %v from now", d)
	}
	r := doRaw(t, srv, rawReq{Method: http.MethodGet, Path: objectPath(bucket, "obj.txt")}, sessionSigning(cr))
	wantRaw(t, "fresh session GET", r, 200)

	wait := time.Until(exp) + 1200*time.Millisecond
	if wait < 3*time.Second {
		wait = 3 * time.Second
	}
	time.Sleep(wait)
	r = doRaw(t, srv, rawReq{Method: http.MethodGet, Path: objectPath(bucket, "obj.txt")}, sessionSigning(cr))
	wantRaw(t, "expired session GET", r, 400, "ExpiredToken")
	wantS3XMLError(t, "expired", r)
	r = doRaw(t, srv, rawReq{Method: http.MethodPut, Path: objectPath(bucket, "late.txt"), Body: []byte("late")}, sessionSigning(cr))
	wantRaw(t, "expired session PUT", r, 400, "ExpiredToken")
}

// TestSessionRefreshStockClient: with a 3 s session TTL the stock client keeps
// working across many session expiries (it refreshes on its own).
func TestSessionRefreshStockClient(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOpts{Name: "session-ttl-3s", SessionTTL: "3s"})
	c, w := newClient(t, srv)
	bucket := mustCreateBucket(t, c, "refresh")
	deadline := time.Now().Add(8 * time.Second)
	var failures []string
	n := 0
	for time.Now().Before(deadline) && len(failures) < 10 {
		key := fmt.Sprintf("loop/%04d", n)
		body := []byte(fmt.Sprintf("iteration %d at %s", n, time.Now().Format(time.RFC3339Nano)))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
		if err != nil {
			failures = append(failures, fmt.Sprintf("put %s at +%v: %s", key, time.Until(deadline), describeErr(err)))
			cancel()
			continue
		}
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			failures = append(failures, fmt.Sprintf("get %s: %s", key, describeErr(err)))
			cancel()
			continue
		}
		got, err := io.ReadAll(out.Body)
		out.Body.Close()
		cancel()
		if err != nil || !bytes.Equal(got, body) {
			failures = append(failures, fmt.Sprintf("get %s: body %q err %v", key, got, err))
		}
		n++
		time.Sleep(20 * time.Millisecond)
	}
	if len(failures) > 0 {
		t.Errorf("%d iterations, failures:\n  %s", n, strings.Join(failures, "\n  "))
	}
	cs := w.CountCreateSession()
	t.Logf("%d put/get iterations, %d CreateSession requests", n, cs)
	if cs < 2 {
		t.Errorf("expected more than one CreateSession over 8 s with a 3 s TTL, saw %d", cs)
	}
	// Sessions actually expire: the client used several distinct session keys.
	keys := map[string]bool{}
	for _, e := range w.Entries() {
		if e.SessionToken != "" {
			keys[e.AccessKey()] = true
		}
	}
	if len(keys) < 2 {
		t.Errorf("expected several session access keys over 8 s with a 3 s TTL, saw %d", len(keys))
	}
}
