# base/: the helpers every module shares (files, JSON, encodings, diagnostics, strings). No exceptions, no
# iostreams: the static musl payload links it too. Programs link build/lib/libkilt_base.a, unit tests
# build/lib/libkilt_base_san.a; payload programs list $(BASE_PAYLOAD_OBJS_X86) / $(BASE_PAYLOAD_OBJS_ARM64).
BASE_SRCS := $(filter-out %_test.cc,$(wildcard base/*.cc))
BASE_LIB  := $(B)/lib/libkilt_base.a
BASE_PAYLOAD_OBJS_X86   := $(BASE_SRCS:%.cc=$(PAYLOAD_OBJ_X86)/%.o)
BASE_PAYLOAD_OBJS_ARM64 := $(BASE_SRCS:%.cc=$(PAYLOAD_OBJ_ARM64)/%.o)
$(eval $(call kilt_library,base,$(BASE_SRCS)))
# Public headers (docs/architecture.md, "Public headers"): all of them; base/ is the toolbox.
PUBLIC_HEADERS += $(filter-out %_test.h,$(wildcard base/*.h))

ALL += $(BASE_LIB)

# The payload objects are built by the test too, so that a change that needs exceptions or iostreams fails
# here rather than in the first payload program that links it (musl toolchain only: aarch64 needs zig).
BASE_TEST_PAYLOAD := $(BASE_PAYLOAD_OBJS_X86) $(if $(filter musl,$(STATIC)),$(BASE_PAYLOAD_OBJS_ARM64))
$(TESTBIN)/base_test: $(patsubst %.cc,$(OBJ)/san/%.o,$(wildcard base/*_test.cc)) $(B)/lib/libkilt_base_san.a \
                      $(CATCH_MAIN)
	@mkdir -p $(@D)
	$(HOST_CXX) $(TEST_SANFLAGS) $^ -o $@ -lcrypto

TEST_SUITES += base
.PHONY: test-base
test-base: $(TESTBIN)/base_test $(BASE_TEST_PAYLOAD)
	$(TESTBIN)/base_test
