package postgres

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// Listing runs the shared catalog.ListWithUploads / catalog.ListUploads
// over cursors backed by keyset-paginated index range scans, inside one
// REPEATABLE READ READ ONLY transaction so a page is one snapshot.
//
// Prefix skip: when a key folds into a common prefix P, the shared code
// calls SeekGE(PrefixEnd(P)). If that key lies within the rows already
// fetched the cursor moves there in memory; otherwise it issues a fresh
// range scan "key >= PrefixEnd(P) ORDER BY key LIMIT n" on the primary key
// index, so the rows under P are never read: a delimited page costs one
// index descent per common prefix, however large each sub-tree is.

// row is one fetched entry: an object (payload = meta) or an upload
// (id set, payload = info), or an upload key alone.
type row struct {
	key, id string
	payload []byte
}

// fetchFunc returns up to n rows from (key, id), inclusive or not.
type fetchFunc func(key, id string, inclusive bool, n int) ([]row, error)

// cursor is a forward cursor over fetched batches. A batch fetched by a
// seek starts small (the seek may be a prefix skip, after which one row
// may be all the page uses) and doubles with each Next that runs past the
// buffer, up to batch (the page size plus one).
type cursor struct {
	fetch fetchFunc
	batch int // largest fetch
	n     int // size of the next fetch
	rows  []row
	i     int
	more  bool // the last fetch was full: rows may follow the buffer
	first int  // size of the first fetch
	walk  bool // fetch returns a prefix-skipping walk (every row is used)
	err   error
}

const seekBatch = 8

func (c *cursor) load(key, id string, inclusive bool, n int) bool {
	n = min(max(n, 1), c.batch)
	c.rows, c.err = c.fetch(key, id, inclusive, n)
	c.i = 0
	c.n = n
	c.more = len(c.rows) == n
	return c.err == nil && len(c.rows) > 0
}

func less(a row, key, id string) bool {
	return a.key < key || (a.key == key && a.id < id)
}

// seek moves to the first row >= (key, id), in memory when the buffer
// covers it.
func (c *cursor) seek(key, id string) bool {
	if c.err != nil {
		return false
	}
	if n := len(c.rows); n > 0 && c.i < n && !less(c.rows[c.i], key, id) {
		return true // already there (cursors only move forward)
	}
	if n := len(c.rows); n > 0 && c.i < n && !less(c.rows[n-1], key, id) {
		c.i += sort.Search(n-c.i, func(j int) bool { return !less(c.rows[c.i+j], key, id) })
		return true
	}
	if len(c.rows) > 0 && !c.more && !less(row{key: key, id: id}, c.rows[len(c.rows)-1].key, c.rows[len(c.rows)-1].id) {
		c.i = len(c.rows)
		return false // past the end of the range
	}
	n := seekBatch
	if c.n == 0 || c.walk {
		n = c.first // the page's first seek, or every seek of a walk
	}
	return c.load(key, id, true, n)
}

func (c *cursor) next() bool {
	if c.err != nil || c.i >= len(c.rows) {
		return false
	}
	c.i++
	if c.i < len(c.rows) {
		return true
	}
	if !c.more {
		return false
	}
	last := c.rows[len(c.rows)-1]
	return c.load(last.key, last.id, false, 2*c.n)
}

func (c *cursor) cur() row { return c.rows[c.i] }

// objectCursor is a catalog.ListIterator over a bucket's objects.
type objectCursor struct{ cursor }

func (it *objectCursor) SeekGE(key string) bool { return it.seek(key, "") }
func (it *objectCursor) Next() bool             { return it.next() }
func (it *objectCursor) Key() string            { return it.cur().key }
func (it *objectCursor) Err() error             { return it.err }
func (it *objectCursor) Object() (*catalog.Object, error) {
	r := it.cur()
	return decodeObject(r.key, r.payload, nil, false)
}

// uploadKeyCursor is a catalog.KeyIterator over a bucket's upload keys.
type uploadKeyCursor struct{ cursor }

func (it *uploadKeyCursor) SeekGE(key string) bool { return it.seek(key, "") }
func (it *uploadKeyCursor) Next() bool             { return it.next() }
func (it *uploadKeyCursor) Key() string            { return it.cur().key }
func (it *uploadKeyCursor) Err() error             { return it.err }

// uploadCursor is a catalog.UploadIterator.
type uploadCursor struct {
	cursor
	bucket string
}

