package server

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/zonal-dev/zonal/internal/netpeer"
)

// forwarding is a client transport that adds what a proxy would.
type forwarding struct{ xff, proto string }

func (f forwarding) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if f.xff != "" {
		r.Header.Set("X-Forwarded-For", f.xff)
	}
	if f.proto != "" {
		r.Header.Set("X-Forwarded-Proto", f.proto)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestTrustedProxy: with --trusted-proxy 127.0.0.1 the client address a
// proxy forwards is the one policies (aws:SourceIp), aws:SecureTransport
// and the access log see; without it the same headers change nothing.
func TestTrustedProxy(t *testing.T) {
	ctx := context.Background()
	var logs syncBuffer
	trusted, _ := netpeer.ParseProxies([]string{"127.0.0.1"})
	endpoint, _ := startCfg(t, Config{TrustedProxies: trusted, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	untrustedEndpoint, _ := startCfg(t, Config{})
	const bucket = "proxied--use1-az4--x-s3"
	for _, ep := range []string{endpoint, untrustedEndpoint} {
		root := s3Client(t, ep, testAKID, testSecret, nil)
		if err := createBucket(ctx, root, bucket); err != nil {
			t.Fatal(err)
		}
		// Refuse sessions from 198.51.100.0/24 and over plain HTTP.
		doc := `{"Version":"2012-10-17","Statement":[` +
			`{"Sid":"NoBadNet","Effect":"Deny","Principal":"*","Action":"s3express:CreateSession","Resource":"arn:aws:s3express:us-east-1:000000000000:bucket/` + bucket + `","Condition":{"IpAddress":{"aws:SourceIp":"198.51.100.0/24"}}},` +
			`{"Sid":"TLSOnlyForZ","Effect":"Deny","Principal":"*","Action":"s3express:CreateSession","Resource":"arn:aws:s3express:us-east-1:000000000000:bucket/` + bucket + `","Condition":{"Bool":{"aws:SecureTransport":"false"},"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}]}`
		if _, err := root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(doc)}); err != nil {
			t.Fatal(err)
		}
	}
	put := func(ep string, f forwarding) error {
		c := s3Client(t, ep, testAKID, testSecret, &http.Client{Transport: f})
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: strings.NewReader("x")})
		return err
	}
	if err := put(endpoint, forwarding{xff: "198.51.100.7"}); apiCode(err) != "AccessDenied" {
		t.Errorf("a client in the denied network through a trusted proxy: %v, want AccessDenied", err)
	}
	if err := put(endpoint, forwarding{xff: "198.51.100.7, 192.0.2.1"}); err != nil {
		t.Errorf("the nearest untrusted hop is outside the denied network: %v", err)
	}
	if err := put(endpoint, forwarding{xff: "203.0.113.5"}); apiCode(err) != "AccessDenied" {
		t.Errorf("plain HTTP from 203.0.113.5: %v, want AccessDenied", err)
	}
	if err := put(endpoint, forwarding{xff: "203.0.113.5", proto: "https"}); err != nil {
		t.Errorf("TLS ended at the trusted proxy: %v", err)
	}
	if !strings.Contains(logs.String(), "remote=198.51.100.7") {
		t.Errorf("the access log does not name the forwarded client:\n%.2000s", logs.String())
	}
	if err := put(untrustedEndpoint, forwarding{xff: "198.51.100.7"}); err != nil {
		t.Errorf("forwarding headers believed without --trusted-proxy: %v", err)
	}
}
