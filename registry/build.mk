# registry/: the OCI / Docker registry client that finds an image's ENTRYPOINT/CMD (image config lookup).
# Consumers link build/lib/libkilt_registry.a $(REGISTRY_LDLIBS). See docs/image-lookup.md.
REGISTRY_SRCS     := $(filter-out %_test.cc %_fuzz.cc,$(wildcard registry/*.cc))
REGISTRY_LIB      := $(B)/lib/libkilt_registry.a
REGISTRY_TESTS    := $(wildcard registry/*_test.cc)
# Recursive (=): NET_LDLIBS is net/'s, expanded only inside recipes. base/ reads the JSON answers.
REGISTRY_LDLIBS    = $(B)/lib/libkilt_net.a $(BASE_LIB) $(NET_LDLIBS)

ALL += $(REGISTRY_LIB)

$(REGISTRY_LIB): $(REGISTRY_SRCS:%.cc=$(OBJ)/host/%.o)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

# Unit tests (sanitizers on): parsers, SigV4 vectors, the client against a scripted transport.
$(TESTBIN)/registry_unit: $(REGISTRY_TESTS:%.cc=$(OBJ)/san/%.o) $(REGISTRY_SRCS:%.cc=$(OBJ)/san/%.o) \
    $(CATCH_MAIN) $(B)/lib/libkilt_net.a $(BASE_LIB)
	@mkdir -p $(@D)
	$(HOST_CXX) $(TEST_SANFLAGS) $(filter %.o,$^) -o $@ $(REGISTRY_LDLIBS)

# `kilt image-config` on its own, so the end-to-end test does not wait for the whole CLI.
$(TESTBIN)/kilt-image-config: $(OBJ)/host/tests/registry/image_config_main.o \
    $(OBJ)/host/cli/image_config.o $(REGISTRY_LIB) $(B)/lib/libkilt_net.a $(BASE_LIB)
	@mkdir -p $(@D)
	$(HOST_CXX) $(filter %.o,$^) $(REGISTRY_LIB) -o $@ $(REGISTRY_LDLIBS)

TEST_SUITES += registry
.PHONY: test-registry
test-registry: $(TESTBIN)/registry_unit $(TESTBIN)/kilt-image-config $(TESTBIN)/kilt-resolve
	$(TESTBIN)/registry_unit
	tests/registry/registry_e2e_test.sh $(TESTBIN)/kilt-image-config $(TESTBIN)/kilt-resolve

BENCH_SUITES += registry
.PHONY: bench-registry
bench-registry: $(TESTBIN)/registry_bench $(TESTBIN)/kilt-image-config
	@mkdir -p $(B)/bench
	bench/registry_bench.sh $(TESTBIN)/registry_bench $(TESTBIN)/kilt-image-config > $(B)/bench/registry.md.tmp && mv $(B)/bench/registry.md.tmp $(B)/bench/registry.md

$(TESTBIN)/registry_bench: $(OBJ)/host/bench/registry_bench.o $(REGISTRY_LIB) $(B)/lib/libkilt_net.a $(BASE_LIB)
	@mkdir -p $(@D)
	$(HOST_CXX) $(filter %.o,$^) $(REGISTRY_LIB) -o $@ $(REGISTRY_LDLIBS)

# The resolver driven batch by batch (parallel lookups, cache across batches) for the end-to-end test.
$(TESTBIN)/kilt-resolve: $(OBJ)/host/tests/registry/resolve_main.o $(REGISTRY_LIB) $(B)/lib/libkilt_net.a $(BASE_LIB)
	@mkdir -p $(@D)
	$(HOST_CXX) $(filter %.o,$^) $(REGISTRY_LIB) -o $@ $(REGISTRY_LDLIBS)

# libFuzzer (clang) over every parser of registry answers and user files; FUZZ_SECONDS per run.
REGISTRY_FUZZ_SRCS := registry/registry_fuzz.cc registry/reference.cc registry/manifest.cc \
                      registry/auth.cc registry/encoding.cc registry/http.cc registry/sigv4.cc base/json_parse.cc
$(TESTBIN)/registry_fuzz: $(REGISTRY_FUZZ_SRCS) $(wildcard registry/*.h)
	@mkdir -p $(@D)
	clang++ -std=c++17 -O1 -g -I. -fsanitize=fuzzer,address,undefined $(REGISTRY_FUZZ_SRCS) -o $@ -lcrypto

FUZZ_SUITES += registry
.PHONY: fuzz-registry
fuzz-registry: $(TESTBIN)/registry_fuzz
	@mkdir -p $(B)/fuzz/registry
	$(TESTBIN)/registry_fuzz -max_total_time=$${FUZZ_SECONDS:-120} -max_len=8192 $(B)/fuzz/registry
