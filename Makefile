# Benchmarks and tests. See bench/README.md for the end-to-end table.

GO ?= go

# Hot-path packages measured by `make gobench`.
GOBENCH_PKGS ?= ./internal/sigv4 ./internal/session ./internal/auth ./internal/catalog/pebble \
	./internal/s3api ./internal/checksum ./internal/policy ./zonaltest
# BenchmarkInlineVsBlob (10 synced-disk sub-benchmarks) alone takes about
# 25 s; run it with `make gobench GOBENCH_SKIP=` when needed.
GOBENCH_SKIP ?= BenchmarkInlineVsBlob
BENCHTIME ?= 1s
COUNT ?= 1

.PHONY: bench gobench test

# End-to-end table against a real server; RUNS and DURATION pass through.
bench:
	RUNS="$(RUNS)" DURATION="$(DURATION)" bench/run.sh

gobench:
	$(GO) test -run '^$$' -bench . -skip '$(GOBENCH_SKIP)' -benchmem \
		-benchtime $(BENCHTIME) -count $(COUNT) $(GOBENCH_PKGS)

test:
	$(GO) test -race -count=1 ./...
