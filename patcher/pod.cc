// The pod patcher. Rules (docs/webhook.md has the user-facing version):
//  - k8s `command` ≙ Docker ENTRYPOINT, `args` ≙ CMD; `command` set ⇒ the image's CMD is dropped.
//    The patched container runs `command := recipe entrypoint`, `args := what it would have run`.
//  - /kilt is an emptyDir filled by an init container from the kilt image (there is no volumesFrom in
//    Kubernetes), mounted read-only in every patched container.
//  - Idempotent per container: a container whose command already is the recipe entrypoint and that
//    mounts the payload volume is left alone, so reinvocation (reinvocationPolicy: IfNeeded) patches
//    only containers other webhooks added since, and never adds a second init container or volume.
#include "patcher/pod.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <set>
#include <string_view>

#include "base/json.h"
#include "base/strings.h"
#include "patcher/change_log.h"
#include "patcher/command.h"

namespace kilt {
namespace {

using rapidjson::Value;
using Alloc = rapidjson::Document::AllocatorType;

std::string StringAt(const Value& obj, std::string_view key) { return std::string(base::StringMember(obj, key)); }

// Where the patcher makes its changes: the pod's allocator and, when the caller wants a JSON Patch,
// the log of what changed (patcher/change_log.h). Every change to the pod goes through the functions
// below, which take the path of the value they change. Paths are built even without a log: a few
// short strings per container, not worth a second code path.
struct Edit {
  Alloc& a;
  ChangeLog* log;
  // Member `key` or element `index` of the value at `parent` changed.
  template <typename KeyOrIndex>
  void Added(std::string_view parent, KeyOrIndex token) {
    if (log) log->Record(ChangeLog::kAdd, parent, token);
  }
  template <typename KeyOrIndex>
  void Replaced(std::string_view parent, KeyOrIndex token) {
    if (log) log->Record(ChangeLog::kReplace, parent, token);
  }
};

// The pointer of member `key` of the value at `path`.
std::string Child(const std::string& path, std::string_view key) {
  std::string out = path;
  AppendPointerToken(key, &out);
  return out;
}

// Sets obj[key] (an object at `path`) to `v`. `key` is referenced, not copied: pass a literal.
void Set(Edit& e, Value* obj, const std::string& path, const char* key, Value v) {
  if (Value* old = base::Member(*obj, key)) {
    *old = v;
    e.Replaced(path, key);
  } else {
    obj->AddMember(Value(rapidjson::StringRef(key)), v, e.a);
    e.Added(path, key);
  }
}

// Returns obj[key] (obj an object at `path`), creating it as an empty object (or array) when absent or
// null. A value of another type is returned as it is: callers check the type they need.
Value& Ensure(Edit& e, Value* obj, const std::string& path, const char* key, rapidjson::Type type) {
  Value* v = base::Member(*obj, key);
  if (v && !v->IsNull()) return *v;
  Set(e, obj, path, key, Value(type));
  return *base::Member(*obj, key);
}

// Appends `v` to `arr`, the array at `path`.
void Append(Edit& e, Value* arr, const std::string& path, Value v) {
  arr->PushBack(v, e.a);
  e.Added(path, arr->Size() - 1);
}

// Appends the elements of `items` to the list obj[key] (obj an object at `path`); an absent or null
// list is set to `items` whole, as one change. A value of another type is left alone.
void AppendAll(Edit& e, Value* obj, const std::string& path, const char* key, Value items) {
  if (items.Empty()) return;
  Value* list = base::Member(*obj, key);
  if (!list || list->IsNull()) return Set(e, obj, path, key, std::move(items));
  if (!list->IsArray()) return;
  const std::string list_path = Child(path, key);
  for (auto& v : items.GetArray()) Append(e, list, list_path, std::move(v));
}

void SetString(Edit& e, Value* obj, const std::string& path, const char* key, const std::string& s) {
  Set(e, obj, path, key, Value(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), e.a));
}

Value StringArray(const std::vector<std::string>& items, Alloc& a) {
  Value arr(rapidjson::kArrayType);
  for (const auto& s : items)
    arr.PushBack(Value(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), a), a);
  return arr;
}

bool IsFalse(std::string_view s) {
  const std::string lower = base::ToLower(s);
  return lower == "false" || lower == "disabled" || lower == "no" || lower == "0";
}

// Values taken from the image config are not subject to kubelet's $(VAR) expansion when the image
// runs them, but they are once they sit in the pod's args: escape "$(" as "$$(" to keep them literal.
std::string EscapeKubeletExpansion(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '$' && i + 1 < s.size() && s[i + 1] == '(') out += '$';
    out += s[i];
  }
  return out;
}

