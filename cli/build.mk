# cli/: the `kilt` command: `patch` and `recipe` (patcher/), `image-config` (registry/), `local` (local/).
CLI_SRCS := $(filter-out %_test.cc %_fuzz.cc,$(wildcard cli/*.cc))
# A program: its one public header is the subcommands' entry points, for test drivers that link one alone.
PUBLIC_HEADERS += cli/commands.h
CLI_LIBS := $(call kilt_libs,local launcher init patcher registry net base)

ALL += $(BIN)/kilt

$(BIN)/kilt: $(CLI_SRCS:%.cc=$(OBJ)/host/%.o) $(CLI_LIBS)
	@mkdir -p $(@D)
	$(HOST_CXX) $^ -o $@ $(PATCHER_LDLIBS) $(NET_LDLIBS)
