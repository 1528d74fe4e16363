package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/zonal-dev/zonal/internal/fsutil"
)

// certSource serves a certificate that can be swapped while connections
// are open: tls.Config.GetCertificate reads it on every handshake, Reload
// replaces it. Established connections keep the certificate they started
// with.
type certSource struct {
	certFile, keyFile string
	cur               atomic.Pointer[tls.Certificate]
}

func (c *certSource) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return c.cur.Load(), nil
}

// load reads and checks the key pair and makes it current.
func (c *certSource) load() (*tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return nil, fmt.Errorf("TLS key pair %s / %s: %w", c.certFile, c.keyFile, err)
	}
	if cert.Leaf == nil {
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, fmt.Errorf("TLS certificate %s: %w", c.certFile, err)
		}
	}
	c.cur.Store(&cert)
	return &cert, nil
}

// certAttrs describes a certificate for the log.
func certAttrs(c *tls.Certificate) []any {
	l := c.Leaf
	names := append([]string(nil), l.DNSNames...)
	for _, ip := range l.IPAddresses {
		names = append(names, ip.String())
	}
	return []any{"subject", l.Subject.String(), "names", strings.Join(names, ","),
		"not_after", l.NotAfter.UTC().Format(time.RFC3339)}
}

// setupTLS prepares the server's TLS configuration, if any.
func (s *Server) setupTLS() error {
	generated := false
	switch {
	case s.cfg.TLSSelfSigned:
		dir := filepath.Join(s.cfg.Data, "tls")
		certFile, keyFile, gen, err := ensureSelfSigned(dir, s.cfg.Addr, s.cfg.Hostnames, time.Now())
		if err != nil {
			return fmt.Errorf("self-signed certificate: %w", err)
		}
		generated = gen
		s.certs = &certSource{certFile: certFile, keyFile: keyFile}
		s.selfSignedCA = certFile
	case s.cfg.TLSCert != "":
		s.certs = &certSource{certFile: s.cfg.TLSCert, keyFile: s.cfg.TLSKey}
	default:
		return nil
	}
	c, err := s.certs.load()
	if err != nil {
		return err
	}
	if generated { // with its names: the hostnames a client may use
		s.log.Info("generated a self-signed TLS certificate", append([]any{"cert", s.selfSignedCA}, certAttrs(c)...)...)
	}
	s.warnExpiry(c)
	s.http.TLSConfig = &tls.Config{
		GetCertificate: s.certs.get,
		MinVersion:     tls.VersionTLS12,
	}
	return nil
}

func (s *Server) warnExpiry(c *tls.Certificate) {
	left := time.Until(c.Leaf.NotAfter)
	switch {
	case left <= 0:
		s.log.Error("the TLS certificate has expired: clients will refuse it", certAttrs(c)...)
	case left < 14*24*time.Hour:
		s.log.Warn("the TLS certificate expires soon", certAttrs(c)...)
	}
}

// TLS reports whether the server serves HTTPS.
func (s *Server) TLS() bool { return s.certs != nil }

// Scheme is "https" or "http".
func (s *Server) Scheme() string {
	if s.TLS() {
		return "https"
	}
	return "http"
}

// SelfSignedCert returns the path of the self-signed certificate clients
// should trust, or "" when the server does not use one.
func (s *Server) SelfSignedCert() string { return s.selfSignedCA }

// ReloadTLS reads the certificate and key files again and serves the new
// pair to new connections; on failure the current pair stays. The outcome
// is logged either way.
func (s *Server) ReloadTLS() error {
	if s.certs == nil {
		err := errors.New("the server does not serve TLS: nothing to reload")
		s.log.Warn("TLS reload skipped", "err", err)
		return err
	}
	c, err := s.certs.load()
	if err != nil {
		s.log.Error("TLS reload failed; still serving the previous certificate", "err", err)
		return err
	}
	s.warnExpiry(c)
	s.log.Info("TLS certificate reloaded", certAttrs(c)...)
	return nil
}

