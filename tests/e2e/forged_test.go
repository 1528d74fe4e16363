package e2e

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/zonal-dev/zonal/internal/sigv4"
)

// The forged-request table (issue 7, "Hostile input"): requests that were
// altered after signing, signed with the wrong thing, or replayed, each
// answered with AWS's error and changing nothing. Every row targets one
// existing object; rows that write are checked to have left it exactly as
// it was (bytes, ETag, metadata, checksum, Last-Modified), rows that read
// to have leaked nothing of it.

// forgedRow is one row of the table.
type forgedRow struct {
	name   string
	send   func(t *testing.T) rawResp
	status int
	code   string // "" for a success row
	msg    string // substring of the error message, when AWS's is known
	// why documents the expectation (AWS behaviour and sources).
	why string
}

// sendReq sends a prepared request as it is.
func sendReq(t *testing.T, req *http.Request) rawResp {
	t.Helper()
	resp, err := rawHTTP.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", req.Method, req.URL, err)
	}
	r := rawResp{Status: resp.StatusCode, Header: resp.Header, Body: body}
	var e s3ErrorXML
	if len(body) > 0 && xml.Unmarshal(body, &e) == nil {
		r.Err = &e
	}
	return r
}

// newRawRequest builds an unsigned request for bucket/key with body.
func newRawRequest(t *testing.T, srv *zonalServer, method, bucket, key string, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, srv.Endpoint+objectPath(bucket, key), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(body) == 0 {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	return req
}

// flipBit flips one bit in the middle of a session token's sealed bytes
// (the token is unpadded base64url) and re-encodes it.
func flipBit(t *testing.T, token string) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		t.Fatalf("session token is not unpadded base64url (%v); cannot flip a bit of it", err)
	}
	raw[len(raw)/2] ^= 0x08
	return base64.RawURLEncoding.EncodeToString(raw)
}

// sigV2Header signs a request the SigV2 way ("AWS AKID:base64(HMAC-SHA1)").
func sigV2Header(req *http.Request, ak, sk string) {
	date := time.Now().UTC().Format(http.TimeFormat)
	req.Header.Set("Date", date)
	sts := req.Method + "\n" + req.Header.Get("Content-Md5") + "\n" + req.Header.Get("Content-Type") + "\n" + date + "\n" + req.URL.EscapedPath()
	m := hmac.New(sha1.New, []byte(sk))
	m.Write([]byte(sts))
	req.Header.Set("Authorization", "AWS "+ak+":"+base64.StdEncoding.EncodeToString(m.Sum(nil)))
}

