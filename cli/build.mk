# cli/: the `kilt` command: `patch` and `recipe` (patcher/), `image-config` (registry/), `local` (local/).
CLI_SRCS := $(filter-out %_test.cc %_fuzz.cc,$(wildcard cli/*.cc))
CLI_LIBS := $(call kilt_libs,local init patcher registry net base)

ALL += $(BIN)/kilt

$(BIN)/kilt: $(CLI_SRCS:%.cc=$(OBJ)/host/%.o) $(CLI_LIBS)
	@mkdir -p $(@D)
	$(HOST_CXX) $^ -o $@ $(PATCHER_LDLIBS) $(NET_LDLIBS)
