package bench

import (
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/zonal-dev/zonal/internal/checksum"
)

// Workloads.
const (
	WorkloadPut       = "put"
	WorkloadGet       = "get"
	WorkloadMixed     = "mixed"
	WorkloadList      = "list"
	WorkloadAppend    = "append"
	WorkloadMultipart = "multipart"
	WorkloadCeiling   = "ceiling"
)

// Workloads lists the workload names in the order the help shows them.
var Workloads = []string{WorkloadPut, WorkloadGet, WorkloadMixed, WorkloadList, WorkloadAppend, WorkloadMultipart, WorkloadCeiling}

// Modes.
const (
	ModeExpress = "express" // CreateSession, then session-signed requests
	ModePlain   = "plain"   // SigV4 with the long-term keys on every request
)

// Config describes one benchmark run.
type Config struct {
	Workload string // one of Workloads
	// CeilingOf is the workload the ceiling workload imitates (default put).
	CeilingOf string

	Mode    string // ModeExpress (default) or ModePlain
	Service string // SigV4 service; default s3express (express) or s3 (plain)

	// Endpoint is the server's URL (http://127.0.0.1:9000), or several
	// separated by commas (the nodes of one cluster): worker i then sends
	// to endpoint i mod N. Empty means real AWS:
	// https://<bucket>.s3express-<Zone>.<Region>.amazonaws.com (express) or
	// https://<bucket>.s3.<Region>.amazonaws.com (plain).
	Endpoint string
	// Addressing is "auto" (default: virtual-hosted for amazonaws.com
	// hosts, path style otherwise), "path" or "virtual".
	Addressing string
	// ConnectTo, when set (host:port), is dialled for every request
	// whatever the URL's host: for virtual-hosted names that do not resolve.
	ConnectTo string
	// InsecureTLS skips certificate verification.
	InsecureTLS bool

	Region    string // default us-east-1
	Zone      string // AZ id; default from the bucket name, else use1-az4
	AccessKey string
	SecretKey string

	Bucket       string // default zonal-bench--<zone>--x-s3
	CreateBucket bool   // create the bucket if missing
	Prefix       string // key prefix, default "bench/"

	Size          int64 // object (or part, or append) size
	Keys          int   // key-set size; 0 = workload default
	Concurrency   int   // workers, default 16
	Duration      time.Duration
	Requests      int64 // when > 0, run this many counted operations instead of Duration
	Warmup        time.Duration
	RandomPayload bool    // distinct random payloads instead of one fixed payload
	Unsigned      bool    // sign PUT bodies as UNSIGNED-PAYLOAD instead of their SHA-256
	Checksum      string  // "" or an S3 checksum algorithm sent as x-amz-checksum-*
	GetRatio      float64 // mixed: share of GETs, default 0.8
	Parts         int     // multipart: parts per upload, default 3
	AppendsPerKey int     // append: appends before moving to a new key, default 1000
	Timeout       time.Duration

	// CompareCeiling runs the ceiling workload (same size, concurrency,
	// duration) right before the real run and reports the ratio.
	CompareCeiling bool
	// CeilingAddr is the address of an already running ceiling server
	// (zonal bench ceiling-server); empty starts one in this process.
	CeilingAddr string

	// ServerPIDs are the server processes (one per node): their CPU time,
	// summed, and peak RSS over the measured phase are read from /proc and
	// reported.
	ServerPIDs []int
	// DBPID, when set, is a database server's root process (PostgreSQL's
	// postmaster): the CPU time of it and its descendants over the
	// measured phase is reported beside the server's.
	DBPID int
	// BackendPID, when set, is the blob store's root process (weed
	// server): counted as a process tree, like DBPID.
	BackendPID int

	// ServerProfile, when set, is a file for a CPU profile of the first
	// endpoint's server over the measured phase, fetched from zonal's
	// /_zonal/debug/pprof/profile (a server started with --pprof).
	ServerProfile string

	// Progress receives a line every second (nil: none).
	Progress io.Writer
	// Log receives notes (population, sessions); nil: none.
	Log io.Writer
}

