package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/zonal-dev/zonal/internal/bench"
)

const benchUsage = `Usage: zonal bench <workload> [flags]
       zonal bench ceiling-server [--addr 127.0.0.1:9100] [--size 4KiB]

A load generator that speaks S3 Express One Zone the way the SDKs do
(CreateSession, then session-signed requests), or plain SigV4 (--mode plain)
for any S3 server. See bench/README.md.

Workloads:
  put        PutObject of --size bytes (a new key each time, or --keys K to cycle)
  get        GetObject of --keys pre-populated objects (population is not timed)
  mixed      GETs and PUTs over --keys objects, --get-ratio of them GETs
  list       ListObjectsV2 pages of 1000 keys over a pre-populated directory
  append     PutObject with x-amz-write-offset-bytes to per-worker keys
  multipart  CreateMultipartUpload, --parts x UploadPart of --size, Complete
  ceiling    the same generator against a trivial in-process HTTP server
             (drains PUTs, answers GETs with --size bytes, no auth, no
             storage) imitating --ceiling-of: the machine's limit

Examples:
  zonal bench put --endpoint http://127.0.0.1:9000 --size 4KiB --compare-ceiling
  zonal bench get --size 1MiB --keys 200 --duration 10s --json
  zonal bench put --region us-west-2 --zone usw2-az1 --bucket mine--usw2-az1--x-s3

Flags:
`

