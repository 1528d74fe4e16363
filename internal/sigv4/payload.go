package sigv4

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/zonal-dev/zonal/internal/checksum"
)

// Limits on aws-chunked framing. Chunk data is streamed, never buffered, so
// the chunk-size cap only rejects absurd values: it is S3's largest single
// upload (5 GiB), because the AWS CRT (Mountpoint and others) frames a whole
// part as one chunk. Lines and trailers are read through a fixed buffer.
const (
	MaxChunkSize    int64 = 5 << 30 // bytes of data in one chunk
	maxLine               = 4096    // a chunk-size line or one trailer line
	maxTrailers           = 32      // trailer lines, signature included
	maxTrailerBytes       = 16 << 10
)

type payloadMode uint8

const (
	modePlain   payloadMode = iota // pass through
	modeSHA256                     // pass through, compare SHA-256 at EOF
	modeChunked                    // aws-chunked, signed and/or with trailers
)

type chunkState uint8

const (
	stHeader chunkState = iota // before a chunk-size line
	stData                     // inside chunk data
	stDone                     // after the final chunk and trailers
)

// Payload is a request body decoded and verified according to the request's
// payload hash (see Auth.Body). Verification errors surface from Read before
// the final io.EOF, so data must be treated as provisional until Read has
// returned io.EOF: read until then (io.Copy, io.ReadAll), not just Length()
// bytes (io.ReadFull would drop the error that comes with the last bytes).
type Payload struct {
	src    io.Reader
	mode   payloadMode
	length int64
	err    error // sticky; io.EOF once complete

	h    hash.Hash // SHA-256 of the payload (modeSHA256) or of the chunk (signed)
	want [32]byte  // modeSHA256: expected hash
	sum  [32]byte  // scratch for h.Sum
	hexH string    // modeSHA256: expected hash as the client sent it

	// aws-chunked
	br        *bufio.Reader
	state     chunkState
	signed    bool
	trailer   bool
	remaining int64 // data bytes left in the current chunk
	decoded   int64
	key       []byte
	prev      [32]byte // signature of the previous chunk (seed first)
	chunkSig  [32]byte // signature claimed for the current chunk
	sts       []byte   // 64 bytes of HMAC scratch + chunk string-to-sign prefix
	stsPrefix int
	auth      *Auth
	trailers  http.Header
	declared  []string // lower-case names listed in x-amz-trailer

	mapErr func(*Error) error // see MapErrors
}

// MapErrors makes Read return f(e) in place of each *Error e it fails
// with, so a front end can hand whatever reads the body in between (the
// store) a failure already in its own terms.
func (p *Payload) MapErrors(f func(*Error) error) { p.mapErr = f }

// Body returns r's payload decoded and verified according to a.PayloadHash
// and, for signed chunks, key (the same key Verify used):
//   - a 64-hex SHA-256: passed through; at EOF a mismatch gives
//     PayloadMismatch (S3: 400 XAmzContentSHA256Mismatch);
//   - UNSIGNED-PAYLOAD: passed through;
//   - STREAMING-UNSIGNED-PAYLOAD-TRAILER: aws-chunked, trailers collected;
//   - STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]: aws-chunked with every
//     chunk signature (and the trailer signature) checked, chained from the
//     seed signature a.Signature; a mismatch gives BadSignature (S3: 403
//     SignatureDoesNotMatch).
//
// HTTP Transfer-Encoding: chunked is already removed by net/http; a
// Content-Length is not needed. When x-amz-decoded-content-length is present
// the decoded byte count must equal it (IncompleteBody otherwise). Every
// trailer named in x-amz-trailer must arrive. Errors, by kind (S3's answer
// in brackets): a truncated body or a failing connection IncompleteBody
// [400 IncompleteBody], keeping the cause; broken chunk framing
// MalformedBody [400 InvalidRequest]; a chunk over MaxChunkSize
// ChunkTooLarge [400 EntityTooLarge]; broken or missing trailers
// MalformedTrailer [400 MalformedTrailerError]; a payload-hash value S3 does
// not know InvalidPayloadHash [400 InvalidArgument], as Parse.
// Chunk-size lines and trailer lines are read through a small pooled buffer
// (maxLine bytes each) and chunk data is streamed, never buffered whole.
func (a *Auth) Body(r *http.Request, key []byte) (*Payload, error) {
	return a.BodyTrailer(r, key, nil)
}

