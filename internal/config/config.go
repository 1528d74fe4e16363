// Package config gathers the settings of `zonal server` from, highest
// precedence first: command-line flags, environment variables (ZONAL_*), a
// YAML file (--config / ZONAL_CONFIG) and built-in defaults.
//
// Every setting has one name, used as the flag (--session-ttl), the YAML key
// (session-ttl:) and, upper-cased with '-' turned into '_' and prefixed with
// ZONAL_, the environment variable (ZONAL_SESSION_TTL). The YAML file may
// also declare extra accounts (accounts:), which have no flag or variable.
//
// Unknown keys, duplicate keys and bad values stop start-up with a message
// naming where the value came from: file and line, variable, or flag.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/zonal-dev/zonal/internal/bucketname"
	"github.com/zonal-dev/zonal/internal/netpeer"
)

// Account is an extra account declared in the configuration file. Its
// YAML keys are id, root_access_key_id and root_secret_access_key.
type Account struct {
	ID              string
	AccessKeyID     string
	SecretAccessKey string
	Line            int // line of the entry in the file (for messages)
}

// Settings are the resolved settings of a server.
type Settings struct {
	// ConfigFile is the YAML file that was read ("" when none).
	ConfigFile string

	Addr       string
	Data       string
	Region     string
	Zones      []string
	SessionTTL time.Duration

	// Catalog is the PostgreSQL connection string of a shared catalog;
	// empty keeps the embedded Pebble catalog in <data>/meta.
	Catalog         string
	CatalogMaxConns int
	CatalogTimeout  time.Duration
	CatalogRetries  int
	// BlobDir holds the blob files; empty means <data>/blobs. Nodes that
	// share a catalog share a blob folder (a network filesystem).
	BlobDir string
	// Blob, when set, is s3://BUCKET/PREFIX: object bytes go to an
	// S3-compatible cluster at BlobEndpoint instead of BlobDir.
	Blob, BlobEndpoint, BlobRegion string
	BlobAccessKeyID, BlobSecretKey string
	// CacheDir and CacheSize keep a node-local copy of recently used
	// blobs of a remote blob store ("" or 0: no cache).
	CacheDir  string
	CacheSize int64

	AccountID     string
	RootAccessKey string
	RootSecretKey string
	MasterKeyFile string
	SSEKeyFile    string
	// EncryptAtRest encrypts new object data with the SSE key.
	EncryptAtRest bool
	// Sendfile sends every unencrypted object range with sendfile(2)
	// instead of writing large ones from memory maps.
	Sendfile bool
	Accounts []Account

	TLSCert       string
	TLSKey        string
	TLSSelfSigned bool
	// Hostnames are the names clients reach the server by; the self-signed
	// certificate covers each and its subdomains (virtual-hosted buckets).
	Hostnames []string

	AdminToken string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For and
	// X-Forwarded-Proto are believed (see internal/netpeer).
	TrustedProxies netpeer.Proxies
	// Pprof serves Go's profiler under /_zonal/debug/pprof/.
	Pprof bool
	// Console serves the web console under /_zonal/console/.
	Console bool
	// FaultsFile holds fault-injection rules (reloaded on SIGHUP).
	FaultsFile string

	// Limits on what slow, stalled or too many clients can hold. Zero
	// turns a limit off.
	ReadHeaderTimeout time.Duration
	IdleTimeout       time.Duration
	BodyIdleTimeout   time.Duration
	BodyMinRate       int64 // request body bytes per second
	WriteIdleTimeout  time.Duration
	MaxInflight       int
	MinFreeDisk       int64 // bytes

	LogFormat string // text, json or auto
	LogLevel  string // debug, info, warn or error
	AccessLog bool
	// ListOrder is "lexicographic" or "shuffled" (each listing page in a
	// random order, to catch clients that wrongly depend on order).
	ListOrder string

	// LifecycleInterval and LifecycleDay (the length of a lifecycle rule's
	// "day") speed up the lifecycle worker for tests; zero keeps the
	// server's defaults (an hour, 24 hours). Hidden settings.
	LifecycleInterval time.Duration
	LifecycleDay      time.Duration
	// LeaseTTL is the background lease's lifetime (hidden; tests shorten
	// the failover of background work). Zero: the server's default.
	LeaseTTL time.Duration
	// GCInterval and GCDelay (hidden) shorten the blob GC's period (10 s)
	// and how long a freed blob waits before it is deleted, so cluster
	// tests see GC across nodes within seconds. Zero: the defaults.
	GCInterval time.Duration
	GCDelay    time.Duration
}

