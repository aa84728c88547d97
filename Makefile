# quail: see README.md. Every program is built into ./bin.
GO        ?= go
VERSION   ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
QMAILHOME ?= /var/qmail
PREFIX    ?= /usr/local
MODULE    := github.com/quail-mta/quail
# Programs start at internal/rtlimit's entry routine, which checks the
# limits the Go runtime needs before it runs (linux/amd64 and arm64).
PLATFORM  := $(shell $(GO) env GOOS)/$(shell $(GO) env GOARCH)
ENTRY     := $(if $(filter linux/amd64 linux/arm64,$(PLATFORM)),-E _quail_rt0)
# INPROCESS=no: every helper (qmail-queue, qmail-local, qmail-remote,
# qmail-smtpd under a reused rblsmtpd) is started as a program, never run
# inside its caller (internal/launch).
INPROCESS ?= yes
LDFLAGS   := $(ENTRY) -X $(MODULE)/internal/version.Version=$(VERSION) -X $(MODULE)/internal/qmailhome.Default=$(QMAILHOME) -X $(MODULE)/internal/launch.InProcess=$(INPROCESS)
BIN       := $(CURDIR)/bin
FUZZTIME  ?= 30s
export CGO_ENABLED = 0

.PHONY: all build test run install bench fuzz check clean

all: build

build:
	@mkdir -p $(BIN)
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)/ ./cmd/...
	@for s in scripts/bin/*; do [ -f "$$s" ] && install -m 755 "$$s" $(BIN)/ ; done; true

# The gate: formatting, vet, then every test (unit, fuzz seeds, end-to-end
# against ./bin, differential against the reference tools).
test: build
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	QUAIL_BIN=$(BIN) $(GO) test -count=1 -timeout 12m ./...

# A complete system as the invoking user under ./run, in the foreground.
run: build
	@scripts/run.sh

install: build
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BIN)/* $(DESTDIR)$(PREFIX)/bin/
	for s in 1 5 7 8; do \
	  install -d $(DESTDIR)$(PREFIX)/share/man/man$$s; \
	  for m in man/*.$$s; do [ -f "$$m" ] || continue; install -m 644 "$$m" $(DESTDIR)$(PREFIX)/share/man/man$$s/ || exit 1; done; \
	done

bench: build
	@scripts/bench.sh

# Runs every fuzz target for FUZZTIME each. Minimising a new input is
# capped at a few seconds: Go's default (a minute, with no progress shown)
# looks like a hang and eats the run.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s $$pkg || exit 1; \
	  done; done

# The full gate plus the race detector on the concurrent packages.
check: test
	CGO_ENABLED=1 QUAIL_BIN=$(BIN) $(GO) test -race -timeout 15m ./supervise/... ./multilog/... ./ucspi/... ./mta/...

clean:
	rm -rf $(BIN) run
