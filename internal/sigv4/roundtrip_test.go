package sigv4

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

var (
	t0      = time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC)
	secrets = map[string]string{"AKID": "SECRET/with+chars", "SESSIONAKID": "SESSIONSECRET"}
)

func newSigner() *Signer {
	return &Signer{AccessKeyID: "AKID", SecretAccessKey: secrets["AKID"], Region: "us-west-2", Service: "s3express"}
}

// clientReq builds an outgoing request; rawURL's path is sent as written.
func clientReq(t testing.TB, method, rawURL string, body []byte) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	r, err := http.NewRequest(method, rawURL, rd)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// toWire serialises a client request as net/http sends it and reads it back
// as the server sees it.
func toWire(t testing.TB, r *http.Request) *http.Request {
	t.Helper()
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		t.Fatal(err)
	}
	sr, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		t.Fatal(err)
	}
	return sr
}

// check parses and verifies a server-side request with the secret of the
// access key it claims.
func check(r *http.Request, now time.Time) error {
	a, err := Parse(r)
	if err != nil {
		return err
	}
	return a.Verify(r, SigningKey(secrets[a.AccessKeyID], a.Date, a.Region, a.Service), now)
}

// setTarget changes the request target of a server-side request.
func setTarget(t testing.TB, r *http.Request, target string) {
	t.Helper()
	u, err := url.ParseRequestURI(target)
	if err != nil {
		t.Fatal(err)
	}
	r.RequestURI, r.URL = target, u
}

func TestRoundTripPaths(t *testing.T) {
	paths := []string{
		"/", "/bucket", "/bucket/key", "/bucket//key", "/bucket//", "/bucket/dir/",
		EncodePath("/bucket/a b  c.txt"),
		EncodePath("/bucket/unicodé/日本/ключ"),
		EncodePath("/bucket/a+b=c&d$e@f:g,h;i"),
		EncodePath("/bucket/100%2Fpercent"), // the key contains "%2F"
		"/bucket/a%2Fb",                     // a client that escaped '/'
		"/bucket/a+b",                       // '+' sent raw, signed raw
		"/bucket/a$b",                       // '$' sent raw, signed raw
		EncodePath("/bucket/~tilde!*'()"),
		EncodePath("/bucket/" + string([]byte{0x01, 0x7f, 0xff})),
	}
	queries := []string{"", "x-id=PutObject", "session", "session=", "list-type=2&prefix=a%20b&delimiter=%2F",
		"b=2&a=1&a=0", "prefix=a+b", "k=%7e%2a", "encoding-type=url&prefix=" + EncodeQuery("日本/ x")}
	for _, p := range paths {
		for _, q := range queries {
			u := "http://127.0.0.1:9000" + p
			if q != "" {
				u += "?" + q
			}
			body := []byte("payload for " + u)
			r := clientReq(t, "PUT", u, body)
			r.Header.Set("X-Amz-Meta-Spaces", "  a   b  ")
			r.Header.Add("X-Amz-Meta-Multi", "one")
			r.Header.Add("X-Amz-Meta-Multi", "two")
			r.Header.Set("Content-Type", "text/plain")
			newSigner().Sign(r, HashPayload(body), t0)
			sr := toWire(t, r)
			if err := check(sr, t0.Add(time.Minute)); err != nil {
				t.Errorf("%s: %v", u, err)
			}
		}
	}
}

// The path is taken from the request line, not from Go's re-escaping of the
// decoded URL: "%41" and "%7e" are not what url.URL.EscapedPath would give.
func TestRawPathExactlyAsSent(t *testing.T) {
	for _, target := range []string{"/bucket/%41b", "/bucket/x%7ey", "/bucket/a%2fb", "/bucket/%E6%97%A5"} {
		r := httptest.NewRequest("GET", "http://h"+target, nil)
		if r.URL.EscapedPath() == target {
			t.Logf("%s: EscapedPath keeps it", target)
		}
		newSigner().Sign(r, "", t0) // signs requestPath(r) = RequestURI's path
		if err := check(r, t0); err != nil {
			t.Errorf("%s: %v", target, err)
		}
	}
}

