// Command zonal is an object store that speaks the Amazon S3 Express One
// Zone API. Subcommands: server (run it) and version.
package main

import (
	"fmt"
	"os"
	"runtime"
)

// Set at build time with -ldflags "-X main.version=... -X main.commit=...".
var (
	version = "dev"
	commit  = "unknown"
)

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "server":
		err = runServer(os.Args[2:])
	case "version", "--version", "-v":
		fmt.Printf("zonal %s (commit %s, %s)\n", version, commit, runtime.Version())
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
  version   print version, commit and Go version

Run 'zonal server --help' for the server's settings.
`)
}
