package bench

import (
	"slices"
	"testing"
)

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
		got, err := resolveTargets(&cfg)
		if err != nil || len(got) != 1 || got[0] != c.want {
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
		{Endpoint: "http://127.0.0.1:1,"},
		{Endpoint: "http://127.0.0.1:1,127.0.0.1:2"},
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

func TestEndpointList(t *testing.T) {
	cases := []struct {
		in    string
		hosts []string // nil: an error
	}{
		{"http://127.0.0.1:9000", []string{"127.0.0.1:9000"}},
		{"http://127.0.0.1:1,http://127.0.0.1:2, http://127.0.0.1:3", []string{"127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"}},
		{"http://a:1,,http://b:2", nil},
		{"http://a:1,b:2", nil},
	}
	for _, c := range cases {
		cfg := Config{Endpoint: c.in, AccessKey: "AK", SecretKey: "SK"}
		err := cfg.setDefaults()
		if c.hosts == nil {
			if err == nil {
				t.Errorf("%q accepted", c.in)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		ts, err := resolveTargets(&cfg)
		if err != nil || len(ts) != len(c.hosts) {
			t.Errorf("%q: %d targets, %v", c.in, len(ts), err)
			continue
		}
		for i, h := range c.hosts {
			if ts[i].host != h || ts[i].pathPrefix != "/zonal-bench--use1-az4--x-s3" {
				t.Errorf("%q: target %d is %+v, want host %s", c.in, i, ts[i], h)
			}
		}
	}
}

// Worker i sends to endpoint i mod N, so the load spreads evenly.
func TestWorkersSpreadOverEndpoints(t *testing.T) {
	cfg := Config{Endpoint: "http://127.0.0.1:1,http://127.0.0.1:2,http://127.0.0.1:3", AccessKey: "AK", SecretKey: "SK", Concurrency: 7}
	if err := cfg.setDefaults(); err != nil {
		t.Fatal(err)
	}
	g, err := newGen(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3", "127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3", "127.0.0.1:1"}
	for i, h := range want {
		if got := g.newWorker(i).c.t.host; got != h {
			t.Errorf("worker %d sends to %s, want %s", i, got, h)
		}
	}
}

func TestParsePIDs(t *testing.T) {
	cases := []struct {
		in   string
		want []int
		ok   bool
	}{
		{"", nil, true},
		{"42", []int{42}, true},
		{"1,2, 3", []int{1, 2, 3}, true},
		{"1,,2", nil, false},
		{"0", nil, false},
		{"-5", nil, false},
		{"abc", nil, false},
	}
	for _, c := range cases {
		got, err := ParsePIDs(c.in)
		if (err == nil) != c.ok || !slices.Equal(got, c.want) {
			t.Errorf("ParsePIDs(%q) = %v, %v; want %v (ok %v)", c.in, got, err, c.want, c.ok)
		}
	}
}