// Whether two capability names are the same for the kubelet: case-insensitive, "CAP_" optional.
bool SameCapability(std::string_view x, std::string_view y) {
  auto bare = [](std::string_view c) {
    if (c.size() > 4 && (c[0] | 0x20) == 'c' && (c[1] | 0x20) == 'a' && (c[2] | 0x20) == 'p' && c[3] == '_')
      c.remove_prefix(4);
    return c;
  };
  x = bare(x);
  y = bare(y);
  return x.size() == y.size() &&
         std::equal(x.begin(), x.end(), y.begin(),
                    [](char a, char b) { return std::toupper(static_cast<unsigned char>(a)) ==
                                                std::toupper(static_cast<unsigned char>(b)); });
}

// "namespace/name" of a pod for messages; generateName pods have no name yet.
std::string PodId(const Value& pod) {
  const Value* md = base::Member(pod, "metadata");
  std::string ns = md ? StringAt(*md, "namespace") : "";
  std::string name = md ? StringAt(*md, "name") : "";
  if (name.empty() && md) {
    name = StringAt(*md, "generateName");
    if (!name.empty()) name += "*";
  }
  if (name.empty()) name = "(unnamed pod)";
  return ns.empty() ? name : ns + "/" + name;
}

std::string Annotation(const Value& pod, std::string_view key) {
  const Value* md = base::Member(pod, "metadata");
  const Value* ann = md ? base::Member(*md, "annotations") : nullptr;
  return ann ? StringAt(*ann, key) : "";
}

bool HasLabel(const Value& pod, std::string_view key) {
  const Value* md = base::Member(pod, "metadata");
  const Value* labels = md ? base::Member(*md, "labels") : nullptr;
  return labels && base::Member(*labels, key);
}

bool IsWindowsPod(const Value& spec) {
  const Value* sel = base::Member(spec, "nodeSelector");
  return sel && base::StringMember(*sel, "kubernetes.io/os") == "windows";
}

// Which containers the annotations select (empty `only` means all).
struct Selection {
  std::set<std::string> only;
  std::set<std::string> exclude;
  bool Selected(const std::string& name) const {
    if (exclude.count(name)) return false;
    return only.empty() || only.count(name);
  }
};

bool MountsVolume(const Value& container, const std::string& volume) {
  const Value* mounts = base::Member(container, "volumeMounts");
  if (!mounts || !mounts->IsArray()) return false;
  for (const auto& m : mounts->GetArray())
    if (base::StringMember(m, "name") == volume) return true;
  return false;
}

bool MountsPath(const Value& container, const std::string& path) {
  const Value* mounts = base::Member(container, "volumeMounts");
  if (!mounts || !mounts->IsArray()) return false;
  for (const auto& m : mounts->GetArray()) {
    std::string_view at = base::StringMember(m, "mountPath");
    if (at.size() > path.size() && at.back() == '/') at.remove_suffix(1);
    if (at == path) return true;
  }
  return false;
}

// How a container's command relates to the launcher.
enum class Wrapping {
  kNone,      // the container's own command (or none)
  kWrapped,   // command == recipe.entrypoint: Kilt wrapped it before; args hold the original argv
  kForeign,   // command starts with the launcher's program but is not recipe.entrypoint ("/kilt/run"
              // without "--"): wrapping it again would run the launcher under itself
};

Wrapping WrappingOf(const Value& container, const Recipe& recipe) {
  const Value* command = base::Member(container, "command");
  if (!command || !command->IsArray() || command->Empty() || recipe.entrypoint.empty()) return Wrapping::kNone;
  auto arg = [&](rapidjson::SizeType i) {
    const Value& v = (*command)[i];
    return v.IsString() ? std::string_view(v.GetString(), v.GetStringLength()) : std::string_view();
  };
  if (arg(0) != recipe.entrypoint[0]) return Wrapping::kNone;
  if (command->Size() != recipe.entrypoint.size()) return Wrapping::kForeign;
  for (rapidjson::SizeType i = 0; i < command->Size(); i++)
    if (arg(i) != recipe.entrypoint[i]) return Wrapping::kForeign;
  return Wrapping::kWrapped;
}

// Wrapped before, and the payload is mounted: nothing left to do for this container.
bool AlreadyPatched(const Value& container, const Recipe& recipe, const PodOptions& opt) {
  return WrappingOf(container, recipe) == Wrapping::kWrapped && MountsVolume(container, opt.volume_name);
}

