package zonaltest_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/zonal-dev/zonal/zonaltest"
)

// TestFaults: a rule added in a subtest makes the SDK retry (its default
// retryer takes two SlowDowns and succeeds on the third attempt), is
// counted in the metrics, and is gone when the subtest ends.
func TestFaults(t *testing.T) {
	srv := zonaltest.Start(t)
	c := client(t, srv, nil)
	createBucket(t, c, "faults--use1-az4--x-s3")
	t.Run("storm", func(t *testing.T) {
		name, err := srv.Faults().In(t).Add(zonaltest.Rule{
			Name:  "storm",
			Match: zonaltest.Match{Ops: []string{"PutObject"}, Prefix: "logs/"},
			Error: &zonaltest.FaultError{Status: 503, Code: "SlowDown"},
			First: 2,
		})
		if err != nil || name != "storm" {
			t.Fatal(name, err)
		}
		if _, err := srv.Faults().Add(zonaltest.Rule{Error: &zonaltest.FaultError{Status: 200, Code: "SlowDown"}}); err == nil {
			t.Fatal("a 200 error accepted")
		}
		_, err = c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("faults--use1-az4--x-s3"),
			Key: aws.String("logs/1"), Body: strings.NewReader("v")})
		if err != nil {
			t.Fatalf("PutObject through two SlowDowns: %v", err)
		}
		if l := srv.Faults().List(); len(l) != 1 || l[0].Matched != 3 || l[0].Fired != 2 {
			t.Fatalf("%+v", l)
		}
	})
	if l := srv.Faults().List(); len(l) != 0 {
		t.Fatalf("rules left after the subtest: %+v", l)
	}
	resp, err := http.Get(srv.Endpoint + "/_zonal/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `zonal_faults_injected_total{rule="storm"} 2`) {
		t.Error("metrics do not count the two faults")
	}
}
