# falco/: the real Falco 0.44.1 for the payload, built offline from ../shared/third_party, relocatable under
# /kilt/falco, with its configuration and its start program. See docs/falco.md.
#
#   make falco      build Falco (or reuse the machine-wide cache) and stage build/falco/kilt-falco/
#   make test-falco the start program's unit tests, the cache's tests (fake recipe), tests/falco/run.sh (the
#                   built Falco under runc: empty and alpine-like rootfs, a replayed rule), tests/falco/task.sh
#                   (a task under runc: kilt-run traces the app, Falco's default rules fire live)
#
# Falco itself is not part of `make all`: a cold build takes 10-15 minutes on 2 cores. It is built once
# per machine into ${KILT_CACHE_DIR:-/var/cache/kilt}/falco-<key>/ by falco/falco-cache.sh (key: the
# archives' checksums, falco/build-falco.sh, falco/patches/, compiler and Debian library versions).

# core/: a copy of the cache entry's kilt-falco/ (bin, lib, plugins, rules).
# kilt-falco/: /kilt/falco of the payload, the core + falco.yaml + start (image/build.sh can take it as is).
FALCO_OUT   := $(B)/falco
FALCO_CORE  := $(FALCO_OUT)/core
FALCO_TREE  := $(FALCO_OUT)/kilt-falco
FALCO_STAMP := $(FALCO_OUT)/kilt-falco.stamp

# Always asks the cache (cheap when warm: it hashes the inputs and finds the entry); the script rewrites
# core/.key only when the key changed, so the tree below is rebuilt only then.
.PHONY: falco-core
falco-core:
	@falco/falco-cache.sh --stage $(FALCO_CORE) >/dev/null
$(FALCO_CORE)/.key: falco-core ;

# /kilt/falco/start: static musl, like the rest of the payload.
FALCO_START_SRCS := falco/start.c falco/identity.c
FALCO_START_DEPS := $(FALCO_START_SRCS) falco/identity.h
FALCO_START_FLAGS = $(PAYLOAD_CFLAGS) -std=c11 -I.
$(BIN)/kilt-falco-start: $(FALCO_START_DEPS) | $(PAYLOAD_TOOLCHAIN)
	@mkdir -p $(@D)
	$(PAYLOAD_CC) $(FALCO_START_FLAGS) $(PAYLOAD_LDFLAGS) $(FALCO_START_SRCS) -o $@
$(ARM64BIN)/kilt-falco-start: $(FALCO_START_DEPS) | $(PAYLOAD_TOOLCHAIN)
	@mkdir -p $(@D)
	$(PAYLOAD_CC_ARM64) $(FALCO_START_FLAGS) $(PAYLOAD_LDFLAGS) $(FALCO_START_SRCS) -o $@

ALL   += $(BIN)/kilt-falco-start
ARM64 += $(ARM64BIN)/kilt-falco-start

# The capture plugin (libkiltcap.so, capture/falco_plugin/, built by capture/build.mk) is installed stripped
# as plugins/libkiltcap.so; its libraries (libstdc++, libm, libgcc_s, libc) are already in lib/.
FALCO_KILTCAP := $(CAPTURE_PLUGIN)

# The tree is assembled beside its final place and renamed, hard-linking the core's files (never modified
# in place: a new core replaces the old directory).
$(FALCO_STAMP): $(FALCO_CORE)/.key falco/falco.yaml $(BIN)/kilt-falco-start $(FALCO_KILTCAP)
	@rm -rf $(FALCO_TREE).new
	@cp -al $(FALCO_CORE) $(FALCO_TREE).new && rm $(FALCO_TREE).new/.key
	@install -m 0644 falco/falco.yaml $(FALCO_TREE).new/falco.yaml
	@install -m 0755 $(BIN)/kilt-falco-start $(FALCO_TREE).new/start
	@strip --strip-unneeded $(FALCO_KILTCAP) -o $(FALCO_TREE).new/plugins/libkiltcap.so
	@rm -rf $(FALCO_TREE) && mv $(FALCO_TREE).new $(FALCO_TREE)
	@touch $@
	@echo "falco: $(FALCO_TREE) ($$(du -sk $(FALCO_TREE) | cut -f1) KiB) from $$(falco/falco-cache.sh)"

