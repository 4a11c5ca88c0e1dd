# limitless — see README.md. `make demo` and `make test` are the two entry points.
SWIFT ?= swift
PREFIX ?= /usr/local
DESTDIR ?=
DEBUG_BIN = .build/debug/limitless
RELEASE_BIN = .build/release/limitless

.PHONY: all deps build release test unit demo bench clean

all: build

# Installs the Debian packages the build needs when they are missing (needs root or sudo).
deps:
	@./scripts/ensure-deps

build:
	$(SWIFT) build

release:
	$(SWIFT) build -c release

# Every test: unit, golden and end-to-end (the latter run the built binary).
test: deps build
	LIMITLESS_BIN=$(CURDIR)/$(DEBUG_BIN) $(SWIFT) test

# Benchmarks against the sqlite3 shell on one file (not part of `make test`). BENCH_ARGS passes
# options through, e.g. `make bench BENCH_ARGS="--scale 0.1 --shards 8 --scaling"`.
bench: deps release
	python3 bench/run.py --bin $(RELEASE_BIN) $(BENCH_ARGS)

demo: deps release
	@./scripts/demo $(RELEASE_BIN)

clean:
	rm -rf .build demo-home

# Parser throughput over the sqllogictest corpus (release build; prints MB/s).
bench-parse:
	BENCH_PARSE=1 $(SWIFT) test -c release -Xswiftc -enable-testing --filter ParseBenchmark
