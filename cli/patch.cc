// `kilt patch`: read a CloudFormation template (JSON or YAML) or an ECS task definition, patch it with
// the patcher library, write it in the input's format. Exit 0 ok, 1 --check found changes, 2 errors.
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "base/file.h"
#include "base/json.h"
#include "base/json_parse.h"
#include "cli/commands.h"
#include "cli/io.h"
#include "patcher/cfn_yaml.h"
#include "patcher/ecs.h"
#include "patcher/json.h"
#include "patcher/patcher.h"
#include "patcher/recipe.h"
#include "patcher/splice.h"
#include "registry/lookup.h"

namespace kilt::cli {

namespace {

constexpr const char* kUsage =
    "usage: kilt patch [--ecs] [--recipe FILE] [--kilt-image IMAGE] [--parameter NAME=VALUE]...\n"
    "                  [--parameter-defaults] [--lookup] [-o OUT] [--diff] [--check] [-q] [TEMPLATE|-]\n"
    "\n"
    "Patches every selected container of a CloudFormation template (JSON or YAML; written back in the same\n"
    "format) or, with --ecs, of an ECS task definition (register-task-definition input, or\n"
    "describe-task-definition output; written as register-task-definition input) so it runs through\n"
    "/kilt/run. Reads stdin when no file (or -) is given.\n"
    "\n"
    "  --recipe FILE        the recipe (TOML; `kilt recipe --default` prints the defaults)\n"
    "  --kilt-image IMAGE   the kilt image (overrides the recipe's `image`)\n"
    "  --parameter N=V      a stack or pseudo parameter's value (AWS::Region, AWS::AccountId, ...), to\n"
    "                       resolve {\"Ref\": N} and Fn::Sub images and selections\n"
    "  --parameter-defaults take parameters not given from the template's Parameters N Default\n"
    "  --lookup             ask the images' registries for ENTRYPOINT/CMD the task definition leaves unset\n"
    "  -o OUT               write the result to OUT (atomically; nothing is written on error)\n"
    "  --diff               print a unified diff of the change instead of the result\n"
    "  --check              write nothing; exit 1 when the input would change (for CI)\n"
    "  -q                   do not report patched and skipped containers on stderr\n"
    "\n"
    "Exit status: 0 ok, 1 --check found changes, 2 error (each problem is printed; nothing is written).\n";

struct Args {
  bool ecs = false, diff = false, check = false, quiet = false, lookup = false, parameter_defaults = false;
  std::string recipe, kilt_image, out, input = "-";
  std::map<std::string, std::string> parameters;
};

int Usage(const std::string& problem) {
  std::fprintf(stderr, "kilt patch: %s\n%s", problem.c_str(), kUsage);
  return 2;
}

bool ParseArgs(int argc, char** argv, Args* a, int* exit_code) {
  bool have_input = false;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    if (s == "--help" || s == "-h") {
      std::fputs(kUsage, stdout);
      *exit_code = 0;
      return false;
    } else if (s == "--ecs") {
      a->ecs = true;
    } else if (s == "--diff") {
      a->diff = true;
    } else if (s == "--check") {
      a->check = true;
    } else if (s == "-q" || s == "--quiet") {
      a->quiet = true;
    } else if (s == "--parameter-defaults") {
      a->parameter_defaults = true;
    } else if (s == "--lookup") {
      a->lookup = true;
    } else if (s == "--recipe" || s == "-o" || s == "--output" || s == "--kilt-image" || s == "--parameter") {
      std::string v;
      if (!value(&v)) {
        *exit_code = Usage(s + " needs a value");
        return false;
      }
      if (s == "--recipe") a->recipe = v;
      else if (s == "--kilt-image") a->kilt_image = v;
      else if (s == "--parameter") {
        size_t eq = v.find('=');
        if (eq == std::string::npos || eq == 0) {
          *exit_code = Usage("--parameter wants NAME=VALUE, not \"" + v + "\"");
          return false;
        }
        a->parameters[v.substr(0, eq)] = v.substr(eq + 1);
      } else {
        a->out = v;
      }
    } else if (s.size() > 1 && s[0] == '-') {
      *exit_code = Usage("unknown option " + s);
      return false;
    } else if (!have_input) {
      a->input = s;
      have_input = true;
    } else {
      *exit_code = Usage("only one input file, please (got \"" + a->input + "\" and \"" + s + "\")");
      return false;
    }
  }
  return true;
}

bool LoadRecipe(const Args& a, Recipe* r) {
  std::string err;
  if (a.recipe.empty()) {
    if (!ParseRecipe(DefaultRecipeToml(), "default recipe", r, &err)) {
      std::fprintf(stderr, "kilt patch: %s\n", err.c_str());
      return false;
    }
  } else {
    std::string text;
    if (!ReadInput(a.recipe, &text, &err, kMaxRecipeBytes) || !ParseRecipe(text, a.recipe, r, &err)) {
      std::fprintf(stderr, "kilt patch: %s\n", err.c_str());
      return false;
    }
  }
  if (!a.kilt_image.empty() && !ApplyRecipeOverrides({{"KiltImage", a.kilt_image}}, r, &err)) {
    std::fprintf(stderr, "kilt patch: --kilt-image: %s\n", err.c_str());
    return false;
  }
  return true;
}

void Lookup(const Args& a, const rapidjson::Value& doc, PatchInput* in) {
  std::vector<ImageNeed> needs = a.ecs ? ListEcsImageNeeds(doc, *in) : ListTemplateImageNeeds(doc, *in);
  // Hints from the recipe answer without a registry; the lookup is for the rest.
  std::vector<ImageNeed> ask;
  for (const ImageNeed& n : needs) {
    bool hinted = false;
    for (const ImageHint& h : in->recipe.hints) hinted |= h.image == n.image;
    if (!hinted) ask.push_back(n);
  }
  if (ask.empty()) return;
  registry::ImageConfigResolver resolver{registry::LookupOptions{}};
  for (const std::string& e : resolver.Resolve(ask, &in->images))
    std::fprintf(stderr, "kilt patch: lookup: %s\n", e.c_str());
}

}  // namespace