func TestRoundTripOverHTTP(t *testing.T) {
	var got []error
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := check(r, time.Now())
		if err == nil {
			var a *Auth
			a, _ = Parse(r)
			var p *Payload
			if p, err = a.Body(r, SigningKey(secrets[a.AccessKeyID], a.Date, a.Region, a.Service)); err == nil {
				_, err = io.Copy(io.Discard, p)
			}
		}
		got = append(got, err)
	}))
	defer srv.Close()
	for _, p := range []string{"/b//k", EncodePath("/b/sp ace/+/日本/%2F"), "/b/a+b", "/b?session"} {
		body := []byte("hello")
		r := clientReq(t, "PUT", srv.URL+p, body)
		newSigner().Sign(r, HashPayload(body), time.Now())
		resp, err := srv.Client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	for i, err := range got {
		if err != nil {
			t.Errorf("request %d: %v", i, err)
		}
	}
	if len(got) != 4 {
		t.Fatalf("%d requests", len(got))
	}
}

func TestTamper(t *testing.T) {
	body := []byte("the payload")
	build := func() *http.Request {
		r := clientReq(t, "PUT", "http://bucket.example:9000/dir/key?partNumber=1&uploadId=abc", body)
		r.Header.Set("X-Amz-Meta-A", "value")
		r.Header.Set("Content-Type", "text/plain")
		s := newSigner()
		s.SessionToken = "TOKEN"
		s.Sign(r, HashPayload(body), t0)
		return toWire(t, r)
	}
	now := t0.Add(2 * time.Minute)
	if err := check(build(), now); err != nil {
		t.Fatalf("untampered: %v", err)
	}
	otherKey := func(secret, date, region, service string) func(*http.Request) []byte {
		return func(*http.Request) []byte { return SigningKey(secret, date, region, service) }
	}
	tests := []struct {
		name   string
		tamper func(r *http.Request)
		key    func(r *http.Request) []byte // nil: the claimed key
	}{
		{"method", func(r *http.Request) { r.Method = "POST" }, nil},
		{"path", func(r *http.Request) { setTarget(t, r, "/dir/kez?partNumber=1&uploadId=abc") }, nil},
		{"path extra slash", func(r *http.Request) { setTarget(t, r, "/dir//key?partNumber=1&uploadId=abc") }, nil},
		{"query value", func(r *http.Request) { setTarget(t, r, "/dir/key?partNumber=2&uploadId=abc") }, nil},
		{"query added", func(r *http.Request) { setTarget(t, r, "/dir/key?partNumber=1&uploadId=abc&x=1") }, nil},
		{"query removed", func(r *http.Request) { setTarget(t, r, "/dir/key?partNumber=1") }, nil},
		{"signed header", func(r *http.Request) { r.Header.Set("X-Amz-Meta-A", "other") }, nil},
		{"signed header added value", func(r *http.Request) { r.Header.Add("X-Amz-Meta-A", "more") }, nil},
		{"signed header removed", func(r *http.Request) { r.Header.Del("Content-Type") }, nil},
		{"host", func(r *http.Request) { r.Host = "other.example:9000" }, nil},
		{"session token", func(r *http.Request) { r.Header.Set("X-Amz-S3session-Token", "TOKEN2") }, nil},
		{"claimed region", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/us-west-2/", "/us-east-1/", 1))
		}, nil},
		{"claimed service", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/s3express/", "/s3/", 1))
		}, nil},
		{"region key", func(*http.Request) {}, otherKey(secrets["AKID"], "20250607", "us-east-1", "s3express")},
		{"date key", func(*http.Request) {}, otherKey(secrets["AKID"], "20250608", "us-west-2", "s3express")},
		{"service key", func(*http.Request) {}, otherKey(secrets["AKID"], "20250607", "us-west-2", "s3")},
		{"secret", func(*http.Request) {}, otherKey("SECRET2", "20250607", "us-west-2", "s3express")},
		{"time", func(r *http.Request) { r.Header.Set("X-Amz-Date", "20250607T080911Z") }, nil},
		{"payload hash", func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", HashPayload([]byte("other"))) }, nil},
		{"payload unsigned", func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", UnsignedPayload) }, nil},
		{"signature", func(r *http.Request) {
			h := r.Header.Get("Authorization")
			r.Header.Set("Authorization", h[:len(h)-1]+string("01"[(h[len(h)-1]-'0'+1)%2]))
		}, nil},
		{"signature not hex", func(r *http.Request) {
			h := r.Header.Get("Authorization")
			i := strings.LastIndex(h, "=")
			r.Header.Set("Authorization", h[:i+1]+strings.Repeat("Z", 64))
		}, nil},
		{"signature short", func(r *http.Request) {
			h := r.Header.Get("Authorization")
			r.Header.Set("Authorization", h[:len(h)-2])
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := build()
			tc.tamper(r)
			a, err := Parse(r)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			key := SigningKey(secrets[a.AccessKeyID], a.Date, a.Region, a.Service)
			if tc.key != nil {
				key = tc.key(r)
			}
			err = a.Verify(r, key, now)
			wantCode(t, err, "SignatureDoesNotMatch")
		})
	}

	// Unsigned ordinary headers are tolerated; unsigned x-amz-* headers
	// are not (they could change what the request does).
	r := build()
	r.Header.Set("User-Agent", "changed")
	if err := check(r, now); err != nil {
		t.Fatalf("unsigned ordinary header: %v", err)
	}
	r = build()
	r.Header.Set("X-Amz-Meta-Unsigned", "x")
	r.Header.Set("X-Amz-Copy-Source", "/other/key")
	err := check(r, now)
	wantCode(t, err, "AccessDenied")
	if e := asError(t, err); e.Value != "x-amz-copy-source, x-amz-meta-unsigned" {
		t.Fatalf("HeadersNotSigned: %+v", e.Value)
	}
	// Upper-case hex in the signature is accepted.
	r = build()
	h := r.Header.Get("Authorization")
	r.Header.Set("Authorization", h[:len(h)-64]+strings.ToUpper(h[len(h)-64:]))
	if err := check(r, now); err != nil {
		t.Fatalf("upper-case signature: %v", err)
	}
}

