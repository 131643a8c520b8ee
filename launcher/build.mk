# launcher/: kilt-run (/kilt/run), the entrypoint of every patched container. See docs/launcher.md.
#
# Payload: fully static (musl via zig by default; STATIC=glibc for the host arch), x86_64 and aarch64.
# It reuses the PID-1 core init/pid1.c, compiled here with our own toolchain into our own object dir.
# toml++ is header-only; the payload has no exceptions, so toml++ runs with TOML_EXCEPTIONS=0 and reports
# errors through its parse_result.

LAUNCHER_LIB_SRCS := launcher/config.cc launcher/line_framer.cc launcher/line_output.cc \
                     launcher/supervisor.cc launcher/launcher.cc launcher/self_check.cc
LAUNCHER_SRCS     := $(LAUNCHER_LIB_SRCS) launcher/main.cc
# kilt-run links the capture (capture/: the tracer, the encoder, the feed) and base/.
LAUNCHER_HDRS     := $(wildcard launcher/*.h) init/pid1.h $(CAPTURE_HDRS)
LAUNCHER_VERSION  ?= 0.1.0
LAUNCHER_CXXFLAGS  = $(PAYLOAD_CXXFLAGS) -I. $(CAPTURE_INCLUDES) -DTOML_EXCEPTIONS=0 \
                     -DKILT_VERSION='"$(LAUNCHER_VERSION)"'
LAUNCHER_CFLAGS    = $(PAYLOAD_CFLAGS) -std=c11 -I.

# One object dir per toolchain and arch, so switching STATIC never links stale objects.
LAUNCHER_OBJ_X86   := $(OBJ)/launcher/$(STATIC)-x86_64
LAUNCHER_OBJ_ARM64 := $(OBJ)/launcher/musl-aarch64
LAUNCHER_OBJS_X86   := $(patsubst launcher/%.cc,$(LAUNCHER_OBJ_X86)/%.o,$(LAUNCHER_SRCS)) $(LAUNCHER_OBJ_X86)/pid1.o
LAUNCHER_OBJS_ARM64 := $(patsubst launcher/%.cc,$(LAUNCHER_OBJ_ARM64)/%.o,$(LAUNCHER_SRCS)) $(LAUNCHER_OBJ_ARM64)/pid1.o

# The log path (framer, output queue) is built for speed, the rest for size.
LAUNCHER_HOT := line_framer.o line_output.o
$(LAUNCHER_OBJ_X86)/%.o: launcher/%.cc $(LAUNCHER_HDRS) $(PAYLOAD_INCLUDE)/.stamp | $(PAYLOAD_TOOLCHAIN)
	@mkdir -p $(@D)
	$(PAYLOAD_CXX) $(LAUNCHER_CXXFLAGS) $(if $(filter $(@F),$(LAUNCHER_HOT)),-O2) -c $< -o $@
$(LAUNCHER_OBJ_X86)/pid1.o: init/pid1.c init/pid1.h | $(PAYLOAD_TOOLCHAIN)
	@mkdir -p $(@D)
	$(PAYLOAD_CC) $(LAUNCHER_CFLAGS) -c $< -o $@
$(LAUNCHER_OBJ_ARM64)/%.o: launcher/%.cc $(LAUNCHER_HDRS) $(PAYLOAD_INCLUDE)/.stamp | $(PAYLOAD_TOOLCHAIN)
	@mkdir -p $(@D)
	$(PAYLOAD_CXX_ARM64) $(LAUNCHER_CXXFLAGS) $(if $(filter $(@F),$(LAUNCHER_HOT)),-O2) -c $< -o $@
$(LAUNCHER_OBJ_ARM64)/pid1.o: init/pid1.c init/pid1.h | $(PAYLOAD_TOOLCHAIN)
	@mkdir -p $(@D)
	$(PAYLOAD_CC_ARM64) $(LAUNCHER_CFLAGS) -c $< -o $@

$(BIN)/kilt-run: $(LAUNCHER_OBJS_X86) $(CAPTURE_PAYLOAD_OBJS_X86) $(BASE_PAYLOAD_OBJS_X86)
	@mkdir -p $(@D)
	$(PAYLOAD_CXX) $(PAYLOAD_LDFLAGS) $^ -o $@
$(ARM64BIN)/kilt-run: $(LAUNCHER_OBJS_ARM64) $(CAPTURE_PAYLOAD_OBJS_ARM64) $(BASE_PAYLOAD_OBJS_ARM64)
	@mkdir -p $(@D)
	$(PAYLOAD_CXX_ARM64) $(PAYLOAD_LDFLAGS) $^ -o $@

# Host library of the logic (g++, sanitizers) for unit tests and other components.
LAUNCHER_SAN_OBJS := $(patsubst %.cc,$(OBJ)/san/%.o,$(LAUNCHER_LIB_SRCS)) $(OBJ)/launcher/san-pid1.o
$(OBJ)/launcher/san-pid1.o: init/pid1.c init/pid1.h
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) $(TEST_SANFLAGS) -c $< -o $@
$(patsubst %.cc,$(OBJ)/san/%.o,$(LAUNCHER_LIB_SRCS) $(wildcard launcher/*_test.cc)): HOST_CXXFLAGS += $(CAPTURE_INCLUDES)
$(patsubst %.cc,$(OBJ)/san/%.o,$(LAUNCHER_LIB_SRCS)): $(CAPTURE_GEN_HDR)
$(B)/lib/libkilt_launcher.a: $(LAUNCHER_SAN_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

ALL   += $(BIN)/kilt-run
ARM64 += $(ARM64BIN)/kilt-run

# ---- tests ------------------------------------------------------------------------------------------
LAUNCHER_TEST_SRCS := $(wildcard launcher/*_test.cc)
$(TESTBIN)/launcher/launcher_test: $(patsubst %.cc,$(OBJ)/san/%.o,$(LAUNCHER_TEST_SRCS)) \
                                   $(B)/lib/libkilt_launcher.a $(B)/lib/libkilt_capture_san.a \
                                   $(B)/lib/libkilt_base_san.a $(CATCH_MAIN)
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
$(TESTBIN)/launcher/launcher_fuzz: launcher/launcher_fuzz.cc launcher/config.cc launcher/line_framer.cc \
                                   init/pid1.c $(wildcard launcher/*.h)
	@mkdir -p $(@D)
	clang -std=c11 -O1 -g -I. -D_GNU_SOURCE -fsanitize=fuzzer-no-link,address,undefined -c init/pid1.c \
	  -o $(@D)/pid1_fuzz.o
	clang++ -std=c++17 -O1 -g -I. -fsanitize=fuzzer,address,undefined launcher/launcher_fuzz.cc \
	  launcher/config.cc launcher/line_framer.cc $(@D)/pid1_fuzz.o -o $@
FUZZ_SUITES += launcher
.PHONY: fuzz-launcher
fuzz-launcher: $(TESTBIN)/launcher/launcher_fuzz
	@mkdir -p $(B)/fuzz/launcher
	cp -n launcher/run.cfg.example $(B)/fuzz/launcher/ 2>/dev/null || true
	$(TESTBIN)/launcher/launcher_fuzz -max_total_time=$${FUZZ_SECONDS:-60} -max_len=8192 $(B)/fuzz/launcher
