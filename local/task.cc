#include "local/task.h"

#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <map>
#include <set>

#include "patcher/cfn_yaml.h"

namespace kilt {
namespace local {
namespace {

using rapidjson::Value;

// The two spellings of the fields kilt local reads.
struct Keys {
  bool cfn;
  const char* container_definitions;
  const char* name;
  const char* image;
  const char* entry_point;
  const char* command;
  const char* environment;
  const char* env_name;
  const char* env_value;
  const char* essential;
  const char* volumes_from;
  const char* source_container;
  const char* read_only;
  const char* mount_points;
  const char* source_volume;
  const char* container_path;
  const char* depends_on;
  const char* container_name;
  const char* condition;
  const char* user;
  const char* working_directory;
  const char* stop_timeout;
  const char* linux_parameters;
  const char* capabilities;
  const char* add;
  const char* volumes;
  const char* family;
};
constexpr Keys kCfn = {true,
                       "ContainerDefinitions",
                       "Name",
                       "Image",
                       "EntryPoint",
                       "Command",
                       "Environment",
                       "Name",
                       "Value",
                       "Essential",
                       "VolumesFrom",
                       "SourceContainer",
                       "ReadOnly",
                       "MountPoints",
                       "SourceVolume",
                       "ContainerPath",
                       "DependsOn",
                       "ContainerName",
                       "Condition",
                       "User",
                       "WorkingDirectory",
                       "StopTimeout",
                       "LinuxParameters",
                       "Capabilities",
                       "Add",
                       "Volumes",
                       "Family"};
constexpr Keys kEcs = {false,
                       "containerDefinitions",
                       "name",
                       "image",
                       "entryPoint",
                       "command",
                       "environment",
                       "name",
                       "value",
                       "essential",
                       "volumesFrom",
                       "sourceContainer",
                       "readOnly",
                       "mountPoints",
                       "sourceVolume",
                       "containerPath",
                       "dependsOn",
                       "containerName",
                       "condition",
                       "user",
                       "workingDirectory",
                       "stopTimeout",
                       "linuxParameters",
                       "capabilities",
                       "add",
                       "volumes",
                       "family"};

const Value* Get(const Value& obj, const char* key) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(key);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

std::string Compact(const Value& v) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  v.Accept(w);
  std::string s = sb.GetString();
  if (s.size() > 100) s = s.substr(0, 100) + "...";
  return s;
}

// Evaluates the few intrinsic functions whose value is known offline.
class Evaluator {
 public:
  Evaluator(std::map<std::string, std::string> params, std::string where)
      : params_(std::move(params)), where_(std::move(where)) {}

  void SetWhere(std::string where) { where_ = std::move(where); }

  // true: v is absent ({"Ref": "AWS::NoValue"}).
  static bool IsNoValue(const Value& v) {
    const Value* r = Get(v, "Ref");
    return v.IsObject() && v.MemberCount() == 1 && r && r->IsString() &&
           std::string_view(r->GetString()) == "AWS::NoValue";
  }

  bool String(const Value& v, const char* field, std::string* out, std::string* err) const {
    if (v.IsString()) {
      *out = v.GetString();
      return true;
    }
    if (v.IsInt64() || v.IsUint64()) {  // YAML plain numbers in string fields ("User: 1000")
      *out = v.IsInt64() ? std::to_string(v.GetInt64()) : std::to_string(v.GetUint64());
      return true;
    }
    if (v.IsObject() && v.MemberCount() == 1) {
      const Value* r = Get(v, "Ref");
      if (r && r->IsString()) {
        auto it = params_.find(r->GetString());
        if (it != params_.end()) {
          *out = it->second;
          return true;
        }
        return Fail(field,
                    "{\"Ref\": \"" + std::string(r->GetString()) +
                        "\"} has no value here: give the parameter a Default or pass --parameter " +
                        r->GetString() + "=VALUE",
                    err);
      }
      const Value* sub = Get(v, "Fn::Sub");
      if (sub && sub->IsString()) return Sub(sub->GetString(), field, out, err);
    }
    return Fail(field,
                "kilt local cannot evaluate " + Compact(v) +
                    " offline; use a plain value or a {\"Ref\": Parameter} with a Default",
                err);
  }

  bool StringList(const Value& v, const char* field, std::vector<std::string>* out,
                  std::string* err) const {
    if (!v.IsArray()) return Fail(field, "must be a list of strings, got " + Compact(v), err);
    for (const Value& el : v.GetArray()) {
      if (IsNoValue(el)) continue;
      std::string s;
      if (!String(el, field, &s, err)) return false;
      out->push_back(std::move(s));
    }
    return true;
  }