// Kilt's payload copier, known by more than its name: the copier's command and the payload volume at
// the copier's mount path. A user's init container that happens to be called kilt-init is not it.
bool IsPayloadCopier(const Value& c, const PodOptions& opt) {
  if (base::StringMember(c, "name") != opt.init_container_name) return false;
  const Value* command = base::Member(c, "command");
  if (!command || !command->IsArray() || command->Size() != opt.init_command.size()) return false;
  for (rapidjson::SizeType i = 0; i < command->Size(); i++) {
    const Value& arg = (*command)[i];
    if (!arg.IsString() || std::string_view(arg.GetString(), arg.GetStringLength()) != opt.init_command[i])
      return false;
  }
  const Value* mounts = base::Member(c, "volumeMounts");
  if (!mounts || !mounts->IsArray()) return false;
  for (const auto& m : mounts->GetArray())
    if (base::StringMember(m, "name") == opt.volume_name && base::StringMember(m, "mountPath") == opt.init_mount_path) return true;
  return false;
}

// A lookup result wins over a recipe hint (hints are the offline fallback).
bool LookupImage(const PatchInput& in, const ImageNeed& need, ImageConfig* out) {
  auto it = in.images.find(need);
  if (it != in.images.end()) {
    *out = it->second;
    return true;
  }
  for (const ImageHint& h : in.recipe.hints) {
    if (h.image == need.image) {
      *out = ImageConfig{h.entrypoint, h.cmd, ""};
      return true;
    }
  }
  return false;
}

// Mounts the payload volume read-only at opt.mount_path.
void AddPayloadMount(Edit& ed, Value* container, const std::string& path, const PodOptions& opt) {
  Alloc& a = ed.a;
  Value mount(rapidjson::kObjectType);
  mount.AddMember("name", Value(opt.volume_name.c_str(), a), a);
  mount.AddMember("mountPath", Value(opt.mount_path.c_str(), a), a);
  mount.AddMember("readOnly", true, a);
  Value mounts(rapidjson::kArrayType);
  mounts.PushBack(mount, a);
  AppendAll(ed, container, path, "volumeMounts", std::move(mounts));
}

// The pod's identity for the agent (falco/start reads it: docs/falco.md), from the downward API: the
// kubelet resolves these when the container starts, so pods named by generateName get their final name.
// The user's own variables of these names win.
struct DownwardVar {
  const char* name;
  const char* field_path;
};
const DownwardVar kPodIdentity[] = {{"KILT_POD_NAME", "metadata.name"},
                                    {"KILT_POD_NAMESPACE", "metadata.namespace"},
                                    {"KILT_POD_UID", "metadata.uid"}};

// Adds the recipe's variables (patcher/command.h decides who wins), then the pod's identity. The task
// variable comes from the downward API too: pods of a Deployment have only a generateName at admission,
// the kubelet knows the name. `path` is the container's.
void MergeEnv(Edit& ed, Value* container, const std::string& path, const Recipe& recipe,
              const std::string& pod_id, const std::string& image) {
  Alloc& a = ed.a;
  Value* env = base::Member(*container, "env");
  if (env && !env->IsNull() && !env->IsArray()) return;  // typed decode would have rejected it
  Value added(rapidjson::kArrayType);  // an absent env stays absent unless a variable is added
  std::vector<RecipeEnv> vars = RecipeEnvironment(recipe, {pod_id, StringAt(*container, "name"), image});
  std::vector<const char*> field_paths;  // per variable: the downward API's field, or null for a value
  for (const RecipeEnv& var : vars)
    field_paths.push_back(var.name == recipe.task_env && !var.force ? "metadata.name" : nullptr);
  for (const DownwardVar& d : kPodIdentity) {
    bool taken = false;
    for (const RecipeEnv& var : vars) taken = taken || var.name == d.name;
    if (taken) continue;  // the recipe names it: the recipe decides
    vars.push_back({d.name, "", false});
    field_paths.push_back(d.field_path);
  }
  for (size_t v = 0; v < vars.size(); v++) {
    const RecipeEnv& var = vars[v];
    rapidjson::SizeType existing = 0;
    bool exists = false;
    if (env && env->IsArray()) {
      for (rapidjson::SizeType i = 0; i < env->Size(); i++)
        if (base::StringMember((*env)[i], "name") == var.name) existing = i, exists = true;
    }
    if (!RecipeVariableWins(var, exists)) continue;
    Value e(rapidjson::kObjectType);
    e.AddMember("name", Value(var.name.c_str(), a), a);
    if (field_paths[v]) {
      Value ref(rapidjson::kObjectType);
      ref.AddMember("fieldPath", rapidjson::StringRef(field_paths[v]), a);
      Value from(rapidjson::kObjectType);
      from.AddMember("fieldRef", ref, a);
      e.AddMember("valueFrom", from, a);
    } else {
      e.AddMember("value", Value(var.value.c_str(), a), a);
    }
    if (exists) {
      (*env)[existing] = e;
      ed.Replaced(Child(path, "env"), existing);
    } else {
      added.PushBack(e, a);
    }
  }
  AppendAll(ed, container, path, "env", std::move(added));
}

