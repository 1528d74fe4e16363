package policy

import (
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// parseNumber parses a Numeric* value: an integer or a decimal number.
func parseNumber(s string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// dateLayouts are the ISO 8601 forms accepted by the Date* operators.
var dateLayouts = []string{
	time.RFC3339, // fractional seconds accepted when parsing
	"2006-01-02T15:04:05",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"20060102T150405Z0700",
	"20060102T150405Z",
	"2006-01-02",
}

// parseDate parses a Date* value: an ISO 8601 date or date-time (UTC when
// no zone is given) or a count of seconds since the Unix epoch.
func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	if isEpoch(s) {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.Abs(f) > 1e13 {
			return time.Time{}, false
		}
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// isEpoch reports whether s looks like epoch seconds: digits with an
// optional sign and fraction.
func isEpoch(s string) bool {
	if s[0] == '-' || s[0] == '+' {
		s = s[1:]
	}
	digits, dot := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}

// parseBool parses a Bool value.
func parseBool(s string) (bool, bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

// parseCIDR parses an IpAddress value: a CIDR block or a single address
// (a /32 or /128), IPv4 or IPv6.
func parseCIDR(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), true
	}
	a, ok := parseAddr(s)
	if !ok {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true
}

// parseAddr parses a request's address; IPv4-mapped IPv6 addresses are
// treated as IPv4 and zones are dropped.
func parseAddr(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.WithZone("").Unmap(), true
}