  bool Bool(const Value& v, const char* field, bool* out, std::string* err) const {
    if (v.IsBool()) {
      *out = v.GetBool();
      return true;
    }
    if (v.IsString() &&
        (std::string_view(v.GetString()) == "true" || std::string_view(v.GetString()) == "false")) {
      *out = std::string_view(v.GetString()) == "true";
      return true;
    }
    return Fail(field, "must be true or false, got " + Compact(v), err);
  }

  bool Int(const Value& v, const char* field, int* out, std::string* err) const {
    if (v.IsInt()) {
      *out = v.GetInt();
      return true;
    }
    std::string s;
    if (v.IsString() || v.IsObject()) {
      if (!String(v, field, &s, err)) return false;
      char* end = nullptr;
      long n = std::strtol(s.c_str(), &end, 10);
      if (!s.empty() && *end == '\0') {
        *out = static_cast<int>(n);
        return true;
      }
    }
    return Fail(field, "must be an integer, got " + Compact(v), err);
  }

  bool Fail(const char* field, const std::string& what, std::string* err) const {
    *err = where_ + (field ? std::string(": ") + field : std::string()) + ": " + what;
    return false;
  }

 private:
  bool Sub(const std::string& s, const char* field, std::string* out, std::string* err) const {
    std::string r;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '$' && i + 1 < s.size() && s[i + 1] == '{') {
        size_t close = s.find('}', i);
        if (close == std::string::npos) return Fail(field, "unterminated ${ in Fn::Sub", err);
        std::string name = s.substr(i + 2, close - i - 2);
        if (!name.empty() && name[0] == '!') {
          r += "${" + name.substr(1) + "}";
        } else {
          auto it = params_.find(name);
          if (it == params_.end())
            return Fail(field,
                        "Fn::Sub refers to ${" + name +
                            "}, which has no value offline; pass --parameter " + name + "=VALUE",
                        err);
          r += it->second;
        }
        i = close;
      } else {
        r += s[i];
      }
    }
    *out = std::move(r);
    return true;
  }

  std::map<std::string, std::string> params_;
  std::string where_;
};

bool ParseCondition(const std::string& s, DependsCondition* c) {
  if (s == "START")
    *c = DependsCondition::kStart;
  else if (s == "COMPLETE")
    *c = DependsCondition::kComplete;
  else if (s == "SUCCESS")
    *c = DependsCondition::kSuccess;
  else if (s == "HEALTHY")
    *c = DependsCondition::kHealthy;
  else
    return false;
  return true;
}

