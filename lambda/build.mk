# lambda/: the CloudFormation macro's custom-runtime Lambda (`bootstrap`), its zip and its installer.
#
# Linking for provided.al2023 (glibc 2.34) from Debian 12 (glibc 2.36): libstdc++/libgcc and OpenSSL
# are linked statically, glibc dynamically (getaddrinfo/NSS under static glibc is fragile), and a test
# checks that no symbol needs a glibc newer than 2.34 (docs/lambda.md).

LAMBDA_LIB_SRCS := lambda/macro.cc lambda/config.cc lambda/runtime_api.cc
LAMBDA_BOOTSTRAP := $(B)/lambda/bootstrap
LAMBDA_ZIP       := $(B)/lambda/kilt-macro.zip

LAMBDA_LIBS = build/lib/libkilt_patcher.a build/lib/libkilt_registry.a build/lib/libkilt_net.a

$(LAMBDA_BOOTSTRAP): $(LAMBDA_LIB_SRCS:%.cc=$(OBJ)/host/%.o) $(OBJ)/host/lambda/bootstrap_main.o \
    $(OBJ)/host/lambda/glibc_compat.o $(LAMBDA_LIBS)
	@mkdir -p $(@D)
	$(HOST_CXX) -static-libstdc++ -static-libgcc -Wl,--gc-sections -Wl,--build-id=none -s \
	  $(filter %.o,$^) -Wl,--start-group $(LAMBDA_LIBS) -Wl,--end-group -o $@ $(REGISTRY_LDLIBS)

ALL += $(LAMBDA_BOOTSTRAP)

.PHONY: package-lambda
package-lambda: $(LAMBDA_ZIP) ## (lambda) the macro's zip: bootstrap + default recipe

# Reproducible byte for byte (lambda/package.sh says how).
$(LAMBDA_ZIP): $(LAMBDA_BOOTSTRAP) lambda/package.sh
	lambda/package.sh $(LAMBDA_BOOTSTRAP) $@

# Unit tests (sanitizers on): the event handler with a fake lookup, the configuration, base64.
LAMBDA_TESTS := $(wildcard lambda/*_test.cc)
$(TESTBIN)/lambda_unit: $(LAMBDA_TESTS:%.cc=$(OBJ)/san/%.o) $(LAMBDA_LIB_SRCS:%.cc=$(OBJ)/san/%.o) \
    $(CATCH_MAIN) $(LAMBDA_LIBS)
	@mkdir -p $(@D)
	$(HOST_CXX) $(TEST_SANFLAGS) $(filter %.o,$^) -Wl,--start-group $(LAMBDA_LIBS) -Wl,--end-group \
	  -o $@ $(REGISTRY_LDLIBS)

TEST_SUITES += lambda
.PHONY: test-lambda
test-lambda: $(TESTBIN)/lambda_unit $(LAMBDA_ZIP)
	$(TESTBIN)/lambda_unit
	tests/lambda/bootstrap_test.sh $(LAMBDA_BOOTSTRAP) $(LAMBDA_ZIP)

# Bench anchor: the Runtime API loop alone (echo), linked like the bootstrap.
$(TESTBIN)/lambda-echo-bootstrap: $(OBJ)/host/bench/lambda_echo_bootstrap.o $(OBJ)/host/lambda/glibc_compat.o \
    build/lib/libkilt_net.a
	@mkdir -p $(@D)
	$(HOST_CXX) -static-libstdc++ -static-libgcc $(filter %.o,$^) build/lib/libkilt_net.a -o $@ $(NET_LDLIBS)

BENCH_SUITES += lambda
.PHONY: bench-lambda
bench-lambda: $(LAMBDA_BOOTSTRAP) $(TESTBIN)/lambda-echo-bootstrap
	@mkdir -p $(B)/bench
	bench/lambda_bench.sh $(LAMBDA_BOOTSTRAP) $(TESTBIN)/lambda-echo-bootstrap > $(B)/bench/lambda.md

# libFuzzer (clang) over the event handler and the patcher under it; FUZZ_SECONDS per run. The
# patcher's sources are compiled in (instrumented) rather than linked from its g++-built library.
LAMBDA_FUZZ_SRCS = lambda/macro_fuzz.cc lambda/macro.cc $(filter-out %_test.cc %_fuzz.cc,$(wildcard patcher/*.cc))
$(TESTBIN)/lambda_fuzz: lambda/macro_fuzz.cc lambda/macro.cc lambda/macro.h $(wildcard patcher/*.cc patcher/*.h)
	@mkdir -p $(@D)
	clang++ -std=c++17 -O1 -g -I. -fsanitize=fuzzer,address,undefined $(LAMBDA_FUZZ_SRCS) -o $@ -lyaml-cpp

FUZZ_SUITES += lambda
.PHONY: fuzz-lambda
fuzz-lambda: $(TESTBIN)/lambda_fuzz
	@mkdir -p $(B)/fuzz/lambda
	cp -n tests/lambda/fuzz_seeds/* $(B)/fuzz/lambda/ 2>/dev/null || true
	$(TESTBIN)/lambda_fuzz -max_total_time=$${FUZZ_SECONDS:-120} -max_len=16384 $(B)/fuzz/lambda