// Adds `caps` to securityContext.capabilities.add. The first level that is missing (usually
// securityContext itself) is set whole, as one change; the levels present are entered.
void AddCapabilities(Edit& e, Value* container, const std::string& path, const std::vector<std::string>& caps) {
  if (caps.empty()) return;
  Value add(rapidjson::kArrayType);
  for (const auto& cap : caps) {
    bool dup = false;
    for (const auto& c : add.GetArray()) dup = dup || SameCapability(c.GetString(), cap);
    if (!dup) add.PushBack(Value(cap.c_str(), e.a), e.a);
  }
  auto wrap = [&](const char* key, Value inner) {
    Value v(rapidjson::kObjectType);
    v.AddMember(rapidjson::StringRef(key), inner, e.a);
    return v;
  };
  Value* sc = base::Member(*container, "securityContext");
  if (!sc || sc->IsNull()) return Set(e, container, path, "securityContext", wrap("capabilities", wrap("add", std::move(add))));
  if (!sc->IsObject()) return;  // typed decode would have rejected it; leave it alone
  const std::string sc_path = Child(path, "securityContext");
  Value* capabilities = base::Member(*sc, "capabilities");
  if (!capabilities || capabilities->IsNull()) return Set(e, sc, sc_path, "capabilities", wrap("add", std::move(add)));
  if (!capabilities->IsObject()) return;
  const std::string caps_path = Child(sc_path, "capabilities");
  Value* present = base::Member(*capabilities, "add");
  if (!present || present->IsNull()) return Set(e, capabilities, caps_path, "add", std::move(add));
  if (!present->IsArray()) return;
  const std::string add_path = Child(caps_path, "add");
  for (auto& cap : add.GetArray()) {
    bool found = false;
    for (const auto& c : present->GetArray())
      found = found || (c.IsString() && SameCapability({c.GetString(), c.GetStringLength()},
                                                       {cap.GetString(), cap.GetStringLength()}));
    if (!found) Append(e, present, add_path, std::move(cap));
  }
}

// Appends `names` to a comma-separated annotation, keeping existing entries and order.
void MergeAnnotationList(Edit& e, Value* annotations, const std::string& path, const char* key,
                         const std::vector<std::string>& names) {
  std::vector<std::string> list = base::Split(StringAt(*annotations, key), ',');
  for (const auto& n : names)
    if (std::find(list.begin(), list.end(), n) == list.end()) list.push_back(n);
  SetString(e, annotations, path, key, base::Join(list, ","));
}

Value InitContainer(const Recipe& recipe, const PodOptions& opt, Alloc& a) {
  Value c(rapidjson::kObjectType);
  c.AddMember("name", Value(opt.init_container_name.c_str(), a), a);
  c.AddMember("image", Value(recipe.kilt_image.c_str(), a), a);
  c.AddMember("imagePullPolicy", "IfNotPresent", a);
  c.AddMember("command", StringArray(opt.init_command, a), a);
  Value mount(rapidjson::kObjectType);
  mount.AddMember("name", Value(opt.volume_name.c_str(), a), a);
  mount.AddMember("mountPath", Value(opt.init_mount_path.c_str(), a), a);
  Value mounts(rapidjson::kArrayType);
  mounts.PushBack(mount, a);
  c.AddMember("volumeMounts", mounts, a);
  // A copy needs little; requests keep it schedulable in tight namespaces with LimitRanges.
  Value requests(rapidjson::kObjectType);
  requests.AddMember("cpu", "10m", a);
  requests.AddMember("memory", "16Mi", a);
  Value limits(rapidjson::kObjectType);
  limits.AddMember("cpu", "200m", a);
  limits.AddMember("memory", "64Mi", a);
  Value resources(rapidjson::kObjectType);
  resources.AddMember("requests", requests, a);
  resources.AddMember("limits", limits, a);
  c.AddMember("resources", resources, a);
  Value sc(rapidjson::kObjectType);
  sc.AddMember("allowPrivilegeEscalation", false, a);
  sc.AddMember("readOnlyRootFilesystem", true, a);
  c.AddMember("securityContext", sc, a);
  return c;
}

