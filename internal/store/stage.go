package store

import (
	"bytes"
	"context"
	"crypto/cipher"
	"errors"
	"fmt"
	"io"

	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/checksum"
	"github.com/zonal-dev/zonal/internal/sse"
)

// body is a request body as PutObject, UploadPart and appends hand it to
// stage, with the one checksum contract they share: the checksum the
// client declared (nil: none) is verified once every byte was read, a
// trailing value taken from trailers; keep names the algorithm whose value
// the caller stores ("": the declared one).
type body struct {
	r        io.Reader
	size     int64 // declared length, -1 when unknown
	max      int64 // largest length accepted
	declared *checksum.Expect
	trailers func() checksum.Header
	keep     checksum.Algorithm
	encrypt  bool // encrypt the data (encryptsFor, or the upload's choice)
}

// staged is a body made durable but not yet published.
type staged struct {
	extents []catalog.Extent
	size    int64
	blobID  string             // "" when the bytes are inline
	alg     checksum.Algorithm // the kept checksum's algorithm, "" when none
	sum     string             // its value
}

// stage writes b to inline bytes (small bodies) or a synced blob, checks
// its length against the declared one and its checksum against the
// declared one, and computes the checksum to keep, all in the one pass
// over the bytes. On failure nothing is left behind; on success the caller
// publishes st.extents or calls unstage.
func (s *Store) stage(ctx context.Context, b body) (staged, error) {
	if b.size > b.max {
		return staged{}, kindErr(TooLarge)
	}
	st := staged{alg: b.keep}
	if st.alg == "" && b.declared != nil {
		st.alg = b.declared.Algorithm
	}
	var h *checksum.Hasher
	if st.alg != "" {
		var also checksum.Algorithm
		if b.declared != nil {
			also = b.declared.Algorithm
		}
		h = checksum.NewHasher(st.alg, also)
	}
	var err error
	st.extents, st.size, st.blobID, err = s.writeBody(ctx, b.r, b.size, b.max, h, b.encrypt)
	if err != nil {
		return staged{}, err
	}
	if b.size >= 0 && st.size != b.size {
		s.unstage(ctx, st)
		return staged{}, kindErr(IncompleteBody)
	}
	if b.declared != nil {
		var tr checksum.Header
		if b.trailers != nil {
			tr = b.trailers()
		}
		if err := h.Verify(b.declared, tr); err != nil {
			s.unstage(ctx, st)
			return staged{}, err
		}
	}
	if h != nil {
		st.sum = h.Sum(st.alg)
	}
	return st, nil
}

// unstage removes a staged body that will not be published now, rather
// than leaving its blob to the orphan sweeper.
func (s *Store) unstage(ctx context.Context, st staged) {
	if st.blobID != "" {
		_ = s.blobs.Delete(context.WithoutCancel(ctx), st.blobID)
	}
}

