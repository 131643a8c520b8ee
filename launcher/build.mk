# launcher/: kilt-run (/kilt/run), the entrypoint of every patched container. See docs/launcher.md.
#
# Payload: fully static (musl via zig by default; STATIC=glibc for the host arch), x86_64 and aarch64.
# It reuses the PID-1 core init/pid1.c.
# toml++ is header-only; the payload has no exceptions, so toml++ runs with TOML_EXCEPTIONS=0 and reports
# errors through its parse_result.

LAUNCHER_LIB_SRCS := launcher/config.cc launcher/line_framer.cc launcher/line_output.cc \
                     launcher/supervisor.cc launcher/launcher.cc launcher/self_check.cc
LAUNCHER_SRCS     := $(LAUNCHER_LIB_SRCS) launcher/main.cc
LAUNCHER_VERSION  ?= 0.1.0

# Payload objects come from mk/toolchain.mk's shared rule (one object dir per toolchain and arch, so
# switching STATIC never links stale objects), init/pid1.c's too. kilt-run links the capture (capture/:
# the tracer, the encoder, the feed) and base/. The log path (framer, output queue) is built for speed,
# the rest for size.
LAUNCHER_PAYLOAD_OBJS_X86   := $(LAUNCHER_SRCS:%.cc=$(PAYLOAD_OBJ_X86)/%.o) $(PAYLOAD_OBJ_X86)/init/pid1.o
LAUNCHER_PAYLOAD_OBJS_ARM64 := $(LAUNCHER_SRCS:%.cc=$(PAYLOAD_OBJ_ARM64)/%.o) $(PAYLOAD_OBJ_ARM64)/init/pid1.o
$(LAUNCHER_PAYLOAD_OBJS_X86) $(LAUNCHER_PAYLOAD_OBJS_ARM64): \
  PAYLOAD_CXXFLAGS += $(CAPTURE_INCLUDES) -DTOML_EXCEPTIONS=0 -DKILT_VERSION='"$(LAUNCHER_VERSION)"'
$(LAUNCHER_PAYLOAD_OBJS_X86) $(LAUNCHER_PAYLOAD_OBJS_ARM64): $(CAPTURE_GEN_HDR)
$(foreach d,$(PAYLOAD_OBJ_X86) $(PAYLOAD_OBJ_ARM64),$(d)/launcher/line_framer.o $(d)/launcher/line_output.o): \
  PAYLOAD_CXXFLAGS += -O2

$(BIN)/kilt-run: $(LAUNCHER_PAYLOAD_OBJS_X86) $(CAPTURE_PAYLOAD_OBJS_X86) $(BASE_PAYLOAD_OBJS_X86)
	@mkdir -p $(@D)
	$(PAYLOAD_CXX) $(PAYLOAD_LDFLAGS) $^ -o $@
$(ARM64BIN)/kilt-run: $(LAUNCHER_PAYLOAD_OBJS_ARM64) $(CAPTURE_PAYLOAD_OBJS_ARM64) $(BASE_PAYLOAD_OBJS_ARM64)
	@mkdir -p $(@D)
	$(PAYLOAD_CXX_ARM64) $(PAYLOAD_LDFLAGS) $^ -o $@

# Host libraries of the logic (g++; the _san one for unit tests), with exceptions: toml++ throws there.
# `kilt local run` frames its containers' output with the line framer.
$(eval $(call kilt_library,launcher,$(LAUNCHER_LIB_SRCS)))
PUBLIC_HEADERS += launcher/line_framer.h
LAUNCHER_HOST_OBJS := $(patsubst %.cc,$(OBJ)/host/%.o,$(LAUNCHER_LIB_SRCS)) \
                      $(patsubst %.cc,$(OBJ)/san/%.o,$(LAUNCHER_LIB_SRCS) $(wildcard launcher/*_test.cc))
$(LAUNCHER_HOST_OBJS): HOST_CXXFLAGS += $(CAPTURE_INCLUDES)
$(LAUNCHER_HOST_OBJS): $(CAPTURE_GEN_HDR)

ALL   += $(BIN)/kilt-run
ARM64 += $(ARM64BIN)/kilt-run

# ---- tests ------------------------------------------------------------------------------------------
LAUNCHER_TEST_SRCS := $(wildcard launcher/*_test.cc)
$(TESTBIN)/launcher/launcher_test: $(patsubst %.cc,$(OBJ)/san/%.o,$(LAUNCHER_TEST_SRCS)) \
                                   $(call kilt_san_libs,launcher capture init base) $(CATCH_MAIN)
	@mkdir -p $(@D)
	$(HOST_CXX) $(TEST_SANFLAGS) $^ -o $@

# Test agents and apps: static, so they also run inside the busybox rootfs of the runc test.
LAUNCHER_TEST_HELPERS := $(patsubst tests/launcher/%.c,$(TESTBIN)/launcher/%,$(wildcard tests/launcher/*.c))
$(TESTBIN)/launcher/%: tests/launcher/%.c
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -static $< -o $@

.PHONY: test-launcher bench-launcher
TEST_SUITES  += launcher
BENCH_SUITES += launcher

# kilt-run is the PID 1 patched containers really get: every PID-1 scenario of kilt-init runs against it too
# (tests/init/run.sh, with kilt-init's helpers).
test-launcher: $(TESTBIN)/launcher/launcher_test $(BIN)/kilt-run $(LAUNCHER_TEST_HELPERS) \
               $(patsubst tests/init/%.c,$(TESTBIN)/init/%,$(wildcard tests/init/*.c))
	$(TESTBIN)/launcher/launcher_test
	tests/launcher/run_tests.sh $(BIN)/kilt-run $(TESTBIN)/launcher
	tests/init/run.sh $(BIN)/kilt-run $(TESTBIN)/init

bench-launcher: $(BIN)/kilt-run $(LAUNCHER_TEST_HELPERS)
	@mkdir -p $(B)/bench
	bench/launcher.sh $(BIN)/kilt-run $(TESTBIN)/launcher $(B)/bench/launcher.md

# libFuzzer (clang) over run.cfg parsing and agent-output framing; FUZZ_SECONDS per run (default 60).
$(eval $(call kilt_fuzzer,launcher/launcher_fuzz,launcher/launcher_fuzz.cc launcher/config.cc launcher/line_framer.cc \
                                                  init/pid1.c))
FUZZ_SUITES += launcher
.PHONY: fuzz-launcher
fuzz-launcher: $(TESTBIN)/launcher/launcher_fuzz
	$(call kilt_fuzz_run,launcher/launcher_fuzz,60,launcher/run.cfg.example,8192)