Value PayloadVolume(const PodOptions& opt, Alloc& a) {
  Value empty_dir(rapidjson::kObjectType);
  empty_dir.AddMember("sizeLimit", Value(opt.volume_size_limit.c_str(), a), a);
  Value v(rapidjson::kObjectType);
  v.AddMember("name", Value(opt.volume_name.c_str(), a), a);
  v.AddMember("emptyDir", empty_dir, a);
  return v;
}

// Everything PatchPod and ListPodImageNeeds agree on before touching a container.
struct PodPlan {
  std::string id;
  bool skip_pod = false;  // opted out / not a Linux pod: reason in skip_reason
  std::string skip_reason;
  Selection selection;
  std::string platform;
  bool opted_in = false;  // annotation kilt.io/inject=true (needed when the recipe is opt-in)
};

bool PlanPod(const Value& pod, const PodOptions& opt, PodPlan* plan, std::vector<PatchError>* errors) {
  plan->id = PodId(pod);
  if (!pod.IsObject()) {
    errors->push_back({"(input)", "", "the pod is not a JSON object"});
    return false;
  }
  std::string kind = StringAt(pod, "kind");
  if (!kind.empty() && kind != "Pod") {
    errors->push_back({plan->id, "",
                       "kind " + kind + " is not a Pod: pass the pod template as a Pod "
                       "(the webhook only receives pods)"});
    return false;
  }
  const Value* spec = base::Member(pod, "spec");
  const Value* containers = spec ? base::Member(*spec, "containers") : nullptr;
  if (!containers || !containers->IsArray() || containers->Empty()) {
    errors->push_back({plan->id, "", "the pod has no spec.containers: nothing to patch"});
    return false;
  }
  const std::string inject = Annotation(pod, kPodInjectAnnotation);
  if (IsFalse(inject) && !inject.empty()) {
    plan->skip_pod = true;
    plan->skip_reason = std::string("opted out by annotation ") + kPodInjectAnnotation + "=" + inject;
    return true;
  }
  if (IsWindowsPod(*spec)) {
    plan->skip_pod = true;
    plan->skip_reason = "Windows pod (nodeSelector kubernetes.io/os=windows): Kilt is Linux-only";
    return true;
  }
  const Value* inits = base::Member(*spec, "initContainers");
  const size_t count = containers->Size() + (inits && inits->IsArray() ? inits->Size() : 0);
  if (count > opt.max_containers) {
    errors->push_back({plan->id, "",
                       "the pod has " + std::to_string(count) + " containers (spec.containers and "
                       "spec.initContainers); Kilt patches pods of up to " + std::to_string(opt.max_containers) +
                       ": split the pod, or opt it out with annotation " + kPodInjectAnnotation + "=false"});
    return false;
  }
  plan->platform = PodPlatform(pod);
  plan->opted_in = inject == "true" || inject == "enabled" || inject == "yes";
  std::set<std::string> names;
  for (const auto& c : containers->GetArray()) names.insert(StringAt(c, "name"));
  bool ok = true;
  std::string known;  // for messages: the pod's container names, the first few
  for (const auto& k : names) {
    if (known.size() > 200) {
      known += ", ...";
      break;
    }
    known += (known.empty() ? "" : ", ") + k;
  }
  size_t unknown = 0;
  auto read_selection = [&](const char* key, std::set<std::string>* out) {
    for (const auto& n : base::Split(Annotation(pod, key), ',')) {
      if (!names.count(n) && ++unknown <= 10) {
        errors->push_back({plan->id, n,
                           std::string("annotation ") + key + " names container " + n +
                               ", which the pod does not have (containers: " + known +
                               "): fix the annotation"});
        ok = false;
      }
      out->insert(n);
    }
  };
  read_selection(kPodContainersAnnotation, &plan->selection.only);
  read_selection(kPodExcludeContainersAnnotation, &plan->selection.exclude);
  return ok;
}

// Reads command and args; false (with an error) if they are not lists of strings.
bool ReadCommand(const Value& c, const std::string& id, std::vector<std::string>* command,
                 bool* has_command, std::vector<std::string>* args, bool* has_args,
                 std::vector<PatchError>* errors) {
  const Value* cv = base::Member(c, "command");
  const Value* av = base::Member(c, "args");
  if (!base::ReadStringList(cv, command) || !base::ReadStringList(av, args)) {
    errors->push_back({id, StringAt(c, "name"), "command/args must be lists of strings"});
    return false;
  }
  // An empty list is the same as an absent one for Kubernetes (the image default applies).
  *has_command = !command->empty();
  *has_args = !args->empty();
  return true;
}