// TestForgedRequests runs the forged-request table against the shared
// server.
func TestForgedRequests(t *testing.T) {
	t.Parallel()
	var needles []string
	srv := sharedServer(t, &needles)
	c, _ := newClient(t, srv)
	bA := mustCreateBucket(t, c, "forged-a")
	bB := mustCreateBucket(t, c, "forged-b")
	needles = append(needles, bA, bB)
	const key = "forged/target.bin"
	content := []byte("the target of every forged request: it must never change\n")
	mustPut(t, c, bA, key, content)
	before := snapshot(t, c, bA, key)
	const secretKey = "forged/secret.bin"
	mustPut(t, c, bB, secretKey, []byte("a secret in bucket B that the target must never receive\n"))

	rwA := createSession(t, c, bA, "")
	rwB := createSession(t, c, bB, "")
	roA := createSession(t, c, bA, types.SessionModeReadOnly)
	evil := []byte("EVIL bytes that must not land")
	same := func(b []byte) []byte { // a body of the target's length
		out := bytes.Repeat([]byte("X"), len(content))
		copy(out, b)
		return out
	}

	// signedPut builds a PUT of body onto the target, signed with sg (and
	// the headers in hdr, which are signed too).
	signedPut := func(t *testing.T, body []byte, hdr http.Header, sg *signing) *http.Request {
		req := newRawRequest(t, srv, http.MethodPut, bA, key, body)
		for k, vs := range hdr {
			req.Header[k] = vs
		}
		signRaw(t, req, body, sg)
		return req
	}
	sessionSigner := func(cr *types.SessionCredentials) *sigv4.Signer {
		return &sigv4.Signer{AccessKeyID: aws.ToString(cr.AccessKeyId), SecretAccessKey: aws.ToString(cr.SecretAccessKey),
			Region: testRegion, Service: "s3express", SessionToken: aws.ToString(cr.SessionToken)}
	}
	rootSigner := &sigv4.Signer{AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey, Region: testRegion, Service: "s3express"}

	// chunkedPut is a PUT with a signed aws-chunked body
	// (STREAMING-AWS4-HMAC-SHA256-PAYLOAD, 16-byte chunks); tamper, when
	// set, alters the encoded body after signing.
	chunkedPut := func(t *testing.T, data []byte, tamper func(enc []byte) []byte) *http.Request {
		s := sessionSigner(rwA)
		req := newRawRequest(t, srv, http.MethodPut, bA, key, nil)
		req.Header.Set("Content-Encoding", "aws-chunked")
		req.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(len(data)))
		now := time.Now()
		seed := s.Sign(req, sigv4.StreamingPayload, now)
		enc := s.ChunkedBody(sigv4.StreamingPayload, seed, now, data, 16, nil)
		if tamper != nil {
			enc = tamper(enc)
		}
		req.Body = io.NopCloser(bytes.NewReader(enc))
		req.ContentLength = int64(len(enc))
		return req
	}

	// The positive controls: the same constructions, unaltered, work (so
	// every refusal below is caused by the alteration). They write a
	// scratch key, never the target.
	t.Run("PositiveControls", func(t *testing.T) {
		body := []byte("control")
		req := newRawRequest(t, srv, http.MethodPut, bA, "forged/control-1", body)
		req.Header.Set("X-Amz-Meta-Note", "signed")
		signRaw(t, req, body, sessionSigning(rwA))
		wantRaw(t, "session-signed PUT with a signed x-amz-meta header", sendReq(t, req), 200)

		s := sessionSigner(rwA)
		req = newRawRequest(t, srv, http.MethodPut, bA, "forged/control-2", nil)
		req.Header.Set("Content-Encoding", "aws-chunked")
		req.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(len(content)))
		now := time.Now()
		seed := s.Sign(req, sigv4.StreamingPayload, now)
		enc := s.ChunkedBody(sigv4.StreamingPayload, seed, now, content, 16, nil)
		req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(enc)), int64(len(enc))
		wantRaw(t, "aws-chunked signed PUT", sendReq(t, req), 200)
		assertBytes(t, "aws-chunked signed PUT", c, bA, "forged/control-2", content)

		g, _ := http.NewRequest(http.MethodGet, srv.Endpoint+sigv4.EncodePath("/"+bA+"/"+key), nil)
		u := sessionSigner(rwA).Presign(g, time.Minute, time.Now())
		r := fetchURL(t, http.MethodGet, u, nil)
		wantRaw(t, "presigned GET (session)", r, 200)

		g, _ = http.NewRequest(http.MethodGet, srv.Endpoint+sigv4.EncodePath("/"+bA+"/"+key), nil)
		u = rootSigner.Presign(g, 604800*time.Second, time.Now())
		wantRaw(t, "presigned GET with X-Amz-Expires=604800 (the maximum)", fetchURL(t, http.MethodGet, u, nil), 200)
	})

	rows := []forgedRow{
		{
			name: "session token for another bucket", status: 403, code: "AccessDenied",
			why:  "a session is scoped to one bucket (reference §3.6 step 5, §8.2 AccessDenied)",
			send: func(t *testing.T) rawResp { return sendReq(t, signedPut(t, evil, nil, sessionSigning(rwB))) },
		},
		{
			name: "session token with one flipped bit", status: 400, code: "InvalidToken",
			why: "malformed session token (reference §3.6 step 2; S3's STS-token error)",
			send: func(t *testing.T) rawResp {
				sg := sessionSigning(rwA)
				sg.Token = flipBit(t, sg.Token)
				return sendReq(t, signedPut(t, evil, nil, sg))
			},
		},
		{
			name: "ReadOnly session token used to write", status: 403, code: "AccessDenied",
			why:  "ReadOnly sessions allow only the reads listed in reference §3.5",
			send: func(t *testing.T) rawResp { return sendReq(t, signedPut(t, evil, nil, sessionSigning(roA))) },
		},
		{
			name: "presigned URL replayed after its expiry", status: 403, code: "AccessDenied", msg: "Request has expired",
			why: "S3 answers an expired presigned URL 403 AccessDenied \"Request has expired\" (with X-Amz-Expires, Expires, ServerTime)",
			send: func(t *testing.T) rawResp {
				g, _ := http.NewRequest(http.MethodGet, srv.Endpoint+sigv4.EncodePath("/"+bA+"/"+key), nil)
				at := time.Now()
				u := sessionSigner(rwA).Presign(g, 2*time.Second, at)
				if r := fetchURL(t, http.MethodGet, u, nil); r.Status != 200 {
					t.Errorf("the presigned URL did not work while valid: %s", r)
				}
				time.Sleep(time.Until(at.Truncate(time.Second).Add(3200 * time.Millisecond)))
				r := fetchURL(t, http.MethodGet, u, nil)
				if bytes.Contains(r.Body, content) {
					t.Errorf("the expired URL still served the object")
				}
				return r
			},
		},
		{
			name: "presigned PUT with X-Amz-Expires=604801 (over 7 days)", status: 400, code: "AuthorizationQueryParametersError",
			msg: "604800",
			why: "S3: \"X-Amz-Expires must be less than a week (in seconds) that is 604800\"",
			send: func(t *testing.T) rawResp {
				req := newRawRequest(t, srv, http.MethodPut, bA, key, evil)
				u := rootSigner.Presign(req, 604801*time.Second, time.Now())
				p, _ := http.NewRequest(http.MethodPut, u, bytes.NewReader(evil))
				return sendReq(t, p)
			},
		},
		{
			name: "wrong service in the scope (sqs)", status: 400, code: "AuthorizationHeaderMalformed",
			why: "S3 refuses a credential scope naming another service with AuthorizationHeaderMalformed",
			send: func(t *testing.T) rawResp {
				sg := rootSigning(srv)
				sg.Service = "sqs"
				return sendReq(t, signedPut(t, evil, nil, sg))
			},
		},
		{
			name: "signed header removed after signing (x-amz-meta-note)", status: 403, code: "SignatureDoesNotMatch",
			why: "the canonical request no longer matches",
			send: func(t *testing.T) rawResp {
				req := signedPut(t, evil, http.Header{"X-Amz-Meta-Note": {"signed"}}, sessionSigning(rwA))
				req.Header.Del("X-Amz-Meta-Note")
				return sendReq(t, req)
			},
		},
		{
			name: "signed header value altered after signing (x-amz-meta-note)", status: 403, code: "SignatureDoesNotMatch",
			why: "the canonical request no longer matches",
			send: func(t *testing.T) rawResp {
				req := signedPut(t, evil, http.Header{"X-Amz-Meta-Note": {"signed"}}, sessionSigning(rwA))
				req.Header.Set("X-Amz-Meta-Note", "altered")
				return sendReq(t, req)
			},
		},
		{
			name: "unsigned x-amz-meta-evil added after signing", status: 403, code: "AccessDenied",
			msg: "There were headers present in the request which were not signed",
			why: "S3 requires every x-amz-* header present to be signed and answers 403 AccessDenied \"There were headers present in the request which were not signed\" (HeadersNotSigned)",
			send: func(t *testing.T) rawResp {
				req := signedPut(t, evil, nil, sessionSigning(rwA))
				req.Header.Set("X-Amz-Meta-Evil", "1")
				return sendReq(t, req)
			},
		},
		{
			name: "unsigned x-amz-write-offset-bytes added after signing (turns a PUT into an append)", status: 403, code: "AccessDenied",
			msg: "There were headers present in the request which were not signed",
			why: "as above: an unsigned x-amz-* header that changes the meaning of the request",
			send: func(t *testing.T) rawResp {
				req := signedPut(t, evil, nil, sessionSigning(rwA))
				req.Header.Set("X-Amz-Write-Offset-Bytes", strconv.Itoa(len(content)))
				return sendReq(t, req)
			},
		},
		{
			name: "x-amz-s3session-token header present but not signed", status: 403, code: "AccessDenied",
			msg: "There were headers present in the request which were not signed",
			why: "the token names the credentials: it must be signed (reference §3.4)",
			send: func(t *testing.T) rawResp {
				sg := sessionSigning(rwA)
				tok := sg.Token
				sg.Token = ""
				req := signedPut(t, evil, nil, sg)
				req.Header.Set("X-Amz-S3session-Token", tok)
				return sendReq(t, req)
			},
		},
		{
			name: "body swapped after signing (hex x-amz-content-sha256)", status: 400, code: "XAmzContentSHA256Mismatch",
			why: "S3: \"The provided 'x-amz-content-sha256' header does not match what was computed.\" (reference §8.2)",
			send: func(t *testing.T) rawResp {
				signed := same([]byte("harmless"))
				req := signedPut(t, signed, nil, sessionSigning(rwA))
				swapped := same(evil)
				req.Body = io.NopCloser(bytes.NewReader(swapped))
				req.ContentLength = int64(len(swapped))
				return sendReq(t, req)
			},
		},
		{
			name: "body swapped under signed aws-chunked chunks", status: 403, code: "SignatureDoesNotMatch",
			why: "a chunk's data no longer matches its chunk-signature",
			send: func(t *testing.T) rawResp {
				return sendReq(t, chunkedPut(t, content, func(enc []byte) []byte {
					// Replace the second chunk's data (same length): the first
					// chunk line is "10;chunk-signature=<64 hex>\r\n" + 16 bytes + "\r\n".
					i := bytes.Index(enc, []byte("\r\n"))
					j := i + 2 + 16 + 2
					k := bytes.Index(enc[j:], []byte("\r\n")) + j + 2
					copy(enc[k:k+16], "EVIL-EVIL-EVIL-!")
					return enc
				}))
			},
		},
		{
			name: "aws-chunked chunk signature altered", status: 403, code: "SignatureDoesNotMatch",
			why: "the chunk-signature chain is broken",
			send: func(t *testing.T) rawResp {
				return sendReq(t, chunkedPut(t, content, func(enc []byte) []byte {
					i := bytes.Index(enc, []byte("chunk-signature=")) + len("chunk-signature=")
					if enc[i] == '0' {
						enc[i] = '1'
					} else {
						enc[i] = '0'
					}
					return enc
				}))
			},
		},
		{
			name: "unsigned (anonymous) request", status: 403, code: "AccessDenied",
			why:  "directory buckets block public access: no anonymous requests",
			send: func(t *testing.T) rawResp { return sendReq(t, newRawRequest(t, srv, http.MethodPut, bA, key, evil)) },
		},
		{
			name: "SigV2 Authorization header", status: 400, code: "InvalidRequest",
			msg: "Please use AWS4-HMAC-SHA256",
			why: "SigV4-only regions answer SigV2 with 400 InvalidRequest \"The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.\"",
			send: func(t *testing.T) rawResp {
				req := newRawRequest(t, srv, http.MethodPut, bA, key, evil)
				sigV2Header(req, srv.AccessKey, srv.SecretKey)
				return sendReq(t, req)
			},
		},
		{
			name: "SigV2 presigned URL (AWSAccessKeyId, Expires, Signature)", status: 400, code: "InvalidRequest",
			msg: "Please use AWS4-HMAC-SHA256",
			why: "as above, query form",
			send: func(t *testing.T) rawResp {
				exp := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
				path := objectPath(bA, key)
				m := hmac.New(sha1.New, []byte(srv.SecretKey))
				m.Write([]byte("GET\n\n\n" + exp + "\n" + path))
				q := url.Values{"AWSAccessKeyId": {srv.AccessKey}, "Expires": {exp}, "Signature": {base64.StdEncoding.EncodeToString(m.Sum(nil))}}
				r := fetchURL(t, http.MethodGet, srv.Endpoint+path+"?"+q.Encode(), nil)
				if bytes.Contains(r.Body, content) {
					t.Errorf("a SigV2 presigned URL served the object")
				}
				return r
			},
		},
		{
			name: "session access key and secret without the token header", status: 403, code: "InvalidAccessKeyId",
			why: "without its token a session key id is unknown: S3 answers temporary keys without their token 403 InvalidAccessKeyId",
			send: func(t *testing.T) rawResp {
				sg := sessionSigning(rwA)
				sg.Token = ""
				return sendReq(t, signedPut(t, evil, nil, sg))
			},
		},
		{
			name: "valid session token, signed with the long-term key", status: 400, code: "InvalidToken",
			why: "the token does not belong to the signing key (zonal's choice; AWS's answer is UNVERIFIED — reference §3.6 step 2)",
			send: func(t *testing.T) rawResp {
				sg := rootSigning(srv)
				sg.Token = aws.ToString(rwA.SessionToken)
				return sendReq(t, signedPut(t, evil, nil, sg))
			},
		},
		{
			name: "presigned PUT with an unsigned x-amz-meta-evil header", status: 403, code: "AccessDenied",
			msg: "There were headers present in the request which were not signed",
			why: "S3 requires x-amz-* headers sent with a presigned URL to be signed",
			send: func(t *testing.T) rawResp {
				req := newRawRequest(t, srv, http.MethodPut, bA, key, evil)
				u := sessionSigner(rwA).Presign(req, time.Minute, time.Now())
				p, _ := http.NewRequest(http.MethodPut, u, bytes.NewReader(evil))
				p.Header.Set("X-Amz-Meta-Evil", "1")
				return sendReq(t, p)
			},
		},
		{
			name: "presigned PUT with an unsigned x-amz-copy-source header (turns an upload into a server-side copy)", status: 403, code: "AccessDenied",
			msg: "There were headers present in the request which were not signed",
			why: "as above; accepting it lets a presigned-URL holder copy any object the signer can read onto the key",
			send: func(t *testing.T) rawResp {
				req := newRawRequest(t, srv, http.MethodPut, bA, key, nil)
				u := rootSigner.Presign(req, time.Minute, time.Now())
				p, _ := http.NewRequest(http.MethodPut, u, nil)
				p.Body, p.ContentLength = http.NoBody, 0
				p.Header.Set("X-Amz-Copy-Source", "/"+bB+"/"+secretKey)
				return sendReq(t, p)
			},
		},
		{
			// Not a refusal: zonal accepts any region in the credential
			// scope, because SDKs sign with the client's configured region
			// and a local server has no region of its own to insist on.
			// AWS would answer 400 AuthorizationHeaderMalformed "the region
			// 'eu-west-1' is wrong; expecting 'us-east-1'". The signature
			// itself is still checked (with the scope's region).
			name: "wrong region in the scope (eu-west-1) is ACCEPTED by design", status: 200,
			why: "documented deviation: SDKs sign with the client's region",
			send: func(t *testing.T) rawResp {
				sg := sessionSigning(rwA)
				sg.Region = "eu-west-1"
				r := doRaw(t, srv, rawReq{Method: http.MethodGet, Path: objectPath(bA, key)}, sg)
				if r.Status == 200 && !bytes.Equal(r.Body, content) {
					t.Errorf("GET with a eu-west-1 scope: body %q", r.Body)
				}
				return r
			},
		},
	}

	var table []string
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			r := row.send(t)
			got := fmt.Sprintf("%d %s", r.Status, r.Code())
			if r.Err != nil && r.Err.Message != "" {
				got += fmt.Sprintf(" %q", r.Err.Message)
			}
			want := fmt.Sprintf("%d %s", row.status, row.code)
			table = append(table, fmt.Sprintf("%-100s want %-40s got %s", row.name, want, got))
			if r.Status != row.status || r.Code() != row.code {
				t.Errorf("want HTTP %d %s (%s); got %s", row.status, row.code, row.why, r)
			} else if row.msg != "" && (r.Err == nil || !strings.Contains(r.Err.Message, row.msg)) {
				t.Errorf("want a message containing %q (%s); got %s", row.msg, row.why, r)
			}
			if row.code != "" {
				wantS3XMLError(t, row.name, r)
				if bytes.Contains(r.Body, content) {
					t.Errorf("the error response leaks the object's content")
				}
			}
			if after := snapshot(t, c, bA, key); !sameState(before, after) {
				t.Errorf("the request changed the target object:\n  before %s\n  after  %s", before, after)
				// Put it back so the next rows start from a known state.
				mustPut(t, c, bA, key, content)
				before = snapshot(t, c, bA, key)
			}
		})
	}
	t.Logf("forged-request table (expected vs got):\n  %s", strings.Join(table, "\n  "))
}

