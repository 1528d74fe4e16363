package config

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "zonal.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const goodFile = `# a full file
addr: 0.0.0.0:9443
data: /var/lib/zonal
region: us-west-2
zones: [usw2-az1, usw2-az3]
session-ttl: 10m
account-id: "111122223333"
root-access-key: AKIADEFAULTROOT00001
root-secret-key: defaultsecret
master-key-file: /etc/zonal/master.key
sse-key-file: /etc/zonal/sse.key
encrypt-at-rest: true
tls-cert: /etc/zonal/cert.pem
tls-key: /etc/zonal/key.pem
hostname: [s3.example.internal, zonal.lan]
admin-token: s3cr3t
read-header-timeout: 5s
idle-timeout: 1m
body-idle-timeout: 10s
body-min-rate: 0
write-idle-timeout: 20s
max-inflight: 64
min-free-disk: 1GiB
log-format: json
log-level: warn
access-log: false
accounts:
  - id: "222233334444"
    root_access_key_id: AKIASECONDACCOUNT001
    root_secret_access_key: secondsecret
  - id: "555566667777"
    root_access_key_id: AKIATHIRDACCOUNT0001
    root_secret_access_key: thirdsecret
`

func TestGoodFile(t *testing.T) {
	p := writeFile(t, goodFile)
	s, err := Load([]string{"--config", p}, env(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := &Settings{
		ConfigFile: p,
		Addr:       "0.0.0.0:9443", Data: "/var/lib/zonal", Region: "us-west-2",
		Zones: []string{"usw2-az1", "usw2-az3"}, SessionTTL: 10 * time.Minute,
		AccountID: "111122223333", RootAccessKey: "AKIADEFAULTROOT00001", RootSecretKey: "defaultsecret",
		MasterKeyFile: "/etc/zonal/master.key", SSEKeyFile: "/etc/zonal/sse.key", EncryptAtRest: true,
		TLSCert: "/etc/zonal/cert.pem", TLSKey: "/etc/zonal/key.pem",
		Hostnames:  []string{"s3.example.internal", "zonal.lan"},
		AdminToken: "s3cr3t", LogFormat: "json", LogLevel: "warn", AccessLog: false, Console: true, ListOrder: "lexicographic",
		ReadHeaderTimeout: 5 * time.Second, IdleTimeout: time.Minute, BodyIdleTimeout: 10 * time.Second,
		BodyMinRate: 0, WriteIdleTimeout: 20 * time.Second, MaxInflight: 64, MinFreeDisk: 1 << 30,
		Accounts: []Account{
			{ID: "222233334444", AccessKeyID: "AKIASECONDACCOUNT001", SecretAccessKey: "secondsecret", Line: 28},
			{ID: "555566667777", AccessKeyID: "AKIATHIRDACCOUNT0001", SecretAccessKey: "thirdsecret", Line: 31},
		},
	}
	if !reflect.DeepEqual(s, want) {
		t.Fatalf("got  %+v\nwant %+v", s, want)
	}
}

func TestDefaults(t *testing.T) {
	s, err := Load(nil, env(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := &Settings{Addr: "127.0.0.1:9000", Data: "./zonal-data", Region: "us-east-1",
		SessionTTL: 5 * time.Minute, AccountID: "000000000000", LogFormat: "auto", LogLevel: "info", AccessLog: true, Console: true, ListOrder: "lexicographic",
		ReadHeaderTimeout: 15 * time.Second, IdleTimeout: 2 * time.Minute, BodyIdleTimeout: 30 * time.Second,
		BodyMinRate: 500, WriteIdleTimeout: 30 * time.Second, MaxInflight: 512, MinFreeDisk: 256 << 20}
	if !reflect.DeepEqual(s, want) {
		t.Fatalf("got  %+v\nwant %+v", s, want)
	}
}

func TestFileErrors(t *testing.T) {
	for _, tc := range []struct {
		name, body, want string
	}{
		{"unknown key", "addr: 127.0.0.1:1\n\nsesion-ttl: 5m\n", ":3: unknown setting \"sesion-ttl\" (did you mean session-ttl?)"},
		{"underscore key", "session_ttl: 5m\n", ":1: unknown setting \"session_ttl\" (did you mean session-ttl?)"},
		{"far-off key", "frobnicate: 1\n", ":1: unknown setting \"frobnicate\"; known settings: "},
		{"bad duration", "data: /x\nsession-ttl: 5 minutes\n", `:2: session-ttl: "5 minutes" is not a duration`},
		{"duration out of range", "session-ttl: 10ms\n", ":1: session-ttl: 10ms is out of range"},
		{"bad bool", "access-log: maybe\n", `:1: access-log: "maybe" is not true or false`},
		{"bad log level", "log-level: loud\n", `:1: log-level: "loud" is not debug`},
		{"negative timeout", "body-idle-timeout: -1s\n", ":1: body-idle-timeout: -1s is negative"},
		{"bad max-inflight", "max-inflight: lots\n", `:1: max-inflight: "lots" is not a request count`},
		{"negative max-inflight", "max-inflight: -1\n", `:1: max-inflight: "-1" is not a request count`},
		{"bad min-free-disk", "min-free-disk: 1.5GB\n", `:1: min-free-disk: "1.5GB" is not a size`},
		{"bad body-min-rate", "body-min-rate: 1KB\n", `:1: body-min-rate: "1KB" is not a number of bytes per second`},
		{"bad zone", "zones:\n  - use1-az4\n  - Mars-1\n", `:3: zones: "Mars-1" is not a zone id`},
		{"hostname with scheme", "hostname: https://s3.example.internal\n", `:1: hostname: "https://s3.example.internal" is not a host name`},
		{"hostname with port", "hostname:\n  - s3.localhost:9000\n", `:2: hostname: "s3.localhost:9000" is not a host name`},
		{"wildcard hostname", "hostname: \"*.example.internal\"\n", `:1: hostname: "*.example.internal" is not a host name`},
		{"list for scalar", "addr: [a, b]\n", ":1: addr: expected a single value, found a list"},
		{"duplicate key", "addr: 127.0.0.1:1\nregion: us-east-1\naddr: 127.0.0.1:2\n", ":3: addr is set twice (first on line 1)"},
		{"not a mapping", "- addr\n", ":1: expected a mapping of settings"},
		{"syntax", "addr: 1\n  data: x\n", ":2: mapping values are not allowed"},
		{"bad account id", "accounts:\n  - id: 12345\n    root_access_key_id: AKIAX\n    root_secret_access_key: s\n", `:2: accounts: id "12345" is not a 12-digit account id`},
		{"account id with letters", "accounts:\n  - id: \"22223333444a\"\n    root_access_key_id: AKIAX\n    root_secret_access_key: s\n", `:2: accounts: id "22223333444a"`},
		{"duplicate account", "accounts:\n  - id: \"222233334444\"\n    root_access_key_id: AKIAX\n    root_secret_access_key: s\n  - id: \"222233334444\"\n    root_access_key_id: AKIAY\n    root_secret_access_key: t\n",
			":5: accounts: account 222233334444 is declared twice (first on line 2)"},
		{"duplicate account key", "accounts:\n  - id: \"222233334444\"\n    root_access_key_id: AKIAX\n    root_secret_access_key: s\n  - id: \"222233335555\"\n    root_access_key_id: AKIAX\n    root_secret_access_key: t\n",
			":5: accounts: root_access_key_id AKIAX is used twice (first on line 2)"},
		{"account unknown key", "accounts:\n  - id: \"222233334444\"\n    access_key_id: AKIAX\n", `:3: accounts: unknown key "access_key_id" (did you mean root_access_key_id?)`},
		{"account missing secret", "accounts:\n  - id: \"222233334444\"\n    root_access_key_id: AKIAX\n", ":2: accounts: entry has no root_secret_access_key"},
		{"accounts not a list", "accounts: yes\n", ":1: accounts: expected a list"},
		{"default account twice", "account-id: \"222233334444\"\naccounts:\n  - id: \"222233334444\"\n    root_access_key_id: AKIAX\n    root_secret_access_key: s\n",
			":3: account 222233334444 is the default account"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, tc.body)
			_, err := Load([]string{"--config", p}, env(nil), nil)
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !strings.HasPrefix(err.Error(), p+":") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q\nwant it to start with the file name and contain %q", err, tc.want)
			}
		})
	}
}

func TestSecretsNotEchoed(t *testing.T) {
	p := writeFile(t, "root-secret-key: [topsecretvalue]\n")
	_, err := Load([]string{"--config", p}, env(nil), nil)
	if err == nil || strings.Contains(err.Error(), "topsecretvalue") {
		t.Fatalf("error %v", err)
	}
}

func TestPrecedence(t *testing.T) {
	p := writeFile(t, "addr: 127.0.0.1:1001\nregion: eu-west-1\nsession-ttl: 7m\nlog-level: warn\nzones: [use1-az4]\n")
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want func(s *Settings) bool
	}{
		{"file over default", []string{"--config", p}, nil,
			func(s *Settings) bool {
				return s.Addr == "127.0.0.1:1001" && s.Data == "./zonal-data" && s.LogLevel == "warn"
			}},
		{"env over file", []string{"--config", p}, map[string]string{"ZONAL_ADDR": "127.0.0.1:1002", "ZONAL_SESSION_TTL": "9m"},
			func(s *Settings) bool {
				return s.Addr == "127.0.0.1:1002" && s.SessionTTL == 9*time.Minute && s.Region == "eu-west-1"
			}},
		{"flag over env over file", []string{"--config", p, "--addr", "127.0.0.1:1003"}, map[string]string{"ZONAL_ADDR": "127.0.0.1:1002", "ZONAL_REGION": "ap-south-1"},
			func(s *Settings) bool { return s.Addr == "127.0.0.1:1003" && s.Region == "ap-south-1" }},
		{"config file from env", nil, map[string]string{"ZONAL_CONFIG": p},
			func(s *Settings) bool { return s.Addr == "127.0.0.1:1001" && s.ConfigFile == p }},
		{"empty env is unset", []string{"--config", p}, map[string]string{"ZONAL_ADDR": ""},
			func(s *Settings) bool { return s.Addr == "127.0.0.1:1001" }},
		{"list from env", []string{"--config", p}, map[string]string{"ZONAL_ZONES": "use1-az5, use1-az6"},
			func(s *Settings) bool { return reflect.DeepEqual(s.Zones, []string{"use1-az5", "use1-az6"}) }},
		{"Local Zone ids", []string{"--zones", "use1-az4,use1-atl2-az1"}, nil,
			func(s *Settings) bool { return reflect.DeepEqual(s.Zones, []string{"use1-az4", "use1-atl2-az1"}) }},
		{"hostnames from env, normalised", nil, map[string]string{"ZONAL_HOSTNAME": "S3.Example.Internal., 10.0.0.5"},
			func(s *Settings) bool {
				return reflect.DeepEqual(s.Hostnames, []string{"s3.example.internal", "10.0.0.5"})
			}},
		{"hostname flag", []string{"--hostname", "zonal.lan"}, nil,
			func(s *Settings) bool { return reflect.DeepEqual(s.Hostnames, []string{"zonal.lan"}) }},
		{"bool flag", []string{"--access-log=false", "--tls-self-signed"}, map[string]string{"ZONAL_ACCESS_LOG": "true"},
			func(s *Settings) bool { return !s.AccessLog && s.TLSSelfSigned }},
		{"bool env", nil, map[string]string{"ZONAL_ACCESS_LOG": "0"},
			func(s *Settings) bool { return !s.AccessLog }},
		{"sizes", []string{"--min-free-disk", "64MB"}, nil,
			func(s *Settings) bool { return s.MinFreeDisk == 64<<20 }},
		{"limits off", []string{"--max-inflight", "0", "--body-idle-timeout=0"}, map[string]string{"ZONAL_BODY_MIN_RATE": "0", "ZONAL_WRITE_IDLE_TIMEOUT": "0s"},
			func(s *Settings) bool {
				return s.MaxInflight == 0 && s.BodyIdleTimeout == 0 && s.BodyMinRate == 0 && s.WriteIdleTimeout == 0 && s.ReadHeaderTimeout == 15*time.Second
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Load(tc.args, env(tc.env), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !tc.want(s) {
				t.Fatalf("unexpected settings %+v", s)
			}
		})
	}
}

func TestValueErrorsNameTheirSource(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"env", nil, map[string]string{"ZONAL_SESSION_TTL": "soon"}, `ZONAL_SESSION_TTL: "soon" is not a duration`},
		{"flag", []string{"--session-ttl", "soon"}, nil, `invalid value "soon" for flag -session-ttl`},
		{"env account id", nil, map[string]string{"ZONAL_ACCOUNT_ID": "12"}, `ZONAL_ACCOUNT_ID: "12" is not a 12-digit account id`},
		{"unknown flag", []string{"--nope"}, nil, "flag provided but not defined: -nope"},
		{"half root key", nil, map[string]string{"ZONAL_ROOT_ACCESS_KEY": "AKIAX"}, "set both root-access-key and root-secret-key"},
		{"half tls", []string{"--tls-cert", "c.pem"}, nil, "set both tls-cert and tls-key"},
		{"tls both ways", []string{"--tls-cert", "c.pem", "--tls-key", "k.pem", "--tls-self-signed"}, nil, "exclude each other"},
		{"missing file", []string{"--config", "/nonexistent/zonal.yaml"}, nil, "config file: open /nonexistent/zonal.yaml"},
		{"stray argument", []string{"serve"}, nil, `unexpected argument "serve"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.args, env(tc.env), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestHelpListsEverySetting(t *testing.T) {
	var out bytes.Buffer
	_, err := Load([]string{"--help"}, env(nil), &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err %v", err)
	}
	help := out.String()
	for _, n := range Names() {
		if !strings.Contains(help, "--"+n) || !strings.Contains(help, "env "+Env(n)+", default: ") {
			t.Errorf("help lacks %s / %s", n, Env(n))
		}
	}
	for _, want := range []string{"highest precedence first", "ZONAL_CONFIG", "accounts:", "default: 127.0.0.1:9000", "default: 5m"} {
		if !strings.Contains(help, want) {
			t.Errorf("help lacks %q", want)
		}
	}
}

