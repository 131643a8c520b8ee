// The CloudFormation and ECS API front ends: find the task definitions, hand each to TaskDefinitionPatcher.
#include "patcher/patcher.h"

#include "patcher/ecs.h"
#include "patcher/json.h"
#include "patcher/task_definition.h"

namespace kilt {

using rapidjson::Value;

std::string PatchError::ToString() const {
  std::string s = resource.empty() ? std::string("template") : resource;
  if (!container.empty()) s += ", container " + container;
  return s + ": " + message;
}

namespace {

bool CheckRecipe(const PatchInput& in, PatchReport* rep) {
  std::string err;
  if (ValidateRecipe(in.recipe, &err)) return true;
  rep->errors.push_back({"", "", "recipe: " + err});
  return false;
}

// Calls fn(logical id, properties, Metadata.Kilt) for each AWS::ECS::TaskDefinition, in template order.
template <typename Fn>
void ForEachTaskDefinition(Value* cfn, PatchReport* rep, Fn fn) {
  for (const TaskDefinitionResource& td : FindTaskDefinitions(cfn, &rep->errors))
    fn(td.id, td.properties, td.kilt_metadata);
}

// describe-task-definition output carries these; register-task-definition rejects them.
constexpr const char* kReadOnlyFields[] = {"taskDefinitionArn", "revision",     "status",       "requiresAttributes",
                                           "compatibilities",   "registeredAt", "registeredBy", "deregisteredAt"};

// Turns any accepted ECS shape into register-task-definition input, in place.
void NormalizeEcs(rapidjson::Document* doc) {
  if (!doc->IsObject()) return;
  Value* inner = Member(*doc, "taskDefinition");
  if (inner != nullptr && inner->IsObject()) {
    Value td(std::move(*inner));
    Value* tags = Member(*doc, "tags");  // describe-task-definition --include TAGS puts them beside it
    if (tags != nullptr && tags->IsArray() && !tags->Empty() && Member(td, "tags") == nullptr)
      td.AddMember("tags", Value(std::move(*tags)), doc->GetAllocator());
    static_cast<Value&>(*doc) = std::move(td);
  }
  for (const char* f : kReadOnlyFields) RemoveMember(doc, f);
}

std::string EcsName(const Value& td) {
  const Value* family = Member(td, "family");
  return family != nullptr && family->IsString() ? family->GetString() : "task definition";
}

}  // namespace

PatchReport PatchTemplate(rapidjson::Document* cfn, const PatchInput& in) {
  PatchReport rep;
  if (!CheckRecipe(in, &rep)) return rep;
  rapidjson::MemoryPoolAllocator<> scratch;
  ForEachTaskDefinition(cfn, &rep, [&](const std::string& id, Value* props, const Value* kilt_meta) {
    Value before(*props, scratch);
    TaskDefinitionPatcher::Options o;
    o.dialect = &kCfnDialect;
    o.input = &in;
    o.resource = id;
    o.kilt_metadata = kilt_meta;
    TaskDefinitionPatcher(o, cfn->GetAllocator(), &rep).Patch(props);
    if (before != *props) rep.changed = true;
  });
  return rep;
}

PatchReport PatchEcsTaskDefinition(rapidjson::Document* td, const PatchInput& in) {
  PatchReport rep;
  if (!CheckRecipe(in, &rep)) return rep;
  rapidjson::MemoryPoolAllocator<> scratch;
  Value before(*td, scratch);
  NormalizeEcs(td);
  TaskDefinitionPatcher::Options o;
  o.dialect = &kEcsDialect;
  o.input = &in;
  o.resource = EcsName(*td);
  TaskDefinitionPatcher(o, td->GetAllocator(), &rep).Patch(td);
  rep.changed = before != *td;
  return rep;
}

std::vector<ImageNeed> ListTemplateImageNeeds(const rapidjson::Value& cfn_template, const PatchInput& in) {
  std::set<ImageNeed> needs;
  rapidjson::Document copy;
  copy.CopyFrom(cfn_template, copy.GetAllocator());
  PatchReport rep;
  ForEachTaskDefinition(&copy, &rep, [&](const std::string& id, Value* props, const Value* kilt_meta) {
    TaskDefinitionPatcher::Options o;
    o.dialect = &kCfnDialect;
    o.input = &in;
    o.resource = id;
    o.kilt_metadata = kilt_meta;
    o.needs = &needs;
    TaskDefinitionPatcher(o, copy.GetAllocator(), &rep).Patch(props);
  });
  return std::vector<ImageNeed>(needs.begin(), needs.end());
}

std::vector<ImageNeed> ListEcsImageNeeds(const rapidjson::Value& task_definition, const PatchInput& in) {
  std::set<ImageNeed> needs;
  rapidjson::Document copy;
  copy.CopyFrom(task_definition, copy.GetAllocator());
  NormalizeEcs(&copy);
  PatchReport rep;
  TaskDefinitionPatcher::Options o;
  o.dialect = &kEcsDialect;
  o.input = &in;
  o.resource = EcsName(copy);
  o.needs = &needs;
  TaskDefinitionPatcher(o, copy.GetAllocator(), &rep).Patch(&copy);
  return std::vector<ImageNeed>(needs.begin(), needs.end());
}

}  // namespace kilt
