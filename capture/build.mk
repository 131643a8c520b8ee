# capture/: the scap event format and its transport (event table, encoder, decoder, capture file and
# JSON writers, the live feed server) and the Falco plugin that reads the feed. See docs/capture.md.
# (capture/tracer* and capture/ptrace* are the tracer's; they add their own rules.)
#
# For other components (kilt-run, cli/):
#   - compile files that include capture headers with $(CAPTURE_INCLUDES) and make their objects depend
#     on $(CAPTURE_GEN_HDR) (the event table generated from the libs archive);
#   - payload: list $(CAPTURE_PAYLOAD_OBJS_X86) / $(CAPTURE_PAYLOAD_OBJS_ARM64) (zig/musl objects, or
#     g++ -static ones with STATIC=glibc) with base's: encoder, feed server, capture file + JSON writers;
#   - host tools: link build/lib/libkilt_capture.a and libkilt_base.a (tests: the _san archives).

# The libs source archive the event table is generated from: shared/ beside the checkout, else the
# workplace's copy (as mk/toolchain.mk finds the corpus).
CAPTURE_THIRD_PARTY  := $(firstword $(wildcard $(abspath ../shared/third_party) /work/shared/third_party) ../shared/third_party)
CAPTURE_LIBS_ARCHIVE := $(CAPTURE_THIRD_PARTY)/libs-0.25.4.tar.gz
CAPTURE_GEN          := $(B)/gen
CAPTURE_GEN_HDR      := $(CAPTURE_GEN)/capture/scap_event_table.h
CAPTURE_INCLUDES     := -I$(CAPTURE_GEN)

# A missing archive is not a make error here: the generator says what is missing and where to get it.
$(CAPTURE_GEN_HDR): capture/gen_event_table.py capture/event_params.golden $(wildcard $(CAPTURE_LIBS_ARCHIVE))
	@mkdir -p $(@D)
	python3 capture/gen_event_table.py --archive $(CAPTURE_LIBS_ARCHIVE) \
	  --golden capture/event_params.golden --out $@

.PHONY: capture-golden
capture-golden: ## Rewrite capture/event_params.golden from the libs archive (after updating the encoder)
	python3 capture/gen_event_table.py --archive $(CAPTURE_LIBS_ARCHIVE) --golden capture/event_params.golden --write-golden

# The library: everything the payload and the host tools share. No exceptions, no iostreams.
CAPTURE_LIB_SRCS := capture/scap_flags.cc capture/scap_event_builder.cc capture/scap_encoder.cc \
                    capture/scap_decoder.cc capture/scap_json.cc capture/scap_file.cc \
                    capture/feed.cc capture/feed_client.cc capture/feed_protocol.cc \
                    capture/ptrace_arch.cc capture/ptrace_seccomp.cc capture/tracer.cc capture/tracer_proc.cc \
                    capture/tracer_syscalls.cc