func runBench(args []string) error {
	workload := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		workload, args = args[0], args[1:]
	}
	if workload == "ceiling-server" {
		return runCeilingServer(args)
	}
	fs := flag.NewFlagSet("zonal bench", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), benchUsage)
		fs.PrintDefaults()
	}
	var cfg bench.Config
	fs.StringVar(&cfg.Workload, "workload", workload, "workload (also the first argument): "+strings.Join(bench.Workloads, ", "))
	fs.StringVar(&cfg.Mode, "mode", bench.ModeExpress, "express (CreateSession + session-signed requests) or plain (SigV4 with the long-term keys)")
	fs.StringVar(&cfg.Service, "service", "", "SigV4 service name (default s3express in express mode, s3 in plain mode)")
	endpoint := fs.String("endpoint", "http://127.0.0.1:9000", "server URL, or several separated by commas (worker i sends to endpoint i mod N); leave unset and give --region/--zone for AWS (https://<bucket>.s3express-<zone>.<region>.amazonaws.com)")
	fs.StringVar(&cfg.Addressing, "addressing", "auto", "auto (virtual-hosted for *.amazonaws.com, else path style), path or virtual")
	fs.StringVar(&cfg.ConnectTo, "connect-to", "", "dial this host:port for every request (for virtual-hosted names that do not resolve)")
	fs.BoolVar(&cfg.InsecureTLS, "insecure", false, "skip TLS certificate verification")
	fs.StringVar(&cfg.Region, "region", "us-east-1", "SigV4 region")
	fs.StringVar(&cfg.Zone, "zone", "", "availability zone id (default from the bucket name, else use1-az4)")
	fs.StringVar(&cfg.AccessKey, "access-key", firstEnv("AWS_ACCESS_KEY_ID", "ZONAL_ROOT_ACCESS_KEY"), "access key id (default $AWS_ACCESS_KEY_ID, else $ZONAL_ROOT_ACCESS_KEY)")
	fs.StringVar(&cfg.SecretKey, "secret-key", "", "secret access key (default $AWS_SECRET_ACCESS_KEY, else $ZONAL_ROOT_SECRET_KEY)")
	fs.StringVar(&cfg.Bucket, "bucket", "", "bucket (default zonal-bench--<zone>--x-s3)")
	fs.BoolVar(&cfg.CreateBucket, "create-bucket", true, "create the bucket if it does not exist")
	fs.StringVar(&cfg.Prefix, "prefix", "bench/", "key prefix")
	size := fs.String("size", "4KiB", "object size (part size for multipart, append size for append): 4096, 4KiB, 1MiB, 10MB...")
	fs.IntVar(&cfg.Keys, "keys", 0, "key-set size (default 1000 for get, mixed and list; put: 0 = a new key per PUT)")
	fs.IntVar(&cfg.Concurrency, "concurrency", 16, "workers, each with one request in flight on its own connection")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "measured time (after warmup)")
	fs.Int64Var(&cfg.Requests, "requests", 0, "run this many measured operations instead of --duration")
	fs.DurationVar(&cfg.Warmup, "warmup", time.Second, "warmup before measuring (not counted)")
	fs.BoolVar(&cfg.RandomPayload, "random-payload", false, "distinct random payloads (default: one fixed payload)")
	fs.BoolVar(&cfg.Unsigned, "unsigned-payload", false, "send x-amz-content-sha256: UNSIGNED-PAYLOAD instead of the body's SHA-256")
	fs.StringVar(&cfg.Checksum, "checksum", "none", "send x-amz-checksum-<alg> with bodies: none, crc32, crc32c, crc64nvme, sha1, sha256")
	fs.Float64Var(&cfg.GetRatio, "get-ratio", 0.8, "mixed: share of GETs")
	fs.IntVar(&cfg.Parts, "parts", 3, "multipart: parts per upload (each --size; S3 wants >= 5MiB but the last)")
	fs.IntVar(&cfg.AppendsPerKey, "appends-per-key", 1000, "append: appends per key before starting a new one")
	fs.DurationVar(&cfg.Timeout, "timeout", 30*time.Second, "response header timeout")
	fs.BoolVar(&cfg.CompareCeiling, "compare-ceiling", false, "run the ceiling workload with the same settings first and print the ratio")
	fs.StringVar(&cfg.CeilingOf, "ceiling-of", "put", "ceiling: the workload to imitate")
	fs.StringVar(&cfg.CeilingAddr, "ceiling-addr", "", "ceiling: use the ceiling server already running here (zonal bench ceiling-server) instead of one in this process")
	serverPIDs := fs.String("server-pid", "", "server process id, or several separated by commas (one per node): report their CPU time (summed) and peak RSS during the measured phase (Linux /proc)")
	fs.IntVar(&cfg.DBPID, "db-pid", 0, "database server's root process id (PostgreSQL's postmaster): report the CPU time of its process tree during the measured phase")
	fs.IntVar(&cfg.BackendPID, "backend-pid", 0, "blob store's root process id (e.g. weed server): report the CPU time of its process tree during the measured phase")
	fs.StringVar(&cfg.ServerProfile, "server-profile", "", "save a CPU profile of the (first) server over the measured phase to this file, from /_zonal/debug/pprof/profile (zonal server --pprof)")
	jsonOut := fs.Bool("json", false, "print one JSON object instead of the text report")
	quiet := fs.Bool("quiet", false, "no progress line")
	cpuProfile := fs.String("cpuprofile", "", "write the generator's CPU profile to this file")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	switch {
	case fs.NArg() == 1 && cfg.Workload == "":
		cfg.Workload = fs.Arg(0)
	case fs.NArg() > 0:
		return fmt.Errorf("bench: unexpected arguments %q", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	cfg.Endpoint = *endpoint
	if !set["endpoint"] && (set["region"] || set["zone"]) {
		cfg.Endpoint = "" // real AWS
	}
	if cfg.SecretKey == "" {
		if os.Getenv("AWS_ACCESS_KEY_ID") != "" && cfg.AccessKey == os.Getenv("AWS_ACCESS_KEY_ID") {
			cfg.SecretKey = os.Getenv("AWS_SECRET_ACCESS_KEY")
		} else {
			cfg.SecretKey = os.Getenv("ZONAL_ROOT_SECRET_KEY")
		}
	}
	n, err := bench.ParseSize(*size)
	if err != nil {
		return fmt.Errorf("--size: %v", err)
	}
	cfg.Size = n
	if cfg.ServerPIDs, err = bench.ParsePIDs(*serverPIDs); err != nil {
		return fmt.Errorf("--server-pid: %v", err)
	}
	if !*quiet {
		cfg.Progress = os.Stderr
	}
	cfg.Log = os.Stderr
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := bench.Run(ctx, cfg)
	if res == nil {
		return err
	}
	if *jsonOut {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else {
		res.WriteText(os.Stdout)
	}
	if errors.Is(err, context.Canceled) {
		return nil // interrupted: the partial report was printed
	}
	return err
}

// runCeilingServer runs the ceiling workload's trivial server on its own,
// so it can sit in a separate process exactly like the server under test.
func runCeilingServer(args []string) error {
	fs := flag.NewFlagSet("zonal bench ceiling-server", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:9100", "listen address")
	size := fs.String("size", "4KiB", "GET body size when the request does not say")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	n, err := bench.ParseSize(*size)
	if err != nil {
		return fmt.Errorf("--size: %v", err)
	}
	srv, err := bench.StartCeiling(*addr, n)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "zonal bench ceiling-server listening on %s\n", srv.Addr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return srv.Close()
}

func firstEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}
