// Package netpeer says who is at the other end of a request when zonal
// runs behind reverse proxies (HAProxy, nginx, a cloud load balancer): the
// client's address and whether it reached the service over TLS, taken from
// X-Forwarded-For and X-Forwarded-Proto, but only when the request came
// from an address the operator listed as a trusted proxy.
//
// Without it, every request behind a proxy seems to come from the proxy:
// aws:SourceIp conditions see the proxy's address, the console limits
// failed sign-ins of all users together, and a proxy that terminates TLS
// makes aws:SecureTransport false and the console's cookie not Secure.
//
// Resolve runs once per request, first of all the server's wrappers; it
// rewrites the request's RemoteAddr to the client's, so everything after
// it (authorization, the console, the access log) reads RemoteAddr as
// before. Headers from anyone else are ignored: a client cannot choose
// its own source address.
package netpeer

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies are the addresses whose forwarding headers are believed.
type Proxies []netip.Prefix

// ParseProxies reads addresses and CIDR prefixes ("10.0.0.5",
// "10.0.0.0/24", "::1").
func ParseProxies(list []string) (Proxies, error) {
	var ps Proxies
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if strings.Contains(s, "/") {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, err
			}
			ps = append(ps, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, err
		}
		a = a.Unmap()
		ps = append(ps, netip.PrefixFrom(a, a.BitLen()))
	}
	return ps, nil
}

func (ps Proxies) trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

type tlsKey struct{}

// Resolve returns r as seen past trusted proxies: when r comes from one
// and carries X-Forwarded-For, a shallow copy whose RemoteAddr is the
// client's (port 0: a proxy does not pass it on), and which ForwardedTLS
// reports as TLS when the nearest proxy says X-Forwarded-Proto: https.
// Otherwise r itself.
//
// The client is the rightmost X-Forwarded-For entry that is not a trusted
// proxy: each proxy appends the address it received from, so entries to
// the left of the first untrusted one are the client's own claims. An
// entry that is not an address stops the walk at the last trusted hop.
func (ps Proxies) Resolve(r *http.Request) *http.Request {
	if len(ps) == 0 {
		return r
	}
	peer, ok := addrOf(r.RemoteAddr)
	if !ok || !ps.trusts(peer) {
		return r
	}
	client, found := peer, false
	xff := r.Header.Values("X-Forwarded-For")
	for i := len(xff) - 1; i >= 0 && !found; i-- {
		entries := strings.Split(xff[i], ",")
		for j := len(entries) - 1; j >= 0; j-- {
			a, err := netip.ParseAddr(strings.TrimSpace(entries[j]))
			if err != nil {
				found = true // unparseable: keep the last trusted hop
				break
			}
			client = a.Unmap()
			if !ps.trusts(client) {
				found = true
				break
			}
		}
	}
	tls := r.TLS == nil && forwardedHTTPS(r.Header.Values("X-Forwarded-Proto"))
	if client == peer && !tls {
		return r
	}
	ctx := r.Context()
	if tls {
		ctx = context.WithValue(ctx, tlsKey{}, true)
	}
	r = r.WithContext(ctx)
	r.RemoteAddr = netip.AddrPortFrom(client, 0).String()
	return r
}

// forwardedHTTPS reads the nearest proxy's X-Forwarded-Proto: the last
// value. Proxies must set the header rather than pass a client's on
// (deploy/cluster/haproxy.cfg does).
func forwardedHTTPS(vals []string) bool {
	if len(vals) == 0 {
		return false
	}
	last := vals[len(vals)-1]
	if i := strings.LastIndexByte(last, ','); i >= 0 {
		last = last[i+1:]
	}
	return strings.EqualFold(strings.TrimSpace(last), "https")
}

// ForwardedTLS reports whether a trusted proxy said r reached it over
// TLS (r.TLS is nil then: the proxy spoke plain HTTP to zonal).
func ForwardedTLS(r *http.Request) bool {
	v, _ := r.Context().Value(tlsKey{}).(bool)
	return v
}

// SecureTransport reports whether the client's connection was TLS, to
// zonal or to a trusted proxy in front of it.
func SecureTransport(r *http.Request) bool { return r.TLS != nil || ForwardedTLS(r) }

func addrOf(hostport string) (netip.Addr, bool) {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	a, err := netip.ParseAddr(host)
	return a.Unmap(), err == nil
}