func (it *uploadCursor) SeekGE(key, id string) bool { return it.seek(key, id) }
func (it *uploadCursor) Next() bool                 { return it.next() }
func (it *uploadCursor) Key() string                { return it.cur().key }
func (it *uploadCursor) Err() error                 { return it.err }
func (it *uploadCursor) Upload() (*catalog.Upload, error) {
	r := it.cur()
	return decodeUpload(it.bucket, r.key, r.id, r.payload)
}

// bounds returns the upper bound of q's prefix range (nil: none).
func bounds(q catalog.ListQuery) []byte {
	if end, ok := catalog.PrefixEnd(q.Prefix); ok {
		return []byte(end)
	}
	return nil
}

func batchSize(limit int) int { return min(max(limit+1, 16), 1001) }

// firstBatch is the first fetch of a page: the whole page when nothing
// folds, a small one when the first keys may fold into a prefix.
func firstBatch(q catalog.ListQuery) int {
	if q.Delimiter == "" {
		return batchSize(q.Limit)
	}
	return seekBatch
}

func queryRows(ctx context.Context, tx pgx.Tx, sql string, withID, withPayload bool, args ...any) ([]row, error) {
	rs, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, dbErr(err)
	}
	defer rs.Close()
	// The columns are bytea, whose binary wire format is the bytes
	// themselves: read them raw rather than through Scan, which costs a
	// few allocations per row, and keep the payloads in one arena. In the
	// text format (the simple protocol, which a pooler may require) Scan
	// decodes them.
	raw := true
	for _, fd := range rs.FieldDescriptions() {
		raw = raw && fd.Format == pgx.BinaryFormatCode
	}
	var out []row
	var arena []byte
	for rs.Next() {
		vals := rs.RawValues()
		if !raw {
			vals = make([][]byte, len(vals))
			dst := make([]any, len(vals))
			for i := range vals {
				dst[i] = &vals[i]
			}
			if err := rs.Scan(dst...); err != nil {
				return nil, dbErr(err)
			}
		}
		r := row{key: string(vals[0])}
		if withID {
			r.id = string(vals[1])
		}
		if withPayload {
			start := len(arena)
			arena = append(arena, vals[len(vals)-1]...)
			r.payload = arena[start:len(arena):len(arena)]
		}
		out = append(out, r)
	}
	return out, dbErr(rs.Err())
}

// bucketExists reads the bucket row in tx (ErrNotFound when missing).
func bucketExists(ctx context.Context, tx pgx.Tx, name string) error {
	var one int
	err := tx.QueryRow(ctx, "SELECT 1 FROM buckets WHERE name = $1", []byte(name)).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return catalog.ErrNotFound
	}
	return dbErr(err)
}

// ListObjects implements catalog.Catalog.
func (c *Catalog) ListObjects(ctx context.Context, q catalog.ListQuery) (catalog.ListPage, error) {
	var page catalog.ListPage
	err := c.inTx(ctx, readOnly, func(ctx context.Context, tx pgx.Tx) error {
		if err := bucketExists(ctx, tx, q.Bucket); err != nil {
			return err
		}
		b, end := []byte(q.Bucket), bounds(q)
		objects := &objectCursor{cursor{batch: batchSize(q.Limit), first: firstBatch(q), fetch: func(key, _ string, incl bool, n int) ([]row, error) {
			op := ">"
			if incl {
				op = ">="
			}
			return queryRows(ctx, tx, `SELECT key, meta FROM objects WHERE bucket = $1 AND key `+op+` $2
				AND ($3::bytea IS NULL OR key < $3) ORDER BY key LIMIT $4`, false, true, b, []byte(key), end, n)
		}}}
		var uploads catalog.KeyIterator = &uploadKeyCursor{cursor{batch: batchSize(q.Limit), first: seekBatch, fetch: func(key, id string, incl bool, n int) ([]row, error) {
			op := ">"
			if incl {
				op = ">="
			}
			return queryRows(ctx, tx, `SELECT key, id FROM uploads WHERE bucket = $1 AND (key, id) `+op+` ($2, $3)
				AND ($4::bytea IS NULL OR key < $4) ORDER BY key, id LIMIT $5`, true, false, b, []byte(key), []byte(id), end, n)
		}}}
		if q.Delimiter == "" {
			uploads = nil // not consulted without a delimiter
		}
		if q.Delimiter != "" && q.Delimiter[len(q.Delimiter)-1] != 0xff {
			objects.cursor = cursor{batch: batchSize(q.Limit), first: batchSize(q.Limit), walk: true,
				fetch: walker(ctx, tx, q, "objects", "key, meta", true)}
			uploads = &uploadKeyCursor{cursor{batch: batchSize(q.Limit), first: batchSize(q.Limit), walk: true,
				fetch: walker(ctx, tx, q, "uploads", "key", false)}}
		}
		var err error
		page, err = catalog.ListWithUploads(objects, uploads, q)
		return err
	})
	return page, err
}