// A recipe the pod patcher cannot use is an error; an opt-in recipe skips a pod that did not opt in.
// False when the pod is not to be patched (the report says why).
bool RecipeApplies(const Recipe& recipe, const PodPlan& plan, PatchReport* report) {
  std::string recipe_err;
  if (!ValidateRecipe(recipe, &recipe_err)) {
    report->errors.push_back({plan.id, "", "bad recipe: " + recipe_err});
    return false;
  }
  if (recipe.kilt_image.empty()) {
    report->errors.push_back({plan.id, "", "the recipe names no kilt image: set `image` in the recipe"});
    return false;
  }
  if (recipe.opt_in && !plan.opted_in) {
    report->skipped.push_back(plan.id + ": the recipe is opt-in and the pod has no annotation " +
                              kPodInjectAnnotation + "=true");
    return false;
  }
  return true;
}

// Kilt's volume and init container, when an earlier pass added them.
struct PayloadParts {
  bool have_volume = false;
  bool have_init = false;
};

// Our volume and init container may exist from an earlier pass; anything else by those names is
// the user's and we must not take it over (false, with the error).
bool FindPayloadParts(const Value& spec, const PodOptions& opt, const std::string& pod_id, PayloadParts* parts,
                      std::vector<PatchError>* errors) {
  if (const Value* vols = base::Member(spec, "volumes"); vols && vols->IsArray()) {
    for (const auto& v : vols->GetArray()) {
      if (base::StringMember(v, "name") != opt.volume_name) continue;
      if (!base::Member(v, "emptyDir")) {
        errors->push_back({pod_id, "",
                           "the pod already has a volume named " + opt.volume_name +
                               " that is not Kilt's emptyDir: rename it"});
        return false;
      }
      parts->have_volume = true;
    }
  }
  if (const Value* inits = base::Member(spec, "initContainers"); inits && inits->IsArray()) {
    for (const auto& c : inits->GetArray()) {
      if (base::StringMember(c, "name") != opt.init_container_name) continue;
      if (!IsPayloadCopier(c, opt)) {
        // Taking it for ours would leave /kilt empty in every wrapped container.
        errors->push_back({pod_id, opt.init_container_name,
                           "the pod already has an init container named " + opt.init_container_name +
                               " that is not Kilt's payload copier (command [" + base::Join(opt.init_command, " ") + "]" +
                               ", volume " + opt.volume_name + " at " + opt.init_mount_path +
                               "): rename it"});
        return false;
      }
      parts->have_init = true;
    }
  }
  return true;
}

// One pass over a pod's containers: what it needs to know, and what it found for the pod-level edits.
struct PodPass {
  Edit ed;
  const PatchInput& in;
  const PodOptions& opt;
  const PodPlan& plan;
  bool fargate;  // EKS Fargate refuses to schedule pods that add capabilities (beyond a short allow-list)
  PatchReport* report;
  std::vector<std::string> patched_names;
  bool wrapped = false;  // some container runs through the launcher (now or from before): it needs /kilt
};

// The argv the container runs today, by Docker's rule (patcher/command.h): command (ENTRYPOINT) set ⇒ the
// image's CMD is dropped. Looks the image up when the pod does not say; false when it cannot be known (the
// report says why, as an error or a skip by opt.unknown_image).
bool OriginalArgv(const PodPass& p, const std::string& name, const std::string& image,
                  const std::optional<Argv>& command, const std::optional<Argv>& args,
                  std::vector<std::string>* run) {
  ImageConfig cfg;
  const ImageConfig* image_cfg = nullptr;
  if (NeedsImageConfig(command)) {
    if (!LookupImage(p.in, {image, p.plan.platform}, &cfg)) {
      std::string why = "image " + image + " (" + p.plan.platform + "): its ENTRYPOINT" + (args ? "" : "/CMD") +
                        " is unknown and the pod sets no command: set command/args in the pod, add "
                        "an image hint to the recipe, or enable registry lookup";
      if (p.opt.unknown_image == UnknownImagePolicy::kSkip)
        p.report->skipped.push_back(p.plan.id + "/" + name + ": " + why);
      else
        p.report->errors.push_back({p.plan.id, name, why});
      return false;
    }
    for (auto& s : cfg.entrypoint) s = EscapeKubeletExpansion(s);
    for (auto& s : cfg.cmd) s = EscapeKubeletExpansion(s);
    image_cfg = &cfg;
  }
  std::string compose_err;
  if (!ComposeArgv(command, args, image_cfg, run, &compose_err)) {
    p.report->errors.push_back({p.plan.id, name, "image " + image + ": " + compose_err});
    return false;
  }
  return true;
}

