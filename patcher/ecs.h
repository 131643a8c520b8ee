// The ECS task definition as the patcher and `kilt local run` read it: its keys in both spellings
// (CloudFormation's PascalCase, where values may be intrinsic functions, and the ECS API's camelCase,
// plain JSON), and where task definitions sit in a template or an ECS API document.
#ifndef KILT_PATCHER_ECS_H_
#define KILT_PATCHER_ECS_H_

#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "patcher/cfn_sub.h"
#include "patcher/patcher.h"

namespace kilt {

// The spelling of a task definition's keys: CloudFormation or ECS API.
struct Dialect {
  bool intrinsics;  // CloudFormation: values may be intrinsic functions
  const char* container_definitions;
  const char* name;
  const char* image;
  const char* entry_point;
  const char* command;
  const char* essential;
  const char* environment;
  const char* env_name;
  const char* env_value;
  const char* volumes_from;
  const char* source_container;
  const char* read_only;
  const char* depends_on;
  const char* container_name;
  const char* condition;
  const char* linux_parameters;
  const char* capabilities;
  const char* add;
  const char* log_configuration;
  const char* log_driver;
  const char* options;
  const char* cpu;
  const char* memory;
  const char* memory_reservation;
  const char* docker_labels;
  const char* requires_compatibilities;
  const char* runtime_platform;
  const char* operating_system_family;
  const char* cpu_architecture;
  const char* tags;
  const char* tag_key;
  const char* tag_value;
  const char* mount_points;
  const char* source_volume;
  const char* container_path;
  const char* user;
  const char* working_directory;
  const char* stop_timeout;
  const char* volumes;
  const char* family;
};
extern const Dialect kCfnDialect;
extern const Dialect kEcsDialect;

// One AWS::ECS::TaskDefinition resource of a template.
struct TaskDefinitionResource {
  std::string id;                                   // logical id
  rapidjson::Value* properties = nullptr;           // its Properties (an object, or not: the patcher says)
  const rapidjson::Value* kilt_metadata = nullptr;  // its Metadata.Kilt, if any
};

// The task definitions of a CloudFormation template (or macro fragment), in template order. What makes a
// template or resource unreadable (not an object, Resources not an object, no Properties) goes to
// *errors, naming the resource; a fragment without Resources has none.
std::vector<TaskDefinitionResource> FindTaskDefinitions(rapidjson::Value* cfn, std::vector<PatchError>* errors);

// The task definition of an ECS API document: describe-task-definition output's `taskDefinition`, or the
// document itself (register-task-definition input).
const rapidjson::Value& EcsTaskDefinition(const rapidjson::Value& doc);

// Adds the template's Parameters' Default values (strings, and numbers as written) to *params, keeping
// the values already there.
void AddParameterDefaults(const rapidjson::Value& cfn, CfnParameters* params);

}  // namespace kilt

#endif  // KILT_PATCHER_ECS_H_
