// AdmissionReview v1 in, AdmissionReview v1 out: the webhook's decision for one request, independent of
// HTTP and TLS (so it is unit-tested directly). The pod is patched in place by kilt::PatchPodWithOptions,
// which records its changes; the response carries them as an RFC 6902 JSON Patch, base64-encoded, as
// the apiserver requires.
#ifndef KILT_WEBHOOK_ADMISSION_H_
#define KILT_WEBHOOK_ADMISSION_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "lookup/image_source.h"
#include "patcher/patcher.h"
#include "patcher/pod.h"

namespace kilt::webhook {

struct AdmissionConfig {
  Recipe recipe;
  PodOptions pod;
  // On an error (the pod cannot be patched, or something failed inside the webhook): true ⇒ allow
  // the pod unpatched with a warning (fail-open), false ⇒ deny it with the reason (fail-closed).
  bool fail_open = true;
  // The webhook's own namespace: its pods are never touched (it must be able to restart itself).
  std::string own_namespace;
  // Looks up the configs of images whose command the pod leaves to the image, with the pod's namespace and
  // imagePullSecrets as the LookupContext; its problems become admission warnings ("kilt: " + message).
  // Null: only recipe hints are used. Not owned.
  lookup::ImageSource* lookup = nullptr;
  int lookup_budget_ms = 4000;  // how long one review's lookups may take
};

enum class AdmissionOutcome { kPatched, kSkipped, kDenied, kAllowedOnError, kBadRequest };
const char* OutcomeName(AdmissionOutcome o);

struct AdmissionResult {
  int http_status = 200;
  std::string body;  // the AdmissionReview response (or a short text for kBadRequest)
  AdmissionOutcome outcome = AdmissionOutcome::kSkipped;
  // For the structured log (no pod env values, no object dump).
  std::string uid, namespace_, name, operation, reason;
  std::vector<std::string> patched;
  std::vector<std::string> warnings;  // as sent to the apiserver (names and statuses, no values)
};

AdmissionResult ReviewAdmission(std::string_view body, const AdmissionConfig& config);

}  // namespace kilt::webhook

#endif  // KILT_WEBHOOK_ADMISSION_H_
