// Package postgres is a catalog.Catalog on PostgreSQL (pgx/v5), so that
// several zonal processes can share one catalog (issue 13, scale-out). It
// passes catalogtest unchanged, as mem and Pebble do.
//
// # Schema
//
// The schema is in versioned migrations (migrations/NNNN_name.sql,
// embedded). Open applies the missing ones, each in its own transaction
// with its schema_migrations row, holding a session advisory lock so that
// processes starting together migrate once; it refuses a database whose
// version is newer than the build's. A migration is never edited once
// committed: changes come as a new file.
//
// Names (bucket, key, upload id, blob id) are bytea: they order bytewise,
// which is Go's string order and S3's listing order whatever the
// database's collation, and they hold any byte, NUL included. Times are
// int64 Unix nanoseconds (timestamptz keeps microseconds).
//
//   - buckets(name PK, owner, region, zone, created_ns, policy, encryption,
//     lifecycle), indexed on (owner, name).
//   - objects(bucket, key PK, meta, data): meta is the record without its
//     inline bytes, data those bytes concatenated. One row, so a read never
//     pairs one version's metadata with another's bytes, and a listing
//     reads meta only.
//   - uploads(bucket, key, id PK, info) and parts(bucket, key, id, number
//     PK, info), a part's inline bytes inside info.
//   - blob_refs(blob_id PK, refs > 0): a row only while referenced;
//     gc_queue(blob_id PK, queued_ns), indexed on (queued_ns, blob_id).
//   - config(name PK, value, version), indexed on version; config_clock,
//     one row; client_tokens(scope, token PK, value, expires_ns), indexed
//     on expires_ns (migration 2, below).
//   - buckets.tags (migration 3): the bucket's tags, read with the row.
//
// Records are binary (record.go, the binrec primitives), led by a format
// byte; a format the build does not know is refused by name.
//
// # Transactions and locking
//
// Every mutation is one READ COMMITTED transaction, acknowledged only after
// COMMIT returned. Read-modify-write operations lock what they read, always
// in this order, so no cycle can form:
//
//  1. Bucket rows: FOR KEY SHARE by object writers and CreateUpload
//     (sorted by name); FOR UPDATE by DeleteBucket, which so waits for
//     them and then checks emptiness against their commits; FOR NO KEY
//     UPDATE by UpdateBucket, which does not block object writers.
//  2. Object keys: one transaction advisory lock per key (FNV-64 of
//     bucket and key), in ascending lock id order, then the existing rows
//     FOR UPDATE. The advisory lock also covers a key without a row, which
//     a row lock cannot: two conditional creates serialise instead of
//     racing to the unique index. A hash collision only serialises two
//     unrelated keys.
//  3. Upload rows: FOR SHARE by PutPart (plus an advisory lock on the part
//     number), so parts of one upload go in concurrently; FOR UPDATE by
//     CompleteUpload (after the key's lock) and AbortUpload, which so wait
//     for parts in flight, and later parts find the upload gone.
//  4. blob_refs rows, locked in blob id order by applyRefs in the same
//     transaction as the records; a count reaching zero deletes the row
//     and queues the blob for GC, a blob referenced again leaves the queue.
//
// Statements go in pgx batches, which run in the order queued, so a batch
// keeps the lock order: a write that changes blob references costs five
// round trips (BEGIN, locks and reads, the writes with the count rows'
// lock, the new counts, COMMIT), whatever the operation and however many
// parts; one that does not, four.
//
// Serialization failures, deadlocks and unique-index races run the
// transaction again, caller's function included, on fresh state (up to
// Options.MaxRetries): update functions must have no side effects beyond
// their result.
//
// # Listing
//
// ListObjects and ListUploads reuse catalog.ListWithUploads and
// catalog.ListUploads over cursors, in one REPEATABLE READ READ ONLY
// transaction per page (one snapshot). Without a delimiter a cursor is a
// primary-key range scan (key >= start, below the prefix's end, LIMIT n).
// With one, a loose index scan (walkSQL, a recursive CTE) returns each key
// directly under the prefix and only the first key of each common prefix,
// jumping past the rest of that sub-tree with one index descent: a page of
// 100 common prefixes over 100,000 keys reads about 100 rows. ListUploads,
// and the upload keys ListObjects folds in, use plain cursors.
//
// # Shared state
//
// Config writes (PutConfig, UpdateConfig) take the name's transaction
// advisory lock (a two-int key, a space apart from the object keys'), then
// the row FOR UPDATE, and stamp the row with config_clock's next value in
// their last statement. config_clock's row lock is held until COMMIT, so
// config writers commit one at a time in version order, and ConfigChanges,
// which reads the clock and the rows changed after the cursor in one
// statement (one snapshot), never skips a write (a sequence would: its
// values are taken in one order and committed in another). The clock
// starts at 1, as cursor 0 asks for the current cursor. Config writes are
// rare (IAM changes, lease renewals, key rotation, the readiness probe),
// so serialising them costs nothing that matters.
//
// ClaimToken is one INSERT ... ON CONFLICT DO UPDATE that keeps an
// unexpired value and replaces an expired one, returning what the row then
// holds; expiry is judged by the database's clock, the same for every
// process. Every 256th claim of a handle deletes up to 1,000 expired
// tokens.
//
// # Failure behaviour
//
// A call waits at most Options.AcquireTimeout for a pooled connection.
// Errors meaning PostgreSQL cannot be reached or cannot serve now (dial
// errors, SQLSTATE classes 08 and 53, 57P01-57P03, a connection lost
// mid-transaction, an acquire timeout, statement_timeout and lock_timeout)
// are retried with backoff for up to AcquireTimeout, so a blip or a quick
// restart is invisible, and then come back as an error that
// errors.Is(err, catalog.ErrUnavailable) (503 at the API); its message
// keeps pgx's cause, which names host, port, user and database but never a
// password. Timeouts are not retried: they already took their budget.
// An attempt whose outcome is unknown is never run again: the connection
// broke during COMMIT, or during an autocommit write (CreateBucket,
// ClaimToken) after it was sent. It may have committed; the call returns
// ErrUnavailable and the client retries. No acknowledged write is lost,
// since success is reported only after COMMIT returned. Each attempt also
// has a client-side deadline (AcquireTimeout + 2 × StatementTimeout),
// for a network that drops packets silently.
//
// After PostgreSQL restarts, the pool reconnects by itself. Open retries an
// unreachable server for Options.ConnectWait, then fails with "postgres
// catalog: cannot connect to HOST:PORT/DB: cause". Ping answers readiness
// probes with one bounded attempt. After Close every call returns
// catalog.ErrClosed.
//
// # Settings
//
// Options (DefaultOptions shows the defaults): MaxConns, the pool size,
// max(16, 4 × GOMAXPROCS); StatementTimeout, the server-side
// statement_timeout and lock_timeout, 10 s; AcquireTimeout, 5 s;
// ConnectWait, 30 s; MaxRetries, 100. Processes × MaxConns must stay below
// the server's max_connections.
//
// # Tests
//
// The tests start a throwaway PostgreSQL 15 with package pgtest (or use
// ZONAL_TEST_POSTGRES) and give each catalog its own schema. Besides
// catalogtest (with a consistency check of counts, queue and records after
// each subtest) they cover two handles sharing one schema, a poller that
// must see every config write, stopping and killing the server under a
// write load, the retry policy, round trips per operation and the record
// format (with fuzzers). Benchmarks: bench_test.go and list_test.go.
package postgres
