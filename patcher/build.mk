# patcher/: the pure transformation library (build/lib/libkilt_patcher.a), its unit tests, fuzz targets and bench.
PATCHER_SRCS := $(filter-out %_test.cc %_fuzz.cc,$(wildcard patcher/*.cc))
PATCHER_OBJS := $(PATCHER_SRCS:%.cc=$(OBJ)/host/%.o)
PATCHER_SAN_OBJS := $(PATCHER_SRCS:%.cc=$(OBJ)/san/%.o)
PATCHER_TESTS := $(wildcard patcher/*_test.cc)
# Consumers link build/lib/libkilt_patcher.a $(PATCHER_LDLIBS) (yaml-cpp is needed only by the YAML reader).
PATCHER_LDLIBS := -lyaml-cpp

ALL += build/lib/libkilt_patcher.a

build/lib/libkilt_patcher.a: $(PATCHER_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(TESTBIN)/patcher_test: $(PATCHER_TESTS:%.cc=$(OBJ)/san/%.o) $(PATCHER_SAN_OBJS) $(CATCH_MAIN)
	@mkdir -p $(@D)
	$(HOST_CXX) $(HOST_CXXFLAGS) $(TEST_SANFLAGS) $^ -o $@ $(PATCHER_LDLIBS)

TEST_SUITES += patcher
.PHONY: test-patcher
test-patcher: $(TESTBIN)/patcher_test $(BIN)/kilt
	$(TESTBIN)/patcher_test
