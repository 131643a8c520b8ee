// Recipe parsing with toml++. toml++ reports errors by exception; they are caught here and never cross
// this file's border.
#include "patcher/recipe.h"

#include <algorithm>
#include <cstdint>
#include <set>
#include <stdexcept>

// toml++ 3.3 asserts on some malformed input ("[\n") before it reports the error, which would abort the
// process (and with NDEBUG it becomes an optimiser assumption: undefined behaviour). Make the check throw
// instead; ParseRecipe turns that into an ordinary error.
#ifdef NDEBUG
#error "recipe.cc relies on toml++ checking its assertions; build it without NDEBUG"
#endif
#define TOML_ASSERT(expr) \
  ((expr) ? static_cast<void>(0) : throw std::runtime_error("malformed TOML (toml++ check: " #expr ")"))
// Some of toml++'s checks sit in noexcept functions, where this throw would terminate: those check
// internal invariants, not input, and terminating is what the stock assert does anyway.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wterminate"
#include <toml++/toml.h>
#pragma GCC diagnostic pop

#include "base/strings.h"

namespace kilt {

namespace {

constexpr std::string_view kDefaultRecipe = R"(# Kilt recipe: what `kilt patch` (and the macro, the webhook) add to task definitions and pods.
# Reference: docs/recipe.md. Every key is optional except `image`; the values below are the defaults.

# Image that carries /kilt (it declares VOLUME /kilt). Required; pin a tag or, better, a digest.
image = ""

# The launcher. Each patched container's entrypoint becomes this list, and its original
# entrypoint ++ command (Docker's rule) becomes the command that follows it.
entrypoint = ["/kilt/run", "--"]

# Added to LinuxParameters.Capabilities.Add (existing entries are kept). Fargate allows SYS_PTRACE only.
capabilities = ["SYS_PTRACE"]

[selection]
# "opt-out": patch every matching task definition unless tagged kilt-ignore / Metadata Kilt Ignore.
# "opt-in": patch only those tagged kilt-include / kilt-include-containers / Metadata Kilt Include.
mode = "opt-out"
# Patch task definitions whose RequiresCompatibilities contains one of these.
compatibilities = ["FARGATE"]

[sidecar]
# Name of the injected container that carries /kilt. A user container with this name is an error.
name = "kilt"
# false: the sidecar's exit never stops the task.
essential = false
# Command of the sidecar; empty: the kilt image's default (an idle process that keeps /kilt mounted).
command = []
# CPU units and memory (MiB); 0 leaves the field out.
cpu = 0
memory = 0
memory_reservation = 16
# Patched containers start after the sidecar reaches this condition: START, COMPLETE, SUCCESS or HEALTHY.
depends_on_condition = "START"

[sidecar.log]
# "copy": the first patched container's awslogs configuration with stream_prefix below;
# "group": awslogs to `group` in `region`; "none": no log configuration.
mode = "copy"
group = ""
region = ""
stream_prefix = "kilt"

[environment]
# Variables added to every patched container. The user's own value wins over these.
# NAME = "value"

[environment_forced]
# Variables added to every patched container whose value replaces the user's.
# NAME = "value"

[metadata_environment]
# Names of the metadata variables added to each patched container ("" leaves one out).
# The user's own value wins over these.
task = "KILT_TASK"                    # CloudFormation logical id, ECS family, or pod namespace/name
container = "KILT_CONTAINER_NAME"
image = "KILT_CONTAINER_IMAGE"

# Image hints: an image's ENTRYPOINT and CMD for offline use, when the task definition does not set its
# EntryPoint (and Command). `image` must match the task definition's Image exactly.
# [[hints]]
# image = "nginx:1.25"
# entrypoint = ["/docker-entrypoint.sh"]
# cmd = ["nginx", "-g", "daemon off;"]
)";

// Reports errors as "SOURCE:LINE: key: message".
class RecipeReader {
 public:
  RecipeReader(std::string_view source, std::string* err) : source_(source), err_(err) {}

  bool Fail(const toml::node* node, std::string_view key, std::string_view message) {
    std::ostringstream s;
    s << source_;
    if (node != nullptr && node->source().begin.line > 0) s << ":" << node->source().begin.line;
    s << ": " << key << ": " << message;
    *err_ = s.str();
    return false;
  }

  // Every key of `table` must be in `known`: a misspelt key would otherwise be silently ignored.
  bool OnlyKeys(const toml::table& table, std::string_view prefix, std::initializer_list<std::string_view> known) {
    for (const auto& [k, v] : table) {
      if (std::find(known.begin(), known.end(), k.str()) == known.end()) {
        std::string list;
        for (std::string_view n : known) list += (list.empty() ? "" : ", ") + std::string(n);
        return Fail(&v, std::string(prefix) + std::string(k.str()), "unknown key (known: " + list + ")");
      }
    }
    return true;
  }

  bool String(const toml::table& t, std::string_view key, std::string_view path, std::string* out) {
    const toml::node* n = t.get(key);
    if (n == nullptr) return true;
    if (!n->is_string()) return Fail(n, path, "must be a string");
    *out = n->as_string()->get();
    return true;
  }

  bool Bool(const toml::table& t, std::string_view key, std::string_view path, bool* out) {
    const toml::node* n = t.get(key);
    if (n == nullptr) return true;
    if (!n->is_boolean()) return Fail(n, path, "must be true or false");
    *out = n->as_boolean()->get();
    return true;
  }

  bool Int(const toml::table& t, std::string_view key, std::string_view path, int max, int* out) {
    const toml::node* n = t.get(key);
    if (n == nullptr) return true;
    if (!n->is_integer()) return Fail(n, path, "must be an integer");
    int64_t v = n->as_integer()->get();
    if (v < 0 || v > max) return Fail(n, path, "must be between 0 and " + std::to_string(max));
    *out = static_cast<int>(v);
    return true;
  }

  bool Strings(const toml::table& t, std::string_view key, std::string_view path, std::vector<std::string>* out) {
    const toml::node* n = t.get(key);
    if (n == nullptr) return true;
    return StringList(n, path, out);
  }

  bool StringList(const toml::node* n, std::string_view path, std::vector<std::string>* out) {
    if (!n->is_array()) return Fail(n, path, "must be a list of strings");
    std::vector<std::string> v;
    for (const toml::node& e : *n->as_array()) {
      if (!e.is_string()) return Fail(&e, path, "must be a list of strings");
      v.push_back(e.as_string()->get());
    }
    *out = std::move(v);
    return true;
  }

  const toml::table* Table(const toml::table& t, std::string_view key, std::string_view path, bool* ok) {
    const toml::node* n = t.get(key);
    if (n == nullptr) return nullptr;
    if (!n->is_table()) {
      *ok = Fail(n, path, "must be a table");
      return nullptr;
    }
    return n->as_table();
  }

  bool EnvTable(const toml::table* t, std::string_view path, bool force, std::vector<RecipeEnv>* out) {
    if (t == nullptr) return true;
    for (const auto& [k, v] : *t) {
      std::string key = std::string(path) + "." + std::string(k.str());
      if (!v.is_string()) return Fail(&v, key, "must be a string");
      for (const RecipeEnv& e : *out) {
        if (e.name == k.str()) return Fail(&v, key, "set twice (environment and environment_forced)");
      }
      out->push_back({std::string(k.str()), v.as_string()->get(), force});
    }
    return true;
  }

  bool Read(const toml::table& root, Recipe* r) {
    if (!OnlyKeys(root, "", {"image", "entrypoint", "capabilities", "selection", "sidecar", "environment",
                             "environment_forced", "metadata_environment", "hints"}))
      return false;
    if (!String(root, "image", "image", &r->kilt_image)) return false;
    if (!Strings(root, "entrypoint", "entrypoint", &r->entrypoint)) return false;
    if (!Strings(root, "capabilities", "capabilities", &r->capabilities)) return false;
    bool ok = true;
    if (const toml::table* sel = Table(root, "selection", "selection", &ok)) {
      if (!OnlyKeys(*sel, "selection.", {"mode", "compatibilities"})) return false;
      std::string mode = r->opt_in ? "opt-in" : "opt-out";
      if (!String(*sel, "mode", "selection.mode", &mode)) return false;
      if (mode != "opt-in" && mode != "opt-out")
        return Fail(sel->get("mode"), "selection.mode", "must be \"opt-out\" or \"opt-in\"");
      r->opt_in = mode == "opt-in";
      if (!Strings(*sel, "compatibilities", "selection.compatibilities", &r->compatibilities)) return false;
    }
    if (!ok) return false;
    if (const toml::table* sc = Table(root, "sidecar", "sidecar", &ok)) {
      if (!OnlyKeys(*sc, "sidecar.", {"name", "essential", "command", "cpu", "memory", "memory_reservation",
                                      "depends_on_condition", "log"}))
        return false;
      if (!String(*sc, "name", "sidecar.name", &r->sidecar_name) ||
          !Bool(*sc, "essential", "sidecar.essential", &r->sidecar_essential) ||
          !Strings(*sc, "command", "sidecar.command", &r->sidecar_command) ||
          !Int(*sc, "cpu", "sidecar.cpu", 16384, &r->sidecar_cpu) ||
          !Int(*sc, "memory", "sidecar.memory", 122880, &r->sidecar_memory) ||
          !Int(*sc, "memory_reservation", "sidecar.memory_reservation", 122880, &r->sidecar_memory_reservation) ||
          !String(*sc, "depends_on_condition", "sidecar.depends_on_condition", &r->depends_on_condition))
        return false;
      if (const toml::table* log = Table(*sc, "log", "sidecar.log", &ok)) {
        if (!OnlyKeys(*log, "sidecar.log.", {"mode", "group", "region", "stream_prefix"})) return false;
        if (!String(*log, "mode", "sidecar.log.mode", &r->log_mode) ||
            !String(*log, "group", "sidecar.log.group", &r->log_group) ||
            !String(*log, "region", "sidecar.log.region", &r->log_region) ||
            !String(*log, "stream_prefix", "sidecar.log.stream_prefix", &r->log_stream_prefix))
          return false;
      }
      if (!ok) return false;
    }
    if (!ok) return false;
    const toml::table* env = Table(root, "environment", "environment", &ok);
    if (!ok) return false;
    const toml::table* forced = Table(root, "environment_forced", "environment_forced", &ok);
    if (!ok) return false;
    if (env != nullptr || forced != nullptr) r->env.clear();
    if (!EnvTable(env, "environment", false, &r->env) || !EnvTable(forced, "environment_forced", true, &r->env))
      return false;
    if (const toml::table* meta = Table(root, "metadata_environment", "metadata_environment", &ok)) {
      if (!OnlyKeys(*meta, "metadata_environment.", {"task", "container", "image"})) return false;
      if (!String(*meta, "task", "metadata_environment.task", &r->task_env) ||
          !String(*meta, "container", "metadata_environment.container", &r->container_env) ||
          !String(*meta, "image", "metadata_environment.image", &r->image_env))
        return false;
    }
    if (!ok) return false;
    if (const toml::node* hints = root.get("hints")) {
      if (!hints->is_array_of_tables()) return Fail(hints, "hints", "must be an array of tables ([[hints]])");
      r->hints.clear();
      for (const toml::node& h : *hints->as_array()) {
        const toml::table& t = *h.as_table();
        if (!OnlyKeys(t, "hints.", {"image", "entrypoint", "cmd"})) return false;
        ImageHint hint;
        if (!String(t, "image", "hints.image", &hint.image)) return false;
        if (hint.image.empty()) return Fail(&h, "hints.image", "each hint needs the image it describes");
        for (const ImageHint& other : r->hints)
          if (other.image == hint.image) return Fail(&h, "hints.image", "\"" + hint.image + "\" is hinted twice");
        if (!Strings(t, "entrypoint", "hints.entrypoint", &hint.entrypoint) ||
            !Strings(t, "cmd", "hints.cmd", &hint.cmd))
          return false;
        r->hints.push_back(std::move(hint));
      }
    }
    return true;
  }

 private:
  std::string_view source_;
  std::string* err_;
};

bool ValidEnvName(const std::string& n) {
  if (n.empty()) return false;
  for (char c : n)
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return !isdigit(static_cast<unsigned char>(n[0]));
}


}  // namespace

std::string_view DefaultRecipeToml() { return kDefaultRecipe; }

bool ValidateRecipe(const Recipe& r, std::string* err) {
  auto fail = [&](const std::string& m) {
    *err = m;
    return false;
  };
  if (r.entrypoint.empty()) return fail("entrypoint: must name the launcher (default [\"/kilt/run\", \"--\"])");
  if (r.sidecar_name.empty()) return fail("sidecar.name: must not be empty");
  for (char c : r.sidecar_name)
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'))
      return fail("sidecar.name: \"" + r.sidecar_name + "\" may hold only letters, digits, '-' and '_' (ECS rule)");
  if (r.sidecar_name.size() > 255) return fail("sidecar.name: longer than 255 characters");
  static const std::set<std::string> kConditions = {"START", "COMPLETE", "SUCCESS", "HEALTHY"};
  if (!kConditions.count(r.depends_on_condition))
    return fail("sidecar.depends_on_condition: \"" + r.depends_on_condition +
                "\" is not one of START, COMPLETE, SUCCESS, HEALTHY");
  if (r.log_mode != "copy" && r.log_mode != "group" && r.log_mode != "none")
    return fail("sidecar.log.mode: \"" + r.log_mode + "\" is not one of copy, group, none");
  if (r.log_mode == "group" && r.log_group.empty())
    return fail("sidecar.log.group: mode \"group\" needs a log group name");
  if (r.log_stream_prefix.empty()) return fail("sidecar.log.stream_prefix: must not be empty");
  if (r.compatibilities.empty()) return fail("selection.compatibilities: must name at least one (e.g. FARGATE)");
  for (const std::string& c : r.compatibilities)
    if (c != "FARGATE" && c != "EC2" && c != "EXTERNAL")
      return fail("selection.compatibilities: \"" + c + "\" is not one of FARGATE, EC2, EXTERNAL");
  for (const std::string& c : r.capabilities)
    if (c.empty() || c.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ_") != std::string::npos)
      return fail("capabilities: \"" + c + "\" is not a capability name such as SYS_PTRACE");
  std::set<std::string> names;
  for (const RecipeEnv& e : r.env) {
    if (!ValidEnvName(e.name)) return fail("environment: \"" + e.name + "\" is not a valid variable name");
    if (!names.insert(e.name).second) return fail("environment: \"" + e.name + "\" is set twice");
  }
  for (const std::string* m : {&r.task_env, &r.container_env, &r.image_env}) {
    if (m->empty()) continue;
    if (!ValidEnvName(*m)) return fail("metadata_environment: \"" + *m + "\" is not a valid variable name");
    if (!names.insert(*m).second) return fail("metadata_environment: \"" + *m + "\" is also set elsewhere");
  }
  return true;
}

bool ParseRecipe(std::string_view text, std::string_view source, Recipe* out, std::string* err) {
  // toml++ 3.3 reaches __builtin_unreachable() on some non-ASCII characters (found by the fuzzer), which
  // is undefined behaviour; a recipe holds image names, paths and variables, so ASCII is no loss.
  for (size_t i = 0; i < text.size(); ++i) {
    if (static_cast<unsigned char>(text[i]) >= 0x80 || text[i] == '\0') {
      size_t line = 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + i, '\n'));
      *err = std::string(source) + ":" + std::to_string(line) +
             ": a recipe must be ASCII text (found byte " + std::to_string(static_cast<unsigned char>(text[i])) + ")";
      return false;
    }
  }
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    std::ostringstream s;
    s << source << ":" << e.source().begin.line << ": " << e.description();
    *err = s.str();
    return false;
  } catch (const std::exception& e) {
    *err = std::string(source) + ": " + e.what();
    return false;
  }
  Recipe r;
  RecipeReader reader(source, err);
  if (!reader.Read(root, &r)) return false;
  if (!ValidateRecipe(r, err)) {
    *err = std::string(source) + ": " + *err;
    return false;
  }
  *out = std::move(r);
  return true;
}

