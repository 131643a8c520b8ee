# local/: `kilt local run` (build/lib/libkilt_local.a, linked into build/bin/kilt), its unit tests and the
# end-to-end suite `make test-local` (tests/local/).
LOCAL_SRCS := $(filter-out %_test.cc,$(wildcard local/*.cc))
LOCAL_TESTS := $(wildcard local/*_test.cc)
# The template reader (YAML) comes from the patcher library.
LOCAL_LDLIBS := build/lib/libkilt_patcher.a $(BASE_LIB) -lyaml

build/lib/libkilt_local.a: $(LOCAL_SRCS:%.cc=$(OBJ)/host/%.o)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(TESTBIN)/local_test: $(LOCAL_TESTS:%.cc=$(OBJ)/san/%.o) $(LOCAL_SRCS:%.cc=$(OBJ)/san/%.o) $(CATCH_MAIN) \
                       build/lib/libkilt_patcher.a $(BASE_LIB)
	@mkdir -p $(@D)
	$(HOST_CXX) $(HOST_CXXFLAGS) $(TEST_SANFLAGS) $(filter %.o,$^) -o $@ $(LOCAL_LDLIBS)

TEST_SUITES += local

# The end-to-end suite needs the whole chain: kilt (patch + local), the payload image, the example images.
.PHONY: test-local
test-local: $(TESTBIN)/local_test $(BIN)/kilt image-payload examples-images $(B)/examples/arm64/scratch-app
	$(TESTBIN)/local_test
	tests/local/run.sh