int RunPatch(int argc, char** argv) {
  Args a;
  int code = 0;
  if (!ParseArgs(argc, argv, &a, &code)) return code;
  PatchInput in;
  if (!LoadRecipe(a, &in.recipe)) return 2;
  in.parameters = a.parameters;

  std::string text, err;
  if (!ReadInput(a.input, &text, &err, kMaxTemplateBytes)) {
    std::fprintf(stderr, "kilt patch: %s\n", err.c_str());
    return 2;
  }
  const std::string name = a.input == "-" ? "stdin" : a.input;
  // A byte-order mark is kept as it is: the text after it decides the format and is what is edited.
  const std::string bom = text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? text.substr(0, 3) : std::string();
  const std::string_view body = std::string_view(text).substr(bom.size());

  rapidjson::Document doc;
  YamlStyle style;
  base::SourceNode json_map;
  bool yaml = false;
  bool read = false;
  if (a.ecs) {
    base::JsonLimits limits;
    limits.max_bytes = kMaxTemplateBytes;
    base::JsonParseResult r = base::ParseJson(body, limits, &doc, &json_map);
    read = r.ok();
    if (!read) err = base::LineColumn(body, r.offset) + ": " + r.message;
  } else {
    read = ParseTemplate(body, &doc, &style, &yaml, &err, &json_map);
  }
  if (!read) {
    std::fprintf(stderr, "kilt patch: %s:%s\n", name.c_str(), err.c_str());
    return 2;
  }
  // The document as read, to compare the patched one with (YAML strings stay references into doc's
  // allocator: the copy shares them).
  rapidjson::Document before;
  before.CopyFrom(doc, before.GetAllocator());

  if (a.parameter_defaults && !a.ecs) AddParameterDefaults(doc, &in.parameters);
  if (!a.ecs && !(doc.IsObject() && Member(doc, "Resources") != nullptr && Member(doc, "Resources")->IsObject())) {
    // Patching a Kubernetes manifest or an ECS task definition as a template would "change nothing".
    std::fprintf(stderr,
                 "kilt patch: %s: not a CloudFormation template (no Resources section)%s\n", name.c_str(),
                 doc.IsObject() && Member(doc, "containerDefinitions") ? ": use kilt patch --ecs for an ECS task definition" : "");
    return 2;
  }
  if (a.lookup) Lookup(a, doc, &in);
  PatchReport rep = a.ecs ? PatchEcsTaskDefinition(&doc, in) : PatchTemplate(&doc, in);
  if (!rep.ok()) {
    for (const PatchError& e : rep.errors) std::fprintf(stderr, "kilt patch: %s: %s\n", name.c_str(), e.ToString().c_str());
    std::fprintf(stderr, "kilt patch: %zu error(s); nothing written\n", rep.errors.size());
    return 2;
  }
  if (!a.quiet) {
    for (const std::string& p : rep.patched) std::fprintf(stderr, "kilt patch: patched %s\n", p.c_str());
    for (const std::string& s : rep.skipped) std::fprintf(stderr, "kilt patch: skipped %s\n", s.c_str());
  }
  // Only what differs is new text (patcher/splice.h): what Kilt left alone keeps its bytes.
  SpliceInput splice;
  splice.text = body;
  splice.map = yaml ? &style.map : &json_map;
  splice.before = &before;
  splice.after = &doc;
  splice.yaml = yaml ? &style : nullptr;
  const std::string output = bom + SpliceText(splice);
  const bool changed = output != text;
  if (a.check) {
    if (changed) std::fprintf(stderr, "kilt patch: %s would change (run kilt patch to update it)\n", name.c_str());
    else if (!a.quiet) std::fprintf(stderr, "kilt patch: %s is up to date\n", name.c_str());
  }
  if (a.diff) {
    if (!PrintUnifiedDiff(name, text, output, &err)) {
      std::fprintf(stderr, "kilt patch: %s\n", err.c_str());
      return 2;
    }
  } else if (!a.check) {
    if (a.out.empty()) {
      std::fwrite(output.data(), 1, output.size(), stdout);
      if (std::fflush(stdout) != 0) {
        std::fprintf(stderr, "kilt patch: writing stdout: %s\n", std::strerror(errno));
        return 2;
      }
    } else if (!base::WriteFileAtomically(a.out, output, &err)) {
      std::fprintf(stderr, "kilt patch: %s\n", err.c_str());
      return 2;
    }
  }
  return a.check && changed ? 1 : 0;
}

}  // namespace kilt::cli
