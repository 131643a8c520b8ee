# The kilt-webhook container image (build/image/kilt-webhook.oci.tar): an OCI image index over a
# linux/amd64 and a linux/arm64 (Graviton) image, built without a Docker engine by webhook/image.sh
# (umoci + tar), reproducibly. Included from webhook/build.mk.
WEBHOOK_IMAGE := $(B)/image/kilt-webhook.oci.tar
# Same version as the payload image (image/build.mk), never "latest".
WEBHOOK_IMAGE_TAG = $(IMAGE_TAG)

# The server for aarch64, cross-built with the arm64 Lambda bootstrap's toolchain, flags and object rules
# (lambda/build.mk, read before this file: its variables are expanded in the prerequisites below). Its
# private archive of patcher/registry/net objects leaves out the pod patcher, which the webhook is built
# around: patcher/pod.o is linked in explicitly. The YAML reader (patcher/cfn_yaml.cc) is not needed:
# nothing the webhook links refers to it (the host binary does not load libyaml either).
#
# libstdc++ and libgcc are linked statically, glibc dynamically (for NSS and the DNS resolver, as on
# amd64). Why not ship libstdc++.so.6 as the amd64 image does: the only arm64 copy on the build machine
# is the cross toolchain's (libstdc++6-arm64-cross), there is no libstdc++6:arm64 to take it from, and
# linking the toolchain's own static libstdc++.a keeps the binary and its C++ runtime one tested unit,
# as the arm64 Lambda bootstrap does. glibc is then the image's only shared code; webhook/image.sh
# ships Debian's libc6:arm64 (multiarch, the package security updates go to) for the DT_NEEDED names.
ifeq ($(LAMBDA_ARM64_OBJ),)
$(error webhook/image.mk uses lambda/build.mk's arm64 rules: the Makefile must include lambda/build.mk first)
endif
WEBHOOK_ARM64_BIN  := $(ARM64BIN)/kilt-webhook
WEBHOOK_ARM64_OBJS  = $(sort $(WEBHOOK_LIB_SRCS:%.cc=$(LAMBDA_ARM64_OBJ)/%.o) \
                        $(LAMBDA_ARM64_OBJ)/webhook/main.o $(LAMBDA_ARM64_OBJ)/patcher/pod.o)

$(WEBHOOK_ARM64_BIN): $(WEBHOOK_ARM64_OBJS) $(LAMBDA_ARM64_DEPS_LIB) $(LAMBDA_ARM64_STATIC)
	@mkdir -p $(@D)
	$(LAMBDA_ARM64_CXX) -static-libstdc++ -static-libgcc $(filter %.o,$^) $(LAMBDA_ARM64_DEPS_LIB) \
	  -o $@ $(LAMBDA_ARM64_LDLIBS)

.PHONY: image-webhook webhook-arm64
image-webhook: $(WEBHOOK_IMAGE) ## The webhook's image: build/image/kilt-webhook.oci.tar (amd64 + arm64)
webhook-arm64: $(WEBHOOK_ARM64_BIN) ## (webhook) the aarch64 server only: build/arm64/bin/kilt-webhook

$(WEBHOOK_IMAGE): $(BIN)/kilt-webhook $(WEBHOOK_ARM64_BIN) webhook/image.sh image/oci_lib.sh
	webhook/image.sh --bin $(BIN)/kilt-webhook --arm64-bin $(WEBHOOK_ARM64_BIN) --out $@ --tag $(WEBHOOK_IMAGE_TAG)