// BodyTrailer is Body for a front end that has split x-amz-trailer already
// (trailer is checksum.TrailerNames of r's headers, the one rule for it),
// so the header is read once per request. A nil trailer is split from r's
// headers when the payload mode has trailers (Body's case).
func (a *Auth) BodyTrailer(r *http.Request, key []byte, trailer []string) (*Payload, error) {
	src := r.Body
	if src == nil {
		src = http.NoBody
	}
	p := &Payload{src: src, length: -1}
	ph := a.PayloadHash
	switch ph {
	case UnsignedPayload:
		p.mode = modePlain
	case StreamingUnsignedPayloadTrailer:
		return p.initChunked(a, r, key, false, true, trailer)
	case StreamingPayload:
		return p.initChunked(a, r, key, true, false, nil)
	case StreamingPayloadTrailer:
		return p.initChunked(a, r, key, true, true, trailer)
	case "":
		ph = EmptySHA256
		fallthrough
	default:
		if len(ph) != 64 || !decodeHex(p.want[:], ph) {
			// Same error as Parse gives.
			return nil, badPayloadHash(ph)
		}
		p.mode, p.hexH, p.h = modeSHA256, ph, sha256.New()
	}
	if r.ContentLength >= 0 {
		p.length = r.ContentLength
	}
	return p, nil
}

// initChunked sets up aws-chunked decoding; names are what x-amz-trailer
// lists, each of which must arrive when the mode has trailers.
func (p *Payload) initChunked(a *Auth, r *http.Request, key []byte, signed, trailer bool, names []string) (*Payload, error) {
	p.mode, p.signed, p.trailer = modeChunked, signed, trailer
	if v := r.Header["X-Amz-Decoded-Content-Length"]; len(v) > 0 {
		n, err := strconv.ParseInt(v[0], 10, 64)
		if err != nil || n < 0 {
			return nil, &Error{Kind: InvalidDecodedLength, Message: "x-amz-decoded-content-length must be a non-negative integer", Value: v[0]}
		}
		p.length = n
	}
	if signed {
		if len(a.Signature) != 64 || !decodeHex(p.prev[:], a.Signature) {
			return nil, &Error{Kind: BadSignature}
		}
		p.h = sha256.New()
		p.key = key
		p.auth = a
		b := make([]byte, 64, 64+128+len(a.Region)+len(a.Service)+3*65)
		b = append(b, "AWS4-HMAC-SHA256-PAYLOAD\n"...)
		b = a.Time.UTC().AppendFormat(b, amzDateLayout)
		b = append(b, '\n')
		b = a.appendScope(b)
		b = append(b, '\n')
		p.sts, p.stsPrefix = b, len(b)
	}
	if trailer {
		if names == nil {
			names = checksum.TrailerNames(r.Header)
		}
		for _, name := range names {
			if name != "" && len(p.declared) < maxTrailers {
				p.declared = append(p.declared, strings.ToLower(name))
			}
		}
	}
	p.br = readerPool.Get().(*bufio.Reader)
	p.br.Reset(p.src)
	return p, nil
}

var readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, maxLine) }}

// Length returns the decoded length if known up front
// (x-amz-decoded-content-length for aws-chunked, Content-Length otherwise),
// else -1.
func (p *Payload) Length() int64 { return p.length }

// Trailers returns the aws-chunked trailers (e.g. X-Amz-Checksum-Crc32),
// canonical keys, without x-amz-trailer-signature. It is nil until Read has
// returned io.EOF.
func (p *Payload) Trailers() http.Header {
	if p.err != io.EOF {
		return nil
	}
	return p.trailers
}

// Read reads decoded payload bytes.
func (p *Payload) Read(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	var n int
	var err error
	switch p.mode {
	case modePlain:
		n, err = p.src.Read(b)
		if err != nil && err != io.EOF {
			err = readError(err)
		}
	case modeSHA256:
		n, err = p.src.Read(b)
		p.h.Write(b[:n])
		if err == io.EOF {
			if !bytes.Equal(p.h.Sum(p.sum[:0]), p.want[:]) {
				err = &Error{Kind: PayloadMismatch, Value: p.hexH, Computed: string(appendHex(nil, p.sum[:]))}
			}
		} else if err != nil {
			err = readError(err)
		}
	default:
		n, err = p.readChunked(b)
	}
	if err != nil && err != io.EOF {
		if e, ok := err.(*Error); ok && p.mapErr != nil {
			err = p.mapErr(e)
		}
	}
	if err != nil {
		p.fail(err)
	}
	return n, err
}

// fail records the terminal state and gives the line buffer back.
func (p *Payload) fail(err error) {
	p.err = err
	if p.br != nil {
		p.br.Reset(nil)
		readerPool.Put(p.br)
		p.br = nil
	}
}

// readError converts an error from the request body to IncompleteBody,
// keeping a transport failure as the cause (an error the server raised
// below, such as a body deadline, is its front end's to report).
func readError(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return errIncomplete
	}
	return &Error{Kind: IncompleteBody, Err: err}
}

func malformed(format string, args ...any) error {
	return fail(MalformedBody, fmt.Sprintf("Malformed aws-chunked body: "+format, args...))
}

