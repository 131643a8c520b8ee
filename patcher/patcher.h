// The patcher: a pure transformation (JSON value in, JSON value out, no I/O) that makes every selected
// container of an ECS task definition or a Kubernetes pod run through /kilt/run, with /kilt mounted from
// the kilt image. Its consumers (the `kilt` CLI, the CloudFormation macro Lambda, the admission webhook,
// `kilt local`) do all I/O — reading files, registry lookups — around it.
//
// Image lookups happen *before* patching, so the patcher stays pure: a consumer first asks
// ListImageNeeds() which images it must know the ENTRYPOINT/CMD of, looks them up (registry client,
// recipe hints), and passes the results in PatchInput::images.
#ifndef KILT_PATCHER_PATCHER_H_
#define KILT_PATCHER_PATCHER_H_

#include <map>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "lookup/image_source.h"
#include "patcher/recipe.h"

namespace kilt {

// What the patcher must know about an image whose ENTRYPOINT/CMD the task definition does not spell out
// (its entrypoint, cmd and digest), and the images it asks about: lookup/image_source.h.
using lookup::ImageConfig;
using lookup::ImageNeed;

struct PatchInput {
  Recipe recipe;
  // Image configs known to the caller, keyed by ImageNeed; recipe hints are consulted too.
  std::map<ImageNeed, ImageConfig> images;
  // CloudFormation only: stack parameter values (the macro event's templateParameterValues), used to
  // resolve {"Ref": Param} where the patch needs a concrete value (an image reference).
  std::map<std::string, std::string> parameters;
};

// One problem, named so the user can find and fix it.
struct PatchError {
  std::string resource;   // logical id (CloudFormation), family (ECS JSON) or namespace/name (pod)
  std::string container;  // empty when the problem is not about one container
  std::string message;    // what is wrong and what to do
  std::string ToString() const;
};

struct PatchReport {
  std::vector<PatchError> errors;    // non-empty ⇒ the patch failed; the document must not be used
  std::vector<std::string> patched;  // "resource/container" for every container patched, in order
  std::vector<std::string> skipped;  // "resource[/container]: reason" for what was left alone
  bool changed = false;              // the document differs from the input
  bool ok() const { return errors.empty(); }
};

// The images whose config a patch of `doc` would need (containers without a full EntryPoint/Command),
// sorted and unique. Images that cannot be resolved to a string are left out (the patch reports them).
std::vector<ImageNeed> ListTemplateImageNeeds(const rapidjson::Value& cfn_template, const PatchInput& in);
std::vector<ImageNeed> ListEcsImageNeeds(const rapidjson::Value& task_definition, const PatchInput& in);
std::vector<ImageNeed> ListPodImageNeeds(const rapidjson::Value& pod, const PatchInput& in);

// Patch a whole CloudFormation template (or macro fragment) in place. On error the document is left in
// an unspecified state and must be discarded; every error found is reported, not just the first.
PatchReport PatchTemplate(rapidjson::Document* cfn_template, const PatchInput& in);

// Patch an ECS API task definition (register-task-definition input, or describe-task-definition output
// whole or `.taskDefinition`) in place; the result is register-task-definition input.
PatchReport PatchEcsTaskDefinition(rapidjson::Document* task_definition, const PatchInput& in);

// Patch a Kubernetes Pod object (apiVersion v1, kind Pod) in place.
PatchReport PatchPod(rapidjson::Document* pod, const PatchInput& in);

}  // namespace kilt

#endif  // KILT_PATCHER_PATCHER_H_
