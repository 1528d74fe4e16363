// Package bench is the load generator behind `zonal bench`: workloads of
// session-signed (or plain SigV4) requests against any S3 Express endpoint,
// latency histograms, and the trivial "ceiling" server each result is read
// against. bench/README.md describes the workloads and how to read them.
package bench