// kind is the type of a setting's value.
type kind int

const (
	kString kind = iota
	kDuration
	kBool
	kList
)

// setting describes one server setting.
type setting struct {
	name string
	meta string // value placeholder in --help
	def  string // default, as text ("" shows as "none" unless defText is set)
	help string
	kind kind
	// defText describes the default when it is not a plain value.
	defText string
	// hidden settings are for tests: absent from --help, Names and the
	// README, but read like the others (flag, variable, file key).
	hidden  bool
	set     func(s *Settings, v string) error
	setList func(s *Settings, v []string) error // kList only
}

// Env returns the environment variable of a setting name.
func Env(name string) string {
	return "ZONAL_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// ConfigEnv names the environment variable that gives the configuration file.
const ConfigEnv = "ZONAL_CONFIG"

var settings = []*setting{
	{name: "addr", meta: "HOST:PORT", def: "127.0.0.1:9000", help: "listen address",
		set: func(s *Settings, v string) error {
			host, port, err := net.SplitHostPort(v)
			if err != nil {
				return fmt.Errorf("%q is not HOST:PORT", v)
			}
			if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
				return fmt.Errorf("%q: bad port %q", v, port)
			}
			if host != "" && net.ParseIP(host) == nil && strings.ContainsAny(host, " /") {
				return fmt.Errorf("%q: bad host %q", v, host)
			}
			s.Addr = v
			return nil
		}},
	{name: "data", meta: "DIR", def: "./zonal-data", help: "data folder (one zonal process per folder)",
		set: func(s *Settings, v string) error {
			if v == "" {
				return errors.New("must not be empty")
			}
			s.Data = v
			return nil
		}},
	{name: "region", meta: "REGION", def: "us-east-1", help: "region reported in ARNs and HeadBucket",
		set: func(s *Settings, v string) error {
			if v == "" || strings.Trim(v, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
				return fmt.Errorf("%q is not a region name (like us-east-1)", v)
			}
			s.Region = v
			return nil
		}},
	{name: "zones", meta: "ZONE,...", kind: kList, defText: "any well-formed zone id",
		help: "zone ids buckets may be created in: AZ ids (use1-az4) or Local Zone ids (use1-atl2-az1); comma list, YAML: a list",
		setList: func(s *Settings, v []string) error {
			var zs []string
			for _, z := range v {
				z = strings.TrimSpace(z)
				if z == "" {
					continue
				}
				if !bucketname.ValidZoneID(z) {
					return fmt.Errorf("%q is not a zone id (an AZ id like use1-az4 or a Local Zone id like use1-atl2-az1)", z)
				}
				zs = append(zs, z)
			}
			s.Zones = zs
			return nil
		}},
	{name: "session-ttl", meta: "DURATION", kind: kDuration, def: "5m",
		help: "CreateSession credential lifetime (SDKs refresh in the last minute: keep it well above 1m outside tests)",
		set: func(s *Settings, v string) error {
			d, err := parseDuration(v)
			if err != nil {
				return err
			}
			if d < time.Second || d > 12*time.Hour {
				return fmt.Errorf("%v is out of range (1s to 12h)", d)
			}
			s.SessionTTL = d
			return nil
		}},

	{name: "catalog", meta: "URL", defText: "embedded (Pebble in <data>/meta)",
		help: "shared catalog: postgres://USER@HOST:PORT/DB?sslmode=... (every node of a cluster gives the same; put a password in ~/.pgpass or the variable, not a flag)",
		set: func(s *Settings, v string) error {
			if v != "" && !strings.HasPrefix(v, "postgres://") && !strings.HasPrefix(v, "postgresql://") {
				return errors.New("not a postgres:// URL (like postgres://zonal@db.internal:5432/zonal?sslmode=verify-full)")
			}
			s.Catalog = v
			return nil
		}},
	{name: "catalog-max-conns", meta: "N", def: "0",
		help: "connections each node keeps to the shared catalog (0: the engine's default)",
		set: func(s *Settings, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 10000 {
				return fmt.Errorf("%q is not a connection count (like 32, or 0 for the default)", v)
			}
			s.CatalogMaxConns = n
			return nil
		}},
	{name: "catalog-timeout", meta: "DURATION", kind: kDuration, def: "0s",
		help: "longest a shared-catalog statement or wait for a connection may take before the request gets 503 (0: the engine's default)",
		set: func(s *Settings, v string) error {
			d, err := parseDuration(v)
			if err != nil {
				return err
			}
			if d < 0 || d > time.Hour {
				return fmt.Errorf("%v is out of range (0 to 1h)", d)
			}
			s.CatalogTimeout = d
			return nil
		}},
	{name: "catalog-retries", meta: "N", def: "0",
		help: "times a shared-catalog transaction that lost a serialization conflict or deadlock is retried before the request fails (0: the engine's default, 100)",
		set: func(s *Settings, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 100000 {
				return fmt.Errorf("%q is not a retry count (like 100, or 0 for the default)", v)
			}
			s.CatalogRetries = n
			return nil
		}},
	{name: "blob-dir", meta: "DIR", defText: "<data>/blobs",
		help: "folder of the object data files; nodes sharing a catalog share it (a network filesystem)",
		set:  func(s *Settings, v string) error { s.BlobDir = v; return nil }},

	{name: "blob", meta: "URL", defText: "the blob folder (blob-dir)",
		help: "s3://BUCKET/PREFIX: keep object bytes in an S3-compatible cluster (with blob-endpoint, blob-region and the blob access keys)",
		set: func(s *Settings, v string) error {
			if v == "" {
				s.Blob = ""
				return nil
			}
			rest, ok := strings.CutPrefix(v, "s3://")
			bucket, _, _ := strings.Cut(rest, "/")
			if !ok || bucket == "" {
				return errors.New("not an s3://BUCKET/PREFIX URL")
			}
			s.Blob = v
			return nil
		}},
	{name: "blob-endpoint", meta: "URL", help: "http(s):// endpoint of the blob cluster's S3 API",
		set: func(s *Settings, v string) error {
			if v != "" && !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://") {
				return errors.New("not an http:// or https:// URL")
			}
			s.BlobEndpoint = v
			return nil
		}},
	{name: "blob-region", meta: "REGION", defText: "us-east-1", help: "region the blob cluster signs requests for",
		set: func(s *Settings, v string) error { s.BlobRegion = v; return nil }},
	{name: "blob-access-key-id", meta: "AKID", help: "access key id for the blob cluster",
		set: func(s *Settings, v string) error { s.BlobAccessKeyID = v; return nil }},
	{name: "blob-secret-access-key", meta: "SECRET", help: "its secret (prefer the variable: flags show in ps)",
		set: func(s *Settings, v string) error { s.BlobSecretKey = v; return nil }},
	{name: "cache-dir", meta: "DIR", defText: "none",
		help: "node-local cache of a remote blob store's blobs (lost harmlessly on restart)",
		set:  func(s *Settings, v string) error { s.CacheDir = v; return nil }},
	{name: "cache-size", meta: "SIZE", def: "0",
		help: "most bytes the cache keeps, least recently used evicted (like 10GiB)",
		set: func(s *Settings, v string) error {
			n, err := parseSize(v)
			if err != nil {
				return err
			}
			s.CacheSize = n
			return nil
		}},

	{name: "account-id", meta: "ID", def: "000000000000", help: "the default account's 12-digit id",
		set: func(s *Settings, v string) error {
			if !validAccountID(v) {
				return fmt.Errorf("%q is not a 12-digit account id", v)
			}
			s.AccountID = v
			return nil
		}},
	{name: "root-access-key", meta: "AKID", defText: "generated into <data>/root-credentials.json",
		help: "the default account's root access key id (set with root-secret-key)",
		set: func(s *Settings, v string) error {
			if strings.ContainsAny(v, "/ \t") {
				return errors.New("an access key id may not contain '/' or spaces")
			}
			s.RootAccessKey = v
			return nil
		}},
	{name: "root-secret-key", meta: "SECRET", defText: "generated",
		help: "the default account's root secret key (prefer the variable or the file: flags show in ps)",
		set:  func(s *Settings, v string) error { s.RootSecretKey = v; return nil }},
	{name: "master-key-file", meta: "FILE", defText: "<data>/keys/master.key",
		help: "key that seals the identity store's secrets (keep it outside the data folder to protect copies of it)",
		set:  func(s *Settings, v string) error { s.MasterKeyFile = v; return nil }},
	{name: "sse-key-file", meta: "FILE", defText: "<data>/keys/sse.key",
		help: "key that encrypts object data at rest (SSE-S3; keep it outside the data folder to protect copies of it)",
		set:  func(s *Settings, v string) error { s.SSEKeyFile = v; return nil }},
	{name: "encrypt-at-rest", kind: kBool, def: "false",
		help: "encrypt new object data with the SSE key (SSE-S3, AES256), at about a fifth of the read throughput of large objects; the default stores data as sent (encrypt the disk) and serves GETs with sendfile. Either way, objects written earlier stay readable, and responses say AES256 only for encrypted data",
		set:  boolSetting(func(s *Settings, b bool) { s.EncryptAtRest = b })},
	{name: "sendfile", kind: kBool, def: "false",
		help: "send every unencrypted object range with sendfile(2); by default ranges of 2 MiB or more are written from read-only memory maps, which sent 4 MiB and larger GETs about a fifth faster on loopback (bench/README.md)",
		set:  boolSetting(func(s *Settings, b bool) { s.Sendfile = b })},

	{name: "tls-cert", meta: "FILE", help: "PEM certificate (chain) to serve HTTPS with; reloaded on SIGHUP",
		set: func(s *Settings, v string) error { s.TLSCert = v; return nil }},
	{name: "tls-key", meta: "FILE", help: "PEM private key of --tls-cert; reloaded on SIGHUP",
		set: func(s *Settings, v string) error { s.TLSKey = v; return nil }},
	{name: "tls-self-signed", kind: kBool, def: "false",
		help: "serve HTTPS with a certificate generated once into <data>/tls/ (development)",
		set:  boolSetting(func(s *Settings, b bool) { s.TLSSelfSigned = b })},
	{name: "hostname", meta: "NAME,...", kind: kList, defText: "none (s3.localhost is always covered)",
		help: "host names clients use as the endpoint (comma list; YAML: a list); tls-self-signed covers each and *.NAME, the bucket hosts of virtual-hosted style",
		setList: func(s *Settings, v []string) error {
			var hs []string
			for _, h := range v {
				h = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
				if h == "" {
					continue
				}
				if !validHostname(h) {
					return fmt.Errorf("%q is not a host name (like s3.example.internal; no port, scheme or wildcard)", h)
				}
				hs = append(hs, h)
			}
			s.Hostnames = hs
			return nil
		}},

	{name: "trusted-proxy", meta: "ADDR|CIDR,...", kind: kList, defText: "none: forwarding headers are ignored",
		help: "reverse proxies in front of zonal whose X-Forwarded-For gives the client's address (aws:SourceIp, the console's sign-in limit, the access log) and whose X-Forwarded-Proto: https counts as TLS (aws:SecureTransport, Secure cookies); they must set these headers, not pass a client's on",
		setList: func(s *Settings, v []string) error {
			ps, err := netpeer.ParseProxies(v)
			if err != nil {
				return fmt.Errorf("not an address or CIDR prefix: %w", err)
			}
			s.TrustedProxies = ps
			return nil
		}},
	{name: "admin-token", meta: "TOKEN", defText: "none: the endpoints are open",
		help: "bearer token required by /_zonal/metrics, /_zonal/health and /_zonal/ready",
		set:  func(s *Settings, v string) error { s.AdminToken = v; return nil }},
	{name: "pprof", kind: kBool, def: "false",
		help: "serve Go's CPU, heap and goroutine profiles under /_zonal/debug/pprof/ (behind admin-token when set)",
		set:  boolSetting(func(s *Settings, b bool) { s.Pprof = b })},
	{name: "console", kind: kBool, def: "true",
		help: "serve the web console under /_zonal/console/; it has its own sign-in with an access key, not the admin token (false: the path answers 404)",
		set:  boolSetting(func(s *Settings, b bool) { s.Console = b })},
	{name: "faults", meta: "FILE", defText: "none",
		help: "fault-injection rules (YAML; see the README's Fault injection) applied to S3 requests on purpose; reloaded on SIGHUP",
		set:  func(s *Settings, v string) error { s.FaultsFile = v; return nil }},

	{name: "read-header-timeout", meta: "DURATION", kind: kDuration, def: "15s",
		help: "time a client has to send a request's headers (0: no limit)",
		set:  limitDuration(func(s *Settings, d time.Duration) { s.ReadHeaderTimeout = d })},
	{name: "idle-timeout", meta: "DURATION", kind: kDuration, def: "2m",
		help: "how long an idle keep-alive connection stays open (0: no limit)",
		set:  limitDuration(func(s *Settings, d time.Duration) { s.IdleTimeout = d })},
	{name: "body-idle-timeout", meta: "DURATION", kind: kDuration, def: "30s",
		help: "a request body that sends no byte for this long fails with 400 RequestTimeout (0: no limit)",
		set:  limitDuration(func(s *Settings, d time.Duration) { s.BodyIdleTimeout = d })},
	{name: "body-min-rate", meta: "BYTES/S", def: "500",
		help: "slowest request body accepted, averaged over each body-idle-timeout of waiting; slower fails with 400 RequestTimeout (0: no minimum)",
		set: func(s *Settings, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return fmt.Errorf("%q is not a number of bytes per second (like 500, or 0 for none)", v)
			}
			s.BodyMinRate = n
			return nil
		}},
	{name: "write-idle-timeout", meta: "DURATION", kind: kDuration, def: "30s",
		help: "a response the client does not read for this long is cut off (0: no limit)",
		set:  limitDuration(func(s *Settings, d time.Duration) { s.WriteIdleTimeout = d })},
	{name: "max-inflight", meta: "N", def: "512",
		help: "S3 and IAM requests served at once; more are answered 503 SlowDown at once (0: no limit)",
		set: func(s *Settings, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return fmt.Errorf("%q is not a request count (like 512, or 0 for no limit)", v)
			}
			s.MaxInflight = n
			return nil
		}},
	{name: "min-free-disk", meta: "SIZE", def: "256MiB",
		help: "free space the data folder keeps: below it, uploads are refused with 503 ServiceUnavailable so the catalog never runs out of disk (0: no reserve)",
		set: func(s *Settings, v string) error {
			n, err := parseSize(v)
			if err != nil {
				return err
			}
			s.MinFreeDisk = n
			return nil
		}},

	{name: "log-format", meta: "FORMAT", def: "auto", help: "text, json, or auto (text on a terminal, JSON otherwise)",
		set: func(s *Settings, v string) error {
			switch v {
			case "text", "json", "auto":
				s.LogFormat = v
				return nil
			}
			return fmt.Errorf("%q is not text, json or auto", v)
		}},
	{name: "log-level", meta: "LEVEL", def: "info", help: "debug, info, warn or error",
		set: func(s *Settings, v string) error {
			switch strings.ToLower(v) {
			case "debug", "info", "warn", "warning", "error":
				s.LogLevel = strings.ToLower(v)
				if s.LogLevel == "warning" {
					s.LogLevel = "warn"
				}
				return nil
			}
			return fmt.Errorf("%q is not debug, info, warn or error", v)
		}},
	{name: "list-order", meta: "ORDER", def: "lexicographic",
		help: "ListObjectsV2 page order: lexicographic, or shuffled (directory buckets promise no order; shuffled catches code that depends on one)",
		set: func(s *Settings, v string) error {
			switch v {
			case "lexicographic", "shuffled":
				s.ListOrder = v
				return nil
			}
			return fmt.Errorf("%q is not lexicographic or shuffled", v)
		}},
	{name: "access-log", kind: kBool, def: "true",
		help: "log one line per request at info level (--access-log=false for benchmarks; server errors are still logged)",
		set:  boolSetting(func(s *Settings, b bool) { s.AccessLog = b })},

	// Test-only: the e2e suite runs lifecycle rules in seconds. Not worth a
	// user-facing flag (a "day" that is not a day is no feature), but read
	// here like every setting so the server itself reads no environment.
	{name: "lifecycle-interval", kind: kDuration, hidden: true,
		set: positiveDuration(func(s *Settings, d time.Duration) { s.LifecycleInterval = d })},
	{name: "lifecycle-day", kind: kDuration, hidden: true,
		set: positiveDuration(func(s *Settings, d time.Duration) { s.LifecycleDay = d })},
	{name: "lease-ttl", kind: kDuration, hidden: true,
		set: positiveDuration(func(s *Settings, d time.Duration) { s.LeaseTTL = d })},
	{name: "gc-interval", kind: kDuration, hidden: true,
		set: positiveDuration(func(s *Settings, d time.Duration) { s.GCInterval = d })},
	{name: "gc-delay", kind: kDuration, hidden: true,
		set: positiveDuration(func(s *Settings, d time.Duration) { s.GCDelay = d })},
}

