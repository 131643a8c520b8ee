#include "local/task.h"

#include <algorithm>
#include <map>
#include <set>

#include "base/json.h"
#include "base/strings.h"
#include "patcher/cfn_sub.h"
#include "patcher/cfn_yaml.h"
#include "patcher/ecs.h"
#include "patcher/json.h"

namespace kilt {
namespace local {
namespace {

using rapidjson::Value;

// Reads one task definition with the patcher's ECS model and evaluator. A value kilt cannot know offline
// (a resource attribute, an import, a parameter without a value) does not stop the task: like `kilt patch`,
// which leaves such values alone, it reads on, and the field gets the expression's text ("${Repo}") and a
// warning that says how to give the value. Only what is malformed is an error.
class TaskReader {
 public:
  TaskReader(const Dialect& d, const CfnEvaluator& ev, std::vector<std::string>* warnings)
      : d_(d), ev_(ev), warnings_(warnings) {}

  bool Read(const Value& td, const std::string& where, TaskSpec* out, std::string* err) {
    where_ = where;
    const Value* defs = Get(td, d_.container_definitions);
    if (defs == nullptr || !defs->IsArray() || defs->Empty())
      return Fail(d_.container_definitions, "missing or empty: nothing to run", err);
    for (const Value& element : defs->GetArray()) {
      const Value* c = Pick(element, d_.container_definitions);
      if (c == nullptr) continue;  // a container the stack leaves out (Fn::If to AWS::NoValue)
      ContainerSpec spec;
      where_ = where;
      if (!Container(*c, &spec, err)) return false;
      out->containers.push_back(std::move(spec));
    }
    where_ = where;
    if (const Value* vols = Get(td, d_.volumes); vols && vols->IsArray()) {
      for (const Value& element : vols->GetArray()) {
        const Value* v = Pick(element, d_.volumes);
        const Value* n = v ? Get(*v, d_.name) : nullptr;
        if (n != nullptr) out->volumes.push_back(Text(*n, d_.volumes));
      }
    }
    return true;
  }

