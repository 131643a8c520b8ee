# lambda/: the CloudFormation macro's custom-runtime Lambda (`bootstrap`), its zip and its installer.
#
# Linking for provided.al2023 (glibc 2.34) from Debian 12 (glibc 2.36): libstdc++/libgcc and OpenSSL
# are linked statically, glibc dynamically (getaddrinfo/NSS under static glibc is fragile), and a test
# checks that no symbol needs a glibc newer than 2.34 (docs/lambda.md).

LAMBDA_LIB_SRCS := lambda/macro.cc lambda/config.cc lambda/runtime_api.cc
LAMBDA_BOOTSTRAP := $(B)/lambda/bootstrap
LAMBDA_ZIP       := $(B)/lambda/kilt-macro.zip

LAMBDA_LIBS = build/lib/libkilt_patcher.a build/lib/libkilt_registry.a build/lib/libkilt_net.a $(BASE_LIB)

$(LAMBDA_BOOTSTRAP): $(LAMBDA_LIB_SRCS:%.cc=$(OBJ)/host/%.o) $(OBJ)/host/lambda/bootstrap_main.o \
    $(OBJ)/host/lambda/glibc_compat.o $(LAMBDA_LIBS)
	@mkdir -p $(@D)
	$(HOST_CXX) -static-libstdc++ -static-libgcc -Wl,--gc-sections -Wl,--build-id=none -s \
	  $(filter %.o,$^) -Wl,--start-group $(LAMBDA_LIBS) -Wl,--end-group -o $@ $(REGISTRY_LDLIBS)

ALL += $(LAMBDA_BOOTSTRAP)