.PHONY: falco
TEST_BUILDS += falco
falco: $(FALCO_STAMP) ## Build Falco 0.44.1 offline (cached per machine) into build/falco/kilt-falco

# ---- tests ------------------------------------------------------------------------------------------
$(TESTBIN)/falco/identity_test: $(OBJ)/san/falco/identity_test.o $(OBJ)/san/falco/identity.o $(CATCH_MAIN)
	@mkdir -p $(@D)
	$(HOST_CXX) $(TEST_SANFLAGS) $^ -pthread -o $@

# libFuzzer (clang) over the metadata and cgroup parsers of the start program; FUZZ_SECONDS per run (default 60).
$(eval $(call kilt_fuzzer,falco/identity_fuzz,falco/identity_fuzz.cc falco/identity.c))
FUZZ_SUITES += falco
.PHONY: fuzz-falco
fuzz-falco: $(TESTBIN)/falco/identity_fuzz
	$(call kilt_fuzz_run,falco/identity_fuzz,60,,16384)

# One scenario command as a capture file, written with the capture encoder (replayed by tests/falco/run.sh).
$(TESTBIN)/falco/scenario_capture: tests/falco/scenario_capture.cc tests/falco/scenario_events.h $(CAPTURE_LIB) \
                                   $(BASE_LIB) $(CAPTURE_GEN_HDR)
	@mkdir -p $(@D)
	$(HOST_CXX) $(HOST_CXXFLAGS) $(CAPTURE_INCLUDES) $< $(CAPTURE_LIB) $(BASE_LIB) -o $@

# The attack steps busybox cannot do, run inside the traced app of tests/falco/task.sh (static: the test
# rootfs has no libc).
$(TESTBIN)/falco/kilt-attack: tests/falco/attacks.c | $(PAYLOAD_TOOLCHAIN)
	@mkdir -p $(@D)
	$(PAYLOAD_CC) $(PAYLOAD_CFLAGS) $(PAYLOAD_LDFLAGS) $< -o $@

.PHONY: test-falco
TEST_SUITES += falco
test-falco: $(TESTBIN)/falco/identity_test $(FALCO_STAMP) $(TESTBIN)/falco/scenario_capture \
            $(BIN)/kilt-run $(TESTBIN)/falco/kilt-attack
	$(TESTBIN)/falco/identity_test
	tests/falco/cache_test.sh
	tests/falco/run.sh $(FALCO_TREE) $(TESTBIN)/falco/scenario_capture
	tests/falco/task.sh $(FALCO_TREE) $(BIN)/kilt-run $(TESTBIN)/falco/kilt-attack

# Falco in a task: alert latency, events/s through the pipeline, Falco's memory and CPU (bench/falco.sh).
# BENCH_FALCO_SECONDS=2 makes it a smoke run.
BENCH_SUITES += falco
.PHONY: bench-falco
bench-falco: $(FALCO_STAMP) $(BIN)/kilt-run $(TESTBIN)/falco/kilt-attack $(TESTBIN)/falco/falco_flood
	bench/falco.sh $(FALCO_TREE) $(BIN)/kilt-run $(TESTBIN)/falco/kilt-attack $(TESTBIN)/falco/falco_flood \
	  $(B)/bench/falco.md
# A flood of events for Falco alone, served on the capture's feed (no tracer).
$(TESTBIN)/falco/falco_flood: bench/falco_flood.cc tests/falco/scenario_events.h $(CAPTURE_LIB) $(BASE_LIB) \
                              $(CAPTURE_GEN_HDR)
	@mkdir -p $(@D)
	$(HOST_CXX) $(HOST_CXXFLAGS) $(CAPTURE_INCLUDES) $< $(CAPTURE_LIB) $(BASE_LIB) -o $@