func TestEmptyAndCommentOnlyFiles(t *testing.T) {
	for _, body := range []string{"", "# nothing here\n", "---\n"} {
		p := writeFile(t, body)
		s, err := Load([]string{"--config", p}, env(nil), nil)
		if err != nil || s.Addr != "127.0.0.1:9000" {
			t.Fatalf("%q: %v %+v", body, err, s)
		}
	}
}

// TestReadmeListsEverySetting keeps the README's settings table honest.
func TestReadmeListsEverySetting(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Skip("README.md not found:", err)
	}
	for _, n := range Names() {
		if !bytes.Contains(readme, []byte("`--"+n+"`")) || !bytes.Contains(readme, []byte("`"+Env(n)+"`")) {
			t.Errorf("README.md does not document --%s / %s", n, Env(n))
		}
	}
}

// TestDeployExampleLoads: the example configuration shipped in deploy/
// stays valid as settings change.
func TestDeployExampleLoads(t *testing.T) {
	s, err := Load([]string{"--config", "../../deploy/zonal.yaml"}, env(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Addr != "0.0.0.0:9000" || s.Data != "/var/lib/zonal" {
		t.Fatalf("deploy/zonal.yaml read as %+v", s)
	}
	s, err = Load([]string{"--config", "../../deploy/cluster/zonal.yaml"}, env(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.Catalog, "postgres://") || !strings.HasPrefix(s.Blob, "s3://") || s.BlobEndpoint == "" ||
		s.CacheDir == "" || s.CacheSize <= 0 || s.MasterKeyFile == "" || s.SSEKeyFile == "" {
		t.Fatalf("deploy/cluster/zonal.yaml read as %+v", s)
	}
}

// TestHiddenLifecycleSettings: the test-only lifecycle knobs are read from
// the environment like any setting (the server reads none itself), refuse
// bad values, and stay out of --help, Names and so the README.
func TestHiddenLifecycleSettings(t *testing.T) {
	s, err := Load(nil, env(map[string]string{"ZONAL_LIFECYCLE_INTERVAL": "300ms", "ZONAL_LIFECYCLE_DAY": "1s"}), nil)
	if err != nil || s.LifecycleInterval != 300*time.Millisecond || s.LifecycleDay != time.Second {
		t.Fatalf("%v %+v", err, s)
	}
	if d := Defaults(); d.LifecycleInterval != 0 || d.LifecycleDay != 0 {
		t.Fatalf("defaults %v %v", d.LifecycleInterval, d.LifecycleDay)
	}
	for _, v := range []string{"0s", "-1s", "soon"} {
		if _, err := Load(nil, env(map[string]string{"ZONAL_LIFECYCLE_DAY": v}), nil); err == nil {
			t.Errorf("ZONAL_LIFECYCLE_DAY=%s accepted", v)
		}
	}
	var out bytes.Buffer
	Load([]string{"--help"}, env(nil), &out)
	if strings.Contains(out.String(), "lifecycle") || slices.Contains(Names(), "lifecycle-day") {
		t.Errorf("hidden settings listed:\n%s", out.String())
	}
}