// Wraps container `index` of spec.containers in the launcher, completes an earlier wrapping that lost its
// payload mount, or says in the report why it leaves the container as it is.
void PatchContainer(PodPass* p, Value* c, rapidjson::SizeType index) {
  const Recipe& recipe = p->in.recipe;
  const std::string& pod_id = p->plan.id;
  const std::string name = StringAt(*c, "name");
  const std::string where = pod_id + "/" + name;
  auto error = [&](const std::string& message) { p->report->errors.push_back({pod_id, name, message}); };
  auto skip = [&](const std::string& why) { p->report->skipped.push_back(where + ": " + why); };
  if (name == p->opt.init_container_name)
    return error("a container is named " + name + ", the name of Kilt's init container: rename it");
  const Wrapping wrapping = WrappingOf(*c, recipe);
  const Value* wrapped_args = base::Member(*c, "args");
  const bool has_wrapped_args = wrapped_args && wrapped_args->IsArray() && !wrapped_args->Empty();
  // Selected or not, a container that runs the launcher needs the payload.
  if (wrapping == Wrapping::kWrapped && has_wrapped_args) p->wrapped = true;
  if (!p->plan.selection.Selected(name))
    return skip(std::string("not selected by annotations ") + kPodContainersAnnotation + "/" +
                kPodExcludeContainersAnnotation);
  if (wrapping == Wrapping::kForeign)
    return error("its command starts with " + recipe.entrypoint[0] + " but is not [" +
                 base::Join(recipe.entrypoint, " ") + "]: wrapping it again would run the launcher "
                 "under itself; give it its original command, or exclude it with annotation " +
                 kPodExcludeContainersAnnotation);
  if (wrapping == Wrapping::kWrapped && !has_wrapped_args)
    return error("its command is Kilt's launcher with no args, so what it ran is lost: "
                 "give it its original command and args");
  if (wrapping == Wrapping::kWrapped && MountsVolume(*c, p->opt.volume_name)) return skip("already patched");
  if (MountsPath(*c, p->opt.mount_path))
    return error("the container already mounts something at " + p->opt.mount_path +
                 ", where Kilt mounts its payload: move that mount or exclude the container with annotation " +
                 kPodExcludeContainersAnnotation);
  std::vector<std::string> command, args;
  bool has_command, has_args;
  if (!ReadCommand(*c, pod_id, &command, &has_command, &args, &has_args, &p->report->errors)) return;
  const std::string image = StringAt(*c, "image");
  const std::string path = "/spec/containers/" + std::to_string(index);
  // A container wrapped before (its args are the original argv) only lacks the payload mount.
  if (wrapping != Wrapping::kWrapped) {
    std::vector<std::string> run;
    if (!OriginalArgv(*p, name, image, has_command ? std::optional<Argv>(command) : std::nullopt,
                      has_args ? std::optional<Argv>(args) : std::nullopt, &run))
      return;
    Set(p->ed, c, path, "command", StringArray(recipe.entrypoint, p->ed.a));
    Set(p->ed, c, path, "args", StringArray(run, p->ed.a));
  }
  AddPayloadMount(p->ed, c, path, p->opt);
  p->wrapped = true;
  MergeEnv(p->ed, c, path, recipe, pod_id, image);
  if (!p->fargate) AddCapabilities(p->ed, c, path, recipe.capabilities);
  p->report->patched.push_back(where);
  p->patched_names.push_back(name);
}

// The pod-level part of the payload: the volume, the init container that fills it (first), and the
// annotations that say what Kilt did.
void AddPayloadToPod(PodPass* p, Value* pod, const PayloadParts& parts) {
  Edit& ed = p->ed;
  const PodOptions& opt = p->opt;
  Value& spec = (*pod)["spec"];
  if (!parts.have_volume) {
    Value volumes(rapidjson::kArrayType);
    volumes.PushBack(PayloadVolume(opt, ed.a), ed.a);
    AppendAll(ed, &spec, "/spec", "volumes", std::move(volumes));
  }
  if (!parts.have_init) {
    // First, so that the payload is in place before any other init container (native sidecars
    // included) starts.
    Value rebuilt(rapidjson::kArrayType);
    rebuilt.PushBack(InitContainer(p->in.recipe, opt, ed.a), ed.a);
    Value* inits = base::Member(spec, "initContainers");
    if (!inits || inits->IsNull()) {
      Set(ed, &spec, "/spec", "initContainers", std::move(rebuilt));
    } else if (inits->IsArray()) {
      for (auto& c : inits->GetArray()) rebuilt.PushBack(c, ed.a);
      *inits = rebuilt;
      ed.Added("/spec/initContainers", rapidjson::SizeType{0});
    }
  }
  Value& metadata = Ensure(ed, pod, "", "metadata", rapidjson::kObjectType);
  Value& annotations = Ensure(ed, &metadata, "/metadata", "annotations", rapidjson::kObjectType);
  const std::string ann = "/metadata/annotations";
  SetString(ed, &annotations, ann, kPodStatusAnnotation, "injected");
  MergeAnnotationList(ed, &annotations, ann, kPodInjectedContainersAnnotation, p->patched_names);
  MergeAnnotationList(ed, &annotations, ann, kSafeToEvictAnnotation, {opt.volume_name});
  const std::vector<std::string>& caps = p->in.recipe.capabilities;
  if (p->fargate && !caps.empty()) {
    SetString(ed, &annotations, ann, kPodCapabilitiesAnnotation,
              "not added (" + base::Join(caps, ",") +
                  "): EKS Fargate pods cannot add capabilities; the agent runs with reduced "
                  "visibility");
  }
}

}  // namespace