func (c *Config) setDefaults() error {
	if c.Workload == "" {
		c.Workload = WorkloadPut
	}
	known := false
	for _, w := range Workloads {
		known = known || w == c.Workload
	}
	if !known {
		return fmt.Errorf("unknown workload %q (want one of %s)", c.Workload, strings.Join(Workloads, ", "))
	}
	if c.Workload == WorkloadCeiling {
		if c.CeilingOf == "" {
			c.CeilingOf = WorkloadPut
		}
		if c.CeilingOf == WorkloadCeiling {
			return fmt.Errorf("the ceiling workload imitates another workload, not itself")
		}
	}
	switch c.Mode {
	case "":
		c.Mode = ModeExpress
	case ModeExpress, ModePlain:
	default:
		return fmt.Errorf("unknown mode %q (want express or plain)", c.Mode)
	}
	if c.Service == "" {
		c.Service = "s3express"
		if c.Mode == ModePlain {
			c.Service = "s3"
		}
	}
	switch c.Addressing {
	case "":
		c.Addressing = "auto"
	case "auto", "path", "virtual":
	default:
		return fmt.Errorf("unknown addressing %q (want auto, path or virtual)", c.Addressing)
	}
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.Zone == "" {
		c.Zone = zoneOf(c.Bucket)
		if c.Zone == "" {
			c.Zone = "use1-az4"
		}
	}
	if c.Bucket == "" {
		c.Bucket = "zonal-bench--" + c.Zone + "--x-s3"
	}
	if c.Prefix == "" {
		c.Prefix = "bench/"
	}
	if !safeKey(c.Prefix) {
		return fmt.Errorf("--prefix %q: use only letters, digits, '.', '_', '-' and '/'", c.Prefix)
	}
	if !strings.HasSuffix(c.Prefix, "/") {
		c.Prefix += "/"
	}
	if c.Size < 0 {
		return fmt.Errorf("negative size")
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 16
	}
	if c.Duration <= 0 && c.Requests <= 0 {
		c.Duration = 10 * time.Second
	}
	if c.Warmup < 0 {
		c.Warmup = 0
	}
	if c.GetRatio == 0 {
		c.GetRatio = 0.8
	}
	if c.GetRatio < 0 || c.GetRatio > 1 {
		return fmt.Errorf("--get-ratio %v: want 0..1", c.GetRatio)
	}
	if c.Parts <= 0 {
		c.Parts = 3
	}
	if c.AppendsPerKey <= 0 {
		c.AppendsPerKey = 1000
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	if c.Checksum != "" && !strings.EqualFold(c.Checksum, "none") {
		a, ok := checksum.Parse(c.Checksum)
		if !ok {
			return fmt.Errorf("--checksum %q: want none, crc32, crc32c, crc64nvme, sha1 or sha256", c.Checksum)
		}
		c.Checksum = string(a)
	} else {
		c.Checksum = ""
	}
	if c.AccessKey == "" || c.SecretKey == "" {
		if c.Workload != WorkloadCeiling {
			return fmt.Errorf("no credentials: set --access-key/--secret-key, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or ZONAL_ROOT_ACCESS_KEY/ZONAL_ROOT_SECRET_KEY")
		}
		c.AccessKey, c.SecretKey = "AKIACEILING000000000", "ceilingceilingceilingceilingceilingceil0"
	}
	if c.Endpoint != "" {
		if _, err := SplitEndpoints(c.Endpoint); err != nil {
			return err
		}
	}
	return nil
}

// SplitEndpoints splits a comma-separated list of server URLs, each
// http(s)://host[:port].
func SplitEndpoints(s string) ([]string, error) {
	var eps []string
	for _, e := range strings.Split(s, ",") {
		e = strings.TrimSpace(e)
		u, err := url.Parse(e)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("--endpoint %q: want http(s)://host[:port], or several separated by commas", e)
		}
		eps = append(eps, e)
	}
	return eps, nil
}