 private:
  bool Container(const Value& c, ContainerSpec* out, std::string* err) {
    if (!c.IsObject()) return Fail(nullptr, "a container definition must be an object", err);
    const Value* v = Get(c, d_.name);
    if (v == nullptr) return Fail(d_.name, "missing (every container needs a name)", err);
    out->name = Text(*v, d_.name);
    where_ += "/" + out->name;
    if ((v = Get(c, d_.image)) == nullptr) return Fail(d_.image, "missing", err);
    out->image = Text(*v, d_.image);
    if ((v = Get(c, d_.entry_point)) && !Strings(*v, d_.entry_point, &out->entry_point.emplace(), err)) return false;
    if ((v = Get(c, d_.command)) && !Strings(*v, d_.command, &out->command.emplace(), err)) return false;
    if ((v = Get(c, d_.environment)) && !Each(*v, d_.environment, [&](const Value& e) {
          const Value* n = Get(e, d_.env_name);
          if (n == nullptr) return Fail(d_.environment, std::string("an entry has no ") + d_.env_name, err);
          const Value* value = Get(e, d_.env_value);
          out->environment.emplace_back(Text(*n, d_.environment), value ? Text(*value, d_.environment) : "");
          return true;
        }, err))
      return false;
    if ((v = Get(c, d_.essential)) && !Bool(*v, d_.essential, &out->essential, err)) return false;
    if ((v = Get(c, d_.volumes_from)) && !Each(*v, d_.volumes_from, [&](const Value& e) {
          VolumeFrom vf;
          const Value* s = Get(e, d_.source_container);
          if (s == nullptr) return Fail(d_.volumes_from, std::string("an entry has no ") + d_.source_container, err);
          vf.source_container = Text(*s, d_.volumes_from);
          const Value* ro = Get(e, d_.read_only);
          if (ro && !Bool(*ro, d_.read_only, &vf.read_only, err)) return false;
          out->volumes_from.push_back(std::move(vf));
          return true;
        }, err))
      return false;
    if ((v = Get(c, d_.mount_points)) && !Each(*v, d_.mount_points, [&](const Value& e) {
          MountPoint mp;
          const Value* s = Get(e, d_.source_volume);
          const Value* p = Get(e, d_.container_path);
          if (!s || !p)
            return Fail(d_.mount_points, std::string("an entry needs ") + d_.source_volume + " and " + d_.container_path,
                        err);
          mp.source_volume = Text(*s, d_.mount_points);
          mp.container_path = Text(*p, d_.mount_points);
          const Value* ro = Get(e, d_.read_only);
          if (ro && !Bool(*ro, d_.read_only, &mp.read_only, err)) return false;
          out->mount_points.push_back(std::move(mp));
          return true;
        }, err))
      return false;
    if ((v = Get(c, d_.depends_on)) && !Each(*v, d_.depends_on, [&](const Value& e) {
          Dependency dep;
          const Value* n = Get(e, d_.container_name);
          if (n == nullptr) return Fail(d_.depends_on, std::string("an entry has no ") + d_.container_name, err);
          dep.container = Text(*n, d_.depends_on);
          const Value* cv = Get(e, d_.condition);
          std::string cond = cv ? Text(*cv, d_.condition) : "START";
          if (!ParseCondition(cond, &dep.condition))
            return Fail(d_.condition, "\"" + cond + "\" is not START, COMPLETE, SUCCESS or HEALTHY", err);
          if (dep.condition == DependsCondition::kHealthy)
            warnings_->push_back(out->name + ": DependsOn " + dep.container +
                                 " HEALTHY is treated as START (kilt local runs no health checks)");
          out->depends_on.push_back(std::move(dep));
          return true;
        }, err))
      return false;
    if ((v = Get(c, d_.user))) out->user = Text(*v, d_.user);
    if ((v = Get(c, d_.working_directory))) out->working_directory = Text(*v, d_.working_directory);
    if ((v = Get(c, d_.stop_timeout))) {
      int64_t s = 0;
      if (!base::ParseInt(Text(*v, d_.stop_timeout), 0, 120, &s))
        return Fail(d_.stop_timeout, "must be between 0 and 120 seconds, got " + Describe(*v), err);
      out->stop_timeout_s = static_cast<int>(s);
    }
    const Value* lp = Get(c, d_.linux_parameters);
    const Value* caps = lp ? Get(*lp, d_.capabilities) : nullptr;
    if (const Value* add = caps ? Get(*caps, d_.add) : nullptr) return Strings(*add, d_.add, &out->cap_add, err);
    return true;
  }

  // The member `key` as the stack has it: the branch its Fn::If takes, null when absent or AWS::NoValue.
  const Value* Get(const Value& obj, const char* key) {
    const Value* v = Member(obj, key);
    return v ? Pick(*v, key) : nullptr;
  }

  const Value* Pick(const Value& v, const char* field) {
    if (!d_.intrinsics) return &v;
    const Value* chosen = nullptr;
    std::string why;
    if (ev_.Choose(v, &chosen, &why)) return chosen;
    // A condition kilt cannot decide: the first branch, said aloud.
    const Value *cond, *then_v, *else_v;
    SplitIf(v, &cond, &then_v, &else_v);
    Warn(field, "cannot tell which branch of " + Describe(v) + " the stack takes (" + why +
                    "); using the first: pass the parameters its condition needs");
    return Pick(*then_v, field);
  }

  // A string field; what cannot be known offline keeps its expression's text, with a warning.
  std::string Text(const Value& v, const char* field) {
    std::string s, why;
    if (ev_.String(v, &s, &why)) return s;
    std::string shown = Describe(v);
    if (IntrinsicName(v) == "Ref" && v.MemberBegin()->value.IsString())
      shown = "${" + std::string(v.MemberBegin()->value.GetString()) + "}";
    else if (IntrinsicName(v) == "Fn::Sub" && v.MemberBegin()->value.IsString())
      shown = v.MemberBegin()->value.GetString();
    Warn(field, Describe(v) + " is not known offline" + (why.empty() ? "" : " (" + why + ")") + "; using \"" +
                    shown + "\"");
    return shown;
  }

  bool Strings(const Value& v, const char* field, std::vector<std::string>* out, std::string* err) {
    std::string why;
    out->clear();
    if (ev_.StringList(v, out, &why)) return true;
    if (!v.IsArray()) return Fail(field, "must be a list of strings, got " + Describe(v), err);
    out->clear();
    for (const Value& e : v.GetArray()) {
      const Value* el = Pick(e, field);
      if (el != nullptr) out->push_back(Text(*el, field));
    }
    return true;
  }

