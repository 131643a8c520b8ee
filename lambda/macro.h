// The CloudFormation macro: one macro event (JSON) in, one macro response (JSON) out, around the
// pure patcher. No I/O of its own except through an ImageSource, so it is tested without a Runtime
// API.
//
// Event:    {"requestId", "fragment", "params", "templateParameterValues", "region", "accountId",
// ...} Response: {"requestId", "status": "success", "fragment"}
//        or {"requestId", "status": "failure", "errorMessage", "fragment": <the input fragment>}
// CloudFormation shows errorMessage to the user: it is the only error channel they see, so every
// per-resource error is listed in it, and a malformed event is a failure, never a crash.
#ifndef KILT_LAMBDA_MACRO_H_
#define KILT_LAMBDA_MACRO_H_

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "lookup/image_source.h"
#include "patcher/patcher.h"
#include "patcher/recipe.h"

namespace kilt::lambda {

using lookup::Deadline;

// Settings fixed at start-up.
struct MacroConfig {
  Recipe recipe;
  bool image_lookup =
      true;  // ask registries for images whose EntryPoint/Command the template omits
};

// The Transform parameters the macro itself handles (all others go to kilt::ApplyRecipeOverrides).
// ImageLookup: "true"/"false". LogicalId: the resource's logical id when Fn::Transform is placed
// inside one task definition resource (CloudFormation does not send it; default "TaskDefinition").
inline constexpr std::string_view kImageLookupParam = "ImageLookup";
inline constexpr std::string_view kLogicalIdParam = "LogicalId";

// What happened, for the one log line per invocation (never template or environment content).
struct MacroOutcome {
  std::string response;    // the JSON to POST to /runtime/invocation/{id}/response
  std::string request_id;  // the event's requestId ("" when the event has none)
  bool success = false;
  size_t resources_patched = 0;  // distinct resources with at least one patched container
  size_t containers_patched = 0;
  size_t skipped = 0;
  size_t errors = 0;
  size_t images_needed = 0;
  size_t lookup_errors = 0;
};

// Handles one macro event. `lookup` may be null (lookups off); `lookup_deadline` bounds lookups.
// Never throws for bad input; the response is always valid JSON.
MacroOutcome HandleMacroEvent(std::string_view event_json, const MacroConfig& config,
                              lookup::ImageSource* lookup, Deadline lookup_deadline);

// The errorMessage for a list of problems: "N problem(s): a; b; c", cut (with "... and N more") so
// that it stays readable in the CloudFormation console.
std::string JoinErrors(const std::vector<std::string>& errors);

}  // namespace kilt::lambda

#endif  // KILT_LAMBDA_MACRO_H_
