# webhook/: the Kubernetes mutating admission webhook (build/bin/kilt-webhook), the init container's
# copier (build/bin/kilt-copy, static, for the kilt image's /kilt/copy), tests and bench.
# The pod patcher itself is patcher/pod.cc, inside build/lib/libkilt_patcher.a.
WEBHOOK_LIB_SRCS := webhook/admission.cc webhook/review_parse.cc webhook/http_request.cc webhook/log.cc \
                    webhook/metrics.cc webhook/server.cc webhook/tls_store.cc webhook/kube_client.cc \
                    webhook/pull_secrets.cc webhook/pod_lookup.cc
WEBHOOK_TESTS    := $(wildcard webhook/*_test.cc)
# Recursive: the patcher's and registry's variables are expanded in recipes only. OpenSSL and
# http_parser come (statically) through the registry's net/ link line.
WEBHOOK_LDLIBS    = build/lib/libkilt_patcher.a build/lib/libkilt_registry.a $(REGISTRY_LDLIBS) \
                    $(PATCHER_LDLIBS) -lpthread

ALL   += $(BIN)/kilt-webhook $(BIN)/kilt-copy
ARM64 += $(ARM64BIN)/kilt-copy

$(BIN)/kilt-webhook: $(WEBHOOK_LIB_SRCS:%.cc=$(OBJ)/host/%.o) $(OBJ)/host/webhook/main.o \
    build/lib/libkilt_patcher.a build/lib/libkilt_registry.a build/lib/libkilt_net.a $(BASE_LIB)
	@mkdir -p $(@D)
	$(HOST_CXX) $(filter %.o,$^) -o $@ $(WEBHOOK_LDLIBS)

$(BIN)/kilt-copy: webhook/kilt_copy.c $(PAYLOAD_TOOLCHAIN)
	@mkdir -p $(@D)
	$(PAYLOAD_CC) $(PAYLOAD_CFLAGS) $(PAYLOAD_LDFLAGS) $< -o $@

$(ARM64BIN)/kilt-copy: webhook/kilt_copy.c $(PAYLOAD_TOOLCHAIN)
	@mkdir -p $(@D)
	$(PAYLOAD_CC_ARM64) $(PAYLOAD_CFLAGS) $(PAYLOAD_LDFLAGS) $< -o $@

# Unit tests (sanitizers): the webhook's parts and the pod patcher's rules over the k8s corpus.
# Every patcher source (pod.cc uses command.cc and recipe.cc, which may use others), sanitized.
WEBHOOK_PATCHER_SAN := $(patsubst %.cc,$(OBJ)/san/%.o,$(filter-out %_test.cc %_fuzz.cc,$(wildcard patcher/*.cc)))
# The registry client (pull Secrets feed its resolvers) comes sanitized too, net/ as the library.
$(TESTBIN)/webhook_unit: $(WEBHOOK_TESTS:%.cc=$(OBJ)/san/%.o) $(OBJ)/san/patcher/pod_test.o \
    $(WEBHOOK_LIB_SRCS:%.cc=$(OBJ)/san/%.o) $(WEBHOOK_PATCHER_SAN) $(REGISTRY_SRCS:%.cc=$(OBJ)/san/%.o) \
    $(CATCH_MAIN) build/lib/libkilt_net.a $(B)/lib/libkilt_base_san.a
	@mkdir -p $(@D)
	$(HOST_CXX) $(HOST_CXXFLAGS) $(TEST_SANFLAGS) $(filter %.o,$^) -o $@ build/lib/libkilt_net.a $(PATCHER_TEST_LDLIBS) \
	  $(NET_LDLIBS)

include webhook/image.mk

TEST_SUITES += webhook
.PHONY: test-webhook
test-webhook: $(TESTBIN)/webhook_unit $(TESTBIN)/webhook_fuzz $(BIN)/kilt-webhook $(BIN)/kilt-copy $(ARM64BIN)/kilt-copy $(WEBHOOK_IMAGE) ## Webhook: unit + kubectl end to end
	$(TESTBIN)/webhook_unit
	@$(MAKE) --no-print-directory fuzz-webhook FUZZ_SECONDS=15
	tests/webhook/e2e.sh
	tests/webhook/pull_secrets_e2e.sh
	tests/webhook/deploy_test.sh
	tests/webhook/image_test.sh $(WEBHOOK_IMAGE) $(WEBHOOK_IMAGE_TAG)

# libFuzzer (clang): the HTTP request reader and the AdmissionReview handler under it (the limited JSON
# reader, the pod patcher, the JSON Patch writer), compiled in instrumented; FUZZ_SECONDS per run.
WEBHOOK_FUZZ_SRCS = webhook/webhook_fuzz.cc webhook/admission.cc webhook/review_parse.cc webhook/http_request.cc \
                    webhook/pull_secrets.cc $(filter-out %_test.cc %_fuzz.cc,$(wildcard patcher/*.cc)) \
                    registry/auth.cc registry/encoding.cc registry/reference.cc registry/http.cc \
                    $(filter-out %_test.cc,$(wildcard base/*.cc))
$(TESTBIN)/webhook_fuzz: $(WEBHOOK_FUZZ_SRCS) $(wildcard webhook/*.h patcher/*.h registry/*.h base/*.h)
	@mkdir -p $(@D)
	clang++ -std=c++17 -O1 -g -I. -fsanitize=fuzzer,address,undefined $(WEBHOOK_FUZZ_SRCS) -o $@ \
	  -lyaml -lhttp_parser -lcrypto

FUZZ_SUITES += webhook
.PHONY: fuzz-webhook
fuzz-webhook: $(TESTBIN)/webhook_fuzz
	@mkdir -p $(B)/fuzz/webhook
	cp -n tests/webhook/fuzz_seeds/* $(B)/fuzz/webhook/ 2>/dev/null || true
	$(TESTBIN)/webhook_fuzz -max_total_time=$${FUZZ_SECONDS:-120} -max_len=65536 -rss_limit_mb=2048 $(B)/fuzz/webhook

BENCH_SUITES += webhook
.PHONY: bench-webhook
bench-webhook: $(BIN)/kilt-webhook
	bench/webhook.sh
