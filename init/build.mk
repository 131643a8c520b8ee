# init/: kilt-init (/kilt/init, a tiny static PID 1) and the reusable PID-1 core init/pid1.{h,c}.
#
# For the launcher (kilt-run) and any other payload binary that does PID 1's duties itself:
#   - payload builds: list $(PAYLOAD_OBJ_X86)/init/pid1.o / $(PAYLOAD_OBJ_ARM64)/init/pid1.o (made by
#     mk/toolchain.mk's shared payload rule; it needs only libc);
#   - host builds and tests: link the fixed path build/lib/libkilt_init.a (gcc objects, no sanitizers), or
#     build/lib/libkilt_init_san.a (with $(TEST_SANFLAGS)) into sanitizer-instrumented tests.
# The header is C with extern "C", so C++ includes it directly.

INIT_PID1_SRC := init/pid1.c
INIT_PID1_HDR := init/pid1.h
PUBLIC_HEADERS += $(INIT_PID1_HDR)
INIT_SRCS     := init/main.c $(INIT_PID1_SRC)
INIT_LIB      := $(B)/lib/libkilt_init.a
INIT_SAN_LIB  := $(B)/lib/libkilt_init_san.a
$(eval $(call kilt_library,init,$(INIT_PID1_SRC)))
INIT_CFLAGS    = $(PAYLOAD_CFLAGS) -std=c11 -I.

$(BIN)/kilt-init: $(INIT_SRCS) $(INIT_PID1_HDR) $(PAYLOAD_TOOLCHAIN)
	@mkdir -p $(@D)
	$(PAYLOAD_CC) $(INIT_CFLAGS) $(PAYLOAD_LDFLAGS) $(INIT_SRCS) -o $@

$(ARM64BIN)/kilt-init: $(INIT_SRCS) $(INIT_PID1_HDR) $(PAYLOAD_TOOLCHAIN)
	@mkdir -p $(@D)
	$(PAYLOAD_CC_ARM64) $(INIT_CFLAGS) $(PAYLOAD_LDFLAGS) $(INIT_SRCS) -o $@

ALL   += $(BIN)/kilt-init $(INIT_LIB)
ARM64 += $(ARM64BIN)/kilt-init

# ---- tests: unit tests of the core (Catch2) and end-to-end tests in real PID namespaces --------------

INIT_TEST_HELPERS := $(patsubst tests/init/%.c,$(TESTBIN)/init/%,$(wildcard tests/init/*.c))

$(TESTBIN)/init/pid1_test: $(OBJ)/san/init/pid1_test.o $(INIT_SAN_LIB) $(CATCH_MAIN)
	@mkdir -p $(@D)
	$(HOST_CXX) $(TEST_SANFLAGS) $^ -o $@

# Helpers are plain C programs the shell tests run inside the namespaces (signal counters, zombie makers).
$(TESTBIN)/init/%: tests/init/%.c
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) $< -o $@

.PHONY: test-init bench-init
TEST_SUITES  += init
BENCH_SUITES += init

# An unstripped twin of the musl kilt-init: the tests check its symbol table for an allocator (there must be
# none: nothing in kilt-init allocates, so musl links no malloc at all). glibc's static start-up code always
# brings malloc, so the check is musl-only.
INIT_SYMS := $(if $(filter musl,$(STATIC)),$(TESTBIN)/init/kilt-init.syms)
$(TESTBIN)/init/kilt-init.syms: $(INIT_SRCS) $(INIT_PID1_HDR) $(PAYLOAD_TOOLCHAIN)
	@mkdir -p $(@D)
	$(PAYLOAD_CC) $(INIT_CFLAGS) $(filter-out -s,$(PAYLOAD_LDFLAGS)) $(INIT_SRCS) -o $@

# The arm64 binary gets a smoke test under qemu-aarch64-static (musl toolchain only).
INIT_TEST_ARM64 := $(if $(filter musl,$(STATIC)),$(ARM64BIN)/kilt-init)

test-init: $(BIN)/kilt-init $(TESTBIN)/init/pid1_test $(INIT_TEST_HELPERS) $(INIT_SYMS) $(INIT_TEST_ARM64)
	@$(TESTBIN)/init/pid1_test
	@tests/init/run.sh $(BIN)/kilt-init $(TESTBIN)/init

bench-init: $(BIN)/kilt-init $(INIT_TEST_HELPERS)
	@mkdir -p $(B)/bench
	@bench/init.sh $(BIN)/kilt-init $(TESTBIN)/init > $(B)/bench/init.md
