package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"testing"
	"time"
)

func TestErrorCode(t *testing.T) {
	cases := map[string]string{
		`<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>a</Key></Error>`: "NoSuchKey",
		`<Error><Code> SlowDown </Code></Error>`:                                                     "SlowDown",
		`<Error><Message>x</Message><Code>InvalidWriteOffset</Code><RequestId>1</RequestId></Error>`: "InvalidWriteOffset",
		`<Error><Code>ExpiredToken</Code><Token-0></Token-0></Error>`:                                "ExpiredToken",
		``: "",
		`<html><body>502 Bad Gateway</body></html>`: "",
		`<Error><Code>Unterminated`:                 "",
		`<Error><Code></Code></Error>`:              "",
	}
	for body, want := range cases {
		if got := ErrorCode([]byte(body)); got != want {
			t.Errorf("ErrorCode(%q) = %q, want %q", body, got, want)
		}
	}
	if statusCode(503) != "HTTP503" || statusCode(418) != "HTTP418" {
		t.Error("statusCode")
	}
}

func TestTransportErrorClass(t *testing.T) {
	// A port nobody listens on: connection refused.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, dialErr := net.Dial("tcp", addr)
	cases := []struct {
		err  error
		want string
	}{
		{dialErr, ErrClassRefused},
		{fmt.Errorf("wrapped: %w", context.Canceled), ErrClassCanceled},
		{context.DeadlineExceeded, ErrClassTimeout},
		{os.ErrDeadlineExceeded, ErrClassTimeout},
		{io.ErrUnexpectedEOF, ErrClassEOF},
		{&net.DNSError{Err: "no such host", Name: "x.invalid"}, ErrClassDNS},
		{errors.New("something else"), ErrClassOther},
	}
	for _, c := range cases {
		if got := TransportErrorClass(c.err); got != c.want {
			t.Errorf("TransportErrorClass(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

func TestParseStatCPU(t *testing.T) {
	line := "1234 (zonal (x) y) S 1 1234 1234 0 -1 4194560 1000 0 0 0 250 130 0 0 20 0 12 0 100 123456789 2000 18446744073709551615\n"
	got, err := parseStatCPU([]byte(line))
	if err != nil || got != 3.8 {
		t.Fatalf("parseStatCPU = %v, %v; want 3.8", got, err)
	}
	if _, err := parseStatCPU([]byte("garbage")); err == nil {
		t.Fatal("want an error")
	}
	// Our own process: /proc must be readable on Linux.
	if _, err := os.Stat("/proc/self/stat"); err == nil {
		if _, err := procCPU(os.Getpid()); err != nil {
			t.Fatal(err)
		}
		if n, err := procHWM(os.Getpid()); err != nil || n <= 0 {
			t.Fatalf("procHWM = %d, %v", n, err)
		}
	}
}

// TestTreeCPU: a child's CPU counts in its parent's tree, whether the
// child is alive or already reaped.
func TestTreeCPU(t *testing.T) {
	line := "1234 (postgres) S 1 1234 1234 0 -1 4194560 1000 0 0 0 250 130 40 60 20 0 12 0 100 123456789 2000\n"
	if got, err := parseStatChildCPU([]byte(line)); err != nil || got != 1.0 {
		t.Fatalf("parseStatChildCPU = %v, %v; want 1.0", got, err)
	}
	if _, err := os.Stat("/proc/self/task"); err != nil {
		t.Skip("no /proc")
	}
	cmd := exec.Command("sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; sleep 5")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	// Wait until the busy loop has burnt CPU: the tree of this test
	// process must then exceed the test process alone.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		child, _ := procCPU(cmd.Process.Pid)
		if child >= 0.05 {
			self, _ := procCPU(os.Getpid())
			tree, err := treeCPU(os.Getpid())
			if err != nil {
				t.Fatal(err)
			}
			if tree < self+child-0.011 { // the three reads are a few ms apart
				t.Fatalf("tree CPU %.2fs < own %.2fs + child's %.2fs", tree, self, child)
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Skip("the child burnt no measurable CPU in 10 s")
}
