#include "patcher/task_definition.h"

#include <algorithm>
#include <functional>

#include "base/strings.h"
#include "patcher/argv_expr.h"
#include "patcher/cfn_sub.h"

namespace kilt {

using rapidjson::Value;

namespace {

bool IsString(const Value* v, std::string_view s) {
  return v != nullptr && v->IsString() && std::string_view(v->GetString(), v->GetStringLength()) == s;
}


// Whether a selection tag's key ("kilt-ignore", ...) appears as a string anywhere inside `v`.
bool MentionsSelectionTag(const Value& v) {
  if (v.IsString()) return std::string_view(v.GetString(), v.GetStringLength()).substr(0, 5) == "kilt-";
  if (v.IsArray()) {
    for (const Value& e : v.GetArray())
      if (MentionsSelectionTag(e)) return true;
  } else if (v.IsObject()) {
    for (const auto& m : v.GetObject())
      if (MentionsSelectionTag(m.value)) return true;
  }
  return false;
}

// Mutable access to the branches of a Fn::If.
bool SplitIfMutable(Value* v, Value** then_v, Value** else_v) {
  const Value *c, *t, *e;
  if (!SplitIf(*v, &c, &t, &e)) return false;
  *then_v = const_cast<Value*>(t);
  *else_v = const_cast<Value*>(e);
  return true;
}

}  // namespace

struct TaskDefinitionPatcher::Selection {
  bool selected = true;
  std::string skip_reason;
  bool has_only = false;
  std::set<std::string> only;    // when has_only: patch just these containers
  std::set<std::string> ignore;  // never patch these containers
};

void TaskDefinitionPatcher::Error(const std::string& container, const std::string& message) {
  report_->errors.push_back({o_.resource, container, message});
}

// A string as it will be at deploy time, when kilt can know it: a literal, or (CloudFormation) a Ref or
// Fn::Sub over stack and pseudo parameters whose values the caller passed (see cfn_sub.h).
bool TaskDefinitionPatcher::ResolveString(const Value& v, std::string* out, std::string* why) const {
  if (why != nullptr) why->clear();
  if (v.IsString()) {
    out->assign(v.GetString(), v.GetStringLength());
    return true;
  }
  return d_.intrinsics && ResolveCfnString(v, o_.input->parameters, out, why);
}

// A hint may name an image by its Fn::Sub text (for a ${Repo.RepositoryUri} kilt cannot resolve).
const ImageHint* TaskDefinitionPatcher::FindSubHint(const Value* image) const {
  if (image == nullptr || !d_.intrinsics || IntrinsicName(*image) != "Fn::Sub") return nullptr;
  const Value& arg = image->MemberBegin()->value;
  const Value* text = arg.IsArray() && arg.Size() == 2 ? &arg[0] : &arg;
  if (!text->IsString()) return nullptr;
  for (const ImageHint& h : r_.hints)
    if (h.image == text->GetString()) return &h;
  return nullptr;
}

std::string TaskDefinitionPatcher::ContainerLabel(const Value& c) const {
  const Value* name = Member(c, d_.name);
  if (name == nullptr) return "(unnamed)";
  std::string s;
  if (ResolveString(*name, &s)) return s;
  return Describe(*name);
}

// The selection marks of one source: the task definition's tags (compatible with the original kilt), or
// its Metadata.Kilt.
struct TaskDefinitionPatcher::SelectionMarks {
  bool ignore = false;                 // kilt-ignore / Ignore
  bool include = false;                // kilt-include / Include
  bool has_only = false;               // kilt-include-containers / Containers
  std::vector<std::string> only;
  std::vector<std::string> ignore_containers;  // kilt-ignore-containers / IgnoreContainers
};

bool TaskDefinitionPatcher::Select(const Value& task, Selection* sel) {
  auto skip = [&](std::string why) {
    sel->selected = false;
    sel->skip_reason = std::move(why);
    return true;
  };
  std::string why;
  if (!PlatformSkipReason(task, &why)) return false;
  if (!why.empty()) return skip(why);

  SelectionMarks tags, meta;
  bool ok = ReadSelectionTags(task, &tags);
  ok = ReadKiltMetadata(&meta) && ok;
  if (!ok) return false;

  if (tags.ignore || meta.ignore) return skip(tags.ignore ? "tagged kilt-ignore" : "Metadata.Kilt.Ignore is true");
  if (r_.opt_in && !(tags.include || tags.has_only || meta.include || meta.has_only))
    return skip("opt-in mode and not tagged kilt-include / kilt-include-containers (or Metadata.Kilt.Include)");
  if (tags.has_only || meta.has_only) {
    sel->has_only = true;
    sel->only.insert(tags.only.begin(), tags.only.end());
    sel->only.insert(meta.only.begin(), meta.only.end());
  }
  sel->ignore.insert(tags.ignore_containers.begin(), tags.ignore_containers.end());
  sel->ignore.insert(meta.ignore_containers.begin(), meta.ignore_containers.end());
  return true;
}

// Why the recipe leaves this task definition alone (a Windows one, or compatibilities it does not select):
// *why empty when it does not. False (reported) when RequiresCompatibilities is malformed.
bool TaskDefinitionPatcher::PlatformSkipReason(const Value& task, std::string* why) {
  if (const Value* rp = Member(task, d_.runtime_platform)) {
    const Value* os = Member(*rp, d_.operating_system_family);
    if (os != nullptr && os->IsString() && std::string_view(os->GetString()).substr(0, 7) == "WINDOWS") {
      *why = std::string("a Windows task definition (") + os->GetString() + "): /kilt/run is a Linux program";
      return true;
    }
  }

  // Compatibilities: absent means EC2 (ECS's default). A value kilt cannot resolve (a condition, a
  // parameter it was not given) may mean Fargate, so the task definition is patched: the patch is valid
  // on EC2 too, and Metadata Kilt Ignore opts out.
  std::vector<std::string> known;
  bool unknown = false;
  const Value* rc = Member(task, d_.requires_compatibilities);
  if (rc == nullptr || (d_.intrinsics && IsNoValue(*rc))) {
    known.push_back("EC2");
  } else if (rc->IsArray()) {
    for (const Value& e : rc->GetArray()) {
      std::string s;
      if (ResolveString(e, &s)) known.push_back(s);
      else unknown = true;
    }
  } else if (d_.intrinsics && IsIntrinsic(*rc)) {
    unknown = true;
  } else {
    Error("", std::string(d_.requires_compatibilities) + " must be a list, not " + Describe(*rc));
    return false;
  }
  bool matches = false;
  for (const std::string& k : known)
    matches |= std::find(r_.compatibilities.begin(), r_.compatibilities.end(), k) != r_.compatibilities.end();
  if (!matches && !unknown) {
    std::string list;
    for (const std::string& k : known) list += (list.empty() ? "" : ",") + k;
    std::string want;
    for (const std::string& k : r_.compatibilities) want += (want.empty() ? "" : ",") + k;
    *why = (rc == nullptr ? std::string("no ") + d_.requires_compatibilities + " (EC2 by default)"
                          : std::string(d_.requires_compatibilities) + " [" + list + "]") +
           "; the recipe patches " + want + " (selection.compatibilities)";
  }
  return true;
}

// The selection tags (kilt-ignore, kilt-include, kilt-*-containers). False (reported) when one of them
// cannot be read at patch time.
bool TaskDefinitionPatcher::ReadSelectionTags(const Value& task, SelectionMarks* marks) {
  bool ok = true;
  const Value* tags = Member(task, d_.tags);
  auto undecidable = [&](const std::string& what) {
    Error("", what + "; kilt selects at patch time, so its selection tags (kilt-ignore, kilt-include, "
                     "kilt-*-containers) must be written out as literal strings" +
                     (d_.intrinsics ? " (or give the parameter's value with --parameter)" : ""));
    ok = false;
  };
  if (tags != nullptr && d_.intrinsics && IsIntrinsic(*tags) && !IsNoValue(*tags)) {
    // Tags as a whole computed (Fn::If over two lists, a Ref): kilt cannot tell which tags apply.
    if (MentionsSelectionTag(*tags)) undecidable(std::string(d_.tags) + " is " + Describe(*tags));
    return ok;
  }
  if (tags == nullptr || !tags->IsArray()) return ok;
  for (const Value& t : tags->GetArray()) {
    if (d_.intrinsics && IsIntrinsic(t)) {
      if (!IsNoValue(t) && MentionsSelectionTag(t)) undecidable("a tag is " + Describe(t));
      continue;
    }
    const Value* k = Member(t, d_.tag_key);
    if (k == nullptr) continue;  // not a tag: the template's validator will say so
    std::string key;
    if (!ResolveString(*k, &key)) {
      // A computed key may be a selection tag at deploy time.
      undecidable("the key of tag " + Describe(t) + " is not a literal");
      continue;
    }
    if (key != "kilt-ignore" && key != "kilt-ignore-containers" && key != "kilt-include" &&
        key != "kilt-include-containers")
      continue;  // other tags may be anything
    const Value* v = Member(t, d_.tag_value);
    if (v != nullptr && !v->IsString()) {
      Error("", "tag " + key + " has the value " + Describe(*v) +
                    "; kilt selects at patch time, so selection tags need a literal string value");
      ok = false;
      continue;
    }
    std::string value = v != nullptr ? v->GetString() : "";
    if (key == "kilt-ignore") marks->ignore = true;
    if (key == "kilt-include") marks->include = true;
    if (key == "kilt-ignore-containers") marks->ignore_containers = base::Split(value, ':');
    if (key == "kilt-include-containers") {
      marks->has_only = true;
      marks->only = base::Split(value, ':');
    }
  }
  return ok;
}

// CloudFormation's Metadata.Kilt. False (reported) when it is malformed.
bool TaskDefinitionPatcher::ReadKiltMetadata(SelectionMarks* marks) {
  const Value* m = o_.kilt_metadata;
  if (m == nullptr) return true;
  if (!m->IsObject()) {
    Error("", "Metadata.Kilt must be an object such as {\"Ignore\": true}, not " + Describe(*m));
    return false;
  }
  bool ok = true;
  for (auto& member : m->GetObject()) {
    std::string key = member.name.GetString();
    const Value& v = member.value;
    auto strings = [&](std::vector<std::string>* out) {
      if (!v.IsArray()) return false;
      for (const Value& e : v.GetArray()) {
        if (!e.IsString()) return false;
        out->push_back(e.GetString());
      }
      return true;
    };
    if (key == "Ignore" && v.IsBool()) {
      marks->ignore = v.GetBool();
    } else if (key == "Include" && v.IsBool()) {
      marks->include = v.GetBool();
    } else if (key == "Containers" && strings(&marks->only)) {
      marks->has_only = true;
    } else if (key == "IgnoreContainers" && strings(&marks->ignore_containers)) {
    } else {
      Error("", "Metadata.Kilt." + key + " is " + Describe(v) +
                    "; accepted: Ignore (bool), Include (bool), Containers (list of names), IgnoreContainers "
                    "(list of names)");
      ok = false;
    }
  }
  return ok;
}

// Finds every container list (ContainerDefinitions, or the branches of a Fn::If around it) and every
// container in them (also containers wrapped in a Fn::If element).
bool TaskDefinitionPatcher::CollectContainers(Value* defs, std::vector<Value*>* lists, std::vector<Value*>* containers) {
  Value *t, *e;
  if (defs->IsArray()) {
    lists->push_back(defs);
    for (Value& c : defs->GetArray()) {
      if (c.IsObject() && !(d_.intrinsics && IsIntrinsic(c))) {
        containers->push_back(&c);
      } else if (d_.intrinsics && SplitIfMutable(&c, &t, &e)) {
        for (Value* b : {t, e}) {
          if (IsNoValue(*b)) continue;
          if (!b->IsObject() || IsIntrinsic(*b)) {
            Error("", std::string(d_.container_definitions) + " holds a Fn::If whose branch is " + Describe(*b) +
                          "; kilt needs each container written out");
            return false;
          }
          containers->push_back(b);
        }
      } else {
        Error("", std::string(d_.container_definitions) + " holds " + Describe(c) +
                      "; kilt needs each container written out as an object");
        return false;
      }
    }
    return true;
  }
  if (d_.intrinsics && SplitIfMutable(defs, &t, &e)) {
    for (Value* b : {t, e})
      if (!IsNoValue(*b) && !CollectContainers(b, lists, containers)) return false;
    return true;
  }
  Error("", std::string(d_.container_definitions) + " is " + Describe(*defs) + ", not a list of containers");
  return false;
}

bool TaskDefinitionPatcher::IsOurSidecar(const Value& c) const {
  const Value* labels = Member(c, d_.docker_labels);
  return labels != nullptr && IsString(Member(*labels, kSidecarLabel), kSidecarLabelValue);
}

const ImageConfig* TaskDefinitionPatcher::FindImage(const Value* image, const std::string& platform, bool need_cmd,
                                                    std::string* err) {
  static const ImageConfig kPlaceholder{{"/listing-only"}, {}, ""};
  std::string ref, why;
  bool resolved = image != nullptr && ResolveString(*image, &ref, &why);
  const ImageHint* sub_hint = resolved ? nullptr : FindSubHint(image);
  if (o_.needs != nullptr) {
    if (resolved) o_.needs->insert({ref, platform});
    return &kPlaceholder;
  }
  const std::string what = need_cmd ? "ENTRYPOINT and CMD" : "ENTRYPOINT";
  const std::string cause = need_cmd ? std::string("neither ") + d_.entry_point + " nor " + d_.command + " is set"
                                     : std::string(d_.entry_point) + " is not set";
  if (sub_hint != nullptr) {
    hint_configs_.push_back({sub_hint->entrypoint, sub_hint->cmd, ""});
    return &hint_configs_.back();
  }
  if (!resolved) {
    std::string shown = image ? Describe(*image) : "missing";
    if (image != nullptr && IntrinsicName(*image) == "Fn::Sub") shown = "Fn::Sub " + ToJson(image->MemberBegin()->value);
    *err = cause + ", so kilt must know the image's " + what + ", but the image is " + shown +
           (why.empty() ? std::string(", which kilt cannot resolve to a reference") : ", and " + why) +
           ": set " + d_.entry_point + " and " + d_.command + " on the container" +
           (d_.intrinsics ? ", give the parameter's value, or add a [[hints]] entry whose image is the "
                            "Fn::Sub text"
                          : "");
    return nullptr;
  }
  auto it = o_.input->images.find({ref, platform});
  if (it != o_.input->images.end()) return &it->second;
  for (const ImageHint& h : r_.hints) {
    if (h.image == ref) {
      hint_configs_.push_back({h.entrypoint, h.cmd, ""});
      return &hint_configs_.back();
    }
  }
  *err = cause + ", so kilt must know the " + what + " of image " + ref + " (" + platform + "): set " +
         d_.entry_point + " and " + d_.command + " on the container, add a [[hints]] entry for \"" + ref +
         "\" to the recipe, or look it up in the registry (kilt patch --lookup)";
  return nullptr;
}

namespace {

// Edits every value a property can have at deploy time: the value itself, or each branch of a Fn::If
// (recursively). An absent property or an AWS::NoValue branch becomes `empty` and is edited too.
class SlotEditor {
 public:
  SlotEditor(bool intrinsics, JsonAlloc& a) : intrinsics_(intrinsics), a_(a) {}