// positiveDuration sets a duration that must be above zero.
func positiveDuration(f func(*Settings, time.Duration)) func(*Settings, string) error {
	return func(s *Settings, v string) error {
		d, err := parseDuration(v)
		if err != nil {
			return err
		}
		if d <= 0 {
			return fmt.Errorf("%v must be above zero", d)
		}
		f(s, d)
		return nil
	}
}

var byName = func() map[string]*setting {
	m := make(map[string]*setting, len(settings))
	for _, st := range settings {
		m[st.name] = st
	}
	return m
}()

// Defaults returns the settings with nothing given.
func Defaults() *Settings {
	s := &Settings{}
	for _, st := range settings {
		if st.kind == kList {
			_ = st.setList(s, nil)
			continue
		}
		if st.def != "" {
			if err := st.set(s, st.def); err != nil {
				panic("config: bad default of " + st.name + ": " + err.Error())
			}
		}
	}
	return s
}

// Load resolves the settings from the command-line arguments of `zonal
// server`, the environment (lookup, usually os.LookupEnv) and the file
// named by --config or ZONAL_CONFIG. It returns flag.ErrHelp after writing
// the help to stdout when asked for it.
func Load(args []string, lookup func(string) (string, bool), stdout io.Writer) (*Settings, error) {
	fs := flag.NewFlagSet("zonal server", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned, help is written by WriteHelp
	fs.Usage = func() {}
	var configPath string
	fs.StringVar(&configPath, "config", "", "")
	type given struct {
		st    *setting
		value string
	}
	var flags []given
	for _, st := range settings {
		st := st
		fs.Var(&flagValue{st: st, record: func(v string) { flags = append(flags, given{st, v}) }}, st.name, st.help)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			WriteHelp(stdout)
			return nil, flag.ErrHelp
		}
		return nil, fmt.Errorf("%v (see 'zonal server --help')", err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (see 'zonal server --help')", fs.Arg(0))
	}
	configGiven := false
	fs.Visit(func(f *flag.Flag) { configGiven = configGiven || f.Name == "config" })
	if !configGiven {
		if v, ok := lookup(ConfigEnv); ok && v != "" {
			configPath = v
		}
	}

	s := Defaults()
	if configPath != "" {
		data, err := os.ReadFile(configPath)
		if err != nil {
			return nil, fmt.Errorf("config file: %w", err)
		}
		if err := ApplyYAML(s, configPath, data); err != nil {
			return nil, err
		}
		s.ConfigFile = configPath
	}
	for _, st := range settings {
		v, ok := lookup(Env(st.name))
		if !ok || v == "" {
			continue // an empty variable counts as unset
		}
		if err := apply(s, st, v); err != nil {
			return nil, fmt.Errorf("%s: %w", Env(st.name), err)
		}
	}
	for _, g := range flags {
		if err := apply(s, g.st, g.value); err != nil {
			return nil, fmt.Errorf("--%s: %w", g.st.name, err)
		}
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

func apply(s *Settings, st *setting, v string) error {
	if st.kind == kList {
		return st.setList(s, strings.Split(v, ","))
	}
	return st.set(s, v)
}

// Validate checks the rules that tie settings together.
func (s *Settings) Validate() error {
	if (s.RootAccessKey == "") != (s.RootSecretKey == "") {
		return errors.New("set both root-access-key and root-secret-key (ZONAL_ROOT_ACCESS_KEY, ZONAL_ROOT_SECRET_KEY), or neither")
	}
	if (s.TLSCert == "") != (s.TLSKey == "") {
		return errors.New("set both tls-cert and tls-key, or neither")
	}
	if s.TLSSelfSigned && s.TLSCert != "" {
		return errors.New("tls-self-signed and tls-cert exclude each other: choose one")
	}
	for _, a := range s.Accounts {
		where := ""
		if s.ConfigFile != "" && a.Line > 0 {
			where = fmt.Sprintf("%s:%d: ", s.ConfigFile, a.Line)
		}
		if a.ID == s.AccountID {
			return fmt.Errorf("%saccount %s is the default account (account-id); set its keys with root-access-key and root-secret-key", where, a.ID)
		}
		if s.RootAccessKey != "" && a.AccessKeyID == s.RootAccessKey {
			return fmt.Errorf("%saccount %s: root_access_key_id %s is also the default account's root-access-key", where, a.ID, a.AccessKeyID)
		}
	}
	return nil
}

// flagValue records the raw values of flags in command-line order; they are
// applied after the file and the environment.
type flagValue struct {
	st     *setting
	record func(string)
}

func (f *flagValue) String() string { return "" }
func (f *flagValue) Set(v string) error {
	// Check now so flag reports the error with the flag's name; the value
	// is applied again, in order, after the file and the environment.
	if err := apply(&Settings{}, f.st, v); err != nil {
		return err
	}
	f.record(v)
	return nil
}
func (f *flagValue) IsBoolFlag() bool { return f.st.kind == kBool }

// WriteHelp writes `zonal server --help`.
func WriteHelp(w io.Writer) {
	fmt.Fprint(w, `Usage: zonal server [flags]

Runs the S3 Express One Zone compatible server.

Every setting can be given, highest precedence first, as a flag, as an
environment variable, in the YAML file named by --config (or ZONAL_CONFIG),
or left to its default. The file uses the flag names as keys, for example:

  addr: 0.0.0.0:9000
  data: /var/lib/zonal
  zones: [use1-az4, use1-az5]
  session-ttl: 5m
  log-format: json
  accounts:              # extra accounts (file only)
    - id: "222233334444"
      root_access_key_id: AKIA...
      root_secret_access_key: ...

Unknown keys and bad values stop start-up.

Settings:
  --config FILE
        YAML settings file
        env ZONAL_CONFIG
`)
	for _, st := range settings {
		if st.hidden {
			continue
		}
		head := "  --" + st.name
		if st.meta != "" {
			head += " " + st.meta
		}
		def := st.defText
		if def == "" {
			def = st.def
		}
		if def == "" {
			def = "none"
		}
		fmt.Fprintf(w, "%s\n        %s\n        env %s, default: %s\n", head, st.help, Env(st.name), def)
	}
}

// Names lists every setting name (the flags, keys and variables), sorted.
func Names() []string {
	var n []string
	for _, st := range settings {
		if st.hidden {
			continue
		}
		n = append(n, st.name)
	}
	sort.Strings(n)
	return n
}

func parseDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (like 90s, 5m or 1h)", v)
	}
	return d, nil
}

// parseSize reads a byte count: a number with an optional KiB, MiB, GiB
// or TiB suffix (KB, MB, GB, TB and K, M, G, T mean the same).
func parseSize(v string) (int64, error) {
	num := strings.TrimRight(v, "KMGTiBkmgtb")
	unit := strings.TrimSuffix(strings.TrimSuffix(strings.ToUpper(v[len(num):]), "B"), "I")
	shift := map[string]uint{"": 0, "K": 10, "M": 20, "G": 30, "T": 40}
	sh, ok := shift[unit]
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if !ok || err != nil || n < 0 || n > (1<<62)>>sh {
		return 0, fmt.Errorf("%q is not a size (like 256MiB, 1GiB or 0)", v)
	}
	return n << sh, nil
}

// limitDuration parses a timeout that 0 turns off.
func limitDuration(set func(*Settings, time.Duration)) func(*Settings, string) error {
	return func(s *Settings, v string) error {
		d, err := parseDuration(v)
		if err != nil {
			return err
		}
		if d < 0 {
			return fmt.Errorf("%v is negative (0 turns the limit off)", d)
		}
		set(s, d)
		return nil
	}
}

// boolSetting parses a boolean setting's value and stores it with set.
func boolSetting(set func(*Settings, bool)) func(*Settings, string) error {
	return func(s *Settings, v string) error {
		b, err := parseBool(v)
		if err == nil {
			set(s, b)
		}
		return err
	}
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "1", "t", "true", "yes", "on":
		return true, nil
	case "0", "f", "false", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("%q is not true or false", v)
}

// validHostname accepts a DNS name of letters, digits and hyphens, or an
// IP address: what a certificate's names can hold.
func validHostname(h string) bool {
	if net.ParseIP(h) != nil {
		return true
	}
	if len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' ||
			strings.Trim(label, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
			return false
		}
	}
	return true
}

func validAccountID(id string) bool {
	if len(id) != 12 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
	}
	return true
}
