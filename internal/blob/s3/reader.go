package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// reader reads a blob with ranged GETs. A read that starts where the
// previous one ended (or the first read) fetches at least ReadAhead bytes
// and keeps them as the window the next reads are served from: streaming a
// blob in the 32 KiB reads of io.Copy then costs one request per window.
// Reads elsewhere fetch exactly what they ask for, so random access does
// not pay for bytes it never uses.
type reader struct {
	s    *Store
	ctx  context.Context
	key  string
	size int64

	mu     sync.Mutex
	win    []byte // bytes at winOff, fetched ahead
	winOff int64
	next   int64 // where the last read ended
	reads  int
	closed bool
}

var errClosed = errors.New("blob/s3: reader closed")

func (r *reader) Size() int64 { return r.size }

func (r *reader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.closed {
		r.s.putWindow(r.win)
	}
	r.closed, r.win = true, nil
	return nil
}

// ReadAt implements io.ReaderAt; parallel calls are safe, and the GETs of
// two of them run at once.
func (r *reader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("blob/s3: read at negative offset %d", off)
	}
	if off >= r.size {
		return 0, io.EOF
	}
	asked := len(p)
	want := int(min(int64(asked), r.size-off))
	p = p[:want]

	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return 0, errClosed
	}
	n := 0
	if off >= r.winOff && off < r.winOff+int64(len(r.win)) {
		n = copy(p, r.win[off-r.winOff:])
	}
	sequential := r.reads == 0 || off == r.next
	r.reads++
	r.next = off + int64(want)
	r.mu.Unlock()

	if n < want {
		start := off + int64(n)
		rest := p[n:]
		if !sequential || len(rest) >= r.s.readAhead {
			if err := r.get(start, rest); err != nil {
				return n, err
			}
		} else {
			win := r.s.getWindow(min(int64(r.s.readAhead), r.size-start))
			if err := r.get(start, win); err != nil {
				r.s.putWindow(win)
				return n, err
			}
			copy(rest, win)
			// Reads copy from the window under mu only, so the one
			// replaced (or this one, if closed meanwhile) is free.
			r.mu.Lock()
			if r.closed {
				r.s.putWindow(win)
			} else {
				r.s.putWindow(r.win)
				r.win, r.winOff = win, start
			}
			r.mu.Unlock()
		}
	}
	if want < asked {
		return want, io.EOF
	}
	return want, nil
}

// get fills buf with the blob's bytes at off.
func (r *reader) get(off int64, buf []byte) error {
	return r.s.fetch(r.ctx, r.key, off, buf)
}

// bodyAttempts bounds the ranged GETs of one fetch whose bodies were cut
// off mid-way. The SDK retries a request until its answer arrives, not a
// body lost after it (a connection reset, a backend restarting): fetch
// resumes those from the first byte it lacks.
const bodyAttempts = 3

// fetch fills buf with key's bytes at off, by one ranged GET unless its
// body breaks off.
func (s *Store) fetch(ctx context.Context, key string, off int64, buf []byte) error {
	got := 0
	for attempt := 1; ; attempt++ {
		n, err := s.getRange(ctx, key, off+int64(got), buf[got:])
		got += n
		if err == nil {
			return nil
		}
		var cut *bodyError
		if !errors.As(err, &cut) || ctx.Err() != nil || attempt == bodyAttempts || !transient(err) {
			return wrap(ctx, "read "+key, err)
		}
	}
}

// bodyError is a response body that broke off after its answer arrived.
type bodyError struct{ err error }

func (e *bodyError) Error() string { return "body cut off: " + e.err.Error() }
func (e *bodyError) Unwrap() error { return e.err }

// getRange reads len(buf) bytes at off with one ranged GET, reporting how
// many it got before an error.
func (s *Store) getRange(ctx context.Context, key string, off int64, buf []byte) (int, error) {
	rng := fmt.Sprintf("bytes=%d-%d", off, off+int64(len(buf))-1)
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &key, Range: &rng})
	if err != nil {
		return 0, err
	}
	defer out.Body.Close()
	// A service that ignored the range would send the blob from its
	// start: reading that as the bytes at off would corrupt the read.
	if cr := aws.ToString(out.ContentRange); !strings.HasPrefix(cr, fmt.Sprintf("bytes %d-", off)) {
		return 0, fmt.Errorf("blob/s3: read %s: asked for %s, got Content-Range %q", key, rng, cr)
	}
	n, err := io.ReadFull(out.Body, buf)
	if err != nil {
		return n, &bodyError{err}
	}
	return n, nil
}

// getWindow returns a read-ahead buffer of n bytes (n <= ReadAhead) from
// the pool: a fresh 1 MiB buffer per blob read cost the server as much CPU
// zeroing it and collecting it as decrypting the bytes.
func (s *Store) getWindow(n int64) []byte {
	b := *s.windows.Get().(*[]byte)
	return b[:n]
}

// putWindow returns a buffer from getWindow (nil is ignored).
func (s *Store) putWindow(b []byte) {
	if cap(b) == s.readAhead {
		b = b[:0]
		s.windows.Put(&b)
	}
}
