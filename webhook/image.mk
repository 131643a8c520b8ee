# The kilt-webhook container image (build/image/kilt-webhook.oci.tar): an OCI image index over a
# linux/amd64 and a linux/arm64 (Graviton) image, built without a Docker engine by webhook/image.sh
# (umoci + tar), reproducibly. Included from webhook/build.mk.
WEBHOOK_IMAGE := $(B)/image/kilt-webhook.oci.tar
# Same version as the payload image (image/build.mk), never "latest".
WEBHOOK_IMAGE_TAG = $(IMAGE_TAG)

# The server for aarch64, cross-built with the aarch64 glibc toolchain of mk/toolchain.mk, as the arm64
# Lambda bootstrap is.
#
# libstdc++ and libgcc are linked statically, glibc dynamically (for NSS and the DNS resolver, as on
# amd64). Why not ship libstdc++.so.6 as the amd64 image does: the only arm64 copy on the build machine
# is the cross toolchain's (libstdc++6-arm64-cross), there is no libstdc++6:arm64 to take it from, and
# linking the toolchain's own static libstdc++.a keeps the binary and its C++ runtime one tested unit,
# as the arm64 Lambda bootstrap does. glibc is then the image's only shared code; webhook/image.sh
# ships Debian's libc6:arm64 (multiarch, the package security updates go to) for the DT_NEEDED names.
WEBHOOK_ARM64_BIN := $(ARM64BIN)/kilt-webhook

$(WEBHOOK_ARM64_BIN): $(ARM64_GLIBC_OBJ)/webhook/main.o \
                      $(call kilt_arm64_libs,webhook patcher registry net base) | $(ARM64_GLIBC_STATIC)
	@mkdir -p $(@D)
	$(ARM64_GLIBC_CXX) -static-libstdc++ -static-libgcc $^ -o $@ $(ARM64_GLIBC_LDLIBS)

.PHONY: image-webhook webhook-arm64
image-webhook: $(WEBHOOK_IMAGE) ## The webhook's image: build/image/kilt-webhook.oci.tar (amd64 + arm64)
webhook-arm64: $(WEBHOOK_ARM64_BIN) ## (webhook) the aarch64 server only: build/arm64/bin/kilt-webhook

$(WEBHOOK_IMAGE): $(BIN)/kilt-webhook $(WEBHOOK_ARM64_BIN) webhook/image.sh image/oci_lib.sh
	webhook/image.sh --bin $(BIN)/kilt-webhook --arm64-bin $(WEBHOOK_ARM64_BIN) --out $@ --tag $(WEBHOOK_IMAGE_TAG)