# arm64 (Graviton): the same link with Debian's cross compiler, arm64 OpenSSL from multiarch
# (libssl-dev:arm64) and http_parser's arm64 static library, which tools/deps.sh unpacks beside them
# (its -dev package cannot be co-installed for two architectures). The patcher, registry and net
# sources are compiled here for aarch64 into one private archive (their build.mk files build the host
# arch only); the link takes only the members the bootstrap needs. Not in ALL: `make package` and
# `make test-lambda` build it (a cross build of every library would slow a plain `make`).
LAMBDA_ARM64_CXX       := aarch64-linux-gnu-g++
LAMBDA_ARM64_CC        := aarch64-linux-gnu-gcc
LAMBDA_ARM64_OBJ       := $(OBJ)/arm64-glibc
LAMBDA_ARM64_BOOTSTRAP := $(B)/lambda/arm64/bootstrap
LAMBDA_ARM64_ZIP       := $(B)/lambda/kilt-macro-arm64.zip
LAMBDA_ARM64_DEPS_LIB  := $(LAMBDA_ARM64_OBJ)/libkilt_lambda_deps.a
# Less the YAML reader and the pod patcher (the macro gets JSON and patches task definitions): the
# slowest files to compile, and never linked in.
LAMBDA_ARM64_DEP_SRCS  := $(filter-out %_test.cc %_fuzz.cc %_main.cc patcher/cfn_yaml.cc patcher/pod.cc,\
                            $(wildcard patcher/*.cc registry/*.cc net/*.cc base/*.cc))
LAMBDA_ARM64_STATIC    := /usr/lib/aarch64-linux-gnu/libssl.a /usr/lib/aarch64-linux-gnu/libcrypto.a \
                          /usr/local/lib/aarch64-linux-gnu/libhttp_parser.a
LAMBDA_ARM64_LDLIBS    := $(LAMBDA_ARM64_STATIC) -ldl -lpthread
# No -g: the binary is stripped anyway, and the objects are only for this link.
LAMBDA_ARM64_CXXFLAGS  := $(filter-out -g,$(HOST_CXXFLAGS))
LAMBDA_ARM64_CFLAGS    := $(filter-out -g,$(HOST_CFLAGS))

$(LAMBDA_ARM64_OBJ)/%.o: %.cc
	@mkdir -p $(@D)
	$(LAMBDA_ARM64_CXX) $(LAMBDA_ARM64_CXXFLAGS) -c $< -o $@
$(LAMBDA_ARM64_OBJ)/%.o: %.c
	@mkdir -p $(@D)
	$(LAMBDA_ARM64_CC) $(LAMBDA_ARM64_CFLAGS) -c $< -o $@

$(LAMBDA_ARM64_DEPS_LIB): $(LAMBDA_ARM64_DEP_SRCS:%.cc=$(LAMBDA_ARM64_OBJ)/%.o)
	rm -f $@ && aarch64-linux-gnu-ar rcsD $@ $^

$(LAMBDA_ARM64_STATIC):
	@echo "kilt: $@ (for the arm64 Lambda bootstrap) is missing; run 'make deps'" >&2; exit 1

$(LAMBDA_ARM64_BOOTSTRAP): $(LAMBDA_LIB_SRCS:%.cc=$(LAMBDA_ARM64_OBJ)/%.o) \
    $(LAMBDA_ARM64_OBJ)/lambda/bootstrap_main.o $(LAMBDA_ARM64_OBJ)/lambda/glibc_compat.o $(LAMBDA_ARM64_DEPS_LIB) \
    $(LAMBDA_ARM64_STATIC)
	@mkdir -p $(@D)
	$(LAMBDA_ARM64_CXX) -static-libstdc++ -static-libgcc -Wl,--gc-sections -Wl,--build-id=none -s \
	  $(filter %.o,$^) $(LAMBDA_ARM64_DEPS_LIB) -o $@ $(LAMBDA_ARM64_LDLIBS)

.PHONY: package-lambda lambda-arm64
package-lambda: $(LAMBDA_ZIP) $(LAMBDA_ARM64_ZIP) ## (lambda) the macro's zips (x86_64, arm64): bootstrap + default recipe
lambda-arm64: $(LAMBDA_ARM64_ZIP) ## (lambda) the arm64 bootstrap and its zip only

# Reproducible byte for byte (lambda/package.sh says how).
$(LAMBDA_ZIP): $(LAMBDA_BOOTSTRAP) lambda/package.sh
	lambda/package.sh $(LAMBDA_BOOTSTRAP) $@
# The arm64 bootstrap cannot run here to print its default recipe; the host one prints the same
# (compiled from the same source), and tests/lambda/bootstrap_arm64_test.sh checks they agree.
$(LAMBDA_ARM64_ZIP): $(LAMBDA_ARM64_BOOTSTRAP) $(LAMBDA_BOOTSTRAP) lambda/package.sh
	lambda/package.sh $(LAMBDA_ARM64_BOOTSTRAP) $@ $(LAMBDA_BOOTSTRAP)

# Unit tests (sanitizers on): the event handler with a fake lookup, the configuration, base64.
LAMBDA_TESTS := $(wildcard lambda/*_test.cc)
$(TESTBIN)/lambda_unit: $(LAMBDA_TESTS:%.cc=$(OBJ)/san/%.o) $(LAMBDA_LIB_SRCS:%.cc=$(OBJ)/san/%.o) \
    $(CATCH_MAIN) $(LAMBDA_LIBS)
	@mkdir -p $(@D)
	$(HOST_CXX) $(TEST_SANFLAGS) $(filter %.o,$^) -Wl,--start-group $(LAMBDA_LIBS) -Wl,--end-group \
	  -o $@ $(REGISTRY_LDLIBS)

# The same unit tests cross-built for aarch64 and run under qemu (no sanitizers: ASan does not run
# under qemu user-mode): aarch64's unsigned char and its memory model, on the handler's edge cases.
$(TESTBIN)/lambda_unit_arm64: $(LAMBDA_TESTS:%.cc=$(LAMBDA_ARM64_OBJ)/%.o) \
    $(LAMBDA_LIB_SRCS:%.cc=$(LAMBDA_ARM64_OBJ)/%.o) $(LAMBDA_ARM64_OBJ)/tests/catch_main.o \
    $(LAMBDA_ARM64_OBJ)/lambda/glibc_compat.o $(LAMBDA_ARM64_DEPS_LIB) $(LAMBDA_ARM64_STATIC)
	@mkdir -p $(@D)
	$(LAMBDA_ARM64_CXX) -static-libstdc++ -static-libgcc $(filter %.o,$^) $(LAMBDA_ARM64_DEPS_LIB) \
	  -o $@ $(LAMBDA_ARM64_LDLIBS)

# The HTTP client's fetch tool for aarch64, and a script that runs it under qemu: net's end-to-end
# test (TLS: the arm64 static OpenSSL's handshake, verification, CA paths) runs on it as on the host one.
$(TESTBIN)/kilt-http-fetch-arm64: $(LAMBDA_ARM64_OBJ)/net/http_fetch_main.o $(LAMBDA_ARM64_DEPS_LIB) \
    $(LAMBDA_ARM64_STATIC)
	@mkdir -p $(@D)
	$(LAMBDA_ARM64_CXX) -static-libstdc++ -static-libgcc $(filter %.o,$^) $(LAMBDA_ARM64_DEPS_LIB) \
	  -o $@ $(LAMBDA_ARM64_LDLIBS)
$(TESTBIN)/kilt-http-fetch-arm64.qemu: $(TESTBIN)/kilt-http-fetch-arm64
	printf '#!/bin/sh\nexec qemu-aarch64-static -L /usr/aarch64-linux-gnu "%s" "$$@"\n' "$(abspath $<)" > $@
	chmod 0755 $@

TEST_SUITES += lambda
.PHONY: test-lambda
test-lambda: $(TESTBIN)/lambda_unit $(TESTBIN)/lambda_unit_arm64 $(TESTBIN)/kilt-http-fetch-arm64.qemu \
    $(LAMBDA_ZIP) $(LAMBDA_ARM64_ZIP)
	$(TESTBIN)/lambda_unit
	qemu-aarch64-static -L /usr/aarch64-linux-gnu $(TESTBIN)/lambda_unit_arm64
	T_NAME=net_e2e_arm64 tests/lambda/net_e2e_test.sh $(TESTBIN)/kilt-http-fetch-arm64.qemu
	tests/lambda/bootstrap_test.sh $(LAMBDA_BOOTSTRAP) $(LAMBDA_ZIP)
	tests/lambda/bootstrap_arm64_test.sh $(LAMBDA_ARM64_BOOTSTRAP) $(LAMBDA_ARM64_ZIP)

# Bench anchor: the Runtime API loop alone (echo), linked like the bootstrap.
$(TESTBIN)/lambda-echo-bootstrap: $(OBJ)/host/bench/lambda_echo_bootstrap.o $(OBJ)/host/lambda/glibc_compat.o \
    build/lib/libkilt_net.a
	@mkdir -p $(@D)
	$(HOST_CXX) -static-libstdc++ -static-libgcc $(filter %.o,$^) build/lib/libkilt_net.a -o $@ $(NET_LDLIBS)

# The same anchor for arm64, for the informational qemu line of the bench.
$(TESTBIN)/lambda-echo-bootstrap-arm64: $(LAMBDA_ARM64_OBJ)/bench/lambda_echo_bootstrap.o \
    $(LAMBDA_ARM64_OBJ)/lambda/glibc_compat.o $(LAMBDA_ARM64_DEPS_LIB)
	@mkdir -p $(@D)
	$(LAMBDA_ARM64_CXX) -static-libstdc++ -static-libgcc $(filter %.o,$^) $(LAMBDA_ARM64_DEPS_LIB) -o $@ $(LAMBDA_ARM64_LDLIBS)

BENCH_SUITES += lambda
.PHONY: bench-lambda
bench-lambda: $(LAMBDA_BOOTSTRAP) $(TESTBIN)/lambda-echo-bootstrap $(LAMBDA_ARM64_BOOTSTRAP) \
    $(TESTBIN)/lambda-echo-bootstrap-arm64
	@mkdir -p $(B)/bench
	bench/lambda_bench.sh $(LAMBDA_BOOTSTRAP) $(TESTBIN)/lambda-echo-bootstrap \
	  $(LAMBDA_ARM64_BOOTSTRAP) $(TESTBIN)/lambda-echo-bootstrap-arm64 > $(B)/bench/lambda.md.tmp
	mv $(B)/bench/lambda.md.tmp $(B)/bench/lambda.md

# libFuzzer (clang) over the event handler and the patcher under it; FUZZ_SECONDS per run. The
# patcher's sources are compiled in (instrumented) rather than linked from its g++-built library.
LAMBDA_FUZZ_SRCS = lambda/macro_fuzz.cc lambda/macro.cc $(filter-out %_test.cc %_fuzz.cc,$(wildcard patcher/*.cc)) \
                   base/json_parse.cc base/json.cc
$(TESTBIN)/lambda_fuzz: lambda/macro_fuzz.cc lambda/macro.cc lambda/macro.h $(wildcard patcher/*.cc patcher/*.h) \
    base/json_parse.cc base/json_parse.h base/json.cc
	@mkdir -p $(@D)
	clang++ -std=c++17 -O1 -g -I. -fsanitize=fuzzer,address,undefined $(LAMBDA_FUZZ_SRCS) -o $@ -lyaml

FUZZ_SUITES += lambda
.PHONY: fuzz-lambda
fuzz-lambda: $(TESTBIN)/lambda_fuzz
	@mkdir -p $(B)/fuzz/lambda
	cp -n tests/lambda/fuzz_seeds/* $(B)/fuzz/lambda/ 2>/dev/null || true
	$(TESTBIN)/lambda_fuzz -max_total_time=$${FUZZ_SECONDS:-120} -max_len=16384 $(B)/fuzz/lambda
