#include "patcher/ecs.h"

#include "patcher/json.h"

namespace kilt {

using rapidjson::Value;

const Dialect kCfnDialect = {
    true,          "ContainerDefinitions", "Name",       "Image",       "EntryPoint",
    "Command",     "Essential",            "Environment", "Name",       "Value",
    "VolumesFrom", "SourceContainer",      "ReadOnly",   "DependsOn",   "ContainerName",
    "Condition",   "LinuxParameters",      "Capabilities", "Add",       "LogConfiguration",
    "LogDriver",   "Options",              "Cpu",        "Memory",      "MemoryReservation",
    "DockerLabels", "RequiresCompatibilities", "RuntimePlatform", "OperatingSystemFamily",
    "CpuArchitecture", "Tags", "Key", "Value", "MountPoints", "SourceVolume", "ContainerPath",
    "User", "WorkingDirectory", "StopTimeout", "Volumes", "Family",
};

const Dialect kEcsDialect = {
    false,         "containerDefinitions", "name",       "image",       "entryPoint",
    "command",     "essential",            "environment", "name",       "value",
    "volumesFrom", "sourceContainer",      "readOnly",   "dependsOn",   "containerName",
    "condition",   "linuxParameters",      "capabilities", "add",       "logConfiguration",
    "logDriver",   "options",              "cpu",        "memory",      "memoryReservation",
    "dockerLabels", "requiresCompatibilities", "runtimePlatform", "operatingSystemFamily",
    "cpuArchitecture", "tags", "key", "value", "mountPoints", "sourceVolume", "containerPath",
    "user", "workingDirectory", "stopTimeout", "volumes", "family",
};

std::vector<TaskDefinitionResource> FindTaskDefinitions(Value* cfn, std::vector<PatchError>* errors) {
  std::vector<TaskDefinitionResource> out;
  if (!cfn->IsObject()) {
    errors->push_back({"", "", "the template is " + Describe(*cfn) + ", not a JSON object"});
    return out;
  }
  Value* resources = Member(*cfn, "Resources");
  if (resources == nullptr) return out;  // a fragment without resources: nothing to patch
  if (!resources->IsObject()) {
    errors->push_back({"", "", "Resources is " + Describe(*resources) + ", not an object"});
    return out;
  }
  for (auto& r : resources->GetObject()) {
    if (base::StringMember(r.value, "Type") != "AWS::ECS::TaskDefinition") continue;
    std::string id(r.name.GetString(), r.name.GetStringLength());
    Value* props = Member(r.value, "Properties");
    if (props == nullptr) {
      errors->push_back({id, "", "has no Properties"});
      continue;
    }
    const Value* metadata = Member(r.value, "Metadata");
    out.push_back({id, props, metadata ? Member(*metadata, "Kilt") : nullptr});
  }
  return out;
}

const Value& EcsTaskDefinition(const Value& doc) {
  const Value* inner = Member(doc, "taskDefinition");
  return inner != nullptr && inner->IsObject() ? *inner : doc;
}

void AddParameterDefaults(const Value& cfn, CfnParameters* params) {
  const Value* ps = Member(cfn, "Parameters");
  if (ps == nullptr || !ps->IsObject()) return;
  for (auto& p : ps->GetObject()) {
    const Value* d = Member(p.value, "Default");
    if (d == nullptr || !(d->IsString() || d->IsNumber())) continue;
    params->emplace(p.name.GetString(), d->IsString() ? std::string(d->GetString(), d->GetStringLength()) : ToJson(*d));
  }
}

}  // namespace kilt