std::string PodPlatform(const Value& pod) {
  const Value* spec = base::Member(pod, "spec");
  const Value* sel = spec ? base::Member(*spec, "nodeSelector") : nullptr;
  std::string arch = sel ? StringAt(*sel, "kubernetes.io/arch") : "";
  if (arch == "arm64" || arch == "aarch64") return "linux/arm64";
  return "linux/amd64";
}

std::vector<ImageNeed> ListPodImageNeedsWithOptions(const Value& pod, const PatchInput& in,
                                                    const PodOptions& opt) {
  std::vector<ImageNeed> needs;
  PodPlan plan;
  std::vector<PatchError> errors;
  if (!PlanPod(pod, opt, &plan, &errors) || plan.skip_pod) return needs;
  if (in.recipe.opt_in && !plan.opted_in) return needs;
  for (const auto& c : pod["spec"]["containers"].GetArray()) {
    std::string name = StringAt(c, "name");
    if (!plan.selection.Selected(name) || AlreadyPatched(c, in.recipe, opt)) continue;
    std::vector<std::string> command, args;
    bool has_command, has_args;
    if (!ReadCommand(c, plan.id, &command, &has_command, &args, &has_args, &errors)) continue;
    std::string image = StringAt(c, "image");
    if (!has_command && !image.empty()) needs.push_back({image, plan.platform});
  }
  std::sort(needs.begin(), needs.end());
  needs.erase(std::unique(needs.begin(), needs.end(),
                          [](const ImageNeed& x, const ImageNeed& y) {
                            return !(x < y) && !(y < x);
                          }),
              needs.end());
  return needs;
}

PatchReport PatchPodWithOptions(Value* pod_value, Alloc& a, const PatchInput& in, const PodOptions& opt,
                                ChangeLog* changes) {
  PatchReport report;
  Value& pod = *pod_value;
  PodPlan plan;
  if (!PlanPod(pod, opt, &plan, &report.errors)) return report;
  if (plan.skip_pod) {
    report.skipped.push_back(plan.id + ": " + plan.skip_reason);
    return report;
  }
  if (!RecipeApplies(in.recipe, plan, &report)) return report;
  Value& spec = pod["spec"];
  PayloadParts parts;
  if (!FindPayloadParts(spec, opt, plan.id, &parts, &report.errors)) return report;

  const bool fargate = HasLabel(pod, kFargateProfileLabel) ||
                       base::StringMember(spec, "schedulerName") == "fargate-scheduler";
  PodPass pass{Edit{a, changes}, in, opt, plan, fargate, &report, {}, false};
  Value& containers = spec["containers"];
  for (rapidjson::SizeType index = 0; index < containers.Size(); index++)
    PatchContainer(&pass, &containers[index], index);
  // Containers wrapped before still need the payload: a pod that lost its copier (or its volume) gets
  // them back even when no container is patched now.
  const bool payload_in_place = parts.have_volume && parts.have_init;
  if (!report.errors.empty() || !pass.wrapped || (pass.patched_names.empty() && payload_in_place)) return report;
  AddPayloadToPod(&pass, &pod, parts);
  report.changed = true;
  return report;
}

PatchReport PatchPodWithOptions(rapidjson::Document* pod, const PatchInput& in, const PodOptions& opt) {
  return PatchPodWithOptions(pod, pod->GetAllocator(), in, opt, nullptr);
}

PatchReport PatchPod(rapidjson::Document* pod, const PatchInput& in) {
  return PatchPodWithOptions(pod, in, PodOptions());
}

std::vector<ImageNeed> ListPodImageNeeds(const Value& pod, const PatchInput& in) {
  return ListPodImageNeedsWithOptions(pod, in, PodOptions());
}

}  // namespace kilt
