# patcher/: the pure transformation library, its unit tests, fuzz targets and bench.
# Programs link $(call kilt_libs,patcher base) $(PATCHER_LDLIBS) (libyaml: only the YAML reader needs it).
# Unit tests also read the multi-document Kubernetes corpus with yaml-cpp.
PATCHER_SRCS := $(filter-out %_test.cc %_fuzz.cc,$(wildcard patcher/*.cc))
$(eval $(call kilt_library,patcher,$(PATCHER_SRCS)))
# Public headers: the transformation (patcher.h, pod.h), the recipe, and the readers and ECS model that
# `kilt patch` and `kilt local run` share; argv_expr, change_log, task_definition and test_util are internal.
PUBLIC_HEADERS += patcher/patcher.h patcher/pod.h patcher/recipe.h patcher/cfn_yaml.h patcher/cfn_sub.h \
                  patcher/ecs.h patcher/json.h patcher/command.h patcher/splice.h
PATCHER_LDLIBS := -lyaml
PATCHER_TEST_LDLIBS := -lyaml -lyaml-cpp

ALL += $(call kilt_libs,patcher)

$(TESTBIN)/patcher_test: $(patsubst %.cc,$(OBJ)/san/%.o,$(wildcard patcher/*_test.cc)) $(CATCH_MAIN) \
                         $(call kilt_san_libs,patcher base)
	@mkdir -p $(@D)
	$(HOST_CXX) $(TEST_SANFLAGS) $^ -o $@ $(PATCHER_TEST_LDLIBS)

TEST_SUITES += patcher
.PHONY: test-patcher
test-patcher: $(TESTBIN)/patcher_test $(BIN)/kilt $(TESTBIN)/patcher_template_fuzz $(TESTBIN)/patcher_recipe_fuzz
	$(TESTBIN)/patcher_test
	tests/patcher/cli.sh
	tests/patcher/corpus.sh
	tests/patcher/lookup.sh
	$(call kilt_fuzz_replay,patcher_template_fuzz,patcher/fuzz-corpus/template/*)
	$(call kilt_fuzz_replay,patcher_recipe_fuzz,patcher/fuzz-corpus/recipe/*)

# libFuzzer targets: the template readers + patchers, and the recipe parser. `make test` only replays the
# checked-in inputs (seeds and the regressions the fuzzer found), once each: fuzzing is `make fuzz`.
$(eval $(call kilt_fuzzer,patcher_template_fuzz,patcher/template_fuzz.cc,patcher base,-lyaml))
$(eval $(call kilt_fuzzer,patcher_recipe_fuzz,patcher/recipe_fuzz.cc,patcher base))

FUZZ_SUITES += patcher
.PHONY: fuzz-patcher fuzz-patcher-short
fuzz-patcher: $(TESTBIN)/patcher_template_fuzz $(TESTBIN)/patcher_recipe_fuzz ## long libFuzzer runs
	$(call kilt_fuzz_run,patcher_template_fuzz,600,patcher/fuzz-corpus/template/*)
	$(call kilt_fuzz_run,patcher_recipe_fuzz,300,patcher/fuzz-corpus/recipe/*)
fuzz-patcher-short: $(TESTBIN)/patcher_template_fuzz $(TESTBIN)/patcher_recipe_fuzz
	$(call kilt_fuzz_run,patcher_template_fuzz,20,patcher/fuzz-corpus/template/*)
	$(call kilt_fuzz_run,patcher_recipe_fuzz,10,patcher/fuzz-corpus/recipe/*)

# Benchmark: build/bench/patcher.md (see bench/patcher_bench.cc).
$(B)/bench-bin/patcher_bench: $(OBJ)/host/bench/patcher_bench.o $(call kilt_libs,patcher base)
	@mkdir -p $(@D)
	$(HOST_CXX) $^ -o $@ $(PATCHER_LDLIBS)
BENCH_SUITES += patcher
.PHONY: bench-patcher
bench-patcher: $(B)/bench-bin/patcher_bench
	@mkdir -p $(B)/bench
	$(B)/bench-bin/patcher_bench 15 > $(B)/bench/patcher.md.tmp && mv $(B)/bench/patcher.md.tmp $(B)/bench/patcher.md
	@cat $(B)/bench/patcher.md
