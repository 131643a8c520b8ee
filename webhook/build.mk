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
    build/lib/libkilt_patcher.a build/lib/libkilt_registry.a build/lib/libkilt_net.a
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
    $(CATCH_MAIN) build/lib/libkilt_net.a
	@mkdir -p $(@D)
	$(HOST_CXX) $(HOST_CXXFLAGS) $(TEST_SANFLAGS) $(filter %.o,$^) -o $@ build/lib/libkilt_net.a $(PATCHER_TEST_LDLIBS) \
	  $(NET_LDLIBS)

include webhook/image.mk

TEST_SUITES += webhook
.PHONY: test-webhook
test-webhook: $(TESTBIN)/webhook_unit $(BIN)/kilt-webhook $(BIN)/kilt-copy $(ARM64BIN)/kilt-copy $(WEBHOOK_IMAGE) ## Webhook: unit + kubectl end to end
	$(TESTBIN)/webhook_unit
	tests/webhook/e2e.sh
	tests/webhook/pull_secrets_e2e.sh
	tests/webhook/deploy_test.sh
	tests/webhook/image_test.sh $(WEBHOOK_IMAGE) $(WEBHOOK_IMAGE_TAG)

BENCH_SUITES += webhook
.PHONY: bench-webhook
bench-webhook: $(BIN)/kilt-webhook
	bench/webhook.sh