CAPTURE_HDRS     := $(wildcard capture/*.h) $(CAPTURE_GEN_HDR)

# ---- payload objects (kilt-run links them) and host libraries ------------------------------------------
# Payload objects come from toolchain.mk's shared rule (zig/musl, or g++ -static with STATIC=glibc); the
# encoder and the feed are the hot path, built for speed. They use base/ (link $(BASE_PAYLOAD_OBJS_*)).
CAPTURE_PAYLOAD_OBJS_X86   := $(CAPTURE_LIB_SRCS:%.cc=$(PAYLOAD_OBJ_X86)/%.o)
CAPTURE_PAYLOAD_OBJS_ARM64 := $(CAPTURE_LIB_SRCS:%.cc=$(PAYLOAD_OBJ_ARM64)/%.o)
$(CAPTURE_PAYLOAD_OBJS_X86) $(CAPTURE_PAYLOAD_OBJS_ARM64): PAYLOAD_CXXFLAGS += $(CAPTURE_INCLUDES) -O2
$(CAPTURE_PAYLOAD_OBJS_X86) $(CAPTURE_PAYLOAD_OBJS_ARM64): $(CAPTURE_GEN_HDR)

CAPTURE_HOST_OBJS := $(patsubst %.cc,$(OBJ)/host/%.o,$(CAPTURE_LIB_SRCS))
CAPTURE_SAN_OBJS  := $(patsubst %.cc,$(OBJ)/san/%.o,$(CAPTURE_LIB_SRCS))
CAPTURE_LIB       := $(B)/lib/libkilt_capture.a
CAPTURE_SAN_LIB   := $(B)/lib/libkilt_capture_san.a
$(CAPTURE_HOST_OBJS) $(CAPTURE_SAN_OBJS): HOST_CXXFLAGS += $(CAPTURE_INCLUDES)
$(CAPTURE_HOST_OBJS) $(CAPTURE_SAN_OBJS): $(CAPTURE_GEN_HDR)
$(eval $(call kilt_library,capture,$(CAPTURE_LIB_SRCS)))
# Public headers: what kilt-run, `kilt capture` and the test tools use (the tracer, the feed and its client,
# the encoder and the two writers); the rest is internal (their own includes reach the event table).
PUBLIC_HEADERS += capture/tracer.h capture/feed.h capture/feed_client.h capture/scap_encoder.h \
                  capture/scap_file.h capture/scap_json.h

ALL   += $(CAPTURE_LIB) $(CAPTURE_PAYLOAD_OBJS_X86)
ARM64 += $(CAPTURE_PAYLOAD_OBJS_ARM64)

# ---- the Falco plugin: libkiltcap.so ------------------------------------------------------------------
# A glibc shared library for the glibc Falco (the static build loads no plugins). plugin_api.h comes
# straight from the libs archive, never vendored. Only the plugin_* symbols are exported.
CAPTURE_LIBS_TOP     := $(basename $(basename $(notdir $(CAPTURE_LIBS_ARCHIVE))))
CAPTURE_PLUGIN_API   := $(CAPTURE_GEN)/falcosecurity/plugin/plugin_api.h
CAPTURE_PLUGIN_TYPES := $(CAPTURE_GEN)/falcosecurity/plugin/plugin_types.h
$(CAPTURE_PLUGIN_API) $(CAPTURE_PLUGIN_TYPES): $(wildcard $(CAPTURE_LIBS_ARCHIVE))
	@mkdir -p $(@D)
	tar -xzOf $(CAPTURE_LIBS_ARCHIVE) $(CAPTURE_LIBS_TOP)/userspace/plugin/$(@F) > $@.tmp && mv $@.tmp $@

CAPTURE_PLUGIN_SRCS  := capture/falco_plugin/kiltcap.cc capture/feed_client.cc capture/feed_protocol.cc \
                        capture/scap_decoder.cc
CAPTURE_PLUGIN_FLAGS  = -std=c++17 -O2 -g -Wall -Wextra -fPIC -shared -fvisibility=hidden -I. \
                        $(CAPTURE_INCLUDES) -I$(CAPTURE_GEN)/falcosecurity -Wl,--no-undefined -Wl,-z,defs
CAPTURE_PLUGIN        := $(B)/lib/libkiltcap.so
CAPTURE_PLUGIN_ARM64  := $(B)/arm64/lib/libkiltcap.so
$(CAPTURE_PLUGIN): $(CAPTURE_PLUGIN_SRCS) $(CAPTURE_HDRS) $(CAPTURE_PLUGIN_API) $(CAPTURE_PLUGIN_TYPES)
	@mkdir -p $(@D)
	$(HOST_CXX) $(CAPTURE_PLUGIN_FLAGS) $(CAPTURE_PLUGIN_SRCS) -o $@
# arm64: Debian's cross compiler (g++-aarch64-linux-gnu, in tools/deps.sh), for an arm64 glibc Falco.
$(CAPTURE_PLUGIN_ARM64): $(CAPTURE_PLUGIN_SRCS) $(CAPTURE_HDRS) $(CAPTURE_PLUGIN_API) $(CAPTURE_PLUGIN_TYPES)
	@mkdir -p $(@D)
	aarch64-linux-gnu-g++ $(CAPTURE_PLUGIN_FLAGS) $(CAPTURE_PLUGIN_SRCS) -o $@

ALL   += $(CAPTURE_PLUGIN)
ARM64 += $(CAPTURE_PLUGIN_ARM64)

# ---- tests ------------------------------------------------------------------------------------------
CAPTURE_TEST_SRCS := $(wildcard capture/*_test.cc)
CAPTURE_TEST_OBJS := $(patsubst %.cc,$(OBJ)/san/%.o,$(CAPTURE_TEST_SRCS))
$(CAPTURE_TEST_OBJS): HOST_CXXFLAGS += $(CAPTURE_INCLUDES)
$(CAPTURE_TEST_OBJS): $(CAPTURE_GEN_HDR)
$(OBJ)/san/capture/kiltcap_test.o: HOST_CXXFLAGS += -I$(CAPTURE_GEN)/falcosecurity
$(OBJ)/san/capture/kiltcap_test.o: $(CAPTURE_PLUGIN_API) $(CAPTURE_PLUGIN_TYPES)
$(TESTBIN)/capture/capture_test: $(CAPTURE_TEST_OBJS) $(CAPTURE_SAN_LIB) $(B)/lib/libkilt_base_san.a $(CATCH_MAIN)
	@mkdir -p $(@D)
	$(HOST_CXX) $(TEST_SANFLAGS) $^ -o $@ -ldl

.PHONY: test-capture
TEST_SUITES += capture

# The payload objects are built by the test too: a change that needs exceptions or iostreams fails here.
CAPTURE_TEST_PAYLOAD := $(CAPTURE_PAYLOAD_OBJS_X86) $(if $(filter musl,$(STATIC)),$(CAPTURE_PAYLOAD_OBJS_ARM64))
# `falco` (falco/build.mk) is a prerequisite, not a $(MAKE) in the recipe: a recipe line that runs $(MAKE)
# hands its commands make's jobserver pipe, and a process they leave behind then stalls make for good.
test-capture: $(TESTBIN)/capture/capture_test $(CAPTURE_TEST_PAYLOAD) $(TESTBIN)/capture/scap_scenario \
              $(CAPTURE_PLUGIN) falco
	KILTCAP_SO=$(CAPTURE_PLUGIN) $(TESTBIN)/capture/capture_test
	tests/capture/golden_test.sh $(CAPTURE_LIBS_ARCHIVE)
	tests/capture/sysdig_test.sh $(TESTBIN)/capture/scap_scenario
	tests/capture/falco_test.sh $(B)/falco/kilt-falco $(TESTBIN)/capture/scap_scenario $(CAPTURE_PLUGIN)

# Test tools: the synthetic scenario (tests/capture/scenario.h) as a capture file, JSON or a live feed.
CAPTURE_SCENARIO_SRCS := tests/capture/scenario.cc tests/capture/scap_scenario.cc
$(TESTBIN)/capture/scap_scenario: $(CAPTURE_SCENARIO_SRCS) tests/capture/scenario.h $(CAPTURE_LIB) $(BASE_LIB)
	@mkdir -p $(@D)
	$(HOST_CXX) $(HOST_CXXFLAGS) $(CAPTURE_INCLUDES) $(CAPTURE_SCENARIO_SRCS) $(CAPTURE_LIB) $(BASE_LIB) -o $@

# libFuzzer (clang) over the decoder, the JSON writer and the capture file writer; FUZZ_SECONDS per run.
CAPTURE_FUZZ_SRCS := capture/scap_decoder_fuzz.cc capture/scap_decoder.cc capture/scap_json.cc \
                     capture/scap_file.cc base/file.cc
$(eval $(call kilt_fuzzer,capture/scap_decoder_fuzz,$(CAPTURE_FUZZ_SRCS)))
$(patsubst %.cc,$(OBJ)/fuzz/%.o,$(CAPTURE_FUZZ_SRCS)): FUZZ_FLAGS += $(CAPTURE_INCLUDES)
$(patsubst %.cc,$(OBJ)/fuzz/%.o,$(CAPTURE_FUZZ_SRCS)): $(CAPTURE_GEN_HDR)
FUZZ_SUITES += capture
.PHONY: fuzz-capture
# The seed: the synthetic scenario as raw events.
fuzz-capture: $(TESTBIN)/capture/scap_decoder_fuzz $(TESTBIN)/capture/scap_scenario
	@mkdir -p $(B)/fuzz/capture
	$(TESTBIN)/capture/scap_scenario raw $(B)/fuzz/capture/seed-scenario
	$(call kilt_fuzz_run,capture/scap_decoder_fuzz,60,$(B)/fuzz/capture/seed-scenario,70000)

# The tracer has its own rules and suite.
include capture/tracer.mk
