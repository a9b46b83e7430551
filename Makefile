# Scangate build. Every target wraps the go command; see README.md.

GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
BIN      := bin
PKGS     := ./...

PEERS    := bash scripts/peers

.PHONY: all build test peers unit test32 soak lint demo cross package bench fuzz clean

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/gateway ./cmd/gateway

## test: formatting, vet, unit and integration tests with the race detector, a 32-bit run, the soak test.
# It first installs the Debian packages of the tests' real peers (scripts/peers) when it can. Once they are all
# there, SCANGATE_INTEGRATION=1 makes a test that still misses one fail; otherwise such tests are skipped.
test: peers
	@if $(PEERS) ready; then SCANGATE_INTEGRATION=1; export SCANGATE_INTEGRATION; fi; \
	$(MAKE) --no-print-directory lint unit test32 soak

## peers: install the Debian packages the build and the tests need, or say how to.
peers:
	@$(PEERS) install || echo "peers: apt-get failed; the tests that need a missing peer are skipped"

unit:
	$(GO) test -race -count=1 -timeout 10m $(PKGS)

# 32-bit (GOARCH=386) catches int-size assumptions; the race detector does not exist there.
test32:
	GOARCH=386 CGO_ENABLED=0 $(GO) test -count=1 -timeout 10m $(PKGS)

# soak: 200 jobs through one "gateway run" against a real Postfix: all arrive, the spool stays small, memory
# and open files stay flat.
soak:
	$(GO) test -tags soak -count=1 -timeout 5m -run TestSoak -v ./cmd/gateway/

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) vet -tags soak ./cmd/gateway/

## demo: the whole appliance simulated in this terminal.
demo:
	$(GO) run -ldflags '$(LDFLAGS)' ./cmd/gateway demo

## cross: static builds for the boards.
cross:
	CGO_ENABLED=0 GOOS=linux GOARCH=arm GOARM=6 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/gateway-linux-armv6 ./cmd/gateway
	CGO_ENABLED=0 GOOS=linux GOARCH=arm GOARM=7 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/gateway-linux-armv7 ./cmd/gateway
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/gateway-linux-arm64 ./cmd/gateway
	@ls -l $(BIN)/gateway-linux-*

## package: the Debian packages dist/scangate_VERSION_{armhf,arm64,amd64}.deb (packaging/mkdeb, with nfpm); the
# version is git describe's, made a Debian version (packaging/version.go).
package:
	$(GO) run ./packaging/mkdeb -out dist

## bench: benchmarks (speed and memory targets are checked here, never in tests).
bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

clean:
	rm -rf $(BIN) dist
