package main

import (
	"bufio"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/config"
	"github.com/zonal-dev/zonal/internal/netpeer"
	"github.com/zonal-dev/zonal/internal/server"
)

// TestServerConfigMapsEverySetting: a setting added to config.Settings
// must reach server.Config.
func TestServerConfigMapsEverySetting(t *testing.T) {
	st := &config.Settings{
		Addr: "a:1", Data: "d", Region: "r", Zones: []string{"z"}, SessionTTL: time.Minute,
		AccountID: "111122223333", RootAccessKey: "ak", RootSecretKey: "sk",
		MasterKeyFile: "mk", SSEKeyFile: "sse", Sendfile: true, EncryptAtRest: false, TLSCert: "c", TLSKey: "k", TLSSelfSigned: true,
		Hostnames: []string{"s3.example.internal"}, TrustedProxies: netpeer.Proxies{netip.MustParsePrefix("10.0.0.0/8")}, AdminToken: "tok", Pprof: true, Console: true, LogFormat: "json", LogLevel: "debug", AccessLog: false, ListOrder: "shuffled",
		Accounts:          []config.Account{{ID: "222233334444", AccessKeyID: "ak2", SecretAccessKey: "sk2"}},
		ReadHeaderTimeout: 1, IdleTimeout: 2, BodyIdleTimeout: 3, BodyMinRate: 4, WriteIdleTimeout: 5, MaxInflight: 6, MinFreeDisk: 7,
		LifecycleInterval: 8, LifecycleDay: 9, LeaseTTL: 10, GCInterval: 15, GCDelay: 16,
		Catalog: "postgres://zonal@db/zonal", CatalogMaxConns: 11, CatalogTimeout: 12, CatalogRetries: 13, BlobDir: "blobs",
		Blob: "s3://b/p", BlobEndpoint: "http://e", BlobRegion: "r2", BlobAccessKeyID: "bak", BlobSecretKey: "bsk", CacheDir: "c", CacheSize: 14,
	}
	cfg := serverConfig(st, nil)
	if cfg.GCInterval != 15 || cfg.GCDelay != 16 {
		t.Errorf("gc settings not passed: %v %v", cfg.GCInterval, cfg.GCDelay)
	}
	if cfg.LifecycleInterval != 8 || cfg.LifecycleDay != 9 || cfg.LeaseTTL != 10 {
		t.Errorf("lifecycle and lease settings not passed: %v %v %v", cfg.LifecycleInterval, cfg.LifecycleDay, cfg.LeaseTTL)
	}
	if cfg.Blob != "s3://b/p" || cfg.BlobEndpoint != "http://e" || cfg.BlobRegion != "r2" || cfg.BlobAccessKeyID != "bak" ||
		cfg.BlobSecretKey != "bsk" || cfg.CacheDir != "c" || cfg.CacheSize != 14 {
		t.Errorf("blob settings not passed: %+v", cfg)
	}
	if cfg.Catalog != st.Catalog || cfg.CatalogMaxConns != 11 || cfg.CatalogTimeout != 12 || cfg.CatalogRetries != 13 || cfg.BlobDir != "blobs" {
		t.Errorf("catalog settings not passed: %q %v %v %q", cfg.Catalog, cfg.CatalogMaxConns, cfg.CatalogTimeout, cfg.BlobDir)
	}
	if cfg.Addr != "a:1" || cfg.Data != "d" || cfg.Region != "r" || !reflect.DeepEqual(cfg.Zones, []string{"z"}) ||
		cfg.SessionTTL != time.Minute || cfg.AccountID != "111122223333" || cfg.RootAccessKey != "ak" ||
		cfg.RootSecretKey != "sk" || cfg.MasterKeyFile != "mk" || cfg.SSEKeyFile != "sse" || !cfg.PlaintextAtRest || !cfg.Sendfile || cfg.TLSCert != "c" ||
		cfg.TLSKey != "k" || !cfg.TLSSelfSigned || !reflect.DeepEqual(cfg.Hostnames, []string{"s3.example.internal"}) || !reflect.DeepEqual(cfg.TrustedProxies, st.TrustedProxies) || cfg.AdminToken != "tok" || !cfg.Pprof || !cfg.Console || !cfg.NoAccessLog || !cfg.ShuffleListing ||
		len(cfg.Accounts) != 1 || cfg.Accounts[0].SecretAccessKey != "sk2" ||
		cfg.Limits != (server.Limits{ReadHeaderTimeout: 1, IdleTimeout: 2, BodyIdleTimeout: 3, BodyMinRate: 4, WriteIdleTimeout: 5, MaxInflight: 6, MinFreeDisk: 7}) {
		t.Fatalf("%+v", cfg)
	}
	// Every field of Settings is set above (LogFormat and LogLevel build
	// the logger, ConfigFile is only reported, FaultsFile is read by
	// readFaults: TestReadFaults).
	v := reflect.ValueOf(*st)
	for i := range v.NumField() {
		name := v.Type().Field(i).Name
		if v.Field(i).IsZero() && name != "ConfigFile" && name != "FaultsFile" && name != "AccessLog" && name != "EncryptAtRest" {
			t.Errorf("Settings.%s is not covered by this test", name)
		}
	}
}