func TestSignatureMismatchDetails(t *testing.T) {
	r := clientReq(t, "GET", "http://h/b/k?a=1", nil)
	newSigner().Sign(r, "", t0)
	sr := toWire(t, r)
	sr.Method = "DELETE"
	err := check(sr, t0)
	e := asError(t, err)
	fields := map[string]string{"AWSAccessKeyId": e.AccessKeyID, "CanonicalRequest": e.CanonicalRequest,
		"StringToSign": e.StringToSign, "SignatureProvided": e.Signature}
	if e.Kind != BadSignature || fields["AWSAccessKeyId"] != "AKID" || !strings.HasPrefix(fields["CanonicalRequest"], "DELETE\n/b/k\na=1\n") ||
		!strings.HasPrefix(fields["StringToSign"], "AWS4-HMAC-SHA256\n20250607T080910Z\n20250607/us-west-2/s3express/aws4_request\n") ||
		len(fields["SignatureProvided"]) != 64 {
		t.Fatalf("extras %q", fields)
	}
}

func TestUnsignedSensitiveHeaders(t *testing.T) {
	// Host must be signed.
	r := parseReq("AWS4-HMAC-SHA256 Credential=AKID/20250607/us-west-2/s3express/aws4_request, SignedHeaders=x-amz-content-sha256;x-amz-date, Signature="+goodSig,
		"", "X-Amz-Date: 20250607T080910Z", "X-Amz-Content-Sha256: "+EmptySHA256)
	err := check(r, t0)
	wantCode(t, err, "AccessDenied")
	if e := asError(t, err); e.Value != "host" ||
		e.Message != "There were headers present in the request which were not signed" {
		t.Fatalf("%v %v", e, e.Value)
	}
	// A session token header that the signature does not cover.
	for _, h := range []string{"X-Amz-S3session-Token", "X-Amz-Security-Token"} {
		c := clientReq(t, "GET", "http://h/b/k", nil)
		newSigner().Sign(c, "", t0)
		sr := toWire(t, c)
		sr.Header.Set(h, "TOKEN")
		err := check(sr, t0)
		wantCode(t, err, "AccessDenied")
		if e := asError(t, err); e.Value != strings.ToLower(h) {
			t.Fatalf("%v", e.Value)
		}
	}
	// Presigned: the token in the query is covered by the canonical query;
	// the same token as an unsigned header is refused.
	c := clientReq(t, "GET", "http://h/b/k", nil)
	s := newSigner()
	s.SessionToken = "TOKEN"
	s.Presign(c, time.Hour, t0)
	sr := toWire(t, c)
	if err := check(sr, t0); err != nil {
		t.Fatal(err)
	}
	sr.Header.Set("X-Amz-S3session-Token", "TOKEN")
	wantCode(t, check(sr, t0), "AccessDenied")
}

