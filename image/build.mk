# image/: the payload image (build/image/kilt-image.oci.tar) and the two small static programs it adds to
# the launcher's and init's binaries: kilt-demo-agent (a stand-in for Falco) and kilt-pause (the sidecar's
# default command). Built without a Docker engine by image/build.sh (umoci + tar), reproducibly.

IMAGE_DIR     := $(B)/image
IMAGE_ARCHIVE := $(IMAGE_DIR)/kilt-image.oci.tar
IMAGE_C_PROGS := kilt-demo-agent kilt-pause
# The tag inside the archive (index.json ref name): the version, never "latest".
IMAGE_TAG     := 0.1.0

$(BIN)/kilt-demo-agent: image/demo_agent.c $(PAYLOAD_TOOLCHAIN)
	@mkdir -p $(@D)
	$(PAYLOAD_CC) $(PAYLOAD_CFLAGS) $(PAYLOAD_LDFLAGS) $< -o $@
$(BIN)/kilt-pause: image/pause.c $(PAYLOAD_TOOLCHAIN)
	@mkdir -p $(@D)
	$(PAYLOAD_CC) $(PAYLOAD_CFLAGS) $(PAYLOAD_LDFLAGS) $< -o $@
$(ARM64BIN)/kilt-demo-agent: image/demo_agent.c $(PAYLOAD_TOOLCHAIN)
	@mkdir -p $(@D)
	$(PAYLOAD_CC_ARM64) $(PAYLOAD_CFLAGS) $(PAYLOAD_LDFLAGS) $< -o $@
$(ARM64BIN)/kilt-pause: image/pause.c $(PAYLOAD_TOOLCHAIN)
	@mkdir -p $(@D)
	$(PAYLOAD_CC_ARM64) $(PAYLOAD_CFLAGS) $(PAYLOAD_LDFLAGS) $< -o $@

ALL   += $(addprefix $(BIN)/,$(IMAGE_C_PROGS))
ARM64 += $(addprefix $(ARM64BIN)/,$(IMAGE_C_PROGS))

# Everything that goes into the image, for both architectures. kilt-init, kilt-run and kilt-copy are built
# by the init, launcher and webhook rules (fixed paths).
# The amd64 image also carries the real Falco (falco/build.mk: the tree and its stamp).
IMAGE_INPUTS := $(foreach d,$(BIN) $(ARM64BIN),$(addprefix $(d)/,kilt-init kilt-run kilt-copy $(IMAGE_C_PROGS))) \
                image/build.sh image/oci_lib.sh image/run.falco.cfg image/demo-agent.run.cfg image/demo-agent.conf \
                image/README.payload $(FALCO_STAMP)

.PHONY: image-payload
image-payload: $(IMAGE_ARCHIVE)

$(IMAGE_ARCHIVE): $(IMAGE_INPUTS)
	image/build.sh --bin $(BIN) --arm64-bin $(ARM64BIN) --falco $(FALCO_TREE) --out $@ --tag $(IMAGE_TAG)
