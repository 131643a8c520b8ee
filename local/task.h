// What `kilt local run` needs from an ECS task definition, read from either spelling: ECS API JSON
// (camelCase; register-task-definition input or describe-task-definition output) or one
// AWS::ECS::TaskDefinition resource of a CloudFormation template (PascalCase). Pure: text/JSON in,
// a TaskSpec out; no I/O.
#ifndef KILT_LOCAL_TASK_H_
#define KILT_LOCAL_TASK_H_

#include <rapidjson/document.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kilt {
namespace local {

enum class DependsCondition { kStart, kComplete, kSuccess, kHealthy };

struct VolumeFrom {
  std::string source_container;
  bool read_only = false;
};

struct MountPoint {
  std::string source_volume;
  std::string container_path;
  bool read_only = false;
};

struct Dependency {
  std::string container;
  DependsCondition condition = DependsCondition::kStart;
};

struct ContainerSpec {
  std::string name;
  std::string image;
  // Unset (nullopt) and empty are different: an unset EntryPoint means "the image's ENTRYPOINT".
  std::optional<std::vector<std::string>> entry_point;
  std::optional<std::vector<std::string>> command;
  std::vector<std::pair<std::string, std::string>> environment;  // in definition order
  bool essential = true;                                         // ECS default
  std::vector<VolumeFrom> volumes_from;
  std::vector<MountPoint> mount_points;
  std::vector<Dependency> depends_on;
  std::string user;                  // empty: the image's USER
  std::string working_directory;     // empty: the image's WORKDIR
  int stop_timeout_s = 30;           // ECS default when the task definition sets none
  std::vector<std::string> cap_add;  // LinuxParameters.Capabilities.Add, e.g. "SYS_PTRACE"
};

struct TaskSpec {
  std::string name;  // family or logical id, for messages
  std::vector<ContainerSpec> containers;
  std::vector<std::string> volumes;  // task-level volume names (empty scratch volumes here)
  std::vector<std::string>
      warnings;  // things run differently from ECS (e.g. HEALTHY treated as START)
};

// Parses ECS JSON or a CloudFormation template (JSON or YAML text). For a template, `resource`
// picks the AWS::ECS::TaskDefinition by logical id; it may be empty when the template has exactly
// one. Intrinsic functions are evaluated only where it is safe: {"Ref": Parameter} with a Default
// (or a value in `parameters`), {"Fn::Sub": "...${Param}..."} over such parameters and
// AWS::NoValue; anything else is an error naming the container and field. Errors read "SOURCE:
// RESOURCE/CONTAINER: what to do".
[[nodiscard]] bool ParseTask(std::string_view text, std::string_view source,
                             std::string_view resource,
                             const std::vector<std::pair<std::string, std::string>>& parameters,
                             TaskSpec* out, std::string* err);

// Checks the container graph: unique names, at least one essential container, DependsOn/VolumesFrom
// targets that exist, no dependency cycles, MountPoints naming declared volumes.
[[nodiscard]] bool ValidateTask(const TaskSpec& task, std::string* err);

// The containers in an order that satisfies every DependsOn (stable: definition order where free).
// REQUIRES: ValidateTask(task) succeeded.
std::vector<size_t> StartOrder(const TaskSpec& task);

}  // namespace local
}  // namespace kilt

#endif  // KILT_LOCAL_TASK_H_
