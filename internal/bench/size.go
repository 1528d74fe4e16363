package bench

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ParseSize parses a byte count such as "4096", "4KiB", "4k", "1MiB",
// "1.5MiB", "2GiB" or "10MB". Binary suffixes (K, Ki, KiB, M, Mi, MiB, G, Gi,
// GiB, T, Ti, TiB; any case) are powers of 1024; SI suffixes (KB, MB, GB,
// TB) are powers of 1000; a trailing "B" alone means bytes.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fmt.Errorf("empty size")
	}
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	if num == "" {
		return 0, fmt.Errorf("size %q: no number", s)
	}
	var mult float64
	switch unit {
	case "", "b":
		mult = 1
	case "k", "ki", "kib":
		mult = 1 << 10
	case "m", "mi", "mib":
		mult = 1 << 20
	case "g", "gi", "gib":
		mult = 1 << 30
	case "t", "ti", "tib":
		mult = 1 << 40
	case "kb":
		mult = 1e3
	case "mb":
		mult = 1e6
	case "gb":
		mult = 1e9
	case "tb":
		mult = 1e12
	default:
		return 0, fmt.Errorf("size %q: unknown unit %q (use B, KiB, MiB, GiB, TiB, KB, MB, GB or TB)", s, t[i:])
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("size %q: %v", s, err)
	}
	v := f * mult
	if v > math.MaxInt64/2 {
		return 0, fmt.Errorf("size %q: too large", s)
	}
	if v != math.Trunc(v) {
		return 0, fmt.Errorf("size %q is not a whole number of bytes", s)
	}
	return int64(v), nil
}

// FormatSize renders n as the shortest exact binary form: "4KiB", "1MiB",
// "1536B" is "1.5KiB" only when exact to one decimal, otherwise bytes.
func FormatSize(n int64) string {
	units := []struct {
		s string
		v int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}}
	for _, u := range units {
		if n >= u.v {
			if n%u.v == 0 {
				return strconv.FormatInt(n/u.v, 10) + u.s
			}
			if (n*10)%u.v == 0 {
				return strconv.FormatFloat(float64(n)/float64(u.v), 'f', 1, 64) + u.s
			}
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}
