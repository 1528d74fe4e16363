package server

import (
	"bytes"
	"io"
	"net"
	"strconv"
	"sync"
	"time"
)

// A response of a little over 4 KiB (a 4 KiB object and its headers) costs
// net/http two write(2) calls: its connection buffer is 4 KiB, so the
// headers and the first part of the body go out when the buffer fills and
// the rest when the handler returns. Each write is a loopback segment, a
// wakeup and a read for the client, about a fifth of a small GET's server
// CPU here. coalescingConn holds back that first, full buffer when its
// headers say that more of the body follows, and sends it with the next
// write in one call.
//
// Holding is safe because the rest is certain to come: net/http either
// writes the remaining body or, when the handler stops short, closes the
// connection. Anything else net/http does with the connection after a
// response (a read, a deadline change, CloseWrite, Close, sendfile) sends
// the held bytes first, and it always clears the write deadline after each
// response. Only plain HTTP/1.x is wrapped: under TLS the writes are
// records, not responses.

// holdSize is net/http's connection write buffer: only a write of exactly
// this size is a buffer that filled up.
const holdSize = 4 << 10

// holdBufs are the buffers held writes wait in; pooled, as a connection
// holds one only between two writes of a response.
var holdBufs = sync.Pool{New: func() any { b := make([]byte, 0, 2*holdSize); return &b }}

// coalescingListener wraps the TCP connections it accepts.
type coalescingListener struct{ net.Listener }

func (l coalescingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		return &coalescingConn{TCPConn: tc}, nil
	}
	return c, err
}

// coalescingConn is a TCP connection that may hold back the first 4 KiB of
// a response until the next write; see above.
type coalescingConn struct {
	*net.TCPConn
	mu   sync.Mutex // the background read calls Read while a handler writes
	held *[]byte    // nil: nothing held
	vec  [2][]byte  // for writev of held bytes and a large write
}

func (c *coalescingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held == nil {
		if len(p) == holdSize && moreBodyFollows(p) {
			bp := holdBufs.Get().(*[]byte)
			*bp = append((*bp)[:0], p...)
			c.held = bp
			return len(p), nil
		}
		return c.TCPConn.Write(p)
	}
	bp := c.held
	c.held = nil
	defer holdBufs.Put(bp)
	held := *bp
	if len(held)+len(p) <= cap(held) {
		// The usual case: the end of a small response. One copy, one write.
		buf := append(held, p...)
		n, err := c.TCPConn.Write(buf)
		return max(n-len(held), 0), err
	}
	c.vec = [2][]byte{held, p}
	bufs := net.Buffers(c.vec[:])
	n, err := bufs.WriteTo(c.TCPConn) // writev
	c.vec = [2][]byte{}
	return int(max(n-int64(len(held)), 0)), err
}

// flush sends held bytes, if any.
func (c *coalescingConn) flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.flushLocked()
}

func (c *coalescingConn) flushLocked() error {
	if c.held == nil {
		return nil
	}
	bp := c.held
	c.held = nil
	_, err := c.TCPConn.Write(*bp)
	holdBufs.Put(bp)
	return err
}

func (c *coalescingConn) Read(p []byte) (int, error) {
	if err := c.flush(); err != nil {
		return 0, err
	}
	return c.TCPConn.Read(p)
}

// ReadFrom keeps sendfile: net/http hands file sections to the
// connection's ReadFrom.
func (c *coalescingConn) ReadFrom(r io.Reader) (int64, error) {
	if err := c.flush(); err != nil {
		return 0, err
	}
	return c.TCPConn.ReadFrom(r)
}

func (c *coalescingConn) SetDeadline(t time.Time) error {
	c.flush()
	return c.TCPConn.SetDeadline(t)
}

func (c *coalescingConn) SetReadDeadline(t time.Time) error {
	c.flush()
	return c.TCPConn.SetReadDeadline(t)
}

func (c *coalescingConn) SetWriteDeadline(t time.Time) error {
	c.flush()
	return c.TCPConn.SetWriteDeadline(t)
}

func (c *coalescingConn) CloseWrite() error {
	c.flush()
	return c.TCPConn.CloseWrite()
}

// Close sends held bytes unless a write is blocked (Server.Close closes
// connections from another goroutine): then closing is what unblocks it.
func (c *coalescingConn) Close() error {
	if c.mu.TryLock() {
		c.flushLocked()
		c.mu.Unlock()
	}
	return c.TCPConn.Close()
}

// moreBodyFollows reports whether p, a response's first bytes, holds its
// whole header block and a Content-Length larger than the body bytes in p.
func moreBodyFollows(p []byte) bool {
	if !bytes.HasPrefix(p, []byte("HTTP/1.")) {
		return false
	}
	end := bytes.Index(p, []byte("\r\n\r\n"))
	if end < 0 {
		return false
	}
	head := p[:end+2]
	// net/http writes the header name in this canonical form.
	i := bytes.Index(head, []byte("\r\nContent-Length: "))
	if i < 0 {
		return false
	}
	v := head[i+len("\r\nContent-Length: "):]
	v = v[:bytes.IndexByte(v, '\r')]
	n, err := strconv.ParseInt(string(v), 10, 64)
	return err == nil && n > int64(len(p)-(end+4))
}
