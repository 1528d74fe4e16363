package e2e

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"
	"sync/atomic"
	"time"
)

// roundRobin is the load balancer of ZONAL_E2E_NODES mode: a reverse
// proxy that sends each request to the next node, as it came: the Host
// header the client signed, the request target byte for byte, bodies
// streamed both ways, no headers added. An Expect: 100-continue request
// waits for the node's 100 (which the proxy passes on) before its body
// moves, so a node that answers early still stops the upload.
type roundRobin struct {
	Addr string

	backends []string
	next     atomic.Uint64
	served   []atomic.Int64
	tr       *http.Transport
	srv      *http.Server
}

type backendKey struct{}

func startRoundRobin(backends []string) (*roundRobin, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	rr := &roundRobin{Addr: ln.Addr().String(), backends: backends, served: make([]atomic.Int64, len(backends))}
	rr.tr = &http.Transport{
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       30 * time.Second,
		ExpectContinueTimeout: 5 * time.Second,
		DisableCompression:    true, // no Accept-Encoding of the proxy's own
	}
	rp := &httputil.ReverseProxy{
		Rewrite:       rr.rewrite,
		Transport:     rr.tr,
		FlushInterval: -1, // stream: every write of the node reaches the client at once
		ErrorLog:      log.New(io.Discard, "", 0),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			// What a load balancer answers when the node is down.
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	rr.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := (rr.next.Add(1) - 1) % uint64(len(rr.backends))
		rr.served[i].Add(1)
		rp.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), backendKey{}, rr.backends[i])))
	}), ErrorLog: log.New(io.Discard, "", 0)}
	go rr.srv.Serve(ln)
	return rr, nil
}

func (rr *roundRobin) rewrite(pr *httputil.ProxyRequest) {
	pr.Out.URL.Scheme = "http"
	pr.Out.URL.Host = pr.In.Context().Value(backendKey{}).(string)
	// The request target as sent (the signature covers its encoding),
	// not as re-escaped from the parsed path; "//x" cannot be Opaque.
	if path, _, _ := strings.Cut(pr.In.RequestURI, "?"); strings.HasPrefix(path, "/") && !strings.HasPrefix(path, "//") {
		pr.Out.URL.Opaque = path
	}
	// ReverseProxy drops unparsable query parameters and forwarding
	// headers before Rewrite; put the client's back.
	pr.Out.URL.RawQuery = pr.In.URL.RawQuery
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"} {
		if v, ok := pr.In.Header[h]; ok {
			pr.Out.Header[h] = v
		}
	}
}

// Served is how many requests each node was sent.
func (rr *roundRobin) Served() []int64 {
	out := make([]int64, len(rr.served))
	for i := range rr.served {
		out[i] = rr.served[i].Load()
	}
	return out
}

// dropIdle forgets the connections to nodes that stopped or were killed.
func (rr *roundRobin) dropIdle() { rr.tr.CloseIdleConnections() }

func (rr *roundRobin) Close() {
	rr.srv.Close()
	rr.tr.CloseIdleConnections()
}

// proxiedSkips lists the tests whose subject the proxy changes; they skip
// in ZONAL_E2E_NODES mode.
var proxiedSkips = map[string]string{}

// skipIfProxied skips t in nodes mode when proxiedSkips lists it.
func skipIfProxied(t interface{ Skip(...any) }, name string) {
	if why := proxiedSkips[name]; why != "" && nodeCount > 0 {
		t.Skip(why + ": skipped with ZONAL_E2E_NODES")
	}
}
