# registry/: the OCI / Docker registry client that finds an image's ENTRYPOINT/CMD (image config lookup).
# Programs link $(call kilt_libs,registry net base) $(NET_LDLIBS). See docs/image-lookup.md.
REGISTRY_SRCS := $(filter-out %_test.cc %_fuzz.cc,$(wildcard registry/*.cc))
$(eval $(call kilt_library,registry,$(REGISTRY_SRCS)))
# Public headers: the lookup (an ImageSource), credentials, references, manifests and digests; the client,
# its cache and SigV4 are internal.
PUBLIC_HEADERS += registry/lookup.h registry/auth.h registry/reference.h registry/manifest.h registry/digest.h
REGISTRY_LIBS := $(call kilt_libs,registry net base)

ALL += $(call kilt_libs,registry)

# Unit tests (sanitizers on): parsers, SigV4 vectors, the client against a scripted transport.
$(TESTBIN)/registry_unit: $(patsubst %.cc,$(OBJ)/san/%.o,$(wildcard registry/*_test.cc)) $(CATCH_MAIN) \
                          $(call kilt_san_libs,registry net base)
	@mkdir -p $(@D)
	$(HOST_CXX) $(TEST_SANFLAGS) $^ -o $@ $(NET_LDLIBS)

# `kilt image-config` on its own, so the end-to-end test does not wait for the whole CLI; the resolver
# driven batch by batch (parallel lookups, cache across batches); the bench's driver.
$(TESTBIN)/kilt-image-config: $(OBJ)/host/tests/registry/image_config_main.o $(OBJ)/host/cli/image_config.o \
                              $(REGISTRY_LIBS)
$(TESTBIN)/kilt-resolve: $(OBJ)/host/tests/registry/resolve_main.o $(REGISTRY_LIBS)
$(TESTBIN)/registry_bench: $(OBJ)/host/bench/registry_bench.o $(REGISTRY_LIBS)
$(TESTBIN)/kilt-image-config $(TESTBIN)/kilt-resolve $(TESTBIN)/registry_bench:
	@mkdir -p $(@D)
	$(HOST_CXX) $^ -o $@ $(NET_LDLIBS)

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

# libFuzzer over every parser of registry answers and user files.
$(eval $(call kilt_fuzzer,registry_fuzz,registry/registry_fuzz.cc,registry net base,-lcrypto -lhttp_parser))
FUZZ_SUITES += registry
.PHONY: fuzz-registry
fuzz-registry: $(TESTBIN)/registry_fuzz
	$(call kilt_fuzz_run,registry_fuzz,120,,8192)