func TestReadFaults(t *testing.T) {
	if rules, err := readFaults(""); err != nil || rules != nil {
		t.Fatalf("no file: %v %v", rules, err)
	}
	path := filepath.Join(t.TempDir(), "faults.yaml")
	os.WriteFile(path, []byte("rules:\n  - {name: s, error: {status: 503, code: SlowDown}}\n"), 0o600)
	if rules, err := readFaults(path); err != nil || len(rules) != 1 || rules[0].Name != "s" {
		t.Fatalf("%v %v", rules, err)
	}
	os.WriteFile(path, []byte("rules:\n  - {name: s, error: {status: 200, code: SlowDown}}\n"), 0o600)
	if _, err := readFaults(path); err == nil || !strings.Contains(err.Error(), "error.status") {
		t.Fatalf("bad rule: %v", err)
	}
	if _, err := readFaults(path + ".missing"); err == nil {
		t.Fatal("missing file accepted")
	}
}

// TestBinary builds zonal and checks version stamping, --help, a bad
// configuration, and a TLS server's SIGHUP reload and SIGTERM shutdown.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "zonal")
	out, err := exec.Command("go", "build", "-ldflags", "-X main.version=v9.8.7 -X main.commit=cafe123", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err = exec.Command(bin, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "zonal v9.8.7 (commit cafe123, go1.") {
		t.Fatalf("version: %v %q", err, out)
	}
	out, err = exec.Command(bin, "server", "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "ZONAL_CONFIG") || !strings.Contains(string(out), "--tls-self-signed") {
		t.Fatalf("--help: %v\n%s", err, out)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("addr: 127.0.0.1:0\nlog-level: loud\n"), 0o600)
	out, err = exec.Command(bin, "server", "--config", bad).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), bad+`:2: log-level: "loud"`) {
		t.Fatalf("bad config: %v\n%s", err, out)
	}

	data := filepath.Join(dir, "data")
	cmd := exec.Command(bin, "server", "--addr", "127.0.0.1:0", "--data", data, "--tls-self-signed", "--log-format", "json")
	cmd.Env = append(os.Environ(), "ZONAL_CONFIG=", "ZONAL_ADMIN_TOKEN=")
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	waitFor := func(what string) string {
		t.Helper()
		deadline := time.After(15 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("server exited before logging %q", what)
				}
				if strings.Contains(l, what) {
					return l
				}
			case <-deadline:
				t.Fatalf("no %q in the log", what)
			}
		}
	}
	serving := waitFor(`"msg":"zonal serving"`)
	if !strings.Contains(serving, `"endpoint":"https://127.0.0.1:`) {
		t.Errorf("serving line: %s", serving)
	}
	cmd.Process.Signal(syscall.SIGHUP)
	waitFor(`"msg":"TLS certificate reloaded"`)
	cmd.Process.Signal(syscall.SIGTERM)
	waitFor(`"msg":"stopped"`)
	printed, _ := io.ReadAll(stdout)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v", err)
	}
	ca := filepath.Join(data, "tls", "cert.pem")
	for _, want := range []string{"AWS_CA_BUNDLE=" + ca, "--ca-cert " + ca, "NODE_EXTRA_CA_CERTS=" + ca} {
		if !strings.Contains(string(printed), want) {
			t.Errorf("stdout lacks %q:\n%s", want, printed)
		}
	}
	if strings.Contains(string(printed), "AWS_SECRET_ACCESS_KEY=") {
		t.Errorf("generated credentials printed to a non-terminal:\n%s", printed)
	}
}

func TestHasPassword(t *testing.T) {
	for dsn, want := range map[string]bool{
		"":                                  false,
		"postgres://zonal@db:5432/zonal":    false,
		"postgres://zonal:s3cret@db/zonal":  true,
		"postgres://zonal@db/z?password=x":  true,
		"postgres://zonal@db/z?sslmode=off": false,
	} {
		if got := hasPassword(dsn); got != want {
			t.Errorf("hasPassword(%q) = %v, want %v", dsn, got, want)
		}
	}
}
