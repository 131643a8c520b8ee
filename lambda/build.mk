# lambda/: the CloudFormation macro's custom-runtime Lambda (`bootstrap`), its zip and its installer.
#
# Linking for provided.al2023 (glibc 2.34) from Debian 12 (glibc 2.36): libstdc++/libgcc and OpenSSL
# are linked statically, glibc dynamically (getaddrinfo/NSS under static glibc is fragile), and a test
# checks that no symbol needs a glibc newer than 2.34 (docs/lambda.md).

LAMBDA_SRCS      := lambda/macro.cc lambda/config.cc lambda/runtime_api.cc
$(eval $(call kilt_library,lambda,$(LAMBDA_SRCS)))
LAMBDA_DEPS      := lambda patcher registry net base
LAMBDA_BOOTSTRAP := $(B)/lambda/bootstrap
LAMBDA_ZIP       := $(B)/lambda/kilt-macro.zip
LAMBDA_LINK      := -static-libstdc++ -static-libgcc -Wl,--gc-sections -Wl,--build-id=none -s

$(LAMBDA_BOOTSTRAP): $(OBJ)/host/lambda/bootstrap_main.o $(OBJ)/host/lambda/glibc_compat.o \
                     $(call kilt_libs,$(LAMBDA_DEPS))
	@mkdir -p $(@D)
	$(HOST_CXX) $(LAMBDA_LINK) $^ -o $@ $(NET_LDLIBS)

ALL += $(LAMBDA_BOOTSTRAP)

# arm64 (Graviton): the same link with the aarch64 glibc toolchain of mk/toolchain.mk. Not in ALL:
# `make package` and `make test-lambda` build it (a cross build of every library would slow a plain
# `make`). The YAML reader and the pod patcher are archived too but never linked (--gc-sections, and
# nothing the macro calls refers to them).
LAMBDA_ARM64_BOOTSTRAP := $(B)/lambda/arm64/bootstrap
LAMBDA_ARM64_ZIP       := $(B)/lambda/kilt-macro-arm64.zip

$(LAMBDA_ARM64_BOOTSTRAP): $(ARM64_GLIBC_OBJ)/lambda/bootstrap_main.o $(ARM64_GLIBC_OBJ)/lambda/glibc_compat.o \
                           $(call kilt_arm64_libs,$(LAMBDA_DEPS)) | $(ARM64_GLIBC_STATIC)
	@mkdir -p $(@D)
	$(ARM64_GLIBC_CXX) $(LAMBDA_LINK) $^ -o $@ $(ARM64_GLIBC_LDLIBS)

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

# Unit tests (sanitizers on): the event handler with a fake lookup, the configuration.
LAMBDA_TESTS := $(wildcard lambda/*_test.cc)
$(TESTBIN)/lambda_unit: $(LAMBDA_TESTS:%.cc=$(OBJ)/san/%.o) $(CATCH_MAIN) $(call kilt_san_libs,$(LAMBDA_DEPS))
	@mkdir -p $(@D)
	$(HOST_CXX) $(TEST_SANFLAGS) $^ -o $@ $(NET_LDLIBS)

# The same unit tests cross-built for aarch64 and run under qemu (no sanitizers: ASan does not run
# under qemu user-mode): aarch64's unsigned char and its memory model, on the handler's edge cases.
$(TESTBIN)/lambda_unit_arm64: $(LAMBDA_TESTS:%.cc=$(ARM64_GLIBC_OBJ)/%.o) $(ARM64_GLIBC_OBJ)/tests/catch_main.o \
    $(ARM64_GLIBC_OBJ)/lambda/glibc_compat.o $(call kilt_arm64_libs,$(LAMBDA_DEPS)) | $(ARM64_GLIBC_STATIC)
	@mkdir -p $(@D)
	$(ARM64_GLIBC_CXX) -static-libstdc++ -static-libgcc $^ -o $@ $(ARM64_GLIBC_LDLIBS)

# The HTTP client's fetch tool for aarch64, and a script that runs it under qemu: net's end-to-end
# test (TLS: the arm64 static OpenSSL's handshake, verification, CA paths) runs on it as on the host one.
$(TESTBIN)/kilt-http-fetch-arm64: $(ARM64_GLIBC_OBJ)/net/http_fetch_main.o $(call kilt_arm64_libs,net base) \
                                  | $(ARM64_GLIBC_STATIC)
	@mkdir -p $(@D)
	$(ARM64_GLIBC_CXX) -static-libstdc++ -static-libgcc $^ -o $@ $(ARM64_GLIBC_LDLIBS)
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

# Bench anchor: the Runtime API loop alone (echo), linked like the bootstrap; the same for arm64, for the
# informational qemu line of the bench.
$(TESTBIN)/lambda-echo-bootstrap: $(OBJ)/host/bench/lambda_echo_bootstrap.o $(OBJ)/host/lambda/glibc_compat.o \
                                  $(call kilt_libs,net base)
	@mkdir -p $(@D)
	$(HOST_CXX) -static-libstdc++ -static-libgcc $^ -o $@ $(NET_LDLIBS)
$(TESTBIN)/lambda-echo-bootstrap-arm64: $(ARM64_GLIBC_OBJ)/bench/lambda_echo_bootstrap.o \
    $(ARM64_GLIBC_OBJ)/lambda/glibc_compat.o $(call kilt_arm64_libs,net base) | $(ARM64_GLIBC_STATIC)
	@mkdir -p $(@D)
	$(ARM64_GLIBC_CXX) -static-libstdc++ -static-libgcc $^ -o $@ $(ARM64_GLIBC_LDLIBS)

BENCH_SUITES += lambda
.PHONY: bench-lambda
bench-lambda: $(LAMBDA_BOOTSTRAP) $(TESTBIN)/lambda-echo-bootstrap $(LAMBDA_ARM64_BOOTSTRAP) \
    $(TESTBIN)/lambda-echo-bootstrap-arm64
	@mkdir -p $(B)/bench
	bench/lambda_bench.sh $(LAMBDA_BOOTSTRAP) $(TESTBIN)/lambda-echo-bootstrap \
	  $(LAMBDA_ARM64_BOOTSTRAP) $(TESTBIN)/lambda-echo-bootstrap-arm64 > $(B)/bench/lambda.md.tmp
	mv $(B)/bench/lambda.md.tmp $(B)/bench/lambda.md

# libFuzzer over the event handler and the patcher under it.
$(eval $(call kilt_fuzzer,lambda_fuzz,lambda/macro_fuzz.cc,lambda patcher base,-lyaml-cpp))
FUZZ_SUITES += lambda
.PHONY: fuzz-lambda
fuzz-lambda: $(TESTBIN)/lambda_fuzz
	$(call kilt_fuzz_run,lambda_fuzz,120,tests/lambda/fuzz_seeds/*,16384)
