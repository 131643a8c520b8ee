# examples/: the example app images (OCI layouts, no Docker) used by `make demo` and `make test-local`.
EXAMPLES_IMAGES := $(B)/examples/images
EXAMPLES_SCRATCH_APP := $(B)/examples/bin/scratch-app

$(EXAMPLES_SCRATCH_APP): examples/apps/scratch_app.c $(PAYLOAD_TOOLCHAIN)
	@mkdir -p $(@D)
	$(PAYLOAD_CC) $(PAYLOAD_CFLAGS) $(PAYLOAD_LDFLAGS) $< -o $@

.PHONY: examples-images
examples-images: $(EXAMPLES_IMAGES)/.stamp ## The example app images (busybox, scratch-like, Debian) as OCI layouts

$(EXAMPLES_IMAGES)/.stamp: examples/build-images.sh examples/apps/entrypoint.sh $(EXAMPLES_SCRATCH_APP)
	examples/build-images.sh --out $(EXAMPLES_IMAGES) --scratch-bin $(EXAMPLES_SCRATCH_APP) --cache $(B)/examples/cache
	@touch $@

# The same app for aarch64, for the arm64 payload smoke test under qemu-user (tests/local/arm64_smoke.sh).
$(B)/examples/arm64/scratch-app: examples/apps/scratch_app.c $(PAYLOAD_TOOLCHAIN)
	@mkdir -p $(@D)
	$(PAYLOAD_CC_ARM64) $(PAYLOAD_CFLAGS) $(PAYLOAD_LDFLAGS) $< -o $@