  bool EditMember(Value* parent, const char* key, rapidjson::Type type, const std::function<bool(Value*)>& edit,
                  std::string* err) {
    Value* v = Member(*parent, key);
    if (v == nullptr) {
      Value fresh(type);
      if (!edit(&fresh)) return false;
      parent->AddMember(Str(key, a_), fresh, a_);
      return true;
    }
    return EditSlot(v, key, type, edit, err);
  }

 private:
  bool EditSlot(Value* v, const char* key, rapidjson::Type type, const std::function<bool(Value*)>& edit,
                std::string* err) {
    if (intrinsics_ && IsNoValue(*v)) {
      *v = Value(type);
      return edit(v);
    }
    Value *t, *e;
    if (intrinsics_ && SplitIfMutable(v, &t, &e))
      return EditSlot(t, key, type, edit, err) && EditSlot(e, key, type, edit, err);
    if (v->GetType() == type && !(intrinsics_ && IsIntrinsic(*v))) return edit(v);
    *err = std::string(key) + " is " + Describe(*v) + "; kilt can extend only " +
           (type == rapidjson::kArrayType ? "a list" : "an object") + (intrinsics_ ? " (or a Fn::If of those)" : "");
    return false;
  }

  bool intrinsics_;
  JsonAlloc& a_;
};

}  // namespace

bool TaskDefinitionPatcher::PatchContainer(Value* c, const std::string& label, const std::string& platform) {
  std::string err;
  const Value* image = Member(*c, d_.image);
  if (image == nullptr) {
    Error(label, std::string("has no ") + d_.image);
    return false;
  }

  // Command := original argv by Docker's rule; EntryPoint := the launcher. A container whose EntryPoint is
  // already the launcher was patched before: its Command is the original argv already.
  Value launcher(rapidjson::kArrayType);
  for (const std::string& s : r_.entrypoint) launcher.PushBack(Str(s, a_), a_);
  const Value* ep = Member(*c, d_.entry_point);
  if (ep != nullptr && ep->IsArray() && !ep->Empty() && !r_.entrypoint.empty() &&
      IsString(&(*ep)[0], r_.entrypoint[0]) && *ep != launcher) {
    Error(label, std::string(d_.entry_point) + " " + Describe(*ep) + " starts with " + r_.entrypoint[0] +
                     " but is not the recipe's " + Describe(launcher) +
                     ": wrapping it again would run the launcher under itself; give the container its original " +
                     d_.entry_point + " and " + d_.command + ", or leave it out of the selection");
    return false;
  }
  if (ep != nullptr && *ep == launcher) {
    // Wrapped before: the Command holds the original argv. Without one, what the container ran is lost.
    const Value* cmd = Member(*c, d_.command);
    if (cmd == nullptr || (cmd->IsArray() && cmd->Empty()) || (d_.intrinsics && IsNoValue(*cmd))) {
      Error(label, std::string(d_.entry_point) + " is already " + Describe(launcher) + " but " + d_.command +
                       " is empty, so what the container ran is lost: give it its original " + d_.entry_point +
                       " and " + d_.command);
      return false;
    }
  }
  if (ep == nullptr || *ep != launcher) {
    Value command;
    const Value* cmd = Member(*c, d_.command);
    ImageConfigSource source = [&](bool need_cmd, std::string* e) { return FindImage(image, platform, need_cmd, e); };
    if (!ComposeArgvExpr(ep, cmd, d_.intrinsics, source, a_, &command, &err)) {
      // Messages from the composer start with what is wrong with the original fields.
      std::string field = ep != nullptr ? std::string(d_.entry_point) + "/" + d_.command : d_.command;
      if (err.rfind("neither", 0) == 0 || err.rfind(d_.entry_point, 0) == 0 || err.rfind("would run", 0) == 0)
        Error(label, err);
      else
        Error(label, field + " " + err);
      return false;
    }
    SetMember(c, d_.entry_point, std::move(launcher), a_);
    SetMember(c, d_.command, std::move(command), a_);
  }

  SlotEditor ed(d_.intrinsics, a_);
  const std::string& sidecar = r_.sidecar_name;
  auto add_volumes_from = [&](Value* list) {
    for (const Value& e : list->GetArray())
      if (IsString(Member(e, d_.source_container), sidecar)) return true;
    Value v(rapidjson::kObjectType);
    v.AddMember(Str(d_.source_container, a_), Str(sidecar, a_), a_);
    v.AddMember(Str(d_.read_only, a_), Value(true), a_);
    list->PushBack(v, a_);
    return true;
  };
  auto add_depends_on = [&](Value* list) {
    for (const Value& e : list->GetArray())
      if (IsString(Member(e, d_.container_name), sidecar)) return true;
    Value v(rapidjson::kObjectType);
    v.AddMember(Str(d_.container_name, a_), Str(sidecar, a_), a_);
    v.AddMember(Str(d_.condition, a_), Str(r_.depends_on_condition, a_), a_);
    list->PushBack(v, a_);
    return true;
  };

  // Environment: fixed variables, then metadata (task, container name, image: copied exactly, intrinsics too).
  struct Var {
    std::string name;
    Value value;
    bool force;
  };
  std::vector<Var> vars;
  for (const RecipeEnv& e : r_.env) vars.push_back({e.name, Str(e.value, a_), e.force});
  if (!r_.task_env.empty()) vars.push_back({r_.task_env, Str(o_.resource, a_), false});
  if (!r_.container_env.empty()) {
    const Value* n = Member(*c, d_.name);
    vars.push_back({r_.container_env, n ? Copy(*n, a_) : Str("", a_), false});
  }
  if (!r_.image_env.empty()) vars.push_back({r_.image_env, Copy(*image, a_), false});
  auto add_env = [&](Value* list) {
    for (Var& var : vars) {
      // The user's variables of the same name: plain entries, and entries inside an element-level Fn::If.
      std::vector<Value*> same;
      for (Value& e : list->GetArray()) {
        Value *t, *f;
        if (d_.intrinsics && SplitIfMutable(&e, &t, &f)) {
          for (Value* b : {t, f})
            if (IsString(Member(*b, d_.env_name), var.name)) same.push_back(b);
        } else if (IsString(Member(e, d_.env_name), var.name)) {
          same.push_back(&e);
        }
      }
      if (same.empty()) {
        Value v(rapidjson::kObjectType);
        v.AddMember(Str(d_.env_name, a_), Str(var.name, a_), a_);
        v.AddMember(Str(d_.env_value, a_), Copy(var.value, a_), a_);
        list->PushBack(v, a_);
      } else if (var.force) {
        for (Value* s : same) SetMember(s, d_.env_value, Copy(var.value, a_), a_);
      }
    }
    return true;
  };
  auto add_caps = [&](Value* list) {
    for (const std::string& cap : r_.capabilities) {
      bool present = false;
      for (const Value& e : list->GetArray()) present |= IsString(&e, cap);
      if (!present) list->PushBack(Str(cap, a_), a_);
    }
    return true;
  };
  auto edit_capabilities = [&](Value* caps) {
    return ed.EditMember(caps, d_.add, rapidjson::kArrayType, add_caps, &err);
  };
  auto edit_linux = [&](Value* lp) {
    return ed.EditMember(lp, d_.capabilities, rapidjson::kObjectType, edit_capabilities, &err);
  };
  bool ok = ed.EditMember(c, d_.volumes_from, rapidjson::kArrayType, add_volumes_from, &err) &&
            ed.EditMember(c, d_.depends_on, rapidjson::kArrayType, add_depends_on, &err) &&
            (vars.empty() || ed.EditMember(c, d_.environment, rapidjson::kArrayType, add_env, &err)) &&
            (r_.capabilities.empty() ||
             ed.EditMember(c, d_.linux_parameters, rapidjson::kObjectType, edit_linux, &err));
  if (!ok) {
    Error(label, err);
    return false;
  }
  return true;
}

Value TaskDefinitionPatcher::BuildSidecar(const Value* app_log, std::string* err) {
  Value s(rapidjson::kObjectType);
  s.AddMember(Str(d_.name, a_), Str(r_.sidecar_name, a_), a_);
  s.AddMember(Str(d_.image, a_), Str(r_.kilt_image, a_), a_);
  s.AddMember(Str(d_.essential, a_), Value(r_.sidecar_essential), a_);
  if (!r_.sidecar_command.empty()) {
    Value cmd(rapidjson::kArrayType);
    for (const std::string& x : r_.sidecar_command) cmd.PushBack(Str(x, a_), a_);
    s.AddMember(Str(d_.command, a_), cmd, a_);
  }
  if (r_.sidecar_cpu > 0) s.AddMember(Str(d_.cpu, a_), Value(r_.sidecar_cpu), a_);
  if (r_.sidecar_memory > 0) s.AddMember(Str(d_.memory, a_), Value(r_.sidecar_memory), a_);
  if (r_.sidecar_memory_reservation > 0)
    s.AddMember(Str(d_.memory_reservation, a_), Value(r_.sidecar_memory_reservation), a_);
  Value log;
  if (r_.log_mode == "copy" && app_log != nullptr) {
    log = Copy(*app_log, a_);
    SetMember(Member(log, d_.options), "awslogs-stream-prefix", Str(r_.log_stream_prefix, a_), a_);
  } else if (r_.log_mode == "group") {
    Value opts(rapidjson::kObjectType);
    opts.AddMember("awslogs-group", Str(r_.log_group, a_), a_);
    if (!r_.log_region.empty()) {
      opts.AddMember("awslogs-region", Str(r_.log_region, a_), a_);
    } else if (d_.intrinsics) {
      Value ref(rapidjson::kObjectType);
      ref.AddMember("Ref", "AWS::Region", a_);
      opts.AddMember("awslogs-region", ref, a_);
    } else {
      *err = "the recipe's sidecar.log.mode is \"group\" but sets no sidecar.log.region, which ECS requires";
      return Value();
    }
    opts.AddMember("awslogs-stream-prefix", Str(r_.log_stream_prefix, a_), a_);
    log = Value(rapidjson::kObjectType);
    log.AddMember(Str(d_.log_driver, a_), Str("awslogs", a_), a_);
    log.AddMember(Str(d_.options, a_), opts, a_);
  }
  if (!log.IsNull()) s.AddMember(Str(d_.log_configuration, a_), log, a_);
  Value labels(rapidjson::kObjectType);
  labels.AddMember(rapidjson::StringRef(kSidecarLabel), rapidjson::StringRef(kSidecarLabelValue), a_);
  s.AddMember(Str(d_.docker_labels, a_), labels, a_);
  return s;
}

void TaskDefinitionPatcher::Patch(Value* task) {
  const size_t errors_before = report_->errors.size();
  if (!task->IsObject()) {
    Error("", "the task definition is " + Describe(*task) + ", not an object");
    return;
  }
  if (r_.kilt_image.empty() && o_.needs == nullptr) {
    Error("", "the recipe names no kilt image: set `image` in the recipe (or the KiltImage parameter)");
    return;
  }
  Selection sel;
  if (!Select(*task, &sel)) return;
  if (!sel.selected) {
    report_->skipped.push_back(o_.resource + ": " + sel.skip_reason);
    return;
  }
  Value* defs = Member(*task, d_.container_definitions);
  if (defs == nullptr) {
    Error("", std::string("has no ") + d_.container_definitions);
    return;
  }
  std::vector<Value*> lists, containers;
  if (!CollectContainers(defs, &lists, &containers)) return;

  std::string platform = "linux/amd64";
  if (const Value* rp = Member(*task, d_.runtime_platform))
    if (IsString(Member(*rp, d_.cpu_architecture), "ARM64")) platform = "linux/arm64";

  const Value* app_log = nullptr;
  size_t patched = 0;
  for (Value* c : containers) {
    std::string label = ContainerLabel(*c);
    const Value* name = Member(*c, d_.name);
    std::string resolved;
    bool known = name != nullptr && ResolveString(*name, &resolved);
    if (known && resolved == r_.sidecar_name) {
      if (!IsOurSidecar(*c))
        Error(label, "uses the sidecar's name \"" + r_.sidecar_name +
                         "\": rename the container or choose another sidecar.name in the recipe");
      continue;
    }
    if (!known && (sel.has_only || !sel.ignore.empty())) {
      Error(label, "its name is not a literal, so kilt cannot match it against the container selection "
                   "(kilt-*-containers tags or Metadata.Kilt); write the name out or pass the parameter's value");
      continue;
    }
    if ((sel.has_only && !sel.only.count(resolved)) || sel.ignore.count(resolved)) {
      report_->skipped.push_back(o_.resource + "/" + label + ": not selected");
      continue;
    }
    if (!PatchContainer(c, label, platform)) continue;
    report_->patched.push_back(o_.resource + "/" + label);
    ++patched;
    if (app_log == nullptr) {
      const Value* lc = Member(*c, d_.log_configuration);
      if (lc != nullptr && IsString(Member(*lc, d_.log_driver), "awslogs") && Member(*lc, d_.options) != nullptr &&
          Member(*lc, d_.options)->IsObject() && !IsIntrinsic(*Member(*lc, d_.options)))
        app_log = lc;
    }
  }
  if (report_->errors.size() != errors_before || o_.needs != nullptr) return;
  if (patched == 0) {
    report_->skipped.push_back(o_.resource + ": no container selected");
    return;
  }

  // One sidecar per container list: a fresh one replaces the one a previous run added (so a changed
  // recipe takes effect; an unchanged one yields identical output).
  std::string err;
  Value sidecar = BuildSidecar(app_log, &err);
  if (sidecar.IsNull()) {
    Error("", err);
    return;
  }
  for (Value* list : lists) {
    bool replaced = false;
    for (Value& c : list->GetArray()) {
      if (c.IsObject() && IsString(Member(c, d_.name), r_.sidecar_name) && IsOurSidecar(c)) {
        c = Copy(sidecar, a_);
        replaced = true;
        break;
      }
    }
    if (!replaced) list->PushBack(Copy(sidecar, a_), a_);
  }
}

}  // namespace kilt
