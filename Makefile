# Kilt — run a security agent inside containers where no host agent can be installed.
# `make help` lists the targets. Each component adds its own rules in <dir>/build.mk.
.DEFAULT_GOAL := all
SHELL := /bin/bash
MAKEFLAGS += --no-builtin-rules

include mk/toolchain.mk

# Parallel jobs for the builds `make test`, `bench` and `demo` start (the machines have 2 cores).
JOBS ?= $(shell nproc)

# Filled in by the components' build.mk files:
ALL          :=   # host-arch artifacts built by `make`
ARM64        :=   # aarch64 payload artifacts built by `make arm64`
TEST_SUITES  :=   # names N with a target test-N; `make test` runs them all
TEST_BUILDS  :=   # long one-time builds (Falco) `make test` does before the suites, outside their time limit
BENCH_SUITES :=   # names N with a target bench-N
FUZZ_SUITES  :=   # names N with a target fuzz-N (long libFuzzer runs)
PUBLIC_HEADERS :=  # each module's headers other modules may include (docs/architecture.md)

include $(sort $(wildcard */build.mk))

# Module borders: a file includes only its own module's headers and the others' PUBLIC_HEADERS.
TEST_SUITES += modules
.PHONY: test-modules
test-modules:
	@tools/check-includes.sh $(sort $(PUBLIC_HEADERS))

.PHONY: all arm64 deps check-deps test bench fuzz demo package image clean help

all: $(ALL) ## Build every host-arch artifact into build/

arm64: $(ARM64) ## Build the aarch64 payload into build/arm64/bin/

deps: ## Install build/test dependencies (Debian packages, npm ci); idempotent, needs root
	@tools/deps.sh

check-deps:
	@tools/deps.sh --check || { echo "kilt: installing them now (make deps)"; tools/deps.sh; }

test: check-deps ## Build everything and run every test suite
	@$(MAKE) --no-print-directory -j$(JOBS) all $(TEST_BUILDS)
	@JOBS=$(JOBS) tools/run-suites.sh test $(TEST_SUITES)

bench: check-deps ## Run the benchmarks side by side with their anchors; writes docs/benchmarks.md
	@$(MAKE) --no-print-directory -j$(JOBS) all
	@rm -rf $(B)/bench && mkdir -p $(B)/bench
	@tools/run-suites.sh bench $(BENCH_SUITES); st=$$?; tools/bench-report.sh $(BENCH_SUITES) > docs/benchmarks.md; exit $$st

fuzz: check-deps ## Long libFuzzer runs of every parser
	@tools/run-suites.sh fuzz $(FUZZ_SUITES)

demo: check-deps ## The main job end to end on the built-in examples
	@$(MAKE) --no-print-directory -j$(JOBS) all
	@examples/demo.sh

package: package-lambda ## The macro's Lambda zips: build/lambda/kilt-macro.zip (x86_64), kilt-macro-arm64.zip

image: image-payload image-webhook ## The images: build/image/kilt-image.oci.tar (payload, amd64 + arm64), kilt-webhook.oci.tar

clean: ## Remove build/
	rm -rf $(B)

help: ## List the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | sort | \
	  awk 'BEGIN {FS = ":.*## "}; {printf "  make %-12s %s\n", $$1, $$2}'
	@echo "  Variables: STATIC=musl|glibc (payload toolchain), SAN=0 (tests without sanitizers)"