func malformedTrailer(detail string) error {
	return &Error{Kind: MalformedTrailer, Err: errors.New(detail)}
}

func isToken(b []byte) bool {
	for _, c := range b {
		if !isTokenChar(c) {
			return false
		}
	}
	return true
}

var (
	errChunkSignature   = fail(BadSignature, "The chunk signature we calculated does not match the signature you provided.")
	errTrailerSignature = fail(BadSignature, "The trailer signature we calculated does not match the signature you provided.")
	errLongerThanDecl   = fail(IncompleteBody, "The decoded payload is longer than x-amz-decoded-content-length.")
	errShorterThanDecl  = fail(IncompleteBody, "You did not provide the number of bytes specified by the x-amz-decoded-content-length HTTP header.")
	errIncomplete       = &Error{Kind: IncompleteBody}
)

func (p *Payload) readChunked(b []byte) (int, error) {
	for {
		switch p.state {
		case stHeader:
			if err := p.readChunkHeader(); err != nil {
				return 0, err
			}
		case stData:
			if len(b) == 0 {
				return 0, nil
			}
			if int64(len(b)) > p.remaining {
				b = b[:p.remaining]
			}
			n, err := p.br.Read(b)
			if n > 0 {
				if p.signed {
					p.h.Write(b[:n])
				}
				p.remaining -= int64(n)
				p.decoded += int64(n)
				if p.length >= 0 && p.decoded > p.length {
					return n, errLongerThanDecl
				}
			}
			if p.remaining == 0 {
				if err := p.endChunk(); err != nil {
					return n, err
				}
				p.state = stHeader
			} else if err != nil {
				return n, readError(err)
			}
			if n > 0 {
				return n, nil
			}
		default:
			return 0, io.EOF
		}
	}
}

// readLine returns the next line without its "\r\n" (or "\n"). At EOF it
// returns what there is with eof set. The line is only valid until the next
// read.
func (p *Payload) readLine() (line []byte, eof bool, err error) {
	line, err = p.br.ReadSlice('\n')
	switch {
	case err == nil:
		line = line[:len(line)-1]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		return line, false, nil
	case err == io.EOF:
		return line, true, nil
	case err == bufio.ErrBufferFull:
		return nil, false, malformed("line longer than %d bytes", maxLine)
	default:
		return nil, false, readError(err)
	}
}

func (p *Payload) readChunkHeader() error {
	line, eof, err := p.readLine()
	if err != nil {
		return err
	}
	if eof {
		return errIncomplete
	}
	sizeHex, ext, hasExt := bytes.Cut(line, []byte{';'})
	if len(sizeHex) == 0 || len(sizeHex) > 16 {
		return malformed("bad chunk size")
	}
	var size int64
	for _, c := range sizeHex {
		if !isHex(c) {
			return malformed("bad chunk size")
		}
		size = size<<4 | int64(unhex(c))
		if size > MaxChunkSize {
			return fail(ChunkTooLarge, fmt.Sprintf("An aws-chunked chunk is larger than %d bytes.", MaxChunkSize))
		}
	}
	if p.signed {
		sig, ok := bytes.CutPrefix(ext, []byte("chunk-signature="))
		if !hasExt || !ok || len(sig) != 64 || !decodeHex(p.chunkSig[:], sig) {
			return fail(BadSignature, "The chunk signature is missing or malformed.")
		}
		p.h.Reset()
	}
	p.remaining = size
	if size > 0 {
		p.state = stData
		return nil
	}
	return p.finish()
}

// endChunk consumes the CRLF after chunk data and checks the chunk signature.
func (p *Payload) endChunk() error {
	for _, want := range [2]byte{'\r', '\n'} {
		c, err := p.br.ReadByte()
		if err != nil {
			return readError(err)
		}
		if c != want {
			return malformed("chunk data not followed by CRLF")
		}
	}
	if p.signed {
		return p.checkChunkSignature()
	}
	return nil
}

// checkChunkSignature verifies p.chunkSig for the chunk hashed in p.h:
// HMAC(key, "AWS4-HMAC-SHA256-PAYLOAD\n" + time + "\n" + scope + "\n" +
// previous signature + "\n" + hex(sha256("")) + "\n" + hex(sha256(chunk))).
func (p *Payload) checkChunkSignature() error {
	b := p.sts[:p.stsPrefix]
	b = appendHex(b, p.prev[:])
	b = append(b, '\n')
	b = append(b, EmptySHA256...)
	b = append(b, '\n')
	b = appendHex(b, p.h.Sum(p.sum[:0]))
	p.sts = b
	got := hmacPrefixed(p.key, b)
	if !hmac.Equal(got[:], p.chunkSig[:]) {
		return errChunkSignature
	}
	p.prev = got
	return nil
}

type trailerLine struct{ name, value string }

