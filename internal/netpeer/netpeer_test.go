package netpeer

import (
	"crypto/tls"
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

func mustProxies(t testing.TB, list ...string) Proxies {
	t.Helper()
	ps, err := ParseProxies(list)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func request(remote string, hdr ...string) *http.Request {
	r, _ := http.NewRequest("GET", "http://s3.example/", nil)
	r.RemoteAddr = remote
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Add(hdr[i], hdr[i+1])
	}
	return r
}

func TestResolve(t *testing.T) {
	ps := mustProxies(t, "10.0.0.0/24", "::1")
	for _, c := range []struct {
		name   string
		r      *http.Request
		remote string
		tls    bool
	}{
		{"no proxies listed: untouched", request("203.0.113.9:5000", "X-Forwarded-For", "1.2.3.4"), "203.0.113.9:5000", false},
		{"from an untrusted peer: its headers are ignored", request("203.0.113.9:5000", "X-Forwarded-For", "1.2.3.4", "X-Forwarded-Proto", "https"), "203.0.113.9:5000", false},
		{"one trusted proxy", request("10.0.0.7:41000", "X-Forwarded-For", "198.51.100.20"), "198.51.100.20:0", false},
		{"the client's own claims left of the proxy's entry are skipped", request("10.0.0.7:41000", "X-Forwarded-For", "6.6.6.6, 198.51.100.20"), "198.51.100.20:0", false},
		{"chained trusted proxies", request("10.0.0.7:41000", "X-Forwarded-For", "198.51.100.20, 10.0.0.3"), "198.51.100.20:0", false},
		{"several header lines", request("10.0.0.7:41000", "X-Forwarded-For", "198.51.100.20", "X-Forwarded-For", "10.0.0.3"), "198.51.100.20:0", false},
		{"garbage stops at the last trusted hop", request("10.0.0.7:41000", "X-Forwarded-For", "nonsense, 10.0.0.3"), "10.0.0.3:0", false},
		{"all trusted: the leftmost", request("10.0.0.7:41000", "X-Forwarded-For", "10.0.0.2, 10.0.0.3"), "10.0.0.2:0", false},
		{"IPv6 loopback proxy, IPv6 client", request("[::1]:41000", "X-Forwarded-For", "2001:db8::5"), "[2001:db8::5]:0", false},
		{"TLS ended at the proxy", request("10.0.0.7:41000", "X-Forwarded-For", "198.51.100.20", "X-Forwarded-Proto", "https"), "198.51.100.20:0", true},
		{"the nearest proxy's proto wins", request("10.0.0.7:41000", "X-Forwarded-Proto", "https, http"), "10.0.0.7:41000", false},
		{"proto alone", request("10.0.0.7:41000", "X-Forwarded-Proto", "HTTPS"), "10.0.0.7:0", true},
		{"no headers", request("10.0.0.7:41000"), "10.0.0.7:41000", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			use := ps
			if strings.HasPrefix(c.name, "no proxies") {
				use = nil
			}
			got := use.Resolve(c.r)
			if got.RemoteAddr != c.remote || SecureTransport(got) != c.tls {
				t.Errorf("RemoteAddr %q TLS %v, want %q %v", got.RemoteAddr, SecureTransport(got), c.remote, c.tls)
			}
		})
	}
	// A connection with TLS to zonal itself is secure whatever it says.
	r := request("203.0.113.9:5000")
	r.TLS = &tls.ConnectionState{}
	if !SecureTransport(ps.Resolve(r)) {
		t.Error("a TLS connection is not secure transport")
	}
}

func TestResolveLeavesTheOriginalAlone(t *testing.T) {
	r := request("10.0.0.7:41000", "X-Forwarded-For", "198.51.100.20")
	got := mustProxies(t, "10.0.0.7").Resolve(r)
	if r.RemoteAddr != "10.0.0.7:41000" || got == r {
		t.Fatalf("Resolve changed its argument: %q", r.RemoteAddr)
	}
}

func TestParseProxies(t *testing.T) {
	ps := mustProxies(t, " 10.1.2.3 ", "192.168.0.0/16", "", "::ffff:10.9.9.9")
	for a, want := range map[string]bool{"10.1.2.3": true, "10.1.2.4": false, "192.168.77.1": true, "10.9.9.9": true, "::ffff:192.168.1.1": true} {
		if got := ps.trusts(netip.MustParseAddr(a)); got != want {
			t.Errorf("trusts(%s) = %v, want %v", a, got, want)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "example.com", "10.0.0.1:80"} {
		if _, err := ParseProxies([]string{bad}); err == nil {
			t.Errorf("ParseProxies(%q) accepted it", bad)
		}
	}
}

// FuzzResolve: any X-Forwarded-For and -Proto from a trusted proxy give
// an address that parses, and an untrusted peer is never rewritten.
func FuzzResolve(f *testing.F) {
	for _, s := range []string{"198.51.100.20", "6.6.6.6, 10.0.0.3", "", ",,,", "2001:db8::5, ::1", "[::1]", "1.2.3.4%eth0"} {
		f.Add(s, "https")
	}
	ps := mustProxies(f, "10.0.0.0/24", "::1")
	f.Fuzz(func(t *testing.T, xff, proto string) {
		got := ps.Resolve(request("10.0.0.7:41000", "X-Forwarded-For", xff, "X-Forwarded-Proto", proto))
		if _, err := netip.ParseAddrPort(got.RemoteAddr); err != nil {
			t.Fatalf("RemoteAddr %q: %v", got.RemoteAddr, err)
		}
		if out := ps.Resolve(request("203.0.113.9:5000", "X-Forwarded-For", xff, "X-Forwarded-Proto", proto)); out.RemoteAddr != "203.0.113.9:5000" || SecureTransport(out) {
			t.Fatalf("an untrusted peer was rewritten to %q", out.RemoteAddr)
		}
	})
}