  bool Bool(const Value& v, const char* field, bool* out, std::string* err) {
    if (v.IsBool()) {
      *out = v.GetBool();
      return true;
    }
    std::string s = Text(v, field);
    if (s != "true" && s != "false") return Fail(field, "must be true or false, got " + Describe(v), err);
    *out = s == "true";
    return true;
  }

  // Calls fn for each element of the list `v` the stack has (Fn::If elements chosen, AWS::NoValue ones
  // left out).
  template <typename Fn>
  bool Each(const Value& v, const char* field, Fn fn, std::string* err) {
    if (!v.IsArray()) return Fail(field, "must be a list, got " + Describe(v), err);
    for (const Value& element : v.GetArray()) {
      const Value* e = Pick(element, field);
      if (e != nullptr && !fn(*e)) return false;
    }
    return true;
  }

  static bool ParseCondition(const std::string& s, DependsCondition* c) {
    static const std::map<std::string, DependsCondition> kNames = {{"START", DependsCondition::kStart},
                                                                   {"COMPLETE", DependsCondition::kComplete},
                                                                   {"SUCCESS", DependsCondition::kSuccess},
                                                                   {"HEALTHY", DependsCondition::kHealthy}};
    auto it = kNames.find(s);
    if (it == kNames.end()) return false;
    *c = it->second;
    return true;
  }

  void Warn(const char* field, const std::string& what) {
    warnings_->push_back(where_ + (field ? std::string(": ") + field : "") + ": " + what);
  }
  bool Fail(const char* field, const std::string& what, std::string* err) {
    *err = where_ + (field ? std::string(": ") + field : "") + ": " + what;
    return false;
  }

