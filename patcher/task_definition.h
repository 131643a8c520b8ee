// The transformation of one ECS task definition, shared by the CloudFormation (PascalCase, intrinsic
// functions allowed) and ECS API (camelCase, plain JSON) front ends. Internal to the patcher library.
#ifndef KILT_PATCHER_TASK_DEFINITION_H_
#define KILT_PATCHER_TASK_DEFINITION_H_

#include <list>
#include <set>
#include <string>
#include <vector>

#include "patcher/ecs.h"
#include "patcher/json.h"
#include "patcher/patcher.h"

namespace kilt {

// The docker label that marks the sidecar kilt added (so a re-run recognises it).
inline constexpr const char* kSidecarLabel = "io.kilt.role";
inline constexpr const char* kSidecarLabelValue = "sidecar";

// Patches one task definition (CloudFormation Properties, or the ECS API object) in place.
class TaskDefinitionPatcher {
 public:
  struct Options {
    const Dialect* dialect = nullptr;
    const PatchInput* input = nullptr;
    std::string resource;                           // logical id or family, for messages
    const rapidjson::Value* kilt_metadata = nullptr;  // CloudFormation Metadata.Kilt, if any
    // Listing mode: record the images whose config is needed in *needs instead of failing on them.
    std::set<ImageNeed>* needs = nullptr;
  };

  TaskDefinitionPatcher(Options options, JsonAlloc& alloc, PatchReport* report)
      : o_(std::move(options)), d_(*o_.dialect), r_(o_.input->recipe), a_(alloc), report_(report) {}

  // Patches `task` (an object) and records what happened in the report.
  void Patch(rapidjson::Value* task);

 private:
  struct Selection;
  struct SelectionMarks;
  bool Select(const rapidjson::Value& task, Selection* sel);
  bool PlatformSkipReason(const rapidjson::Value& task, std::string* why);
  bool ReadSelectionTags(const rapidjson::Value& task, SelectionMarks* marks);
  bool ReadKiltMetadata(SelectionMarks* marks);
  bool ResolveString(const rapidjson::Value& v, std::string* out, std::string* why = nullptr) const;
  const ImageHint* FindSubHint(const rapidjson::Value* image) const;
  std::string ContainerLabel(const rapidjson::Value& container) const;
  bool CollectContainers(rapidjson::Value* defs, std::vector<rapidjson::Value*>* lists,
                         std::vector<rapidjson::Value*>* containers);
  bool PatchContainer(rapidjson::Value* c, const std::string& label, const std::string& platform);
  const ImageConfig* FindImage(const rapidjson::Value* image, const std::string& platform, bool need_cmd,
                               std::string* err);
  bool IsOurSidecar(const rapidjson::Value& c) const;
  rapidjson::Value BuildSidecar(const rapidjson::Value* app_log_config, std::string* err);
  void Error(const std::string& container, const std::string& message);

  Options o_;
  const Dialect& d_;
  const Recipe& r_;
  JsonAlloc& a_;
  PatchReport* report_;
  size_t errors_before_ = 0;
  std::list<ImageConfig> hint_configs_;  // stable storage for configs built from recipe hints
};

}  // namespace kilt

#endif  // KILT_PATCHER_TASK_DEFINITION_H_