bool ParseContainer(const Value& c, const Keys& k, Evaluator* ev, const std::string& where,
                    ContainerSpec* out, std::vector<std::string>* warnings, std::string* err) {
  if (!c.IsObject()) return ev->Fail(nullptr, "a container definition must be an object", err);
  ev->SetWhere(where);
  const Value* v = Get(c, k.name);
  if (!v) return ev->Fail(k.name, "missing (every container needs a name)", err);
  if (!ev->String(*v, k.name, &out->name, err)) return false;
  ev->SetWhere(where + "/" + out->name);
  v = Get(c, k.image);
  if (!v) return ev->Fail(k.image, "missing", err);
  if (!ev->String(*v, k.image, &out->image, err)) return false;
  if ((v = Get(c, k.entry_point)) && !Evaluator::IsNoValue(*v)) {
    out->entry_point.emplace();
    if (!ev->StringList(*v, k.entry_point, &*out->entry_point, err)) return false;
  }
  if ((v = Get(c, k.command)) && !Evaluator::IsNoValue(*v)) {
    out->command.emplace();
    if (!ev->StringList(*v, k.command, &*out->command, err)) return false;
  }
  if ((v = Get(c, k.environment)) && !Evaluator::IsNoValue(*v)) {
    if (!v->IsArray()) return ev->Fail(k.environment, "must be a list of {name, value}", err);
    for (const Value& e : v->GetArray()) {
      if (Evaluator::IsNoValue(e)) continue;
      const Value* n = Get(e, k.env_name);
      const Value* val = Get(e, k.env_value);
      std::string name, value;
      if (!n) return ev->Fail(k.environment, "an entry has no " + std::string(k.env_name), err);
      if (!ev->String(*n, k.environment, &name, err)) return false;
      if (val && !ev->String(*val, k.environment, &value, err)) return false;
      out->environment.emplace_back(std::move(name), std::move(value));
    }
  }
  if ((v = Get(c, k.essential)) && !ev->Bool(*v, k.essential, &out->essential, err)) return false;
  if ((v = Get(c, k.volumes_from)) && !Evaluator::IsNoValue(*v)) {
    if (!v->IsArray()) return ev->Fail(k.volumes_from, "must be a list", err);
    for (const Value& e : v->GetArray()) {
      VolumeFrom vf;
      const Value* s = Get(e, k.source_container);
      if (!s)
        return ev->Fail(k.volumes_from, "an entry has no " + std::string(k.source_container), err);
      if (!ev->String(*s, k.volumes_from, &vf.source_container, err)) return false;
      const Value* ro = Get(e, k.read_only);
      if (ro && !ev->Bool(*ro, k.read_only, &vf.read_only, err)) return false;
      out->volumes_from.push_back(std::move(vf));
    }
  }
  if ((v = Get(c, k.mount_points)) && !Evaluator::IsNoValue(*v)) {
    if (!v->IsArray()) return ev->Fail(k.mount_points, "must be a list", err);
    for (const Value& e : v->GetArray()) {
      MountPoint mp;
      const Value* s = Get(e, k.source_volume);
      const Value* p = Get(e, k.container_path);
      if (!s || !p)
        return ev->Fail(k.mount_points, "an entry needs SourceVolume and ContainerPath", err);
      if (!ev->String(*s, k.mount_points, &mp.source_volume, err)) return false;
      if (!ev->String(*p, k.mount_points, &mp.container_path, err)) return false;
      const Value* ro = Get(e, k.read_only);
      if (ro && !ev->Bool(*ro, k.read_only, &mp.read_only, err)) return false;
      out->mount_points.push_back(std::move(mp));
    }
  }
  if ((v = Get(c, k.depends_on)) && !Evaluator::IsNoValue(*v)) {
    if (!v->IsArray()) return ev->Fail(k.depends_on, "must be a list", err);
    for (const Value& e : v->GetArray()) {
      Dependency d;
      std::string cond = "START";
      const Value* n = Get(e, k.container_name);
      if (!n)
        return ev->Fail(k.depends_on, "an entry has no " + std::string(k.container_name), err);
      if (!ev->String(*n, k.depends_on, &d.container, err)) return false;
      const Value* cv = Get(e, k.condition);
      if (cv && !ev->String(*cv, k.condition, &cond, err)) return false;
      if (!ParseCondition(cond, &d.condition))
        return ev->Fail(k.condition, "\"" + cond + "\" is not START, COMPLETE, SUCCESS or HEALTHY",
                        err);
      if (d.condition == DependsCondition::kHealthy)
        warnings->push_back(out->name + ": DependsOn " + d.container +
                            " HEALTHY is treated as START (kilt local runs no health checks)");
      out->depends_on.push_back(std::move(d));
    }
  }
  if ((v = Get(c, k.user)) && !Evaluator::IsNoValue(*v) && !ev->String(*v, k.user, &out->user, err))
    return false;
  if ((v = Get(c, k.working_directory)) && !Evaluator::IsNoValue(*v) &&
      !ev->String(*v, k.working_directory, &out->working_directory, err))
    return false;
  if ((v = Get(c, k.stop_timeout)) && !Evaluator::IsNoValue(*v)) {
    if (!ev->Int(*v, k.stop_timeout, &out->stop_timeout_s, err)) return false;
    if (out->stop_timeout_s < 0 || out->stop_timeout_s > 120)
      return ev->Fail(k.stop_timeout, "must be between 0 and 120 seconds", err);
  }
  if (const Value* lp = Get(c, k.linux_parameters)) {
    if (const Value* caps = Get(*lp, k.capabilities)) {
      if (const Value* add = Get(*caps, k.add)) {
        if (!ev->StringList(*add, k.add, &out->cap_add, err)) return false;
      }
    }
  }
  return true;
}

bool ParseTaskObject(const Value& td, const Keys& k, const std::string& where,
                     const std::map<std::string, std::string>& params, TaskSpec* out,
                     std::string* err) {
  Evaluator ev(params, where);
  out->name = where;
  const Value* defs = Get(td, k.container_definitions);
  if (!defs || !defs->IsArray() || defs->Empty())
    return ev.Fail(k.container_definitions, "missing or empty: nothing to run", err);
  for (const Value& c : defs->GetArray()) {
    ContainerSpec spec;
    if (!ParseContainer(c, k, &ev, where, &spec, &out->warnings, err)) return false;
    out->containers.push_back(std::move(spec));
  }
  if (const Value* vols = Get(td, k.volumes)) {
    if (vols->IsArray()) {
      for (const Value& v : vols->GetArray()) {
        const Value* n = Get(v, k.name);
        std::string name;
        ev.SetWhere(where);
        if (n && ev.String(*n, k.volumes, &name, err))
          out->volumes.push_back(name);
        else if (n)
          return false;
      }
    }
  }
  return true;
}

