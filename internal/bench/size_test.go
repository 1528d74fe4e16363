package bench

import "testing"

func TestParseSize(t *testing.T) {
	good := map[string]int64{
		"0": 0, "4096": 4096, "4KiB": 4096, "4k": 4096, "4K": 4096, "4ki": 4096, "1MiB": 1 << 20,
		"1m": 1 << 20, "1.5MiB": 3 << 19, "2GiB": 2 << 30, "1TiB": 1 << 40, "10MB": 10_000_000,
		"4KB": 4000, "1gb": 1_000_000_000, "512B": 512, " 64 KiB ": 64 << 10,
	}
	for in, want := range good {
		got, err := ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "KiB", "4XB", "-1", "1.0001B", "abc", "1e3", "99999999TiB"} {
		if got, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", in, got)
		}
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0B", 100: "100B", 4096: "4KiB", 1 << 20: "1MiB", 1536: "1.5KiB", 5 << 30: "5GiB", 4097: "4097B"} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
		if n > 0 {
			if back, err := ParseSize(FormatSize(n)); err != nil || back != n {
				t.Errorf("ParseSize(FormatSize(%d)) = %d, %v", n, back, err)
			}
		}
	}
}
