# The capture's tracer (capture/tracer*, capture/ptrace*): its sources are in CAPTURE_LIB_SRCS (capture/build.mk,
# which includes this file); here its end-to-end suite. kilt-run links it; `kilt capture` runs it.

TRACER_TESTBIN := $(TESTBIN)/tracer
TRACER_C_HELPERS := $(patsubst tests/capture/tracer/%.c,$(TRACER_TESTBIN)/%,$(wildcard tests/capture/tracer/*.c))
# Static, so they also run inside the busybox rootfs of a runc container.
$(TRACER_TESTBIN)/%: tests/capture/tracer/%.c
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -static -pthread $< -o $@
# The stand-in consumer of the live feed (the agent with capture = true).
$(TRACER_TESTBIN)/feedtap: tests/capture/tracer/feedtap.cc $(CAPTURE_LIB) $(BASE_LIB) $(CAPTURE_HDRS)
	@mkdir -p $(@D)
	$(HOST_CXX) $(HOST_CXXFLAGS) $(CAPTURE_INCLUDES) $< $(CAPTURE_LIB) $(BASE_LIB) -o $@

.PHONY: test-tracer
TEST_SUITES += tracer
# The tracer's own scenarios, then every PID-1 scenario and the whole launcher suite again with the capture
# on (KILT_TEST_CAPTURE=1 adds [capture] enabled = true to each run.cfg they write).
test-tracer: $(BIN)/kilt-run $(BIN)/kilt $(TRACER_C_HELPERS) $(TRACER_TESTBIN)/feedtap \
             $(patsubst tests/init/%.c,$(TESTBIN)/init/%,$(wildcard tests/init/*.c)) \
             $(patsubst tests/launcher/%.c,$(TESTBIN)/launcher/%,$(wildcard tests/launcher/*.c))
	tests/capture/tracer_e2e.sh $(BIN)/kilt-run $(BIN)/kilt $(TRACER_TESTBIN) $(TESTBIN)/init
	KILT_TEST_CAPTURE=1 tests/init/run.sh $(BIN)/kilt-run $(TESTBIN)/init
	KILT_TEST_CAPTURE=1 tests/launcher/run_tests.sh $(BIN)/kilt-run $(TESTBIN)/launcher

# The tracer's unit tests (capture/tracer_test.cc, in capture_test) drive it with init/pid1, as kilt-run does.
$(TESTBIN)/capture/capture_test: $(B)/lib/libkilt_init_san.a

# make bench-tracer: the capture's overhead beside strace --seccomp-bpf (bench/capture.sh).
BENCH_SUITES += tracer
.PHONY: bench-tracer
$(TESTBIN)/bench/capture_work: bench/capture_work.c
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -O2 -pthread $< -o $@
bench-tracer: $(BIN)/kilt-run $(TESTBIN)/bench/capture_work
	@mkdir -p $(B)/bench
	bench/capture.sh $(BIN)/kilt-run $(TESTBIN)/bench/capture_work $(B)/bench/tracer.md