  const Dialect& d_;
  const CfnEvaluator& ev_;
  std::vector<std::string>* warnings_;
  std::string where_;  // "SOURCE: RESOURCE[/CONTAINER]", for messages
};

// The template's task definition named `id`, or the only one when `id` is empty.
bool ChooseTaskDefinition(Value* doc, std::string_view source, std::string_view id, TaskDefinitionResource* out,
                          std::string* err) {
  std::vector<PatchError> problems;
  std::vector<TaskDefinitionResource> tds = FindTaskDefinitions(doc, &problems);
  std::vector<std::string> ids;
  for (const auto& td : tds) ids.push_back(td.id);
  auto it = std::find_if(tds.begin(), tds.end(), [&](const TaskDefinitionResource& td) {
    return id.empty() ? tds.size() == 1 : td.id == id;
  });
  if (it != tds.end()) {
    *out = *it;
    return true;
  }
  if (!problems.empty())
    *err = std::string(source) + ": " + problems[0].ToString();
  else if (!id.empty())
    *err = std::string(source) + ": no AWS::ECS::TaskDefinition named " + std::string(id) +
           " (found: " + (ids.empty() ? "none" : base::Join(ids, ", ")) + ")";
  else if (ids.empty())
    *err = std::string(source) + ": no AWS::ECS::TaskDefinition resource in this template";
  else
    *err = std::string(source) + ": several task definitions (" + base::Join(ids, ", ") +
           "); choose one with --resource ID";
  return false;
}

}  // namespace

bool ParseTask(std::string_view text, std::string_view source, std::string_view resource,
               const std::vector<std::pair<std::string, std::string>>& parameters, TaskSpec* out,
               std::string* err) {
  *out = TaskSpec{};
  rapidjson::Document doc;
  YamlStyle style;
  bool yaml = false;
  if (!ParseTemplate(text, &doc, &style, &yaml, err)) {
    *err = std::string(source) + ":" + *err;
    return false;
  }
  if (!doc.IsObject()) {
    *err = std::string(source) + ": expected an ECS task definition or a CloudFormation template (an object)";
    return false;
  }
  CfnParameters params(parameters.begin(), parameters.end());
  if (Member(doc, "Resources") == nullptr) {
    // ECS API JSON: the object itself, or describe-task-definition output's `taskDefinition`.
    const Value& td = EcsTaskDefinition(doc);
    if (Member(td, kEcsDialect.container_definitions) == nullptr) {
      *err = std::string(source) +
             ": neither an ECS task definition (containerDefinitions) nor a CloudFormation template (Resources)";
      return false;
    }
    std::string family(base::StringMember(td, kEcsDialect.family));
    out->name = family.empty() ? "task" : family;
    CfnEvaluator ev(params);
    return TaskReader(kEcsDialect, ev, &out->warnings).Read(td, std::string(source) + ": " + out->name, out, err);
  }
  // CloudFormation: --parameter values, then the template's Defaults, then stand-ins for the pseudo
  // parameters of a stack that does not exist.
  AddParameterDefaults(doc, &params);
  params.emplace("AWS::Region", "us-east-1");
  params.emplace("AWS::AccountId", "123456789012");
  params.emplace("AWS::StackName", "kilt-local");
  TaskDefinitionResource td;
  if (!ChooseTaskDefinition(&doc, source, resource, &td, err)) return false;
  out->name = td.id;
  CfnEvaluator ev(params, Member(doc, "Conditions"));
  return TaskReader(kCfnDialect, ev, &out->warnings).Read(*td.properties, std::string(source) + ": " + td.id, out, err);
}

bool ValidateTask(const TaskSpec& task, std::string* err) {
  std::map<std::string, const ContainerSpec*> by_name;
  bool essential = false;
  for (const auto& c : task.containers) {
    if (!by_name.emplace(c.name, &c).second) {
      *err =
          task.name + ": two containers are named " + c.name + "; container names must be unique";
      return false;
    }
    essential |= c.essential;
  }
  if (!essential) {
    *err = task.name + ": no container is essential; ECS requires at least one (Essential: true)";
    return false;
  }
  std::set<std::string> volumes(task.volumes.begin(), task.volumes.end());
  for (const auto& c : task.containers) {
    for (const auto& d : c.depends_on) {
      if (!by_name.count(d.container) || d.container == c.name) {
        *err = task.name + "/" + c.name + ": DependsOn names " + d.container +
               ", which is not another container of this task";
        return false;
      }
    }
    for (const auto& v : c.volumes_from) {
      if (!by_name.count(v.source_container) || v.source_container == c.name) {
        *err = task.name + "/" + c.name + ": VolumesFrom names " + v.source_container +
               ", which is not another container of this task";
        return false;
      }
    }
    for (const auto& m : c.mount_points) {
      if (!volumes.count(m.source_volume)) {
        *err = task.name + "/" + c.name + ": MountPoints names volume " + m.source_volume +
               ", which the task's Volumes do not declare";
        return false;
      }
    }
  }
  // Cycle check: a full topological order must exist.
  std::map<std::string, int> indeg;
  for (const auto& c : task.containers) indeg[c.name] = static_cast<int>(c.depends_on.size());
  size_t placed = 0;
  std::set<std::string> done;
  bool progress = true;
  while (progress) {
    progress = false;
    for (const auto& c : task.containers) {
      if (done.count(c.name)) continue;
      bool ready = std::all_of(c.depends_on.begin(), c.depends_on.end(),
                               [&](const Dependency& d) { return done.count(d.container) > 0; });
      if (ready) {
        done.insert(c.name);
        ++placed;
        progress = true;
      }
    }
  }
  if (placed != task.containers.size()) {
    std::string left;
    for (const auto& c : task.containers)
      if (!done.count(c.name)) left += (left.empty() ? "" : ", ") + c.name;
    *err = task.name + ": DependsOn forms a cycle among " + left;
    return false;
  }
  return true;
}

std::vector<size_t> StartOrder(const TaskSpec& task) {
  std::vector<size_t> order;
  std::set<std::string> done;
  while (order.size() < task.containers.size()) {
    size_t before = order.size();
    for (size_t i = 0; i < task.containers.size(); ++i) {
      const auto& c = task.containers[i];
      if (done.count(c.name)) continue;
      bool ready = std::all_of(c.depends_on.begin(), c.depends_on.end(),
                               [&](const Dependency& d) { return done.count(d.container) > 0; });
      if (ready) {
        done.insert(c.name);
        order.push_back(i);
        break;  // restart from the top: definition order wins among the ready ones
      }
    }
    if (order.size() == before) break;  // cycle: ValidateTask reports it
  }
  return order;
}

}  // namespace local
}  // namespace kilt
