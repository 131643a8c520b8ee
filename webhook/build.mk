# webhook/: the Kubernetes mutating admission webhook (build/bin/kilt-webhook), the init container's
# copier (build/bin/kilt-copy, static, for the kilt image's /kilt/copy), tests and bench.
# The pod patcher itself is patcher/pod.cc, inside the patcher library.
WEBHOOK_SRCS := $(filter-out %_test.cc webhook/main.cc,$(wildcard webhook/*.cc))
$(eval $(call kilt_library,webhook,$(WEBHOOK_SRCS)))
WEBHOOK_DEPS := webhook patcher registry net base

ALL   += $(BIN)/kilt-webhook $(BIN)/kilt-copy
ARM64 += $(ARM64BIN)/kilt-copy

$(BIN)/kilt-webhook: $(OBJ)/host/webhook/main.o $(call kilt_libs,$(WEBHOOK_DEPS))
	@mkdir -p $(@D)
	$(HOST_CXX) $^ -o $@ $(NET_LDLIBS) -lpthread

$(BIN)/kilt-copy: webhook/kilt_copy.c $(PAYLOAD_TOOLCHAIN)
	@mkdir -p $(@D)
	$(PAYLOAD_CC) $(PAYLOAD_CFLAGS) $(PAYLOAD_LDFLAGS) $< -o $@

$(ARM64BIN)/kilt-copy: webhook/kilt_copy.c $(PAYLOAD_TOOLCHAIN)
	@mkdir -p $(@D)
	$(PAYLOAD_CC_ARM64) $(PAYLOAD_CFLAGS) $(PAYLOAD_LDFLAGS) $< -o $@

# Unit tests (sanitizers): the webhook's parts, and the pod patcher's rules over the k8s corpus again.
$(TESTBIN)/webhook_unit: $(patsubst %.cc,$(OBJ)/san/%.o,$(wildcard webhook/*_test.cc)) $(OBJ)/san/patcher/pod_test.o \
                         $(CATCH_MAIN) $(call kilt_san_libs,$(WEBHOOK_DEPS))
	@mkdir -p $(@D)
	$(HOST_CXX) $(TEST_SANFLAGS) $^ -o $@ $(PATCHER_TEST_LDLIBS) $(NET_LDLIBS)

include webhook/image.mk

TEST_SUITES += webhook
.PHONY: test-webhook
test-webhook: $(TESTBIN)/webhook_unit $(TESTBIN)/webhook_fuzz $(BIN)/kilt-webhook $(BIN)/kilt-copy $(ARM64BIN)/kilt-copy $(WEBHOOK_IMAGE) ## Webhook: unit + kubectl end to end
	$(TESTBIN)/webhook_unit
	$(call kilt_fuzz_replay,webhook_fuzz,tests/webhook/fuzz_seeds/*)
	tests/webhook/e2e.sh
	tests/webhook/pull_secrets_e2e.sh
	tests/webhook/deploy_test.sh
	tests/webhook/image_test.sh $(WEBHOOK_IMAGE) $(WEBHOOK_IMAGE_TAG)

# libFuzzer: the HTTP request reader and the AdmissionReview handler under it (the limited JSON reader,
# the pod patcher, the JSON Patch writer).
$(eval $(call kilt_fuzzer,webhook_fuzz,webhook/webhook_fuzz.cc,$(WEBHOOK_DEPS),-lyaml -lssl -lcrypto -lhttp_parser -lpthread))

FUZZ_SUITES += webhook
.PHONY: fuzz-webhook
fuzz-webhook: $(TESTBIN)/webhook_fuzz
	$(call kilt_fuzz_run,webhook_fuzz,120,tests/webhook/fuzz_seeds/*,65536)

BENCH_SUITES += webhook
.PHONY: bench-webhook
bench-webhook: $(BIN)/kilt-webhook
	bench/webhook.sh
