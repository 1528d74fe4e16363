package server

import "time"

// Limits bound what slow, stalled or too many clients can take from the
// server: connections, goroutines and memory.
//
// The zero Limits means DefaultLimits(). Otherwise every field is taken as
// given, and a zero field turns that limit off.
type Limits struct {
	// ReadHeaderTimeout is the time a client has to send a request's
	// headers (slowloris headers).
	ReadHeaderTimeout time.Duration
	// IdleTimeout closes keep-alive connections idle this long.
	IdleTimeout time.Duration
	// BodyIdleTimeout fails a request whose body sends no byte for this
	// long with 400 RequestTimeout. The deadline is pushed forward as bytes
	// arrive (at most every eighth of it, so a stall of 7/8 of it may
	// already fail), so large honest uploads are never cut.
	BodyIdleTimeout time.Duration
	// BodyMinRate is the slowest request body accepted, in bytes per
	// second, measured over the time spent waiting for the client (not the
	// time the server spends storing what it got) in windows of
	// BodyIdleTimeout (30 s when that is off). A trickle slower than this
	// fails with 400 RequestTimeout.
	BodyMinRate int64
	// WriteIdleTimeout cuts a response the client does not read for this
	// long (the connection is closed): a stalled reader cannot hold a
	// goroutine, a buffer and an in-flight slot forever. Like the body
	// deadline it is pushed forward as the response is written.
	WriteIdleTimeout time.Duration
	// MaxInflight is the number of S3 and IAM/STS requests served at once;
	// more are answered 503 SlowDown at once, without reading their body.
	// The /_zonal/ endpoints are exempt.
	MaxInflight int
	// MinFreeDisk is the free space (bytes) the data folder keeps: below
	// it, uploads are refused with 503 ServiceUnavailable (see diskGuard).
	MinFreeDisk int64
}

// DefaultMaxInflight is the default in-flight request cap. An admitted
// request holds at most about 0.5 MiB of buffers (a 256 KiB body copy
// buffer and a pooled 256 KiB blob write buffer for a large PUT; far less
// for small objects and reads), so 512 of them stay within a few hundred
// MiB, and on a small machine the disk and CPU are saturated well before
// 512 concurrent requests (tests/overload): queueing more only adds
// latency, while an immediate 503 SlowDown makes SDKs back off and retry.
const DefaultMaxInflight = 512

// DefaultLimits are the limits of a server whose Config sets none; they
// match the defaults of `zonal server`.
func DefaultLimits() Limits {
	return Limits{
		ReadHeaderTimeout: 15 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BodyIdleTimeout:   30 * time.Second,
		BodyMinRate:       500,
		WriteIdleTimeout:  30 * time.Second,
		MaxInflight:       DefaultMaxInflight,
		MinFreeDisk:       DefaultMinFreeDisk,
	}
}

// maxHeaderBytes is the hard cap on a request's header section that
// net/http enforces before any handler runs (it answers 431 beyond it).
// The S3 limit, 8 KiB, is checked by the S3 API, which answers with AWS's
// error (RequestHeaderSectionTooLarge); this one only bounds memory.
const maxHeaderBytes = 64 << 10

// shedDrainMax is the largest declared body of a shed request after which
// the connection is kept: net/http discards that little without buffering
// it, which is cheaper for both sides than a new connection (or TLS
// handshake) per retry. Larger or unknown-length bodies get
// "Connection: close" and are never read.
const shedDrainMax = 64 << 10