// ListUploads implements catalog.Catalog.
func (c *Catalog) ListUploads(ctx context.Context, q catalog.ListQuery) (catalog.UploadPage, error) {
	var page catalog.UploadPage
	err := c.inTx(ctx, readOnly, func(ctx context.Context, tx pgx.Tx) error {
		if err := bucketExists(ctx, tx, q.Bucket); err != nil {
			return err
		}
		b, end := []byte(q.Bucket), bounds(q)
		it := &uploadCursor{bucket: q.Bucket, cursor: cursor{batch: batchSize(q.Limit), first: firstBatch(q), fetch: func(key, id string, incl bool, n int) ([]row, error) {
			op := ">"
			if incl {
				op = ">="
			}
			return queryRows(ctx, tx, `SELECT key, id, info FROM uploads WHERE bucket = $1 AND (key, id) `+op+` ($2, $3)
				AND ($4::bytea IS NULL OR key < $4) ORDER BY key, id LIMIT $5`, true, true, b, []byte(key), []byte(id), end, n)
		}}}
		var err error
		page, err = catalog.ListUploads(it, q)
		return err
	})
	return page, err
}

// walkSQL is a loose index scan: a recursive CTE that visits, from $2 on,
// each key that lies directly under the prefix and the first key of each
// common prefix, jumping from a folding key straight to the end of its
// common prefix (one primary key descent per step, never the rows below
// it). The rows it returns are exactly the keys catalog.ListWithUploads
// visits, so one round trip serves a whole page of common prefixes.
//
// $1 bucket, $2 start (inclusive), $3 range end (NULL: none), $4 prefix
// length in bytes, $5 delimiter, $6 the delimiter with its last byte
// incremented (so key[:i] || $6 is PrefixEnd of the common prefix
// key[:i] || $5), $7 the number of rows wanted.
const walkSQL = `WITH RECURSIVE walk AS (
	(SELECT %[2]s, 1 AS n FROM %[1]s WHERE bucket = $1 AND key >= $2 AND ($3::bytea IS NULL OR key < $3)
		ORDER BY key LIMIT 1)
	UNION ALL
	(SELECT nx.*, w.n + 1 FROM walk w CROSS JOIN LATERAL (
		SELECT %[2]s FROM %[1]s
		WHERE bucket = $1 AND ($3::bytea IS NULL OR key < $3) AND key >= CASE
			WHEN position($5::bytea IN substring(w.key FROM $4::int + 1)) > 0
			THEN substring(w.key FROM 1 FOR $4::int + position($5::bytea IN substring(w.key FROM $4::int + 1)) - 1) || $6::bytea
			ELSE w.key || '\x00'::bytea END
		ORDER BY key LIMIT 1) nx
	WHERE w.n < $7)
) SELECT %[2]s FROM walk`

// walker returns a fetchFunc walking table (objects or uploads) for q.
func walker(ctx context.Context, tx pgx.Tx, q catalog.ListQuery, table, cols string, withPayload bool) fetchFunc {
	sql := fmt.Sprintf(walkSQL, table, cols)
	delim := []byte(q.Delimiter)
	delimEnd := append([]byte{}, delim...)
	delimEnd[len(delimEnd)-1]++ // never 0xff: ListObjects walks only then
	return func(key, _ string, incl bool, n int) ([]row, error) {
		if !incl {
			key = walkNext(key, q.Prefix, q.Delimiter)
		}
		return queryRows(ctx, tx, sql, false, withPayload,
			[]byte(q.Bucket), []byte(key), bounds(q), len(q.Prefix), delim, delimEnd, n)
	}
}

// walkNext is where a walk resumes after key: past its common prefix's
// sub-tree when it folds, else its immediate successor.
func walkNext(key, prefix, delim string) string {
	if i := strings.Index(key[len(prefix):], delim); i >= 0 {
		if end, ok := catalog.PrefixEnd(key[:len(prefix)+i+len(delim)]); ok {
			return end
		}
	}
	return key + "\x00"
}
