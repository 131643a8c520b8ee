# capture/: the scap event format and its transport (event table, encoder, decoder, capture file and
# JSON writers, the live feed server) and the Falco plugin that reads the feed. See docs/capture.md.
# (capture/tracer* and capture/ptrace* are the tracer's; they add their own rules.)
#
# For other components (kilt-run, cli/):
#   - compile files that include capture headers with $(CAPTURE_INCLUDES) and make their objects depend
#     on $(CAPTURE_GEN_HDR) (the event table generated from the libs archive);
#   - payload: link $(CAPTURE_PAYLOAD_LIB_X86) / $(CAPTURE_PAYLOAD_LIB_ARM64) (zig/musl objects, or
#     g++ -static ones with STATIC=glibc): encoder, feed server, capture file + JSON writers;
#   - host tools: link build/lib/libkilt_capture.a (no sanitizers) or $(CAPTURE_SAN_LIB) (tests).

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
CAPTURE_LIB_SRCS := capture/scap_flags.cc capture/scap_event_builder.cc capture/scap_encoder.cc
CAPTURE_HDRS     := $(wildcard capture/*.h) $(CAPTURE_GEN_HDR)

# ---- payload objects (kilt-run links them) ------------------------------------------------------------
CAPTURE_PAYLOAD_CXXFLAGS  = $(PAYLOAD_CXXFLAGS) -I. $(CAPTURE_INCLUDES)
CAPTURE_OBJ_X86           := $(OBJ)/capture/$(STATIC)-x86_64
CAPTURE_OBJ_ARM64         := $(OBJ)/capture/musl-aarch64
CAPTURE_PAYLOAD_LIB_X86   := $(B)/lib/$(STATIC)-x86_64/libkilt_capture.a
CAPTURE_PAYLOAD_LIB_ARM64 := $(B)/lib/musl-aarch64/libkilt_capture.a

$(CAPTURE_OBJ_X86)/%.o: capture/%.cc $(CAPTURE_HDRS) | $(PAYLOAD_TOOLCHAIN)
	@mkdir -p $(@D)
	$(PAYLOAD_CXX) $(CAPTURE_PAYLOAD_CXXFLAGS) -O2 -c $< -o $@
$(CAPTURE_OBJ_ARM64)/%.o: capture/%.cc $(CAPTURE_HDRS) | $(PAYLOAD_TOOLCHAIN)
	@mkdir -p $(@D)
	$(PAYLOAD_CXX_ARM64) $(CAPTURE_PAYLOAD_CXXFLAGS) -O2 -c $< -o $@
$(CAPTURE_PAYLOAD_LIB_X86): $(patsubst capture/%.cc,$(CAPTURE_OBJ_X86)/%.o,$(CAPTURE_LIB_SRCS))
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^
$(CAPTURE_PAYLOAD_LIB_ARM64): $(patsubst capture/%.cc,$(CAPTURE_OBJ_ARM64)/%.o,$(CAPTURE_LIB_SRCS))
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

# ---- host libraries -------------------------------------------------------------------------------
CAPTURE_HOST_OBJS := $(patsubst %.cc,$(OBJ)/host/%.o,$(CAPTURE_LIB_SRCS))
CAPTURE_SAN_OBJS  := $(patsubst %.cc,$(OBJ)/san/%.o,$(CAPTURE_LIB_SRCS))
CAPTURE_LIB       := $(B)/lib/libkilt_capture.a
CAPTURE_SAN_LIB   := $(B)/lib/libkilt_capture_san.a
$(CAPTURE_HOST_OBJS) $(CAPTURE_SAN_OBJS): HOST_CXXFLAGS += $(CAPTURE_INCLUDES)
$(CAPTURE_HOST_OBJS) $(CAPTURE_SAN_OBJS): $(CAPTURE_GEN_HDR)
$(CAPTURE_LIB): $(CAPTURE_HOST_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^
$(CAPTURE_SAN_LIB): $(CAPTURE_SAN_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

ALL   += $(CAPTURE_LIB) $(CAPTURE_PAYLOAD_LIB_X86)
ARM64 += $(CAPTURE_PAYLOAD_LIB_ARM64)

# ---- tests ------------------------------------------------------------------------------------------
CAPTURE_TEST_SRCS := $(wildcard capture/*_test.cc)
CAPTURE_TEST_OBJS := $(patsubst %.cc,$(OBJ)/san/%.o,$(CAPTURE_TEST_SRCS))
$(CAPTURE_TEST_OBJS): HOST_CXXFLAGS += $(CAPTURE_INCLUDES)
$(CAPTURE_TEST_OBJS): $(CAPTURE_GEN_HDR)
$(TESTBIN)/capture/capture_test: $(CAPTURE_TEST_OBJS) $(CAPTURE_SAN_LIB) $(CATCH_MAIN)
	@mkdir -p $(@D)
	$(HOST_CXX) $(TEST_SANFLAGS) $^ -o $@

.PHONY: test-capture
TEST_SUITES += capture

test-capture: $(TESTBIN)/capture/capture_test $(CAPTURE_PAYLOAD_LIB_X86)
	$(TESTBIN)/capture/capture_test
