# patcher/: the pure transformation library (build/lib/libkilt_patcher.a), its unit tests, fuzz targets and bench.
PATCHER_SRCS := $(filter-out %_test.cc %_fuzz.cc,$(wildcard patcher/*.cc))
PATCHER_OBJS := $(PATCHER_SRCS:%.cc=$(OBJ)/host/%.o)
PATCHER_SAN_OBJS := $(PATCHER_SRCS:%.cc=$(OBJ)/san/%.o)
PATCHER_TESTS := $(wildcard patcher/*_test.cc)
# Consumers link build/lib/libkilt_patcher.a $(PATCHER_LDLIBS): base/ (the JSON reader) and libyaml (the
# YAML reader only). Unit tests link $(PATCHER_TEST_LDLIBS) (sanitized base; the pod tests read the
# multi-document Kubernetes corpus with yaml-cpp).
PATCHER_LDLIBS := $(BASE_LIB) -lyaml
PATCHER_TEST_LDLIBS := $(B)/lib/libkilt_base_san.a -lyaml -lyaml-cpp

ALL += build/lib/libkilt_patcher.a

build/lib/libkilt_patcher.a: $(PATCHER_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(TESTBIN)/patcher_test: $(PATCHER_TESTS:%.cc=$(OBJ)/san/%.o) $(PATCHER_SAN_OBJS) $(CATCH_MAIN) \
    $(B)/lib/libkilt_base_san.a
	@mkdir -p $(@D)
	$(HOST_CXX) $(HOST_CXXFLAGS) $(TEST_SANFLAGS) $(filter %.o,$^) -o $@ $(PATCHER_TEST_LDLIBS)

TEST_SUITES += patcher
.PHONY: test-patcher
test-patcher: $(TESTBIN)/patcher_test $(BIN)/kilt $(TESTBIN)/patcher_template_fuzz $(TESTBIN)/patcher_recipe_fuzz
	$(TESTBIN)/patcher_test
	tests/patcher/cli.sh
	tests/patcher/corpus.sh
	tests/patcher/lookup.sh
	@$(MAKE) --no-print-directory fuzz-patcher-short

# libFuzzer targets (clang): the template readers + patchers, and the recipe parser.
FUZZ_CXX := clang++
# RapidJSON 1.1's internal stack does arithmetic on a null pointer (harmless, fixed upstream): not ours to flag.
FUZZ_FLAGS := -std=c++17 -O1 -g -I. -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-sanitize=pointer-overflow
$(OBJ)/fuzz/%.o: %.cc
	@mkdir -p $(@D)
	$(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
PATCHER_FUZZ_OBJS := $(filter-out $(OBJ)/fuzz/patcher/pod.o,$(PATCHER_SRCS:%.cc=$(OBJ)/fuzz/%.o)) \
                     $(OBJ)/fuzz/base/json_parse.o $(OBJ)/fuzz/base/json.o
$(TESTBIN)/patcher_template_fuzz: $(OBJ)/fuzz/patcher/template_fuzz.o $(PATCHER_FUZZ_OBJS)
	@mkdir -p $(@D)
	$(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer $^ -o $@ -lyaml
$(TESTBIN)/patcher_recipe_fuzz: $(OBJ)/fuzz/patcher/recipe_fuzz.o $(OBJ)/fuzz/patcher/recipe.o
	@mkdir -p $(@D)
	$(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer $^ -o $@

# Runs each fuzzer for FUZZ_SECONDS on a scratch copy of its seed corpus (the checked-in seeds stay as they are).
define patcher_fuzz_run
	@rm -rf $(B)/fuzz/patcher-$(1) && mkdir -p $(B)/fuzz/patcher-$(1) && cp patcher/fuzz-corpus/$(1)/* $(B)/fuzz/patcher-$(1)/
	set -o pipefail; $(TESTBIN)/patcher_$(1)_fuzz -max_total_time=$(2) -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
	  -artifact_prefix=$(B)/fuzz/patcher-$(1)- $(B)/fuzz/patcher-$(1) 2>&1 | grep -v '^#' | tail -8
endef

FUZZ_SUITES += patcher
.PHONY: fuzz-patcher fuzz-patcher-short
fuzz-patcher: $(TESTBIN)/patcher_template_fuzz $(TESTBIN)/patcher_recipe_fuzz ## long libFuzzer runs
	$(call patcher_fuzz_run,template,600)
	$(call patcher_fuzz_run,recipe,300)
fuzz-patcher-short: $(TESTBIN)/patcher_template_fuzz $(TESTBIN)/patcher_recipe_fuzz
	$(call patcher_fuzz_run,template,20)
	$(call patcher_fuzz_run,recipe,10)

# Benchmark: build/bench/patcher.md (see bench/patcher_bench.cc).
$(B)/bench-bin/patcher_bench: $(OBJ)/host/bench/patcher_bench.o build/lib/libkilt_patcher.a $(BASE_LIB)
	@mkdir -p $(@D)
	$(HOST_CXX) $(HOST_CXXFLAGS) $< build/lib/libkilt_patcher.a -o $@ $(PATCHER_LDLIBS)
BENCH_SUITES += patcher
.PHONY: bench-patcher
bench-patcher: $(B)/bench-bin/patcher_bench
	@mkdir -p $(B)/bench
	$(B)/bench-bin/patcher_bench 15 > $(B)/bench/patcher.md.tmp && mv $(B)/bench/patcher.md.tmp $(B)/bench/patcher.md
	@cat $(B)/bench/patcher.md