bool ApplyRecipeOverrides(const std::map<std::string, std::string>& overrides, Recipe* recipe, std::string* err) {
  Recipe r = *recipe;
  for (const auto& [k, v] : overrides) {
    if (k == "KiltImage") {
      r.kilt_image = v;
    } else if (k == "SidecarName") {
      r.sidecar_name = v;
    } else if (k == "OptIn") {
      if (v != "true" && v != "false") {
        *err = "parameter OptIn: \"" + v + "\" must be \"true\" or \"false\"";
        return false;
      }
      r.opt_in = v == "true";
    } else if (k == "Compatibilities") {
      r.compatibilities = base::Split(v, ',');
    } else if (k == "Capabilities") {
      r.capabilities = base::Split(v, ',');
    } else if (k == "LogGroup") {
      r.log_group = v;
      r.log_mode = v.empty() ? "copy" : "group";
    } else if (k == "LogRegion") {
      r.log_region = v;
    } else if (k == "DependsOnCondition") {
      r.depends_on_condition = v;
    } else {
      *err = "parameter \"" + k +
             "\" is unknown (accepted: KiltImage, SidecarName, OptIn, Compatibilities, Capabilities, LogGroup, "
             "LogRegion, DependsOnCondition)";
      return false;
    }
  }
  std::string verr;
  if (!ValidateRecipe(r, &verr)) {
    *err = "parameters: " + verr;
    return false;
  }
  *recipe = std::move(r);
  return true;
}

}  // namespace kilt