func TestClockSkew(t *testing.T) {
	r := clientReq(t, "GET", "http://h/b/k", nil)
	newSigner().Sign(r, "", t0)
	sr := toWire(t, r)
	for _, tc := range []struct {
		d    time.Duration
		code string
	}{
		{0, ""}, {15 * time.Minute, ""}, {-15 * time.Minute, ""},
		{15*time.Minute + time.Second, "RequestTimeTooSkewed"}, {-15*time.Minute - time.Second, "RequestTimeTooSkewed"},
		{24 * time.Hour, "RequestTimeTooSkewed"},
	} {
		err := check(sr, t0.Add(tc.d))
		wantCode(t, err, tc.code)
		if tc.code == "" {
			continue
		}
		// S3's RequestTime, ServerTime and MaxAllowedSkewMilliseconds
		// come from these (s3api's TestSigV4ErrorsOnTheWire).
		e := asError(t, err)
		if !e.Time.Equal(t0) || !e.Now.Equal(t0.Add(tc.d)) || e.Message != "" {
			t.Fatalf("%v: %v %+v", tc.d, e, e)
		}
	}
}

func TestPresign(t *testing.T) {
	r := clientReq(t, "GET", "http://bucket.h:9000/dir/"+EncodePath("key with space+plus")+"?x-id=GetObject", nil)
	s := newSigner()
	s.SessionToken = "SESSION TOKEN/+="
	u := s.Presign(r, time.Hour, t0)
	if !strings.Contains(u, "X-Amz-S3session-Token=SESSION%20TOKEN%2F%2B%3D") || !strings.Contains(u, "X-Amz-Expires=3600") {
		t.Fatalf("url %s", u)
	}
	sr := toWire(t, r)
	a := mustParse(t, sr)
	if a.SessionToken != "SESSION TOKEN/+=" || !a.Presigned {
		t.Fatalf("%+v", a)
	}
	for _, tc := range []struct {
		d    time.Duration
		code string
	}{
		{0, ""}, {time.Hour, ""}, {-15 * time.Minute, ""},
		{time.Hour + time.Second, "AccessDenied"},
		{-15*time.Minute - time.Second, "RequestTimeTooSkewed"},
	} {
		err := check(sr, t0.Add(tc.d))
		wantCode(t, err, tc.code)
		if tc.code == "AccessDenied" {
			e := asError(t, err)
			if e.Message != "Request has expired" || e.Expires != time.Hour || !e.Time.Equal(t0) ||
				!e.Now.Equal(t0.Add(time.Hour+time.Second)) {
				t.Fatalf("%v %+v", e, e)
			}
		}
	}
	// Tampering with any parameter, the path or the host breaks it.
	for _, mod := range []func(r *http.Request){
		func(r *http.Request) {
			setTarget(t, r, strings.Replace(r.RequestURI, "X-Amz-Expires=3600", "X-Amz-Expires=3601", 1))
		},
		func(r *http.Request) {
			setTarget(t, r, strings.Replace(r.RequestURI, "x-id=GetObject", "x-id=PutObject", 1))
		},
		func(r *http.Request) { setTarget(t, r, strings.Replace(r.RequestURI, "TOKEN", "T0KEN", 1)) },
		func(r *http.Request) { setTarget(t, r, strings.Replace(r.RequestURI, "/dir/", "/Dir/", 1)) },
		func(r *http.Request) { setTarget(t, r, r.RequestURI+"&added=1") },
		func(r *http.Request) { r.Host = "other.h:9000" },
		func(r *http.Request) { r.Method = "PUT" },
	} {
		sr := toWire(t, r)
		mod(sr)
		wantCode(t, check(sr, t0), "SignatureDoesNotMatch")
	}
}

// A presigned PUT may carry a payload hash header; it is then what is signed.
func TestPresignWithPayloadHeader(t *testing.T) {
	body := []byte("x")
	r := clientReq(t, "PUT", "http://h/b/k", body)
	r.Header.Set("X-Amz-Content-Sha256", HashPayload(body))
	newSigner().Presign(r, time.Minute, t0)
	sr := toWire(t, r)
	if err := check(sr, t0); err != nil {
		t.Fatal(err)
	}
	sr.Header.Set("X-Amz-Content-Sha256", UnsignedPayload)
	wantCode(t, check(sr, t0), "SignatureDoesNotMatch")
}

