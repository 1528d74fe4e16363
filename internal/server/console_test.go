package server

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestConsoleRouting: with --console the console answers under
// /_zonal/console/ without the admin token (it has its own sign-in, with
// the root key here) while the operator endpoints still need the token;
// without it the path is the admin mux's 404, never the S3 API's.
func TestConsoleRouting(t *testing.T) {
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(u string) (*http.Response, string) {
		t.Helper()
		resp, err := noRedirect.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	on, _ := startCfg(t, Config{AdminToken: "tok", Console: true})
	resp, body := get(on + "/_zonal/console/signin")
	if resp.StatusCode != 200 || !strings.Contains(body, `name="access_key"`) {
		t.Fatalf("console sign-in page: %d %.200s", resp.StatusCode, body)
	}
	if resp, _ := get(on + "/_zonal/console"); resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/_zonal/console/" {
		t.Fatalf("/_zonal/console: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := get(on + HealthPath); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("health without the token next to the console: %d", resp.StatusCode)
	}
	resp, err := noRedirect.PostForm(on+"/_zonal/console/signin", url.Values{"access_key": {testAKID}, "secret": {testSecret}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) != 1 {
		t.Fatalf("root sign-in through the server: %d %v", resp.StatusCode, resp.Cookies())
	}

	off, _ := startCfg(t, Config{})
	resp, body = get(off + "/_zonal/console/signin")
	if resp.StatusCode != http.StatusNotFound || strings.Contains(body, "<Error>") {
		t.Fatalf("console off: %d %.200s", resp.StatusCode, body)
	}
}

// TestConsoleRefusesWhenDiskLow: under the free-space reserve the console
// refuses uploads (deletes free space and go on), as admitDisk refuses
// the API's.
func TestConsoleRefusesWhenDiskLow(t *testing.T) {
	_, srv := startCfg(t, Config{Console: true})
	if why := srv.consoleRefuse(true); why != "" {
		t.Fatalf("refused with room to spare: %s", why)
	}
	srv.disk.measure()
	srv.disk.min.Store(srv.disk.free.Load() + 1<<30)
	defer srv.disk.min.Store(0)
	if why := srv.consoleRefuse(true); !strings.Contains(why, "nearly full") {
		t.Fatalf("upload under the reserve: %q", why)
	}
	if why := srv.consoleRefuse(false); why != "" {
		t.Fatalf("delete under the reserve: %q", why)
	}
}

// TestConsoleBodyDeadline: a console upload whose body stalls is cut
// after --body-idle-timeout, as an API upload is, instead of holding its
// connection for ever.
func TestConsoleBodyDeadline(t *testing.T) {
	lim := DefaultLimits()
	lim.BodyIdleTimeout = 400 * time.Millisecond
	lim.BodyMinRate = 0
	endpoint, _ := startCfg(t, Config{Console: true, Limits: lim})
	conn, err := net.Dial("tcp", strings.TrimPrefix(endpoint, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /_zonal/console/signin HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n",
		strings.TrimPrefix(endpoint, "http://"))
	conn.Write([]byte("access_key=AKIA"))
	resp, _ := readResponse(t, conn, 5*time.Second) // fails the test when nothing comes
	if resp.StatusCode < 400 {
		t.Fatalf("stalled console body: %d", resp.StatusCode)
	}
	waitClosed(t, conn, 3*time.Second)
}
