package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func trustClient(t *testing.T, certFile string) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("no certificate in", certFile)
	}
	return &http.Client{Transport: &http.Transport{Proxy: nil, ForceAttemptHTTP2: true,
		TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

// TestSelfSignedTLS: --tls-self-signed generates a certificate once, for
// the loopback names, localhost (and *.localhost) and s3.localhost (and
// *.s3.localhost); clients trusting the file speak HTTP/2 to it, and the Go
// SDK works over it, path style and virtual-hosted.
func TestSelfSignedTLS(t *testing.T) {
	dir := t.TempDir()
	endpoint, srv := startCfg(t, Config{Data: dir, TLSSelfSigned: true})
	if !strings.HasPrefix(endpoint, "https://") || srv.SelfSignedCert() != filepath.Join(dir, "tls", "cert.pem") {
		t.Fatalf("endpoint %s, cert %s", endpoint, srv.SelfSignedCert())
	}
	for _, name := range []string{"key.pem", "cert.pem"} {
		if fi, err := os.Stat(filepath.Join(dir, "tls", name)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", name, fi, err)
		}
	}
	certPEM, _ := os.ReadFile(srv.SelfSignedCert())
	hc := trustClient(t, srv.SelfSignedCert())

	resp, err := hc.Get(endpoint + HealthPath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Fatalf("protocol %s, want HTTP/2", resp.Proto)
	}
	leaf := resp.TLS.PeerCertificates[0]
	if leaf.PublicKeyAlgorithm != x509.ECDSA {
		t.Errorf("key algorithm %v", leaf.PublicKeyAlgorithm)
	}
	for _, name := range []string{"localhost", "bucket--use1-az4--x-s3.localhost", "127.0.0.1", "::1",
		"s3.localhost", "bucket--use1-az4--x-s3.s3.localhost"} {
		if err := leaf.VerifyHostname(name); err != nil {
			t.Errorf("certificate does not cover %s: %v", name, err)
		}
	}

	// The Go SDK over HTTPS: aws-chunked uploads with a trailer, over h2.
	ctx := context.Background()
	var sawChunked, sawH2 bool
	rec := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.Header.Get("X-Amz-Content-Sha256") == "STREAMING-UNSIGNED-PAYLOAD-TRAILER" {
			sawChunked = true
		}
		resp, err := hc.Transport.RoundTrip(r)
		if err == nil && resp.ProtoMajor == 2 {
			sawH2 = true
		}
		return resp, err
	})
	c := s3Client(t, endpoint, testAKID, testSecret, &http.Client{Transport: rec})
	bucket := "tls--use1-az4--x-s3"
	if err := createBucket(ctx, c, bucket); err != nil {
		t.Fatal(err)
	}
	body := bytes.Repeat([]byte("0123456789abcdef"), 70_000) // > 1 MiB
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("big"), Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("big")})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if !bytes.Equal(got, body) {
		t.Fatalf("read back %d bytes, want %d", len(got), len(body))
	}
	if !sawChunked || !sawH2 {
		t.Errorf("aws-chunked seen %v, HTTP/2 seen %v", sawChunked, sawH2)
	}

	// Virtual-hosted through *.localhost, dialling the server directly.
	addr := strings.TrimPrefix(endpoint, "https://")
	_, port, _ := net.SplitHostPort(addr)
	vh := hc.Transport.(*http.Transport).Clone()
	vh.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	for _, host := range []string{"localhost", SelfSignedHost} {
		vc := s3Client(t, "https://"+host+":"+port, testAKID, testSecret, &http.Client{Transport: vh})
		if _, err := vc.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("big")}); err != nil {
			t.Fatalf("virtual-hosted HeadObject over TLS via %s: %v", host, err)
		}
	}

	// A restart reuses the certificate.
	stop(srv)
	_, srv2 := startCfg(t, Config{Data: dir, TLSSelfSigned: true})
	again, _ := os.ReadFile(srv2.SelfSignedCert())
	if !bytes.Equal(certPEM, again) {
		t.Fatal("the self-signed certificate was regenerated on restart")
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestSelfSignedNames(t *testing.T) {
	now := time.Now()
	dir := t.TempDir()
	certFile, _, gen, err := ensureSelfSigned(dir, "127.0.0.1:9000", nil, now)
	if err != nil || !gen {
		t.Fatal(err, gen)
	}
	// Same names: reused. Another listen IP: regenerated to cover it.
	if _, _, gen, _ := ensureSelfSigned(dir, "127.0.0.1:9001", nil, now); gen {
		t.Error("regenerated for the same host")
	}
	if _, _, gen, _ := ensureSelfSigned(dir, "10.1.2.3:9000", nil, now); !gen {
		t.Error("not regenerated for a new listen IP")
	}
	pair, err := tls.LoadX509KeyPair(certFile, filepath.Join(dir, "key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(pair.Certificate[0])
	for _, n := range []string{"10.1.2.3", "127.0.0.1", "localhost"} {
		if leaf.VerifyHostname(n) != nil {
			t.Errorf("does not cover %s", n)
		}
	}
	// Close to expiry: regenerated.
	if _, _, gen, _ := ensureSelfSigned(dir, "10.1.2.3:9000", nil, now.Add(selfSignedValidity-time.Hour)); !gen {
		t.Error("not regenerated near expiry")
	}
	// A hostname listen address adds it and its subdomains.
	req, _ := certNames("zonal.internal:9000", nil)
	if !strings.Contains(strings.Join(req, " "), "zonal.internal *.zonal.internal") {
		t.Errorf("names for a host: %v", req)
	}
}

// strictlyCovers is how Node, curl and Python match a name: exactly, or by
// a wildcard in the first label that is not directly under a top-level
// name (they refuse *.localhost, which Go's VerifyHostname accepts).
func strictlyCovers(c *x509.Certificate, host string) bool {
	if ip := net.ParseIP(host); ip != nil {
		return slices.ContainsFunc(c.IPAddresses, ip.Equal)
	}
	_, parent, _ := strings.Cut(host, ".")
	for _, n := range c.DNSNames {
		if n == host || strings.HasPrefix(n, "*.") && n[2:] == parent && strings.Contains(parent, ".") {
			return true
		}
	}
	return false
}

func readLeaf(t *testing.T, certFile string) *x509.Certificate {
	t.Helper()
	p, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(p)
	if block == nil {
		t.Fatal("no PEM block in", certFile)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSelfSignedBucketHosts: the certificate covers virtual-hosted bucket
// hosts the way clients other than Go check them, under s3.localhost and
// under every configured hostname; a certificate from before (loopback and
// *.localhost only) or one missing a hostname is replaced on start.
func TestSelfSignedBucketHosts(t *testing.T) {
	now := time.Now()
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	// What zonal generated before: *.localhost was the only bucket wildcard.
	oldCert, oldKey, err := generateSelfSigned([]string{"localhost", "*.localhost", "127.0.0.1", "::1"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, oldKey, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, oldCert, 0o644); err != nil {
		t.Fatal(err)
	}
	if strictlyCovers(readLeaf(t, certFile), "b--use1-az4--x-s3.localhost") {
		t.Fatal("strictlyCovers accepts a wildcard under a top-level name")
	}

	if _, _, gen, err := ensureSelfSigned(dir, "127.0.0.1:9000", nil, now); err != nil || !gen {
		t.Fatalf("an old certificate without s3.localhost was kept (generated %v, err %v)", gen, err)
	}
	leaf := readLeaf(t, certFile)
	for _, h := range []string{"s3.localhost", "b--use1-az4--x-s3.s3.localhost", "localhost", "127.0.0.1", "::1"} {
		if !strictlyCovers(leaf, h) {
			t.Errorf("does not cover %s for clients other than Go (names %v %v)", h, leaf.DNSNames, leaf.IPAddresses)
		}
	}

	hosts := []string{"zonal.example.internal", "S3.Lan.", "10.9.8.7"}
	if _, _, gen, _ := ensureSelfSigned(dir, "127.0.0.1:9000", hosts, now); !gen {
		t.Fatal("not regenerated for new hostnames")
	}
	leaf = readLeaf(t, certFile)
	for _, h := range []string{"zonal.example.internal", "b--use1-az4--x-s3.zonal.example.internal",
		"s3.lan", "b--use1-az4--x-s3.s3.lan", "10.9.8.7", "b--use1-az4--x-s3.s3.localhost"} {
		if !strictlyCovers(leaf, h) {
			t.Errorf("does not cover %s (names %v %v)", h, leaf.DNSNames, leaf.IPAddresses)
		}
	}
	if _, _, gen, _ := ensureSelfSigned(dir, "127.0.0.1:9000", hosts[:1], now); gen {
		t.Error("regenerated although every name is covered")
	}
}

// TestTLSReload: a reload serves the new certificate to new connections
// while open connections keep working; a bad file keeps the old one.
func TestTLSReload(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writePair := func(c, k []byte) {
		if err := os.WriteFile(certFile, c, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(keyFile, k, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	certA, keyA, err := generateSelfSigned([]string{"127.0.0.1"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	certB, keyB, _ := generateSelfSigned([]string{"127.0.0.1"}, time.Now())
	writePair(certA, keyA)

	var logs syncBuffer
	endpoint, srv := startCfg(t, Config{TLSCert: certFile, TLSKey: keyFile,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certA)
	pool.AppendCertsFromPEM(certB)
	newClient := func() *http.Client {
		return &http.Client{Transport: &http.Transport{Proxy: nil, ForceAttemptHTTP2: true, TLSClientConfig: &tls.Config{RootCAs: pool}}}
	}
	serial := func(c *http.Client) string {
		t.Helper()
		resp, err := c.Get(endpoint + HealthPath)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.TLS.PeerCertificates[0].SerialNumber.String()
	}
	serialOf := func(p []byte) string {
		block, _ := pem.Decode(p)
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		return c.SerialNumber.String()
	}
	old := newClient()
	if got := serial(old); got != serialOf(certA) {
		t.Fatalf("first certificate %s", got)
	}

	writePair(certB, keyB)
	if err := srv.ReloadTLS(); err != nil {
		t.Fatal(err)
	}
	if got := serial(newClient()); got != serialOf(certB) {
		t.Fatalf("after reload a new connection got %s, want %s", got, serialOf(certB))
	}
	if got := serial(old); got != serialOf(certA) {
		t.Fatalf("the open connection was replaced (serial %s)", got)
	}

	writePair([]byte("not a certificate"), keyB)
	if err := srv.ReloadTLS(); err == nil {
		t.Fatal("reload of a bad file succeeded")
	}
	if got := serial(newClient()); got != serialOf(certB) {
		t.Fatalf("after a failed reload: %s", got)
	}
	text := logs.String()
	if !strings.Contains(text, "TLS certificate reloaded") || !strings.Contains(text, "TLS reload failed; still serving the previous certificate") {
		t.Fatalf("reload outcomes not logged:\n%s", text)
	}
}

// TestSelfSignedHostnames: the certificate a server makes covers each
// configured hostname and its bucket subdomains.
func TestSelfSignedHostnames(t *testing.T) {
	dir := t.TempDir()
	_, srv := startCfg(t, Config{Data: dir, TLSSelfSigned: true, Hostnames: []string{"zonal.example.internal"}})
	pemBytes, err := os.ReadFile(srv.SelfSignedCert())
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		t.Fatal("no PEM block in the certificate file")
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"zonal.example.internal", "b--use1-az4--x-s3.zonal.example.internal", "s3.localhost"} {
		if err := leaf.VerifyHostname(name); err != nil {
			t.Errorf("certificate does not cover %s: %v", name, err)
		}
	}
}