// TestForgedRequestsOtherAccount: credentials of another account (a second
// account declared in the config file of a dedicated server) get nothing
// of the first account's bucket: not with its session token, not with its
// long-term key, not by asking CreateSession for it.
func TestForgedRequestsOtherAccount(t *testing.T) {
	t.Parallel()
	const (
		acctB = "222233334444"
		akB   = "AKIAZONALFORGEDB0001"
		skB   = "zonalForgedAccountBSecret000000000000001"
	)
	cfg := filepath.Join(t.TempDir(), "zonal.yaml")
	doc := fmt.Sprintf("accounts:\n  - id: %q\n    root_access_key_id: %s\n    root_secret_access_key: %s\n", acctB, akB, skB)
	if err := os.WriteFile(cfg, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, serverOpts{Name: "forged-accounts", ExtraArgs: []string{"--config", cfg}})
	cA, _ := newClient(t, srv)
	cB, _ := newClientWithKeys(t, srv, akB, skB)
	bA := mustCreateBucket(t, cA, "acct-a")
	bB := mustCreateBucket(t, cB, "acct-b")
	const key = "secret.txt"
	content := []byte("account A's object\n")
	mustPut(t, cA, bA, key, content)
	before := snapshot(t, cA, bA, key)
	rwB := createSession(t, cB, bB, "")
	evil := []byte("written by account B")

	put := func(sg *signing) rawResp {
		return doRaw(t, srv, rawReq{Method: http.MethodPut, Path: objectPath(bA, key), Body: evil}, sg)
	}
	check := func(what string, r rawResp) {
		t.Helper()
		wantRaw(t, what, r, 403, "AccessDenied")
		wantS3XMLError(t, what, r)
		t.Logf("%-70s want 403 AccessDenied  got %d %s", what, r.Status, r.Code())
		assertUnchanged(t, what, cA, bA, key, before)
	}
	check("account B's session token (for its own bucket) on account A's bucket", put(sessionSigning(rwB)))
	check("account B's long-term key writing account A's bucket", put(&signing{AccessKey: akB, SecretKey: skB}))
	r := doRaw(t, srv, rawReq{Method: http.MethodGet, Path: objectPath(bA, key)}, &signing{AccessKey: akB, SecretKey: skB})
	check("account B's long-term key reading account A's bucket", r)
	if bytes.Contains(r.Body, content) {
		t.Errorf("account B read account A's object")
	}
	check("account B's CreateSession on account A's bucket", doRaw(t, srv, rawReq{Method: http.MethodGet, Path: "/" + bA, Query: "session"}, &signing{AccessKey: akB, SecretKey: skB}))
}
