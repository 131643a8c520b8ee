# cli/: the `kilt` command. Subcommands from other components link in when their libraries exist.
CLI_SRCS := $(filter-out %_test.cc %_fuzz.cc,$(wildcard cli/*.cc))
CLI_LIBS := build/lib/libkilt_patcher.a
CLI_FLAGS :=
ifneq ($(wildcard registry/lookup.h),)
CLI_LIBS += build/lib/libkilt_registry.a build/lib/libkilt_net.a
CLI_FLAGS += -DKILT_HAVE_REGISTRY
endif
ifneq ($(wildcard local/build.mk),)
CLI_LIBS += build/lib/libkilt_local.a
endif

ALL += $(BIN)/kilt

$(OBJ)/cli/%.o: %.cc
	@mkdir -p $(@D)
	$(HOST_CXX) $(HOST_CXXFLAGS) $(CLI_FLAGS) -c $< -o $@

$(BIN)/kilt: $(CLI_SRCS:%.cc=$(OBJ)/cli/%.o) $(CLI_LIBS) $(BASE_LIB)
	@mkdir -p $(@D)
	$(HOST_CXX) $(HOST_CXXFLAGS) $(filter %.o,$^) -Wl,--start-group $(CLI_LIBS) -Wl,--end-group -o $@ $(PATCHER_LDLIBS) $(REGISTRY_LDLIBS) $(LOCAL_LDLIBS)
