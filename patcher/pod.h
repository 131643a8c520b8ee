// The pod half of the patcher: makes the selected containers of a Kubernetes Pod run through /kilt/run,
// with /kilt filled by an init container from the kilt image. Pure: JSON in, JSON out, no I/O.
// kilt::PatchPod and kilt::ListPodImageNeeds (patcher/patcher.h) are thin wrappers around the functions
// here with default PodOptions. The annotation names are documented in docs/webhook.md.
#ifndef KILT_PATCHER_POD_H_
#define KILT_PATCHER_POD_H_

#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "patcher/change_log.h"
#include "patcher/patcher.h"

namespace kilt {

// Pod annotations read by the patcher (set by users).
// "false" ⇒ pod left alone; "true" ⇒ pod patched when the recipe is opt-in (opt_in = true).
inline constexpr char kPodInjectAnnotation[] = "kilt.io/inject";
inline constexpr char kPodContainersAnnotation[] = "kilt.io/containers";  // "a,b": only these
inline constexpr char kPodExcludeContainersAnnotation[] = "kilt.io/exclude-containers";  // "a,b"
// Pod annotations written by the patcher.
inline constexpr char kPodStatusAnnotation[] = "kilt.io/status";  // "injected"
inline constexpr char kPodInjectedContainersAnnotation[] = "kilt.io/injected-containers";  // "a,b"
inline constexpr char kPodCapabilitiesAnnotation[] = "kilt.io/capabilities";  // why none were added
inline constexpr char kSafeToEvictAnnotation[] =
    "cluster-autoscaler.kubernetes.io/safe-to-evict-local-volumes";
// EKS puts this label on every pod scheduled by a Fargate profile.
inline constexpr char kFargateProfileLabel[] = "eks.amazonaws.com/fargate-profile";

// What to do with a container whose command/args are absent when the image config is unknown.
enum class UnknownImagePolicy {
  kDeny,  // report an error: the caller must refuse the pod (fail-closed)
  kSkip,  // leave that container as it is and say why in PatchReport::skipped
};

struct PodOptions {
  UnknownImagePolicy unknown_image = UnknownImagePolicy::kDeny;
  std::string volume_name = "kilt-payload";
  std::string volume_size_limit = "256Mi";
  std::string init_container_name = "kilt-init";
  // The init container's command: copies the kilt image's /kilt into the emptyDir mounted at
  // init_mount_path. /kilt/copy is the static copier built from webhook/kilt_copy.c.
  std::vector<std::string> init_command = {"/kilt/copy", "/kilt", "/kilt-target"};
  std::string init_mount_path = "/kilt-target";
  std::string mount_path = "/kilt";
};

// Same as PatchPod / ListPodImageNeeds with explicit options.
PatchReport PatchPodWithOptions(rapidjson::Document* pod, const PatchInput& in, const PodOptions& opt);
// The same on a pod inside another document (the webhook's AdmissionReview), allocating from `alloc`.
// With `changes`, every change is also recorded there, paths relative to `pod`: the webhook's JSON
// Patch. On errors (report.ok() false) the pod may be half patched: use neither it nor the changes.
PatchReport PatchPodWithOptions(rapidjson::Value* pod, rapidjson::Document::AllocatorType& alloc,
                                const PatchInput& in, const PodOptions& opt, ChangeLog* changes);
std::vector<ImageNeed> ListPodImageNeedsWithOptions(const rapidjson::Value& pod, const PatchInput& in,
                                                    const PodOptions& opt);

// The platform ("linux/amd64", "linux/arm64") a pod runs on, from its nodeSelector (kubernetes.io/arch).
std::string PodPlatform(const rapidjson::Value& pod);

}  // namespace kilt

#endif  // KILT_PATCHER_POD_H_