// ParsePIDs parses a comma-separated list of process ids ("" is none).
func ParsePIDs(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var pids []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("process id %q: want a positive number", f)
		}
		pids = append(pids, n)
	}
	return pids, nil
}

// workloadOp is the workload whose requests a run makes (the imitated one
// for the ceiling).
func (c *Config) workloadOp() string {
	if c.Workload == WorkloadCeiling {
		return c.CeilingOf
	}
	return c.Workload
}

// keyCount is the size of the key set for workloads that use one.
func (c *Config) keyCount() int {
	if c.Keys > 0 {
		return c.Keys
	}
	switch c.workloadOp() {
	case WorkloadGet, WorkloadMixed, WorkloadList:
		return 1000
	}
	return 0 // put: a new key for every PUT
}

// zoneOf returns the AZ id of a directory bucket name base--azid--x-s3.
func zoneOf(bucket string) string {
	rest, ok := strings.CutSuffix(bucket, "--x-s3")
	if !ok {
		return ""
	}
	i := strings.LastIndex(rest, "--")
	if i < 0 {
		return ""
	}
	return rest[i+2:]
}

// safeKey reports whether s needs no escaping in a URL path or a SigV4
// canonical URI, so keys built from it can be used as they are.
func safeKey(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '/' || c == '~') {
			return false
		}
	}
	return true
}

// target is where requests go.
type target struct {
	scheme      string
	host        string // Host of data-plane requests
	pathPrefix  string // "/<bucket>" (path style) or "" (virtual-hosted)
	controlHost string // Host for CreateBucket
	controlPath string // path of CreateBucket
	aws         bool
}

// resolveTargets returns one target per endpoint (one for AWS).
func resolveTargets(c *Config) ([]target, error) {
	if c.Endpoint == "" {
		t, err := resolveTarget(c, "")
		return []target{t}, err
	}
	eps, err := SplitEndpoints(c.Endpoint)
	if err != nil {
		return nil, err
	}
	ts := make([]target, len(eps))
	for i, e := range eps {
		if ts[i], err = resolveTarget(c, e); err != nil {
			return nil, err
		}
	}
	return ts, nil
}

// resolveTarget resolves one endpoint ("": AWS).
func resolveTarget(c *Config, endpoint string) (target, error) {
	if endpoint == "" {
		t := target{scheme: "https", aws: true}
		if c.Mode == ModeExpress || strings.HasSuffix(c.Bucket, "--x-s3") {
			t.host = c.Bucket + ".s3express-" + c.Zone + "." + c.Region + ".amazonaws.com"
			t.controlHost = "s3express-control." + c.Region + ".amazonaws.com"
			t.controlPath = "/" + c.Bucket
		} else {
			t.host = c.Bucket + ".s3." + c.Region + ".amazonaws.com"
			t.controlHost, t.controlPath = t.host, "/"
		}
		if c.Addressing == "path" {
			return t, fmt.Errorf("--addressing path needs --endpoint")
		}
		return t, nil
	}
	u, _ := url.Parse(endpoint)
	t := target{scheme: u.Scheme}
	hostname := u.Hostname()
	virtual := false
	switch c.Addressing {
	case "virtual":
		virtual = true
	case "auto":
		virtual = net.ParseIP(hostname) == nil && strings.HasSuffix(hostname, ".amazonaws.com")
	}
	if virtual {
		t.host = c.Bucket + "." + u.Host
		t.controlHost, t.controlPath = t.host, "/"
	} else {
		t.host = u.Host
		t.pathPrefix = "/" + c.Bucket
		t.controlHost, t.controlPath = u.Host, t.pathPrefix
	}
	return t, nil
}
