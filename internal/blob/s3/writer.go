package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

var errFinished = errors.New("blob/s3: writer already committed or aborted")

// writer buffers a new blob. Until PartSize bytes have come it holds them
// all, for one PutObject at Commit; past that it opens a multipart upload
// and sends each full buffer as a part from a goroutine, at most
// Concurrency at a time, while the caller goes on writing into a fresh
// buffer.
type writer struct {
	s   *Store
	ctx context.Context
	id  string
	key string

	buf  *[]byte // the part being filled
	done bool

	uploadID string         // "" until the first part goes out
	sem      chan struct{}  // one token per part in flight
	wg       sync.WaitGroup // the part goroutines

	mu    sync.Mutex
	parts []types.CompletedPart // by part number - 1
	err   error                 // the first failure; every later call returns it
}

func newWriter(ctx context.Context, s *Store, id string) *writer {
	return &writer{s: s, ctx: ctx, id: id, key: s.key(id), buf: s.parts.Get().(*[]byte), sem: make(chan struct{}, s.conc)}
}

func (w *writer) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func (w *writer) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = err
	}
}

func (w *writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, errFinished
	}
	written := 0
	for len(p) > 0 {
		if err := w.failed(); err != nil {
			return written, err
		}
		b := *w.buf
		c := copy(b[len(b):cap(b)], p)
		*w.buf = b[:len(b)+c]
		written += c
		p = p[c:]
		if len(*w.buf) == cap(*w.buf) && len(p) > 0 {
			// Full, and more is coming: it is a part, not the whole blob.
			if err := w.sendPart(); err != nil {
				return written, err
			}
		}
	}
	return written, nil
}

// sendPart starts uploading the current buffer as the next part and gives
// the writer a fresh buffer. It blocks while Concurrency parts are in
// flight.
func (w *writer) sendPart() error {
	if w.uploadID == "" {
		out, err := w.s.client.CreateMultipartUpload(w.ctx, &s3.CreateMultipartUploadInput{Bucket: &w.s.bucket, Key: &w.key})
		if err != nil {
			err = wrap(w.ctx, "create "+w.id, err)
			w.fail(err)
			return err
		}
		w.uploadID = aws.ToString(out.UploadId)
	}
	if len(w.parts) >= maxParts {
		err := fmt.Errorf("blob/s3: create %s: a blob holds at most %d parts of %d bytes", w.id, maxParts, w.s.partSize)
		w.fail(err)
		return err
	}
	select {
	case w.sem <- struct{}{}:
	case <-w.ctx.Done():
		w.fail(w.ctx.Err())
		return w.ctx.Err()
	}
	w.mu.Lock()
	num := int32(len(w.parts) + 1)
	w.parts = append(w.parts, types.CompletedPart{PartNumber: aws.Int32(num)})
	w.mu.Unlock()
	buf := w.buf
	w.buf = w.s.parts.Get().(*[]byte)
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		defer func() { <-w.sem }()
		defer w.s.release(buf)
		if w.failed() != nil {
			return // no use sending more of a blob that will be aborted
		}
		out, err := w.s.client.UploadPart(w.ctx, &s3.UploadPartInput{
			Bucket: &w.s.bucket, Key: &w.key, UploadId: &w.uploadID, PartNumber: aws.Int32(num),
			Body: bytes.NewReader(*buf), ContentLength: aws.Int64(int64(len(*buf))),
		})
		if err != nil {
			w.fail(wrap(w.ctx, fmt.Sprintf("create %s: part %d", w.id, num), err))
			return
		}
		w.mu.Lock()
		w.parts[num-1].ETag = out.ETag
		w.mu.Unlock()
	}()
	return nil
}

// release returns a part buffer to the pool.
func (s *Store) release(b *[]byte) {
	*b = (*b)[:0]
	s.parts.Put(b)
}

// Commit sends what is buffered and returns once the backend has
// acknowledged the whole blob: PutObject, or the last part and
// CompleteMultipartUpload. On any failure it removes what was sent.
func (w *writer) Commit() (string, error) {
	if w.done {
		return "", errFinished
	}
	w.done = true
	err := w.failed()
	if err == nil && w.uploadID == "" {
		_, err = w.s.client.PutObject(w.ctx, &s3.PutObjectInput{
			Bucket: &w.s.bucket, Key: &w.key,
			Body: bytes.NewReader(*w.buf), ContentLength: aws.Int64(int64(len(*w.buf))),
		})
		if err != nil {
			err = wrap(w.ctx, "commit "+w.id, err)
		}
	} else if err == nil {
		if len(*w.buf) > 0 {
			err = w.sendPart()
		}
		w.wg.Wait()
		if err == nil {
			err = w.failed()
		}
		if err == nil {
			err = w.complete()
		}
	}
	if err != nil {
		w.cleanup()
		return "", err
	}
	w.s.release(w.buf)
	w.buf = nil
	return w.id, nil
}

func (w *writer) complete() error {
	// Every part goroutine is done: no lock needed.
	_, err := w.s.client.CompleteMultipartUpload(w.ctx, &s3.CompleteMultipartUploadInput{
		Bucket: &w.s.bucket, Key: &w.key, UploadId: &w.uploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: w.parts},
	})
	if err != nil {
		return wrap(w.ctx, "commit "+w.id, err)
	}
	return nil
}

// cleanup removes whatever a failed Commit may have left: the multipart
// upload and, since a PutObject or CompleteMultipartUpload whose answer
// was lost may still have taken effect, the object itself. It runs even
// when the caller's context has ended. If the backend is down this fails
// too; a whole object may then remain under an id nobody was given, which
// Walk reports to the orphan sweeper.
func (w *writer) cleanup() {
	w.wg.Wait()
	ctx := context.WithoutCancel(w.ctx)
	if w.uploadID != "" {
		w.s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &w.s.bucket, Key: &w.key, UploadId: &w.uploadID})
	}
	w.s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &w.s.bucket, Key: &w.key})
	if w.buf != nil {
		w.s.release(w.buf)
		w.buf = nil
	}
}

// Abort drops the blob: parts in flight are waited for, then the multipart
// upload, if any, is aborted (even when the caller's context has ended).
func (w *writer) Abort() error {
	if w.done {
		return errFinished
	}
	w.done = true
	w.fail(errFinished) // parts not yet sent need not be
	w.wg.Wait()
	var err error
	if w.uploadID != "" {
		_, err = w.s.client.AbortMultipartUpload(context.WithoutCancel(w.ctx), &s3.AbortMultipartUploadInput{Bucket: &w.s.bucket, Key: &w.key, UploadId: &w.uploadID})
		if err != nil && !isNoSuchUpload(err) {
			err = wrap(w.ctx, "abort "+w.id, err)
		} else {
			err = nil
		}
	}
	w.s.release(w.buf)
	w.buf = nil
	return err
}
