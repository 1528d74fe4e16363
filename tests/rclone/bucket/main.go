// Command bucket creates, deletes or checks a directory bucket with the
// stock aws-sdk-go-v2 S3 client, for the rclone suite: rclone with
// directory_bucket=true never creates buckets (its mkdir of a bucket sends
// nothing), so a user would create one with an SDK or the AWS CLI first.
//
//	go run ./tests/rclone/bucket create|delete|check NAME
//
// It reads the endpoint from ZONAL_ENDPOINT, the keys from
// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and trusts the PEM file in
// ZONAL_CA_CERT (if set) for HTTPS.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "bucket:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 2 {
		return errors.New("usage: bucket create|delete|check NAME")
	}
	verb, name := args[0], args[1]
	endpoint := os.Getenv("ZONAL_ENDPOINT")
	if endpoint == "" {
		return errors.New("ZONAL_ENDPOINT is not set")
	}
	tr := &http.Transport{Proxy: nil, ForceAttemptHTTP2: true}
	if ca := os.Getenv("ZONAL_CA_CERT"); ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("no certificate in %s", ca)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	os.Unsetenv("AWS_CA_BUNDLE") // we pass our own HTTP client
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"),
		config.WithHTTPClient(&http.Client{Transport: tr}))
	if err != nil {
		return err
	}
	c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint = aws.String(endpoint) })
	zone := ""
	if parts := strings.Split(name, "--"); len(parts) == 3 && parts[2] == "x-s3" {
		zone = parts[1]
	}
	switch verb {
	case "create":
		_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name),
			CreateBucketConfiguration: &types.CreateBucketConfiguration{
				Location: &types.LocationInfo{Type: types.LocationTypeAvailabilityZone, Name: aws.String(zone)},
				Bucket:   &types.BucketInfo{Type: types.BucketTypeDirectory, DataRedundancy: types.DataRedundancySingleAvailabilityZone},
			}})
	case "delete":
		_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(name)})
	case "check":
		_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(name)})
		var ae smithy.APIError
		if errors.As(err, &ae) && (ae.ErrorCode() == "NotFound" || ae.ErrorCode() == "NoSuchBucket") {
			fmt.Println("absent")
			return nil
		}
		if err == nil {
			fmt.Println("present")
		}
	default:
		return fmt.Errorf("unknown verb %q", verb)
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", verb, name, err)
	}
	return nil
}