// selfSignedValidity is how long a generated certificate lasts; a new one
// is made when less than a month is left.
const selfSignedValidity = 5 * 365 * 24 * time.Hour

// ensureSelfSigned returns dir/cert.pem and dir/key.pem, generating them
// unless a certificate there already covers the names the listen address
// and hostnames need and is not about to expire. A certificate made by an
// older zonal lacks s3.localhost and is replaced.
func ensureSelfSigned(dir, addr string, hostnames []string, now time.Time) (certFile, keyFile string, generated bool, err error) {
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	required, extra := certNames(addr, hostnames)
	if existing, err := tls.LoadX509KeyPair(certFile, keyFile); err == nil {
		leaf, err := x509.ParseCertificate(existing.Certificate[0])
		if err == nil && leaf.NotAfter.Sub(now) > 30*24*time.Hour && covers(leaf, required) {
			return certFile, keyFile, false, nil
		}
	} // else missing, damaged or half-written: make a new pair
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", false, err
	}
	certPEM, keyPEM, err := generateSelfSigned(append(required, extra...), now)
	if err != nil {
		return "", "", false, err
	}
	// Key first: a crash between the two writes leaves a pair that does
	// not match, which the next start replaces.
	if err := fsutil.WriteFileAtomic(keyFile, keyPEM, 0o600); err != nil {
		return "", "", false, err
	}
	// 0600 like everything under the data folder; clients that trust it
	// run as the same user or get a copy.
	if err := fsutil.WriteFileAtomic(certFile, certPEM, 0o600); err != nil {
		return "", "", false, err
	}
	return certFile, keyFile, true, nil
}

// SelfSignedHost is the development hostname endpoint the self-signed
// certificate always covers, with its subdomains: SDKs given a hostname
// endpoint send bucket requests to <bucket>.<host>, and Node, curl and
// Python refuse a wildcard directly under a top-level name (*.localhost,
// which only Go accepts), so bucket hosts need a name one level deeper.
const SelfSignedHost = "s3.localhost"

// certNames lists the names a certificate for addr and hostnames must
// cover (loopback, localhost, SelfSignedHost, the listen host and each
// hostname, names with their subdomains) and, for a wildcard listen
// address, the machine's other names (nice to have, not required on reuse).
func certNames(addr string, hostnames []string) (required, extra []string) {
	required = []string{"localhost", "*.localhost", SelfSignedHost, "*." + SelfSignedHost, "127.0.0.1", "::1"}
	for _, h := range hostnames {
		required = appendHost(required, h)
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	ip := net.ParseIP(host)
	switch {
	case host == "" || ip != nil && ip.IsUnspecified():
		if h, err := os.Hostname(); err == nil && h != "" {
			extra = append(extra, h)
		}
		if addrs, err := net.InterfaceAddrs(); err == nil {
			for _, a := range addrs {
				if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
					extra = append(extra, n.IP.String())
				}
			}
		}
	default:
		required = appendHost(required, host)
	}
	return required, extra
}

// appendHost adds an IP address, or a name and its subdomains.
func appendHost(list []string, host string) []string {
	if ip := net.ParseIP(host); ip != nil {
		return appendNew(list, ip.String())
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	return appendNew(list, host, "*."+host)
}

func appendNew(list []string, names ...string) []string {
	for _, n := range names {
		if !slices.Contains(list, n) {
			list = append(list, n)
		}
	}
	return list
}

// covers reports whether the certificate names every one of names.
func covers(c *x509.Certificate, names []string) bool {
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			if !slices.ContainsFunc(c.IPAddresses, ip.Equal) {
				return false
			}
		} else if !slices.Contains(c.DNSNames, n) {
			return false
		}
	}
	return true
}

// generateSelfSigned makes an ECDSA P-256 certificate for names that is
// its own trust anchor: clients trust the certificate file itself.
func generateSelfSigned(names []string, now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, nil, err
	}
	host, _ := os.Hostname()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			Organization: []string{"zonal development certificate"},
			CommonName:   "zonal self-signed (" + host + ")",
		},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(selfSignedValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = appendNew(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	return certPEM, keyPEM, nil
}
