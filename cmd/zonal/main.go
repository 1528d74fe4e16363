// Command zonal is an object store that speaks the Amazon S3 Express One
// Zone API. Subcommands: server (run it), bench and version.
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
)

// Set at build time with -ldflags "-X main.version=... -X main.commit=...".
// When unset, the module version and VCS stamp recorded by the Go toolchain
// (go install, go build in a checkout) are used instead.
var (
	version = ""
	commit  = ""
)

func init() {
	info, ok := debug.ReadBuildInfo()
	if version == "" {
		version = "dev"
		if ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
			version = info.Main.Version
		}
	}
	if commit == "" && ok {
		var rev, modified string
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		if rev != "" {
			commit = rev
			if modified == "true" {
				commit += "-dirty"
			}
		}
	}
}

// buildCommit is the commit for display ("unknown" when not recorded).
func buildCommit() string {
	if commit == "" {
		return "unknown"
	}
	return commit
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "server":
		err = runServer(os.Args[2:])
	case "bench":
		err = runBench(os.Args[2:])
	case "version", "--version", "-v":
		fmt.Printf("zonal %s (commit %s, %s, %s/%s)\n", version, buildCommit(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	case "help", "-h", "--help":
		usage()
	default:
		fmt.Fprintf(os.Stderr, "zonal: unknown command %q\n\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "zonal:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprint(os.Stderr, `Usage: zonal <command> [flags]

Commands:
  server    run the S3 Express One Zone compatible server
  bench     load generator (S3 Express or plain SigV4) and the trivial ceiling server
  version   print version, commit and Go version

Run 'zonal server --help' for the server's settings.
`)
}