bool ParseDocument(std::string_view text, rapidjson::Document* doc, std::string* err) {
  size_t i = text.find_first_not_of(" \t\r\n");
  if (i != std::string_view::npos && text[i] == '{') {
    doc->Parse(text.data(), text.size());
    if (doc->HasParseError()) {
      *err = "invalid JSON at offset " + std::to_string(doc->GetErrorOffset()) + ": " +
             rapidjson::GetParseError_En(doc->GetParseError());
      return false;
    }
    return true;
  }
  YamlStyle style;
  return ParseCfnYaml(text, doc, &style, err);
}

}  // namespace

bool ParseTask(std::string_view text, std::string_view source, std::string_view resource,
               const std::vector<std::pair<std::string, std::string>>& parameters, TaskSpec* out,
               std::string* err) {
  *out = TaskSpec{};
  rapidjson::Document doc;
  std::string e;
  if (!ParseDocument(text, &doc, &e)) {
    *err = std::string(source) + ": " + e;
    return false;
  }
  if (!doc.IsObject()) {
    *err = std::string(source) +
           ": expected an ECS task definition or a CloudFormation template (an object)";
    return false;
  }
  std::map<std::string, std::string> params;
  const Value* resources = Get(doc, "Resources");
  if (!resources) {
    // ECS API JSON: the object itself, or describe-task-definition output's `taskDefinition`.
    const Value* td = Get(doc, "taskDefinition");
    if (!td) td = &doc;
    for (auto& [k, v] : parameters) params[k] = v;
    std::string family = "task";
    if (const Value* f = Get(*td, "family"); f && f->IsString()) family = f->GetString();
    if (!Get(*td, "containerDefinitions")) {
      *err = std::string(source) +
             ": neither an ECS task definition (containerDefinitions) nor a CloudFormation "
             "template (Resources)";
      return false;
    }
    if (!ParseTaskObject(*td, kEcs, std::string(source) + ": " + family, params, out, err))
      return false;
    out->name = family;
    return true;
  }
  // CloudFormation: parameter defaults, overridden by --parameter values.
  if (const Value* ps = Get(doc, "Parameters"); ps && ps->IsObject()) {
    for (auto& m : ps->GetObject()) {
      const Value* d = Get(m.value, "Default");
      if (d && d->IsString())
        params[m.name.GetString()] = d->GetString();
      else if (d && d->IsNumber())
        params[m.name.GetString()] = Compact(*d);
    }
  }
  for (auto& [k, v] : parameters) params[k] = v;
  params.emplace("AWS::Region", "us-east-1");
  params.emplace("AWS::AccountId", "123456789012");
  params.emplace("AWS::Partition", "aws");
  std::vector<std::string> ids;
  if (resources->IsObject()) {
    for (auto& m : resources->GetObject()) {
      const Value* t = Get(m.value, "Type");
      if (t && t->IsString() && std::string_view(t->GetString()) == "AWS::ECS::TaskDefinition")
        ids.push_back(m.name.GetString());
    }
  }
  std::string id(resource);
  if (id.empty()) {
    if (ids.size() != 1) {
      std::string list;
      for (auto& i : ids) list += (list.empty() ? "" : ", ") + i;
      *err =
          std::string(source) + ": " +
          (ids.empty() ? std::string("no AWS::ECS::TaskDefinition resource in this template")
                       : "several task definitions (" + list + "); choose one with --resource ID");
      return false;
    }
    id = ids[0];
  } else if (std::find(ids.begin(), ids.end(), id) == ids.end()) {
    std::string list;
    for (auto& i : ids) list += (list.empty() ? "" : ", ") + i;
    *err = std::string(source) + ": no AWS::ECS::TaskDefinition named " + id +
           " (found: " + (list.empty() ? "none" : list) + ")";
    return false;
  }
  const Value* props = Get(*Get(*resources, id.c_str()), "Properties");
  if (!props) {
    *err = std::string(source) + ": " + id + ": the resource has no Properties";
    return false;
  }
  if (!ParseTaskObject(*props, kCfn, std::string(source) + ": " + id, params, out, err))
    return false;
  out->name = id;
  return true;
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
