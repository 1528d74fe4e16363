// Package crash holds zonal's crash-consistency test: the built binary under
// a mixed concurrent load, killed with SIGKILL at random moments and
// restarted on the same data folder, checked against a model of every
// acknowledged operation. See TestCrashConsistency.
package crash

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"

	"github.com/zonal-dev/zonal/tests/internal/zonalproc"
)

const (
	rootAccessKey = "AKIAZONALCRASH000001"
	rootSecretKey = "zonalCrashSecretKey000000000000000000001" // 40 chars
	testRegion    = "us-east-1"
	testAZ        = "use1-az4"
)

// TestMain removes the binary zonalproc built.
func TestMain(m *testing.M) { zonalproc.Main(m) }

// server is the zonal child process under test and its restarts on one
// data folder and one address (tests/internal/zonalproc).
type server struct {
	*zonalproc.Server
	DataDir string
}

// startServer starts zonal on a free loopback port with a data folder
// and log under dir; it is stopped when the test ends and its log tail
// printed if the test failed. Warnings and errors only, as text: the
// test greps the log for errors and panics.
func startServer(t *testing.T, dir string) *server {
	t.Helper()
	s, err := zonalproc.Launch(zonalproc.Options{
		Name: "crash", Data: filepath.Join(dir, "data"), LogPath: filepath.Join(dir, "zonal.log"),
		AccessKey: rootAccessKey, SecretKey: rootSecretKey,
		Args:        []string{"--region", testRegion, "--log-level", "warn", "--log-format", "text"},
		StopTimeout: 30 * time.Second, // the server drains in-flight requests
	})
	if err != nil {
		t.Fatalf("start zonal: %v", err)
	}
	s.StopAtEnd(t)
	return &server{Server: s, DataDir: s.Data}
}

// newClient is a stock S3 client for the server that never retries, so an
// error is the server's own answer (or the lack of one). It is built from
// s3.Options directly so no AWS_* variable or config file plays a part,
// with the checksum behaviour config.LoadDefaultConfig gives (CRC32 on
// every upload, validation of responses): the zero values would send none.
func newClient(s *server) *s3.Client {
	tr := &http.Transport{Proxy: nil, MaxIdleConns: 64, MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}
	return s3.New(s3.Options{
		Region:       testRegion,
		Credentials:  credentials.NewStaticCredentialsProvider(rootAccessKey, rootSecretKey, ""),
		BaseEndpoint: aws.String(s.Endpoint),
		HTTPClient:   &http.Client{Transport: tr},
		Retryer:      aws.NopRetryer{},
		Logger:       logging.Nop{},

		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	})
}

func createBucket(ctx context.Context, c *s3.Client, name string) error {
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{
		Bucket: aws.String(name),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{
			Location: &types.LocationInfo{Type: types.LocationTypeAvailabilityZone, Name: aws.String(testAZ)},
			Bucket:   &types.BucketInfo{DataRedundancy: types.DataRedundancySingleAvailabilityZone, Type: types.BucketTypeDirectory},
		},
	})
	return err
}

// errInfo is what an SDK error says about the server's answer. Status is
// 0 when no HTTP response arrived (connection refused or reset, timeout).
type errInfo struct {
	Status        int
	Code, Message string
}

func inspect(err error) errInfo {
	var ei errInfo
	var ae smithy.APIError
	if errors.As(err, &ae) {
		ei.Code, ei.Message = ae.ErrorCode(), ae.ErrorMessage()
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		ei.Status = re.HTTPStatusCode()
	}
	return ei
}

func describe(err error) string {
	if err == nil {
		return "<nil>"
	}
	ei := inspect(err)
	if ei.Status == 0 {
		return fmt.Sprintf("no response (%v)", err)
	}
	return fmt.Sprintf("HTTP %d %s %q", ei.Status, ei.Code, ei.Message)
}
