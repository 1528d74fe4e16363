package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestMoreBodyFollows(t *testing.T) {
	head := "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nEtag: \"x\"\r\n\r\n"
	full := func(cl int) []byte {
		p := []byte(fmt.Sprintf(head, cl))
		return append(p, bytes.Repeat([]byte("b"), holdSize-len(p))...)
	}
	inBuf := holdSize - len(fmt.Sprintf(head, 5000))
	for _, tc := range []struct {
		name string
		p    []byte
		want bool
	}{
		{"more follows", full(5000), true},
		{"body ends in the buffer", full(inBuf), false},
		{"no Content-Length", []byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + string(bytes.Repeat([]byte("b"), 4000))), false},
		{"headers not complete", []byte("HTTP/1.1 200 OK\r\nContent-Length: 9999\r\nX: " + string(bytes.Repeat([]byte("h"), 4000))), false},
		{"body bytes, not a response", bytes.Repeat([]byte("HTTP/1.1 "), 455), false},
		{"bad length", []byte(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n%s", bytes.Repeat([]byte("b"), 4000))), false},
	} {
		if got := moreBodyFollows(tc.p); got != tc.want {
			t.Errorf("%s: moreBodyFollows = %v", tc.name, got)
		}
	}
}

// TestCoalescingConn serves responses of sizes around net/http's 4 KiB
// buffer over a coalescing listener: every body arrives whole over one
// keep-alive connection, including a response whose handler pauses right
// after filling the buffer, and (on Linux) a response of a 4 KiB body
// leaves the server in one TCP segment, not two.
func TestCoalescingConn(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conns := make(chan net.Conn, 1)
	srv := &http.Server{
		ConnContext: func(ctx context.Context, c net.Conn) context.Context { conns <- c; return ctx },
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n, _ := strconv.Atoi(r.URL.Query().Get("n"))
			body := bytes.Repeat([]byte{'z'}, n)
			for i := range body {
				body[i] = byte(i)
			}
			w.Header().Set("Content-Length", strconv.Itoa(n))
			if r.URL.Query().Get("pause") != "" {
				// Fill the 4 KiB buffer exactly, then wait: the held
				// bytes must still reach the client with the rest.
				w.Write(body[:3000])
				time.Sleep(50 * time.Millisecond)
				w.Write(body[3000:])
				return
			}
			w.Write(body)
		}),
	}
	go srv.Serve(coalescingListener{ln})
	t.Cleanup(func() { srv.Close() })

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	get := func(q string) []byte {
		t.Helper()
		resp, err := client.Get("http://" + ln.Addr().String() + "/?" + q)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, n := range []int{0, 1, 3500, 3700, 4095, 4096, 4097, 5000, 8191, 8192, 70000, 1 << 20} {
		for _, q := range []string{"", "&pause=1"} {
			if q != "" && n < 3000 {
				continue
			}
			b := get("n=" + strconv.Itoa(n) + q)
			if len(b) != n {
				t.Fatalf("n=%d%s: got %d bytes", n, q, len(b))
			}
			for i := range b {
				if b[i] != byte(i) {
					t.Fatalf("n=%d%s: byte %d is %d", n, q, i, b[i])
				}
			}
		}
	}
	c := <-conns
	select {
	case <-conns:
		t.Fatal("the client used a second connection")
	default:
	}

	if runtime.GOOS != "linux" {
		return
	}
	segs := func() uint32 {
		raw, err := c.(*coalescingConn).SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		var info *unix.TCPInfo
		raw.Control(func(fd uintptr) { info, err = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO) })
		if err != nil {
			t.Fatal(err)
		}
		return info.Data_segs_out
	}
	before := segs()
	get("n=4096")
	if d := segs() - before; d != 1 {
		t.Errorf("a 4 KiB response went out in %d segments, want 1", d)
	}
}

// FuzzMoreBodyFollows: any bytes, never a panic, and a yes only for a
// response head whose Content-Length exceeds the body bytes after it.
func FuzzMoreBodyFollows(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\nbody"))
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody"))
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n"))
	f.Add([]byte("HTTP/1.0 204 No Content\r\n\r\n"))
	f.Fuzz(func(t *testing.T, p []byte) {
		if !moreBodyFollows(p) {
			return
		}
		end := bytes.Index(p, []byte("\r\n\r\n"))
		if !bytes.HasPrefix(p, []byte("HTTP/1.")) || end < 0 || !bytes.Contains(p[:end+2], []byte("\r\nContent-Length: ")) {
			t.Fatalf("yes for %q", p)
		}
	})
}
