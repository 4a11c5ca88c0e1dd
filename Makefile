# limitless — see README.md. `make demo` and `make test` are the two entry points.
SWIFT ?= swift
PREFIX ?= /usr/local
DESTDIR ?=
DEBUG_BIN = .build/debug/limitless
RELEASE_BIN = .build/release/limitless

.PHONY: all deps build release test unit demo bench clean conformance

all: build

# Installs the Debian packages the build needs when they are missing (needs root or sudo).
deps:
	@./scripts/ensure-deps

build:
	$(SWIFT) build

release:
	$(SWIFT) build -c release

# Every test: unit, golden and end-to-end (the latter run the built binary), then the SQL
# conformance corpus through the binary's JSON Lines contract.
test: deps build conformance
	LIMITLESS_BIN=$(CURDIR)/$(DEBUG_BIN) $(SWIFT) test

# sqllogictest corpus against a 4-shard cluster, placements rotated table by table. The 4
# records of slt_lang_aggfunc.test that differ on one SQLite 3.40 database too are allowed.
CONFORMANCE_BIN ?= $(DEBUG_BIN)
conformance: build
	python3 Tests/Conformance/slt.py --bin $(CONFORMANCE_BIN) --placement mixed --max-acu 600 \
		--allow slt_lang_aggfunc.test:4 \
		Tests/Corpus/sqllogictest/*.test Tests/Corpus/sqllogictest/evidence/*.test \
		Tests/Corpus/sqllogictest/extra/*.test

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

# Installs the release binary, the man pages and the bash, zsh and fish completions under
# $(DESTDIR)$(PREFIX) (e.g. `make install PREFIX=/usr/local`, or DESTDIR=/tmp/stage for packaging).
# INSTALL_BIN=PATH installs that binary instead of building the release one.
INSTALL_BIN ?=
MAN_PAGES = $(wildcard man/*.1)
.PHONY: install uninstall
install: $(if $(INSTALL_BIN),,release)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
	    $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 0755 $(or $(INSTALL_BIN),$(RELEASE_BIN)) $(DESTDIR)$(PREFIX)/bin/limitless
	install -m 0644 $(MAN_PAGES) $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 completions/limitless.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/limitless
	install -m 0644 completions/_limitless $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_limitless
	install -m 0644 completions/limitless.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/limitless.fish

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/limitless \
	    $(addprefix $(DESTDIR)$(PREFIX)/share/man/man1/,$(notdir $(MAN_PAGES))) \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions/limitless \
	    $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_limitless \
	    $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/limitless.fish