func TestCanonicalQuery(t *testing.T) {
	for raw, want := range map[string]string{
		"":                        "",
		"b=2&a=1":                 "a=1&b=2",
		"a=2&a=1&a=10":            "a=1&a=10&a=2",
		"session":                 "session=",
		"session=":                "session=",
		"a=b+c&d=e%20f":           "a=b%20c&d=e%20f",
		"k=%7e%2a%2f":             "k=~%2A%2F",
		"k=~*/":                   "k=~%2A%2F",
		"%41=%62":                 "A=b",
		"k=%zz":                   "k=%25zz",
		"x&&y=&":                  "x=&y=",
		"prefix=%E6%97%A5":        "prefix=%E6%97%A5",
		"X-Amz-Signature=s&a=1":   "X-Amz-Signature=s&a=1",
		"delimiter=%2F&prefix=":   "delimiter=%2F&prefix=",
		"Param2=value2&Param1=v1": "Param1=v1&Param2=value2",
	} {
		if got := string(appendCanonicalQuery(nil, raw, false)); got != want {
			t.Errorf("%q: got %q want %q", raw, got, want)
		}
	}
	if got := string(appendCanonicalQuery(nil, "X-Amz-Signature=s&a=1", true)); got != "a=1" {
		t.Errorf("presigned: %q", got)
	}
}

func TestCanonicalPath(t *testing.T) {
	for raw, want := range map[string]string{
		"/test$file.text": "/test%24file.text",
		"/a%2fb":          "/a/b",
		"/a b":            "/a%20b",
		"/a+b":            "/a%2Bb",
		"//x//":           "//x//",
		"/%7e":            "/~",
	} {
		if got, ok := canonicalPath(raw); !ok || got != want {
			t.Errorf("%q: got %q %v want %q", raw, got, ok, want)
		}
	}
	if _, ok := canonicalPath("/a%zz"); ok {
		t.Error("invalid escape accepted")
	}
}

func TestHeaderCanonicalisation(t *testing.T) {
	h := http.Header{"X-Amz-Meta-A": {"  a   b  ", "\tc "}, "weird key": {"w"}}
	r := &http.Request{Method: "GET", URL: &url.URL{Path: "/"}, Host: " h ", Header: h, TransferEncoding: []string{"chunked"}}
	a := &Auth{SignedHeaders: []string{"host", "transfer-encoding", "weird key", "x-amz-meta-a", "x-amz-missing"}, PayloadHash: "P"}
	got := string(a.appendCanonicalRequest(nil, r, "/"))
	want := "GET\n/\n\nhost:h\ntransfer-encoding:chunked\nweird key:w\nx-amz-meta-a:a b,c\nx-amz-missing:\n\nhost;transfer-encoding;weird key;x-amz-meta-a;x-amz-missing\nP"
	if got != want {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
}

func TestRequestPath(t *testing.T) {
	for uri, want := range map[string]string{
		"/a//b?x=1":              "/a//b",
		"/":                      "/",
		"?x=1":                   "/",
		"http://host/a%20b?x=/y": "/a%20b",
		"http://host":            "/",
		"http://host?x=/y":       "/",
	} {
		r := &http.Request{RequestURI: uri, URL: &url.URL{Path: "/fallback"}}
		if got := requestPath(r); got != want {
			t.Errorf("%q: %q want %q", uri, got, want)
		}
	}
	r := &http.Request{URL: &url.URL{Path: "/a b", RawPath: "/a%20b"}}
	if got := requestPath(r); got != "/a%20b" {
		t.Errorf("client side: %q", got)
	}
	if got := requestPath(&http.Request{URL: &url.URL{}}); got != "/" {
		t.Errorf("empty: %q", got)
	}
}

func TestHMAC(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, kl := range []int{0, 1, 32, 63, 64, 65, 100, 200} {
		for _, ml := range []int{0, 1, 55, 64, 127, 128, 129, 1000} {
			key := make([]byte, kl)
			msg := make([]byte, ml)
			for i := range key {
				key[i] = byte(rng.Uint32())
			}
			for i := range msg {
				msg[i] = byte(rng.Uint32())
			}
			m := hmac.New(sha256.New, key)
			m.Write(msg)
			want := m.Sum(nil)
			got := hmacString(key, string(msg))
			if !bytes.Equal(got[:], want) {
				t.Fatalf("key %d msg %d: mismatch", kl, ml)
			}
		}
	}
}

// SigningKey against the derivation example in the SigV4 documentation.
func TestSigningKey(t *testing.T) {
	k := SigningKey(suiteSecret, "20150830", "us-east-1", "iam")
	const want = "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
	if got := string(appendHex(nil, k)); got != want {
		t.Fatalf("got %s", got)
	}
	s := newSigner()
	if !bytes.Equal(s.SigningKey(t0), SigningKey(secrets["AKID"], "20250607", "us-west-2", "s3express")) ||
		&s.SigningKey(t0)[0] != &s.SigningKey(t0.Add(time.Hour))[0] {
		t.Fatal("Signer key cache")
	}
}
