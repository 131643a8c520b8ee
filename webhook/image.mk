# The kilt-webhook container image (build/image/kilt-webhook.oci.tar, linux/amd64), built without a
# Docker engine by webhook/image.sh (umoci + tar), reproducibly. Included from webhook/build.mk.
WEBHOOK_IMAGE := $(B)/image/kilt-webhook.oci.tar
# Same version as the payload image (image/build.mk), never "latest".
WEBHOOK_IMAGE_TAG = $(IMAGE_TAG)

.PHONY: image-webhook
image-webhook: $(WEBHOOK_IMAGE) ## The webhook's image: build/image/kilt-webhook.oci.tar (amd64)

$(WEBHOOK_IMAGE): $(BIN)/kilt-webhook webhook/image.sh
	webhook/image.sh --bin $(BIN)/kilt-webhook --out $@ --tag $(WEBHOOK_IMAGE_TAG)