// writeBody reads the body into inline bytes (small objects) or a synced
// blob (large ones), encrypting it when encrypt is set and adding the plaintext
// to h when h is not nil, and returns the extents, the byte count and the
// blob id (empty when inline). More than max bytes is TooLarge.
func (s *Store) writeBody(ctx context.Context, body io.Reader, size, max int64, h *checksum.Hasher, encrypt bool) ([]catalog.Extent, int64, string, error) {
	if body == nil {
		body = bytes.NewReader(nil)
	}
	limit := s.opt.InlineMax
	if size >= 0 && size <= limit {
		buf := make([]byte, size)
		if _, err := io.ReadFull(body, buf); err != nil {
			return nil, 0, "", bodyErr(err)
		}
		// The body must end exactly here (a trailer or a hash check may still be pending).
		if err := expectEOF(body); err != nil {
			return nil, 0, "", err
		}
		if h != nil {
			h.Write(buf)
		}
		ext, err := s.inlineExtents(buf, encrypt)
		return ext, size, "", err
	}
	var head []byte
	if size < 0 {
		// Unknown length: keep it inline if it turns out small.
		var b bytes.Buffer
		n, err := io.Copy(&b, io.LimitReader(body, limit+1))
		if err != nil {
			return nil, 0, "", bodyErr(err)
		}
		if n <= limit {
			if h != nil {
				h.Write(b.Bytes())
			}
			ext, err := s.inlineExtents(b.Bytes(), encrypt)
			return ext, n, "", err
		}
		head = b.Bytes()
	}
	w, err := s.blobs.Create(ctx)
	if err != nil {
		return nil, 0, "", internal(err)
	}
	var enc cipher.Stream
	var sealed []byte
	if encrypt {
		var key []byte
		if key, sealed, err = s.opt.SSE.NewDataKey(); err == nil {
			enc, err = sse.Stream(key, 0)
		}
		if err != nil {
			_ = w.Abort()
			return nil, 0, "", internal(err)
		}
	}
	n, err := copyBody(w, enc, h, head, body, max)
	if err != nil {
		_ = w.Abort()
		return nil, 0, "", err
	}
	id, err := w.Commit()
	if err != nil {
		return nil, 0, "", internal(err)
	}
	return []catalog.Extent{{BlobID: id, Offset: 0, Length: n, IV: sealed}}, n, id, nil
}

// inlineExtents wraps bytes kept in the record, encrypting them in place
// when encrypt is set.
func (s *Store) inlineExtents(b []byte, encrypt bool) ([]catalog.Extent, error) {
	if len(b) == 0 {
		return nil, nil
	}
	e := catalog.Extent{Inline: b, Length: int64(len(b))}
	if encrypt {
		key, sealed, err := s.opt.SSE.NewDataKey()
		if err != nil {
			return nil, internal(err)
		}
		st, err := sse.Stream(key, 0)
		if err != nil {
			return nil, internal(err)
		}
		st.XORKeyStream(b, b)
		e.IV = sealed
	}
	return []catalog.Extent{e}, nil
}

// copyBody writes head and then the rest of r to w, encrypted with enc
// when it is not nil, adds the plaintext to h when it is not nil, and
// returns the byte count. More than max bytes is TooLarge. Body read
// errors are IncompleteBody keeping the reader's error; write errors are
// internal.
//
// It fills whole chunks before writing (and encrypts them in place), so a
// large body reaches the blob store as a few aligned 256 KiB writes, not
// as the transport's small reads.
func copyBody(w io.Writer, enc cipher.Stream, h *checksum.Hasher, head []byte, r io.Reader, max int64) (int64, error) {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	var n int64
	for {
		fill := 0
		if len(head) > 0 {
			fill = copy(buf, head)
			head = head[fill:]
		}
		var rerr error
		for fill < len(buf) && rerr == nil {
			var m int
			m, rerr = r.Read(buf[fill:])
			fill += m
		}
		n += int64(fill)
		if n > max {
			return n, kindErr(TooLarge)
		}
		if fill > 0 {
			if h != nil {
				h.Write(buf[:fill])
			}
			if enc != nil {
				enc.XORKeyStream(buf[:fill], buf[:fill])
			}
			if _, err := w.Write(buf[:fill]); err != nil {
				return n, internal(err)
			}
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, bodyErr(rerr)
		}
	}
}

func expectEOF(r io.Reader) error {
	var one [1]byte
	for {
		n, err := r.Read(one[:])
		if n > 0 {
			return incompleteBody("The request body is longer than the declared length.", nil)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return bodyErr(err)
		}
	}
}

// bodyErr classifies a failure to read the body as IncompleteBody, keeping
// the reader's error: the front end answers with that error instead when it
// is one of its own (a bad chunk signature, a timeout).
func bodyErr(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return incompleteBody("", err)
	}
	return incompleteBody("", fmt.Errorf("reading request body: %w", err))
}
