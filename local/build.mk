# local/: `kilt local run` (linked into build/bin/kilt), its unit tests and the end-to-end suite
# `make test-local` (tests/local/).
LOCAL_SRCS := $(filter-out %_test.cc,$(wildcard local/*.cc))
$(eval $(call kilt_library,local,$(LOCAL_SRCS)))
PUBLIC_HEADERS += local/local.h

$(TESTBIN)/local_test: $(patsubst %.cc,$(OBJ)/san/%.o,$(wildcard local/*_test.cc)) $(CATCH_MAIN) \
                       $(call kilt_san_libs,local launcher init patcher registry net base)
	@mkdir -p $(@D)
	$(HOST_CXX) $(TEST_SANFLAGS) $^ -o $@ $(PATCHER_LDLIBS) $(NET_LDLIBS)

TEST_SUITES += local

# The end-to-end suite needs the whole chain: kilt (patch + local), the payload image, the example images.
.PHONY: test-local
test-local: $(TESTBIN)/local_test $(BIN)/kilt image-payload examples-images $(B)/examples/arm64/scratch-app
	$(TESTBIN)/local_test
	tests/local/run.sh