// finish handles everything after the zero-size chunk line: its signature,
// the trailers, the final blank line, and the decoded length.
func (p *Payload) finish() error {
	if p.signed {
		if err := p.checkChunkSignature(); err != nil {
			return err
		}
	}
	var lines []trailerLine
	var trailerSig []byte
	total := 0
	for i := 0; ; i++ {
		line, eof, err := p.readLine()
		if err != nil {
			return err
		}
		if eof {
			if len(line) > 0 {
				return errIncomplete // a line cut short
			}
			break // tolerate a missing final blank line
		}
		if len(line) == 0 {
			if i == 0 && p.trailer {
				// Some encoders put a blank line between the final chunk
				// and the trailers: skip it if something follows.
				if _, err := p.br.Peek(1); err == nil {
					continue
				}
			}
			break
		}
		if !p.trailer {
			return malformed("data after the final chunk")
		}
		if trailerSig != nil {
			return malformedTrailer("trailer after x-amz-trailer-signature")
		}
		total += len(line)
		if len(lines) >= maxTrailers || total > maxTrailerBytes {
			return malformedTrailer("too many trailers")
		}
		name, value, ok := bytes.Cut(line, []byte{':'})
		name = bytes.TrimSpace(name)
		if !ok || len(name) == 0 || !isToken(name) {
			return malformedTrailer("bad trailer line")
		}
		value = bytes.Trim(value, " \t")
		if string(bytes.ToLower(name)) == "x-amz-trailer-signature" {
			if p.signed {
				trailerSig = append(make([]byte, 0, len(value)), value...)
			}
		} else {
			lines = append(lines, trailerLine{strings.ToLower(string(name)), string(value)})
		}
	}
	// Nothing may follow the end of the message.
	if _, err := p.br.ReadByte(); err == nil {
		return malformed("data after the final chunk")
	} else if err != io.EOF {
		return readError(err)
	}
	if p.signed && p.trailer {
		if err := p.checkTrailerSignature(lines, trailerSig); err != nil {
			return err
		}
	}
	if p.length >= 0 && p.decoded != p.length {
		return errShorterThanDecl
	}
	// Every trailer announced in x-amz-trailer must have come.
	for _, want := range p.declared {
		if !slices.ContainsFunc(lines, func(l trailerLine) bool { return l.name == want }) {
			return malformedTrailer("missing trailer " + want)
		}
	}
	if len(lines) > 0 {
		p.trailers = make(http.Header, len(lines))
		for _, l := range lines {
			p.trailers.Add(l.name, l.value)
		}
	}
	p.state = stDone
	return nil
}

// checkTrailerSignature verifies x-amz-trailer-signature.
func (p *Payload) checkTrailerSignature(lines []trailerLine, sig []byte) error {
	var want [32]byte
	if sig == nil || !decodeHex(want[:], sig) {
		return errTrailerSignature
	}
	got := trailerSignature(p.key, p.auth, p.prev, lines)
	if !hmac.Equal(got[:], want[:]) {
		return errTrailerSignature
	}
	return nil
}

// trailerSignature is HMAC(key, "AWS4-HMAC-SHA256-TRAILER\n" + time + "\n" +
// scope + "\n" + previous signature + "\n" + hex(sha256(trailers as
// "name:value\n"))), the trailers sorted by (lower-case) name. It sorts lines.
func trailerSignature(key []byte, a *Auth, prev [32]byte, lines []trailerLine) [32]byte {
	slices.SortStableFunc(lines, func(x, y trailerLine) int { return strings.Compare(x.name, y.name) })
	h := sha256.New()
	for _, l := range lines {
		io.WriteString(h, l.name)
		io.WriteString(h, ":")
		io.WriteString(h, l.value)
		io.WriteString(h, "\n")
	}
	var sum [32]byte
	b := make([]byte, 64, 64+256)
	b = append(b, "AWS4-HMAC-SHA256-TRAILER\n"...)
	b = a.Time.UTC().AppendFormat(b, amzDateLayout)
	b = append(b, '\n')
	b = a.appendScope(b)
	b = append(b, '\n')
	b = appendHex(b, prev[:])
	b = append(b, '\n')
	b = appendHex(b, h.Sum(sum[:0]))
	return hmacPrefixed(key, b)
}

// ContentEncoding returns the Content-Encoding to store for an object:
// the request's value without the aws-chunked transfer coding.
func ContentEncoding(h http.Header) string {
	v := h.Values("Content-Encoding")
	if len(v) == 0 {
		return ""
	}
	var out []string
	for _, s := range v {
		for part := range strings.SplitSeq(s, ",") {
			part = strings.TrimSpace(part)
			if part != "" && !strings.EqualFold(part, "aws-chunked") {
				out = append(out, part)
			}
		}
	}
	return strings.Join(out, ",")
}
