package bench

import "testing"

func TestResolveTarget(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want target
	}{
		{"ip endpoint: path style", Config{Endpoint: "http://127.0.0.1:9000"},
			target{scheme: "http", host: "127.0.0.1:9000", pathPrefix: "/zonal-bench--use1-az4--x-s3", controlHost: "127.0.0.1:9000", controlPath: "/zonal-bench--use1-az4--x-s3"}},
		{"hostname endpoint: path style unless asked", Config{Endpoint: "http://localhost:9000", Bucket: "b--usw2-az1--x-s3"},
			target{scheme: "http", host: "localhost:9000", pathPrefix: "/b--usw2-az1--x-s3", controlHost: "localhost:9000", controlPath: "/b--usw2-az1--x-s3"}},
		{"virtual", Config{Endpoint: "https://s3.example.test", Addressing: "virtual", Bucket: "b--usw2-az1--x-s3"},
			target{scheme: "https", host: "b--usw2-az1--x-s3.s3.example.test", controlHost: "b--usw2-az1--x-s3.s3.example.test", controlPath: "/"}},
		{"aws express", Config{Region: "us-west-2", Bucket: "b--usw2-az1--x-s3"},
			target{scheme: "https", host: "b--usw2-az1--x-s3.s3express-usw2-az1.us-west-2.amazonaws.com", controlHost: "s3express-control.us-west-2.amazonaws.com", controlPath: "/b--usw2-az1--x-s3", aws: true}},
		{"aws express, zone flag", Config{Region: "eu-north-1", Zone: "eun1-az1"},
			target{scheme: "https", host: "zonal-bench--eun1-az1--x-s3.s3express-eun1-az1.eu-north-1.amazonaws.com", controlHost: "s3express-control.eu-north-1.amazonaws.com", controlPath: "/zonal-bench--eun1-az1--x-s3", aws: true}},
		{"aws plain, general-purpose bucket", Config{Mode: ModePlain, Region: "us-east-2", Bucket: "general"},
			target{scheme: "https", host: "general.s3.us-east-2.amazonaws.com", controlHost: "general.s3.us-east-2.amazonaws.com", controlPath: "/", aws: true}},
	}
	for _, c := range cases {
		cfg := c.cfg
		cfg.AccessKey, cfg.SecretKey = "AK", "SK"
		if err := cfg.setDefaults(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got, err := resolveTarget(&cfg)
		if err != nil || got != c.want {
			t.Errorf("%s:\n got %+v, %v\nwant %+v", c.name, got, err, c.want)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []Config{
		{Workload: "nope"},
		{Mode: "fast"},
		{Prefix: "has space/"},
		{GetRatio: 1.5},
		{Checksum: "md5"},
		{Endpoint: "ftp://x"},
		{Workload: WorkloadCeiling, CeilingOf: WorkloadCeiling},
	} {
		cfg.AccessKey, cfg.SecretKey = "AK", "SK"
		if err := cfg.setDefaults(); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
	if err := (&Config{Workload: WorkloadPut, Endpoint: "http://127.0.0.1:1"}).setDefaults(); err == nil {
		t.Error("missing credentials accepted")
	}
}
